#if canImport(Glibc)
import Glibc
#endif
import Pollen
import PollenHost
import Synchronization
import Testing

/// Waits for its interrupt: the handler stores a flag and wakes the task.
struct AwaitInterrupt: Future {
    let name: String
    let trace: Trace
    let box: UnsafeMutablePointer<Waker?>
    let flag: UnsafeMutablePointer<Int>
    mutating func poll(_ context: inout Context) -> Poll<Int> {
        trace.log("poll \(name) at \(context.now.ticks)")
        if flag.pointee > 0 { return .ready(flag.pointee) }
        box.pointee = context.waker
        return .pending
    }
}

@Suite("Host simulation: interrupts, virtual clock, idle strategies")
struct SimulationTests {
    @Test("pending lines run most-urgent first; ties by line number; handlers may raise lines")
    func interruptPriorities() {
        let trace = Trace()
        let nvic = SimulatedInterruptController(lineCount: 8)
        nvic.setHandler(line: 1, priority: 2) { trace.log("irq1") }
        nvic.setHandler(line: 2, priority: 0) { trace.log("irq2"); nvic.raise(5) }
        nvic.setHandler(line: 3, priority: 2) { trace.log("irq3") }
        nvic.setHandler(line: 5, priority: 1) { trace.log("irq5") }
        for line in [3, 1, 2] { nvic.raise(line) }
        #expect(nvic.isPending(1) && nvic.isPending(2) && nvic.isPending(3))
        #expect(nvic.servicePending() == 4)
        #expect(trace.entries == ["irq2", "irq5", "irq1", "irq3"])
        #expect(!nvic.hasPending)
        #expect(nvic.servicedCount(5) == 1)
    }

    @Test("a raised line pends once: two raises before servicing run the handler once")
    func interruptsCoalesce() {
        let nvic = SimulatedInterruptController(lineCount: 4)
        nvic.setHandler(line: 0) {}
        nvic.raise(0); nvic.raise(0)
        nvic.servicePending()
        #expect(nvic.servicedCount(0) == 1)
    }

    @Test("an interrupt handler wakes a task; the idle step services it at the alarm time")
    func interruptWakesTask() {
        let trace = Trace()
        let rig = Rig<AwaitInterrupt, 2>()
        let box = makeWakerBox(), flag = makeCounter()
        var platform = SimulatedPlatform()
        let clock = platform.clock
        platform.interrupts.setHandler(line: 4) {
            trace.log("irq4 at \(clock.now.ticks)")
            flag.pointee = 42
            box.pointee!.wake()
        }
        platform.clock.setAlarm(at: Instant(ticks: 5_000), line: 4, on: platform.interrupts)
        rig.spawn(AwaitInterrupt(name: "rx", trace: trace, box: box, flag: flag))
        rig.run(on: &platform)
        #expect(trace.entries == ["poll rx at 0", "irq4 at 5000", "poll rx at 5000"])
        #expect(rig.occupied == 0)
        #expect(platform.sleeps == 1)   // one jump, straight to the alarm
    }

    @Test("an interrupt arriving while a task is being polled is not lost")
    func interruptDuringPoll() {
        let trace = Trace()
        let rig = Rig<Scripted, 2>()
        var platform = SimulatedPlatform()
        let box = makeWakerBox()
        let nvic = platform.interrupts
        nvic.setHandler(line: 0) { trace.log("irq"); box.pointee!.wake() }
        rig.spawn(Scripted("t", trace) { n, cx in
            box.pointee = cx.waker
            if n == 1 { nvic.raise(0); nvic.servicePending() }   // "preempts" the poll
            return n == 2 ? .ready(0) : .pending
        })
        rig.run(on: &platform)
        #expect(trace.entries == ["poll t", "irq", "poll t"])
        #expect(platform.idleSteps == 1)   // the final "nothing left" step only
    }

    @Test("sleep jumps to the next deadline; busy-poll spins in small steps; both wake on time")
    func idleStrategies() {
        for strategy in [IdleStrategy.sleep, .busyPoll] {
            let times = Trace()
            let rig = Rig<Scripted, 2>()
            let timers = Pinned(TimerQueue<4>())
            rig.executor.pointee.attach(timers: &timers.pointee)
            var timer = Timer.after(.milliseconds(3))
            rig.spawn(Scripted("t", times) { _, cx in
                if case .ready = timer.poll(&cx) { times.log("fired at \(cx.now.ticks)"); return .ready(0) }
                return .pending
            })
            var platform = SimulatedPlatform()
            rig.run(on: &platform, idle: strategy)
            #expect(times.entries == ["poll t", "poll t", "fired at 3000"])
            if case .sleep = strategy {
                #expect(platform.sleeps == 1 && platform.spins == 0)
            } else {
                #expect(platform.spins == 300 && platform.sleeps == 0)   // 3 ms in 10 µs steps
            }
        }
    }

    @Test("the run stops when nothing can happen any more, or at the stop time")
    func runStops() {
        let rig = Rig<Scripted, 2>()
        let timers = Pinned(TimerQueue<2>())
        rig.executor.pointee.attach(timers: &timers.pointee)
        var ticker = Ticker(period: .seconds(1))
        let count = makeCounter()
        rig.spawn(Scripted("ticker", Trace()) { _, cx in
            while case .ready = ticker.poll(&cx) { count.pointee += 1 }
            return .pending
        })
        var platform = SimulatedPlatform()
        platform.stopTime = Instant(ticks: 10_500_000)
        rig.run(on: &platform)
        #expect(count.pointee == 10)
        #expect(platform.clock.now == Instant(ticks: 10_500_000))
    }
}

