/// A mutex for tasks: at most one task at a time holds the guard that gives
/// access to the value; the others sleep until it is their turn. The lock can
/// be held across polls (across timers, channel waits, …), unlike a critical
/// section.
///
/// ```swift
/// var counter = AsyncMutex<Int, 4>(0)          // a global on firmware (PINNED)
/// // A future that waits for the lock, runs the body, unlocks, returns the result:
/// var bump = counter.withLock { (value: inout Int) in value += 1; return value }
///
/// // Holding the lock across polls (from MutexTests.MutexUser): the task keeps
/// // `lock: AsyncMutexLock<Int, 4>?` and `held: AsyncMutexGuard<Int, 4>?`.
/// held = lock!.poll(&context)                    // nil: still waiting (woken when it is our turn)
/// guard held != nil else { return .pending }
/// held!.value += 1                               // … later polls may use it too …
/// held = nil                                     // dropping the guard unlocks
/// ```
///
/// Fairness: strictly FIFO. When the guard is dropped, the lock is handed
/// directly to the oldest waiting task (it stays locked on its behalf until that
/// task is polled and takes it); a task asking later cannot barge in ahead of
/// the queue.
///
/// Why the lock future hands out its guard through ``AsyncMutexLock/poll(_:)``
/// instead of being a `Future` whose output is the guard: `Future.Output` must be
/// copyable (Swift does not yet allow non-copyable associated types without an
/// experimental feature), and a guard must not be copyable. Use
/// ``withLock(_:)`` when the critical section is synchronous; keep the guard in
/// the task's state to hold the lock across waits.
///
/// Capacity: `waiters` tasks can queue while sleeping. A task that finds the
/// queue full wakes itself and retries on every executor pass (busy, never
/// hung); it gets the lock only when the mutex is free and nobody is queued, so
/// fairness beyond capacity is not guaranteed.
///
/// Cancel safety: dropping a pending lock future removes its queue entry. If the
/// lock had already been handed to it, dropping it passes the lock to the next
/// waiter (or unlocks). A waiter whose task ended without dropping the future
/// (its waker went stale) is skipped, and a lock handed to a stale waker is taken
/// back at the next lock attempt: a cancelled waiter never deadlocks the mutex.
/// A task must not lock the same mutex twice (that deadlocks, as any mutex).
///
/// Invariant PINNED: once ``lock()`` has been called, the mutex must stay at one
/// address while any lock future or guard exists. Not interrupt-safe: use from
/// task context.
///
/// One executor only (one priority level): the first lock future polled binds
/// the mutex to its task's executor, and a lock future polled by a task of
/// another executor stops the program ("AsyncMutex: locked from two
/// executors"). Across levels a mutex would invert priority (a high-level task
/// waiting for a lock that a thread-mode task holds waits for the thread) and its
/// state is not interrupt-safe. The type system cannot catch this (a future does
/// not know which executor polls it), so the check is at run time: one
/// comparison per lock poll. Across levels, hand data over through a
/// `ChannelSender` or an `InterruptSignal` instead.
public struct AsyncMutex<Value: ~Copyable, let waiters: Int>: ~Copyable {
    var value: Value
    /// The executor of the first task that polled a lock future (see the type's
    /// documentation); `nil` until then.
    var executor: UnsafeRawPointer? = nil
    var locked = false
    /// The waiter the lock was handed to, until it takes it.
    var handoff: Waker? = nil
    var list = WaiterList<waiters>()

    /// An unlocked mutex protecting `value`.
    public init(_ value: consuming Value) {
        self.value = value
    }

    /// Whether a guard exists or the lock has been handed to a waiter.
    public var isLocked: Bool { locked }

    /// Number of tasks queued for the lock.
    public var waiterCount: Int { list.count }

    /// A future that waits for the lock; poll it with ``AsyncMutexLock/poll(_:)``
    /// until it hands out the guard. Invariant PINNED: see the type's documentation.
    public mutating func lock() -> AsyncMutexLock<Value, waiters> {
        AsyncMutexLock(mutex: withUnsafeMutablePointer(to: &self) { $0 })
    }

    /// The guard, if the mutex is free and nobody is queued; never waits.
    public mutating func tryLock() -> AsyncMutexGuard<Value, waiters>? {
        reclaimStaleHandoff()
        guard !locked else { return nil }
        locked = true
        return AsyncMutexGuard(mutex: withUnsafeMutablePointer(to: &self) { $0 })
    }

    /// A future that takes the lock, runs `body` on the value, unlocks, and
    /// completes with `body`'s result. On firmware `body` must not capture
    /// anything (a capturing closure allocates; `-no-allocations` rejects it).
    ///
    /// ```swift
    /// var bump = counter.withLock { (value: inout Int) in value += 1; return value }
    /// ```
    ///
    /// Cancel safety: that of the lock future; `body` runs only once the lock is held.
    public mutating func withLock<R>(_ body: @escaping (inout Value) -> R) -> AsyncMutexWithLock<Value, waiters, R> {
        AsyncMutexWithLock(lock: lock(), body: body)
    }

    /// Releases the lock: hands it to the oldest live waiter, or unlocks.
    mutating func unlock() {
        if let next = list.popOldestLive() {
            handoff = next
            next.wake()
        } else {
            handoff = nil
            locked = false
        }
    }

    /// A lock handed to a task that has ended is passed on.
    mutating func reclaimStaleHandoff() {
        if let waker = handoff, waker.isStale { unlock() }
    }
}

