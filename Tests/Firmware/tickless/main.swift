// tickless — the tickless clock and its one-shot alarm (Board/common/CortexMClock.swift)
// on the real executor, one line per check (`name... OK`); any failure prints
// `FAIL` and exits 1. Runs under `-icount shift=0,sleep=off` (firmware.env):
// virtual time, so the counts below are exact and hours take a moment.
//
// 1. Blinky: a 500 ms ticker toggles the LED for 10 virtual seconds. The core
//    wakes exactly once per toggle: 20 wake-ups, 20 alarm interrupts (the
//    SysTick clock took 10,000 interrupts for the same).
// 2. The set-alarm race: an alarm requested for a deadline that has already
//    passed fires at once; and a sweep arms the alarm for the counter's next
//    count, 2 instructions later each round, so that the deadline passes
//    before, during (between the alarm code's counter read and its compare
//    write) and after the arming. Every round must wake at or after
//    the deadline and within 5 µs of it; a compare channel set to a count just
//    passed would sleep a counter wrap (71.6 min) instead.
// 3. A long timer: 10 minutes, past the mps2-an386's alarm span (171.8 s), is
//    reached in steps, fires not early and within 5 µs.
// 4. The counter's wrap, forced early (mps2-an386: the counter preset 3 s below
//    2^32 µs; the micro:bit's TIMER cannot be preset, so there part 5 crosses
//    its wrap): a 10 ms ticker runs across it, with exact tick counts, and
//    the 64-bit clock carries into its high word.
// 5. An hour and 12 minutes of a 1 s ticker (past 2^32 µs on both boards):
//    exactly 4,320 ticks, none early, one wake-up each (plus the clock's own
//    maintenance alarms, at most one per half-period of the counter).
// 6. A second requester of the alarm (what an executor in an interrupt handler
//    will be: its own entry and NVIC line, here the software interrupt's) with
//    a deadline before the thread's: the alarm handler pends its line at its
//    deadline, and the thread still wakes at its own.

import Pollen
import PollenBoardMinimal
import PollenFirmwareTestSupport   // check(...), spawn(...)
import PollenCortexMSupport        // pollen_disable_irq, pollen_spin, pollen_wfi

// MARK: - Tasks

/// Counts the ticks of a ticker; toggles the LED (blinky) on each.
struct Ticks: Future {
    var ticker: Ticker
    var toggleLED: Bool

    init(period: Duration, toggleLED: Bool) {
        ticker = Ticker(period: period)
        self.toggleLED = toggleLED
    }

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        if stopTicker { return .ready(()) }
        while case .ready(let periods) = ticker.poll(&context) {
            tickCount &+= periods
            if periods != 1 { missedTicks &+= 1 }
            // Tick n is due at first + n × period: never before, by the board's clock.
            let due = firstTick + ticker.period * (tickCount &- 1)
            let now = Board.now()
            if now < due { earlyTicks &+= 1 }
            let late = now - due
            if late > worstTickLateness { worstTickLateness = late }
            if toggleLED { Board.setLED(!Board.isLEDOn) }
        }
        if tickCount == 0, let next = ticker.next { firstTick = next }
        return .pending
    }
}

nonisolated(unsafe) var tickCount: UInt64 = 0
nonisolated(unsafe) var missedTicks: UInt64 = 0
nonisolated(unsafe) var earlyTicks: UInt32 = 0
nonisolated(unsafe) var firstTick = Instant.zero
nonisolated(unsafe) var worstTickLateness = Duration.zero

/// One timer of `duration`; records when it fired.
struct OneTimer: Future {
    var timer: Timer
    init(_ duration: Duration) { timer = .after(duration) }

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        if timerDeadline == nil { timerDeadline = context.now + timerDuration }
        guard case .ready = timer.poll(&context) else { return .pending }
        timerFiredAt = Board.now()
        return .ready(())
    }
}

nonisolated(unsafe) var timerDuration = Duration.zero
nonisolated(unsafe) var timerDeadline: Instant? = nil
nonisolated(unsafe) var timerFiredAt: Instant? = nil

public let pollenTaskSize_Ticks = MemoryLayout<Ticks>.size
public let pollenTaskSize_OneTimer = MemoryLayout<OneTimer>.size

// MARK: - A platform that ends the run

