import Pollen
import PollenHost
import Testing

/// A recording of what happened, in order, for trace-based tests.
final class Trace: @unchecked Sendable {
    var entries: [String] = []
    func log(_ s: String) { entries.append(s) }
}

/// A task whose behaviour is a closure: `step(polls, &context)` is called on each
/// poll with the number of the poll (1-based). Logs "poll <name>" each time.
struct Scripted: Future {
    let name: String
    let trace: Trace
    var polls = 0
    let step: (Int, inout Context) -> Poll<Int>

    init(_ name: String, _ trace: Trace, step: @escaping (Int, inout Context) -> Poll<Int>) {
        self.name = name
        self.trace = trace
        self.step = step
    }

    mutating func poll(_ context: inout Context) -> Poll<Int> {
        polls += 1
        trace.log("poll \(name)")
        return step(polls, &context)
    }
}

/// Pending forever unless woken from outside; records its waker on every poll.
struct Parked: Future {
    let name: String
    let trace: Trace
    let wakerBox: UnsafeMutablePointer<Waker?>
    mutating func poll(_ context: inout Context) -> Poll<Int> {
        trace.log("poll \(name)")
        wakerBox.pointee = context.waker
        return .pending
    }
}

/// Allocation-free task: counts its polls in `counter`, wakes itself until it has
/// been polled `remaining` times, then completes.
struct Countdown: Future {
    let counter: UnsafeMutablePointer<Int>
    var remaining: Int
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        counter.pointee += 1
        remaining -= 1
        if remaining <= 0 { return .ready(()) }
        context.waker.wake()
        return .pending
    }
}

/// A waker box allocated once.
func makeWakerBox() -> UnsafeMutablePointer<Waker?> {
    let p = UnsafeMutablePointer<Waker?>.allocate(capacity: 1)
    p.initialize(to: nil)
    return p
}

/// A counter allocated once.
func makeCounter() -> UnsafeMutablePointer<Int> {
    let p = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    p.initialize(to: 0)
    return p
}

/// The suite's own configuration: every test executor is at most this wide and its
/// pools fit this budget. `SuiteConfiguration.check()` runs the start-up capacity
/// check on it; every helper that builds an executor calls it first, so the suite
/// refuses to run any task with a configuration that does not fit.
enum SuiteConfiguration {
    static let slotLimit = Executor<8>.slotCapacity
    static let ramBudget = 64 * 1024

    /// `nil` when the configuration fits; else the capacity error's message.
    static let failure: String? = {
        let executor = Pinned(Executor<8>(ramBudget: ramBudget))
        let scripted = Pinned(TaskPool<Scripted, 32>(name: "scripted"))
        let parked = Pinned(TaskPool<Parked, 32>(name: "parked"))
        let countdown = Pinned(TaskPool<Countdown, 192>(name: "countdown"))
        do throws(CapacityError) {
            _ = try executor.pointee.attach(&scripted.pointee)
            _ = try executor.pointee.attach(&parked.pointee)
            _ = try executor.pointee.attach(&countdown.pointee)
            return nil
        } catch {
            return error.description
        }
    }()

    static func check() {
        if let failure { Issue.record("suite capacity check failed: \(failure)") }
    }
}

/// A pinned 32-slot executor with one pinned pool attached, ready for tasks.
struct Rig<T: Future & ~Copyable, let capacity: Int> {
    let executor = Pinned(Executor<1>())
    let pool = Pinned(TaskPool<T, capacity>(name: "pool"))
    /// The attached pool, as the executor polls it.
    let tasks: PoolRef<T, capacity>

    init() {
        SuiteConfiguration.check()
        tasks = try! executor.pointee.attach(&pool.pointee)
    }

    @discardableResult
    func spawn(_ task: consuming T) -> TaskID { try! pool.pointee.spawn(task) }

    /// Whether any ready bit is set.
    var ready: Bool { executor.pointee.hasReadyTasks }
    /// Slots of the pool holding a task.
    var occupied: Int { pool.pointee.occupiedCount }

    /// One executor pass; returns the number of tasks polled.
    @discardableResult
    func pass() -> Int { executor.pointee.runReady(tasks) }

    /// Runs the executor's loop on `platform` until it stops.
    func run<P: Platform>(on platform: inout P, idle: IdleStrategy = .sleep) {
        executor.pointee.run(on: &platform, idle: idle, tasks: tasks)
    }

    /// Passes until one polls nothing; returns the total polls.
    @discardableResult
    func runUntilQuiet(maxPasses: Int = 1000) -> Int {
        var total = 0
        for _ in 0..<maxPasses {
            let n = pass()
            if n == 0 { return total }
            total += n
        }
        Issue.record("still busy after \(maxPasses) passes")
        return total
    }
}

/// Pending forever, never wakes itself: a slot to borrow a live waker from.
struct Forever: Future {
    mutating func poll(_ context: inout Context) -> Poll<Int> { .pending }
}

/// A live waker for polling futures by hand: the waker of a task that pends
/// forever on an executor of its own (waking it just sets its ready bit).
func handWaker() -> Waker {
    let executor = Pinned(Executor<1>())
    let pool = Pinned(TaskPool<Forever, 1>(name: "hand"))
    let tasks = try! executor.pointee.attach(&pool.pointee)
    try! tasks.spawn(Forever())
    executor.pointee.runReady(tasks)
    return executor.pointee.waker(forSlot: 0)!
}
