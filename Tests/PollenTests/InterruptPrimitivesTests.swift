#if canImport(Glibc)
import Glibc
#endif
import MallocCounter
@testable import Pollen
import PollenHost
import Synchronization
import Testing

/// Seconds on the monotonic clock (for the tests' watchdogs).
private func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Spins (yielding now and then) until `condition` holds or `seconds` have passed.
/// Returns whether the condition held: a lost wake shows up as `false`, never as a hang.
private func eventually(within seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicSeconds() + seconds
    var spins = 0
    while !condition() {
        spins += 1
        if spins & 0x3FF == 0 {
            if monotonicSeconds() > deadline { return condition() }
            sched_yield()
        }
    }
    return true
}

/// A 32-slot executor with one pool, run on its own thread with a ThreadedPlatform.
private final class ThreadedRig<T: Future & ~Copyable, let capacity: Int>: @unchecked Sendable {
    let executor = Pinned(Executor<1>())
    let pool = Pinned(TaskPool<T, capacity>(name: "isr"))
    let tasks: PoolRef<T, capacity>
    let platform = ThreadedPlatform()
    private let thread = ThreadGroup()

    init() {
        SuiteConfiguration.check()
        tasks = try! executor.pointee.attach(&pool.pointee)
    }

    func spawn(_ task: consuming T) { _ = try! pool.pointee.spawn(task) }

    /// Starts `run(on:idle: .sleep, tasks:)` on a new thread.
    func start() {
        thread.start { [self] in
            var platformRef = platform
            executor.pointee.run(on: &platformRef, idle: .sleep, tasks: tasks)
        }
    }

    /// Stops the run loop and joins its thread.
    func stop() {
        platform.requestStop()
        thread.join()
    }
}

// MARK: - AtomicWaker

@Suite("AtomicWaker: a task registers, an interrupt wakes")
struct AtomicWakerTests {
    @Test("register, then wake: the task is polled once more, and the wake consumes the registration")
    func registerThenWake() {
        let trace = Trace()
        let cell = Pinned(AtomicWaker())
        let rig = Rig<Scripted, 4>()
        rig.spawn(Scripted("a", trace) { poll, context in
            if poll == 1 { cell.pointee.register(context.waker) }   // registers once only
            return .pending
        })
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a"])
        #expect(!rig.ready)
        let first = cell.pointee.wake()
        #expect(first)
        #expect(rig.ready)
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll a"])
        // Consumed: a second wake finds nothing registered and polls nothing.
        let second = cell.pointee.wake()
        #expect(!second)
        #expect(!rig.ready)
        #expect(rig.runUntilQuiet() == 0)
        #expect(trace.entries == ["poll a", "poll a"])
    }

    @Test("wake before any register does nothing and returns false")
    func wakeBeforeRegister() {
        let trace = Trace()
        let cell = Pinned(AtomicWaker())
        let rig = Rig<Scripted, 4>()
        rig.spawn(Scripted("a", trace) { _, _ in .pending })
        rig.runUntilQuiet()
        let woke = cell.pointee.wake()
        #expect(!woke)
        #expect(!rig.ready)
        #expect(rig.runUntilQuiet() == 0)
        #expect(trace.entries == ["poll a"])
        // A wake before the registration is not remembered: registering afterwards
        // does not poll the task (the task checks its condition after registering).
        cell.pointee.register(rig.executor.pointee.waker(forSlot: 0)!)
        #expect(!rig.ready)
    }

    @Test("re-registering replaces: only the newest registration is woken")
    func reRegisterReplaces() {
        let trace = Trace()
        let cell = Pinned(AtomicWaker())
        let rig = Rig<Scripted, 4>()
        rig.spawn(Scripted("a", trace) { poll, context in
            if poll == 1 { cell.pointee.register(context.waker) }
            return .pending
        })
        rig.spawn(Scripted("b", trace) { poll, context in
            if poll == 1 { cell.pointee.register(context.waker) }   // after a: replaces it
            return .pending
        })
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll b"])
        let woke = cell.pointee.wake()
        #expect(woke)
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll b", "poll b"])   // a is not woken
    }

