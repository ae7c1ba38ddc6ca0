// panic — a Swift runtime failure must be loud: the message on the UART, then
// a non-zero QEMU exit (3 = trap, see Board/common/cortexm.h). Board/qemu-test
// expects exit code 3 for this test (expected-exit.txt).

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)

@main
struct Panic {
    static func main() {
        Board.writeLine("about to fail")
        if Board.stackSizeBytes > 0 {   // not foldable: keeps the line below reachable
            fatalError("boom")
        }
        Board.writeLine("unreachable")
        Board.exit(0)
    }
}
