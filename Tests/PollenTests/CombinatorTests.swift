import MallocCounter
import Pollen
import PollenHost
import Testing

@Suite("Combinators: map, then, join, select")
struct CombinatorTests {
    @Test("map passes the output through the transform when the inner future completes")
    func mapOutput() {
        let (outcome, rig) = runAlone(Timer.after(.milliseconds(5)).map { 42 })
        #expect(outcome.value == 42)
        #expect(outcome.at == atMS(5))
        #expect(rig.now == atMS(5))
    }

    @Test("then builds the second future from the first one's output, only once the first is done")
    func thenOutputAndLaziness() {
        let trace = Trace()
        let task = Timer.after(.milliseconds(5))
            .map { UInt64(10) }
            .then { delay in
                trace.log("make second (delay \(delay))")
                return Timer.after(.milliseconds(delay)).map { "done" }
            }
        #expect(trace.entries.isEmpty)   // building the chain runs no factory
        let (outcome, _) = runAlone(task)
        #expect(outcome.value == "done")
        #expect(outcome.at == atMS(15))
        #expect(trace.entries == ["make second (delay 10)"])
    }

    @Test("then drops the first stage before building the second, and polls the second in the same poll")
    func thenDropsFirstStage() {
        let trace = Trace()
        let task = Tracked("first", trace, readyAt: 2).then { polls in
            trace.log("make second after \(polls) polls")
            return Tracked("second", trace, readyAt: 1)
        }
        let (outcome, _) = runAlone(task)
        #expect(outcome.value == 1)
        #expect(trace.entries == [
            "poll first",                  // poll 1: pending (wakes itself)
            "poll first",                  // poll 2: ready…
            "drop first",                  // …dropped before the factory runs
            "make second after 2 polls",
            "poll second",                 // polled in the same poll: ready
            "drop second",
        ])
    }

    @Test("join2 waits for both timers: completes at the later one, with both outputs")
    func join2Timers() {
        let trace = Trace()
        let (outcome, _) = runAlone(join(
            Timer.after(.milliseconds(10)).then { _ in Stamp("a", trace) },
            Timer.after(.milliseconds(30)).then { _ in Stamp("b", trace) }))
        #expect(outcome.value! == (10, 30))
        #expect(outcome.at == atMS(30))
        #expect(trace.entries == ["a@10", "b@30"])
    }

    @Test("join3 with timers of 10, 30 and 20 ms completes at 30 ms; each child finished at its own time")
    func join3Timers() {
        let trace = Trace()
        let (outcome, rig) = runAlone(join(
            Timer.after(.milliseconds(10)).then { _ in Stamp("a", trace) },
            Timer.after(.milliseconds(30)).then { _ in Stamp("b", trace) },
            Timer.after(.milliseconds(20)).then { _ in Stamp("c", trace) }))
        let (a, b, c) = outcome.value!
        #expect([a, b, c] == [10, 30, 20])
        #expect(outcome.at == atMS(30))
        #expect(trace.entries == ["a@10", "c@20", "b@30"])
        #expect(rig.armedTimers == 0)
        #expect(rig.platform.sleeps == 3)   // slept exactly to 10, 20 and 30 ms: no busy polling
    }

    @Test("join4 collects four outputs")
    func join4Outputs() {
        let (outcome, _) = runAlone(join(
            Timer.after(.milliseconds(4)).map { 1 }, Timer.after(.milliseconds(3)).map { 2 },
            Timer.after(.milliseconds(2)).map { 3 }, Timer.after(.milliseconds(1)).map { 4 }))
        let (a, b, c, d) = outcome.value!
        #expect([a, b, c, d] == [1, 2, 3, 4])
        #expect(outcome.at == atMS(4))
    }

    @Test("join drops a finished child at once and keeps only its output")
    func joinDropsFinishedChild() {
        let trace = Trace()
        let rig = SimRig<Captured<Join2<Tracked, Tracked>>, 1>()
        let outcome = Outcome<(Int, Int)>()
        rig.spawn(Captured(join(Tracked("quick", trace, readyAt: 1), Tracked("slow", trace, readyAt: 3)), outcome))
        rig.pass()
        #expect(trace.entries == ["poll quick", "drop quick", "poll slow"])
        rig.runReady()
        #expect(trace.entries == ["poll quick", "drop quick", "poll slow", "poll slow", "poll slow", "drop slow"])
        #expect(outcome.value! == (1, 3))
    }

    @Test("select: the first to finish wins; the loser timer is released, nothing stays armed")
    func selectReleasesLoserTimer() {
        let trace = Trace()
        // Inside a join that stays pending, so only the select itself can release the loser.
        let task = join(
            select(Timer.after(.milliseconds(50)).map { "slow" }, Timer.after(.milliseconds(10)).map { "fast" })
                .map { winner in trace.log("winner \(winner)") },
            Tracked("sibling", trace, readyAt: nil))   // pending forever, registers nothing
        let rig = SimRig<Captured<Join2<Map<Select2<Map<Timer, String>, Map<Timer, String>>, Void>, Tracked>>, 1>()
        rig.spawn(Captured(task, Outcome<((), Int)>()))
        rig.pass()
        #expect(rig.armedTimers == 1)            // one entry per task: the earlier (10 ms) deadline
        #expect(rig.executor.pointee.nextDeadline == atMS(10))
        rig.run(until: atMS(10))
        #expect(trace.entries == ["poll sibling", "winner second(\"fast\")", "poll sibling"])
        #expect(rig.armedTimers == 0)            // the 50 ms loser did not stay armed
        rig.run()
        #expect(rig.now == atMS(10))             // and nothing woke the task at 50 ms
        #expect(rig.occupied == 1)               // the task is still running (its sibling)
    }

    @Test("then: deadlines registered by a stage in the poll it completes are discarded")
    func thenDiscardsFinishedStageDeadline() {
        struct ReadyWithDeadline: Future {
            mutating func poll(_ context: inout Context) -> Poll<Void> {
                context.wake(at: context.now + .milliseconds(50))   // a careless future
                return .ready(())
            }
        }
        let trace = Trace()
        let rig = SimRig<Captured<Then<ReadyWithDeadline, Tracked>>, 1>()
        rig.spawn(Captured(ReadyWithDeadline().then { _ in Tracked("next", trace, readyAt: nil) }, Outcome<Int>()))
        rig.run()
        #expect(trace.entries == ["poll next"])
        #expect(rig.armedTimers == 0)
        #expect(rig.now == .zero)
    }

    @Test("select: a losing future is dropped when the winner completes, not when the select is dropped")
    func selectDropsLoserAtCompletion() {
        let trace = Trace()
        let task = select(Tracked("loser", trace, readyAt: nil), Timer.after(.milliseconds(10)), Tracked("other", trace, readyAt: nil))
            .then { _ in
                trace.log("next stage")
                return Tracked("next", trace, readyAt: nil)
            }
        let rig = SimRig<Captured<Then<Select3<Tracked, Timer, Tracked>, Tracked>>, 1>()
        rig.spawn(Captured(task, Outcome<Int>()))
        rig.run()
        #expect(trace.entries == [
            "poll loser", "poll other",   // first poll: all pending
            "poll loser",                 // at 10 ms: loser polled first, then the timer wins…
            "drop loser", "drop other",   // …and every loser is dropped at once
            "next stage", "poll next",
        ])
        #expect(rig.armedTimers == 0)
        #expect(rig.now == atMS(10))
    }

    @Test("select: when several children are ready in the same poll, the first listed wins")
    func selectTieGoesToFirst() {
        let (outcome, _) = runAlone(select(Timer.after(.milliseconds(10)).map { "a" },
                                           Timer.after(.milliseconds(10)).map { "b" }))
        #expect(outcome.value == .first("a"))
        let (three, _) = runAlone(select(Timer.after(.milliseconds(7)).map { 1 },
                                         Timer.after(.milliseconds(5)).map { 2 },
                                         Timer.after(.milliseconds(5)).map { 3 }))
        #expect(three.value == .second(2))
        #expect(three.at == atMS(5))
    }

    @Test("stage combinators (join, then, steps, Deferred, when) are never copyable; select and map follow their children")
    func copyability() {
        // Overload resolution picks the first for a copyable type, the second otherwise.
        func isCopyable<T>(_: T.Type) -> Bool { true }
        func isCopyable<T: ~Copyable>(_: T.Type) -> Bool { false }
        // Moved, never copied: a copy would put a whole nested future on the
        // stack (issue 17; README, "Stack").
        #expect(!isCopyable(Join2<Timer, Timer>.self))
        #expect(!isCopyable(Join3<Timer, Timer, Timer>.self))
        #expect(!isCopyable(Join4<Timer, Timer, Timer, Timer>.self))
        #expect(!isCopyable(Then<Timer, Timer>.self))
        #expect(!isCopyable(Sequenced<Deferred<Timer>, Timer>.self))
        #expect(!isCopyable(SequencedPerform<Deferred<Timer>>.self))
        #expect(!isCopyable(Deferred<Timer>.self))
        #expect(!isCopyable(Branch<Timer, Timer>.self))
        // Stateless wrappers of copyable futures stay copyable.
        #expect(isCopyable(Select2<Timer, Timer>.self))
        #expect(isCopyable(Map<Timer, Int>.self))
        func copies<T>(_ value: T) -> (T, T) { (value, value) }
        let (a, b) = copies(select(Timer.after(.milliseconds(2)).map { 4 }, Timer.after(.milliseconds(1)).map { 5 }))
        let (o1, _) = runAlone(a)
        let (o2, _) = runAlone(b)
        #expect(o1.value == .second(5) && o2.value == .second(5))
        // ~Copyable children compile too:
        let trace = Trace()
        let (o3, _) = runAlone(join(Tracked("x", trace, readyAt: 1), Tracked("y", trace, readyAt: 2)).map { $0.0 + $0.1 })
        #expect(o3.value == 3)
    }
}

