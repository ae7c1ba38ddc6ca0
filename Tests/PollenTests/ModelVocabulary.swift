// The vocabulary shared by the model-based test's three parts: the reference model
// (`ModelReference.swift`), the system under test (`ModelSystem.swift`) and the driver
// (`ModelTests.swift`). Both sides log the same `ModelEvent`s; the driver compares them.

/// A small deterministic PRNG (SplitMix64): the same seed gives the same run.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<n` (n > 0).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// `true` with probability `percent` %.
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// A random element of a non-empty array.
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// The pools tasks are spawned into (the padding pool between A and B is never used).
enum PoolID: Int, CaseIterable, CustomStringConvertible {
    /// Capacity 3, detached tasks only.
    case a
    /// Capacity 6, joinable-heavy.
    case b
    /// Capacity 2, mixed.
    case c

    var capacity: Int { [3, 6, 2][rawValue] }
    var description: String { ["A", "B", "C"][rawValue] }
}

/// What a task waits on once it starts a wait (its "hold").
enum WaitKind: Equatable {
    case notify
    case signal
    /// `Channel.send(value)`: waits while the channel is full.
    case send(Int)
    /// `Channel.receive()` (one consumer task at a time).
    case receive
    /// `AsyncMutex.lock()`, then holds the guard until told otherwise.
    case lock
    /// `Timer.after(µs)`.
    case timerAfter(UInt64)
    /// `Timer.at(µs)` (possibly in the past).
    case timerAt(UInt64)
}

/// What a task does at its next poll: one-shot, set by the test, taken by the poll.
indirect enum Intent: Equatable {
    case none
    /// Starts a wait (ignored if the task already holds something).
    case start(WaitKind)
    /// Drops whatever the task holds (wait future, guard, join handle, timer).
    case abandon
    /// Drops what it holds and completes (returns `.ready(id)`).
    case finish
    /// Wakes itself (`context.waker.wake()`): polled again on the next pass.
    case yield
    /// Spawns a task from inside the poll.
    case spawnChild(SpawnSpec)
    /// `JoinHandle.cancel()` on the handle the task holds.
    case cancelJoin
    case notifyOne
    case notifyAll
    case signal(Int)
    case trySend(Int)
}

/// Moves the test's join handle for `target` into the new task (the task awaits it).
struct JoinSpec: Equatable {
    var target: Int
    /// Calls `cancelOnDrop()` on the handle as it moves.
    var cancelOnDrop: Bool
}

/// Everything needed to spawn a task.
struct SpawnSpec: Equatable {
    var pool: PoolID
    var joinable: Bool
    /// Taken at the first poll.
    var intent: Intent
    /// Completes in the same poll as its wait completes.
    var autoFinish: Bool
    var join: JoinSpec?
}

/// What a task's wait completed with.
enum WaitOutcome: Equatable {
    case notified
    case signalled(Int)
    case sent
    case received(Int)
    case locked
    /// The join of `target`: its output, or `nil` for `.cancelled`.
    case joined(target: Int, value: Int?)
    case timerFired
}

/// What polling a join handle by hand returned.
enum HandPoll: Equatable {
    case pending
    case completed(Int)
    case cancelled
}

/// One observable thing that happened. Both sides log them in the order they happen.
enum ModelEvent: Equatable {
    /// Task `id` was polled in executor-wide `slot`, its waker carrying `generation`.
    case poll(id: Int, slot: Int, generation: UInt8)
    /// Task `id`'s future was dropped (completion, cancellation, or a failed spawn).
    case ended(Int)
    case outcome(id: Int, WaitOutcome)
    case spawned(id: Int, slot: Int, generation: UInt8)
    /// Spawn threw `SpawnError.poolFull`.
    case spawnFull(id: Int, pool: PoolID)
    /// `reserve()` claimed `slot` for the test's reservation `key`.
    case reserved(key: Int, slot: Int)
    /// `reserve()` threw `SpawnError.poolFull`.
    case reserveFull(key: Int, pool: PoolID)
    /// A task's `JoinHandle.cancel()` (on `target`'s handle) returned this.
    case taskCancelledJoin(by: Int, target: Int, Bool)
    /// The test's `JoinHandle.cancel()` on `target`'s handle returned this.
    case handleCancel(target: Int, Bool)
    case handPoll(target: Int, HandPoll)
    /// `Waker.wake()` returned `.woken` (true) or `.stale` (false).
    case woke(Bool)
    /// `executor.waker(forSlot:)` returned a waker (true) or `nil`.
    case slotWaker(slot: Int, Bool)
    case isrWake(line: Int, Bool)
    case isrSend(Int, Bool)
    case trySend(Int, Bool)
    case tryReceive(Int?)
    case takeSignal(Int?)
    case tryLock(Bool)
    /// `runReady` returned this count.
    case passPolled(Int)
}

/// The counters both sides expose, compared after every step.
struct ModelCounters: Equatable {
    var notifyWaiters = 0
    var notifyPermit = false
    var signalWaiters = 0
    var signalled = false
    var channelCount = 0
    var waitingSenders = 0
    var mutexWaiters = 0
    var mutexLocked = false
    /// Per pool A, B, C.
    var joinWaiters: [Int] = []
    var occupied: [Int] = []
    var armedTimers = 0
    var registeredDeadlines = 0
    var timerOverflows = 0
    var timerPeakDemand = 0
    var nextDeadline: UInt64? = nil
    /// Per executor slot in use: `waker(forSlot:) != nil` (a task runs there).
    var running: [Bool] = []
    var hasReadyTasks = false

    /// The fields that differ, as "name: expected → actual".
    static func differences(expected: ModelCounters, actual: ModelCounters) -> String {
        zip(Mirror(reflecting: expected).children, Mirror(reflecting: actual).children)
            .filter { "\($0.value)" != "\($1.value)" }
            .map { "\($0.label ?? "?"): \($0.value) → \($1.value)" }
            .joined(separator: ", ")
    }
}
