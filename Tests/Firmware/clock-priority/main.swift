// clock-priority — the 64-bit tick count reads whole from an interrupt of higher
// priority than SysTick, across the carry out of its low word (issue 9: "the
// 64-bit tick count can tear"). One line per check; a failure prints FAIL and
// exits 1.
//
// Priorities: SysTick the least urgent (0xC0), the software interrupt above it
// (0x40), a hardware timer the most urgent (0x00). The timer is IRQ 8 on both
// boards: CMSDK APB timer 0 on the mps2-an386, TIMER0 on the micro:bit
// (firmware.env picks the driver below).
//
// 1. Across the carry. The count starts at 0xFFFF_F000 µs (test-only preset), so
//    the 5th tick carries into the high word. The thread raises the software
//    interrupt over and over for 12 ms; each run of its handler reads the three
//    clocks (`platform.now()`, `pollen_tick_count()`, `Board.now()`) 8 times.
//    Every reading must be monotonic, never step by 2^31 µs or more, and the
//    precise clock never below the executor's.
//
// 2. A reader inside SysTick_Handler. Part 1 cannot catch a torn update: a
//    software interrupt is raised by the thread, never in the middle of another
//    handler. So here a timer interrupt, which fires on its own, is swept
//    across the handler two instructions at a time. QEMU runs with
//    `-icount shift=0` (firmware.env): one instruction per nanosecond of
//    virtual time, and a timer interrupt is taken exactly at the instruction
//    where it is due, even mid-block. Each round:
//      - the count is preset to k·2^32 − 500 (BEFORE): the next tick carries;
//      - SysTick is started (period `sweepPeriod` cycles), then `pollen_spin(d)`
//        (2d + 2 instructions), then the one-shot timer, due `timerLead` timer
//        clocks sooner than the tick: round d puts the timer interrupt 2
//        instructions later, relative to the tick, than round d − 1;
//      - the timer handler reads the three clocks: each must be BEFORE or
//        AFTER (= BEFORE + 1000), the precise one within [BEFORE, AFTER + 999].
//        A torn read is AFTER − 2^32: a new low word with the old high word.
//    The handler also notes whether it preempted SysTick_Handler (its stack
//    pointer is then one exception frame lower), and the check requires that
//    some rounds did: the sweep really went through the handler.
//    Without the masked update in SysTick_Handler this fails on the micro:bit
//    (its Cortex-M0 stores the two words with two `str`, 3 instructions apart).
//    On the mps2-an386 the update is one `strd`, which QEMU never splits, so
//    there the check passes either way (the architecture does not make `strd`
//    single-copy atomic, so silicon may still split it).

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)
import PollenCortexMSupport   // pollen_spin, pollen_stack_pointer, pollen_tick_count
import Synchronization
import _Volatile

// MARK: - Priorities

let sysTickPriority: UInt8 = 0xC0
let softwarePriority: UInt8 = 0x40
let timerPriority: UInt8 = 0x00
/// The timer's NVIC line: CMSDK APB timer 0 (mps2-an386), TIMER0 (micro:bit).
let timerIRQ: UInt32 = 8

// MARK: - The one-shot timer (board-specific registers)

#if TIMER_NRF51
/// nRF51 TIMER0 at 0x4000_8000, 16 MHz (prescaler 0), 32-bit, compare 0.
enum TestTimer {
    static func prepare(cycles: UInt32) {
        mmio(0x4000_8004).store(1)            // TASKS_STOP
        mmio(0x4000_800C).store(1)            // TASKS_CLEAR: counter = 0
        mmio(0x4000_8504).store(0)            // MODE = timer
        mmio(0x4000_8508).store(3)            // BITMODE = 32 bits
        mmio(0x4000_8510).store(0)            // PRESCALER = 0: 16 MHz
        mmio(0x4000_8540).store(cycles)       // CC[0]
        mmio(0x4000_8140).store(0)            // EVENTS_COMPARE[0] cleared
        mmio(0x4000_8304).store(1 << 16)      // INTENSET: COMPARE[0]
    }
    /// Starts counting: the interrupt comes `cycles` timer clocks after this store.
    @inline(__always)
    static func start() { mmio(0x4000_8000).store(1) }   // TASKS_START
    static func acknowledge() {
        mmio(0x4000_8004).store(1)            // TASKS_STOP
        mmio(0x4000_8140).store(0)            // EVENTS_COMPARE[0]: lowers the line
    }
}
#elseif TIMER_CMSDK
/// CMSDK APB timer 0 at 0x4000_0000, 25 MHz (PCLK), counts down, interrupts on 1 → 0.
enum TestTimer {
    static func prepare(cycles: UInt32) {
        mmio(0x4000_0000).store(0)            // CTRL: stopped
        mmio(0x4000_000C).store(1)            // INTCLEAR
        mmio(0x4000_0008).store(0xFFFF_FFFF)  // RELOAD: far away (no second interrupt)
        mmio(0x4000_0004).store(cycles)       // VALUE
    }
    /// Starts counting: the interrupt comes `cycles` timer clocks after this store.
    @inline(__always)
    static func start() { mmio(0x4000_0000).store(0b1001) }   // CTRL: IRQEN | EN
    static func acknowledge() {
        mmio(0x4000_0000).store(0)            // CTRL: stopped
        mmio(0x4000_000C).store(1)            // INTCLEAR: lowers the line
    }
}
#else
#error("clock-priority: no one-shot timer for this board (see firmware.env)")
#endif

