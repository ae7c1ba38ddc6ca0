import Synchronization

/// One armed deadline: poll the task in `slot` at `deadline`.
///
/// An entry lives only as long as its task: ending a task (completion or
/// cancellation) removes its entry, so an entry always names the slot's current
/// task and firing it needs no generation check.
public struct TimerEntry: Sendable {
    /// When the task wants to be polled.
    public var deadline: Instant
    /// Executor-wide slot of the task.
    public var slot: UInt16

    /// An entry.
    public init(deadline: Instant, slot: UInt16) {
        self.deadline = deadline
        self.slot = slot
    }
}

/// Fixed-capacity storage for the executor's armed deadlines: at most one entry
/// per task (a task's timers collapse into its earliest deadline, recomputed on
/// each poll). Optional: it trades RAM and flash for precision.
///
/// # Without a queue: the deadline register
///
/// Every executor has a *deadline register*: one bit per slot in its wake groups
/// plus the earliest registered deadline. A task that waits on time sets its bit
/// and lowers that deadline in O(1). When the deadline passes, every registered task
/// is polled, and each re-registers its own next deadline (timer futures register
/// on every poll). A task whose deadline is later than the earliest is therefore
/// polled early — harmless, because every timer future compares the clock itself
/// and never fires early — and that is the register's only cost. For an app whose
/// timed tasks share a period (one blinking task, a few tickers in step), the
/// register alone is exact, uses no RAM beyond the wake groups, and links none of
/// the queue's code: the smallest Pollen images use it.
///
/// # With a queue: exact deadlines
///
/// `Executor.attach(timers:)` adds an unsorted table of `capacity` entries: up to
/// `capacity` tasks wait on their own deadline and are polled only when it passes.
/// Every operation is a scan of at most `capacity` entries, which for the handful of
/// timers firmware uses is cheaper than keeping a heap ordered.
///
/// Beyond capacity no timer is lost: the deadline goes to the register (above).
/// Each such overflow is counted in ``Executor/timerOverflows``, and
/// ``Executor/describeTimerQueue(to:)`` reports it in words with the capacity to use
/// instead ("timer queue: capacity 1, overflowed 3 times (peak demand 2 tasks); …
/// raise the TimerQueue capacity to 2"). Size the queue to the number of tasks that
/// wait on time at once and the counter stays at zero.
///
/// RAM: the entries (16 bytes each on 32-bit Arm) and the table's bookkeeping
/// (``TimerTable``: 40 bytes there), which the executor reaches through one
/// pointer: an executor without a queue pays none of it.
public struct TimerQueue<let capacity: Int>: ~Copyable {
    /// The bookkeeping; the entries follow it (``TimerTable/entriesOffset``,
    /// checked by `Executor.attach(timers:)`).
    var table: TimerTable
    var entries: InlineArray<capacity, TimerEntry>

    /// An empty queue.
    public init() {
        table = TimerTable()
        entries = InlineArray(repeating: TimerEntry(deadline: .distantFuture, slot: 0))
    }
}

/// The queue's code, reached only through the function pointers that
/// `Executor.attach(timers:)` stores in the queue's table: an executor that never
/// attaches a queue links none of it (on Cortex-M that is about 400 bytes of
/// flash). Plain C function pointers, so storing them allocates nothing. Each
/// takes the executor's core (which points to the table and holds the wake
/// groups' address).
struct TimerQueueCode {
    /// ``TimerTable/updateEntries(_:slot:deadline:groups:groupCount:)`` (the
    /// deadline as ticks).
    let update: @convention(c) (UnsafeMutableRawPointer, UInt16, UInt64) -> Bool
    /// Fires the deadline register if its deadline (kept in the table) passed,
    /// then ``TimerTable/expireEntries(_:now:groups:)`` (`now` as ticks).
    let expire: @convention(c) (UnsafeMutableRawPointer, UInt64) -> Bool

