// Helpers for the threaded stress tests: pthreads, deadlines, and the executor's
// thread. Foundation-free, like the rest of the host tests.
#if canImport(Glibc)
import Glibc
#endif
import Pollen
import PollenHost
import Synchronization
import Testing

/// Monotonic nanoseconds.
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// A point in time after which a wait gives up (and the test fails instead of hanging).
struct Deadline: Sendable, Comparable {
    static func < (a: Deadline, b: Deadline) -> Bool { a.end < b.end }
    let end: UInt64
    init(seconds: Double) { end = monotonicNanos() + UInt64(seconds * 1e9) }
    var passed: Bool { monotonicNanos() >= end }
}

/// A flag set once by one thread and read by others (stop requests, failures).
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Spins (yielding) until `condition` holds, `deadline` passes or `abort` is set.
/// Returns whether the condition held.
func waitFor(until deadline: Deadline, abort: Flag? = nil, _ condition: () -> Bool) -> Bool {
    var spins = 0
    while !condition() {
        if deadline.passed || abort?.isSet == true { return condition() }
        spins &+= 1
        if spins & 0x3F == 0 { usleep(20) } else { sched_yield() }
    }
    return true
}

/// Waits until `progress()` reaches `target`. Gives up (returns `false`) when it has not
/// moved for `stallSeconds` (a lost wake or a lost task stops all progress: fail fast
/// rather than wait out the whole deadline), when `deadline` passes, or when `abort`
/// is set.
func waitForProgress(to target: Int, stallSeconds: Double = defaultStallSeconds, deadline: Deadline,
                     abort: Flag? = nil, _ progress: () -> Int) -> Bool {
    var last = progress()
    var stall = Deadline(seconds: stallSeconds)
    while last < target {
        if deadline.passed || stall.passed || abort?.isSet == true { return false }
        usleep(200)
        let now = progress()
        if now != last { last = now; stall = Deadline(seconds: stallSeconds) }
    }
    return true
}

/// How long a stress test waits without any progress (or a producer or spawner retries
/// against a full channel or pool) before it fails. Generous: under
/// TSan on a loaded 2-core machine a healthy run never pauses for more than a fraction
/// of this.
let defaultStallSeconds = 5.0

/// A waker handed from a task (its poll, on the executor's thread) to other threads:
/// written once, then published with a release store; readers acquire first.
final class Mailbox: @unchecked Sendable {
    private var stored: Waker? = nil
    private let published = Atomic<Bool>(false)

    /// Executor thread: keeps the task's waker (the first one; it never changes
    /// while the task lives).
    func publish(_ waker: Waker) {
        guard !published.load(ordering: .relaxed) else { return }
        stored = waker
        published.store(true, ordering: .releasing)
    }

    /// Any thread: the waker, once published.
    var waker: Waker? { published.load(ordering: .acquiring) ? stored : nil }
}

/// Runs `executor.run(on: platform, idle: .sleep, tasks:)` on a thread of `threads`.
/// It returns when the test calls `platform.requestStop()`.
func startExecutor<let words: Int, Tasks: TaskSet>(
    _ executor: Pinned<Executor<words>>, on platform: ThreadedPlatform, tasks: Tasks, in threads: ThreadGroup
) {
    threads.start {
        var platformRef = platform
        executor.pointee.run(on: &platformRef, idle: .sleep, tasks: tasks)
    }
}
