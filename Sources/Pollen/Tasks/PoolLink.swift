import Synchronization

/// What an executor knows of one attached ``TaskPool``, kept inside the pool: its
/// name and size for the capacity report, its slot range, and the executor it
/// belongs to. The pools form an intrusive list (for reports only; polling goes
/// through a ``TaskSet``), so attaching a pool costs the executor no memory.
///
/// Invariant PINNED applies: `next` and `executor` point into values that stay at
/// one address from `attach` on.
public struct PoolLink {
    /// The pool's name, used in error messages and reports.
    public let name: StaticString
    /// Number of slots in the pool.
    public let capacity: Int
    /// Size in bytes of the whole pool (for the RAM budget).
    public let bytes: Int
    /// Executor-wide index of the pool's first slot; -1 while not attached.
    public internal(set) var base: Int
    var next: UnsafeMutablePointer<PoolLink>?
    var executor: UnsafeMutablePointer<ExecutorCore>?

    init(name: StaticString, capacity: Int, bytes: Int) {
        self.name = name
        self.capacity = capacity
        self.bytes = bytes
        self.base = -1
        self.next = nil
        self.executor = nil
    }

    /// Whether the pool is attached to an executor.
    public var isAttached: Bool { base >= 0 }

    /// Group 0 of the executor (attached pools only).
    var groups: UnsafePointer<WakeGroup> {
        // Safety: PINNED; set by attach, before the pool is shared. Reads only the
        // core's `groups` field, which attach wrote before any task exists.
        UnsafePointer(executor.unsafelyUnwrapped.pointee.groups.unsafelyUnwrapped)
    }

    /// Ends the task in executor-wide `slot` (executor's thread only).
    func endTask(slot: Int) {
        ExecutorCore.endTask(executor.unsafelyUnwrapped, slot: slot)
    }
}

/// What polling one slot did, as the executor needs to know it.
public enum TaskSlotPoll {
    /// The slot held no running task (free, reserved or finished): nothing was polled.
    case notRunning
    /// The task was polled and is still pending.
    case pending
    /// The task completed and its slot's task has ended.
    case completed
}
