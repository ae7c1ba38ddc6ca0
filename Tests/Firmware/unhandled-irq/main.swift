// unhandled-irq — an interrupt nobody handles must not hang or return into
// garbage: Default_Handler names the exception and exits with code 5
// (POLLEN_EXIT_UNHANDLED_IRQ). IRQ 5 has no handler on any Pollen board.

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)
import PollenCortexMSupport   // pollen_dsb, pollen_isb

@main
struct UnhandledIRQ {
    static func main() {
        Board.writeLine("pending IRQ 5")
        NVIC.enable(5)
        NVIC.pend(5)
        pollen_dsb()
        pollen_isb()
        Board.writeLine("unreachable")
        Board.exit(0)
    }
}