    @Test("clear removes the registration; a wake afterwards polls nothing")
    func clearRemoves() {
        let trace = Trace()
        let cell = Pinned(AtomicWaker())
        let rig = Rig<Scripted, 4>()
        rig.spawn(Scripted("a", trace) { _, context in
            cell.pointee.register(context.waker)
            return .pending
        })
        rig.runUntilQuiet()
        cell.pointee.clear()
        let woke = cell.pointee.wake()
        #expect(!woke)
        #expect(rig.runUntilQuiet() == 0)
        #expect(trace.entries == ["poll a"])
    }

    @Test("the registered task has ended: wake returns false and polls nothing")
    func staleRegistration() {
        let trace = Trace()
        let cell = Pinned(AtomicWaker())
        let rig = Rig<Scripted, 4>()
        rig.spawn(Scripted("a", trace) { _, context in
            cell.pointee.register(context.waker)
            return .ready(1)                                         // ends with its waker registered
        })
        rig.runUntilQuiet()
        #expect(rig.occupied == 0)
        rig.spawn(Scripted("b", trace) { _, _ in .pending })         // reuses the slot
        rig.runUntilQuiet()
        let woke = cell.pointee.wake()
        #expect(!woke)
        #expect(rig.runUntilQuiet() == 0)
        #expect(trace.entries == ["poll a", "poll b"])
    }

    @Test("threaded: 50,000 flag-then-wake hand-offs from another thread, each observed (no lost wake), no allocation")
    func threadedHandOffs() {
        let rounds = 50_000
        let cell = Pinned(AtomicWaker())
        let flag = Pinned(Atomic<Bool>(false))
        let observed = Pinned(Atomic<Int>(0)), polls = Pinned(Atomic<Int>(0))
        let rig = ThreadedRig<Scripted, 1>()
        let platform = rig.platform
        rig.spawn(Scripted("observer", Trace()) { _, context in
            polls.pointee.wrappingAdd(1, ordering: .relaxed)
            cell.pointee.register(context.waker)                     // register, then check
            if flag.pointee.exchange(false, ordering: .acquiringAndReleasing) {
                let seen = observed.pointee.wrappingAdd(1, ordering: .releasing).newValue
                if seen == rounds { platform.requestStop(); return .ready(seen) }
            }
            return .pending
        })
        rig.start()
        // The first poll registers the task; from then on every wake must find it,
        // because the task registers before it publishes what it observed.
        let started = eventually(within: 10) { polls.pointee.load(ordering: .acquiring) >= 1 }
        #expect(started)
        var lostAt: Int? = nil, falseWakes = 0
        for i in 1...rounds {
            // Round 1 is the warm-up: the first wake through the platform's pend hook
            // instantiates type metadata in the host runtime (once per process).
            if i == 2 { pollen_malloc_count_begin() }
            flag.pointee.store(true, ordering: .releasing)           // the "interrupt": condition, then wake
            if !cell.pointee.wake() { falseWakes += 1 }
            if !eventually(within: 10, { observed.pointee.load(ordering: .acquiring) == i }) {
                lostAt = i
                break
            }
        }
        let allocations = pollen_malloc_count_end()
        #expect(lostAt == nil, "hand-off \(lostAt ?? -1) was never observed: a wake was lost")
        rig.stop()
        #expect(observed.pointee.load(ordering: .acquiring) == rounds)
        #expect(allocations == 0)
        // Not asserted: that every wake found a registration. If the observer is
        // polled for another reason after the flag is set but before the wake,
        // it observes early; the wake then consumes its registration and the
        // producer's next wake can come before the poll that re-registers. That
        // wake finds nothing, but the poll it would have caused is still due and
        // sees the flag: what matters is that no hand-off is lost (above).
        print("AtomicWaker hand-offs: \(polls.pointee.load(ordering: .relaxed)) polls, \(falseWakes) wakes found no registration, executor slept \(platform.sleeps) times")
    }

