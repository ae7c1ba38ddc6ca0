// RISCV.swift — the machine-mode peripherals Pollen uses on RISC-V: the CLINT
// (software interrupt, mtime, mtimecmp) and the PLIC (device interrupts).
//
// Both at the addresses SiFive's cores use (FE310-G000/G002 manuals, and QEMU's
// sifive_e and virt machines): CLINT at 0x0200_0000, PLIC at 0x0C00_0000, one
// hart, machine-mode context 0. Registers are reached through
// `VolatileMappedRegister` (no plain pointer stores: the optimizer would merge or
// drop them).

import Pollen
import _Volatile
import PollenRISCVSupport

/// Makes a register handle for the fixed address `address`.
///
/// Safety: `address` must be the address of a 32-bit memory-mapped register of
/// this chip. Every call site passes a constant taken from the SiFive CLINT and
/// PLIC specifications or from the board's manual; that is the one invariant all
/// register accessors rely on.
@inline(__always)
package func mmio(_ address: UInt) -> VolatileMappedRegister<UInt32> {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: address)
}

/// The core-local interruptor: the machine software interrupt and the 64-bit
/// machine timer (`mtime`, counting at the board's `mtimeHz`, and `mtimecmp`,
/// which raises the machine timer interrupt while `mtime >= mtimecmp`).
public enum CLINT {
    /// msip: writing 1 raises the machine software interrupt, 0 clears it.
    @inline(__always)
    static var msip: VolatileMappedRegister<UInt32> { mmio(0x0200_0000) }
    @inline(__always)
    static var mtimecmpLow: VolatileMappedRegister<UInt32> { mmio(0x0200_4000) }
    @inline(__always)
    static var mtimecmpHigh: VolatileMappedRegister<UInt32> { mmio(0x0200_4004) }
    @inline(__always)
    static var mtimeLow: VolatileMappedRegister<UInt32> { mmio(0x0200_BFF8) }
    @inline(__always)
    static var mtimeHigh: VolatileMappedRegister<UInt32> { mmio(0x0200_BFFC) }

    /// The 64-bit `mtime`, read whole from any context: high word, low word,
    /// high word again, until both high readings agree (a carry out of the low
    /// word between them is then seen). No masking needed: `mtime` is hardware,
    /// and nothing writes it.
    @inline(__always)
    public static var time: UInt64 {
        while true {
            let high = mtimeHigh.load()
            let low = mtimeLow.load()
            if mtimeHigh.load() == high {
                return UInt64(widening: high) &<< 32 | UInt64(widening: low)
            }
        }
    }

    /// Programs `mtimecmp` to `ticks` without a spurious match in between: the
    /// high word goes to all-ones first, then the low word, then the real high
    /// word (the sequence of the RISC-V privileged spec, for RV32).
    @inline(__always)
    public static func setCompare(_ ticks: UInt64) {
        mtimecmpHigh.store(0xFFFF_FFFF)
        mtimecmpLow.store(UInt32(truncatingIfNeeded: ticks))
        mtimecmpHigh.store(UInt32(truncatingIfNeeded: ticks &>> 32))
    }

    /// TEST ONLY: sets `mtime` (writable on the CLINT) to `ticks`, low word
    /// first with the high word cleared, so no carry can slip between the two
    /// stores. Moving the clock under a running executor breaks its timers:
    /// apps must not call it. Firmware tests start the clock just below a carry
    /// out of the low word with it.
    public static func presetTimeForTesting(_ ticks: UInt64) {
        withInterruptsMasked {
            mtimeHigh.store(0)
            mtimeLow.store(UInt32(truncatingIfNeeded: ticks))
            mtimeHigh.store(UInt32(truncatingIfNeeded: ticks &>> 32))
        }
    }

    /// Raises the machine software interrupt (msip = 1). The trap dispatcher
    /// clears it before running the handler.
    @inline(__always)
    public static func raiseSoftwareInterrupt() { msip.store(1) }

    /// Whether the machine software interrupt is raised and not yet handled.
    @inline(__always)
    public static var isSoftwareInterruptPending: Bool { msip.load() & 1 != 0 }
}

/// The platform-level interrupt controller, for machine mode on hart 0
/// (context 0). Sources 1...52 on the FE310; 0 is "no source".
public enum PLIC {
    /// Allows `source` to interrupt: priority 1 (0 would mean "never"), its
    /// enable bit set, threshold 0, and mie.MEIE so the PLIC reaches the hart
    /// (whose trap dispatcher then claims it and runs `IRQ<source>_Handler`).
    public static func enable(_ source: UInt32) {
        pollen_plic_start()
        mmio(0x0C00_0000 &+ UInt(source) &* 4).store(1)                   // priority
        let enable = enableRegister(source)
        withInterruptsMasked { enable.store(enable.load() | 1 &<< (source % 32)) }
        mmio(0x0C20_0000).store(0)                                         // threshold
        pollen_mie_set(UInt32(POLLEN_MIE_MEIE))
    }

    /// Stops `source` from interrupting (it can still become pending).
    public static func disable(_ source: UInt32) {
        let enable = enableRegister(source)
        withInterruptsMasked { enable.store(enable.load() & ~(1 &<< (source % 32))) }
    }

    /// The enable word holding `source`'s bit, for context 0.
    @inline(__always)
    static func enableRegister(_ source: UInt32) -> VolatileMappedRegister<UInt32> {
        mmio(0x0C00_2000 &+ UInt(source / 32) &* 4)
    }

    /// Whether `source` is pending in the PLIC (raised, not yet claimed).
    public static func isPending(_ source: UInt32) -> Bool {
        mmio(0x0C00_1000 &+ UInt(source / 32) &* 4).load() & (1 &<< (source % 32)) != 0
    }
}

/// Runs `body` with mstatus.MIE cleared and restores it. Nests. Costs 2
/// instructions (`csrrci`, `csrs`). Keep `body` short: every interrupt waits for it.
@inline(__always)
public func withInterruptsMasked<R>(_ body: () -> R) -> R {
    let saved = pollen_critical_enter()
    let result = body()
    pollen_critical_exit(saved)
    return result
}