    /// The code of every ``TimerQueue`` (the table does not depend on the capacity).
    static var standard: TimerQueueCode {
        TimerQueueCode(
            update: { core, slot, deadline in
                let core = core.assumingMemoryBound(to: ExecutorCore.self)
                // Safety: PINNED; the groups are set by the first attach, before any
                // slot exists, and the table by `attach(timers:)`, with this code.
                let groups = UnsafePointer(core.pointee.groups.unsafelyUnwrapped)
                let table = core.pointee.queue.unsafelyUnwrapped
                let kept = TimerTable.updateEntries(table, slot: slot, deadline: Instant(ticks: deadline),
                                                    groups: groups, groupCount: core.pointee.groupCount)
                // No entry for a deadline: it goes to the register (the caller
                // sets the slot's bit), whose earliest deadline the table keeps.
                if !kept && Instant(ticks: deadline) < table.pointee.registerDeadline {
                    table.pointee.registerDeadline = Instant(ticks: deadline)
                }
                let count = table.pointee.count
                core.pointee.timersArmed = count != 0
                if count == 0 {
                    // The last entry gone: the register's deadline is the bound (exact).
                    core.pointee.dueBound = table.pointee.registerDeadline
                } else {
                    ExecutorCore.lowerDueBound(core, to: table.pointee.earliest)
                }
                return kept
            },
            expire: { core, now in
                // The register (whose deadline the table keeps), then the entries.
                let core = core.assumingMemoryBound(to: ExecutorCore.self)
                let table = core.pointee.queue.unsafelyUnwrapped
                let now = Instant(ticks: now)
                var fired = false
                if table.pointee.registerDeadline <= now {
                    table.pointee.registerDeadline = .distantFuture
                    fired = ExecutorCore.fireRegister(core, groupCount: core.pointee.groupCount)
                }
                if table.pointee.count != 0 {
                    let groups = UnsafePointer(core.pointee.groups.unsafelyUnwrapped)
                    if TimerTable.expireEntries(table, now: now, groups: groups) { fired = true }
                }
                core.pointee.timersArmed = table.pointee.count != 0
                // Exact: `earliest` is (recomputed when any entry was due), the register too.
                core.pointee.dueBound = min(table.pointee.earliest, table.pointee.registerDeadline)
                return fired
            })
    }
}

/// The non-generic timer bookkeeping of a ``TimerQueue``, at its start (its
/// entries follow): how many entries it has and uses, their earliest deadline,
/// the deadline register's earliest deadline, the queue's code and the overflow
/// statistics. The executor reaches it through one pointer (`ExecutorCore.queue`)
/// and keeps only a flag for "any entry" (`ExecutorCore.timersArmed`), which
/// the pass tests after every poll. ``ExecutorCore/timers`` returns a copy.
public struct TimerTable {
    /// No entry is due before this instant (``Instant/distantFuture`` when empty).
    /// A lower bound, kept cheaply: an update lowers it, a removal leaves it (unless
    /// it empties the table), `expire` recomputes it exactly. Waking at a bound that turns out early costs
    /// one extra idle round, never a missed deadline.
    public internal(set) var earliest: Instant {
        get { storedEarliest.instant }
        set { storedEarliest.instant = newValue }
    }
    var storedEarliest = InvertedInstant()
    /// The deadline register's earliest deadline (see ``TimerQueue``), a lower
    /// bound; kept here while a queue is attached (without one, the executor's
    /// `dueBound` is it).
    var registerDeadline: Instant {
        get { storedRegisterDeadline.instant }
        set { storedRegisterDeadline.instant = newValue }
    }
    var storedRegisterDeadline = InvertedInstant()
    /// The queue's code; set by `Executor.attach(timers:)`.
    var code: TimerQueueCode?
    /// Entries available.
    public internal(set) var capacity: Int = 0
    /// Entries in use (the first `count` entries).
    public internal(set) var count: Int = 0
    /// Deadlines that found the queue full (and went to the deadline register).
    public internal(set) var overflows: Int = 0
    /// Most tasks seen waiting on a deadline at once (queue entries plus the deadline
    /// register), counted when the queue overflows; 0 until then.
    public internal(set) var peakDemand: Int = 0

