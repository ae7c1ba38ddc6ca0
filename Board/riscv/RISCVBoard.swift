// RISCVBoard.swift — the architecture requirements of `BoardSupport` on every
// RISC-V board (RV32, machine mode, SiFive CLINT and PLIC): mtime for the clock,
// mstatus.MIE for masking, the PLIC for device interrupts and the CLINT's msip
// for the software interrupt, semihosting for the exit. A RISC-V board declares
// `public enum Board: RISCVBoard` and supplies its facts and drivers, plus
// `mtimeHz`.

import Pollen
@_exported import PollenBoardCommon
import PollenRISCVSupport

/// A RISC-V board: conforming gives `BoardSupport`'s architecture requirements,
/// built on the CLINT, the PLIC and mstatus.MIE.
public protocol RISCVBoard: BoardSupport where BoardPlatform == RISCVPlatform<Self> {
    /// The rate `mtime` counts at, in Hz: a whole number of MHz (10 MHz under
    /// QEMU's sifive_e; silicon clocked from a 32,768 Hz RTC would need a
    /// fractional conversion in ``RISCVPlatform``).
    static var mtimeHz: UInt32 { get }
}

extension RISCVBoard {
    /// Returns the platform for the executor. mtime runs from reset, so there
    /// is nothing to start, and nothing interrupts until the executor sets an
    /// alarm: no tick.
    @inline(__always) @discardableResult
    public static func startTicks() -> RISCVPlatform<Self> {
        RISCVPlatform<Self>()
    }

    /// Microseconds since reset (mtime), to the microsecond: the executor's
    /// clock itself. Never decreases.
    public static func now() -> Instant {
        Instant(ticks: RISCVPlatform<Self>.currentMicroseconds())
    }

    /// Ends the run: QEMU exits with `code` (semihosting SYS_EXIT_EXTENDED,
    /// Board/riscv/semihosting.c). Never returns.
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

    /// Runs `body` with mstatus.MIE cleared, then restores it
    /// (``withInterruptsMasked(_:)``).
    @inline(__always)
    public static func withInterruptsMasked<R>(_ body: () -> R) -> R {
        PollenRISCV.withInterruptsMasked(body)
    }

    /// Deepest stack use so far, in bytes (from the paint laid at reset).
    public static var stackHighWaterBytes: UInt32 { pollen_stack_high_water_bytes() }

    /// Size of the stack, in bytes (from the linker script).
    public static var stackSizeBytes: UInt32 { pollen_stack_size_bytes() }

    /// Size of this image's `.text` section, in bytes (from the linker script's
    /// `__text_start` and `__text_end`).
    public static var textBytes: UInt32 { pollen_text_bytes() }

    /// `mcause` of the trap being handled (0x8000_0000 + n for interrupt n), or
    /// 0 in thread code: kept by the trap dispatcher (Board/riscv/traps.c).
    public static var activeException: UInt32 { pollen_active_trap_cause() }

    /// 0x8000_0003: `mcause` of the machine software interrupt.
    public static var softwareInterruptException: UInt32 { 0x8000_0000 | softwareIRQ }

    /// Enables PLIC source `irq` (priority 1) and the external interrupt in `mie`.
    @inline(__always)
    public static func enableDeviceInterrupt(_ irq: UInt32) { PLIC.enable(irq) }

    /// Enables the machine software interrupt (mie.MSIE).
    @inline(__always)
    public static func enableSoftwareInterrupt() { pollen_mie_set(UInt32(POLLEN_MIE_MSIE)) }

    /// Raises the machine software interrupt (CLINT msip = 1), then reads
    /// `mip`: a CSR access after the store, so with interrupts enabled its
    /// handler has run when this returns. (The hart takes a pending interrupt
    /// at an instruction boundary; QEMU checks for one only at the end of a
    /// translated block, and ends the block at every CSR instruction. Without
    /// the read the handler ran a few instructions late under QEMU, after code
    /// that expected it done.)
    @inline(__always)
    public static func raiseSoftwareInterrupt() {
        CLINT.raiseSoftwareInterrupt()
        _ = pollen_mip()
    }
}
