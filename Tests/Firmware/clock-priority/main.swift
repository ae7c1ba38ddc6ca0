// clock-priority — the tickless clock reads whole from any interrupt priority,
// across the crossings of its 32-bit counter, including from a handler that
// preempts the alarm handler in the middle of counting a crossing. One line
// per check; a failure prints FAIL and exits 1.
//
// The clock is P · 2^31 + (C xor (P & 1) · 2^31) (Board/common/CortexMClock.swift):
// P, the count of the counter's half-period crossings, is brought up to date by
// the alarm handler, armed for every crossing; readers read P, then the
// counter C, without masking. Between a crossing and the handler's update, P
// is stale and the `xor` must make up for it. This test makes readers land in
// that window from above: priorities are alarm least urgent (0xC0), software
// interrupt 0x40, a hardware test timer most urgent (0x00), on IRQ 9 (CMSDK APB
// timer 1 on the mps2-an386, TIMER1 on the micro:bit; firmware.env picks the
// driver).
//
// 1. Across the crossings. The clock is brought 2 ms before a crossing of
//    2^31 and then of 2^32 (preset on the mps2-an386; on the micro:bit, whose
//    TIMER cannot be preset, by sleeping there: free under -icount). The
//    thread raises the software interrupt over and over for 4 ms; each run of
//    its handler reads the clock 8 times. Every reading must be monotonic and
//    never step by 2^31 µs or more.
//
// 2. A reader inside the alarm handler. Each round brings the clock 20 µs
//    before a crossing, waits for the counter to tick 10 µs before it, spins 2
//    more instructions than the round before, then starts the one-shot test
//    timer, due about when the crossing is counted: over 1,024 rounds (2 µs)
//    its interrupt sweeps across the crossing, the alarm interrupt and the
//    alarm handler's update of P. QEMU runs with `-icount shift=0` (one
//    instruction per nanosecond, interrupts taken exactly where due). The test
//    timer's handler reads the clock, P and the counter: the clock must be
//    within 10 µs of the crossing (a torn or stale reading is 2^31 µs off).
//    Checks that some rounds read P stale (the counter past the crossing, P
//    not yet updated: the window the `xor` covers). The alarm handler masks
//    interrupts while it updates P (invariant "clock period"), so a reader
//    sees P before or after the store, never during; the rounds whose test
//    timer preempted the alarm handler's entry (one exception frame deeper)
//    are counted and printed, not required.

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)
import PollenCortexMSupport   // pollen_spin, pollen_stack_pointer, pollen_clock_half_periods_read
import Synchronization
import _Volatile

// MARK: - Priorities

let alarmPriority: UInt8 = 0xC0
let softwarePriority: UInt8 = 0x40
let timerPriority: UInt8 = 0x00
/// The test timer's NVIC line: CMSDK APB timer 1 (mps2-an386), TIMER1 (micro:bit).
let timerIRQ: UInt32 = 9

// MARK: - The one-shot test timer (board-specific registers)

