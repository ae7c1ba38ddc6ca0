import Pollen
import PollenHost
import Testing

/// Sleeps `delay`, then logs the virtual time it woke at.
struct Nap: Future {
    let name: String
    let trace: Trace
    var timer: Timer
    mutating func poll(_ context: inout Context) -> Poll<Instant> {
        guard case .ready = timer.poll(&context) else { return .pending }
        trace.log("\(name) at \(context.now.ticks)")
        return .ready(context.now)
    }
}

/// A rig with a timer queue and a simulated platform.
struct TimedRig<T: Future & ~Copyable, let capacity: Int> {
    let rig = Rig<T, capacity>()
    let timers = Pinned(TimerQueue<capacity>())
    var platform: SimulatedPlatform

    init(start: Instant = .zero) {
        platform = SimulatedPlatform(clock: VirtualClock(start: start))
        rig.executor.pointee.attach(timers: &timers.pointee)
    }

    mutating func run(until stop: Instant? = nil) {
        platform.stopTime = stop
        rig.run(on: &platform)
    }
}

@Suite("Time: instants, timers, ticker, timeout, timer queue")
struct TimeTests {
    @Test("timers fire in deadline order, each exactly at its deadline (never early)")
    func timerOrder() {
        let trace = Trace()
        var t = TimedRig<Nap, 8>()
        for (name, ms) in [("c", 30), ("a", 10), ("d", 30), ("b", 20)] {
            t.rig.spawn(Nap(name: name, trace: trace, timer: .after(.milliseconds(UInt64(ms)))))
        }
        t.run()
        #expect(trace.entries == ["a at 10000", "b at 20000", "c at 30000", "d at 30000"])
        #expect(t.platform.sleeps == 3)   // three distinct deadlines: three jumps
    }

    @Test("a timer at an instant already passed completes on its first poll")
    func timerInThePast() {
        let trace = Trace()
        var t = TimedRig<Nap, 2>(start: Instant(ticks: 5_000))
        t.rig.spawn(Nap(name: "late", trace: trace, timer: .at(Instant(ticks: 1_000))))
        t.run()
        #expect(trace.entries == ["late at 5000"])
    }

    @Test("a timer polled before its deadline stays pending and registers that deadline")
    func neverEarly() {
        var timer = Timer.at(Instant(ticks: 1_000))
        let waker = handWaker()
        for now in [0, 500, 999] as [UInt64] {
            var context = Context(waker: waker, now: Instant(ticks: now))
            #expect(!timer.poll(&context).isReady)
            #expect(context.deadline == Instant(ticks: 1_000))
        }
        var context = Context(waker: waker, now: Instant(ticks: 1_000))
        #expect(timer.poll(&context).isReady)
    }

    @Test("hours of timers run in milliseconds of real time, deterministically")
    func hoursOfTimers() {
        let trace = Trace()
        var t = TimedRig<Nap, 4>()
        t.rig.spawn(Nap(name: "3h", trace: trace, timer: .after(.seconds(3 * 3600))))
        t.rig.spawn(Nap(name: "90min", trace: trace, timer: .after(.seconds(90 * 60))))
        t.run()
        #expect(trace.entries == ["90min at 5400000000", "3h at 10800000000"])
        // The clock never jumps more than half the 32-bit counter period, so it
        // crossed the 32-bit wrap (71.6 min) twice through the TickExtender.
        #expect(t.platform.sleeps >= 6)
    }

    @Test("time survives the 32-bit hardware counter wrap")
    func counterWrap() {
        var extender = TickExtender(startingAt: 0xFFFF_FF00)
        #expect(extender.extend(0xFFFF_FFF0) == 0xFFFF_FFF0)
        #expect(extender.extend(0x0000_0010) == 0x1_0000_0010)   // wrapped
        #expect(extender.extend(0x0000_0020) == 0x1_0000_0020)
        #expect(extender.wraps == 1)

        // A timer armed just before the wrap fires just after it, on time.
        let trace = Trace()
        let start = Instant(ticks: 0xFFFF_FFFF - 2_000)   // 2 ms before the wrap
        var t = TimedRig<Nap, 2>(start: start)
        t.rig.spawn(Nap(name: "across", trace: trace, timer: .after(.milliseconds(5))))
        t.run()
        #expect(trace.entries == ["across at \(start.ticks + 5_000)"])
        #expect(t.platform.clock.hardwareCounter < 5_000)   // the raw counter wrapped
    }

    @Test("Instant and Duration saturate instead of wrapping; a far-future timer never fires")
    func saturation() {
        #expect(Instant(ticks: .max - 5) + .microseconds(10) == .distantFuture)
        #expect(Duration.seconds(.max) == Duration(ticks: .max))
        #expect(Duration.milliseconds(3) * .max == Duration(ticks: .max))
        #expect(Instant(ticks: 5) - Instant(ticks: 10) == .zero)
        let trace = Trace()
        var t = TimedRig<Nap, 2>()
        t.rig.spawn(Nap(name: "never", trace: trace, timer: .after(.seconds(.max))))
        t.run()
        #expect(trace.entries.isEmpty)
        let armed = t.rig.executor.pointee.armedTimers
        #expect(armed == 0)   // "never" registers nothing: the run ends instead of hanging
    }

