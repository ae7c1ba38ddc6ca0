// Helpers the synchronization primitives (Notify, Signal, AsyncMutex, Channel)
// use to tell "still waiting" from "was woken" without per-waiter nodes.
//
// A wait future remembers the waker it registered. The primitive removes an
// entry exactly when it wakes that waiter (`wakeOne`, `wakeAll`, `popOldestLive`)
// or when the task has ended (`removeStale`, and then the future no longer
// exists). So a live wait future whose waker is no longer listed has been woken
// by the primitive, and owns whatever the wake handed it (a notification, the
// lock, room in a channel). If it is dropped before using it, its deinit passes
// it on to the next waiter. This is what keeps a cancelled waiter from losing a
// wake-up or deadlocking a primitive.
//
// Entries are per task (``WaiterList`` keeps one per task): two wait futures of
// the same task on the same primitive share one entry. Each primitive documents
// that a task should have one pending wait on it at a time.

extension WaiterList {
    /// Whether the task that `waker` schedules has an entry.
    func contains(_ waker: Waker) -> Bool {
        for i in 0..<count where entries[i]!.schedulesSameTask(as: waker) { return true }
        return false
    }

    /// Registers `waker` and returns `.listed(waker)`; when the list is full, wakes
    /// the task at once instead (it retries on the next pass) and returns `.polling`.
    mutating func enlist(_ waker: Waker) -> WaitRegistration {
        if register(waker) { return .listed(waker) }
        waker.wake()
        return .polling
    }

    /// Where the task that `waker` schedules stands in the list.
    func entry(of waker: Waker) -> WaiterEntry {
        for i in 0..<count {
            let listed = entries[i].unsafelyUnwrapped
            if listed.schedulesSameTask(as: waker) { return listed.isMarked ? .released : .waiting }
        }
        return .absent
    }

    /// Wakes the oldest waiting (unreleased) entry whose task still exists and
    /// marks it released, keeping it listed until its future takes the release
    /// or passes it on. Entries of ended tasks met on the way are dropped.
    /// Returns `false` when no entry was waiting.
    mutating func releaseOldest() -> Bool {
        var i = 0
        while i < count {
            let listed = entries[i].unsafelyUnwrapped
            if listed.isMarked { i += 1; continue }
            if listed.wake() == .stale { removeEntry(at: i); continue }
            entries[i] = listed.marked(true)
            return true
        }
        return false
    }

    /// Wakes and removes every waiting (unreleased) entry; released entries stay
    /// listed (they own their release until their future takes it or passes it on).
    mutating func wakeAndRemoveWaiting() {
        var i = 0
        while i < count {
            let listed = entries[i].unsafelyUnwrapped
            if listed.isMarked { i += 1; continue }
            listed.wake()
            removeEntry(at: i)
        }
    }

    /// Removes and returns the oldest waiter whose task still exists, without
    /// waking it. Entries of ended tasks met on the way are dropped.
    mutating func popOldestLive() -> Waker? {
        while count > 0 {
            let waker = entries[0]!
            removeEntry(at: 0)
            if !waker.isStale { return waker }
        }
        return nil
    }
}

/// Where a task stands in a ``WaiterList`` (see ``WaiterList/entry(of:)``).
enum WaiterEntry {
    /// Not listed: never registered, or removed by a wake-and-remove.
    case absent
    /// Listed, waiting.
    case waiting
    /// Listed and released: it was handed something (a notification) that its
    /// future has not taken yet.
    case released
}

/// Where a wait future stands with respect to its primitive's waiter list.
enum WaitRegistration {
    /// Not polled yet.
    case initial
    /// Registered with this waker (in the list until the primitive wakes it).
    case listed(Waker)
    /// The list was full: the task wakes itself and retries on every pass.
    case polling
    /// Completed: the future has taken what it waited for.
    case done
}
