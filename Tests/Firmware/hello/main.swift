// hello — the smallest firmware smoke test: the board's console (Board.write*,
// print, the core's TextOutput), the clock, the software interrupt, the stack
// paint, and a clean semihosting exit. Runs on every board.
//
// Expected output: expected.txt beside this file (the stack depth varies
// between boards, so that line is checked by pattern, not by value).

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)

@main
struct Hello {
    static func main() {
        Board.write("hello from ")
        Board.writeLine(Board.name)
        Board.write("decimal ")
        Board.writeDecimal(4_294_967_295)
        Board.write(" ")
        Board.writeDecimal(0)
        Board.write(" ")
        Board.writeDecimal(1_000_000)
        Board.write(" hex ")
        Board.writeHex(0xC0FF_EE42)
        Board.writeByte(0x0A)

        // Embedded Swift's print() goes through putchar (startup.c) to the UART.
        print("print works")

        // The clock: after start(), time moves forward.
        var platform = Board.start()
        let t0 = platform.now()
        var spins: UInt32 = 0
        while platform.now().ticks < t0.ticks &+ 3_000 { spins &+= 1 }
        Board.writeLine("clock ok")

        // Software interrupt: the hook runs as soon as the line is pended.
        Board.setSoftwareInterruptHook { softwareInterruptCount &+= 1 }
        Board.pendSoftwareInterrupt()
        Board.write("software interrupts ")
        Board.writeDecimal(softwareInterruptCount)
        Board.writeByte(0x0A)

        // The core's TextOutput, on the UART.
        var console = BoardConsole()
        console.write("console ")
        console.write(-42)
        console.write(" ")
        console.write(Int.max)
        Board.writeByte(0x0A)

        Board.write("stack high water ")
        Board.writeDecimal(Board.stackHighWaterBytes)
        Board.write(" of ")
        Board.writeDecimal(Board.stackSizeBytes)
        Board.writeLine(" bytes")
        Board.exit(0)
    }
}

/// Counted by the software-interrupt hook above.
nonisolated(unsafe) var softwareInterruptCount: UInt32 = 0
