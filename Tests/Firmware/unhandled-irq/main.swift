// unhandled-irq — an interrupt nobody handles must not hang or return into
// garbage: the fault handler names the interrupt and exits with code 5
// (POLLEN_EXIT_UNHANDLED_IRQ).
//
// Cortex-M: NVIC line 5, pended by software; no Pollen board handles it.
// RISC-V (-DRISCV, firmware.env): the PLIC cannot be pended by software, so a
// device raises the interrupt: UART1's transmit watermark (PLIC source 4 on the
// FE310), pending as soon as it is enabled with a watermark above the empty
// FIFO's count. No Pollen board handles UART1.

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)
#if RISCV
import _Volatile
#else
import PollenCortexMSupport   // pollen_dsb, pollen_isb
#endif

@main
struct UnhandledIRQ {
    static func main() {
        #if RISCV
        Board.writeLine("pending IRQ 4")
        mmio(0x1002_3008).store(1 | 1 << 16)   // UART1 txctrl: txen, watermark 1
        mmio(0x1002_3010).store(1)             // UART1 ie: transmit watermark
        Board.enableDeviceInterrupt(4)
        #else
        Board.writeLine("pending IRQ 5")
        NVIC.enable(5)
        NVIC.pend(5)
        pollen_dsb()
        pollen_isb()
        #endif
        Board.writeLine("unreachable")
        Board.exit(0)
    }
}
