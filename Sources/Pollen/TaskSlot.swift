/// Where a slot is in its life. See the state diagram in `Executor.swift`.
enum SlotState: UInt8 {
    /// Empty; `spawn` or `reserve` may take it.
    case free
    /// Claimed by a ``SlotReservation``; only that reservation may fill it.
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
/// The future is polled in place (`task!.poll`), never moved, so a poll that
/// re-enters the pool (a task spawning a sibling) sees consistent memory.
struct TaskSlot<Task: Future & ~Copyable>: ~Copyable {
    var task: Task?
    var output: Task.Output?
    var state: SlotState

    init() {
        task = nil
        output = nil
        state = .free
    }

    /// Polls the running task in place. On completion a detached task's slot is
    /// freed; a joinable task's output is kept and the slot becomes `.finished`.
    mutating func poll(_ context: inout Context) -> TaskSlotPoll {
        guard state == .detached || state == .joinable else { return .notRunning }
        // Safety: a running slot always holds its task, and a single-payload enum
        // (Optional) keeps its payload at offset 0 (Swift ABI), so the task is polled
        // in place without the `!` check.
        let result = withUnsafeMutablePointer(to: &task) {
            UnsafeMutableRawPointer($0).assumingMemoryBound(to: Task.self).pointee.poll(&context)
        }
        switch consume result {
        case .pending:
            return .pending
        case .ready(let value):
            task = nil
            if state == .joinable {
                output = value
                state = .finished
            } else {
                state = .free
            }
            return .completed
        }
    }
}