#if TIMER_NRF51
/// nRF51 TIMER1 at 0x4000_9000, 16 MHz (prescaler 0), 32-bit, compare 0.
enum TestTimer {
    static let clocksPerMicrosecond: UInt32 = 16
    static func prepare(clocks: UInt32) {
        mmio(0x4000_9004).store(1)            // TASKS_STOP
        mmio(0x4000_900C).store(1)            // TASKS_CLEAR: counter = 0
        mmio(0x4000_9504).store(0)            // MODE = timer
        mmio(0x4000_9508).store(3)            // BITMODE = 32 bits
        mmio(0x4000_9510).store(0)            // PRESCALER = 0: 16 MHz
        mmio(0x4000_9540).store(clocks)       // CC[0]
        mmio(0x4000_9140).store(0)            // EVENTS_COMPARE[0] cleared
        mmio(0x4000_9304).store(1 << 16)      // INTENSET: COMPARE[0]
    }
    /// Starts counting: the interrupt comes `clocks` timer clocks after this store.
    @inline(__always)
    static func start() { pollen_register_store(0x4000_9000, 1) }   // TASKS_START
    static func acknowledge() {
        mmio(0x4000_9004).store(1)            // TASKS_STOP
        mmio(0x4000_9140).store(0)            // EVENTS_COMPARE[0]: lowers the line
    }
}
#elseif TIMER_CMSDK
/// CMSDK APB timer 1 at 0x4000_1000, 25 MHz (PCLK), counts down, interrupts at zero.
enum TestTimer {
    static let clocksPerMicrosecond: UInt32 = 25
    static func prepare(clocks: UInt32) {
        mmio(0x4000_1000).store(0)            // CTRL: stopped
        mmio(0x4000_100C).store(1)            // INTCLEAR
        mmio(0x4000_1008).store(25)           // RELOAD (see Board/mps2-an386/Clock.swift)
        mmio(0x4000_1004).store(clocks)       // VALUE
    }
    /// Starts counting: the interrupt comes `clocks` timer clocks after this store.
    @inline(__always)
    static func start() { pollen_register_store(0x4000_1000, 0b1001) }   // CTRL: IRQEN | EN
    static func acknowledge() {
        mmio(0x4000_1000).store(0)            // CTRL: stopped
        mmio(0x4000_100C).store(1)            // INTCLEAR: lowers the line
    }
}
#else
#error("clock-priority: no one-shot timer for this board (see firmware.env)")
#endif

// MARK: - Part 1: the software interrupt reads across a crossing

nonisolated(unsafe) var previous: UInt64 = 0
nonisolated(unsafe) var reads: UInt32 = 0
nonisolated(unsafe) var readsAfterCrossing: UInt32 = 0
nonisolated(unsafe) var failures: UInt32 = 0
nonisolated(unsafe) var firstFailure: UInt64 = 0
nonisolated(unsafe) var crossing: UInt64 = 0

/// The software interrupt's hook: 8 readings, each checked against the last.
func onSoftwareInterrupt() {
    for _ in 0..<8 {
        let now = Board.now().ticks
        if now < previous || now &- previous >= 0x8000_0000 {
            if failures == 0 { firstFailure = now }
            failures &+= 1
        }
        previous = now
        reads &+= 1
        if now >= crossing { readsAfterCrossing &+= 1 }
    }
}

// MARK: - Part 2: the test timer's handler

let timerFired = Atomic<Bool>(false)
nonisolated(unsafe) var timerReading: UInt64 = 0
nonisolated(unsafe) var timerHalfPeriods: UInt32 = 0
nonisolated(unsafe) var timerCounter: UInt32 = 0
nonisolated(unsafe) var timerStackPointer: UInt32 = 0

@_cdecl("IRQ9_Handler")
public func timerInterrupt() {
    TestTimer.acknowledge()
    timerHalfPeriods = pollen_clock_half_periods_read()
    timerCounter = Board.readCounter()
    timerReading = Board.now().ticks
    timerStackPointer = pollen_stack_pointer()
    timerFired.store(true, ordering: .releasing)
}

// MARK: - The test

nonisolated(unsafe) var platform = CortexMPlatform()

/// Brings the clock to `target` (at or after the clock now): a preset where
/// the board can, else sleeping there.
func bringClock(to target: UInt64) {
    if CortexMPlatform.presetClockForTesting(target) { return }
    while platform.now().ticks < target {
        _ = platform.idle(until: Instant(ticks: target), strategy: .sleep, isStillIdle: { true })
    }
}

/// The next crossing of 2^31 by the clock after `now`.
func nextCrossing(after now: UInt64) -> UInt64 { (now | 0x7FFF_FFFF) &+ 1 }

@main
struct ClockPriorityTest {
    static func main() {
        platform = Board.start()
        NVIC.setPriority(Board.alarmIRQ, alarmPriority)
        NVIC.setPriority(Board.softwareIRQ, softwarePriority)
        NVIC.setPriority(timerIRQ, timerPriority)
        check("priorities set: alarm lowest, software interrupt, test timer highest",
              NVIC.priority(Board.alarmIRQ) == alarmPriority
              && NVIC.priority(Board.softwareIRQ) == softwarePriority
              && NVIC.priority(timerIRQ) == timerPriority)

        Board.setSoftwareInterruptHook { onSoftwareInterrupt() }
        readAcross(nextCrossing(after: platform.now().ticks), "2^31")
        readAcross(nextCrossing(after: platform.now().ticks), "2^32")
        Board.setSoftwareInterruptHook(nil)
        sweepThroughAlarmHandler()
        Board.exit(0)
    }

