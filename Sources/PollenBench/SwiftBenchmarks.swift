// The Swift Concurrency half: the same figures with what a Swift user would
// otherwise reach for. The async functions are nonisolated and are started by
// `blockingAwait` on the global concurrent executor (not the main actor), so
// the `Task {}`s they create run there too, as plain `Task {}` code in a
// library would. (On Linux the global executor runs on libdispatch's worker
// threads.)
#if canImport(Glibc)
import Glibc
#endif
import MallocCounter
import Synchronization

// MARK: - Hand-off

/// A one-shot wake-up between two tasks: `wait()` suspends the calling task with
/// `withUnsafeContinuation` until `signal()` resumes it. A lock-protected slot
/// holds the parked continuation (or a "signalled" flag when the signal comes
/// first, so no wake is lost). Counts how many waits really suspended.
final class Baton: Sendable {
    struct State {
        var waiter: UnsafeContinuation<Void, Never>? = nil
        var signaled = false
        var parks = 0
    }
    let state = Mutex(State())

    func wait() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.signaled {
                    s.signaled = false
                    return true
                }
                s.waiter = continuation
                s.parks += 1
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func signal() {
        let waiter = state.withLock { s -> UnsafeContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.signaled = true
            return nil
        }
        waiter?.resume()
    }

    var parks: Int { state.withLock { $0.parks } }
}

/// Two unstructured tasks on the global concurrent executor hand a turn back and
/// forth through two batons: A signals B and waits; B waits and signals A.
/// Returns (ns per hand-off, fraction of waits that really suspended).
func swiftHandoffGlobal(handoffs: Int) async -> (nsPerHandoff: Double, parkedFraction: Double) {
    let rounds = handoffs / 2
    let a = Baton(), b = Baton()
    let t0 = monotonicNanos()
    let first = Task {
        for _ in 0..<rounds {
            b.signal()
            await a.wait()
        }
    }
    let second = Task {
        for _ in 0..<rounds {
            await b.wait()
            a.signal()
        }
    }
    await first.value
    await second.value
    let t1 = monotonicNanos()
    let waits = 2 * rounds
    return (Double(t1 - t0) / Double(waits), Double(a.parks + b.parks) / Double(waits))
}

/// The same ping-pong with both tasks isolated to one actor: only one of them
/// runs at a time, so every wait suspends and every hand-off is a real
/// suspend/resume through the actor's serial executor (the closest Swift analogue
/// of two tasks on one single-threaded executor). No lock: the actor serialises.
actor PingActor {
    var waiterA: UnsafeContinuation<Void, Never>? = nil
    var waiterB: UnsafeContinuation<Void, Never>? = nil
    var signaledA = false
    var signaledB = false
    var parks = 0

    func wait(a: Bool) async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            if a {
                if signaledA { signaledA = false; continuation.resume() } else { waiterA = continuation; parks += 1 }
            } else {
                if signaledB { signaledB = false; continuation.resume() } else { waiterB = continuation; parks += 1 }
            }
        }
    }

    func signal(a: Bool) {
        if a {
            if let w = waiterA { waiterA = nil; w.resume() } else { signaledA = true }
        } else {
            if let w = waiterB { waiterB = nil; w.resume() } else { signaledB = true }
        }
    }

    func runFirst(rounds: Int) async {
        for _ in 0..<rounds {
            signal(a: false)
            await wait(a: true)
        }
    }

    func runSecond(rounds: Int) async {
        for _ in 0..<rounds {
            await wait(a: false)
            signal(a: true)
        }
    }
}

/// Ping-pong through one actor. Returns (ns per hand-off, fraction of waits that suspended).
func swiftHandoffActor(handoffs: Int) async -> (nsPerHandoff: Double, parkedFraction: Double) {
    let rounds = handoffs / 2
    let ping = PingActor()
    let t0 = monotonicNanos()
    let first = Task { await ping.runFirst(rounds: rounds) }
    let second = Task { await ping.runSecond(rounds: rounds) }
    await first.value
    await second.value
    let t1 = monotonicNanos()
    let waits = 2 * rounds
    return (Double(t1 - t0) / Double(waits), Double(await ping.parks) / Double(waits))
}

// MARK: - Spawn

/// `tasks` empty child tasks, `spawnBatch` at a time: `withTaskGroup`, `addTask {}`
/// × batch, `waitForAll()`. Returns nanoseconds.
func swiftSpawnGroup(tasks: Int) async -> UInt64 {
    let t0 = monotonicNanos()
    var left = tasks
    while left > 0 {
        let k = min(spawnBatch, left)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<k { group.addTask {} }
            await group.waitForAll()
        }
        left -= k
    }
    return monotonicNanos() - t0
}

/// `tasks` unstructured tasks one at a time: `await Task {}.value`. Returns nanoseconds.
func swiftSpawnTask(tasks: Int) async -> UInt64 {
    let t0 = monotonicNanos()
    for _ in 0..<tasks {
        await Task {}.value
    }
    return monotonicNanos() - t0
}

// MARK: - Bytes per suspended task

/// Heap bytes per suspended task: starts `count` tasks that each park on
/// `withUnsafeContinuation`, waits until all have parked, and divides the growth
/// of the heap's in-use bytes (all arenas) by `count`. Everything the benchmark
/// itself needs (continuation slots, counters) is allocated before the baseline.
///
/// Synchronous, called from the main thread: the main thread (not a worker of
/// the cooperative pool, which may be a single thread) polls the counters while
/// the tasks run. `Task.detached` because the caller is on the main actor, which
/// does not run while the main thread waits here.
func swiftBytesPerSuspendedTask(count: Int) -> Double {
    let slots = UnsafeMutablePointer<UnsafeContinuation<Void, Never>?>.allocate(capacity: count)
    slots.initialize(repeating: nil, count: count)
    let counters = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: 2)   // parked, finished
    (counters + 0).initialize(to: Atomic(0))
    (counters + 1).initialize(to: Atomic(0))
    defer { slots.deallocate(); counters.deallocate() }
    let shared = Unchecked((slots, counters))

    let before = heapBytesInUse()
    for i in 0..<count {
        Task.detached {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
                shared.value.0[i] = continuation
                shared.value.1[0].add(1, ordering: .releasing)
            }
            shared.value.1[1].add(1, ordering: .releasing)
        }
    }
    // Wait (without touching the heap) until every task has parked.
    while counters[0].load(ordering: .acquiring) < count { usleep(100) }
    let after = heapBytesInUse()

    for i in 0..<count { slots[i]!.resume() }
    while counters[1].load(ordering: .acquiring) < count { usleep(100) }
    return Double(after - before) / Double(count)
}
