import Pollen
import Synchronization

/// A simulated interrupt controller: numbered lines (at most 64), each with a
/// handler and a priority, and a pending bit per line, like the NVIC.
///
/// - `raise(_:)` sets a line's pending bit; safe from any thread.
/// - In ``Mode/deferred`` mode (deterministic tests) handlers run only when someone
///   calls ``servicePending()``: the ``SimulatedPlatform`` idle step does, and a
///   test may do it at any point to model an interrupt arriving "during" a poll.
/// - In ``Mode/immediate`` mode (threaded tests) `raise` runs the handler at once on
///   the raising thread, concurrently with the executor thread, as a real interrupt
///   would preempt it, then calls ``onRaise`` (the threaded platform's doorbell).
///
/// Priorities: a lower number is more urgent (as on Cortex-M). ``servicePending()``
/// runs the most urgent pending line first; ties go to the lower line number.
///
/// Handlers are installed at set-up; raising and servicing never allocate.
public final class SimulatedInterruptController: @unchecked Sendable {
    /// When handlers run.
    public enum Mode: Sendable {
        /// Handlers run in ``servicePending()``.
        case deferred
        /// Handlers run inside ``raise(_:)``, on the raising thread.
        case immediate
    }

    struct Line {
        var handler: (() -> Void)?
        var priority: Int
    }

    /// Number of lines.
    public let lineCount: Int
    /// When handlers run.
    public let mode: Mode
    private var lines: [Line]
    private let pending = Atomic<UInt64>(0)
    private let servicedCounts: UnsafeMutablePointer<Int>
    /// Called after every `raise` (after the handler, in immediate mode). The
    /// threaded platform uses it to wake a sleeping executor.
    public var onRaise: (() -> Void)?

    /// A controller with `lineCount` lines (1...64), no handlers.
    public init(lineCount: Int, mode: Mode = .deferred) {
        precondition((1...64).contains(lineCount), "SimulatedInterruptController: 1...64 lines")
        self.lineCount = lineCount
        self.mode = mode
        lines = Array(repeating: Line(handler: nil, priority: 0), count: lineCount)
        servicedCounts = .allocate(capacity: lineCount)
        servicedCounts.initialize(repeating: 0, count: lineCount)
    }

    deinit { servicedCounts.deallocate() }

    /// Installs `handler` on `line` with `priority` (lower runs first). Set-up only.
    public func setHandler(line: Int, priority: Int = 0, _ handler: @escaping () -> Void) {
        precondition(line >= 0 && line < lineCount, "SimulatedInterruptController: no line \(line)")
        lines[line] = Line(handler: handler, priority: priority)
    }

    /// Marks `line` pending (deferred mode) or runs its handler now (immediate mode).
    public func raise(_ line: Int) {
        precondition(line >= 0 && line < lineCount, "SimulatedInterruptController: no line \(line)")
        if mode == .immediate {
            run(line)
        } else {
            pending.bitwiseOr(1 << UInt64(line), ordering: .releasing)
        }
        onRaise?()
    }

    /// `true` when at least one line is pending.
    public var hasPending: Bool { pending.load(ordering: .acquiring) != 0 }

    /// Whether `line` is pending.
    public func isPending(_ line: Int) -> Bool {
        pending.load(ordering: .acquiring) & (1 << UInt64(line)) != 0
    }

    /// How many times `line`'s handler has run.
    public func servicedCount(_ line: Int) -> Int { servicedCounts[line] }

    /// Runs pending handlers, most urgent first, until none is pending (a handler may
    /// raise other lines). Returns how many handlers ran.
    @discardableResult
    public func servicePending() -> Int {
        var ran = 0
        while true {
            let bits = pending.load(ordering: .acquiring)
            if bits == 0 { return ran }
            var best = -1
            var remaining = bits
            while remaining != 0 {
                let line = remaining.trailingZeroBitCount
                remaining &= remaining - 1
                if best < 0 || lines[line].priority < lines[best].priority { best = line }
            }
            pending.bitwiseAnd(~(1 << UInt64(best)), ordering: .acquiringAndReleasing)
            run(best)
            ran += 1
        }
    }

    private func run(_ line: Int) {
        servicedCounts[line] += 1
        lines[line].handler?()
    }
}
