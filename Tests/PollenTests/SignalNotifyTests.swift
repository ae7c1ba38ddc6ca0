import Pollen
import PollenHost
import Testing

/// Storage for a non-copyable future that a `Scripted` task creates and polls.
final class FutureBox<F: ~Copyable>: @unchecked Sendable {
    var future: F?
    init() { future = nil }
}

/// A task that waits on `signal` once and logs what it got.
func signalWaiter(_ name: String, _ trace: Trace, _ signal: Pinned<Signal<Int>>) -> Scripted {
    let box = FutureBox<SignalWait<Int>>()
    return Scripted(name, trace) { _, context in
        if box.future == nil { box.future = signal.pointee.wait() }
        guard case .ready(let value) = box.future!.poll(&context) else { return .pending }
        box.future = nil
        trace.log("\(name) got \(value)")
        return .ready(value)
    }
}

/// A task that waits on `notify` once and logs when released.
func notifyWaiter<let n: Int>(_ name: String, _ trace: Trace, _ notify: Pinned<Notify<n>>) -> Scripted {
    let box = FutureBox<NotifyWait<n>>()
    return Scripted(name, trace) { _, context in
        if box.future == nil { box.future = notify.pointee.wait() }
        guard case .ready = box.future!.poll(&context) else { return .pending }
        box.future = nil
        trace.log("\(name) released")
        return .ready(0)
    }
}

@Suite("Signal: latest value wins")
struct SignalTests {
    @Test("values signalled before anyone waits: the latest wins and is taken once")
    func latestWins() {
        let trace = Trace()
        let signal = Pinned(Signal<Int>())
        let rig = Rig<Scripted, 4>()
        signal.pointee.signal(1)
        signal.pointee.signal(2)
        let v1 = signal.pointee.isSignaled
        #expect(v1)
        rig.spawn(signalWaiter("a", trace, signal))
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "a got 2"])
        let stillSignaled = signal.pointee.isSignaled
        #expect(!stillSignaled)                          // taken
        let v2 = signal.pointee.take()
        #expect(v2 == nil)
        signal.pointee.signal(3)
        let v3 = signal.pointee.take()
        #expect(v3 == 3)
    }

    @Test("a waiting task is woken by signal and gets the latest value signalled before it ran")
    func wakesWaiter() {
        let trace = Trace()
        let signal = Pinned(Signal<Int>())
        let rig = Rig<Scripted, 4>()
        rig.spawn(signalWaiter("a", trace, signal))
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a"])
        signal.pointee.signal(10)
        signal.pointee.signal(11)                        // before the task runs: replaces 10
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll a", "a got 11"])
        #expect(rig.occupied == 0)
    }

    @Test("with two waiters each value goes to exactly one, oldest first")
    func twoWaiters() {
        let trace = Trace()
        let signal = Pinned(Signal<Int>())
        let rig = Rig<Scripted, 4>()
        rig.spawn(signalWaiter("a", trace, signal))
        rig.spawn(signalWaiter("b", trace, signal))
        rig.runUntilQuiet()
        signal.pointee.signal(1)
        rig.runUntilQuiet()
        signal.pointee.signal(2)
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll b", "poll a", "a got 1", "poll b", "b got 2"])
    }

    @Test("a woken waiter cancelled before it took the value passes the wake to the next waiter")
    func cancelledWaiterPassesOn() {
        let trace = Trace()
        let signal = Pinned(Signal<Int>())
        let rig = Rig<Scripted, 4>()
        var first = try! rig.pool.pointee.spawnJoinable(signalWaiter("a", trace, signal))
        rig.spawn(signalWaiter("b", trace, signal))
        rig.runUntilQuiet()
        signal.pointee.signal(7)                         // wakes "a" (oldest)…
        let cancelled = first.cancel()                   // …which is cancelled before it runs
        #expect(cancelled)
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll b", "poll b", "b got 7"])
    }
}

