// Board.swift — QEMU mps2-an386 (Arm MPS2, AN386 image, Cortex-M4 at 25 MHz).
//
// Console: CMSDK APB UART0 at 0x4000_4000, wired in QEMU (hw/arm/mps2.c) to
// NVIC line 0 (receive) and 1 (transmit); the overflow interrupts of UART0-2
// are ORed onto line 12. Software interrupt: line 31, which no device drives.

@_exported import PollenCortexM
import _Volatile

/// The mps2-an386 board. See ``BoardSupport`` for everything an app can call.
public enum Board: CortexMBoard {
    public static let name: StaticString = "mps2-an386"
    public static let cpuHz: UInt32 = 25_000_000
    public static let uartReceiveIRQ: UInt32 = 0
    public static let softwareIRQ: UInt32 = 31

    /// Sets the baud divisor (QEMU ignores the UART below 16) and enables TX and RX.
    public static func initializeConsole() {
        CMSDKUART.bauddiv.store(CMSDKUART.baudDivisor115200)
        CMSDKUART.ctrl.store(CMSDKUART.ctrlTXEnable | CMSDKUART.ctrlRXEnable)
    }

    /// Sets RXINTEN in CTRL: a received byte raises NVIC line 0.
    ///
    /// This UART raises its RX interrupt only when a byte *arrives* with RXINTEN
    /// set; a byte already waiting (received since reset) would never be
    /// announced, and the UART accepts nothing more until it is read. So if one
    /// is waiting, pend line 0 by hand: the handler drains it.
    public static func enableReceiveInterruptSource() {
        CMSDKUART.ctrl.store(CMSDKUART.ctrl.load() | CMSDKUART.ctrlRXInterruptEnable)
        if CMSDKUART.state.load() & CMSDKUART.stateRXFull != 0 {
            NVIC.pend(uartReceiveIRQ)
        }
    }

    /// Re-runs the receive handler, which drains the byte left waiting.
    public static func resumeReceive() {
        NVIC.pend(uartReceiveIRQ)
    }

    /// USERLED0: bit 0 of the FPGAIO LED0 register (QEMU: `-trace
    /// led_change_intensity` shows "USERLED0 … 0% -> 100%"). Bit 1, USERLED1,
    /// is turned off by the same write.
    public static func setLED(_ on: Bool) {
        FPGAIO.led0.store(on ? 1 : 0)
    }

    /// USERLED0's bit, read back.
    public static var isLEDOn: Bool { FPGAIO.led0.load() & 1 != 0 }

    /// Waits while the one-byte transmit holding register is full, then writes.
    @inline(__always)
    public static func writeByte(_ byte: UInt8) {
        while CMSDKUART.state.load() & CMSDKUART.stateTXFull != 0 {}
        CMSDKUART.data.store(UInt32(byte))
    }
}

/// CMSDK APB UART registers (Arm DDI 0479C, "APB UART"), UART0 instance.
///
/// Through `VolatileMappedRegister` rather than `mmio` (`MMIORegister`): on this
/// ARMv7-M core both are one `ldr`/`str`, but the console's C-callable thunks
/// (`pollen_board_write_byte`, `pollen_board_early_init`) can inline only the
/// former (a C `always_inline` helper is not inlined into an `@_cdecl` thunk).
package enum CMSDKUART {
    @inline(__always)
    static func uartRegister(_ address: UInt) -> VolatileMappedRegister<UInt32> {
        VolatileMappedRegister<UInt32>(unsafeBitPattern: address)
    }

    package static var data: VolatileMappedRegister<UInt32> { uartRegister(0x4000_4000) }      // RX on read, TX on write
    package static var state: VolatileMappedRegister<UInt32> { uartRegister(0x4000_4004) }     // TXFULL=bit0, RXFULL=bit1
    package static var ctrl: VolatileMappedRegister<UInt32> { uartRegister(0x4000_4008) }
    package static var intStatus: VolatileMappedRegister<UInt32> { uartRegister(0x4000_400C) } // write 1 to clear
    package static var bauddiv: VolatileMappedRegister<UInt32> { uartRegister(0x4000_4010) }

    package static let stateTXFull: UInt32 = 1 << 0
    package static let stateRXFull: UInt32 = 1 << 1
    /// RX buffer overrun: a byte arrived while RXFULL was set, and was lost. Write 1 to clear.
    package static let stateRXOverrun: UInt32 = 1 << 3
    package static let ctrlTXEnable: UInt32 = 1 << 0
    package static let ctrlRXEnable: UInt32 = 1 << 1
    package static let ctrlRXInterruptEnable: UInt32 = 1 << 3
    package static let intStatusRX: UInt32 = 1 << 1
    /// 25 MHz / 115200 baud. (QEMU does not pace output; real hardware would.)
    package static let baudDivisor115200: UInt32 = 217
}

/// The FPGA's I/O block (AN386 application note, "FPGA system control and I/O").
package enum FPGAIO {
    /// LED0: bits 1:0 drive USERLED1:USERLED0.
    package static var led0: MMIORegister { mmio(0x4002_8000) }
}

/// Priority levels for `InterruptExecutor` (Board/cortex-m/InterruptExecutor.swift).
extension Board: InterruptLevelSupport {
    /// The AN386 Cortex-M4 implements 3 NVIC priority bits: levels 1...7 above thread mode.
    public static let priorityBits = 3
    /// IRQ 22...30: QEMU hw/arm/mps2.c wires UART0-4 to 0-5 and 18-21, the APB timers to 8-10, the UART overflows to 12, Ethernet to 13; 31 is the software interrupt.
    public static let spareInterruptLines: UInt32 = 0x7FC0_0000
}

/// The console as the core's `TextOutput` (see ``ConsoleOutput``).
public typealias BoardConsole = ConsoleOutput<Board>

/// Reset_Handler calls this before `main` so `print` and fault reports work at once.
@_cdecl("pollen_board_early_init")
@inline(__always)
public func boardEarlyInit() { Board.initializeConsole() }

/// `putchar` (startup.c) ends here.
@_cdecl("pollen_board_write_byte")
@inline(__always)
public func boardWriteByte(_ byte: UInt8) { Board.writeByte(byte) }
