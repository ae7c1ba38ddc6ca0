#if canImport(Glibc)
import Glibc
#endif
import Pollen
import PollenHost
import Synchronization
import Testing

// Regression tests for the defects of issue 9, one per defect, named after it.
// Each failed on the code before its fix (see the closing note of that work).

/// A task that parks and keeps its waker in `box`, logging each poll.
func parker(_ name: String, _ trace: Trace, _ box: Holder<Forever>) -> Scripted {
    Scripted(name, trace) { _, context in
        box.polls += 1
        box.waker = context.waker
        return .pending
    }
}

/// What defect 6's refill scenario saw (see `refillDuringPass`).
struct RefillObservation {
    var cancellerSlot: UInt16
    var newcomerSlot: UInt16?
    /// The trace of the pass in which the canceller cancelled the victim and
    /// spawned the newcomer.
    var afterRefillPass: [String]
    /// The same trace after one more pass.
    var afterNextPass: [String]
}

/// Defect 6's refill scenario: a canceller and a parked victim go into the next two
/// free slots of `tasks`; in a pass whose snapshot holds both, the canceller
/// cancels the victim and spawns a newcomer, which takes the victim's slot. The
/// newcomer must wait for the next pass.
func refillDuringPass<let words: Int, let capacity: Int>(
    _ executor: Pinned<Executor<words>>, _ tasks: PoolRef<Scripted, capacity>, _ trace: Trace
) -> RefillObservation {
    let victim = FutureBox<JoinHandle<Scripted, capacity>>()
    let victimBox = Holder<Forever>()
    nonisolated(unsafe) var armed = false
    nonisolated(unsafe) var newcomerSlot: UInt16? = nil
    let canceller = try! tasks.spawn(Scripted("canceller", trace) { _, _ in
        if armed {
            armed = false
            _ = victim.future!.cancel()
            newcomerSlot = try! tasks.spawn(Scripted("newcomer", trace) { _, _ in .pending }).slot
        }
        return .pending
    })
    victim.future = try! tasks.spawnJoinable(parker("victim", trace, victimBox))
    executor.pointee.runReady(tasks)                       // first polls
    trace.entries = []
    armed = true
    executor.pointee.waker(forSlot: Int(canceller.slot))?.wake()
    victimBox.waker?.wake()                                // the victim is in the same snapshot
    executor.pointee.runReady(tasks)
    let afterRefillPass = trace.entries
    executor.pointee.runReady(tasks)
    return RefillObservation(cancellerSlot: canceller.slot, newcomerSlot: newcomerSlot,
                             afterRefillPass: afterRefillPass, afterNextPass: trace.entries)
}

@Suite("Issue 9 regressions")
struct RegressionTests {
    @Test("defect 1: a notifyOne handed to a waiter that is dropped after a notifyAll goes on to the next waiter")
    func notifyOneSurvivesNotifyAllAndDrop() {
        let notify = Pinned(Notify<4>())
        let rig = Rig<Scripted, 4>()
        let a = Holder<NotifyWait<4>>()
        rig.spawn(holding(a) { notify.pointee.wait() })
        rig.pass()                                  // A is listed
        notify.pointee.notifyOne()                  // releases A …
        notify.pointee.notifyAll()                  // … then the epoch moves, before A runs
        a.dropNow = true                            // A is dropped without taking it
        rig.pass()
        let permit = notify.pointee.hasPermit
        #expect(permit)                             // the notification went on, as the permit
        let b = Holder<NotifyWait<4>>()
        rig.spawn(holding(b) { notify.pointee.wait() })
        rig.pass()
        #expect(b.output != nil)                    // a later waiter gets it, and does not hang
        #expect(idlePolls(rig) == 0)
    }

    @Test("defect 3: select(handle.cancelOnDrop(), timer): the timer wins and the worker is cancelled; a plain handle detaches it")
    func timedOutJoinCancels() {
        let rig = SimRig<Scripted, 4>()
        let trace = Trace()
        let handles = FutureBox<JoinHandle<Scripted, 4>>()
        let plain = FutureBox<JoinHandle<Scripted, 4>>()
        handles.future = try! rig.tasks.spawnJoinable(Scripted("worker", trace) { _, _ in .pending }).cancelOnDrop()
        plain.future = try! rig.tasks.spawnJoinable(Scripted("detached", trace) { _, _ in .pending })
        nonisolated(unsafe) var outcome = ""
        let race = FutureBox<Select2<JoinHandle<Scripted, 4>, Timer>>()
        let racePlain = FutureBox<Select2<JoinHandle<Scripted, 4>, Timer>>()
        rig.spawn(Scripted("joiner", trace) { n, context in
            if n == 1 {
                race.future = select(handles.future.take()!, Timer.after(.milliseconds(200)))
                racePlain.future = select(plain.future.take()!, Timer.after(.milliseconds(200)))
            }
            if race.future != nil, case .ready(let r) = race.future!.poll(&context) {
                if case .second = r { outcome += "timeout " }
                race.future = nil                    // drops the losing handle: cancels the worker
            }
            if racePlain.future != nil, case .ready(let r) = racePlain.future!.poll(&context) {
                if case .second = r { outcome += "timeout" }
                racePlain.future = nil               // drops a plain handle: detaches
            }
            return race.future == nil && racePlain.future == nil ? .ready(0) : .pending
        })
        rig.run(until: atMS(1_000))
        #expect(outcome == "timeout timeout")
        #expect(rig.pool.pointee.occupiedCount == 1)   // only the detached worker is left
    }