/// Counts hand-offs: each poll acknowledges the producer's latest sequence number.
struct Acknowledger: Future {
    let sequence: UnsafePointer<Atomic<Int>>
    let acknowledged: UnsafePointer<Atomic<Int>>
    let wakerBox: UnsafeMutablePointer<Atomic<Int>>   // 1 once the waker is published
    let waker: UnsafeMutablePointer<Waker?>
    var polls = 0
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        polls += 1
        if wakerBox.pointee.load(ordering: .acquiring) == 0 {
            waker.pointee = context.waker
            wakerBox.pointee.store(1, ordering: .releasing)
        }
        acknowledged.pointee.store(sequence.pointee.load(ordering: .acquiring), ordering: .releasing)
        return .pending
    }
}

@Suite("Threaded simulation: no wake is lost while the executor sleeps")
struct ThreadedTests {
    @Test("1,000,000 hand-offs from another thread, each one observed by a poll")
    func lostWakeStress() async throws {
        let hands = 1_000_000
        let executor = Pinned(Executor<1>())
        let pool = Pinned(TaskPool<Acknowledger, 1>(name: "ack"))
        let acks = try executor.pointee.attach(&pool.pointee)
        let sequence = Pinned(Atomic<Int>(0)), acknowledged = Pinned(Atomic<Int>(0))
        let published = Pinned(Atomic<Int>(0))
        let waker = Pinned<Waker?>(nil)
        try pool.pointee.spawn(Acknowledger(sequence: sequence.address, acknowledged: acknowledged.address,
                                            wakerBox: published.address, waker: waker.address))
        let platform = ThreadedPlatform()
        var platformRef = platform
        let executorThread = Thread { executor.pointee.run(on: &platformRef, idle: .sleep, tasks: acks) }
        executorThread.start()
        while published.pointee.load(ordering: .acquiring) == 0 { sched_yield() }
        let w = waker.pointee!
        var stalled = false
        for i in 1...hands {
            sequence.pointee.store(i, ordering: .releasing)
            platform.interrupt { w.wake() }            // the "ISR": wake, then doorbell
            var spins = 0
            while acknowledged.pointee.load(ordering: .acquiring) != i {
                spins += 1
                if spins & 0xFFF == 0 { sched_yield() }
                if spins > 200_000_000 { stalled = true; break }  // a lost wake would hang here
            }
            if stalled { Issue.record("hand-off \(i) was never observed: a wake was lost"); break }
        }
        platform.requestStop()
        executorThread.join()
        #expect(!stalled)
        #expect(acknowledged.pointee.load(ordering: .relaxed) == hands)
        #expect(platform.sleeps > 0)   // the executor really went to sleep in between
    }

    @Test("idle wake-ups: a 500 ms blinky wakes the core 20 times in 10 s, with no periodic tick")
    func blinkyWakeups() throws {
        let executor = Pinned(Executor<1>())
        let pool = Pinned(TaskPool<TickCounter, 1>(name: "blink"))
        let tasks = try executor.pointee.attach(&pool.pointee)
        let ticks = makeCounter()
        try tasks.spawn(TickCounter(period: .milliseconds(500), ticks: ticks))
        var platform = SimulatedPlatform()
        platform.stopTime = .zero + .seconds(10)
        executor.pointee.run(on: &platform, idle: .sleep, tasks: tasks)
        #expect(ticks.pointee == 20)
        #expect(platform.idleWakeups == 20)          // one per toggle: 2 per second
        #expect(platform.clock.now == .zero + .seconds(10))
    }

    @Test("idle wake-ups: an hour of a 1 s ticker takes 3,600 wake-ups; a 2-hour timer alone, 4 (half-period steps)")
    func longRunWakeups() throws {
        let executor = Pinned(Executor<1>())
        let pool = Pinned(TaskPool<TickCounter, 1>(name: "ticker"))
        let tasks = try executor.pointee.attach(&pool.pointee)
        let ticks = makeCounter()
        try tasks.spawn(TickCounter(period: .seconds(1), ticks: ticks))
        var platform = SimulatedPlatform()
        platform.stopTime = .zero + .seconds(3_600)
        executor.pointee.run(on: &platform, idle: .sleep, tasks: tasks)
        #expect(ticks.pointee == 3_600)
        #expect(platform.idleWakeups == 3_600)

        let executor2 = Pinned(Executor<1>())
        let pool2 = Pinned(TaskPool<Timer, 1>(name: "timer"))
        let tasks2 = try executor2.pointee.attach(&pool2.pointee)
        try tasks2.spawn(Timer.after(.seconds(7_200)))
        var platform2 = SimulatedPlatform()
        executor2.pointee.run(on: &platform2, idle: .sleep, tasks: tasks2)
        // 7,200 s in jumps of at most 2^31 µs (2,147.5 s): 4 wake-ups, the last at the deadline.
        #expect(platform2.idleWakeups == 4)
        #expect(platform2.clock.now == .zero + .seconds(7_200))
    }
}

/// Counts the ticks of a ticker (a blinky without the LED).
struct TickCounter: Future {
    var ticker: Ticker
    let ticks: UnsafeMutablePointer<Int>
    init(period: Duration, ticks: UnsafeMutablePointer<Int>) {
        ticker = Ticker(period: period)
        self.ticks = ticks
    }
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while case .ready(let periods) = ticker.poll(&context) { ticks.pointee += Int(periods) }
        return .pending
    }
}
