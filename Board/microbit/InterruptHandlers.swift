// InterruptHandlers.swift — microbit: the device interrupt handlers (UART receive and
// the software interrupt): the module PollenBoard. Apps that depend on
// PollenBoardMinimal instead (DEVICE_INTERRUPTS=none, see Board/build) leave it
// out, so their vectors fall back to Default_Handler and none of this code is
// linked.

@_exported import PollenBoardMinimal   // `import PollenBoard` gives the whole board
import PollenCortexM

/// The handlers below are linked: `Board.start()`, `Board.readByte()` & co.
/// (DeviceInterrupts.swift) become available.
extension Board: DeviceInterruptSupport {}

/// UART0 interrupt (NVIC line 2). Clear RXDRDY before reading RXD: reading
/// pops the UART's FIFO and raises RXDRDY again if more bytes wait. With the
/// ring full, leave RXDRDY set and mask it at the UART (it is level-sensitive:
/// left enabled it would re-enter at once) until `resumeReceive`. On silicon
/// the 6-byte receive FIFO overflows meanwhile: the handler counts each overrun
/// it finds flagged (ERRORSRC.OVERRUN, write 1 to clear).
@_cdecl("IRQ2_Handler")
public func uart0Interrupt() {
    if NRF51UART.errorSource.load() & NRF51UART.errorOverrun != 0 {
        NRF51UART.errorSource.store(NRF51UART.errorOverrun)
        NRF51UART.eventError.store(0)
        uartReceiveOverruns &+= 1   // only this handler writes it
    }
    while NRF51UART.eventRXDReady.load() != 0 {
        // rx ring: this handler is the only producer.
        if uartReceiveRing.isFull {
            NRF51UART.intenClear.store(NRF51UART.interruptRXDReady)
            uartReceivePaused = true
            break
        }
        NRF51UART.eventRXDReady.store(0)
        uartReceiveRing.push(UInt8(truncatingIfNeeded: NRF51UART.rxd.load()))
    }
    runUARTReceiveHook()
}

/// Software interrupt SWI0 (NVIC line 20, raised by `Board.pendSoftwareInterrupt()`).
@_cdecl("IRQ20_Handler")
public func softwareInterrupt() {
    runSoftwareInterruptHook()
}