/// Waits for an ``AsyncMutex``: poll it with ``poll(_:)`` until it returns the guard.
///
/// ```swift
/// var locking = mutex.lock()
/// if var held = locking.poll(&context) { held.value += 1 }   // nil: still waiting
/// ```
///
/// Cancel safety: see ``AsyncMutex`` (dropping it dequeues it, or passes on a
/// lock already handed to it).
public struct AsyncMutexLock<Value: ~Copyable, let waiters: Int>: ~Copyable {
    let mutex: UnsafeMutablePointer<AsyncMutex<Value, waiters>>
    var state = WaitRegistration.initial
    /// Makes the deinit run on the host (see ``DropAnchor``).
    let anchor = DropAnchor()

    init(mutex: UnsafeMutablePointer<AsyncMutex<Value, waiters>>) {
        self.mutex = mutex
    }

    /// Returns the guard once the lock is this task's; `nil` while waiting (the
    /// task is woken when its turn comes). Do not poll again after it returned
    /// the guard.
    public mutating func poll(_ context: inout Context) -> AsyncMutexGuard<Value, waiters>? {
        // Safety: PINNED, the mutex outlives this future and its guard.
        if case .done = state { preconditionFailure("AsyncMutexLock polled after it returned the guard") }
        let executor = context.waker.executorIdentity
        if let bound = mutex.pointee.executor {
            precondition(bound == executor,
                         "AsyncMutex: locked from two executors (two priority levels): that inverts priority and is not interrupt-safe; connect levels with a ChannelSender or an InterruptSignal")
        } else {
            mutex.pointee.executor = executor
        }
        mutex.pointee.reclaimStaleHandoff()
        if let handed = mutex.pointee.handoff, handed.schedulesSameTask(as: context.waker) {
            mutex.pointee.handoff = nil
            state = .done
            return AsyncMutexGuard(mutex: mutex)
        }
        if !mutex.pointee.locked {
            // Free and nobody queued (a release with waiters hands the lock over
            // instead of unlocking).
            if case .listed(let waker) = state { mutex.pointee.list.remove(waker) }
            mutex.pointee.locked = true
            state = .done
            return AsyncMutexGuard(mutex: mutex)
        }
        if case .listed(let waker) = state, mutex.pointee.list.contains(waker) {
            return nil   // spurious poll: still queued, keep the place
        }
        state = mutex.pointee.list.enlist(context.waker)
        return nil
    }

    deinit {
        guard case .listed(let waker) = state else { return }
        if let handed = mutex.pointee.handoff, handed.schedulesSameTask(as: waker) {
            // The lock was handed to us but never taken: pass it on.
            mutex.pointee.unlock()
        } else {
            mutex.pointee.list.remove(waker)
        }
    }
}

/// Access to the value of a locked ``AsyncMutex``. Exactly one guard exists while
/// the mutex is locked; dropping it (or ``unlock()``) releases the lock to the
/// oldest waiter.
///
/// ```swift
/// if var held = counter.tryLock() {
///     held.value += 1
/// }   // unlocked here
/// ```
///
/// Keep it in a task's state (an optional stored property) to hold the lock
/// across polls. Store it there first and reach the value through the property
/// (`held!.value`): with this toolchain a guard bound by `if let`/`guard let`
/// cannot be moved elsewhere after its `value` has been accessed. Invariant
/// PINNED: it points at the mutex.
public struct AsyncMutexGuard<Value: ~Copyable, let waiters: Int>: ~Copyable {
    let mutex: UnsafeMutablePointer<AsyncMutex<Value, waiters>>
    /// Makes the deinit run on the host (see ``DropAnchor``).
    let anchor = DropAnchor()

    init(mutex: UnsafeMutablePointer<AsyncMutex<Value, waiters>>) {
        self.mutex = mutex
    }

    /// The protected value, in place.
    public var value: Value {
        unsafeAddress {
            // Safety: PINNED; the guard holds the lock, so nobody else accesses it.
            UnsafePointer(withUnsafeMutablePointer(to: &mutex.pointee.value) { $0 })
        }
        unsafeMutableAddress {
            withUnsafeMutablePointer(to: &mutex.pointee.value) { $0 }
        }
    }

    /// Releases the lock now (same as dropping the guard).
    public consuming func unlock() {}

    deinit {
        mutex.pointee.unlock()
    }
}

/// Takes an ``AsyncMutex``'s lock, runs a function on the value, unlocks, and
/// completes with the function's result. Made by ``AsyncMutex/withLock(_:)``.
///
/// ```swift
/// var bump = counter.withLock { (value: inout Int) in value += 1; return value }
/// ```
///
/// Cancel safety: that of ``AsyncMutexLock``; the function runs only once the
/// lock is held, and the lock is released in the same poll.
public struct AsyncMutexWithLock<Value: ~Copyable, let waiters: Int, R>: ~Copyable, Future {
    var lock: AsyncMutexLock<Value, waiters>
    let body: (inout Value) -> R

    init(lock: consuming AsyncMutexLock<Value, waiters>, body: @escaping (inout Value) -> R) {
        self.lock = lock
        self.body = body
    }

    /// Waits for the lock, then runs the function and unlocks.
    public mutating func poll(_ context: inout Context) -> Poll<R> {
        guard var held = lock.poll(&context) else { return .pending }
        let result = body(&held.value)
        return .ready(result)   // `held` is dropped here: unlocked in this poll
    }
}