// MARK: - What the handlers saw

/// A set of readings of the three clocks.
struct Readings {
    var coarse: UInt64 = 0     // platform.now()
    var raw: UInt64 = 0        // pollen_tick_count()
    var precise: UInt64 = 0    // Board.now()
}

/// Reads the three clocks, as any handler would.
@inline(__always)
func readClocks() -> Readings {
    var platform = CortexMPlatform(cpuHz: Board.cpuHz)
    var readings = Readings()
    readings.coarse = platform.now().ticks
    readings.raw = pollen_tick_count()
    readings.precise = Board.now().ticks
    return readings
}

// Part 1: written only by the software interrupt's handler; read by the thread
// after it (the handler has run by the time `pendSoftwareInterrupt` returns).
nonisolated(unsafe) var previous = Readings()
nonisolated(unsafe) var carryReads: UInt32 = 0
nonisolated(unsafe) var carryReadsAfterCarry: UInt32 = 0
nonisolated(unsafe) var carryFailures: UInt32 = 0
nonisolated(unsafe) var firstCarryFailure: UInt64 = 0

/// Whether `next` may follow `last`: not lower, and less than 2^31 µs later.
@inline(__always)
func isPlausibleStep(_ last: UInt64, _ next: UInt64) -> Bool {
    next >= last && next &- last < 0x8000_0000
}

/// The software interrupt's hook (part 1): 8 readings, each checked against the last.
func onSoftwareInterrupt() {
    for _ in 0..<8 {
        let now = readClocks()
        let ok = isPlausibleStep(previous.coarse, now.coarse)
            && isPlausibleStep(previous.raw, now.raw)
            && isPlausibleStep(previous.precise, now.precise)
            && now.precise >= now.coarse
        if !ok {
            if carryFailures == 0 { firstCarryFailure = now.raw }
            carryFailures &+= 1
        }
        previous = now
        carryReads &+= 1
        if now.raw >= 0x1_0000_0000 { carryReadsAfterCarry &+= 1 }
    }
}

// Part 2: written by the timer handler before it sets `timerFired`; read by
// the thread after it sees the flag.
let timerFired = Atomic<Bool>(false)
nonisolated(unsafe) var timerReadings = Readings()
nonisolated(unsafe) var timerStackPointer: UInt32 = 0
/// Per sweep round: bytes of stack between the thread and the timer handler.
nonisolated(unsafe) var handlerDepths = InlineArray<256, UInt16>(repeating: 0)

@_cdecl("IRQ8_Handler")
public func timerInterrupt() {
    TestTimer.acknowledge()
    timerReadings = readClocks()
    timerStackPointer = pollen_stack_pointer()
    timerFired.store(true, ordering: .releasing)
}

// MARK: - The test

/// SysTick period during the sweep: short, so that the rounds are quick.
let sweepPeriod: UInt32 = 2_000
/// Rounds of the sweep: 2 instructions apart, 512 instructions in all (the
/// size of `handlerDepths`).
let sweepRounds: UInt32 = 256
/// How many timer clocks sooner than the tick the timer is due, before the
/// spin delays it: 160 ns (mps2-an386) / 250 ns (micro:bit), which puts
/// SysTick_Handler near round 80 (mps2-an386) / 120 (micro:bit) of the sweep,
/// with about 150 instructions of margin on either side.
let timerLead: UInt32 = 4

