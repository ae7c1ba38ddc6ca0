// blinky: the smallest Pollen app. One task, woken by a drift-free 500 ms
// ticker, toggles the board's user LED (mps2-an386: USERLED0; micro:bit: the
// matrix LED at row 1, column 1). QEMU shows the LED as trace lines:
// `./Board/run blinky` turns them on (SHOW_LED in firmware.env).
//
// Build: ./Board/build blinky [--board microbit]. Its size is a benchmark
// (`blinky_text_bytes`), so it links only what a blinky needs: no device
// interrupts (DEVICE_INTERRUPTS=none in firmware.env) and no TimerQueue (the
// one timed task's deadline waits in the executor's deadline register, which is
// exact for a single task and links none of the queue's code).

import Pollen
import PollenBoardMinimal   // the board without device interrupts (DEVICE_INTERRUPTS=none)

/// Toggles the LED on every tick.
struct Blink: Future {
    var ticker = Ticker(period: .milliseconds(500))
    var lit = false

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while case .ready = ticker.poll(&context) {
            lit.toggle()
            Board.setLED(lit)
        }
        return .pending
    }
}

public let pollenTaskSize_Blink = MemoryLayout<Blink>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var blinkers = TaskPool<Blink, 1>(name: "blink")

@main
struct Blinky {
    static func main() {
        var platform = Board.startClock()   // the clock only: no UART receive, no software IRQ
        let blink: PoolRef<Blink, 1>
        do throws(CapacityError) {
            blink = try executor.attach(&blinkers)
        } catch {
            // One pool of one slot always fits in 32 slots; the long form of this
            // message is `Board.fail(error)` (see the demo), which costs about 450
            // bytes of decimal printing and text. This prints the line and exits
            // with code 1, through the fault report's C console loop.
            Board.fail("blinky: capacity check failed")
        }
        // Cannot fail: the pool is attached and its one slot is free.
        _ = try? blink.spawn(Blink())
        executor.run(on: &platform, idle: .sleep, tasks: blink)
        // Not reached (the Cortex-M platform never stops `run`); were it, main's
        // return would end the program with exit code 0 (startup.c).
    }
}
