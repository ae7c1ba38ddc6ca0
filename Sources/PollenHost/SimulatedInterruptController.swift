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
/// - In ``Mode/preemptive`` mode (deterministic preemption) `raise` behaves like the
///   NVIC pending a line: if the line is more urgent than what runs now (a handler
///   of lower priority, or the thread, which is below every handler), its handler
///   runs at once, nested inside the caller (a task's poll, another handler, the
///   virtual clock's `advance`); otherwise it stays pending and runs when the
///   handlers above it have returned (tail-chaining). An executor bound to a line
///   (``SimulatedInterruptController/bind(_:tasks:line:priority:clock:)``) is so
///   preempted and preempts exactly as on the firmware, at the points where a
///   test raises a line or advances the clock.
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
        /// Like the NVIC: `raise` runs the handler at once, nested, when the line is
        /// more urgent than the running handler (or the thread); otherwise it stays
        /// pending until that handler returns. Single-threaded and deterministic.
        ///
        /// ```swift
        /// let interrupts = SimulatedInterruptController(lineCount: 8, mode: .preemptive)
        /// ```
        case preemptive
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
    /// The priority of the handler running now (``threadPriority`` when none):
    /// in preemptive mode a raised line preempts only below it.
    ///
    /// ```swift
    /// #expect(interrupts.currentPriority == 1)   // inside a level-1 task's poll
    /// ```
    public private(set) var currentPriority: Int = SimulatedInterruptController.threadPriority
    /// How deep handlers are nested now (0: thread context; `interrupts.nesting`).
    public private(set) var nesting = 0
    /// The deepest nesting seen so far (1: handlers ran, none preempted another):
    /// `#expect(interrupts.maximumNesting >= 2)`.
    public private(set) var maximumNesting = 0

    /// The priority of code outside any handler: every line is more urgent
    /// (`interrupts.currentPriority == SimulatedInterruptController.threadPriority`).
    public static let threadPriority = Int.max

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

    /// Whether `line` has a handler (`interrupts.hasHandler(3)`).
    public func hasHandler(_ line: Int) -> Bool { lines[line].handler != nil }

    /// Marks `line` pending (deferred mode), runs its handler now (immediate mode),
    /// or pends it and runs it now, nested, if it is more urgent than the running
    /// handler or the thread (preemptive mode).
    public func raise(_ line: Int) {
        precondition(line >= 0 && line < lineCount, "SimulatedInterruptController: no line \(line)")
        switch mode {
        case .immediate:
            run(line)
        case .deferred:
            pending.bitwiseOr(1 << UInt64(line), ordering: .releasing)
        case .preemptive:
            pending.bitwiseOr(1 << UInt64(line), ordering: .releasing)
            preempt(above: currentPriority)
        }
        onRaise?()
    }

    /// Preemptive mode: runs, nested, every pending line more urgent than
    /// `priority`, most urgent first, each at its own priority (so a line it
    /// raises preempts it only if more urgent still).
    func preempt(above priority: Int) {
        while let line = mostUrgentPending(), lines[line].priority < priority {
            pending.bitwiseAnd(~(1 << UInt64(line)), ordering: .acquiringAndReleasing)
            let saved = currentPriority
            currentPriority = lines[line].priority
            nesting += 1
            if nesting > maximumNesting { maximumNesting = nesting }
            run(line)
            nesting -= 1
            currentPriority = saved
        }
    }

    /// The most urgent pending line (ties: the lower number), if any.
    func mostUrgentPending() -> Int? {
        var remaining = pending.load(ordering: .acquiring)
        var best = -1
        while remaining != 0 {
            let line = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            if best < 0 || lines[line].priority < lines[best].priority { best = line }
        }
        return best < 0 ? nil : best
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
        if mode == .preemptive {
            // Lines only stay pending below a running handler; from the thread
            // (the idle step) everything pending is more urgent.
            let before = totalServiced
            preempt(above: currentPriority)
            return totalServiced - before
        }
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

    /// Handlers run so far, all lines together (`interrupts.totalServiced`).
    public private(set) var totalServiced = 0

    private func run(_ line: Int) {
        totalServiced += 1
        servicedCounts[line] += 1
        lines[line].handler?()
    }
}
