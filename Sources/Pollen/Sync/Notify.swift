import Synchronization

/// An event tasks wait for: ``notifyOne()`` releases one waiter, ``notifyAll()``
/// releases every task waiting at that moment.
///
/// ```swift
/// var dataReady = Notify<4>()                 // a global on firmware (PINNED)
/// // producer task:   dataReady.notifyOne()
/// // consumer task:   var wait = dataReady.wait()   … poll it until .ready
/// ```
///
/// Permit: a ``notifyOne()`` while no task waits is not lost: one permit is
/// stored, and the next ``wait()`` completes at its first poll, consuming it
/// (like tokio's `Notify`). Permits do not add up: several `notifyOne()` calls
/// with nobody waiting store one. ``notifyAll()`` releases only the tasks
/// already waiting and stores nothing.
///
/// Order: `notifyOne()` releases the waiter that registered first (FIFO), skipping
/// tasks that have ended.
///
/// Capacity: `waiters` tasks can wait at once while sleeping (see
/// ``WaiterList``). A waiter that finds the list full wakes itself and is
/// polled on every executor pass instead (busy, never hung): it still sees
/// `notifyAll()` and stored permits, but `notifyOne()` prefers listed waiters.
///
/// Cancel safety: dropping a pending wait removes its entry. If the wait had
/// already been released by `notifyOne()` but was dropped before it completed,
/// the notification is passed on to the next waiter (or stored as the permit),
/// so no notification is lost to a cancelled waiter. A task should have at most
/// one pending wait on a given `Notify` (entries are per task).
///
/// Invariant PINNED: once ``wait()`` has been called, the `Notify` must stay at
/// one address (a global on firmware, ``Pinned`` storage on the host) while any
/// wait future exists: the futures point at it. Not interrupt-safe: use from
/// task context.
public struct Notify<let waiters: Int>: ~Copyable {
    /// Waiting tasks, and tasks released by `notifyOne()` that have not taken
    /// their notification yet (marked released; see ``WaiterList/releaseOldest()``).
    var list = WaiterList<waiters>()
    var permit = false
    /// Advanced by every `notifyAll`; a waiter polling because the list was full
    /// sees it move.
    var epoch: UInt32 = 0

    /// An event with no permit and no waiter.
    public init() {}

    /// Whether a permit is stored (a `notifyOne()` nobody has consumed yet).
    public var hasPermit: Bool { permit }

    /// Number of tasks listed: waiting, or released by `notifyOne()` and not yet
    /// polled.
    public var waiterCount: Int { list.count }

    /// Releases the oldest waiting task; with none waiting, stores the permit.
    public mutating func notifyOne() {
        if !list.releaseOldest() { permit = true }
    }

    /// Releases every task waiting now (including ones polling because the
    /// list was full). Stores no permit. A task already released by
    /// `notifyOne()` keeps that notification (it is not released twice).
    public mutating func notifyAll() {
        epoch &+= 1
        list.wakeAndRemoveWaiting()
    }

    /// A future that completes when this event is notified (or at once, taking
    /// the stored permit). Invariant PINNED: see the type's documentation.
    public mutating func wait() -> NotifyWait<waiters> {
        NotifyWait(notify: withUnsafeMutablePointer(to: &self) { $0 })
    }
}

/// Waits for a ``Notify``. Completes with `Void` when released by `notifyOne()`
/// or `notifyAll()`, or at its first poll if a permit is stored.
///
/// ```swift
/// var wait = event.wait()
/// if case .ready = wait.poll(&context) { … }
/// ```
///
/// Cancel safety: see ``Notify`` (a dropped wait removes itself; a wait released
/// by `notifyOne()` but dropped before it completed passes its notification on).
public struct NotifyWait<let waiters: Int>: ~Copyable, Future {
    let notify: UnsafeMutablePointer<Notify<waiters>>
    var state = WaitRegistration.initial
    /// The `notifyAll` epoch when the wait started (for the `.polling` state).
    var epoch: UInt32 = 0
    /// Makes the deinit run on the host (see ``DropAnchor``).
    let anchor = DropAnchor()

    init(notify: UnsafeMutablePointer<Notify<waiters>>) {
        self.notify = notify
    }

    /// Completes once released; see ``Notify``.
    public mutating func poll(_ context: inout Context) -> Poll<Void> {
        // Safety: PINNED, the Notify outlives this future.
        switch state {
        case .initial:
            if notify.pointee.permit {
                notify.pointee.permit = false
                state = .done
                return .ready(())
            }
            epoch = notify.pointee.epoch
        case .listed(let waker):
            switch notify.pointee.list.entry(of: waker) {
            case .waiting:
                return .pending   // spurious poll: still waiting, keep the place
            case .released:
                notify.pointee.list.remove(waker)   // takes the notifyOne
                state = .done
                return .ready(())
            case .absent:
                state = .done                     // released (and removed) by notifyAll
                return .ready(())
            }
        case .polling:
            if notify.pointee.epoch != epoch {
                state = .done
                return .ready(())
            }
            if notify.pointee.permit {
                notify.pointee.permit = false
                state = .done
                return .ready(())
            }
        case .done:
            preconditionFailure("NotifyWait polled after it completed")
        }
        state = notify.pointee.list.enlist(context.waker)
        return .pending
    }

    deinit {
        guard case .listed(let waker) = state else { return }
        switch notify.pointee.list.entry(of: waker) {
        case .waiting:
            notify.pointee.list.remove(waker)
        case .released:
            // Released by notifyOne, but dropped before completing: pass it on.
            notify.pointee.list.remove(waker)
            notify.pointee.notifyOne()
        case .absent:
            break   // released by notifyAll: nothing to pass on
        }
    }
}
