// demo: the Pollen firmware demo. Build and run: ./Board/run [--board microbit]
//
//   - `ticker` prints `tick N` every 500 ms on a drift-free grid (Ticker);
//   - the UART receive interrupt moves received bytes into a Channel
//     (interrupt-safe, non-blocking `trySend`);
//   - `echo` (Echo.swift) awaits bytes from the channel and prints
//     `echo: <line>` for every line ended by Enter (\r or \n). A line left
//     unfinished for 10 s is printed as it is, marked `(timed out)` (Timeout
//     around each receive). A line keeps its first 64 bytes and says how many
//     it dropped (`(truncated: N bytes dropped)`); bytes the terminal would act
//     on (ESC, NUL, ...) are shown as `\x1b`-style escapes.
//
// Type into the terminal to see the echo; quit QEMU with Ctrl-A then X.

/// Prints a tick every 500 ms.
import Pollen
import PollenBoard

struct TickerTask: Future {
    var ticker = Ticker(period: .milliseconds(500))

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while case .ready = ticker.poll(&context) {
            Board.write("tick ")
            Board.writeDecimal(UInt32(truncatingIfNeeded: ticker.count))
            Board.writeByte(0x0A)
        }
        return .pending
    }
}

public let pollenTaskSize_TickerTask = MemoryLayout<TickerTask>.size
public let pollenTaskSize_EchoTask = MemoryLayout<EchoTask>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var tickers = TaskPool<TickerTask, 1>(name: "ticker")
nonisolated(unsafe) var echoes = TaskPool<EchoTask, 1>(name: "echo")
nonisolated(unsafe) var timers = TimerQueue<2>()

@main
struct Demo {
    static func main() {
        var platform = Board.start()
        Board.write("Pollen demo on ")
        Board.write(Board.name)
        Board.write(": ticks every 500 ms; type a line and press Enter (Ctrl-A X quits)\n")
        var console = BoardConsole()
        let ticker: PoolRef<TickerTask, 1>
        let echo: PoolRef<EchoTask, 1>
        do throws(CapacityError) {
            ticker = try executor.attach(&tickers)
            echo = try executor.attach(&echoes)
            try executor.check(tasks(ticker, echo))   // every attached pool will run
        } catch {
            Board.fail(error)
        }
        executor.attach(timers: &timers)
        executor.describeCapacity(to: &console)
        Board.setReceiveHook { drainReceiveRing() }
        do throws(SpawnError) {
            try ticker.spawn(TickerTask())
            try echo.spawn(EchoTask())
        } catch {
            Board.fail(error)
        }
        executor.run(on: &platform, idle: .sleep, tasks: tasks(ticker, echo))
        Board.exit(0)
    }
}