    @Test("defect 4: a cancelled task's deadline in the register does not poll the slot's next task")
    func deadRegisterBitDropped() {
        let trace = Trace()
        let rig = Rig<Scripted, 1>()
        let timer = FutureBox<Timer>()
        var handle = try! rig.tasks.spawnJoinable(Scripted("sleeper", trace) { n, context in
            if n == 1 { timer.future = Timer.after(.milliseconds(10)) }
            return timer.future!.poll(&context).isReady ? .ready(0) : .pending
        })
        rig.executor.pointee.runReady(rig.tasks, now: .zero)   // registers its deadline (no queue)
        #expect(rig.executor.pointee.registeredDeadlines == 1)
        handle.cancel()
        #expect(rig.executor.pointee.registeredDeadlines == 0)
        rig.spawn(Scripted("newcomer", trace) { _, _ in .pending })
        rig.executor.pointee.runReady(rig.tasks, now: .zero)
        rig.executor.pointee.fireTimers(now: atMS(20))
        #expect(rig.executor.pointee.runReady(rig.tasks, now: atMS(20)) == 0)
        #expect(trace.entries == ["poll sleeper", "poll newcomer"])
    }

    @Test("defect 6: on a 64-slot executor a wake during a pass runs on the next pass")
    func wideExecutorSnapshot() {
        let trace = Trace()
        let executor = Pinned(Executor<2>())
        let pool = Pinned(TaskPool<Scripted, 64>(name: "wide"))
        let tasks = try! executor.pointee.attach(&pool.pointee)
        let box50 = Holder<Forever>()
        for slot in 0..<64 {
            let name = "\(slot)"
            if slot == 0 {
                try! tasks.spawn(Scripted(name, trace) { n, _ in
                    if n > 1 { box50.waker?.wake() }
                    return .pending
                })
            } else if slot == 50 {
                try! tasks.spawn(parker(name, trace, box50))
            } else {
                try! tasks.spawn(Scripted(name, trace) { _, _ in .pending })
            }
        }
        executor.pointee.runReady(tasks)                   // first polls
        trace.entries = []
        executor.pointee.waker(forSlot: 0)?.wake()
        executor.pointee.waker(forSlot: 40)?.wake()
        executor.pointee.runReady(tasks)                   // 0 wakes 50 during this pass
        #expect(trace.entries == ["poll 0", "poll 40"])
        executor.pointee.runReady(tasks)
        #expect(trace.entries == ["poll 0", "poll 40", "poll 50"])
    }

    @Test("defect 6: a task cancelled mid-pass and refilled in the same pass: the newcomer waits for the next pass")
    func refilledSlotNotPolledFromOldSnapshot() {
        let trace = Trace()
        let rig = Rig<Scripted, 2>()
        let seen = refillDuringPass(rig.executor, rig.tasks, trace)
        #expect(seen.afterRefillPass == ["poll canceller"])
        #expect(seen.afterNextPass == ["poll canceller", "poll newcomer"])
    }

    @Test("defect 6 on a 64-slot executor: a task cancelled mid-pass and refilled in the same pass, both in the second word: the newcomer waits for the next pass")
    func refilledSlotNotPolledFromOldSnapshotInSecondWord() {
        // A pass whose summary names one word polls it as a one-word executor does;
        // that path must keep the snapshot in the pass word too.
        let trace = Trace()
        let executor = Pinned(Executor<2>())
        let pool = Pinned(TaskPool<Scripted, 64>(name: "wide"))
        let tasks = try! executor.pointee.attach(&pool.pointee)
        for slot in 0..<32 {
            try! tasks.spawn(Scripted("\(slot)", trace) { _, _ in .pending })
        }
        let seen = refillDuringPass(executor, tasks, trace)   // the refill pass names word 1 alone
        #expect(seen.cancellerSlot == 32)
        #expect(seen.newcomerSlot == 33)
        #expect(seen.afterRefillPass == ["poll canceller"])
        #expect(seen.afterNextPass == ["poll canceller", "poll newcomer"])
    }

