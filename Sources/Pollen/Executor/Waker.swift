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
/// `.stale` without touching the mask. The generation is 8 bits and advances
/// twice per task (odd while the task runs, even once it ended), so a waker kept
/// across exactly 128·k reuses of its slot (and only then) passes the check; the
/// result is one spurious poll of the slot's current occupant, which every future
/// tolerates by contract. A stale waker never makes the executor poll an empty slot:
/// the executor checks occupancy itself.
public struct Waker: @unchecked Sendable {
    /// Invariant PINNED: the wake group of the task's slot, inside an executor that
    /// stays at this address for as long as any waker made by it is used.
    let group: UnsafePointer<WakeGroup>
    /// Everything else in one word, so a wake loads it once:
    /// bits 0–4 the slot's bit in its group (slot % 32), bits 5–9 the group
    /// (slot / 32; the executor's head sits before group 0), bit 12 a mark that
    /// only ``WaiterList`` uses ("released": this waiter was handed something it has
    /// not taken yet; nothing else reads it), bit 13 ``generationUnreadBit`` (a
    /// `Context`'s own copy only), bit 14 "two-level" (more than 32 slots: also set
    /// the summary bit), bit 15 "slow path" (two-level, or the platform installed a
    /// pend hook), bits 24–31 the task's generation. The generation is the top
    /// byte so that the wake compares it without extracting it (`cmp` with a
    /// shifted operand on Thumb-2: one instruction fewer per wake).
    let packed: UInt32

    static var twoLevelBit: UInt32 { 0x4000 }
    static var slowPathBit: UInt32 { 0x8000 }

    /// The flag bits of a waker of an executor that has more than 32 slots
    /// (`twoLevel`: also set the summary bit, on the wake's slow path). A pend
    /// hook's slow-path flag is added from ``ExecutorHead/pendFlag``.
    @inline(__always)
    static func flags(twoLevel: Bool) -> UInt32 {
        twoLevel ? twoLevelBit | slowPathBit : 0
    }

    /// A waker for `slot` of the executor whose group 0 is `groups`, for the task of
    /// `generation`, with the `flags` of ``flags(twoLevel:)`` and ``ExecutorHead/pendFlag``.
    init(groups: UnsafePointer<WakeGroup>, slot: Int, generation: UInt8, flags: UInt32) {
        self.group = groups + (slot &>> 5)
        self.packed = UInt32(truncatingIfNeeded: slot & 0x3FF) | flags
            | UInt32(truncatingIfNeeded: generation) &<< Self.generationShift
    }

    /// In a ``Context``'s stored waker only: the generation and the pend hook's
    /// slow-path flag are not filled in yet (see `Context.storedWaker`). Never set
    /// in a waker handed out.
    static var generationUnreadBit: UInt32 { 0x2000 }

    /// Where the generation sits in ``packed``: the top byte.
    static var generationShift: UInt32 { 24 }

    /// This waker with the generation its slot holds now, the slow-path flag set
    /// if the executor has a pend hook now, and without ``generationUnreadBit``
    /// (the executor's own use, while the slot's task runs).
    func withCurrentGeneration() -> Waker {
        // Executor's thread, during the poll of this waker's task (a `Context`
        // exists only then).
        let generation = group.generationWhilePolled(bit: Int(truncatingIfNeeded: packed & 31))
        // Safety: as in `wakeSlowPath`: the head sits right before group 0.
        let head = (group - Int(truncatingIfNeeded: (packed &>> 5) & 31)).head
        return Waker(group: group, packed: (packed & ~(0xFF00_0000 | Self.generationUnreadBit))
                        | UInt32(truncatingIfNeeded: generation) &<< Self.generationShift | head.pointee.pendFlag)
    }

    init(group: UnsafePointer<WakeGroup>, packed: UInt32) {
        self.group = group
        self.packed = packed
    }

    /// The bit ``WaiterList`` uses to mark an entry as released.
    static var releasedMark: UInt32 { 0x1000 }
    /// This waker with the released mark set or cleared (same task).
    func marked(_ released: Bool) -> Waker {
        Waker(group: group, packed: released ? packed | Self.releasedMark : packed & ~Self.releasedMark)
    }
    /// Whether the released mark is set.
    var isMarked: Bool { packed & Self.releasedMark != 0 }

    /// The slot's bit within its group.
    var bit: Int { Int(truncatingIfNeeded: packed & 31) }
    /// The slot's group.
    var groupIndex: Int { Int(truncatingIfNeeded: (packed &>> 5) & 31) }

    /// Which executor this waker's task runs on: the address of the executor's
    /// group 0 (PINNED), the same for every waker of that executor. Primitives
    /// that must stay on one executor (one priority level) compare it.
    var executorIdentity: UnsafeRawPointer { UnsafeRawPointer(group - groupIndex) }

    /// Executor-wide slot index (the bit number in the ready mask).
    public var slot: UInt16 { UInt16(truncatingIfNeeded: packed & 0x3FF) }

    /// Generation of the task this waker was made for.
    public var generation: UInt8 { UInt8(truncatingIfNeeded: packed &>> Self.generationShift) }

    /// Schedules the task to be polled on the executor's next pass.
    ///
    /// Safe to call from interrupt handlers and other threads. Never blocks, never
    /// allocates.
    @discardableResult
    public func wake() -> WakeOutcome {
        let word = packed
        let bit = Int(truncatingIfNeeded: word & 31)
        // Safety: PINNED; `group` points into the executor that made this waker.
        // The top byte against the generation byte: on Thumb-2 one `cmp` with a
        // shifted operand (no extraction); on x86 a byte compare (no second
        // zero-extension of the loaded byte).
        guard group.generation(bit: bit) == UInt8(truncatingIfNeeded: word &>> Self.generationShift) else { return .stale }
        group.ready.pointee.publishingOr(1 &<< (word & 31))
        if word & Self.slowPathBit != 0 { wakeSlowPath(word) }
        return .woken
    }

    /// The rest of a wake on executors of more than 32 slots or with a pend hook:
    /// the summary bit, then the hook. Inlined into the wake: out of line, its call
    /// cost every wake of a wide executor, and every wake of an executor that runs
    /// in an interrupt handler, 4 to 8 instructions more (the 256-task hand-off 92
    /// on the Cortex-M4, preemption 93.6) for about 100 bytes less in the demo.
    @inline(__always)
    func wakeSlowPath(_ word: UInt32) {
        let index = Int(truncatingIfNeeded: (word &>> 5) & 31)
        // Safety: groups are contiguous, so group 0 is `index` groups back, and the
        // head sits right before group 0 (checked by `Executor.pin`).
        let head = (group - index).head
        if word & Self.twoLevelBit != 0 {
            head.pointee.summary.publishingOr(1 &<< UInt32(truncatingIfNeeded: index))
        }
        head.pointee.callPendHook()
    }

    /// `true` when the task this waker was made for has ended (completed or been
    /// cancelled): waking it would do nothing.
    public var isStale: Bool {
        group.generation(bit: bit) != generation
    }

    /// `true` when both wakers schedule the same task (same slot and generation on the
    /// same executor). Useful to avoid registering a task twice in a waiter list.
    public func schedulesSameTask(as other: Waker) -> Bool {
        group == other.group && (packed ^ other.packed) & ~Self.releasedMark == 0
    }
}