/// `CortexMPlatform`, ending `run` at `stopAt` or once `stopWhen` holds.
struct StoppingPlatform: Platform {
    var inner = CortexMPlatform()
    var stopAt = Instant.distantFuture
    var stopWhen: () -> Bool = { false }

    mutating func now() -> Instant { inner.now() }

    mutating func idle(until deadline: Instant?, strategy: IdleStrategy,
                       isStillIdle: () -> Bool) -> IdleOutcome {
        if stopWhen() || inner.now() >= stopAt { return .stop }
        var until = deadline
        if until == nil || stopAt < until! { until = stopAt }
        return inner.idle(until: until, strategy: strategy, isStillIdle: isStillIdle)
    }
}

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var tickers = TaskPool<Ticks, 1>(name: "ticks")
nonisolated(unsafe) var timers = TaskPool<OneTimer, 1>(name: "timer")

// MARK: - The test

@main
struct TicklessTest {
    static func main() {
        var platform = StoppingPlatform(inner: Board.startClock())
        let ticks: PoolRef<Ticks, 1>
        let timer: PoolRef<OneTimer, 1>
        do throws(CapacityError) {
            ticks = try executor.attach(&tickers)
            timer = try executor.attach(&timers)
        } catch {
            Board.fail(error)
        }
        let all = tasks(ticks, timer)

        blinky(&platform, ticks, all)
        alarmRace()
        longTimer(&platform, timer, all)
        counterWrap(&platform, ticks, all)
        hourTicker(&platform, ticks, all)
        secondRequester()
        Board.exit(0)
    }

    /// Part 1: 10 virtual seconds of blinky.
    @inline(never)
    static func blinky<Tasks: TaskSet>(_ platform: inout StoppingPlatform, _ ticks: PoolRef<Ticks, 1>, _ all: Tasks) {
        resetTicks()
        let wakeupsBefore = Board.idleWakeups
        let alarmsBefore = Board.alarmInterrupts
        let start = platform.now()
        spawn(ticks, Ticks(period: .milliseconds(500), toggleLED: true))
        platform.stopWhen = { tickCount >= 20 }
        executor.run(on: &platform, idle: .sleep, tasks: all)
        let elapsed = platform.now() - start
        let wakeups = Board.idleWakeups &- wakeupsBefore
        let alarms = Board.alarmInterrupts &- alarmsBefore
        check("blinky: 20 toggles in 10 virtual seconds, none early, none missed",
              tickCount == 20 && earlyTicks == 0 && missedTicks == 0
              && elapsed >= .seconds(10) && elapsed < .seconds(10) + .microseconds(100),
              UInt32(truncatingIfNeeded: elapsed.ticks))
        check("blinky: one wake-up per toggle (20), no periodic tick", wakeups == 20, wakeups)
        check("blinky: one alarm interrupt per toggle (20)", alarms == 20, alarms)
        Board.log("  blinky: \(wakeups) wake-ups, \(alarms) alarm interrupts in 10 s; worst tick lateness \(UInt32(truncatingIfNeeded: worstTickLateness.ticks)) us")
        cancelTicks(ticks, all)
    }

    /// Part 2: the alarm armed for a deadline in the past, or passing meanwhile.
    @inline(never)
    static func alarmRace() {
        // Already passed: the handler runs as soon as interrupts are unmasked.
        let before = Board.alarmInterrupts
        pollen_disable_irq()
        TicklessAlarm.request(Board.self, Instant(ticks: Board.now().ticks &- 3), for: .threadMode)   // 3 µs ago
        let pended = Board.alarmInterrupts == before   // masked: not yet run
        pollen_enable_irq()
        check("an alarm for a deadline already passed fires at once",
              pended && Board.alarmInterrupts == before &+ 1)

        // The sweep: each round starts just after the counter ticked, takes the
        // next count as the deadline (under 1 µs ahead), waits 2 instructions
        // more than the round before (2 ns under -icount shift=0), then arms:
        // over the rounds the deadline passes before, during and after arming.
        var early: UInt32 = 0
        var late: UInt32 = 0
        var passedBeforeArming: UInt32 = 0
        var worst = Duration.zero
        for round: UInt32 in 0..<raceRounds {
            pollen_disable_irq()
            let start = Board.now()
            var deadline = Board.now()
            while deadline == start { deadline = Board.now() }   // just ticked
            deadline = deadline + .microseconds(1)
            pollen_spin(round)
            if Board.now() >= deadline { passedBeforeArming &+= 1 }
            TicklessAlarm.request(Board.self, deadline, for: .threadMode)
            pollen_wfi()
            pollen_enable_irq()     // the alarm handler runs here
            // A wfi may end early on the handler's own pend; wait as the idle loop would.
            var now = Board.now()
            while now < deadline {
                pollen_disable_irq()
                TicklessAlarm.request(Board.self, deadline, for: .threadMode)
                pollen_wfi()
                pollen_enable_irq()
                now = Board.now()
            }
            if now < deadline { early &+= 1 }
            let lateness = now - deadline
            if lateness > .microseconds(5) { late &+= 1 }
            if lateness > worst { worst = lateness }
        }
        TicklessAlarm.request(Board.self, nil, for: .threadMode)
        check("set-alarm race: 1,200 rounds, none early, none more than 5 us late",
              early == 0 && late == 0, late)
        check("set-alarm race: the deadline passed before arming in some rounds, not in others",
              passedBeforeArming > 0 && passedBeforeArming < raceRounds, passedBeforeArming)
        Board.log("  race: deadline passed before arming in \(passedBeforeArming) of 1200 rounds; worst lateness \(UInt32(truncatingIfNeeded: worst.ticks)) us")
    }

