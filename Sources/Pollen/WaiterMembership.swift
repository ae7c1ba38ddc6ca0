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