    @Test("threaded: 200,000 free-running wakes racing the task's registrations; the last one is always seen")
    func threadedRacingWakes() {
        let count = 200_000
        let cell = Pinned(AtomicWaker())
        let published = Pinned(Atomic<Int>(0))
        let seen = Pinned(Atomic<Int>(0))
        let rig = ThreadedRig<Scripted, 1>()
        let platform = rig.platform
        rig.spawn(Scripted("observer", Trace()) { _, context in
            cell.pointee.register(context.waker)
            let value = published.pointee.load(ordering: .acquiring)
            seen.pointee.store(value, ordering: .releasing)
            if value == count { platform.requestStop(); return .ready(value) }
            return .pending
        })
        rig.start()
        for i in 1...count {
            published.pointee.store(i, ordering: .releasing)
            cell.pointee.wake()
        }
        let done = eventually(within: 20) { seen.pointee.load(ordering: .acquiring) == count }
        #expect(done, "the task never saw the last value: a wake was lost (it saw \(seen.pointee.load(ordering: .relaxed)))")
        rig.stop()
    }
}

// MARK: - InterruptSignal

/// Two words that a signal must deliver whole: `a == b` always.
struct TwinWords: Equatable, Sendable {
    var a: UInt64
    var b: UInt64
    init(_ value: UInt64) { a = value; b = value }
}

/// A task that waits on `signal` once and logs what it got.
private func interruptWaiter(_ name: String, _ trace: Trace, _ signal: Pinned<InterruptSignal<Int>>) -> Scripted {
    let box = FutureBox<InterruptSignalWait<Int>>()
    return Scripted(name, trace) { _, context in
        if box.future == nil { box.future = signal.pointee.wait() }
        guard case .ready(let value) = box.future!.poll(&context) else { return .pending }
        box.future = nil
        trace.log("\(name) got \(value)")
        return .ready(value)
    }
}

