// CortexMBoard.swift — the architecture requirements of `BoardSupport` on every
// Cortex-M board: SysTick for the clock, PRIMASK for masking, the NVIC for device
// and software interrupts, semihosting for the exit. A Cortex-M board declares
// `public enum Board: CortexMBoard` and supplies only its facts and drivers.

import Pollen
@_exported import PollenBoardCommon
import PollenCortexMSupport

/// A Cortex-M board (ARMv6-M or ARMv7-M): conforming gives `BoardSupport`'s
/// architecture requirements, built on SysTick, PRIMASK and the NVIC.
public protocol CortexMBoard: BoardSupport where BoardPlatform == CortexMPlatform {}

extension CortexMBoard {
    /// Starts SysTick only: one interrupt per millisecond, which also bounds every
    /// `wfi`. Returns the platform for the executor. For apps that use neither the
    /// UART receive path nor the software interrupt (they stay disabled); the
    /// console still transmits.
    @inline(__always) @discardableResult
    public static func startTicks() -> CortexMPlatform {
        SysTick.start(cyclesPerTick: cpuHz / 1_000)
        return CortexMPlatform(cpuHz: cpuHz)
    }

    /// Microseconds since SysTick started (zero before it), to the microsecond:
    /// for measuring. Never decreases, and never below the executor's clock
    /// (`CortexMPlatform.now()`, 1 ms resolution) read at the same moment. See
    /// `CortexMPlatform.currentMicroseconds()`.
    public static func now() -> Instant {
        Instant(ticks: CortexMPlatform(cpuHz: cpuHz).currentMicroseconds())
    }

    /// Ends the run: QEMU exits with `code` (semihosting SYS_EXIT_EXTENDED,
    /// startup code in semihosting.c). Never returns.
    public static func exit(_ code: Int32) -> Never {
        pollen_exit(code)
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

    /// IPSR: 0 in thread mode, 15 in SysTick, 16 + n in the handler of IRQ n.
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
