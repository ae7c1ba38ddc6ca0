// demo: the Pollen firmware demo. Build and run: ./Board/run [--board microbit]
//
//   - `ticker` prints `tick N` every 500 ms on a drift-free grid (Ticker);
//   - the UART receive interrupt moves received bytes into a Channel
//     (interrupt-safe, non-blocking `trySend`);
//   - `echo` awaits bytes from the channel and prints `echo: <line>` for every
//     line ended by Enter (\r or \n). A line left unfinished for 10 s is printed
//     as it is, marked `(timed out)` (Timeout around each receive).
//
// Type into the terminal to see the echo; quit QEMU with Ctrl-A then X.

/// Prints a tick every 500 ms.
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

/// Echoes each received line.
struct EchoTask: ~Copyable, Future {
    var line: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    var length = 0
    var next: Timeout<ChannelReceive<UInt8, 16>>?

    static let lineCapacity = 64
    static let idleLimit = Duration.seconds(10)

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while true {
            if next == nil {
                drainReceiveRing()   // bytes that waited while the channel was full
                next = Timeout(uartChannel.receive(),
                               after: length == 0 ? .seconds(86_400) : Self.idleLimit)
            }
            switch next!.poll(&context) {
            case .pending:
                return .pending
            case .ready(.timedOut):
                next = nil
                if length > 0 { emit(timedOut: true) }
            case .ready(.completed(let byte)):
                next = nil
                if byte == 0x0D || byte == 0x0A {
                    if length > 0 { emit(timedOut: false) }
                } else if length < Self.lineCapacity {
                    // Safety: length < 64 == the byte size of `line`.
                    withUnsafeMutableBytes(of: &line) { $0[length] = byte }
                    length += 1
                }
            }
        }
    }

    mutating func emit(timedOut: Bool) {
        Board.write("echo: ")
        for i in 0..<length {
            // Safety: i < length <= 64.
            Board.writeByte(withUnsafeBytes(of: &line) { $0[i] })
        }
        Board.write(timedOut ? " (timed out)\n" : "\n")
        length = 0
    }
}

public let pollenTaskSize_TickerTask = MemoryLayout<TickerTask>.size
public let pollenTaskSize_EchoTask = MemoryLayout<EchoTask>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var tickers = TaskPool<TickerTask, 1>(name: "ticker")
nonisolated(unsafe) var echoes = TaskPool<EchoTask, 1>(name: "echo")
nonisolated(unsafe) var timers = TimerQueue<2>()
nonisolated(unsafe) var uartChannel = Channel<UInt8, 16>()
nonisolated(unsafe) var uartSender: ChannelSender<UInt8, 16>? = nil

/// Moves bytes from the board's receive ring into the channel while it has room.
/// Runs in the UART interrupt (the receive hook) and, with interrupts masked,
/// from the echo task (after the channel drained). The channel has one consumer,
/// so once there is room a `trySend` cannot fail: no byte is dropped here.
func drainReceiveRing() {
    withInterruptsMasked {
        while uartChannel.count < 16, let byte = Board.readByte() {
            _ = uartSender!.trySend(byte)
        }
    }
}

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
        } catch {
            Board.fail(error)
        }
        executor.attach(timers: &timers)
        executor.describeCapacity(to: &console)
        uartSender = uartChannel.sender()
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
