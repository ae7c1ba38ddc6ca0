import Synchronization

/// What happened to a ``Waker/wake()`` call.
public enum WakeOutcome: Sendable, Equatable {
    /// The task's ready bit is set (or already was: wakes coalesce).
    case woken
    /// The waker belongs to a task that has completed or been cancelled; its slot
    /// is free or holds another task, and nothing was scheduled.
    case stale
}

/// A handle that schedules one task to be polled again.
///
/// A waker is the task's slot index, the generation of the task in that slot when
/// the waker was made, and a pointer to the executor's wake groups: 8 bytes on a
/// 32-bit MCU. Copy it freely; waking is safe from interrupt handlers and other
/// threads.
///
/// Waking sets the slot's bit in the executor's ready mask with one atomic OR
/// (plus one OR of the summary word when the executor has more than 32 slots).
/// Several wakes before the next poll coalesce into one poll.
///
/// `@unchecked Sendable`: the pointer targets atomics only (invariant PINNED).
///
/// Stale wakers: a waker outlives its task harmlessly. If the task completed or
/// was cancelled, the slot's generation has moved on and `wake()` returns
/// `.stale` without touching the mask. The generation is 8 bits, so a waker kept
/// across exactly 256·k reuses of its slot (and only then) passes the check; the
/// result is one spurious poll of the slot's current occupant, which every future
/// tolerates by contract. A stale waker never makes the executor poll an empty slot:
/// the executor checks occupancy itself.
public struct Waker: @unchecked Sendable {
    /// Invariant PINNED: points at group 0 of an executor that stays at this address
    /// for as long as any waker made by it is used.
    let groups: UnsafePointer<WakeGroup>
    /// Executor-wide slot index (the bit number in the ready mask).
    public let slot: UInt16
    /// Generation of the task this waker was made for.
    public let generation: UInt8
    /// Whether the executor uses the summary word (more than 32 slots).
    let twoLevel: Bool

    init(groups: UnsafePointer<WakeGroup>, slot: UInt16, generation: UInt8, twoLevel: Bool) {
        self.groups = groups
        self.slot = slot
        self.generation = generation
        self.twoLevel = twoLevel
    }

    /// Schedules the task to be polled on the executor's next pass.
    ///
    /// Safe to call from interrupt handlers and other threads. Never blocks, never
    /// allocates.
    @discardableResult
    public func wake() -> WakeOutcome {
        let group = Int(slot &>> 5)
        let bit = Int(slot & 31)
        // Safety: PINNED; `group` < the executor's group count because `slot` was
        // handed out by that executor.
        let g = groups + group
        guard g.pointee.generations[bit].load(ordering: .relaxed) == generation else { return .stale }
        g.pointee.ready.bitwiseOr(1 &<< UInt32(bit), ordering: .releasing)
        if twoLevel {
            groups.pointee.summary.bitwiseOr(1 &<< UInt32(group), ordering: .releasing)
        }
        return .woken
    }

    /// `true` when the task this waker was made for has ended (completed or been
    /// cancelled): waking it would do nothing.
    public var isStale: Bool {
        let g = groups + Int(slot &>> 5)
        return g.pointee.generations[Int(slot & 31)].load(ordering: .relaxed) != generation
    }

    /// `true` when both wakers schedule the same task (same slot and generation on the
    /// same executor). Useful to avoid registering a task twice in a waiter list.
    public func schedulesSameTask(as other: Waker) -> Bool {
        slot == other.slot && generation == other.generation && groups == other.groups
    }
}
