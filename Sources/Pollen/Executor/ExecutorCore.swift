import Synchronization

/// The part of an executor that does not depend on its width: the list of
/// attached pools, the attached timer queue, the due bound, the clock snapshot and
/// the RAM budget (36 bytes on 32-bit targets). Pools
/// reach it through a pointer to end tasks (advance the generation, drop the timer).
///
/// Only the executor's thread touches it once tasks run (wakers and spawns from
/// other contexts use the wake groups' atomics only), and it does so through the
/// pinned pointer (`Executor.corePointer`), never through a `mutating` access to
/// the whole executor.
public struct ExecutorCore {
    // Field order keeps padding out (Swift lays fields out in declaration order):
    // the two narrow fields first, then the words and the two instants (each two
    // words, see ``WordInstant``: the core is word-aligned, so it follows the
    // wake groups with no padding). The "timers armed" flag is first so that the
    // pass reaches it from group 0 with one load on Cortex-M0 too (Thumb-1 `ldrh`
    // takes an offset up to 62: 44 + 0 in an `Executor<1>`; a byte at offset 32
    // or more needs its address computed first). Every field of an `Executor<1>`
    // that has attached nothing is zero (the budget and group count stored
    // offset) except that `dueBound` reads as `.zero` until the first attach sets
    // it, so a global executor is zeroed .bss: no flash for an initial image.
    //
    // What is not here: the slots used and pool bytes (sums over the pool list,
    // which `attach` walks anyway), and the timer queue's table (entries,
    // capacity, count, code, statistics, earliest entry, and the deadline
    // register's earliest deadline), which lives in the attached ``TimerQueue``:
    // an executor without a queue pays nothing for it.

    /// Whether the attached queue holds any entry (its count is not 0): what the
    /// pass tests after every poll (one load), kept by the queue's code.
    var timersArmed: Bool {
        @inline(__always) get { storedTimersArmed != 0 }
        @inline(__always) set { storedTimersArmed = newValue ? 1 : 0 }
    }
    /// ``timersArmed`` as 1 or 0. (A stored `Bool` is tested against 1, one
    /// instruction more on the pass's path than a number against 0; 16 bits for
    /// the Thumb-1 offset, see above.)
    var storedTimersArmed: UInt16 = 0
    /// `groupCount - 1` (0...31), stored narrow.
    let storedGroupCountMinusOne: UInt8

    /// Invariant PINNED: group 0 of the owning executor; set by the first attach
    /// (also the "attached" marker: `nil` until then).
    var groups: UnsafeMutablePointer<WakeGroup>?
    /// First attached pool (an intrusive list through ``PoolLink/next``, for reports).
    var pools: UnsafeMutablePointer<PoolLink>?
    /// The attached ``TimerQueue``'s table, `nil` without one (invariant PINNED:
    /// the queue stays at its address).
    var queue: UnsafeMutablePointer<TimerTable>?
    /// No armed deadline (timer queue or deadline register) is before this. Kept
    /// equal to the earliest armed deadline: lowered wherever a deadline is armed,
    /// recomputed where the queue drops its last entry, expires entries, or the
    /// register fires. Without a queue it *is* the deadline register's earliest
    /// deadline (the queue's table keeps that one when attached). `run`
    /// compares the clock with it alone each round (one 64-bit comparison). Stored
    /// as is, not inverted: the comparison with the clock is on the hot path, and
    /// an inverted word costs it two more instructions. So it is zero (every
    /// deadline due: one early, empty round) until the first attach sets it to
    /// `.distantFuture` (`Executor.pin`); no round runs before that.
    var dueBound: Instant {
        @inline(__always) get { storedDueBound.instant }
        @inline(__always) set { storedDueBound.instant = newValue }
    }
    var storedDueBound = WordInstant()
    /// The clock as read at the start of the current pass.
    public internal(set) var now: Instant {
        @inline(__always) get { storedNow.instant }
        @inline(__always) set { storedNow.instant = newValue }
    }
    var storedNow = WordInstant()
    /// The RAM budget for pools, or `nil` for none.
    public var ramBudget: Int? { storedRamBudget == 0 ? nil : Int(bitPattern: storedRamBudget &- 1) }
    /// `ramBudget + 1`, or 0 for none.
    let storedRamBudget: UInt

    /// Slots handed to attached pools so far (the end of the last pool's range).
    public var slotsUsed: Int { Self.tally(pools).slots }
    /// Bytes of RAM of the attached pools.
    public var poolBytes: Int { Self.tally(pools).bytes }

    /// The last pool of the list starting at `first`, the slots used and the
    /// pools' bytes: one walk (a handful of pools, at start-up and in reports).
    /// Passed the list, not the core: a call on the core may copy it.
    @inline(never)
    static func tally(_ first: UnsafeMutablePointer<PoolLink>?) -> (last: UnsafeMutablePointer<PoolLink>?, slots: Int, bytes: Int) {
        var last: UnsafeMutablePointer<PoolLink>? = nil
        var bytes = 0
        var link = first
        while let l = link {
            bytes &+= l.pointee.bytes
            last = l
            link = l.pointee.next
        }
        guard let last else { return (nil, 0, 0) }
        return (last, last.pointee.base &+ last.pointee.capacity, bytes)
    }

