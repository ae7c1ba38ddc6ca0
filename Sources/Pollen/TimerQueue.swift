/// One armed deadline: poll task `slot` (of generation `generation`) at `deadline`.
public struct TimerEntry: Sendable {
    /// When the task wants to be polled.
    public var deadline: Instant
    /// Executor-wide slot of the task.
    public var slot: UInt16
    /// Generation of the task (a cancelled task's entry is stale).
    public var generation: UInt8

    /// An entry.
    public init(deadline: Instant, slot: UInt16, generation: UInt8) {
        self.deadline = deadline
        self.slot = slot
        self.generation = generation
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
        entries = InlineArray(repeating: TimerEntry(deadline: .distantFuture, slot: 0, generation: 0))
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

    /// Sets (or replaces) the deadline of `slot`. Returns `false` when the table is full.
    mutating func set(slot: UInt16, generation: UInt8, deadline: Instant) -> Bool {
        guard let e = entries else { return false }
        if deadline < earliest { earliest = deadline }
        for i in 0..<count where e[i].slot == slot {
            e[i] = TimerEntry(deadline: deadline, slot: slot, generation: generation)
            return true
        }
        guard count < capacity else { return false }
        e[count] = TimerEntry(deadline: deadline, slot: slot, generation: generation)
        count += 1
        return true
    }

    /// Removes the deadline of `slot`, if any. `earliest` is left as it is: still a
    /// lower bound, corrected by the next `expire`.
    mutating func remove(slot: UInt16) {
        guard let e = entries else { return }
        for i in 0..<count where e[i].slot == slot {
            count -= 1
            e[i] = e[count]
            return
        }
    }

    /// Removes every entry whose deadline is at or before `now`, calling `fire` with each.
    mutating func expire(now: Instant, _ fire: (TimerEntry) -> Void) {
        guard let e = entries, earliest <= now else { return }
        var i = 0
        while i < count {
            if e[i].deadline <= now {
                let entry = e[i]
                count -= 1
                e[i] = e[count]
                fire(entry)
            } else {
                i += 1
            }
        }
        recomputeEarliest()
    }

    mutating func recomputeEarliest() {
        var m = Instant.distantFuture
        if let e = entries {
            for i in 0..<count where e[i].deadline < m { m = e[i].deadline }
        }
        earliest = m
    }
}