@Suite("InterruptSignal: latest value wins, signalled from any context")
struct InterruptSignalTests {
    @Test("values signalled before anyone waits: the latest wins and is taken once")
    func latestWins() {
        let trace = Trace()
        let signal = Pinned(InterruptSignal<Int>())
        let rig = Rig<Scripted, 4>()
        let stored = [1, 2, 3].map { signal.pointee.signal($0) }
        #expect(stored == [true, true, true])
        let signaled = signal.pointee.isSignaled
        #expect(signaled)
        rig.spawn(interruptWaiter("a", trace, signal))
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "a got 3"])
        let after = signal.pointee.isSignaled
        #expect(!after)
        let none = signal.pointee.take()
        #expect(none == nil)
        signal.pointee.signal(4)
        signal.pointee.signal(5)
        let five = signal.pointee.take()
        #expect(five == 5)
        #expect(signal.pointee.busyCount == 0)
    }

    @Test("a waiting task is woken by a signal and gets the latest value signalled before it ran")
    func wakesWaiter() {
        let trace = Trace()
        let signal = Pinned(InterruptSignal<Int>())
        let rig = Rig<Scripted, 4>()
        rig.spawn(interruptWaiter("a", trace, signal))
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a"])
        #expect(!rig.ready)
        signal.pointee.signal(10)
        #expect(rig.ready)
        signal.pointee.signal(11)                                    // before the task runs: replaces 10
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll a", "a got 11"])
        #expect(rig.occupied == 0)
        // The completed wait removed its registration: a later signal polls nothing.
        signal.pointee.signal(12)
        #expect(!rig.ready)
    }

    @Test("a waiting task is woken by a signal from another thread")
    func wokenFromAnotherThread() {
        let signal = Pinned(InterruptSignal<Int>())
        let got = Pinned(Atomic<Int>(0)), polls = Pinned(Atomic<Int>(0))
        let rig = ThreadedRig<Scripted, 1>()
        let platform = rig.platform
        let box = FutureBox<InterruptSignalWait<Int>>()
        rig.spawn(Scripted("waiter", Trace()) { _, context in
            polls.pointee.wrappingAdd(1, ordering: .releasing)
            if box.future == nil { box.future = signal.pointee.wait() }
            guard case .ready(let value) = box.future!.poll(&context) else { return .pending }
            box.future = nil
            got.pointee.store(value, ordering: .releasing)
            platform.requestStop()
            return .ready(value)
        })
        rig.start()
        let waiting = eventually(within: 10) { polls.pointee.load(ordering: .acquiring) >= 1 }
        #expect(waiting)
        let signaller = ThreadGroup()
        signaller.start { signal.pointee.signal(42) }
        signaller.join()
        let woken = eventually(within: 10) { got.pointee.load(ordering: .acquiring) == 42 }
        #expect(woken, "the waiting task was not woken by the other thread's signal")
        rig.stop()
    }

    @Test("a dropped wait removes its registration: a later signal does not poll its task, and the value is kept")
    func droppedWaitDeregisters() {
        let trace = Trace()
        let signal = Pinned(InterruptSignal<Int>())
        let rig = Rig<Scripted, 4>()
        rig.spawn(Scripted("a", trace) { poll, context in
            if poll == 1 {
                var wait = signal.pointee.wait()
                let first = wait.poll(&context)                       // registers
                if case .ready = first { Issue.record("nothing was signalled yet") }
                _ = consume wait                                      // cancelled: dropped while pending
            }
            return .pending
        })
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a"])
        let stored = signal.pointee.signal(7)
        #expect(stored)
        #expect(!rig.ready)
        #expect(rig.runUntilQuiet() == 0)
        #expect(trace.entries == ["poll a"])                         // the dropped waiter's task is not polled
        let kept = signal.pointee.take()
        #expect(kept == 7)                                           // not lost to the cancelled waiter
    }

    @Test("a wait woken but dropped before it took the value loses nothing: the next wait gets it")
    func wokenThenDropped() {
        let trace = Trace()
        let signal = Pinned(InterruptSignal<Int>())
        let rig = Rig<Scripted, 4>()
        let box = FutureBox<InterruptSignalWait<Int>>()
        rig.spawn(Scripted("a", trace) { poll, context in
            if poll == 1 {
                box.future = signal.pointee.wait()
                _ = box.future!.poll(&context)
            } else if poll == 2 {
                box.future = nil                                      // woken, but cancelled before polling the wait
            }
            return .pending
        })
        rig.runUntilQuiet()
        signal.pointee.signal(8)
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll a"])
        rig.spawn(interruptWaiter("b", trace, signal))
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll a", "poll b", "b got 8"])
    }

    @Test("dropping a replaced wait leaves the newer task's registration in place")
    func droppedReplacedWait() {
        let trace = Trace()
        let signal = Pinned(InterruptSignal<Int>())
        let rig = Rig<Scripted, 4>()
        let boxA = FutureBox<InterruptSignalWait<Int>>()
        rig.spawn(Scripted("a", trace) { poll, context in
            if poll == 1 { boxA.future = signal.pointee.wait(); _ = boxA.future!.poll(&context) }
            return .pending
        })
        rig.spawn(interruptWaiter("b", trace, signal))              // registers after a: newest wins
        rig.runUntilQuiet()
        boxA.future = nil                                            // a's wait is dropped
        signal.pointee.signal(9)
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll b", "poll b", "b got 9"])
    }

    @Test("300,000 two-word values signalled from another thread: never torn, never out of order, the last one seen, no busy signal, no allocation")
    func neverTorn() {
        let count: UInt64 = 300_000
        let signal = Pinned(InterruptSignal<TwinWords>())
        let torn = Pinned(Atomic<Int>(0)), backwards = Pinned(Atomic<Int>(0))
        let last = Pinned(Atomic<UInt64>(0)), taken = Pinned(Atomic<Int>(0))
        let rig = ThreadedRig<Scripted, 1>()
        let platform = rig.platform
        let box = FutureBox<InterruptSignalWait<TwinWords>>()
        let signalPolls = Pinned(Atomic<Int>(0))
        rig.spawn(Scripted("reader", Trace()) { _, context in
            signalPolls.pointee.wrappingAdd(1, ordering: .releasing)
            while true {
                if box.future == nil { box.future = signal.pointee.wait() }
                guard case .ready(let value) = box.future!.poll(&context) else { return .pending }
                box.future = nil
                taken.pointee.wrappingAdd(1, ordering: .relaxed)
                if value.a != value.b { torn.pointee.wrappingAdd(1, ordering: .relaxed) }
                if value.a <= last.pointee.load(ordering: .relaxed) { backwards.pointee.wrappingAdd(1, ordering: .relaxed) }
                last.pointee.store(value.a, ordering: .releasing)
                if value.a == count { platform.requestStop(); return .ready(0) }
            }
        })
        rig.start()
        let registered = eventually(within: 10) { taken.pointee.load(ordering: .acquiring) == 0 && signalPolls.pointee.load(ordering: .acquiring) >= 1 }
        #expect(registered)
        let notStored = Pinned(Atomic<Int>(0)), allocations = Pinned(Atomic<Int>(0))
        let writer = ThreadGroup()
        writer.start {
            // Value 1 is the warm-up: the first wake through the platform's pend hook
            // instantiates type metadata in the host runtime (once per process).
            var failures = signal.pointee.signal(TwinWords(1)) ? 0 : 1
            pollen_malloc_count_begin()
            var i: UInt64 = 1
            while i < count {       // (a `for` over a UInt64 range allocates in debug builds)
                i += 1
                if !signal.pointee.signal(TwinWords(i)) { failures += 1 }
            }
            allocations.pointee.store(Int(pollen_malloc_count_end()), ordering: .relaxed)
            notStored.pointee.store(failures, ordering: .releasing)
        }
        writer.join()
        let done = eventually(within: 20) { last.pointee.load(ordering: .acquiring) == count }
        #expect(done, "the reader never saw the last value (saw \(last.pointee.load(ordering: .relaxed)))")
        rig.stop()
        #expect(torn.pointee.load(ordering: .relaxed) == 0)
        #expect(backwards.pointee.load(ordering: .relaxed) == 0)
        #expect(notStored.pointee.load(ordering: .acquiring) == 0)  // one signalling thread: never busy
        #expect(signal.pointee.busyCount == 0)
        #expect(allocations.pointee.load(ordering: .relaxed) == 0)
        print("InterruptSignal: reader took \(taken.pointee.load(ordering: .relaxed)) of \(count) values, executor slept \(platform.sleeps) times")
    }

    @Test("two signalling threads: busy signals are counted exactly, values are never torn, and the last stored value is one thread's last stored one")
    func twoSignallers() {
        let perThread: UInt64 = 100_000
        let signal = Pinned(InterruptSignal<TwinWords>())
        let torn = Pinned(Atomic<Int>(0)), backwards = Pinned(Atomic<Int>(0))
        let lastTaken = Pinned(Atomic<UInt64>(0))
        let rig = ThreadedRig<Scripted, 1>()
        let box = FutureBox<InterruptSignalWait<TwinWords>>()
        var lastPerThread: [UInt64] = [0, 0]                         // executor thread only
        rig.spawn(Scripted("reader", Trace()) { _, context in
            while true {
                if box.future == nil { box.future = signal.pointee.wait() }
                guard case .ready(let value) = box.future!.poll(&context) else { return .pending }
                box.future = nil
                if value.a != value.b { torn.pointee.wrappingAdd(1, ordering: .relaxed) }
                let thread = Int(value.a >> 32), sequence = value.a & 0xFFFF_FFFF
                if sequence <= lastPerThread[thread] { backwards.pointee.wrappingAdd(1, ordering: .relaxed) }
                lastPerThread[thread] = sequence
                lastTaken.pointee.store(value.a, ordering: .releasing)
            }
        })
        rig.start()
        let busy = Pinned(Atomic<Int>(0))
        let lastStored = [Pinned(Atomic<UInt64>(0)), Pinned(Atomic<UInt64>(0))]
        let writers = ThreadGroup()
        for t in 0..<2 {
            writers.start {
                var failures = 0, lastOK: UInt64 = 0
                for i in 1...perThread {
                    let word = UInt64(t) << 32 | i
                    if signal.pointee.signal(TwinWords(word)) { lastOK = word } else { failures += 1 }
                }
                busy.pointee.wrappingAdd(failures, ordering: .relaxed)
                lastStored[t].pointee.store(lastOK, ordering: .releasing)
            }
        }
        writers.join()
        // Let the reader drain, then stop it and look at what was stored last.
        _ = eventually(within: 10) { !signal.pointee.isSignaled }
        rig.stop()
        let final = signal.pointee.take()?.a ?? lastTaken.pointee.load(ordering: .acquiring)
        let candidates = [lastStored[0].pointee.load(ordering: .acquiring), lastStored[1].pointee.load(ordering: .acquiring)]
        #expect(candidates.contains(final), "final value \(final) is neither thread's last stored value \(candidates)")
        #expect(torn.pointee.load(ordering: .relaxed) == 0)
        #expect(backwards.pointee.load(ordering: .relaxed) == 0)
        let counted = Int(signal.pointee.busyCount)
        #expect(counted == busy.pointee.load(ordering: .relaxed))
        print("InterruptSignal, two signallers: \(counted) busy signals of \(2 * perThread)")
    }
}