    @Test("a ticker keeps its grid over 10,000 periods without drift, despite late polls")
    func tickerNoDrift() {
        let rig = Rig<Scripted, 2>()
        let timers = Pinned(TimerQueue<2>())
        rig.executor.pointee.attach(timers: &timers.pointee)
        var platform = SimulatedPlatform()
        let clock = platform.clock
        var ticker = Ticker(period: .microseconds(1_000))
        let ticks = makeCounter()
        let offGrid = makeCounter()
        rig.spawn(Scripted("tick", Trace()) { _, cx in
            while case .ready(let periods) = ticker.poll(&cx) {
                ticks.pointee += Int(periods)
                if cx.now.ticks % 1_000 != 0 { offGrid.pointee += 1 }
                // Work that takes 0.3 ms of (virtual) time after every tick: a
                // ticker built on "now + period" would drift by 0.3 ms per tick.
                clock.advance(by: .microseconds(300))
            }
            return ticks.pointee >= 10_000 ? .ready(0) : .pending
        })
        rig.run(on: &platform)
        #expect(ticks.pointee == 10_000)
        #expect(offGrid.pointee == 0)
        #expect(ticker.next == Instant(ticks: 10_001 * 1_000))
        #expect(platform.clock.now == Instant(ticks: 10_000 * 1_000 + 300))
    }

    @Test("a ticker that falls behind reports the missed periods and stays on its grid")
    func tickerMissedPeriods() {
        var ticker = Ticker(period: .milliseconds(10), first: Instant(ticks: 10_000))
        let waker = handWaker()
        var context = Context(waker: waker, now: Instant(ticks: 35_000))   // 2.5 periods late
        guard case .ready(3) = ticker.poll(&context) else { Issue.record("expected 3 periods"); return }
        #expect(ticker.next == Instant(ticks: 40_000))
        #expect(ticker.count == 3)
    }

    @Test("timeout: the future wins when it is faster, the deadline wins when it is slower")
    func timeoutBothWays() {
        struct Race: Future {
            var timeout: Timeout<Nap>
            let trace: Trace
            mutating func poll(_ context: inout Context) -> Poll<Int> {
                switch timeout.poll(&context) {
                case .pending: return .pending
                case .ready(.completed(let at)): trace.log("completed \(at.ticks)"); return .ready(0)
                case .ready(.timedOut): trace.log("timed out \(context.now.ticks)"); return .ready(1)
                }
            }
        }
        let trace = Trace()
        var t = TimedRig<Race, 4>()
        let quiet = Trace()
        t.rig.spawn(Race(timeout: Timeout(Nap(name: "fast", trace: quiet, timer: .after(.milliseconds(5))),
                                          after: .milliseconds(20)), trace: trace))
        t.rig.spawn(Race(timeout: Timeout(Nap(name: "slow", trace: quiet, timer: .after(.milliseconds(50))),
                                          after: .milliseconds(20)), trace: trace))
        t.run()
        #expect(trace.entries == ["completed 5000", "timed out 20000"])
        let armed = t.rig.executor.pointee.armedTimers
        #expect(armed == 0)   // the slow future's 50 ms deadline was released with it
        #expect(t.platform.clock.now == Instant(ticks: 20_000))   // nothing woke at 50 ms
    }

    @Test("a full timer queue loses no timer: the overflowing task is polled until it fits, and it is counted")
    func timerQueueOverflow() {
        let trace = Trace()
        let rig = Rig<Nap, 4>()
        let timers = Pinned(TimerQueue<1>())
        rig.executor.pointee.attach(timers: &timers.pointee)
        rig.spawn(Nap(name: "a", trace: trace, timer: .after(.milliseconds(2))))
        rig.spawn(Nap(name: "b", trace: trace, timer: .after(.milliseconds(1))))
        var platform = SimulatedPlatform()
        platform.busyPollQuantum = .microseconds(100)
        rig.run(on: &platform)
        #expect(trace.entries == ["b at 1000", "a at 2000"])   // both fired, on time, in order
        let overflows = rig.executor.pointee.timerOverflows
        #expect(overflows > 0)
        var report = StringOutput()
        rig.executor.pointee.describeTimerQueue(to: &report)
        #expect(report.text == "timer queue: capacity 1, overflowed \(overflows) times (peak demand 2 tasks); no timer was lost, but overflowed tasks may be polled early; raise the TimerQueue capacity to 2\n")
    }
}

@Suite("Timer queue report")
struct TimerQueueReportTests {
    @Test("a queue that never overflowed says so")
    func neverFull() {
        let trace = Trace()
        var t = TimedRig<Nap, 4>()
        t.rig.spawn(Nap(name: "a", trace: trace, timer: .after(.milliseconds(1))))
        t.run()
        var report = StringOutput()
        t.rig.executor.pointee.describeTimerQueue(to: &report)
        #expect(report.text == "timer queue: capacity 4, never full\n")
        let peak = t.rig.executor.pointee.timerPeakDemand
        #expect(peak == 0)
    }
}

@Suite("Duration.forever")
struct ForeverTests {
    @Test("a timer of Duration.forever never fires and arms nothing; a timeout of it waits for its future alone")
    func foreverNeverFires() {
        let (outcome, rig) = runAlone(select(Timer.after(.forever), Timer.after(.milliseconds(3))))
        guard case .second = outcome.value else { Issue.record("the forever timer fired"); return }
        #expect(outcome.at == atMS(3))
        #expect(rig.armedTimers == 0)
        var timer = Timer.after(.forever)
        var context = Context(waker: handWaker(), now: Instant(ticks: UInt64.max - 1))
        #expect(!timer.poll(&context).isReady)
        #expect(context.deadline == .distantFuture)      // registers nothing
    }
}
