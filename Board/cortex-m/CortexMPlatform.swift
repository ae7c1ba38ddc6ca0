// CortexMPlatform.swift — the core's `Platform` on a Cortex-M: the tickless
// microsecond clock and a WFI idle that sleeps until the next deadline.
//
// Time: `now()` is the board's 64-bit microsecond clock (CortexMClock.swift):
// two loads and a few instructions, lock-free, correct from any interrupt
// priority. It is the executor's clock and `Board.now()` alike: there is one
// clock, to the microsecond.
//
// Idle: `.sleep` masks interrupts, asks the executor whether it is still idle,
// and only then arms the one-shot alarm for the executor's next deadline and
// executes `wfi`. An interrupt that arrives after the check keeps `wfi` from
// sleeping (it wakes on a *pending* interrupt even while PRIMASK masks it),
// and its handler runs right after `cpsie i`. So a wake between "nothing is
// ready" and "sleep" is never lost. With no deadline the core sleeps until some
// interrupt (the clock's maintenance alarm included: see CortexMClock.swift).
// No periodic interrupt runs: SysTick stays off.

import Pollen
import PollenCortexMSupport

/// The Pollen `Platform` for Cortex-M boards: the board's tickless microsecond
/// clock for time, `wfi` with a one-shot alarm for sleep.
///
/// Each board names it `CortexMPlatform` (`TicklessPlatform<Board>`). Create it
/// with ``BoardSupport/start()`` (which also starts the clock and the board's
/// interrupts) or ``BoardSupport/startClock()`` (the clock only) rather than
/// directly.
public struct TicklessPlatform<Hardware: TicklessTimerHardware>: Platform {
    /// A platform over the board's clock. Does not start the clock: see
    /// ``BoardSupport/startClock()``.
    @inline(__always)
    public init() {}

    /// The same as ``init()``: the clock no longer depends on the core's
    /// frequency. Kept so that code written for the SysTick clock still builds.
    @inline(__always)
    public init(cpuHz: UInt32) {}

    /// The executor's clock: microseconds since the clock started, to the
    /// microsecond. Never decreases. Safe from any interrupt priority.
    @inline(__always)
    public mutating func now() -> Instant {
        Instant(ticks: TicklessClock.now(Hardware.self))
    }

    /// The same clock as ``now()`` (kept from the SysTick clock, which had a
    /// coarse executor clock and this precise one).
    @inline(__always)
    public func currentMicroseconds() -> UInt64 { TicklessClock.now(Hardware.self) }

    /// TEST ONLY: moves the clock to `microseconds` (see
    /// ``TicklessClock/presetForTesting(_:_:)``); `false` on a board that cannot.
    @discardableResult
    public static func presetClockForTesting(_ microseconds: UInt64) -> Bool {
        TicklessClock.presetForTesting(Hardware.self, microseconds)
    }

    /// One idle step of the executor (see `Platform.idle`).
    ///
    /// `.busyPoll` returns at once. `.sleep` runs, exactly:
    /// `cpsid i; if isStillIdle() { arm the alarm for the deadline (or for
    /// none), wfi }; cpsie i`. A deadline that has already passed needs no
    /// check here: `TicklessAlarm.program` pends the alarm interrupt for it,
    /// so the `wfi` returns at once and the handler clears the request (one
    /// interrupt; bench-timers on the Cortex-M4: lateness unchanged, 14 µs
    /// max, 50 with 8 tasks; two more wake-ups in 1,000 with 8 tasks).
    /// The handler of whatever interrupt ended the `wfi` runs right after
    /// `cpsie i`, before this returns `.resumed`.
    public mutating func idle(until deadline: Instant?, strategy: IdleStrategy,
                              isStillIdle: () -> Bool) -> IdleOutcome {
        guard case .sleep = strategy else { return .resumed }
        pollen_disable_irq()
        if isStillIdle() {
            TicklessAlarm.requestForThreadMode(Hardware.self, deadline)
            pollen_wfi()
            idleWakeupCount &+= 1   // masked: the only writer
        }
        pollen_enable_irq()
        return .resumed
    }

    /// Times an idle step's `wfi` has returned since start-up: the core's wake-ups
    /// while idle (each one an interrupt: a deadline, a step of a long wait, the
    /// clock's maintenance, or a device).
    public static var idleWakeups: UInt32 { withInterruptsMasked { idleWakeupCount } }
}
