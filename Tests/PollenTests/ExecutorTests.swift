import Pollen
import PollenHost
import Testing

@Suite("Executor: polling, wakes, coalescing, order")
struct ExecutorTests {
    @Test("an executor with nothing spawned polls nothing")
    func emptyExecutorPollsNothing() {
        let rig = Rig<Scripted, 4>()
        #expect(rig.pass() == 0)
        #expect(!rig.ready)
        var platform = SimulatedPlatform()
        rig.run(on: &platform)   // returns: nothing can happen
        #expect(platform.idleSteps == 1)
    }

    @Test("a spawned task is polled exactly once when nothing wakes it")
    func spawnedTaskPolledOnce() {
        let trace = Trace()
        let rig = Rig<Scripted, 4>()
        rig.spawn(Scripted("a", trace) { _, _ in .pending })
        #expect(rig.runUntilQuiet() == 1)
        #expect(trace.entries == ["poll a"])
        #expect(rig.occupied == 1)  // still pending, still owns its slot
    }

    @Test("a task that wakes itself is polled again, on the next pass")
    func selfWakePollsAgain() {
        let trace = Trace()
        let rig = Rig<Scripted, 4>()
        rig.spawn(Scripted("a", trace) { n, cx in
            if n < 3 { cx.waker.wake(); return .pending }
            return .ready(n)
        })
        #expect(rig.pass() == 1)   // poll 1: wakes itself
        #expect(rig.pass() == 1)   // poll 2: wakes itself
        #expect(rig.pass() == 1)   // poll 3: completes
        #expect(rig.pass() == 0)   // nothing left
        #expect(trace.entries == ["poll a", "poll a", "poll a"])
        #expect(rig.occupied == 0)
    }

    @Test("two wakes before a poll give one poll")
    func wakesCoalesce() {
        let trace = Trace()
        let box = makeWakerBox()
        let rig = Rig<Parked, 4>()
        rig.spawn(Parked(name: "p", trace: trace, wakerBox: box))
        rig.pass()
        #expect(box.pointee!.wake() == .woken)
        #expect(box.pointee!.wake() == .woken)
        #expect(rig.pass() == 1)
        #expect(rig.pass() == 0)
        #expect(trace.entries == ["poll p", "poll p"])
    }

    @Test("a wake after completion is stale and polls nothing")
    func wakeAfterCompletion() {
        let trace = Trace()
        let rig = Rig<Scripted, 4>()
        nonisolated(unsafe) var kept: Waker?
        rig.spawn(Scripted("a", trace) { _, cx in kept = cx.waker; return .ready(1) })
        #expect(rig.pass() == 1)
        #expect(kept!.wake() == .stale)
        #expect(!rig.ready)
        #expect(rig.pass() == 0)
        #expect(trace.entries == ["poll a"])
    }

    @Test("an old waker does not poll the task that reuses its slot")
    func oldWakerAfterRespawn() {
        let trace = Trace()
        let rig = Rig<Scripted, 1>()
        nonisolated(unsafe) var old: Waker?
        let first = rig.spawn(Scripted("first", trace) { _, cx in old = cx.waker; return .ready(1) })
        rig.pass()
        let second = rig.spawn(Scripted("second", trace) { _, _ in .pending })
        #expect(first.slot == second.slot)                   // the slot was reused
        #expect(first.generation &+ 2 == second.generation)  // by a new generation (odd: running)
        rig.pass()
        #expect(old!.wake() == .stale)
        #expect(rig.pass() == 0)
        #expect(trace.entries == ["poll first", "poll second"])
    }

    @Test("tasks ready together are polled in slot order, each once per pass")
    func pollOrderIsSlotOrder() {
        let trace = Trace()
        let boxes = (0..<6).map { _ in makeWakerBox() }
        let rig = Rig<Parked, 8>()
        for i in 0..<6 { rig.spawn(Parked(name: "t\(i)", trace: trace, wakerBox: boxes[i])) }
        rig.pass()
        trace.entries.removeAll()
        for i in [5, 1, 3] { boxes[i].pointee!.wake() }
        #expect(rig.pass() == 3)
        #expect(trace.entries == ["poll t1", "poll t3", "poll t5"])
    }

