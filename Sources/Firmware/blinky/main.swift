// blinky: the smallest Pollen app. One task, woken by a drift-free 500 ms
// ticker, toggles the "LED" (printed on the UART: QEMU's boards have no LED we
// can watch). Build: ./Board/build blinky [--board microbit]
import _Volatile

/// Toggles the LED on every tick.
struct Blink: Future {
    var ticker = Ticker(period: .milliseconds(500))
    var lit = false

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while case .ready = ticker.poll(&context) {
            lit.toggle()
            Board.write(lit ? "led on\n" : "led off\n")
        }
        return .pending
    }
}

public let pollenTaskSize_Blink = MemoryLayout<Blink>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var blinkers = TaskPool<Blink, 1>(name: "blink")
// No TimerQueue: the one timed task's deadline waits in the executor's deadline
// register, which is exact for a single task and links none of the queue's code.

@main
struct Blinky {
    static func main() {
        var platform = Board.startTicks()   // the clock only: no UART receive, no software IRQ
        let blink: PoolRef<Blink, 1>
        do throws(CapacityError) {
            blink = try executor.attach(&blinkers)
        } catch {
            // One pool of one slot always fits in 32 slots; the long form of this
            // message is `error.describe(to: &console)` (see the demo), which costs
            // about 450 bytes of decimal printing and text.
            Board.write("blinky: capacity check failed\n")
            Board.exit(1)
        }
        _ = try? blink.spawn(Blink())
        executor.run(on: &platform, idle: .sleep, tasks: blink)
        Board.exit(0)
    }
}
