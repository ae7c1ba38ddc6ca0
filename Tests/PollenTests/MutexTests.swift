import Pollen
import PollenHost
import Testing

typealias TestMutex = AsyncMutex<Int, 4>

/// Asks for the mutex `requestAfter` after its first poll, holds it for `holdFor`
/// (across a timer: the lock is held over polls), then releases it. The mutex's
/// value counts the holders: it must be 0 at every acquisition (exclusion).
struct MutexUser<let waiters: Int>: ~Copyable, Future {
    let name: String
    let trace: Trace
    let mutex: UnsafeMutablePointer<AsyncMutex<Int, waiters>>
    var requestTimer: Timer
    var holdTimer: Timer
    var lock: AsyncMutexLock<Int, waiters>? = nil
    var held: AsyncMutexGuard<Int, waiters>? = nil

    init(_ name: String, _ trace: Trace, _ mutex: UnsafeMutablePointer<AsyncMutex<Int, waiters>>,
         requestAfter: UInt64, holdFor: UInt64) {
        self.name = name
        self.trace = trace
        self.mutex = mutex
        requestTimer = .after(.milliseconds(requestAfter))
        holdTimer = .after(.milliseconds(holdFor))
    }

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        let ms = context.now.ticks / 1_000
        if held == nil {
            if lock == nil {
                guard case .ready = requestTimer.poll(&context) else { return .pending }
                trace.log("\(name) requests @\(ms)")
                lock = mutex.pointee.lock()
            }
            held = lock!.poll(&context)
            guard held != nil else { return .pending }
            lock = nil
            if held!.value != 0 { trace.log("EXCLUSION VIOLATED by \(name)") }
            held!.value += 1
            trace.log("\(name) acquires @\(ms)")
        }
        guard case .ready = holdTimer.poll(&context) else { return .pending }
        held!.value -= 1
        trace.log("\(name) releases @\(ms)")
        held = nil
        return .ready(())
    }
}

