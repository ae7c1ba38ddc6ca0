/// Why a task could not be spawned. The future passed to `spawn` is dropped.
public enum SpawnError: Error {
    /// Every slot of the pool holds a task (or is reserved). Wait for one to
    /// complete, or raise the pool's `capacity`.
    case poolFull(pool: StaticString, capacity: Int)
    /// The pool has not been attached to an executor with `Executor.attach(_:)`.
    case notAttached(pool: StaticString)

    /// Writes a one-line explanation, naming the pool and what to change.
    public func describe<Output: TextOutput & ~Copyable>(to out: inout Output) {
        switch self {
        case .poolFull(let pool, let capacity):
            out.write("spawn failed: pool '"); out.write(pool); out.write("' is full (capacity ")
            out.write(capacity); out.write("); wait for a task to finish or raise its capacity")
        case .notAttached(let pool):
            out.write("spawn failed: pool '"); out.write(pool)
            out.write("' is not attached to an executor; call executor.attach(&pool) first")
        }
    }
}

/// A configuration the executor refuses at start-up, before any task runs.
public enum CapacityError: Error {
    /// The pool's slots do not fit in the executor's ready mask.
    case slotsExceeded(pool: StaticString, capacity: Int, alreadyUsed: Int, limit: Int)
    /// The pool would take the attached pools' RAM over the executor's declared budget.
    case ramBudgetExceeded(pool: StaticString, bytes: Int, alreadyUsed: Int, budget: Int)
    /// The pool is already attached (to this or another executor).
    case alreadyAttached(pool: StaticString)
    /// The pool is attached to the executor but missing from the task set given to
    /// `run`: its tasks would never be polled.
    case poolNotRun(pool: StaticString)

    /// Writes a one-line explanation, naming the pool, the numbers and what to change.
    public func describe<Output: TextOutput & ~Copyable>(to out: inout Output) {
        switch self {
        case .slotsExceeded(let pool, let capacity, let used, let limit):
            out.write("capacity check failed: pool '"); out.write(pool); out.write("' needs ")
            out.write(capacity); out.write(" slots but only "); out.write(limit - used)
            out.write(" of the executor's "); out.write(limit)
            out.write(" remain; use a wider executor (more mask words) or smaller pools")
        case .ramBudgetExceeded(let pool, let bytes, let used, let budget):
            out.write("capacity check failed: pool '"); out.write(pool); out.write("' needs ")
            out.write(bytes); out.write(" bytes of RAM but only "); out.write(budget - used)
            out.write(" of the "); out.write(budget)
            out.write("-byte budget remain; shrink the pools or raise the budget")
        case .alreadyAttached(let pool):
            out.write("capacity check failed: pool '"); out.write(pool)
            out.write("' is already attached; attach each pool once")
        case .poolNotRun(let pool):
            out.write("task set check failed: pool '"); out.write(pool)
            out.write("' is attached but not in the tasks given to run, so its tasks would never be polled; add it to tasks(...)")
        }
    }
}

/// Identifies one task: its executor-wide slot and the slot's generation when
/// the task was spawned.
public struct TaskID: Hashable, Sendable {
    /// Executor-wide slot index (the task's wake bit).
    public let slot: UInt16
    /// The slot's generation for this task.
    public let generation: UInt8
}
