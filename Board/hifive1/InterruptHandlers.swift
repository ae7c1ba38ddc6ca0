// InterruptHandlers.swift — hifive1: the device interrupt handlers (UART receive and
// the software interrupt): the module PollenBoard. Apps that depend on
// PollenBoardMinimal instead (DEVICE_INTERRUPTS=none, see Board/build) leave it
// out: the trap dispatcher's weak defaults then report those interrupts as
// unhandled, and none of this code is linked.

@_exported import PollenBoardMinimal   // `import PollenBoard` gives the whole board
import PollenRISCV
import _Volatile

/// The handlers below are linked: `Board.start()`, `Board.readByte()` & co.
/// (DeviceInterrupts.swift) become available.
extension Board: DeviceInterruptSupport {}

/// UART0 (PLIC source 3, claimed and completed by the trap dispatcher). Reading
/// rxdata pops a byte, so the ring's room is checked first: with the ring full
/// the bytes stay in the UART's 8-byte FIFO, and the receive interrupt is
/// disabled at the UART (it is level-sensitive: left enabled it would re-enter
/// at once) until `resumeReceive`. This UART flags no overrun: on silicon a byte
/// arriving at a full FIFO is lost without a trace, and `receiveOverruns` stays 0.
@_cdecl("IRQ3_Handler")
public func uart0Interrupt() {
    while true {
        // rx ring: this handler is the only producer.
        if uartReceiveRing.isFull {
            SiFiveUART.ie.store(0)
            uartReceivePaused = true
            break
        }
        let word = SiFiveUART.rxdata.load()
        if word & SiFiveUART.empty != 0 { break }
        uartReceiveRing.push(UInt8(truncatingIfNeeded: word))
    }
    runUARTReceiveHook()
}

/// The machine software interrupt (CLINT msip, raised by
/// `Board.pendSoftwareInterrupt()`; the dispatcher has cleared msip).
@_cdecl("pollen_software_interrupt_handler")
public func softwareInterrupt() {
    runSoftwareInterruptHook()
}