@Suite("Notify: one permit, notifyOne, notifyAll")
struct NotifyTests {
    @Test("notifyOne with nobody waiting stores one permit (not more); a later wait consumes it at once")
    func permit() {
        let trace = Trace()
        let notify = Pinned(Notify<4>())
        let rig = Rig<Scripted, 4>()
        notify.pointee.notifyOne()
        notify.pointee.notifyOne()                       // permits do not add up
        let v4 = notify.pointee.hasPermit
        #expect(v4)
        rig.spawn(notifyWaiter("a", trace, notify))
        rig.spawn(notifyWaiter("b", trace, notify))
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "a released", "poll b"])
        let v5 = notify.pointee.hasPermit
        #expect(!v5)
        let waiting = notify.pointee.waiterCount
        #expect(waiting == 1)                            // "b" waits
    }

    @Test("notifyOne releases exactly one waiter, the oldest")
    func notifyOneIsFIFO() {
        let trace = Trace()
        let notify = Pinned(Notify<4>())
        let rig = Rig<Scripted, 4>()
        for name in ["a", "b", "c"] { rig.spawn(notifyWaiter(name, trace, notify)) }
        rig.runUntilQuiet()
        trace.entries.removeAll()
        notify.pointee.notifyOne()
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "a released"])
        notify.pointee.notifyOne()
        notify.pointee.notifyOne()
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "a released", "poll b", "b released", "poll c", "c released"])
        let v6 = notify.pointee.hasPermit
        #expect(!v6)
    }

    @Test("notifyAll releases every waiting task and stores no permit")
    func notifyAll() {
        let trace = Trace()
        let notify = Pinned(Notify<4>())
        let rig = Rig<Scripted, 4>()
        for name in ["a", "b", "c"] { rig.spawn(notifyWaiter(name, trace, notify)) }
        rig.runUntilQuiet()
        trace.entries.removeAll()
        notify.pointee.notifyAll()
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "a released", "poll b", "b released", "poll c", "c released"])
        let v7 = notify.pointee.hasPermit
        #expect(!v7)
        rig.spawn(notifyWaiter("late", trace, notify))   // a later waiter is not released
        rig.runUntilQuiet()
        #expect(trace.entries.last == "poll late")
        #expect(rig.occupied == 1)
    }

    @Test("beyond capacity a waiter polls instead of sleeping, and notifyAll still releases it")
    func overflow() {
        let trace = Trace()
        let notify = Pinned(Notify<2>())
        let rig = Rig<Scripted, 4>()
        for name in ["a", "b", "c"] { rig.spawn(notifyWaiter(name, trace, notify)) }
        rig.pass()
        let v8 = notify.pointee.waiterCount
        #expect(v8 == 2)
        #expect(rig.ready)                               // "c" woke itself: the list was full
        rig.pass()
        rig.pass()
        notify.pointee.notifyAll()
        rig.runUntilQuiet()
        #expect(Set(trace.entries.filter { $0.hasSuffix("released") }) == ["a released", "b released", "c released"])
        #expect(rig.occupied == 0)
    }

    @Test("a cancelled waiter leaves the list; one released by notifyOne but cancelled passes it on")
    func cancellation() {
        let trace = Trace()
        let notify = Pinned(Notify<4>())
        let rig = Rig<Scripted, 4>()
        var a = try! rig.pool.pointee.spawnJoinable(notifyWaiter("a", trace, notify))
        var b = try! rig.pool.pointee.spawnJoinable(notifyWaiter("b", trace, notify))
        rig.spawn(notifyWaiter("c", trace, notify))
        rig.runUntilQuiet()
        let v9 = notify.pointee.waiterCount
        #expect(v9 == 3)
        let cancelledA = a.cancel()                      // waiting: just leaves the list
        #expect(cancelledA)
        let v10 = notify.pointee.waiterCount
        #expect(v10 == 2)
        notify.pointee.notifyOne()                       // releases "b"…
        let cancelledB = b.cancel()                      // …cancelled before it completes
        #expect(cancelledB)
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll b", "poll c", "poll c", "c released"])
        let permitLeft = notify.pointee.hasPermit
        #expect(!permitLeft)                             // the notification went to "c", not lost, not stored
    }
}