    @Test("defect 5: two threads spawning into one pool while the executor runs: every task is polled")
    func concurrentSpawns() {
        let perThread = 20_000
        let executor = Pinned(Executor<1>())
        let completed = Pinned(Atomic<Int>(0))
        let platform = ThreadedPlatform()
        struct Completes: Future {
            let counter: UnsafeMutablePointer<Atomic<Int>>
            mutating func poll(_ context: inout Context) -> Poll<Void> {
                counter.pointee.add(1, ordering: .relaxed)
                return .ready(())
            }
        }
        let completesPool = Pinned(TaskPool<Completes, 8>(name: "completes"))
        let completes = try! executor.pointee.attach(&completesPool.pointee)
        let runner = Thread {
            var p = platform
            executor.pointee.run(on: &p, idle: .sleep, tasks: completes)
        }
        runner.start()
        // Every wait is bounded: a lost spawn or a lost wake fails the test, never hangs it.
        let deadline = platform.now() + .seconds(20)
        let spawners = (0..<2).map { _ in
            Thread {
                for _ in 0..<perThread {
                    while platform.now() < deadline {
                        do throws(SpawnError) {
                            try completes.spawn(Completes(counter: completed.address))
                            break
                        } catch { sched_yield() }
                    }
                }
            }
        }
        spawners.forEach { $0.start() }
        spawners.forEach { $0.join() }
        while completed.pointee.load(ordering: .relaxed) < 2 * perThread && platform.now() < deadline {
            usleep(1_000)
        }
        platform.requestStop()
        runner.join()
        #expect(completed.pointee.load(ordering: .relaxed) == 2 * perThread)
        #expect(completesPool.pointee.occupiedCount == 0)
    }

    @Test("defect 7: a plain wake() from another thread ends the threaded idle wait (no notify needed)")
    func crossThreadWakeEndsIdle() {
        let executor = Pinned(Executor<1>())
        let pool = Pinned(TaskPool<Scripted, 1>(name: "parked"))
        let tasks = try! executor.pointee.attach(&pool.pointee)
        let polls = Pinned(Atomic<Int>(0))
        let waker = Pinned<Waker?>(nil)
        let published = Pinned(Atomic<Bool>(false))
        try! tasks.spawn(Scripted("parked", Trace()) { _, context in
            waker.pointee = context.waker
            published.pointee.store(true, ordering: .releasing)
            polls.pointee.add(1, ordering: .relaxed)
            return .pending
        })
        let platform = ThreadedPlatform()
        let runner = Thread {
            var p = platform
            executor.pointee.run(on: &p, idle: .sleep, tasks: tasks)
        }
        runner.start()
        let deadline = platform.now() + .seconds(10)
        while !published.pointee.load(ordering: .acquiring) && platform.now() < deadline { usleep(100) }
        while platform.sleeps == 0 && platform.now() < deadline { usleep(100) }   // asleep, no deadline
        waker.pointee?.wake()                                                     // no notify()
        while polls.pointee.load(ordering: .relaxed) < 2 && platform.now() < deadline { usleep(100) }
        let polledBeforeStop = polls.pointee.load(ordering: .relaxed)   // stopping rings the doorbell too
        platform.requestStop()
        runner.join()
        #expect(polledBeforeStop == 2)
    }

    @Test("defect 12: waker(forSlot:) of a free slot is nil; of a running task, a live waker")
    func wakerForFreeSlot() {
        let rig = Rig<Scripted, 2>()
        #expect(rig.executor.pointee.waker(forSlot: 0) == nil)
        #expect(rig.executor.pointee.waker(forSlot: 5) == nil)       // beyond the attached slots
        rig.spawn(Scripted("a", Trace()) { _, _ in .ready(0) })
        #expect(rig.executor.pointee.waker(forSlot: 0) != nil)
        rig.pass()                                                   // completes
        #expect(rig.executor.pointee.waker(forSlot: 0) == nil)
        #expect(!rig.ready)
    }

    @Test("defect 12: polling a JoinHandle again after it delivered the output stops with a message")
    func joinHandlePolledAfterDelivery() async {
        await #expect(processExitsWith: .failure) {
            let rig = Rig<Scripted, 2>()
            var handle = try! rig.tasks.spawnJoinable(Scripted("a", Trace()) { _, _ in .ready(7) })
            rig.pass()
            var context = Context(waker: handWaker(), now: .zero)
            _ = handle.poll(&context)        // .completed(7)
            _ = handle.poll(&context)        // a programming error: stops here
        }
    }
}