    @Test("a task that keeps waking itself cannot starve the others")
    func selfWakerCannotStarve() {
        let trace = Trace()
        let rig = Rig<Scripted, 4>()
        rig.spawn(Scripted("greedy", trace) { _, cx in cx.waker.wake(); return .pending })
        rig.spawn(Scripted("b", trace) { n, cx in
            if n < 3 { cx.waker.wake(); return .pending }
            return .ready(0)
        })
        for _ in 0..<4 { rig.pass() }
        #expect(trace.entries == [
            "poll greedy", "poll b",   // pass 1: both were spawned ready
            "poll greedy", "poll b",   // pass 2: both woke themselves in pass 1
            "poll greedy", "poll b",   // pass 3: b completes
            "poll greedy",             // pass 4: only greedy is left
        ])
    }

    @Test("a task woken during a pass by an earlier task runs on the next pass")
    func wakeDuringPassRunsNextPass() {
        let trace = Trace()
        let box = makeWakerBox()
        let rig = Rig<Scripted, 4>()
        rig.spawn(Scripted("waker", trace) { n, _ in
            if n == 2 { box.pointee!.wake() }
            return .pending
        })
        rig.spawn(Scripted("sleeper", trace) { _, cx in box.pointee = cx.waker; return .pending })
        rig.pass()                                         // both polled once
        rig.executor.pointee.waker(forSlot: 0)?.wake()      // wake "waker" from outside
        #expect(rig.pass() == 1)                           // it wakes "sleeper"...
        #expect(rig.pass() == 1)                           // ...which runs one pass later
        #expect(trace.entries == ["poll waker", "poll sleeper", "poll waker", "poll sleeper"])
    }

    @Test("the mask is exact: waking slot 33 polls slot 33, not slot 1")
    func exactMaskNotModulo() {
        let trace = Trace()
        let executor = Pinned(Executor<2>())
        let pool = Pinned(TaskPool<Parked, 64>(name: "wide"))
        let wide = try! executor.pointee.attach(&pool.pointee)
        let boxes = (0..<64).map { _ in makeWakerBox() }
        for i in 0..<64 { try! pool.pointee.spawn(Parked(name: "t\(i)", trace: trace, wakerBox: boxes[i])) }
        var polled = executor.pointee.runReady(wide)
        #expect(polled == 64)
        trace.entries.removeAll()
        boxes[33].pointee!.wake()
        polled = executor.pointee.runReady(wide)
        #expect(polled == 1)
        #expect(trace.entries == ["poll t33"])
    }

    @Test("256 tasks: wakes across all eight mask words are polled in slot order")
    func twoLevelMask256() {
        let trace = Trace()
        let executor = Pinned(Executor<8>())
        let pool = Pinned(TaskPool<Parked, 256>(name: "many"))
        let many = try! executor.pointee.attach(&pool.pointee)
        let boxes = (0..<256).map { _ in makeWakerBox() }
        for i in 0..<256 { try! pool.pointee.spawn(Parked(name: "\(i)", trace: trace, wakerBox: boxes[i])) }
        var polled = executor.pointee.runReady(many)
        #expect(polled == 256)
        #expect(trace.entries == (0..<256).map { "poll \($0)" })
        trace.entries.removeAll()
        for i in [255, 0, 128, 31, 32, 200] { boxes[i].pointee!.wake() }
        polled = executor.pointee.runReady(many)
        #expect(polled == 6)
        #expect(trace.entries == ["poll 0", "poll 31", "poll 32", "poll 128", "poll 200", "poll 255"])
        polled = executor.pointee.runReady(many)
        #expect(polled == 0)
    }

    @Test("a task can spawn into its own pool and into another pool while being polled")
    func spawnFromInsideATask() {
        let trace = Trace()
        let executor = Pinned(Executor<1>())
        let parents = Pinned(TaskPool<Scripted, 4>(name: "parents"))
        let parked = Pinned(TaskPool<Parked, 2>(name: "parked"))
        let parentTasks = try! executor.pointee.attach(&parents.pointee)
        let parkedTasks = try! executor.pointee.attach(&parked.pointee)
        let box = makeWakerBox()
        let parentsPool = parents.address
        try! parents.pointee.spawn(Scripted("parent", trace) { _, _ in
            try! parentsPool.pointee.spawn(Scripted("child", trace) { _, _ in .ready(2) })
            try! parked.pointee.spawn(Parked(name: "other", trace: trace, wakerBox: box))
            return .ready(1)
        })
        executor.pointee.runReady(tasks(parentTasks, parkedTasks))
        executor.pointee.runReady(tasks(parentTasks, parkedTasks))
        #expect(trace.entries == ["poll parent", "poll child", "poll other"])
        #expect(box.pointee!.slot == 4)   // "parked" slots follow the 4 "parents" slots
    }
}
