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
/// each poll).
///
/// Capacity: `capacity` tasks may wait on a deadline at the same time. Attach it
/// with `Executor.attach(timers:)`; an executor without one treats every deadline
/// as an overflow.
///
/// Beyond capacity no timer is lost: the executor keeps an overflow register (one
/// bit per slot in its wake groups, plus the earliest overflowing deadline). When
/// that deadline passes, every overflowed task is polled; each re-registers its
/// deadline (in the queue if an entry has freed up, else in the register again).
/// The earliest overflowing deadline is therefore exact; later ones may see an
/// extra, early poll, which is harmless because every timer future compares the
/// clock itself and never fires early. Each overflow is counted in
/// ``Executor/timerOverflows``, and ``Executor/describeTimerQueue(to:)`` reports it
/// in words with the capacity to use instead ("timer queue: capacity 1, overflowed
/// 3 times (peak demand 2 tasks); … raise the TimerQueue capacity to 2"). Size the
/// queue to the number of tasks that wait on time at once and the counter stays at
/// zero.
public struct TimerQueue<let capacity: Int>: ~Copyable {
    var entries: InlineArray<capacity, TimerEntry>

    /// An empty queue.
    public init() {
        entries = InlineArray(repeating: TimerEntry(deadline: .distantFuture, slot: 0))
    }
}

/// The non-generic timer bookkeeping inside an executor: a pointer to the attached
/// queue's entries and how many are in use. Unsorted; every operation is a scan of
/// at most `capacity` entries, which for the handful of timers firmware uses is
/// cheaper than keeping a heap ordered.
public struct TimerTable {
    /// Invariant PINNED: the attached ``TimerQueue`` stays at this address.
    var entries: UnsafeMutablePointer<TimerEntry>?
    /// Entries available.
    public internal(set) var capacity: Int = 0
    /// Entries in use (they are `entries[0..<count]`).
    public internal(set) var count: Int = 0
    /// No entry is due before this instant (``Instant/distantFuture`` when empty).
    /// A lower bound, kept cheaply: `set` lowers it, `remove` leaves it, `expire`
    /// recomputes it exactly. Waking at a bound that turns out early costs one
    /// extra idle round, never a missed deadline.
    public internal(set) var earliest: Instant = .distantFuture

    init() { entries = nil }

    /// Sets, replaces or (with `deadline` == ``Instant/distantFuture``) removes the
    /// deadline of `slot`, in one scan. Returns `false` only when a new entry does not
    /// fit (the table is full); the caller then keeps the deadline elsewhere.
    /// Removing leaves `earliest` as it is: still a lower bound, corrected by the
    /// next `expire`.
    mutating func update(slot: UInt16, deadline: Instant) -> Bool {
        guard let e = entries else { return deadline == .distantFuture }
        var i = 0
        while i < count && e[i].slot != slot { i &+= 1 }
        if deadline == .distantFuture {
            if i < count {
                count &-= 1
                e[i] = e[count]
            }
            return true
        }
        if i == count {
            guard count < capacity else { return false }
            count &+= 1
        }
        e[i] = TimerEntry(deadline: deadline, slot: slot)
        if deadline < earliest { earliest = deadline }
        return true
    }

    /// Removes the deadline of `slot`, if any.
    mutating func remove(slot: UInt16) {
        _ = update(slot: slot, deadline: .distantFuture)
    }

    /// Removes every entry whose deadline is at or before `now`, calling `fire` with
    /// each, and recomputes `earliest` exactly from the entries that stay (one scan).
    mutating func expire(now: Instant, _ fire: (TimerEntry) -> Void) {
        guard let e = entries, earliest <= now else { return }
        var remaining = Instant.distantFuture
        var i = 0
        while i < count {
            let entry = e[i]
            if entry.deadline <= now {
                count &-= 1
                e[i] = e[count]
                fire(entry)
            } else {
                if entry.deadline < remaining { remaining = entry.deadline }
                i &+= 1
            }
        }
        earliest = remaining
    }
}
