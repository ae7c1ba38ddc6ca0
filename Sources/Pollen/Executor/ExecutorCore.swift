import Synchronization

/// The part of an executor that does not depend on its width: the list of
/// attached pools, the timer table, the clock snapshot and the counters. Pools
/// reach it through a pointer to end tasks (advance the generation, drop the timer).
///
/// Only the executor's thread touches it once tasks run (wakers and spawns from
/// other contexts use the wake groups' atomics only), and it does so through the
/// pinned pointer (`Executor.corePointer`), never through a `mutating` access to
/// the whole executor.
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
    /// No armed deadline (timer queue or deadline register) is before this: a
    /// lower bound of both, lowered wherever either is, made exact by
    /// `Executor.fireTimers`. `run` compares the clock with it alone each round (one
    /// 64-bit comparison where two were: 4 instructions on Arm). Stored as is,
    /// unlike the deadlines: the comparison with the clock is on the hot path, and
    /// an inverted word costs it two more instructions. So it is zero (every
    /// deadline due: one early, empty round) until the first attach sets it to
    /// `.distantFuture` (`Executor.pin`); no round runs before that.
    var dueBound: Instant = .zero
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

    /// The earliest armed deadline (timer queue or deadline register), if any.
    /// `run` reads it through the pinned core, which it changes through that
    /// pointer, never through the executor it borrows.
    var nextDeadline: Instant? {
        let earliest = min(timers.earliest, registerDeadline)
        return earliest == .distantFuture ? nil : earliest
    }

    /// ``nextDeadline`` of the core at `core`, read field by field in place (the
    /// getter on `core.pointee` copies the whole core first).
    @inline(__always)
    static func nextDeadline(_ core: UnsafeMutablePointer<ExecutorCore>) -> Instant? {
        let earliest = min(core.pointee.timers.earliest, core.pointee.storedRegisterDeadline.instant)
        return earliest == .distantFuture ? nil : earliest
    }

    /// The earliest armed deadline in microseconds, `UInt64.max` when none: what
    /// an executor run from an interrupt handler publishes for the time
    /// interrupt after each round (read in place through `Executor.pinnedCore`).
    ///
    /// ```swift
    /// let ticks = executor.pinnedCore.pointee.nextDeadlineTicks   // UInt64.max: no deadline
    /// ```
    public var nextDeadlineTicks: UInt64 {
        min(timers.earliest, storedRegisterDeadline.instant).ticks
    }

    /// `32 × groupCount` slots.
    public var groupCount: Int { Int(storedGroupCountMinusOne) &+ 1 }

    /// Writes what is attached: every pool with its slots and bytes, the totals
    /// against the limits, and the timer queue (what `Executor.describeCapacity`
    /// prints; reachable without the executor's width through
    /// `Executor.pinnedCore`).
    ///
    /// ```swift
    /// executor.pinnedCore.pointee.describeCapacity(to: &console)
    /// // pool 'ticker': slots 0..<1, 108 bytes
    /// // slots: 1 of 32; pool RAM: 108 bytes; timer queue: 0 entries
    /// ```
    public func describeCapacity<Output: TextOutput & ~Copyable>(to out: inout Output) {
        var link = pools
        while let l = link {
            out.write("pool '"); out.write(l.pointee.name); out.write("': slots ")
            out.write(l.pointee.base); out.write("..<"); out.write(l.pointee.base + l.pointee.capacity)
            out.write(", "); out.write(l.pointee.bytes); out.write(" bytes\n")
            link = l.pointee.next
        }
        out.write("slots: "); out.write(slotsUsed); out.write(" of "); out.write(groupCount &* 32)
        out.write("; pool RAM: "); out.write(poolBytes); out.write(" bytes")
        if let budget = ramBudget { out.write(" of "); out.write(budget) }
        out.write("; timer queue: "); out.write(timers.capacity); out.write(" entries\n")
    }

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

    /// A waker for the task of `slot` in the executor whose core is at `core`, with
    /// the slot's generation as it is now.
    static func waker(_ core: UnsafeMutablePointer<ExecutorCore>, forSlot slot: Int) -> Waker {
        // Safety: PINNED; `groups` is set by the first attach, before any slot exists,
        // and slot < 32 × groupCount (slots are only handed out below that).
        let groups = UnsafePointer(core.pointee.groups.unsafelyUnwrapped)
        return waker(core, forSlot: slot, generation: groups.generation(ofSlot: slot))
    }

    /// A waker for the task of `generation` in `slot` of the executor whose core is
    /// at `core` (the executor's width and pend hook decide its flags).
    static func waker(_ core: UnsafeMutablePointer<ExecutorCore>, forSlot slot: Int, generation: UInt8) -> Waker {
        let groups = UnsafePointer(core.pointee.groups.unsafelyUnwrapped)
        return Waker(groups: groups, slot: slot, generation: generation,
                     flags: Waker.flags(twoLevel: core.pointee.storedGroupCountMinusOne != 0,
                                        pend: groups.head.pointee.pend.load(ordering: .relaxed) != 0))
    }

    /// Ends the task in `slot`: advances the slot's generation, so every waker
    /// made for the task becomes stale, drops it from the deadline register and
    /// the current pass, and drops its timer queue entry. Executor's thread only.
    static func endTask(_ core: UnsafeMutablePointer<ExecutorCore>, slot: Int) {
        UnsafePointer(core.pointee.groups.unsafelyUnwrapped).endTask(slot: slot)
        if core.pointee.timers.count != 0 {
            _ = updateTimer(core, slot: UInt16(truncatingIfNeeded: slot), deadline: .distantFuture)
        }
    }

    /// Sets, replaces or (with `deadline` == ``Instant/distantFuture``) removes the
    /// timer queue entry of `slot`. Returns `false` when a new deadline has no entry
    /// (no queue, or a full one); the caller keeps it in the deadline register.
    static func updateTimer(_ core: UnsafeMutablePointer<ExecutorCore>, slot: UInt16, deadline: Instant) -> Bool {
        guard let code = core.pointee.timers.code else { return deadline == .distantFuture }
        // Safety: the queue code touches only this core's timer table, its entries
        // and (reading) its groups; executor's thread only.
        // (The queue's code lowers `dueBound` with its `earliest`.)
        return code.update(UnsafeMutableRawPointer(core), slot, deadline.ticks)
    }

    /// Lowers ``dueBound`` to `deadline` if that is earlier.
    @inline(__always)
    static func lowerDueBound(_ core: UnsafeMutablePointer<ExecutorCore>, to deadline: Instant) {
        if deadline < core.pointee.dueBound { core.pointee.dueBound = deadline }
    }

    /// Removes every queue entry whose deadline is at or before `now`, scheduling its
    /// slot. Returns whether it scheduled any.
    static func expireTimers(_ core: UnsafeMutablePointer<ExecutorCore>, now: Instant) -> Bool {
        guard let code = core.pointee.timers.code else { return false }
        // Safety: as in `updateTimer`.
        return code.expire(UnsafeMutableRawPointer(core), now.ticks)
    }
}