    init() {
        code = nil
    }

    /// Where a ``TimerQueue``'s entries start, from its table (Swift lays out the
    /// queue's two fields in order; `Executor.attach(timers:)` checks it).
    static var entriesOffset: Int {
        alignedUp(MemoryLayout<TimerTable>.size, to: MemoryLayout<TimerEntry>.alignment)
    }

    /// The entries of the queue whose table is at `table`.
    @inline(__always)
    static func entries(_ table: UnsafeMutablePointer<TimerTable>) -> UnsafeMutablePointer<TimerEntry> {
        // Safety: the table is the first field of a pinned TimerQueue (checked by
        // `attach(timers:)`), its `capacity` entries follow at `entriesOffset`.
        (UnsafeMutableRawPointer(table) + entriesOffset).assumingMemoryBound(to: TimerEntry.self)
    }

    // MARK: The queue's code (reached through `TimerQueueCode` only)

    /// `update`, in one scan. Removing leaves `earliest` as it is (still a lower
    /// bound, corrected by the next `expire`) unless it empties the table. A
    /// deadline that finds the queue full is counted as an overflow, with the
    /// demand: entries plus registered tasks (this one included).
    static func updateEntries(_ table: UnsafeMutablePointer<TimerTable>, slot: UInt16, deadline: Instant,
                              groups: UnsafePointer<WakeGroup>, groupCount: Int) -> Bool {
        let e = entries(table)
        var count = table.pointee.count
        var i = 0
        while i < count && e[i].slot != slot { i &+= 1 }
        if deadline == .distantFuture {
            if i < count {
                count &-= 1
                table.pointee.count = count
                e[i] = e[count]
                // The last entry gone: no bound left to keep. (Otherwise `expire`,
                // which runs only while entries remain, would never correct it, and
                // a stale `earliest` in the past would keep the executor awake.)
                if count == 0 { table.pointee.earliest = .distantFuture }
            }
            return true
        }
        if i == count {
            guard count < table.pointee.capacity else {
                table.pointee.overflows &+= 1
                var demand = count
                for g in 0..<groupCount {
                    var bits = (groups + g).registered.pointee.load(ordering: .relaxed)
                    if g == Int(slot &>> 5) { bits |= 1 &<< UInt32(slot & 31) }
                    demand &+= bits.nonzeroBitCount
                }
                if demand > table.pointee.peakDemand { table.pointee.peakDemand = demand }
                return false
            }
            table.pointee.count = count &+ 1
        }
        e[i] = TimerEntry(deadline: deadline, slot: slot)
        if deadline < table.pointee.earliest { table.pointee.earliest = deadline }
        return true
    }

    /// `expire`, and `earliest` recomputed exactly from the entries that stay, in
    /// one scan. An entry is removed when its task ends, so it names the slot's
    /// current task: no generation check is needed.
    static func expireEntries(_ table: UnsafeMutablePointer<TimerTable>, now: Instant,
                              groups: UnsafePointer<WakeGroup>) -> Bool {
        guard table.pointee.earliest <= now else { return false }
        let e = entries(table)
        var count = table.pointee.count
        var remaining = Instant.distantFuture
        var fired = 0
        var i = 0
        while i < count {
            let entry = e[i]
            if entry.deadline <= now {
                count &-= 1
                e[i] = e[count]
                groups.schedule(slot: Int(truncatingIfNeeded: entry.slot))
                fired &+= 1
            } else {
                if entry.deadline < remaining { remaining = entry.deadline }
                i &+= 1
            }
        }
        table.pointee.count = count
        table.pointee.earliest = remaining
        return fired > 0
    }
}
