import Synchronization

/// The part of an executor that does not depend on its width: the list of
/// attached pools, the timer table, the clock snapshot and the counters. Pools
/// reach it through a pointer to end tasks (advance the generation, drop the timer).
public struct ExecutorCore {
    // Field order keeps padding out (Swift lays fields out in declaration order):
    // words first, then the 8-byte-aligned timer table and instants, then the
    // narrow fields. Every field of an `Executor<1>` that has attached nothing is
    // zero (deadlines stored inverted, the budget and group count stored offset),
    // so a global executor is zeroed .bss: no flash for an initial image.

    /// Invariant PINNED: group 0 of the owning executor; set by the first attach.
    var groups: UnsafeMutablePointer<WakeGroup>?
    /// First attached pool (an intrusive list through ``PoolLink/next``, for reports).
    var pools: UnsafeMutablePointer<PoolLink>?
    /// Slots handed to attached pools so far.
    public internal(set) var slotsUsed: Int = 0
    /// Bytes of RAM of the attached pools.
    public internal(set) var poolBytes: Int = 0
    /// Armed deadlines.
    public internal(set) var timers = TimerTable()
    /// Earliest deadline in the deadline register (see ``TimerQueue``); a lower bound.
    var registerDeadline: Instant {
        get { storedRegisterDeadline.instant }
        set { storedRegisterDeadline.instant = newValue }
    }
    var storedRegisterDeadline = InvertedInstant()
    /// The clock as read at the start of the current pass.
    public internal(set) var now: Instant = .zero
    /// The RAM budget for pools, or `nil` for none.
    public var ramBudget: Int? { storedRamBudget == 0 ? nil : Int(bitPattern: storedRamBudget &- 1) }
    /// `ramBudget + 1`, or 0 for none.
    let storedRamBudget: UInt
    /// `groupCount - 1` (0...31), stored narrow.
    let storedGroupCountMinusOne: UInt8

    /// Deadlines that did not fit in the attached timer queue (see ``TimerQueue``).
    public var timerOverflows: Int { timers.overflows }
    /// Most tasks seen waiting on a deadline at once, once the queue has overflowed.
    public var timerPeakDemand: Int { timers.peakDemand }

    /// `32 × groupCount` slots.
    public var groupCount: Int { Int(storedGroupCountMinusOne) &+ 1 }

    init(groupCount: Int, ramBudget: Int?) {
        storedGroupCountMinusOne = UInt8(truncatingIfNeeded: groupCount &- 1)
        if let ramBudget {
            precondition(ramBudget >= 0, "Executor: the RAM budget cannot be negative")
            storedRamBudget = UInt(bitPattern: ramBudget) &+ 1
        } else {
            storedRamBudget = 0
        }
        groups = nil
        pools = nil
    }

    /// A waker for the current task of `slot`.
    func waker(forSlot slot: Int) -> Waker {
        // Safety: PINNED; `groups` is set by the first attach, before any slot exists,
        // and slot < 32 × groupCount (slots are only handed out below that).
        let groups = UnsafePointer(groups.unsafelyUnwrapped)
        return Waker(groups: groups, slot: slot,
                     generation: groups.generation(ofSlot: slot),
                     twoLevel: groupCount > 1)
    }

    /// Ends the task in `slot`: advances the slot's generation, so every waker
    /// made for the task becomes stale, and drops its deadline.
    mutating func endTask(slot: Int) {
        let g = UnsafePointer(groups!) + (slot &>> 5)
        // Only task context writes generations, so load-then-store is enough (and
        // avoids a read-modify-write helper call on Cortex-M0).
        g.setGeneration(bit: slot & 31, g.generation(bit: slot & 31) &+ 1)
        if timers.count > 0 { _ = updateTimer(slot: UInt16(truncatingIfNeeded: slot), deadline: .distantFuture) }
    }

    /// Sets, replaces or (with `deadline` == ``Instant/distantFuture``) removes the
    /// timer queue entry of `slot`. Returns `false` when a new deadline has no entry
    /// (no queue, or a full one); the caller keeps it in the deadline register.
    mutating func updateTimer(slot: UInt16, deadline: Instant) -> Bool {
        guard let code = timers.code else { return deadline == .distantFuture }
        // Safety: `self` is exclusively accessed for the call, and the queue code
        // touches only this core's timer table, its entries and (reading) its groups.
        return withUnsafeMutablePointer(to: &self) { code.update($0, slot, deadline.ticks) }
    }

    /// Removes every queue entry whose deadline is at or before `now`, scheduling its
    /// slot. Returns whether it scheduled any.
    mutating func expireTimers(now: Instant) -> Bool {
        guard let code = timers.code else { return false }
        // Safety: as in `updateTimer`.
        return withUnsafeMutablePointer(to: &self) { code.expire($0, now.ticks) }
    }
}
