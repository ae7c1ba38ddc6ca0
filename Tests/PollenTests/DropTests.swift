import Pollen
import PollenHost
import Testing

// Cross-module drops: every Pollen type with a `deinit` is dropped here, from
// another module, in the default (debug) build, and the deinit's effect is checked.
// Swift 6.3's runtime skips such deinits when the type's fields are all plain data
// (swiftlang/swift#89686); `DropAnchor` is Pollen's workaround, and these tests fail
// without it. They also show the executor going idle afterwards: a dropped waiting
// future leaves no registration that keeps waking its task.
//
// `Board/check-drop-tests` (run by ./Board/test) fails when a type in Sources/Pollen
// declares a `deinit` and no line here reads `// drop-test: <TypeName>`.

/// What a `holding` task does with its future.
final class Holder<F: Future & ~Copyable>: @unchecked Sendable {
    var future: F?
    /// Set by the test: the task drops its future on its next poll, then stays
    /// pending forever (alive, but waiting on nothing).
    var dropNow = false
    var polls = 0
    var waker: Waker?
    var output: F.Output?
    init() { future = nil }
}

/// A task that makes a future on its first poll, polls it until it completes or
/// `holder.dropNow` is set, and then drops it (from this module).
func holding<F: Future & ~Copyable>(_ holder: Holder<F>, _ make: @escaping () -> F) -> Scripted {
    Scripted("holder", Trace()) { n, context in
        holder.polls += 1
        holder.waker = context.waker
        if holder.dropNow { holder.future = nil; return .pending }
        if n == 1 { holder.future = make() }
        if holder.future != nil, case .ready(let value) = holder.future!.poll(&context) {
            holder.output = value
            holder.future = nil
        }
        return .pending
    }
}

/// Drops the holder's future on its next poll (waking it for that).
func dropHeld<F: Future & ~Copyable, let n: Int>(_ holder: Holder<F>, _ rig: Rig<Scripted, n>) {
    holder.dropNow = true
    holder.waker?.wake()
    rig.pass()
}

/// Passes `count` times and returns how many polls they made in total.
func idlePolls<let n: Int>(_ rig: Rig<Scripted, n>, passes count: Int = 50) -> Int {
    var total = 0
    for _ in 0..<count { total += rig.pass() }
    return total
}

@Suite("Drops from another module run their deinit (swiftlang/swift#89686 workaround)")
struct DropTests {
    // drop-test: NotifyWait
    @Test("NotifyWait dropped while waiting leaves the list; a later notifyOne becomes the permit")
    func notifyWait() {
        let notify = Pinned(Notify<4>())
        let rig = Rig<Scripted, 4>()
        let holder = Holder<NotifyWait<4>>()
        rig.spawn(holding(holder) { notify.pointee.wait() })
        rig.pass()
        let listed = notify.pointee.waiterCount
        #expect(listed == 1)
        dropHeld(holder, rig)
        let listedAfter = notify.pointee.waiterCount
        #expect(listedAfter == 0)
        notify.pointee.notifyOne()
        let permit = notify.pointee.hasPermit
        #expect(permit)                                 // not handed to the dropped waiter
        let polls = holder.polls
        #expect(idlePolls(rig) == 0)
        #expect(holder.polls == polls)
    }

    // drop-test: SignalWait
    @Test("SignalWait dropped while waiting leaves the list; a later value stays for the next wait")
    func signalWait() {
        let signal = Pinned(Signal<Int>())
        let rig = Rig<Scripted, 4>()
        let holder = Holder<SignalWait<Int>>()
        rig.spawn(holding(holder) { signal.pointee.wait() })
        rig.pass()
        dropHeld(holder, rig)
        signal.pointee.signal(7)
        #expect(idlePolls(rig) == 0)                   // the dropped waiter is not woken
        let value = signal.pointee.take()
        #expect(value == 7)
    }

    // drop-test: InterruptSignalWait
    @Test("InterruptSignalWait dropped while waiting deregisters; a later value is kept for the next wait")
    func interruptSignalWait() {
        let signal = Pinned(InterruptSignal<Int>())
        let rig = Rig<Scripted, 4>()
        let holder = Holder<InterruptSignalWait<Int>>()
        rig.spawn(holding(holder) { signal.pointee.wait() })
        rig.pass()
        dropHeld(holder, rig)
        let polls = holder.polls
        let stored = signal.pointee.signal(9)
        #expect(stored)
        #expect(idlePolls(rig) == 0)                   // the dropped waiter's task is not woken
        #expect(holder.polls == polls)
        let value = signal.pointee.take()
        #expect(value == 9)
    }

    // drop-test: ChannelSend
    @Test("ChannelSend dropped while waiting for room: freed room goes to the live sender, whose element arrives")
    func channelSend() {
        let channel = Pinned(Channel<Int, 2>())
        let filled = channel.pointee.trySend(1) && channel.pointee.trySend(2)
        #expect(filled)                                 // full
        let rig = Rig<Scripted, 4>()
        let dropped = Holder<ChannelSend<Int, 2>>()
        let live = Holder<ChannelSend<Int, 2>>()
        rig.spawn(holding(dropped) { channel.pointee.send(100) })
        rig.spawn(holding(live) { channel.pointee.send(200) })
        rig.pass()
        let waitingBefore = channel.pointee.waitingSenderCount
        #expect(waitingBefore == 2)
        dropHeld(dropped, rig)
        let waitingAfter = channel.pointee.waitingSenderCount
        #expect(waitingAfter == 1)
        let first = channel.pointee.tryReceive()        // room: wakes the live sender
        #expect(first == 1)
        rig.runUntilQuiet()
        #expect(live.output != nil)
        let rest = [channel.pointee.tryReceive(), channel.pointee.tryReceive(), channel.pointee.tryReceive()]
        #expect(rest == [2, 200, nil])                  // 100 was dropped unsent
        let waiting = channel.pointee.waitingSenderCount
        #expect(waiting == 0)
        #expect(idlePolls(rig) == 0)
    }