    /// Part 3: a timer longer than the alarm's span.
    @inline(never)
    static func longTimer<Tasks: TaskSet>(_ platform: inout StoppingPlatform, _ timer: PoolRef<OneTimer, 1>, _ all: Tasks) {
        timerDuration = .seconds(600)
        timerDeadline = nil
        timerFiredAt = nil
        let alarmsBefore = Board.alarmInterrupts
        spawn(timer, OneTimer(timerDuration))
        platform.stopWhen = { timerFiredAt != nil }
        executor.run(on: &platform, idle: .sleep, tasks: all)
        let alarms = Board.alarmInterrupts &- alarmsBefore
        // Steps: ⌈600 s / span⌉, plus at most one crossing of the counter's half-period.
        let span = UInt64(_truncatingBits: UInt(Board.maximumAlarmSpan))
        let steps = UInt32(truncatingIfNeeded: (600_000_000 &+ span &- 1) / span)
        guard let deadline = timerDeadline, let fired = timerFiredAt else {
            check("long timer: fired", false)
            return
        }
        check("long timer: 10 minutes, not early, within 5 us",
              fired >= deadline && fired - deadline <= .microseconds(5),
              UInt32(truncatingIfNeeded: (fired - deadline).ticks))
        check("long timer: reached in alarm steps (span 171.8 s / 35.8 min), no more",
              alarms >= steps && alarms <= steps &+ 1, alarms)
        Board.log("  long timer: \(alarms) alarm interrupts for 600 s (span \(Board.maximumAlarmSpan) us); late \(UInt32(truncatingIfNeeded: (fired - deadline).ticks)) us")
    }

    /// Part 4: the counter's wrap, forced early where the counter can be preset.
    @inline(never)
    static func counterWrap<Tasks: TaskSet>(_ platform: inout StoppingPlatform, _ ticks: PoolRef<Ticks, 1>, _ all: Tasks) {
        let top: UInt64 = 0x1_0000_0000
        guard CortexMPlatform.presetClockForTesting(top &- 3_000_000) else {
            Board.writeLine("counter wrap: this board's counter cannot be preset (nRF51 TIMER); the hour below crosses it... OK")
            return
        }
        resetTicks()
        spawn(ticks, Ticks(period: .milliseconds(10), toggleLED: false))
        platform.stopWhen = { tickCount >= 600 }
        executor.run(on: &platform, idle: .sleep, tasks: all)
        let now = platform.now()
        check("counter wrap: preset 3 s below 2^32 us, 600 ticks of 10 ms across it, none early or missed",
              tickCount == 600 && earlyTicks == 0 && missedTicks == 0,
              UInt32(truncatingIfNeeded: tickCount))
        check("counter wrap: the clock carried into its high word (3 s later)",
              now >= Instant(ticks: top &+ 3_000_000) && now < Instant(ticks: top &+ 3_001_000),
              UInt32(truncatingIfNeeded: now.ticks &>> 32))
        cancelTicks(ticks, all)
    }

