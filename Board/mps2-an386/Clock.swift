// Clock.swift — mps2-an386: the timer hardware under the tickless clock
// (Board/common/CortexMClock.swift).
//
// The counter: the FPGA I/O block's COUNTER (0x4002_8018), a 32-bit up-counter
// that advances each time its prescale counter PSCNTR (0x4002_8020) counts down
// through zero from PRESCALE (0x4002_801C). Clocked at 25 MHz with PRESCALE =
// 24, it counts microseconds: one load reads it, no conversion, no interrupt
// needed (QEMU: hw/misc/mps2-fpgaio.c, "prescale-clk" = 25 MHz on this machine,
// checked with `info qtree`). A CMSDK timer would count 25 MHz cycles and cost
// every reading a division by 25.
//
// The alarm: CMSDK APB timer 0 (0x4000_0000, NVIC line 8; QEMU hw/arm/mps2.c),
// a 32-bit down-counter at 25 MHz (40 ns) that interrupts when it reaches zero:
// a one-shot armed with `span × 25` cycles, so at most 171,798,691 µs (171.8 s)
// at once. Being relative, it cannot miss a count it was armed for. APB timer 1
// (line 9) and the dual timer (line 10) stay free for apps and tests.

import PollenCortexM
import PollenCortexMSupport   // pollen_register_load/store

extension Board: TicklessTimerHardware {
    /// CMSDK APB timer 0.
    public static var alarmIRQ: UInt32 { 8 }
    /// (2^32 − 1) / 25 µs: the 32-bit countdown at 25 cycles per µs.
    public static var maximumAlarmSpan: UInt32 { 171_798_691 }

    /// PRESCALE = 24 (25 MHz / 25 = 1 MHz), COUNTER = 0; the alarm timer stopped
    /// with its interrupt cleared.
    public static func startCounter() {
        AlarmTimer.ctrl.store(0)
        AlarmTimer.intClear.store(1)
        FPGAIO.prescale.store(24)
        FPGAIO.prescaleCounter.store(24)
        FPGAIO.counter.store(0)
    }

    /// Writes COUNTER.
    public static func setCounter(_ value: UInt32) -> Bool {
        FPGAIO.counter.store(value)
        return true
    }

    /// One load of COUNTER.
    @inline(__always)
    public static func readCounter() -> UInt32 { pollen_register_load(0x4002_8018) }   // COUNTER

    /// Loads the countdown with `span` µs of 25 MHz cycles and starts it, its
    /// interrupt enabled.
    ///
    /// RELOAD is 25 cycles (1 µs), not the longest count: QEMU 7.2's model of
    /// this timer, under `-icount`, sometimes lets a long countdown pass zero
    /// without interrupting, and interrupts only at the next zero (seen with
    /// RELOAD = 2^32 − 1: a 60 s alarm came 231.8 s late, once the virtual clock
    /// was past about 300 s; `.build/exp`-style check: APB timer against the
    /// FPGA's CLK1HZ). With a 1 µs reload such a miss costs 1 µs. The handler
    /// stops the timer, so the reload never runs on its own.
    public static func armAlarm(target: UInt32, span: UInt32) {
        AlarmTimer.ctrl.store(0)
        AlarmTimer.reload.store(25)
        AlarmTimer.value.store(span &* 25)
        AlarmTimer.ctrl.store(AlarmTimer.ctrlEnable | AlarmTimer.ctrlInterruptEnable)
    }

    /// Stops the countdown and clears its interrupt.
    public static func acknowledgeAlarm() {
        AlarmTimer.ctrl.store(0)
        AlarmTimer.intClear.store(1)
    }
}

/// CMSDK APB timer 0 (Arm DDI 0479C, "APB timer").
package enum AlarmTimer {
    package static var ctrl: MMIORegister { mmio(0x4000_0000) }
    package static var value: MMIORegister { mmio(0x4000_0004) }
    package static var reload: MMIORegister { mmio(0x4000_0008) }
    /// INTSTATUS on read, INTCLEAR on write (1 clears).
    package static var intClear: MMIORegister { mmio(0x4000_000C) }
    package static let ctrlEnable: UInt32 = 1 << 0
    package static let ctrlInterruptEnable: UInt32 = 1 << 3
}

extension FPGAIO {
    /// COUNTER: counts up each time PSCNTR reloads.
    package static var counter: MMIORegister { mmio(0x4002_8018) }
    /// PRESCALE: PSCNTR's reload value.
    package static var prescale: MMIORegister { mmio(0x4002_801C) }
    /// PSCNTR: the prescale counter, down from PRESCALE at 25 MHz.
    package static var prescaleCounter: MMIORegister { mmio(0x4002_8020) }
}

extension Board {
    /// The alarm's scheduling, specialized for this board once, here (see
    /// ``TicklessTimerHardware/programAlarm(servicing:)``).
    @inline(never)
    public static func programAlarm(servicing: Bool) {
        TicklessAlarm.program(Board.self, servicing: servicing)
    }
}

/// The platform for this board: the core's `Platform` over this clock.
public typealias CortexMPlatform = TicklessPlatform<Board>

/// The alarm: CMSDK APB timer 0 (NVIC line 8).
@_cdecl("IRQ8_Handler")
public func alarmInterrupt() {
    TicklessAlarm.handleInterrupt(Board.self)
}
