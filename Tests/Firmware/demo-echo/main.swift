// demo-echo — the firmware demo's echo task (Sources/Firmware/demo/Echo.swift,
// compiled in through EXTRA_SOURCES in firmware.env), fed through the real UART
// receive interrupt with the lines of QEMU_INPUT. The demo app itself never
// exits, so this test runs its echo task alone, in a wrapper that ends the run
// once every expected line is out. expected.txt holds the exact output:
//   - a long line keeps its first 64 bytes and says how many it dropped; a
//     64-byte line has no mark, a 65-byte one "1 byte dropped";
//   - ESC, NUL, DEL, tab and bytes from 0x80 print as `\xhh`, a backslash as `\\`;
//   - an unfinished line prints after the idle limit, marked `(timed out)`
//     (2 s here instead of the demo's 10 s, to keep the test short);
//   - a byte lost before the task is reported on the next line: before the
//     receive interrupt is on, the test fills the board's 16-byte receive ring
//     with one line and pushes a 17th byte, which the full ring drops.
// Then it checks that nothing else was lost on the way (UART → ring → channel):
// the 200-byte line is more than the ring and the channel hold together.

/// Lines the echo task prints for QEMU_INPUT, plus the forced first one.
import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)

let expectedLines: UInt32 = 7

/// The demo's echo task, stopping the run once it has printed every expected line.
struct EchoUntilDone: ~Copyable, Future {
    var echo = EchoTask(idleLimit: .seconds(2))

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        _ = echo.poll(&context)   // never finishes
        if echo.linesEchoed >= expectedLines {
            check("echo printed every line", echo.linesEchoed == expectedLines)
            check("only the forced byte was lost (ring drop counted, no overrun, no refusal)",
                  Board.droppedReceiveBytes == 1 && Board.receiveOverruns == 0
                  && channelRefusals.load() == 0 && lostInputBytes() == 1)
            Board.exit(0)
        }
        return .pending
    }
}

public let pollenTaskSize_EchoUntilDone = MemoryLayout<EchoUntilDone>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var echoes = TaskPool<EchoUntilDone, 1>(name: "echo")
nonisolated(unsafe) var timers = TimerQueue<2>()

@main
struct DemoEchoTest {
    static func main() {
        // A lost byte, made on purpose: the ring takes 16, the 17th is dropped
        // (and counted). The receive interrupt is not on yet, so this code is
        // the ring's only producer.
        let forced: StaticString = "0123456789abcde\nX"
        for offset in 0..<forced.utf8CodeUnitCount {
            uartReceiveRing.push(forced.utf8Start[offset])
        }

        var platform = Board.start()
        let echo: PoolRef<EchoUntilDone, 1>
        do throws(CapacityError) {
            echo = try executor.attach(&echoes)
        } catch {
            Board.fail(error)
        }
        executor.attach(timers: &timers)
        Board.setReceiveHook { drainReceiveRing() }
        do throws(SpawnError) {
            try echo.spawn(EchoUntilDone())
        } catch {
            Board.fail(error)
        }
        executor.run(on: &platform, idle: .sleep, tasks: echo)
    }
}
