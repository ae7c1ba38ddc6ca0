// InterruptHandlers.swift — mps2-an386: the device interrupt handlers (UART receive and
// the software interrupt): the module PollenBoard. Apps that depend on
// PollenBoardMinimal instead (DEVICE_INTERRUPTS=none, see Board/build) leave it
// out, so their vectors fall back to Default_Handler and none of this code is
// linked.

@_exported import PollenBoardMinimal   // `import PollenBoard` gives the whole board
import PollenCortexM
import _Volatile   // CMSDKUART (Board.swift)

/// The handlers below are linked: `Board.start()`, `Board.readByte()` & co.
/// (DeviceInterrupts.swift) become available.
extension Board: DeviceInterruptSupport {}

/// UART0 receive interrupt (NVIC line 0). The RX interrupt status is sticky in
/// this UART: clear it first, then drain, so a byte arriving meanwhile raises
/// it again instead of being missed. With the ring full, the byte stays in
/// the UART (no new byte can arrive, so no new interrupt) until `resumeReceive`.
/// On silicon a byte arriving meanwhile overruns the UART: the handler counts
/// each overrun it finds flagged (STATE.RXOR, write 1 to clear).
@_cdecl("IRQ0_Handler")
public func uart0ReceiveInterrupt() {
    CMSDKUART.intStatus.store(CMSDKUART.intStatusRX)
    if CMSDKUART.state.load() & CMSDKUART.stateRXOverrun != 0 {
        CMSDKUART.state.store(CMSDKUART.stateRXOverrun)
        uartReceiveOverruns &+= 1   // only this handler writes it
    }
    while CMSDKUART.state.load() & CMSDKUART.stateRXFull != 0 {
        // rx ring: this handler is the only producer.
        if uartReceiveRing.isFull {
            uartReceivePaused = true
            break
        }
        uartReceiveRing.push(UInt8(truncatingIfNeeded: CMSDKUART.data.load()))
    }
    runUARTReceiveHook()
}

/// Software interrupt (NVIC line 31, raised by `Board.pendSoftwareInterrupt()`).
@_cdecl("IRQ31_Handler")
public func softwareInterrupt() {
    runSoftwareInterruptHook()
}