@main
struct ClockPriorityTest {
    static func main() {
        var platform = Board.start()

        SysTick.setPriority(sysTickPriority)
        NVIC.setPriority(Board.softwareIRQ, softwarePriority)
        NVIC.setPriority(timerIRQ, timerPriority)
        check("priorities set: SysTick lowest, software interrupt, timer highest",
              SysTick.priority == sysTickPriority
              && NVIC.priority(Board.softwareIRQ) == softwarePriority
              && NVIC.priority(timerIRQ) == timerPriority)

        carryFromHigherPriority(&platform)
        sweepThroughSysTickHandler()

        Board.exit(0)
    }

    /// Part 1: the software interrupt reads the clocks across the carry.
    @inline(never)
    static func carryFromHigherPriority(_ platform: inout CortexMPlatform) {
        CortexMPlatform.presetTickCountForTesting(0xFFFF_F000)
        previous = readClocks()
        check("preset puts the count 5 ticks before the carry",
              previous.raw >= 0xFFFF_F000 && previous.raw < 0xFFFF_F000 &+ 1_000)

        Board.setSoftwareInterruptHook { onSoftwareInterrupt() }
        let end = platform.now() + .milliseconds(12)
        while platform.now() < end {
            Board.pendSoftwareInterrupt()
        }
        Board.setSoftwareInterruptHook(nil)
        check("the count carried into its high word", platform.now().ticks >= 0x1_0000_0000 &+ 5_000)
        check("reads from a higher-priority handler are monotonic across the carry",
              carryFailures == 0, UInt32(truncatingIfNeeded: firstCarryFailure))
        check("many reads on both sides of the carry",
              carryReadsAfterCarry >= 100 && carryReads &- carryReadsAfterCarry >= 100)
    }

    /// Part 2: the timer interrupt swept across SysTick_Handler.
    @inline(never)
    static func sweepThroughSysTickHandler() {
        NVIC.enable(timerIRQ)
        var torn: UInt32 = 0
        var firstTorn: UInt64 = 0
        var sawBefore = false
        var sawAfter = false
        var missed: UInt32 = 0
        var shallowest: UInt32 = 0xFFFF_FFFF

        for round in 0..<sweepRounds {
            let before = UInt64(_truncatingBits: UInt(round &+ 1)) &<< 32 &- 500
            let after = before &+ 1_000
            SysTick.stop()
            SCB.clearSysTickPending()
            CortexMPlatform.presetTickCountForTesting(before)
            timerFired.store(false, ordering: .relaxed)
            TestTimer.prepare(cycles: sweepPeriod &- timerLead)

            // The race: no masking from here until the timer has fired.
            let threadStack = pollen_stack_pointer()
            SysTick.start(cyclesPerTick: sweepPeriod)
            pollen_spin(round)
            TestTimer.start()
            while !timerFired.load(ordering: .acquiring) {}

            // Let SysTick count its tick (if it has not yet), then stop it
            // before the next one (a whole period away).
            var spins: UInt32 = 0
            while pollen_tick_count() == before && spins < 100_000 { spins &+= 1 }
            SysTick.stop()
            SCB.clearSysTickPending()
            if pollen_tick_count() != after { missed &+= 1 }

            let seen = timerReadings
            let whole = (seen.coarse == before || seen.coarse == after)
                && (seen.raw == before || seen.raw == after)
                && seen.precise >= before && seen.precise <= after &+ 999
            if !whole {
                if torn == 0 { firstTorn = seen.raw }
                torn &+= 1
            }
            if seen.raw == before { sawBefore = true }
            if seen.raw == after { sawAfter = true }
            let depth = threadStack &- timerStackPointer
            handlerDepths[Int(round)] = UInt16(truncatingIfNeeded: depth)
            if depth < shallowest { shallowest = depth }
        }
        NVIC.disable(timerIRQ)

        // Nested rounds: the timer handler ran at least one more exception
        // frame (32 bytes) below the thread than when it preempted the thread
        // itself (the shallowest depth): it had preempted SysTick_Handler.
        var nestedRounds: UInt32 = 0
        for round in 0..<Int(sweepRounds) where UInt32(handlerDepths[round]) >= shallowest &+ 32 {
            nestedRounds &+= 1
        }

        check("SysTick counted exactly one tick per round", missed == 0, missed)
        check("reads from the timer interrupt are whole (never 2^32 us off)",
              torn == 0, UInt32(truncatingIfNeeded: firstTorn &>> 32))
        check("the sweep crossed the tick (readings before and after it)", sawBefore && sawAfter)
        check("the timer interrupt preempted SysTick_Handler in some rounds", nestedRounds > 0)
        Board.write("rounds with the timer inside SysTick_Handler: ")
        Board.writeDecimal(nestedRounds)
        Board.write(" of ")
        Board.writeDecimal(sweepRounds)
        Board.writeByte(0x0A)
    }
}
