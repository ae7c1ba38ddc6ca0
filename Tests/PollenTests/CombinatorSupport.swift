#if canImport(Glibc)
import Glibc
#endif
import Pollen
import PollenHost
import Testing

// Helpers for the combinator and synchronization tests.

/// An executor with one pool of `T` tasks, an 8-entry timer queue and a
/// deterministic simulated platform (virtual time), all pinned.
final class SimRig<T: Future & ~Copyable, let capacity: Int> {
    let executor = Pinned(Executor<1>())
    let pool = Pinned(TaskPool<T, capacity>(name: "sim"))
    let timers = Pinned(TimerQueue<8>())
    var platform = SimulatedPlatform()
    /// The attached pool, as the executor polls it.
    var tasks: PoolRef<T, capacity>!

    init() {
        SuiteConfiguration.check()
        tasks = try! executor.pointee.attach(&pool.pointee)
        executor.pointee.attach(timers: &timers.pointee)
    }

    @discardableResult
    func spawn(_ task: consuming T) -> TaskID { try! pool.pointee.spawn(task) }

    func spawnJoinable(_ task: consuming T) -> JoinHandle<T, capacity> { try! pool.pointee.spawnJoinable(task) }

    /// Runs until nothing can happen any more (or until `stop`).
    func run(until stop: Instant? = nil) {
        platform.stopTime = stop
        executor.pointee.run(on: &platform, idle: .sleep, tasks: tasks)
    }

    /// One executor pass at the current virtual time.
    @discardableResult
    func pass() -> Int { executor.pointee.runReady(tasks, now: platform.now()) }

    /// Passes until one polls nothing.
    func runReady() {
        var guardPasses = 0
        while pass() > 0 {
            guardPasses += 1
            if guardPasses > 10_000 { Issue.record("still busy after 10,000 passes"); return }
        }
    }

    /// Moves virtual time to `t`, fires due timers and runs up to `passes` passes
    /// (for tasks that busy-poll, with which `run` would never let time advance).
    func tick(to t: Instant, passes: Int = 4) {
        platform.clock.advance(to: t)
        executor.pointee.fireTimers(now: platform.now())
        for _ in 0..<passes where pass() > 0 {}
    }

    var now: Instant { platform.clock.now }
    var armedTimers: Int { executor.pointee.armedTimers }
    var occupied: Int { pool.pointee.occupiedCount }
}

/// `n` milliseconds after the clock started.
func atMS(_ n: UInt64) -> Instant { Instant(ticks: n * 1_000) }

/// Where a ``Captured`` future leaves its output and the time it completed.
final class Outcome<Value>: @unchecked Sendable {
    var value: Value?
    var at: Instant?
}

/// Runs `inner` and records its output and completion time in `outcome`.
struct Captured<F: Future & ~Copyable>: ~Copyable, Future {
    var inner: F
    let outcome: Outcome<F.Output>

    init(_ inner: consuming F, _ outcome: Outcome<F.Output>) {
        self.inner = inner
        self.outcome = outcome
    }

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        guard case .ready(let value) = inner.poll(&context) else { return .pending }
        outcome.value = value
        outcome.at = context.now
        return .ready(())
    }
}

extension Captured: Copyable where F: Copyable {}

/// Runs `future` as the only task of a simulated executor until nothing can
/// happen; returns its outcome and the rig (to inspect timers, time, …).
func runAlone<F: Future & ~Copyable>(_ future: consuming F) -> (Outcome<F.Output>, SimRig<Captured<F>, 1>) {
    let outcome = Outcome<F.Output>()
    let rig = SimRig<Captured<F>, 1>()
    rig.spawn(Captured(future, outcome))
    rig.run()
    return (outcome, rig)
}

/// Completes at its first poll, logging "<name>@<ms>" and returning the time in ms.
struct Stamp: Future {
    let name: String
    let trace: Trace
    init(_ name: String, _ trace: Trace) {
        self.name = name
        self.trace = trace
    }
    mutating func poll(_ context: inout Context) -> Poll<UInt64> {
        let ms = context.now.ticks / 1_000
        trace.log("\(name)@\(ms)")
        return .ready(ms)
    }
}

/// A non-copyable future that logs its polls and its drop. Completes (with its
/// poll count) at poll `readyAt`, waking itself until then; with `readyAt == nil`
/// it stays pending forever and registers nothing.
struct Tracked: ~Copyable, Future {
    let name: String
    let trace: Trace
    let readyAt: Int?
    var polls = 0
    init(_ name: String, _ trace: Trace, readyAt: Int?) {
        self.name = name
        self.trace = trace
        self.readyAt = readyAt
    }
    mutating func poll(_ context: inout Context) -> Poll<Int> {
        polls += 1
        trace.log("poll \(name)")
        guard let readyAt else { return .pending }
        if polls >= readyAt { return .ready(polls) }
        context.waker.wake()
        return .pending
    }
    deinit { trace.log("drop \(name)") }
}

/// A future of exactly `n` bytes (alignment 1) that completes at its first poll.
struct Padded<let n: Int>: Future {
    var bytes = InlineArray<n, UInt8>(repeating: 0)
    mutating func poll(_ context: inout Context) -> Poll<Int> { .ready(n) }
}

/// A future of `n` 8-byte words (alignment 8) that completes at its first poll.
struct PaddedWords<let n: Int>: Future {
    var words = InlineArray<n, UInt64>(repeating: 0)
    mutating func poll(_ context: inout Context) -> Poll<Int> { .ready(n * 8) }
}
