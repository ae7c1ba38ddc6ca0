// RISCVPlatform.swift — the core's `Platform` on RISC-V: the CLINT's mtime as the
// clock, mtimecmp as the one-shot alarm, `wfi` idle. Tickless by nature.
//
// Time: `mtime` is a 64-bit hardware counter running at the board's `mtimeHz`
// (10 MHz under QEMU's sifive_e); `now()` is it in microseconds, read whole by
// the high-low-high sequence (CLINT.time): no tick interrupt, no software count,
// nothing to keep consistent across interrupt priorities.
//
// Idle: `.sleep` clears mstatus.MIE, asks the executor whether it is still idle,
// and only then sleeps: with a deadline it programs mtimecmp for it and enables
// the machine timer interrupt (mie.MTIE), then `wfi`. This is the RISC-V form of
// Cortex-M's `cpsid i; check; wfi; cpsie i`: `wfi` wakes on any interrupt that is
// pending and enabled in `mie`, even while mstatus.MIE masks it, and the trap is
// taken right after MIE is set again. So a wake between "nothing is ready" and
// "sleep" is never lost, and a deadline that has already passed when the alarm
// is written fires at once (mtime >= mtimecmp raises the interrupt immediately,
// so the `wfi` returns at once; the step does not read mtime to check). The timer's
// handler (Board/riscv/traps.c) only disables MTIE: the alarm's job is to end
// the `wfi`. With no deadline nothing is armed, and only a device or software
// interrupt ends the sleep: no periodic interrupt at all.

import Pollen
import PollenRISCVSupport

/// The Pollen `Platform` for RISC-V boards: the CLINT's mtime and mtimecmp,
/// `wfi` for sleep. Generic over the board, whose `mtimeHz` is a compile-time
/// constant, so converting to microseconds is a division by a constant
/// (inlined, no library call).
///
/// Create it with ``BoardSupport/startTicks()`` or `Board.start()`.
public struct RISCVPlatform<Device: RISCVBoard>: Platform {
    /// A platform for `Device`. mtime runs from reset: nothing to start.
    ///
    /// Stops with a precondition failure when the board's `mtimeHz` is not a
    /// whole number of MHz below 65,536 MHz, which the conversion to
    /// microseconds needs (with a valid constant the check compiles away).
    @inline(__always)
    public init() {
        precondition(Device.mtimeHz % 1_000_000 == 0 && Device.mtimeHz >= 1_000_000
                     && Device.mtimeHz / 1_000_000 < 65_536,
                     "RISCVPlatform: mtimeHz must be a whole number of MHz (1...65535 MHz)")
    }

    /// mtime ticks per microsecond (10 under QEMU's sifive_e); below 2^16.
    @inline(__always)
    static var ticksPerMicrosecond: UInt32 { Device.mtimeHz / 1_000_000 }

    /// Microseconds since reset, from mtime. Never decreases. Safe from any
    /// context.
    @inline(__always)
    public static func currentMicroseconds() -> UInt64 {
        divide(CLINT.time, by: ticksPerMicrosecond)
    }

    /// `n / divisor` for a `divisor` below 2^16, as four 32-bit divisions of
    /// 16-bit digits (schoolbook long division: each partial remainder is below
    /// the divisor, so remainder << 16 | digit fits 32 bits). With a constant
    /// divisor each one is a multiply-high and a shift, about 25 instructions in
    /// all, whatever `n`. (A plain UInt64 division is a call of __udivdi3 on
    /// RV32 at -Osize: 64 shift-and-subtract steps once mtime passes 2^32,
    /// after 7 minutes at 10 MHz.)
    @inline(__always)
    package static func divide(_ n: UInt64, by divisor: UInt32) -> UInt64 {
        let high = UInt32(truncatingIfNeeded: n &>> 32)
        let low = UInt32(truncatingIfNeeded: n)
        let digit3 = high &>> 16
        let q3 = digit3 / divisor
        let t2 = (digit3 &- q3 &* divisor) &<< 16 | high & 0xFFFF
        let q2 = t2 / divisor
        let t1 = (t2 &- q2 &* divisor) &<< 16 | low &>> 16
        let q1 = t1 / divisor
        let t0 = (t1 &- q1 &* divisor) &<< 16 | low & 0xFFFF
        let q0 = t0 / divisor
        return UInt64(widening: q3 &<< 16 | q2) &<< 32 | UInt64(widening: q1 &<< 16 | q0)
    }

    /// The executor's clock: microseconds since reset, to the microsecond.
    public mutating func now() -> Instant {
        Instant(ticks: Self.currentMicroseconds())
    }

    /// One idle step of the executor (see `Platform.idle`).
    ///
    /// `.busyPoll` returns at once. `.sleep` runs, exactly:
    /// `csrci mstatus, MIE; if isStillIdle() { if no deadline: wfi; else {
    /// mtimecmp = deadline; mie.MTIE = 1; wfi } }; csrsi mstatus, MIE` (a
    /// deadline already passed makes the interrupt pending at once: the `wfi`
    /// returns at once). The handler of whatever interrupt ended the `wfi`
    /// runs right after MIE is set, before this returns `.resumed`. An alarm
    /// left armed by a sleep that another interrupt ended fires later as one
    /// spurious wake-up (the executor then finds nothing due and sleeps again).
    public mutating func idle(until deadline: Instant?, strategy: IdleStrategy,
                              isStillIdle: () -> Bool) -> IdleOutcome {
        guard case .sleep = strategy else { return .resumed }
        pollen_disable_irq()
        if isStillIdle() {
            if let deadline {
                // The first mtime value at which now() >= deadline; saturates
                // (a deadline past 2^64 ticks never fires).
                let (target, overflow) = deadline.ticks.multipliedReportingOverflow(
                    by: UInt64(widening: Self.ticksPerMicrosecond))
                // A deadline already passed needs no check: mtime >= mtimecmp
                // raises the interrupt at once, so the `wfi` returns at once.
                CLINT.setCompare(overflow ? .max : target)
                pollen_mie_set(UInt32(POLLEN_MIE_MTIE))
                pollen_wfi()
            } else {
                pollen_wfi()
            }
        }
        pollen_enable_irq()
        return .resumed
    }
}
