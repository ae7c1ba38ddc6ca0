// Clock.swift — micro:bit (nRF51822): the timer hardware under the tickless
// clock (Board/common/CortexMClock.swift).
//
// QEMU's microbit models TIMER0–2 (0x4000_8000, 0x4000_9000, 0x4000_A000; NVIC
// lines 8–10) but no RTC (`info mtree`: nothing at 0x4000_B000 or
// 0x4001_1000), so the clock is TIMER0: 32-bit, PRESCALER 4 (16 MHz / 2^4 =
// 1 MHz), counting microseconds. Its counter is read by triggering CAPTURE[3]
// and loading CC[3]; the alarm is compare channel CC[0] (EVENTS_COMPARE[0],
// line 8). A compare fires only when the counter *reaches* CC[0]: set to a
// count already passed, it would fire a wrap (71.6 min) later, which
// `TicklessAlarm.program` catches by re-reading the counter after arming.
//
// Real silicon would use RTC1 instead: 24-bit, clocked from the 32.768 kHz
// LFCLK (30.5 µs resolution, 512 s per wrap), with compare channels and an
// overflow event. TIMER needs the 16 MHz HFCLK running, about a milliampere;
// the RTC and LFCLK draw a few microamperes, which is what lets a sleeping
// nRF51 last on a coin cell. (The same 64-bit extension applies, with 2^23
// ticks for a half-period.)
//
// The nRF51 TIMER has no writable counter (only CLEAR), so test-only presets
// of the clock are not possible here: tests cross the counter's crossings by
// sleeping to them (71.6 virtual minutes take under a second under QEMU's
// `-icount shift=0,sleep=off`, which skips idle time).

import PollenCortexM
import PollenCortexMSupport   // pollen_register_load/store

extension Board: TicklessTimerHardware {
    /// TIMER0.
    public static var alarmIRQ: UInt32 { 8 }
    /// Half the counter's period.
    public static var maximumAlarmSpan: UInt32 { 0x8000_0000 }

    /// TIMER0 in 32-bit timer mode at 1 MHz, cleared and started; COMPARE[0]
    /// interrupts.
    public static func startCounter() {
        NRF51Timer.stop.store(1)
        NRF51Timer.clear.store(1)
        NRF51Timer.mode.store(0)
        NRF51Timer.bitMode.store(3)
        NRF51Timer.prescaler.store(4)
        NRF51Timer.compare0Event.store(0)
        NRF51Timer.cc0.store(0)
        NRF51Timer.interruptEnableSet.store(NRF51Timer.interruptCompare0)
        NRF51Timer.start.store(1)
    }

    /// TIMER has no writable counter: returns `false`, changes nothing.
    public static func setCounter(_ value: UInt32) -> Bool { false }

    /// CAPTURE[3], then CC[3].
    @inline(__always)
    public static func readCounter() -> UInt32 {
        // Plain `str`/`ldr` (cortexm.h): no `__atomic_*_4` calls on this hot path.
        pollen_register_store(0x4000_804C, 1)              // TASKS_CAPTURE[3]
        return pollen_register_load(0x4000_854C)           // CC[3]
    }

    /// CC[0] = `target`, its event cleared.
    public static func armAlarm(target: UInt32, span: UInt32) {
        NRF51Timer.compare0Event.store(0)
        NRF51Timer.cc0.store(target)
    }

    /// Moves CC[0] one count back (a wrap away), then clears EVENTS_COMPARE[0],
    /// which lowers the line. (The handler arms CC[0] again at once.)
    ///
    /// Why move it: QEMU 7.2's TIMER model, in 32-bit mode, sets the event again
    /// when it is cleared while CC[0] still equals the counter (its "ticks to
    /// the compare" come out as 2^32, truncated to 0), so the handler would run
    /// twice per alarm; the `tickless` test counts alarm interrupts and saw 39
    /// for 20 alarms. On silicon the move is harmless.
    public static func acknowledgeAlarm() {
        NRF51Timer.cc0.store(NRF51Timer.cc0.load() &- 1)
        NRF51Timer.compare0Event.store(0)
    }
}

/// nRF51 TIMER0 (nRF51 Series Reference Manual v3.0, chapter 18).
package enum NRF51Timer {
    package static var start: MMIORegister { mmio(0x4000_8000) }
    package static var stop: MMIORegister { mmio(0x4000_8004) }
    package static var clear: MMIORegister { mmio(0x4000_800C) }
    package static var capture3: MMIORegister { mmio(0x4000_804C) }
    package static var compare0Event: MMIORegister { mmio(0x4000_8140) }
    package static var interruptEnableSet: MMIORegister { mmio(0x4000_8304) }
    package static var mode: MMIORegister { mmio(0x4000_8504) }
    package static var bitMode: MMIORegister { mmio(0x4000_8508) }
    package static var prescaler: MMIORegister { mmio(0x4000_8510) }
    package static var cc0: MMIORegister { mmio(0x4000_8540) }
    package static var cc3: MMIORegister { mmio(0x4000_854C) }
    /// INTENSET bit for COMPARE[0].
    package static let interruptCompare0: UInt32 = 1 << 16
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

/// The alarm: TIMER0 (NVIC line 8).
@_cdecl("IRQ8_Handler")
public func alarmInterrupt() {
    TicklessAlarm.handleInterrupt(Board.self)
}
