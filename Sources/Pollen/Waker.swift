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
/// A waker is a pointer to the wake group of the task's slot, the slot's position,
/// and the generation of the task in that slot when the waker was made: 8 bytes
/// on a 32-bit MCU. Copy it freely; waking is safe from interrupt handlers and other
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
    /// Invariant PINNED: the wake group of the task's slot, inside an executor that
    /// stays at this address for as long as any waker made by it is used.
    let group: UnsafePointer<WakeGroup>
    /// The slot's bit within its group (slot % 32).
    let bit: UInt8
    /// The slot's group (slot / 32); group 0 holds the summary word.
    let groupIndex: UInt8
    /// Generation of the task this waker was made for.
    public let generation: UInt8
    /// Whether the executor uses the summary word (more than 32 slots).
    let twoLevel: Bool

    init(group: UnsafePointer<WakeGroup>, slot: Int, generation: UInt8, twoLevel: Bool) {
        self.group = group
        self.bit = UInt8(truncatingIfNeeded: slot & 31)
        self.groupIndex = UInt8(truncatingIfNeeded: slot &>> 5)
        self.generation = generation
        self.twoLevel = twoLevel
    }

    /// Executor-wide slot index (the bit number in the ready mask).
    public var slot: UInt16 {
        UInt16(truncatingIfNeeded: Int(groupIndex) &<< 5 | Int(bit))
    }

    /// Schedules the task to be polled on the executor's next pass.
    ///
    /// Safe to call from interrupt handlers and other threads. Never blocks, never
    /// allocates.
    @discardableResult
    public func wake() -> WakeOutcome {
        // Safety: PINNED; `group` points into the executor that made this waker.
        guard group.pointee.generations[unchecked: Int(bit)].load(ordering: .relaxed) == generation else { return .stale }
        group.pointee.ready.bitwiseOr(1 &<< UInt32(bit), ordering: .releasing)
        if twoLevel {
            // Safety: groups are contiguous, so group 0 is `groupIndex` groups back.
            (group - Int(groupIndex)).pointee.summary.bitwiseOr(1 &<< UInt32(groupIndex), ordering: .releasing)
        }
        return .woken
    }

    /// `true` when the task this waker was made for has ended (completed or been
    /// cancelled): waking it would do nothing.
    public var isStale: Bool {
        group.pointee.generations[unchecked: Int(bit)].load(ordering: .relaxed) != generation
    }

    /// `true` when both wakers schedule the same task (same slot and generation on the
    /// same executor). Useful to avoid registering a task twice in a waiter list.
    public func schedulesSameTask(as other: Waker) -> Bool {
        group == other.group && bit == other.bit && generation == other.generation
    }
}
