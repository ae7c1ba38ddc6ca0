// Board.swift — QEMU sifive_e (SiFive HiFive1: FE310, one RV32IMAC core).
//
// Console: SiFive UART0 at 0x1001_3000, PLIC source 3 (QEMU hw/riscv/sifive_e.c;
// the FE310 manual's interrupt map). Software interrupt: the CLINT's machine
// software interrupt (msip), mcause 3. Clock: the CLINT's mtime, 10 MHz under
// QEMU 7.2 (measured: 20,000 ticks per 2,000,000 instructions at -icount shift=0,
// 1 ns each). The real HiFive1 clocks mtime from its 32,768 Hz RTC: a port to
// silicon changes `mtimeHz` and the conversion in RISCVPlatform.

@_exported import PollenRISCV
import _Volatile
import PollenRISCVSupport

/// The HiFive1 board. See ``BoardSupport`` for everything an app can call.
public enum Board: RISCVBoard {
    public static let name: StaticString = "hifive1"
    /// Nominal core clock (the HiFive1's 16 MHz crystal); nothing here counts it:
    /// Pollen's clock on this board is mtime (``mtimeHz``).
    public static let cpuHz: UInt32 = 16_000_000
    public static let mtimeHz: UInt32 = 10_000_000
    public static let uartReceiveIRQ: UInt32 = 3
    public static let softwareIRQ: UInt32 = 3

    /// Enables the transmitter and the receiver. (The divisor stays at QEMU's
    /// default: the model does not pace output.) The receive watermark stays 0:
    /// the receive interrupt is pending while at least one byte waits.
    public static func initializeConsole() {
        SiFiveUART.txctrl.store(SiFiveUART.txctrlEnable)
        SiFiveUART.rxctrl.store(SiFiveUART.rxctrlEnable)
    }

    /// Sets ie.rxwm: the UART's interrupt (PLIC source 3) is pending while a
    /// received byte waits. Level-triggered, so a byte that arrived before this
    /// call is announced too.
    public static func enableReceiveInterruptSource() {
        SiFiveUART.ie.store(SiFiveUART.interruptReceive)
    }

    /// Sets ie.rxwm again (the handler cleared it when the ring was full); with
    /// a byte still waiting the handler runs as soon as interrupts are unmasked.
    public static func resumeReceive() {
        SiFiveUART.ie.store(SiFiveUART.interruptReceive)
    }

    /// The green LED (GPIO 19, active low: on drives the pin low). The pin is
    /// made an output on every call, so no set-up step is needed; each register
    /// is changed by one atomic instruction (amoor.w / amoand.w), as the FE310
    /// manual recommends. QEMU: `-trace sifive_gpio_write` shows each write
    /// ("offset 0xc" is the output port).
    public static func setLED(_ on: Bool) {
        pollen_register_set_bits(SiFiveGPIO.outputEnable, SiFiveGPIO.greenLED)
        if on {
            pollen_register_clear_bits(SiFiveGPIO.port, SiFiveGPIO.greenLED)
        } else {
            pollen_register_set_bits(SiFiveGPIO.port, SiFiveGPIO.greenLED)
        }
    }

    /// Whether the green LED is lit: its pin an output, driven low.
    public static var isLEDOn: Bool {
        mmio(SiFiveGPIO.outputEnable).load() & SiFiveGPIO.greenLED != 0
            && mmio(SiFiveGPIO.port).load() & SiFiveGPIO.greenLED == 0
    }

    /// Waits while the transmit FIFO is full (txdata bit 31), then writes.
    @inline(__always)
    public static func writeByte(_ byte: UInt8) {
        while SiFiveUART.txdata.load() & SiFiveUART.full != 0 {}
        SiFiveUART.txdata.store(UInt32(byte))
    }
}

/// SiFive UART registers (FE310-G000 manual, chapter "Universal Asynchronous
/// Receiver/Transmitter"), UART0 instance.
package enum SiFiveUART {
    /// Write a byte to send; bit 31 reads 1 while the transmit FIFO is full.
    package static var txdata: VolatileMappedRegister<UInt32> { mmio(0x1001_3000) }
    /// Reading pops a received byte (bits 7:0); bit 31 is set when there was none.
    package static var rxdata: VolatileMappedRegister<UInt32> { mmio(0x1001_3004) }
    package static var txctrl: VolatileMappedRegister<UInt32> { mmio(0x1001_3008) }
    package static var rxctrl: VolatileMappedRegister<UInt32> { mmio(0x1001_300C) }
    /// Interrupt enables: bit 0 transmit watermark, bit 1 receive watermark.
    package static var ie: VolatileMappedRegister<UInt32> { mmio(0x1001_3010) }

    /// txdata/rxdata bit 31: transmit FIFO full / receive FIFO empty.
    package static let full: UInt32 = 1 << 31
    package static let empty: UInt32 = 1 << 31
    package static let txctrlEnable: UInt32 = 1 << 0
    package static let rxctrlEnable: UInt32 = 1 << 0
    package static let interruptReceive: UInt32 = 1 << 1
}

/// SiFive GPIO (FE310-G000 manual, "General Purpose Input/Output Controller").
package enum SiFiveGPIO {
    /// output_en: a set bit makes the pin an output.
    package static let outputEnable: UInt = 0x1001_2008
    /// port (output_val): the level each output pin drives.
    package static let port: UInt = 0x1001_200C
    /// The HiFive1's green LED: GPIO 19, lit when driven low.
    package static let greenLED: UInt32 = 1 << 19
}

/// The console as the core's `TextOutput` (see ``ConsoleOutput``).
public typealias BoardConsole = ConsoleOutput<Board>

/// The reset code calls this before `main` so `print` and fault reports work at once.
@_cdecl("pollen_board_early_init")
public func boardEarlyInit() { Board.initializeConsole() }

/// `putchar` and the fault reports (traps.c) end here.
@_cdecl("pollen_board_write_byte")
public func boardWriteByte(_ byte: UInt8) { Board.writeByte(byte) }
