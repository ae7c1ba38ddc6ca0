import Synchronization

/// Where a slot is in its life. See the state diagram in `Executor.swift`.
enum SlotState: UInt8 {
    /// Empty; `spawn` or `reserve` may take it (with an atomic compare-exchange).
    case free
    /// Claimed: by a ``SlotReservation``, or by a spawn that is moving its future in.
    /// Never polled.
    case reserved
    /// Holds a running task whose output nobody awaits.
    case detached
    /// Holds a running task owned by a ``JoinHandle``.
    case joinable
    /// The joinable task completed; its output waits for the handle.
    case finished
}

/// One slot of a ``TaskPool``: the task's future, kept in place while it runs,
/// and (for joinable tasks) its output until the handle takes it.
///
/// The future is polled in place, never moved, so a poll that re-enters the pool
/// (a task spawning a sibling) sees consistent memory.
///
/// # Invariant CLAIMED
///
/// `task` and `output` belong to whoever moved the slot out of `.free`: a spawner
/// (any thread or interrupt handler) from its compare-exchange `.free → .reserved`
/// until its release store of `.detached`/`.joinable`; the executor's thread from
/// then on (polls, cancellation, join). The release store of `state` publishes the
/// future; the executor reads `state` with acquire ordering before it touches the
/// future. Only the executor's thread moves a slot back to `.free`, after the task
/// has ended (generation advanced), with a release store.
struct TaskSlot<Task: Future & ~Copyable>: ~Copyable {
    var task: Task?
    var output: Task.Output?
    /// A ``SlotState`` raw value.
    let state: Atomic<UInt8>

    init() {
        task = nil
        output = nil
        state = Atomic(SlotState.free.rawValue)
    }

    /// The slot's state (acquire: what the state publishes is visible).
    var currentState: SlotState {
        SlotState(rawValue: state.load(ordering: .acquiring)).unsafelyUnwrapped
    }

    /// Publishes `newState` (release: the writes before it are visible to whoever
    /// reads the state next).
    func setState(_ newState: SlotState) {
        state.store(newState.rawValue, ordering: .releasing)
    }

    /// Claims a free slot: `.free → .reserved`, atomically. Safe from any context.
    func claim() -> Bool {
        state.compareExchange(expected: SlotState.free.rawValue, desired: SlotState.reserved.rawValue,
                              ordering: .acquiring).exchanged
    }

    /// Whether the slot holds a running task.
    var isRunning: Bool {
        let s = currentState
        return s == .detached || s == .joinable
    }
}
