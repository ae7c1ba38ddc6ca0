// CortexMPlatform.swift — the core's `Platform` on a Cortex-M: SysTick time and WFI idle.
//
// Time: SysTick interrupts every millisecond and the handler adds 1000 to a
// 64-bit microsecond count (`pollen_systick_microseconds`, startup.c; counting
// microseconds rather than milliseconds spares every read a 64-bit multiply, a
// library call on the Cortex-M0). 64 bits because a 32-bit millisecond count
// wraps after 49.7 days; on ARMv6-M a 64-bit load is two loads, hence the
// interrupt mask around reads.
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
    /// ``now()`` read at the same moment.
    @inline(never)
    public func currentMicroseconds() -> UInt64 {
        var atTick: UInt64
        var counter: UInt32
        let saved = pollen_critical_enter()
        atTick = pollen_tick_count()  // tick count: read masked
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
    /// ``currentMicroseconds()``.
    public mutating func now() -> Instant {
        let saved = pollen_critical_enter()
        let ticks = pollen_tick_count()  // tick count: read masked
        pollen_critical_exit(saved)
        return Instant(ticks: ticks)
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