// MARK: - Interleavings, one protocol step at a time

/// Deterministic interleavings: the test performs one side's protocol steps by
/// hand (as if that side were interrupted between them) and runs the other side
/// in full in between, the way a nested interrupt handler or another core would.
@Suite("Interrupt primitives: the protocols' interleavings, step by step")
struct InterruptInterleavingTests {
    @Test("AtomicWaker: a wake that interrupts a registration is handed to it; the registration wakes its task")
    func wakeDuringRegistration() {
        let trace = Trace()
        let cell = Pinned(AtomicWaker())
        let rig = Rig<Scripted, 4>()
        rig.spawn(Scripted("a", trace) { _, _ in .pending })
        rig.runUntilQuiet()
        let waker = rig.executor.pointee.waker(forSlot: 0)!
        let claimed = cell.pointee.claimCell()                       // the task starts registering …
        #expect(claimed)
        cell.pointee.slotAddress.pointee = waker
        let woke = cell.pointee.wake()                               // … an interrupt wakes …
        #expect(woke)                                                // (left to the registration)
        #expect(!rig.ready)
        cell.pointee.releaseCell()                                   // … the registration finishes
        #expect(rig.ready)
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll a"])
        let again = cell.pointee.wake()                              // the hand-off consumed it
        #expect(!again)
        #expect(cell.pointee.state.load(ordering: .relaxed) == AtomicWaker.waiting)
    }

