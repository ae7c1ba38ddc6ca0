// CortexMBoard.swift — the architecture requirements of `BoardSupport` on every
// Cortex-M board: the tickless clock for time (CortexMClock.swift, over the
// board's `TicklessTimerHardware`), PRIMASK for masking, the NVIC for device
// and software interrupts, semihosting for the exit. A Cortex-M board declares
// `public enum Board: CortexMBoard` and supplies its facts and drivers, and its
// timer hardware in Board/<board>/Clock.swift.

import Pollen
@_exported import PollenBoardCommon
import PollenCortexMSupport

/// A Cortex-M board (ARMv6-M or ARMv7-M): conforming gives `BoardSupport`'s
/// architecture requirements, built on the tickless clock over the board's
/// timer hardware (``TicklessTimerHardware``, which the board supplies),
/// PRIMASK and the NVIC.
public protocol CortexMBoard: BoardSupport, TicklessTimerHardware
    where BoardPlatform == TicklessPlatform<Self> {}

extension CortexMBoard {
    /// Starts the board's tickless clock (CortexMClock.swift): the microsecond
    /// counter and its one-shot alarm, which is armed at once for the clock's
    /// maintenance. No periodic interrupt (SysTick is stopped). Returns the
    /// platform for the executor. For apps that use neither the UART receive
    /// path nor the software interrupt (they stay disabled); the console still
    /// transmits. (``BoardSupport/startClock()`` is the same call.)
    ///
    /// Call it once, first: a second call returns the platform and leaves the
    /// running clock alone (restarting the counter would move time backwards
    /// under every armed timer). Before it, `now()` reads the hardware counter
    /// unconfigured, which is meaningless.
    @discardableResult
    public static func startTicks() -> TicklessPlatform<Self> {
        TicklessClock.start(Self.self)
        return TicklessPlatform<Self>()
    }

    /// Microseconds since the clock started, to the microsecond: the
    /// executor's own clock (`CortexMPlatform.now()`), readable from any
    /// interrupt priority, lock-free.
    @inline(__always)
    public static func now() -> Instant {
        Instant(ticks: TicklessClock.now(Self.self))
    }

    /// Times the executor's idle step woke from `wfi` since start-up (see
    /// ``TicklessPlatform/idleWakeups``).
    public static var idleWakeups: UInt32 { TicklessPlatform<Self>.idleWakeups }

    /// Alarm interrupts taken since start-up (``TicklessAlarm/interruptCount``).
    public static var alarmInterrupts: UInt32 { TicklessAlarm.interruptCount }

    /// Ends the run: QEMU exits with `code` (semihosting SYS_EXIT_EXTENDED,
    /// startup code in semihosting.c). Never returns.
    public static func exit(_ code: Int32) -> Never {
        pollen_exit(code)
    }

    /// Start-up failed: writes `message` and a newline on the console and exits
    /// with code 1, as ``fail(_:)-(CapacityError)`` does, for an app that
    /// says what failed in its own words (blinky). The loop is the fault
    /// report's, in C: no Swift string code is linked. It writes up to the
    /// literal's terminating NUL (a string literal's storage is
    /// NUL-terminated; an embedded NUL ends the message there).
    public static func fail(_ message: StaticString) -> Never {
        pollen_fail(message.utf8Start)
    }

    /// Runs `body` with PRIMASK set, then restores it (``withInterruptsMasked(_:)``).
    @inline(__always)
    public static func withInterruptsMasked<R>(_ body: () -> R) -> R {
        PollenCortexM.withInterruptsMasked(body)
    }

    /// Deepest main-stack use so far, in bytes (from the paint laid at reset).
    public static var stackHighWaterBytes: UInt32 { pollen_stack_high_water_bytes() }

    /// Size of the main stack, in bytes (from the linker script).
    public static var stackSizeBytes: UInt32 { pollen_stack_size_bytes() }

    /// Size of this image's `.text` section, in bytes (from the linker script's
    /// `__text_start` and `__text_end`).
    public static var textBytes: UInt32 { pollen_text_bytes() }

    /// IPSR: 0 in thread mode, 16 + n in the handler of IRQ n.
    public static var activeException: UInt32 { pollen_ipsr() }

    /// 16 + ``BoardSupport/softwareIRQ``: IPSR in the software interrupt's handler.
    public static var softwareInterruptException: UInt32 { 16 &+ softwareIRQ }

    /// Enables NVIC line `irq`.
    @inline(__always)
    public static func enableDeviceInterrupt(_ irq: UInt32) { NVIC.enable(irq) }

    /// Enables the software interrupt's NVIC line.
    @inline(__always)
    public static func enableSoftwareInterrupt() { NVIC.enable(softwareIRQ) }

    /// Pends the software interrupt's NVIC line; the barriers make the CPU see
    /// it pending before the next instruction, so with interrupts enabled its
    /// handler has run when this returns.
    @inline(__always)
    public static func raiseSoftwareInterrupt() {
        NVIC.pend(softwareIRQ)
        pollen_dsb()
        pollen_isb()
    }
}
