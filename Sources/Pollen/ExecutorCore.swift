import Synchronization

/// The part of an executor that does not depend on its width: the list of
/// attached pools, the timer table, the clock snapshot and the counters. Pools
/// reach it through a pointer to end tasks (advance the generation, drop the timer).
public struct ExecutorCore {
    // Field order keeps padding out (Swift lays fields out in declaration order):
    // words first, then the 8-byte-aligned timer table and instants, then the
    // narrow fields.

    /// Invariant PINNED: group 0 of the owning executor; set by the first attach.
    var groups: UnsafeMutablePointer<WakeGroup>?
    /// First attached pool (an intrusive list through ``PoolLink/next``, for reports).
    var pools: UnsafeMutablePointer<PoolLink>?
    /// Slots handed to attached pools so far.
    public internal(set) var slotsUsed: Int = 0
    /// Bytes of RAM of the attached pools.
    public internal(set) var poolBytes: Int = 0
    /// Deadlines that did not fit in the timer queue (see ``TimerQueue``).
    public internal(set) var timerOverflows: Int = 0
    /// Most tasks seen waiting on a deadline at once, once the queue has overflowed.
    public internal(set) var timerPeakDemand: Int = 0
    /// Armed deadlines.
    public internal(set) var timers = TimerTable()
    /// Earliest deadline among the tasks whose deadline did not fit in the queue.
    var overflowDeadline: Instant = .distantFuture
    /// The clock as read at the start of the current pass.
    public internal(set) var now: Instant = .zero
    /// The RAM budget for pools, or `nil` for none.
    public let ramBudget: Int?
    /// `groupCount`, stored narrow (1...32).
    let storedGroupCount: UInt8
    /// Bits set in the overflow registers of the wake groups (at most 1024).
    var overflowedCount: UInt16 = 0

    /// `32 × groupCount` slots.
    public var groupCount: Int { Int(storedGroupCount) }

    init(groupCount: Int, ramBudget: Int?) {
        storedGroupCount = UInt8(truncatingIfNeeded: groupCount)
        self.ramBudget = ramBudget
        groups = nil
        pools = nil
    }

    /// A waker for the current task of `slot`.
    func waker(forSlot slot: Int) -> Waker {
        // Safety: PINNED; `groups` is set by the first attach, before any slot exists,
        // and slot < 32 × groupCount (slots are only handed out below that).
        let groups = UnsafePointer(groups.unsafelyUnwrapped)
        return Waker(groups: groups, slot: slot,
                     generation: groups[slot &>> 5].generations[slot & 31].load(ordering: .relaxed),
                     twoLevel: groupCount > 1)
    }

    /// Ends the task in `slot`: advances the slot's generation, so every waker
    /// made for the task becomes stale, and drops its deadline.
    mutating func endTask(slot: Int) {
        let g = groups! + (slot &>> 5)
        // Only task context writes generations, so load-then-store is enough (and
        // avoids a read-modify-write helper call on Cortex-M0).
        let next = g.pointee.generations[slot & 31].load(ordering: .relaxed) &+ 1
        g.pointee.generations[slot & 31].store(next, ordering: .relaxed)
        if timers.count > 0 { timers.remove(slot: UInt16(truncatingIfNeeded: slot)) }
    }
}