    @Test("AtomicWaker: a registration that meets a wake in progress stores nothing and wakes its task at once")
    func registrationDuringWake() {
        let trace = Trace()
        let cell = Pinned(AtomicWaker())
        let rig = Rig<Scripted, 4>()
        rig.spawn(Scripted("a", trace) { _, _ in .pending })
        rig.runUntilQuiet()
        let waker = rig.executor.pointee.waker(forSlot: 0)!
        cell.pointee.state.bitwiseOr(AtomicWaker.waking, ordering: .relaxed)   // another core is mid-wake
        cell.pointee.register(waker)
        #expect(rig.ready)                                           // woken at once: it will register again
        cell.pointee.state.bitwiseAnd(~AtomicWaker.waking, ordering: .relaxed) // that wake ends
        let stored = cell.pointee.slotAddress.pointee
        #expect(stored == nil)
        let woke = cell.pointee.wake()
        #expect(!woke)
    }

    @Test("AtomicWaker: a clear that meets a wake in progress leaves the registration to that wake")
    func clearDuringWake() {
        let cell = Pinned(AtomicWaker())
        let rig = Rig<Scripted, 4>()
        rig.spawn(Scripted("a", Trace()) { _, _ in .pending })
        rig.runUntilQuiet()
        cell.pointee.register(rig.executor.pointee.waker(forSlot: 0)!)
        cell.pointee.state.bitwiseOr(AtomicWaker.waking, ordering: .relaxed)   // another core is mid-wake
        cell.pointee.clear()                                         // returns at once, touches nothing
        #expect(cell.pointee.slotAddress.pointee != nil)
        #expect(cell.pointee.state.load(ordering: .relaxed) == AtomicWaker.waking)
    }