/// A task that exercises every combinator: select, join, map, then, steps.
typealias CombinatorCycle = Sequenced<Sequenced<Deferred<Select2<Timer, Timer>>,
                                                Join2<Timer, Map<Timer, Int>>>,
                                      Then<Timer, Timer>>

func makeCombinatorCycle() -> CombinatorCycle {
    steps {
        select(Timer.after(.microseconds(50)), Timer.after(.microseconds(80)))
        join(Timer.after(.microseconds(30)), Timer.after(.microseconds(60)).map { _ in 1 })
        Timer.after(.microseconds(10)).then { _ in Timer.after(.microseconds(10)) }
    }
}

@Suite("Combinators and primitives allocate nothing in steady state")
struct CombinatorAllocationTests {
    // Skipped under a sanitizer (see mallocCountingAvailable): no count there.
    @Test("select, join, map, then and steps under the simulated run loop: zero malloc calls",
          .enabled(if: mallocCountingAvailable, mallocCountingSkipReason))
    func combinatorsDoNotAllocate() {
        let rig = SimRig<CombinatorCycle, 4>()
        func round() {
            for _ in 0..<4 { rig.spawn(makeCombinatorCycle()) }
            rig.run()
        }
        round()   // warm-up: generic metadata and the like
        let start = rig.now
        pollen_malloc_count_begin()
        for _ in 0..<500 { round() }
        let mallocs = pollen_malloc_count_end()
        #expect(mallocs == 0)
        #expect(rig.now.ticks - start.ticks == 500 * 130)   // 50 + 60 + 20 µs per round
        #expect(rig.armedTimers == 0)
    }

