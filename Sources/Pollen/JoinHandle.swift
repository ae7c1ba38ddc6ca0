/// How a joined task ended.
public enum JoinResult<Output> {
    /// The task completed with this output.
    case completed(Output)
    /// The task was cancelled through its handle before it completed.
    case cancelled
}

/// Owns a task spawned with `TaskPool.spawnJoinable`: await it (a handle is itself
/// a future) to get its output, or cancel it.
///
/// ```swift
/// var worker = try workers.spawnJoinable(Measure())
/// // inside another task's poll:
/// if case .ready(.completed(let value)) = worker.poll(&context) { ... }
/// ```
///
/// - Awaiting: `.ready(.completed(output))` once the task completed (the slot is
///   freed then); `.ready(.cancelled)` after ``cancel()``. While the task runs the
///   awaiting task sleeps; it is woken when the task completes.
/// - Cancelling: ``cancel()`` drops the task's future at once (its deinit runs),
///   frees its slot, removes its deadline and makes all its wakers stale, so
///   wait lists it was in skip it.
/// - Dropping the handle without awaiting detaches the task: it keeps running and
///   its output is discarded (a finished task's output is dropped at once).
///
/// Cancel safety of the handle as a future: dropping a pending join is the same as
/// dropping the handle (the task is detached, not cancelled).
///
/// Not interrupt-safe; use from task context on the executor's thread.
public struct JoinHandle<Task: Future & ~Copyable, let capacity: Int>: ~Copyable, Future {
    let pool: UnsafeMutablePointer<TaskPool<Task, capacity>>
    let index: Int
    var spent = false
    var wasCancelled = false

    init(pool: UnsafeMutablePointer<TaskPool<Task, capacity>>, index: Int) {
        self.pool = pool
        self.index = index
    }

    /// Whether the task is still running (neither completed nor cancelled).
    public var isRunning: Bool {
        !spent && pool.pointee.slots[index].state == .joinable
    }

    /// Waits for the task. See the type's documentation.
    public mutating func poll(_ context: inout Context) -> Poll<JoinResult<Task.Output>> {
        if spent { return .ready(.cancelled) }
        switch pool.pointee.slots[index].state {
        case .finished:
            let output = pool.pointee.slots[index].output!
            pool.pointee.release(index)
            spent = true
            return .ready(.completed(output))
        default:
            if !pool.pointee.joinWaiters.register(context.waker) { context.waker.wake() }
            return .pending
        }
    }

    /// Cancels the task if it is still running. Returns `true` if it was stopped,
    /// `false` if it had already completed (its output is then still delivered by
    /// awaiting the handle).
    @discardableResult
    public mutating func cancel() -> Bool {
        guard !spent, pool.pointee.slots[index].state == .joinable else { return false }
        pool.pointee.release(index)
        spent = true
        wasCancelled = true
        return true
    }

    deinit {
        guard !spent else { return }
        switch pool.pointee.slots[index].state {
        case .joinable: pool.pointee.slots[index].state = .detached
        case .finished: pool.pointee.release(index)
        default: break
        }
    }
}

/// A claimed slot of a ``TaskPool``: filling it cannot fail. Dropping it unfilled
/// frees the slot again.
public struct SlotReservation<Task: Future & ~Copyable, let capacity: Int>: ~Copyable {
    let pool: UnsafeMutablePointer<TaskPool<Task, capacity>>
    let index: Int
    var filled = false

    init(pool: UnsafeMutablePointer<TaskPool<Task, capacity>>, index: Int) {
        self.pool = pool
        self.index = index
    }

    /// Starts `task` detached in the reserved slot.
    @discardableResult
    public consuming func fill(_ task: consuming Task) -> TaskID {
        filled = true
        return pool.pointee.start(index, task, as: .detached)
    }

    /// Starts `task` in the reserved slot and returns its join handle.
    public consuming func fillJoinable(_ task: consuming Task) -> JoinHandle<Task, capacity> {
        filled = true
        pool.pointee.start(index, task, as: .joinable)
        return JoinHandle(pool: pool, index: index)
    }

    deinit {
        if !filled { pool.pointee.slots[index].state = .free }
    }
}
