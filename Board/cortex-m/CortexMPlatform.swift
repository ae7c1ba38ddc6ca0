// CortexMPlatform.swift — the core's `Platform` on a Cortex-M: SysTick time and WFI idle.
//
// Time: SysTick interrupts every millisecond and the handler adds 1000 to a
// 64-bit microsecond count (`pollen_systick_microseconds`, startup.c; counting
// microseconds rather than milliseconds spares every read a 64-bit multiply, a
// library call on the Cortex-M0). 64 bits because a 32-bit millisecond count
// wraps after 49.7 days. A 64-bit load or store is two word accesses, so the
// handler updates it with interrupts masked and every read masks them too
// (invariant "tick count", cortexm.h): a read is consistent from thread mode
// and from a handler of any priority, including one that preempts SysTick.
//
// Two clocks read it:
// - `now()`, the executor's clock, is that count: millisecond resolution, which
//   is all the executor can use (it sleeps until the next tick at the finest),
//   monotonic by construction, and a few instructions to read.
// - `currentMicroseconds()` (and `Board.now()`) adds the cycles elapsed since
//   the last tick, from the SysTick down-counter: microsecond resolution, for
//   measuring. Only apps that call it link it (about 100 bytes).
// A precise reading is never below the executor's clock at the same moment.
//
// Idle: `.sleep` masks interrupts, asks the executor whether it is still idle,
// and only then executes `wfi`. An interrupt that arrives after the check
// keeps `wfi` from sleeping (it wakes on a *pending* interrupt even while
// PRIMASK masks it), and its handler runs right after `cpsie i`. So a wake
// between "nothing is ready" and "sleep" is never lost. The 1 ms SysTick bounds
// every sleep, so deadlines are met within a tick without a separate alarm.

import Pollen
import PollenCortexMSupport

/// The latest answer of `CortexMPlatform.currentMicroseconds()`, which never goes
/// below it. Read and written only with interrupts masked ("last answer").
nonisolated(unsafe) var lastMicroseconds: UInt64 = 0

/// The Pollen `Platform` for Cortex-M boards: SysTick for time, `wfi` for sleep.
///
/// Create it with ``BoardSupport/start()`` (which also starts SysTick and the
/// board's interrupts) or ``BoardSupport/startTicks()`` (SysTick only) rather
/// than directly.
public struct CortexMPlatform: Platform {
    /// SysTick reload value + 1: processor cycles per millisecond.
    let cyclesPerMillisecond: UInt32
    /// Microseconds per cycle in 16.16 fixed point (1000 << 16 / cyclesPerMillisecond).
    /// `elapsedCycles * this >> 16` converts without a division (Cortex-M0 has none),
    /// and cannot overflow: elapsedCycles < cyclesPerMillisecond.
    let microsecondsPerCycleQ16: UInt32

    /// A platform for a core clocked at `cpuHz`. Does not start SysTick: see
    /// ``BoardSupport/start()``.
    ///
    /// Inlined so that, with a constant `cpuHz`, both divisions fold away at
    /// compile time (the Cortex-M0 has no divide instruction).
    @inline(__always)
    public init(cpuHz: UInt32) {
        cyclesPerMillisecond = cpuHz / 1_000
        microsecondsPerCycleQ16 = (1_000 &<< 16) / (cpuHz / 1_000)
    }

    /// Microseconds since SysTick started, interpolated between ticks from the
    /// SysTick down-counter and read consistently with the tick count. Never
    /// decreases: a reading taken between a SysTick reload and its pending flag
    /// (seen under QEMU's `-icount`) is clamped to the previous answer. Never below
    /// ``now()`` read at the same moment. Safe from any interrupt priority: it
    /// runs masked. (From a handler that preempted SysTick_Handler before its
    /// update, the wrap is no longer pending but not yet counted: that reading
    /// is clamped to the previous answer too, so it can lag by up to 1 ms, never
    /// go back.)
    @inline(never)
    public func currentMicroseconds() -> UInt64 {
        var atTick: UInt64
        var counter: UInt32
        let saved = pollen_critical_enter()
        atTick = pollen_tick_count_while_masked()  // tick count: read masked
        counter = SysTick.current
        if SCB.isSysTickPending {
            // The counter wrapped (before or just after we read it) and the
            // handler has not counted that millisecond yet: count it here and
            // re-read the counter, which is now certainly past the wrap.
            atTick &+= 1_000
            counter = SysTick.current
        }
        let elapsedCycles = (cyclesPerMillisecond &- 1) &- counter
        var microseconds = (elapsedCycles &* microsecondsPerCycleQ16) &>> 16
        if microseconds > 999 { microseconds = 999 }
        // (Not `UInt64(microseconds)`: on 32-bit Embedded targets the generic
        // conversion drags in array code and fails -no-allocations.)
        let reading = atTick &+ UInt64(_truncatingBits: UInt(microseconds))
        if reading > lastMicroseconds { lastMicroseconds = reading }   // last answer: masked
        let answer = lastMicroseconds
        pollen_critical_exit(saved)
        return answer
    }

    /// The executor's clock: microseconds since SysTick started, at the last tick
    /// (1 ms resolution). Never decreases. For microsecond resolution use
    /// ``currentMicroseconds()``. Safe from any interrupt priority.
    public mutating func now() -> Instant {
        Instant(ticks: pollen_tick_count())  // tick count: masks for the read
    }

    /// TEST ONLY: moves both clocks to `microseconds`: the tick count (see
    /// `pollen_tick_count_preset_for_testing`) and the floor below which
    /// ``currentMicroseconds()`` never answers. Firmware tests start the clock
    /// just below the carry out of its low word with it (`0xFFFF_F000` is 5 ticks
    /// before it). Never call it under a running executor: its timers would
    /// fire early or late.
    public static func presetTickCountForTesting(_ microseconds: UInt64) {
        withInterruptsMasked {
            pollen_tick_count_preset_for_testing(microseconds)
            lastMicroseconds = microseconds   // last answer: masked
        }
    }

    /// One idle step of the executor (see `Platform.idle`).
    ///
    /// `.busyPoll` returns at once. `.sleep` runs, exactly:
    /// `cpsid i; if isStillIdle() { if deadline passed: skip; else wfi }; cpsie i`.
    /// The handler of whatever interrupt ended the `wfi` runs right after
    /// `cpsie i`, before this returns `.resumed`.
    public mutating func idle(until deadline: Instant?, strategy: IdleStrategy,
                              isStillIdle: () -> Bool) -> IdleOutcome {
        guard case .sleep = strategy else { return .resumed }
        pollen_disable_irq()
        if isStillIdle() {
            let deadlinePassed: Bool
            if let deadline { deadlinePassed = now() >= deadline } else { deadlinePassed = false }
            if !deadlinePassed {
                pollen_wfi()
            }
        }
        pollen_enable_irq()
        return .resumed
    }
}
