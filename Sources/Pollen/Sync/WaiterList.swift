/// A fixed-capacity set of wakers of tasks waiting for one event.
///
/// Used by every primitive that makes tasks wait (join handles, ``Notify``,
/// ``AsyncMutex``, ``Channel``). Registering the same task twice keeps one entry
/// (the newest waker). Wakers of tasks that were cancelled or completed while
/// waiting are released: they are skipped when woken, and purged when the list
/// is full.
///
/// Beyond capacity: ``register(_:)`` returns `false` and the caller wakes its own
/// task immediately instead, so the task is polled again on the next executor pass
/// and retries. No wake-up is ever lost; an overloaded list degrades to polling,
/// never to a hang. Each primitive documents its capacity.
///
/// Not interrupt-safe: register and wake from task context.
public struct WaiterList<let capacity: Int> {
    var entries: InlineArray<capacity, Waker?>
    /// Number of registered wakers.
    public private(set) var count: Int

    /// An empty list.
    public init() {
        entries = InlineArray(repeating: nil)
        count = 0
    }

    /// `true` when no task waits.
    public var isEmpty: Bool { count == 0 }

    /// Adds `waker`, replacing an older waker of the same task. Returns `false`
    /// (and adds nothing) when the list is full.
    public mutating func register(_ waker: Waker) -> Bool {
        for i in 0..<count where entries[i]!.schedulesSameTask(as: waker) {
            entries[i] = waker.marked(entries[i]!.isMarked)   // keeps a release mark
            return true
        }
        if count == capacity { removeStale() }
        guard count < capacity else { return false }
        entries[count] = waker
        count += 1
        return true
    }

    /// Removes the waker of the task `waker` schedules, if present.
    public mutating func remove(_ waker: Waker) {
        for i in 0..<count where entries[i]!.schedulesSameTask(as: waker) {
            removeEntry(at: i)
            return
        }
    }

    /// Wakes and removes the oldest waiter whose task still exists. Returns `false`
    /// when no live waiter was found (the list is then empty).
    @discardableResult
    public mutating func wakeOne() -> Bool {
        while count > 0 {
            let w = entries[0]!
            removeEntry(at: 0)
            if w.wake() == .woken { return true }
        }
        return false
    }

    /// Wakes and removes every waiter. Returns how many live tasks were woken.
    @discardableResult
    public mutating func wakeAll() -> Int {
        var woken = 0
        for i in 0..<count where entries[i]!.wake() == .woken { woken += 1 }
        for i in 0..<count { entries[i] = nil }
        count = 0
        return woken
    }

    /// Drops the wakers of tasks that have ended (cancelled while waiting, say).
    /// `register` does this by itself when the list is full.
    public mutating func removeStale() {
        var i = 0
        while i < count {
            if entries[i]!.isStale { removeEntry(at: i) } else { i += 1 }
        }
    }

    /// Order-preserving removal (FIFO fairness for ``wakeOne()``).
    mutating func removeEntry(at index: Int) {
        var i = index
        while i + 1 < count {
            entries[i] = entries[i + 1]
            i += 1
        }
        entries[count - 1] = nil
        count -= 1
    }
}