    /// The attached queue's table as it is now (an empty one without a queue):
    /// capacity, entries in use, earliest entry, overflow statistics.
    public var timers: TimerTable { queue?.pointee ?? TimerTable() }

    /// Deadlines that did not fit in the attached timer queue (see ``TimerQueue``).
    public var timerOverflows: Int { queue?.pointee.overflows ?? 0 }
    /// Most tasks seen waiting on a deadline at once, once the queue has overflowed.
    public var timerPeakDemand: Int { queue?.pointee.peakDemand ?? 0 }

    /// The earliest armed deadline (timer queue or deadline register), if any.
    /// `run` reads it through the pinned core, which it changes through that
    /// pointer, never through the executor it borrows.
    var nextDeadline: Instant? {
        guard groups != nil else { return nil }   // nothing attached: nothing armed
        return dueBound == .distantFuture ? nil : dueBound
    }

    /// ``nextDeadline`` of the pinned core at `core`, read in place (the getter on
    /// `core.pointee` copies the whole core first).
    @inline(__always)
    static func nextDeadline(_ core: UnsafeMutablePointer<ExecutorCore>) -> Instant? {
        let earliest = core.pointee.dueBound
        return earliest == .distantFuture ? nil : earliest
    }

    /// The earliest armed deadline in microseconds, `UInt64.max` when none: what
    /// an executor run from an interrupt handler publishes for the time
    /// interrupt after each round (read in place through `Executor.pinnedCore`,
    /// so after the first attach).
    ///
    /// ```swift
    /// let ticks = executor.pinnedCore.pointee.nextDeadlineTicks   // UInt64.max: no deadline
    /// ```
    public var nextDeadlineTicks: UInt64 { dueBound.ticks }

    /// The deadline register's earliest deadline (a lower bound): in the queue's
    /// table when one is attached, otherwise `dueBound` itself.
    static func registerDeadline(_ core: UnsafeMutablePointer<ExecutorCore>) -> Instant {
        if let table = core.pointee.queue { return table.pointee.registerDeadline }
        return core.pointee.dueBound
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
        let (_, slots, bytes) = Self.tally(pools)
        out.write("slots: "); out.write(slots); out.write(" of "); out.write(groupCount &* 32)
        out.write("; pool RAM: "); out.write(bytes); out.write(" bytes")
        if let budget = ramBudget { out.write(" of "); out.write(budget) }
        out.write("; timer queue: "); out.write(queue?.pointee.capacity ?? 0); out.write(" entries\n")
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
        queue = nil
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
                     flags: Waker.flags(twoLevel: core.pointee.storedGroupCountMinusOne != 0)
                        | groups.head.pointee.pendFlag)
    }

    /// Ends the task in `slot`: advances the slot's generation, so every waker
    /// made for the task becomes stale, drops it from the deadline register and
    /// the current pass, and drops its timer queue entry. Executor's thread only.
    static func endTask(_ core: UnsafeMutablePointer<ExecutorCore>, slot: Int) {
        UnsafePointer(core.pointee.groups.unsafelyUnwrapped).endTask(slot: slot)
        if core.pointee.timersArmed {
            _ = updateTimer(core, slot: UInt16(truncatingIfNeeded: slot), deadline: .distantFuture)
        }
    }

    /// Sets, replaces or (with `deadline` == ``Instant/distantFuture``) removes the
    /// timer queue entry of `slot`. Returns `false` when a new deadline has no entry
    /// (no queue, or a full one); the caller keeps it in the deadline register.
    static func updateTimer(_ core: UnsafeMutablePointer<ExecutorCore>, slot: UInt16, deadline: Instant) -> Bool {
        guard let table = core.pointee.queue else { return deadline == .distantFuture }
        // Safety: the queue code touches only this core, its queue's table and
        // entries, and (reading) its groups; executor's thread only. `attach(timers:)`
        // stored the code with the table.
        // (The queue's code lowers `dueBound` with its `earliest`.)
        return table.pointee.code.unsafelyUnwrapped.update(UnsafeMutableRawPointer(core), slot, deadline.ticks)
    }

    /// Lowers ``dueBound`` to `deadline` if that is earlier.
    @inline(__always)
    static func lowerDueBound(_ core: UnsafeMutablePointer<ExecutorCore>, to deadline: Instant) {
        if deadline < core.pointee.dueBound { core.pointee.dueBound = deadline }
    }

    /// Schedules every task in the deadline register and empties it; the caller
    /// resets the register's deadline. Returns whether it held any. `groupCount`:
    /// a constant in the executor's (specialized) code, the core's in the queue's.
    @inline(__always)
    static func fireRegister(_ core: UnsafeMutablePointer<ExecutorCore>, groupCount: Int) -> Bool {
        // Safety: PINNED; set by the first attach.
        let groups = UnsafePointer(core.pointee.groups.unsafelyUnwrapped)
        var any: UInt32 = 0
        for g in 0..<groupCount {
            let group = groups + g
            let bits = group.registered.pointee.load(ordering: .relaxed)
            if bits == 0 { continue }
            any |= bits
            group.registered.pointee.store(0, ordering: .relaxed)
            group.ready.pointee.publishingOr(bits)
            if groupCount > 1 {
                groups.head.pointee.summary.publishingOr(1 &<< UInt32(truncatingIfNeeded: g))
            }
        }
        return any != 0
    }
}