    /// Part 1 at one crossing.
    @inline(never)
    static func readAcross(_ at: UInt64, _ name: StaticString) {
        bringClock(to: at &- 2_000)
        crossing = at
        previous = Board.now().ticks
        reads = 0
        readsAfterCrossing = 0
        failures = 0
        let end = platform.now() + .milliseconds(4)
        while platform.now() < end {
            Board.pendSoftwareInterrupt()
        }
        Board.write("across the crossing at ")
        Board.write(name)
        Board.writeLine(":")
        check("  reads from a higher-priority handler are monotonic, never 2^31 off",
              failures == 0, UInt32(truncatingIfNeeded: firstFailure &>> 31))
        check("  many reads on both sides of the crossing",
              readsAfterCrossing >= 100 && reads &- readsAfterCrossing >= 100, readsAfterCrossing)
    }

    /// Part 2.
    @inline(never)
    static func sweepThroughAlarmHandler() {
        NVIC.enable(timerIRQ)
        var wrong: UInt32 = 0
        var firstWrong: UInt64 = 0
        var staleRounds: UInt32 = 0
        var nestedRounds: UInt32 = 0
        var beforeRounds: UInt32 = 0
        var shallowest: UInt32 = 0xFFFF_FFFF
        var deepest: UInt32 = 0
        let rounds: UInt32 = 1_024
        // Due ~10 µs after the tick that starts the round, less a lead that puts
        // the sweep's start a little before the crossing.
        let clocks = 10 &* TestTimer.clocksPerMicrosecond &- TestTimer.clocksPerMicrosecond / 4

        for round in 0..<rounds {
            let at = nextCrossing(after: platform.now().ticks)
            bringClock(to: at &- 20)
            timerFired.store(false, ordering: .relaxed)
            TestTimer.prepare(clocks: clocks)
            // Wait for the counter to tick 10 µs before the crossing.
            let target = UInt32(truncatingIfNeeded: at &- 10)
            while Board.readCounter() != target {}
            let threadStack = pollen_stack_pointer()
            pollen_spin(round)
            TestTimer.start()
            while !timerFired.load(ordering: .acquiring) {}
            // Let the alarm handler count the crossing if it has not yet.
            _ = platform.idle(until: Instant(ticks: at &+ 5), strategy: .sleep, isStillIdle: { true })

            let reading = timerReading
            if reading < at &- 10 || reading > at &+ 10 {
                if wrong == 0 { firstWrong = reading }
                wrong &+= 1
            }
            if reading < at { beforeRounds &+= 1 }
            // Stale: the counter had crossed, P not yet counted it.
            if (timerCounter ^ (timerHalfPeriods &<< 31)) & 0x8000_0000 != 0 { staleRounds &+= 1 }
            let depth = threadStack &- timerStackPointer
            if depth < shallowest { shallowest = depth }
            if depth > deepest { deepest = depth }
            handlerDepths[Int(round)] = UInt16(truncatingIfNeeded: depth)
        }
        NVIC.disable(timerIRQ)
        for round in 0..<Int(rounds) where UInt32(handlerDepths[round]) >= shallowest &+ 32 {
            nestedRounds &+= 1
        }
        check("reads from the test timer are whole (within 10 us of the crossing, never 2^31 off)",
              wrong == 0, UInt32(truncatingIfNeeded: firstWrong &>> 31))
        check("the sweep read before and after the crossing", beforeRounds > 0 && beforeRounds < rounds, beforeRounds)
        check("some reads came while the half-period count was stale", staleRounds > 0, staleRounds)
        Board.log("rounds: \(rounds), before the crossing \(beforeRounds), with the count stale \(staleRounds), preempting the alarm handler \(nestedRounds)")
    }
}

/// Per sweep round: bytes of stack between the thread and the test timer's handler.
nonisolated(unsafe) var handlerDepths = InlineArray<1024, UInt16>(repeating: 0)