@Suite("AsyncMutex: exclusion, FIFO hand-off, cancellation")
struct MutexTests {
    @Test("four tasks contend: exclusive, and the lock goes in request order (not slot order)")
    func fifoFairness() {
        let trace = Trace()
        let mutex = Pinned(TestMutex(0))
        let rig = SimRig<MutexUser<4>, 4>()
        // Slot order a, b, c, d; request order a (0 ms), d (1), b (2), c (3).
        rig.spawn(MutexUser("a", trace, mutex.address, requestAfter: 0, holdFor: 10))
        rig.spawn(MutexUser("b", trace, mutex.address, requestAfter: 2, holdFor: 10))
        rig.spawn(MutexUser("c", trace, mutex.address, requestAfter: 3, holdFor: 10))
        rig.spawn(MutexUser("d", trace, mutex.address, requestAfter: 1, holdFor: 10))
        rig.run()
        #expect(trace.entries == [
            "a requests @0", "a acquires @0",
            "d requests @1", "b requests @2", "c requests @3",
            "a releases @10", "d acquires @10",    // handed to the oldest waiter
            "d releases @20", "b acquires @20",
            "b releases @30", "c acquires @30",
            "c releases @40",
        ])
        let locked = mutex.pointee.isLocked
        #expect(!locked)
        let free = mutex.pointee.tryLock() != nil
        #expect(free)
    }

    @Test("a task asking while others queue does not barge in, even if it polls first after a release")
    func noBarging() {
        let trace = Trace()
        let mutex = Pinned(TestMutex(0))
        let rig = SimRig<MutexUser<4>, 4>()
        rig.spawn(MutexUser("late", trace, mutex.address, requestAfter: 10, holdFor: 1))  // lowest slot
        rig.spawn(MutexUser("holder", trace, mutex.address, requestAfter: 0, holdFor: 10))
        rig.spawn(MutexUser("queued", trace, mutex.address, requestAfter: 5, holdFor: 1))
        rig.run()
        #expect(trace.entries == [
            "holder requests @0", "holder acquires @0",
            "queued requests @5",
            "late requests @10",                    // polled first at 10 ms (slot 0)…
            "holder releases @10", "queued acquires @10",   // …but the queued task gets it
            "queued releases @11", "late acquires @11",
            "late releases @12",
        ])
    }

    @Test("a queued waiter cancelled while waiting leaves the queue; the next one gets the lock")
    func cancelQueuedWaiter() {
        let trace = Trace()
        let mutex = Pinned(TestMutex(0))
        let rig = SimRig<MutexUser<4>, 4>()
        rig.spawn(MutexUser("a", trace, mutex.address, requestAfter: 0, holdFor: 10))
        var b = rig.spawnJoinable(MutexUser("b", trace, mutex.address, requestAfter: 1, holdFor: 10))
        rig.spawn(MutexUser("c", trace, mutex.address, requestAfter: 2, holdFor: 10))
        rig.run(until: atMS(5))
        let queued = mutex.pointee.waiterCount
        #expect(queued == 2)
        let cancelled = b.cancel()
        #expect(cancelled)
        let left = mutex.pointee.waiterCount
        #expect(left == 1)
        rig.run()
        #expect(trace.entries == [
            "a requests @0", "a acquires @0", "b requests @1", "c requests @2",
            "a releases @10", "c acquires @10", "c releases @20",
        ])
    }

    @Test("a waiter cancelled after the lock was handed to it passes the lock on (no deadlock)")
    func cancelAfterHandoff() {
        let trace = Trace()
        let mutex = Pinned(TestMutex(0))
        let rig = SimRig<MutexUser<4>, 4>()
        rig.spawn(MutexUser("a", trace, mutex.address, requestAfter: 0, holdFor: 10))
        var b = rig.spawnJoinable(MutexUser("b", trace, mutex.address, requestAfter: 1, holdFor: 10))
        rig.spawn(MutexUser("c", trace, mutex.address, requestAfter: 2, holdFor: 10))
        rig.run(until: atMS(5))
        // Drive 10 ms by hand: "a" releases and hands the lock to "b", which is
        // woken but not yet polled…
        rig.platform.clock.advance(to: atMS(10))
        rig.executor.pointee.fireTimers(now: atMS(10))
        rig.pass()
        #expect(trace.entries.last == "a releases @10")
        // …and is cancelled now, holding the hand-off it never took.
        let cancelled = b.cancel()
        #expect(cancelled)
        rig.run()
        #expect(trace.entries == [
            "a requests @0", "a acquires @0", "b requests @1", "c requests @2",
            "a releases @10", "c acquires @10", "c releases @20",
        ])
        let locked = mutex.pointee.isLocked
        #expect(!locked)
    }

    @Test("a lock future dropped as the loser of a select (timeout) dequeues itself")
    func lockTimeout() {
        let mutex = Pinned(TestMutex(0))
        let held = mutex.pointee.tryLock()
        let gotIt = held != nil
        #expect(gotIt)
        let (outcome, _) = runAlone(select(mutex.pointee.withLock { value in value += 1 },
                                           Timer.after(.milliseconds(5))))
        #expect(outcome.value.map { if case .second = $0 { true } else { false } } == true)
        #expect(outcome.at == atMS(5))
        let queued = mutex.pointee.waiterCount
        #expect(queued == 0)
        _ = consume held
        let locked = mutex.pointee.isLocked
        #expect(!locked)                             // nobody was left to hand it to
    }

    @Test("withLock runs the body under the lock and returns its result; tryLock fails while locked")
    func withLockAndTryLock() {
        let mutex = Pinned(TestMutex(41))
        let (outcome, _) = runAlone(mutex.pointee.withLock { (value: inout Int) -> Int in
            value += 1
            return value
        })
        #expect(outcome.value == 42)
        var first = mutex.pointee.tryLock()
        let gotFirst = first != nil
        #expect(gotFirst)
        let value = first!.value
        #expect(value == 42)
        let second = mutex.pointee.tryLock() != nil
        #expect(!second)
        first = nil
        let third = mutex.pointee.tryLock() != nil
        #expect(third)
    }

    @Test("more contenders than waiter slots: they poll instead of sleeping, exclusion still holds, nobody hangs")
    func overCapacity() {
        let trace = Trace()
        let mutex = Pinned(AsyncMutex<Int, 1>(0))
        let rig = SimRig<MutexUser<1>, 4>()
        for (i, name) in ["a", "b", "c", "d"].enumerated() {
            rig.spawn(MutexUser(name, trace, mutex.address, requestAfter: UInt64(i), holdFor: 5))
        }
        // Waiters beyond the list poll on every pass, so virtual time is driven by
        // hand here (`run` only advances time when nothing is ready).
        for ms in 0...25 { rig.tick(to: atMS(UInt64(ms))) }
        #expect(!trace.entries.contains { $0.hasPrefix("EXCLUSION") })
        #expect(trace.entries.filter { $0.contains("acquires") }.count == 4)
        #expect(trace.entries.last == "d releases @20")     // four 5 ms holds back to back
        #expect(rig.occupied == 0)
    }
}