    @Test("InterruptSignal: signals during a take write the other cell; the value being read stays whole")
    func signalsDuringTake() {
        let signal = Pinned(InterruptSignal<Int>())
        let address = signal.pointee.address
        signal.pointee.signal(1)
        let reading = InterruptSignal<Int>.claimRead(address)!       // the task starts taking 1 …
        let second = signal.pointee.signal(2)                        // … an interrupt signals twice …
        let third = signal.pointee.signal(3)
        #expect(second && third)
        #expect(InterruptSignal<Int>.cell(address, reading).pointee == 1)   // … its cell untouched
        let read = InterruptSignal<Int>.cell(address, reading).pointee.take()
        InterruptSignal<Int>.finishRead(address)
        #expect(read == 1)
        let next = signal.pointee.take()
        #expect(next == 3)                                           // latest wins
        let none = signal.pointee.take()
        #expect(none == nil)
        #expect(signal.pointee.busyCount == 0)
    }

    @Test("InterruptSignal: a take during a signal gets the previous value; the new one follows when published")
    func takeDuringSignal() {
        let signal = Pinned(InterruptSignal<Int>())
        let address = signal.pointee.address
        signal.pointee.signal(1)
        let target = InterruptSignal<Int>.claimWrite(address)!       // a signal starts writing 2 …
        let during = signal.pointee.take()                           // … the task (another core) takes
        #expect(during == 1)
        InterruptSignal<Int>.cell(address, target).pointee = 2
        InterruptSignal<Int>.publish(address, target)
        let after = signal.pointee.take()
        #expect(after == 2)
    }

    @Test("InterruptSignal: a signal that interrupts another signal returns false, is counted, and the first one's value is kept")
    func nestedSignalIsBusy() {
        let trace = Trace()
        let signal = Pinned(InterruptSignal<Int>())
        let address = signal.pointee.address
        let rig = Rig<Scripted, 4>()
        rig.spawn(interruptWaiter("a", trace, signal))
        rig.runUntilQuiet()
        let target = InterruptSignal<Int>.claimWrite(address)!       // a low-priority handler starts writing 5 …
        let nested = signal.pointee.signal(9)                        // … a higher-priority one signals 9
        #expect(!nested)
        #expect(signal.pointee.busyCount == 1)
        #expect(!rig.ready)
        InterruptSignal<Int>.cell(address, target).pointee = 5       // the first one finishes
        InterruptSignal<Int>.publish(address, target)
        signal.pointee.consumer.wake()
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll a", "a got 5"])
    }

    @Test("InterruptSignal: replacing an unread value while a take holds the other cell hides it until the new one is published")
    func overwriteWhileReading() {
        let signal = Pinned(InterruptSignal<Int>())
        let address = signal.pointee.address
        signal.pointee.signal(1)
        let reading = InterruptSignal<Int>.claimRead(address)!       // the task is taking 1 …
        signal.pointee.signal(2)                                     // … 2 lands in the other cell …
        let target = InterruptSignal<Int>.claimWrite(address)!       // … and a signal starts replacing it
        #expect(target != reading)                                   // it never writes the cell being read
        let visible = signal.pointee.isSignaled
        #expect(!visible)                                            // 2 is no longer offered: it is being overwritten
        let read = InterruptSignal<Int>.cell(address, reading).pointee.take()
        InterruptSignal<Int>.finishRead(address)
        #expect(read == 1)
        let duringWrite = signal.pointee.take()
        #expect(duringWrite == nil)
        InterruptSignal<Int>.cell(address, target).pointee = 3
        InterruptSignal<Int>.publish(address, target)
        let last = signal.pointee.take()
        #expect(last == 3)
    }
}