    /// Part 5: 72 minutes of a 1 s ticker.
    @inline(never)
    static func hourTicker<Tasks: TaskSet>(_ platform: inout StoppingPlatform, _ ticks: PoolRef<Ticks, 1>, _ all: Tasks) {
        resetTicks()
        let wakeupsBefore = Board.idleWakeups
        let start = platform.now()
        spawn(ticks, Ticks(period: .seconds(1), toggleLED: false))
        platform.stopWhen = { tickCount >= 4_320 }
        executor.run(on: &platform, idle: .sleep, tasks: all)
        let end = platform.now()
        let wakeups = Board.idleWakeups &- wakeupsBefore
        check("hour ticker: exactly 4,320 ticks of 1 s in 72 minutes, none early, none missed",
              tickCount == 4_320 && earlyTicks == 0 && missedTicks == 0
              && end - start >= .seconds(4_320) && end - start < .seconds(4_320) + .milliseconds(1),
              UInt32(truncatingIfNeeded: tickCount))
        check("hour ticker: ticks to the microsecond (worst lateness under 5 us)",
              worstTickLateness <= .microseconds(5), UInt32(truncatingIfNeeded: worstTickLateness.ticks))
        check("hour ticker: the 32-bit counter wrapped meanwhile (2^32 us = 71.6 min)",
              (start.ticks ^ end.ticks) &>> 32 != 0)
        // One wake-up per tick, plus maintenance: ≤ 3 half-period crossings, and
        // on the mps2-an386 no span step (171.8 s > 1 s).
        check("hour ticker: one wake-up per tick, plus at most 3 for the clock",
              wakeups >= 4_320 && wakeups <= 4_323, wakeups)
        Board.log("  hour ticker: \(wakeups) wake-ups for 4320 ticks; worst lateness \(UInt32(truncatingIfNeeded: worstTickLateness.ticks)) us")
        cancelTicks(ticks, all)
    }

    /// Part 6: a second requester (as an executor in an interrupt handler
    /// would be: its own table entry and NVIC line) folded into the same alarm.
    @inline(never)
    static func secondRequester() {
        let start = Board.now()
        let early = start + .milliseconds(1)
        let late = start + .milliseconds(2)
        secondFiredAt = nil
        NVIC.enable(Board.softwareIRQ)
        TicklessAlarm.request(Board.self, early, for: AlarmRequester(index: 1, pending: Board.softwareIRQ))
        var platform = CortexMPlatform()
        var wakeups: UInt32 = 0
        while platform.now() < late {
            _ = platform.idle(until: late, strategy: .sleep, isStillIdle: { true })
            wakeups &+= 1
        }
        let threadAt = platform.now()
        NVIC.disable(Board.softwareIRQ)
        guard let fired = secondFiredAt else {
            check("second requester: its line was pended at its deadline", false)
            return
        }
        check("second requester: its line was pended at its deadline (1 ms), within 5 us",
              fired >= early && fired - early <= .microseconds(5), UInt32(truncatingIfNeeded: (fired - early).ticks))
        check("second requester: the thread's own deadline (2 ms) still came, within 5 us",
              threadAt >= late && threadAt - late <= .microseconds(5) && wakeups == 2, wakeups)
    }

    static func resetTicks() {
        tickCount = 0
        missedTicks = 0
        earlyTicks = 0
        worstTickLateness = .zero
    }

    /// Ends the ticker task: a ticker never completes, so this takes its slot back
    /// by cancelling it through a waker-less route: the test reuses the pool.
    static func cancelTicks<Tasks: TaskSet>(_ ticks: PoolRef<Ticks, 1>, _ all: Tasks) {
        stopTicker = true
        _ = executor.waker(forSlot: 0)?.wake()
        while executor.runReady(all) != 0 {}
        stopTicker = false
    }
}

nonisolated(unsafe) var stopTicker = false
/// When the software interrupt ran for the second requester (part 6).
nonisolated(unsafe) var secondFiredAt: Instant? = nil

/// The software interrupt line (31 on the mps2-an386, 20 on the micro:bit; this
/// test links no device-interrupt module, so it brings the handler): part 6.
@_cdecl("IRQ31_Handler")
public func softwareInterrupt31() { secondFiredAt = Board.now() }
@_cdecl("IRQ20_Handler")
public func softwareInterrupt20() { secondFiredAt = Board.now() }
/// Rounds of the set-alarm sweep: 2 ns apart, 2.4 µs in all.
let raceRounds: UInt32 = 1_200
