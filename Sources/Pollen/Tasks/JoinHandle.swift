import Synchronization

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
///   awaiting task sleeps; it is woken when the task completes. Polling again
///   after `.completed` is a programming error (a precondition failure saying so);
///   after `.cancelled` it returns `.cancelled` again.
/// - Cancelling: ``cancel()`` drops the task's future at once (its deinit runs),
///   frees its slot, removes its deadline and makes all its wakers stale, so
///   wait lists it was in skip it.
/// - Dropping the handle without awaiting *detaches* the task: it keeps running and
///   its output is discarded (a finished task's output is dropped at once).
///   To stop the task instead when the handle is dropped (a join that times out, a
///   join that loses a `select`), await ``cancelOnDrop()`` (the same handle, set to
///   cancel when dropped):
///
///   ```swift
///   var joined = select(worker.cancelOnDrop(), Timer.after(.milliseconds(200)))
///   // timer first: the worker is cancelled with the select's loser
///   ```
///
/// Cancel safety of the handle as a future: dropping a pending join removes the
/// awaiting task's registration (the executor does not keep waking it) and
/// detaches the task, as dropping the handle does (or cancels it, after
/// ``cancelOnDrop()``).
///
/// Not interrupt-safe; use from task context on the executor's thread.
public struct JoinHandle<Task: Future & ~Copyable, let capacity: Int>: ~Copyable, Future {
    let pool: UnsafeMutablePointer<TaskPool<Task, capacity>>
    let index: Int
    /// `.running` until the output is delivered or the task cancelled.
    var outcome = JoinOutcome.running
    /// The awaiting task's waker while it is listed in the pool's join waiters.
    var registered: Waker? = nil
    /// Dropping the handle cancels a running task instead of detaching it.
    var cancelsOnDrop = false
    /// Makes the deinit run on the host (see ``DropAnchor``).
    let anchor = DropAnchor()

    init(pool: UnsafeMutablePointer<TaskPool<Task, capacity>>, index: Int) {
        self.pool = pool
        self.index = index
    }

    /// Whether the task is still running (neither completed nor cancelled).
    public var isRunning: Bool {
        outcome == .running && state == .joinable
    }

    /// The state of the task's slot. Safety: PINNED; the pool outlives its handles.
    var state: SlotState { TaskPool.slot(pool, index).currentState() }

    /// Whether the task has completed and its output waits to be taken by a poll.
    public var isFinished: Bool {
        outcome == .running && state == .finished
    }

    /// Waits for the task. See the type's documentation.
    public mutating func poll(_ context: inout Context) -> Poll<JoinResult<Task.Output>> {
        switch outcome {
        case .cancelled: return .ready(.cancelled)
        case .delivered: preconditionFailure("JoinHandle polled again after it delivered the task's output")
        case .running: break
        }
        // Safety: PINNED; the pool outlives its handles, and `index` is this handle's slot.
        if state == .finished {
            unregister()
            let output = TaskPool.takeOutput(pool, index)
            outcome = .delivered
            return .ready(.completed(output))
        }
        if let previous = registered, !previous.schedulesSameTask(as: context.waker) {
            pool.pointee.joinWaiters.remove(previous)   // awaited by another task now
            registered = nil
        }
        if pool.pointee.joinWaiters.register(context.waker) {
            registered = context.waker
        } else {
            registered = nil
            context.waker.wake()   // the list is full: poll again on the next pass
        }
        return .pending
    }

    /// Cancels the task if it is still running. Returns `true` if it was stopped,
    /// `false` if it had already completed (its output is then still delivered by
    /// awaiting the handle).
    @discardableResult
    public mutating func cancel() -> Bool {
        guard outcome == .running, state == .joinable else { return false }
        unregister()
        TaskPool.cancel(pool, index)
        outcome = .cancelled
        return true
    }

    /// This handle, changed to cancel the task when it is dropped before the task
    /// completed (for example, when it loses a `select` to a timer), instead of
    /// detaching it. Awaiting it is the same as awaiting the handle.
    ///
    /// ```swift
    /// var joined = select(worker.cancelOnDrop(), Timer.after(.milliseconds(200)))
    /// switch joined.poll(&context) {
    /// case .ready(.first(.completed(let value))): use(value)
    /// case .ready(.second): report("worker timed out and was cancelled")
    /// default: return .pending
    /// }
    /// ```
    public consuming func cancelOnDrop() -> JoinHandle<Task, capacity> {
        cancelsOnDrop = true
        return self
    }

    /// Whether dropping the handle cancels a running task (``cancelOnDrop()``)
    /// rather than detaching it.
    public var cancelsWhenDropped: Bool { cancelsOnDrop }

    /// Removes the awaiting task from the pool's join waiters, if listed.
    mutating func unregister() {
        if let waker = registered {
            pool.pointee.joinWaiters.remove(waker)
            registered = nil
        }
    }

    deinit {
        if let waker = registered { pool.pointee.joinWaiters.remove(waker) }
        guard outcome == .running else { return }
        switch state {
        case .joinable:
            if cancelsOnDrop {
                TaskPool.cancel(pool, index)
            } else {
                TaskPool.slot(pool, index).setState(.detached)
            }
        case .finished: TaskPool.discardOutput(pool, index)
        default: break
        }
    }
}

/// Where a ``JoinHandle`` stands.
enum JoinOutcome: UInt8 {
    /// The task runs or finished; its output has not been taken.
    case running
    /// The output was delivered by a poll.
    case delivered
    /// The task was cancelled through the handle.
    case cancelled
}

/// A claimed slot of a ``TaskPool``: filling it cannot fail. Dropping it unfilled
/// frees the slot again. Reserving and filling are safe from any context (see
/// ``PoolRef``).
public struct SlotReservation<Task: Future & ~Copyable, let capacity: Int>: ~Copyable {
    let pool: UnsafeMutablePointer<TaskPool<Task, capacity>>
    let index: Int
    var filled = false
    /// Makes the deinit run on the host (see ``DropAnchor``).
    let anchor = DropAnchor()

    init(pool: UnsafeMutablePointer<TaskPool<Task, capacity>>, index: Int) {
        self.pool = pool
        self.index = index
    }

    /// The waker of the task this reservation will hold once filled: hand it to
    /// a task spawned earlier (two tasks that wake each other). Waking it before
    /// `fill` does nothing (`.stale`); after `fill` it wakes the new task, until
    /// that task ends.
    public var waker: Waker {
        // Safety: PINNED; the slot is claimed by this reservation (invariant
        // CLAIMED), so nobody else can start a task in it and the filled task's
        // generation is the next odd one.
        let link = pool.pointee.link
        let slot = link.base &+ index
        let next = WakeGroup.nextGeneration(after: link.groups.generation(ofSlot: slot), odd: true)
        return ExecutorCore.waker(link.executor.unsafelyUnwrapped, forSlot: slot, generation: next)
    }

    /// Starts `task` detached in the reserved slot.
    @discardableResult
    public consuming func fill(_ task: consuming Task) -> TaskID {
        filled = true
        return TaskPool.start(pool, index, task, as: .detached)
    }

    /// Starts `task` in the reserved slot and returns its join handle.
    public consuming func fillJoinable(_ task: consuming Task) -> JoinHandle<Task, capacity> {
        filled = true
        TaskPool.start(pool, index, task, as: .joinable)
        return JoinHandle(pool: pool, index: index)
    }

    deinit {
        if !filled { TaskPool.slot(pool, index).setState(.free) }
    }
}
