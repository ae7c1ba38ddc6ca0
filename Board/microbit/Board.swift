// Board.swift — QEMU microbit (BBC micro:bit v1: nRF51822, Cortex-M0 at 16 MHz).
//
// Console: nRF51 UART0 at 0x4000_2000 on NVIC line 2 (nRF51 peripherals use
// line = (base >> 12) & 0x1F). Software interrupt: line 20, SWI0, which the
// nRF51 reserves for software.
//
// Time: the tickless clock on TIMER0 at 1 MHz (Clock.swift). The real nRF51
// has no SysTick (optional on the M0; Nordic left it out); silicon would count
// RTC1 for low power (see Clock.swift).

@_exported import PollenCortexM

/// The micro:bit (v1) board. See ``BoardSupport`` for everything an app can call.
public enum Board: CortexMBoard {
    public static let name: StaticString = "microbit"
    public static let cpuHz: UInt32 = 16_000_000
    public static let uartReceiveIRQ: UInt32 = 2
    public static let softwareIRQ: UInt32 = 20

    /// Routes the UART to the micro:bit's USB-serial pins, 115200 baud, enables
    /// it and starts both directions.
    public static func initializeConsole() {
        NRF51UART.pselTXD.store(24)
        NRF51UART.pselRXD.store(25)
        NRF51UART.baudrate.store(NRF51UART.baud115200)
        NRF51UART.enable.store(NRF51UART.enableUART)
        NRF51UART.taskStartTX.store(1)
        NRF51UART.taskStartRX.store(1)
    }

    /// The matrix LED at row 1, column 1: row 1 (P0.13) high with column 1 (P0.4)
    /// low, its reset level. Both pins are made outputs on every call (one store),
    /// so no set-up step is needed. QEMU: `-trace nrf51_gpio_update_output_irq`
    /// shows "line 13 value 1".
    public static func setLED(_ on: Bool) {
        NRF51GPIO.dirSet.store(NRF51GPIO.row1 | NRF51GPIO.column1)
        if on { NRF51GPIO.outSet.store(NRF51GPIO.row1) } else { NRF51GPIO.outClear.store(NRF51GPIO.row1) }
    }

    /// Row 1's output level, read back.
    public static var isLEDOn: Bool { NRF51GPIO.out.load() & NRF51GPIO.row1 != 0 }

    /// INTENSET.RXDRDY: a received byte raises NVIC line 2.
    public static func enableReceiveInterruptSource() {
        NRF51UART.intenSet.store(NRF51UART.interruptRXDReady)
    }

    /// Re-enables the RXDRDY interrupt; with a byte still waiting (RXDRDY set)
    /// the handler runs as soon as interrupts are unmasked.
    public static func resumeReceive() {
        NRF51UART.intenSet.store(NRF51UART.interruptRXDReady)
    }

    /// Writes TXD and waits for the TXDRDY event (clearing it for the next byte).
    @inline(__always)
    public static func writeByte(_ byte: UInt8) {
        NRF51UART.txd.store(UInt32(byte))
        while NRF51UART.eventTXDReady.load() == 0 {}
        NRF51UART.eventTXDReady.store(0)
    }
}

/// nRF51 UART registers (nRF51 Series Reference Manual v3.0, chapter 29).
package enum NRF51UART {
    package static var taskStartRX: MMIORegister { mmio(0x4000_2000) }
    package static var taskStartTX: MMIORegister { mmio(0x4000_2008) }
    package static var eventRXDReady: MMIORegister { mmio(0x4000_2108) }
    package static var eventTXDReady: MMIORegister { mmio(0x4000_211C) }
    package static var eventError: MMIORegister { mmio(0x4000_2124) }
    package static var intenSet: MMIORegister { mmio(0x4000_2304) }
    package static var intenClear: MMIORegister { mmio(0x4000_2308) }
    package static var errorSource: MMIORegister { mmio(0x4000_2480) }  // write 1 to clear
    package static var enable: MMIORegister { mmio(0x4000_2500) }
    package static var pselTXD: MMIORegister { mmio(0x4000_250C) }
    package static var pselRXD: MMIORegister { mmio(0x4000_2514) }
    package static var rxd: MMIORegister { mmio(0x4000_2518) }
    package static var txd: MMIORegister { mmio(0x4000_251C) }
    package static var baudrate: MMIORegister { mmio(0x4000_2524) }

    package static let enableUART: UInt32 = 4
    package static let interruptRXDReady: UInt32 = 1 << 2
    /// ERRORSRC.OVERRUN: a byte arrived with the receive FIFO full, and was lost.
    package static let errorOverrun: UInt32 = 1 << 0
    package static let baud115200: UInt32 = 0x01D7_E000
}

/// nRF51 GPIO (nRF51 Series Reference Manual, "GPIO"). The micro:bit's 5×5 LED
/// matrix hangs on P0.4–P0.12 (columns, active low) and P0.13–P0.15 (rows).
package enum NRF51GPIO {
    package static var out: MMIORegister { mmio(0x5000_0504) }
    package static var outSet: MMIORegister { mmio(0x5000_0508) }
    package static var outClear: MMIORegister { mmio(0x5000_050C) }
    package static var dirSet: MMIORegister { mmio(0x5000_0518) }

    /// Row 1 of the matrix.
    package static let row1: UInt32 = 1 << 13
    /// Column 1 of the matrix (low lights the LED at row 1, column 1).
    package static let column1: UInt32 = 1 << 4
}

/// Priority levels for `InterruptExecutor` (Board/cortex-m/InterruptExecutor.swift).
extension Board: InterruptLevelSupport {
    /// The Cortex-M0 implements 2 NVIC priority bits: levels 1...3 above thread mode.
    public static let priorityBits = 2
    /// IRQ 21...25: the nRF51's SWI1-SWI5, reserved for software (SWI0, line 20, is the software interrupt).
    public static let spareInterruptLines: UInt32 = 0x03E0_0000
}

/// The console as the core's `TextOutput` (see ``ConsoleOutput``).
public typealias BoardConsole = ConsoleOutput<Board>

/// Reset_Handler calls this before `main` so `print` and fault reports work at once.
@_cdecl("pollen_board_early_init")
public func boardEarlyInit() { Board.initializeConsole() }

/// `putchar` (startup.c) ends here.
@_cdecl("pollen_board_write_byte")
public func boardWriteByte(_ byte: UInt8) { Board.writeByte(byte) }
