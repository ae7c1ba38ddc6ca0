// fault-report — RISC-V: an exception (here a load from an address where the
// FE310 maps nothing) must not hang: the trap dispatcher names it, with `mepc`,
// `mcause`, `mtval` and `ra`, and exits with code 4 (POLLEN_EXIT_HARD_FAULT).
// (Swift traps, stack overflow and unhandled interrupts have tests of their own:
// panic, stack-overflow, unhandled-irq.)

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)
import _Volatile

/// Nothing is mapped at 0x4000_0000 on QEMU's sifive_e (between the flash
/// window, which ends at 0x4000_0000, and RAM at 0x8000_0000).
let unmapped: UInt = 0x4000_0000

@main
struct FaultReport {
    static func main() {
        Board.writeLine("reading an unmapped address")
        let value = VolatileMappedRegister<UInt32>(unsafeBitPattern: unmapped).load()
        Board.writeHex(value)
        Board.writeLine(" unreachable")
        Board.exit(0)
    }
}