    // Skipped under a sanitizer (see mallocCountingAvailable): no count there.
    @Test("channel, notify, signal and mutex operations: zero malloc calls",
          .enabled(if: mallocCountingAvailable, mallocCountingSkipReason))
    func primitivesDoNotAllocate() {
        let channel = Pinned(Channel<Int, 8>())
        let notify = Pinned(Notify<4>())
        let signal = Pinned(Signal<Int>())
        let mutex = Pinned(AsyncMutex<Int, 4>(0))
        let executor = Pinned(Executor<1>())
        let pool = Pinned(TaskPool<Countdown, 1>(name: "context"))
        let tasks = try! executor.pointee.attach(&pool.pointee)
        try! pool.pointee.spawn(Countdown(counter: makeCounter(), remaining: 1_000_000))
        executor.pointee.runReady(tasks)
        let waker = executor.pointee.waker(forSlot: 0)!
        func cycle() {
            var context = Context(waker: waker, now: .zero)
            let tx = channel.pointee.sender()
            for i in 0..<8 { _ = tx.trySend(i) }
            var receive = channel.pointee.receive()
            while case .ready = receive.poll(&context) { receive = channel.pointee.receive() }
            var wait = notify.pointee.wait()
            _ = wait.poll(&context)
            notify.pointee.notifyOne()
            _ = wait.poll(&context)
            var next = signal.pointee.wait()
            _ = next.poll(&context)
            signal.pointee.signal(1)
            _ = next.poll(&context)
            var lock = mutex.pointee.lock()
            if var held = lock.poll(&context) { held.value += 1 }
        }
        cycle()
        pollen_malloc_count_begin()
        for _ in 0..<10_000 { cycle() }
        let mallocs = pollen_malloc_count_end()
        #expect(mallocs == 0)
        let total = mutex.pointee.tryLock()!.value
        #expect(total == 10_001)
    }
}