    // drop-test: ChannelReceive
    @Test("ChannelReceive dropped while waiting disarms: a later send wakes nobody and stays queued")
    func channelReceive() {
        let channel = Pinned(Channel<Int, 4>())
        let rig = Rig<Scripted, 4>()
        let holder = Holder<ChannelReceive<Int, 4>>()
        rig.spawn(holding(holder) { channel.pointee.receive() })
        rig.pass()
        dropHeld(holder, rig)
        let polls = holder.polls
        let sent = channel.pointee.trySend(5)
        #expect(sent)
        #expect(idlePolls(rig) == 0)
        #expect(holder.polls == polls)
        let received = channel.pointee.tryReceive()
        #expect(received == 5)                          // strict: nothing was lost
    }

    // drop-test: AsyncMutexLock
    // drop-test: AsyncMutexGuard
    @Test("AsyncMutexLock dropped while queued leaves the queue; a dropped guard unlocks")
    func mutex() {
        let mutex = Pinned(AsyncMutex<Int, 4>(0))
        let rig = Rig<Scripted, 4>()
        let box = FutureBox<AsyncMutexLock<Int, 4>>()
        let guardBox = FutureBox<AsyncMutexGuard<Int, 4>>()
        guardBox.future = mutex.pointee.tryLock()         // the test holds the lock
        let held = guardBox.future != nil
        #expect(held)
        nonisolated(unsafe) var dropNow = false
        nonisolated(unsafe) var polls = 0
        nonisolated(unsafe) var waker: Waker?
        rig.spawn(Scripted("locker", Trace()) { n, context in
            polls += 1
            waker = context.waker
            if dropNow { box.future = nil; return .pending }
            if n == 1 { box.future = mutex.pointee.lock() }
            _ = box.future!.poll(&context)
            return .pending
        })
        rig.pass()
        let queued = mutex.pointee.waiterCount
        #expect(queued == 1)
        dropNow = true
        waker?.wake()
        rig.pass()
        let queuedAfter = mutex.pointee.waiterCount
        #expect(queuedAfter == 0)
        guardBox.future = nil                             // drop the guard: unlocks
        let locked = mutex.pointee.isLocked
        #expect(!locked)                                  // not handed to the dropped waiter
        let before = polls
        #expect(idlePolls(rig) == 0)
        #expect(polls == before)
    }

    // drop-test: JoinHandle
    @Test("JoinHandle dropped while a task awaits it: the registration goes, the executor sleeps")
    func joinHandle() {
        let rig = Rig<Scripted, 16>()
        // Four joiners each await a running worker's handle once, then drop it and
        // stay alive; a fifth then awaits a handle. Before the fix the four stale
        // registrations filled the pool's join list and the fifth polled itself on
        // every pass.
        var holders: [Holder<JoinHandle<Scripted, 16>>] = []
        for i in 0..<5 {
            let worker = try! rig.tasks.spawnJoinable(Scripted("worker \(i)", Trace()) { _, _ in .pending })
            let box = FutureBox<JoinHandle<Scripted, 16>>()
            box.future = consume worker
            let holder = Holder<JoinHandle<Scripted, 16>>()
            holders.append(holder)
            if i < 4 {
                rig.spawn(holding(holder) { box.future.take()! })
            } else {
                rig.runUntilQuiet()
                for h in holders.prefix(4) { dropHeld(h, rig) }
                rig.spawn(holding(holder) { box.future.take()! })
            }
        }
        rig.runUntilQuiet()
        #expect(idlePolls(rig) == 0)                       // nobody polls in a loop
        #expect(rig.occupied == 10)                         // dropped handles detached their workers
    }

    // drop-test: SlotReservation
    @Test("SlotReservation dropped unfilled frees its slot")
    func reservation() {
        let rig = Rig<Scripted, 2>()
        let box = FutureBox<SlotReservation<Scripted, 2>>()
        box.future = try! rig.tasks.reserve()
        #expect(rig.occupied == 1)
        box.future = nil
        #expect(rig.occupied == 0)
    }

    @Test("a JoinHandle made cancelOnDrop cancels its running task when dropped; a plain one detaches")
    func cancelOnDropHandle() {
        let rig = Rig<Scripted, 4>()
        let box = FutureBox<JoinHandle<Scripted, 4>>()
        let handle = try! rig.tasks.spawnJoinable(Scripted("w", Trace()) { _, _ in .pending }).cancelOnDrop()
        let cancels = handle.cancelsWhenDropped
        #expect(cancels)
        box.future = consume handle
        rig.pass()
        box.future = nil
        #expect(rig.occupied == 0)
        box.future = try! rig.tasks.spawnJoinable(Scripted("w", Trace()) { _, _ in .pending })
        box.future = nil
        #expect(rig.occupied == 1)
    }
}
