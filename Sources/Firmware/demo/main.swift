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
//   - `heartbeat` (Cortex-M boards) runs at priority level 3, in an `InterruptExecutor` on IRQ 22:
//     a 1 ms Ticker that measures how late each beat runs. Type `hog` and a
//     thread-mode task spins inside ONE poll for 2 s: the ticker and the echo
//     stall, the heartbeat preempts the hog and keeps its 1 ms; the hog then
//     prints the heartbeat's beats and worst lateness during those 2 s.
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

#if !RISCV   // priority levels: Cortex-M only for now (firmware.env)
/// Level 3: a 1 ms heartbeat. Records its beats and its worst lateness (the
/// precise clock against each Ticker deadline) for the hog's report.
struct HeartbeatTask: Future {
    var ticker = Ticker(period: .milliseconds(1))

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while true {
            let due = ticker.next
            guard case .ready = ticker.poll(&context) else { return .pending }
            let late = due.map { Board.now().ticks &- $0.ticks } ?? 0
            withInterruptsMasked {   // heartbeat stats: read and reset by the hog, masked
                heartbeatBeats &+= 1
                if late > heartbeatWorst { heartbeatWorst = late }
            }
        }
    }
}

/// Heartbeat stats: written at level 3, read and reset by the hog with
/// interrupts masked.
nonisolated(unsafe) var heartbeatBeats: UInt32 = 0
nonisolated(unsafe) var heartbeatWorst: UInt64 = 0

/// Thread mode: one poll that keeps the CPU for 2 s, then reports what the
/// heartbeat did meanwhile.
struct HogTask: Future {
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        Board.writeLine("hog: busy for 2 s in one poll (the ticker and the echo wait; the heartbeat does not)")
        withInterruptsMasked { heartbeatBeats = 0; heartbeatWorst = 0 }
        let start = Board.now()
        while Board.now() < start + .seconds(2) {}
        let (beats, worst) = withInterruptsMasked { (heartbeatBeats, heartbeatWorst) }
        Board.write("hog: done; heartbeat: ")
        Board.writeDecimal(beats)
        Board.write(" beats meanwhile, worst lateness ")
        Board.writeDecimal(UInt32(truncatingIfNeeded: worst))
        Board.write(" us\n")
        return .ready(())
    }
}

#endif

public let pollenTaskSize_TickerTask = MemoryLayout<TickerTask>.size
#if !RISCV
public let pollenTaskSize_HeartbeatTask = MemoryLayout<HeartbeatTask>.size
public let pollenTaskSize_HogTask = MemoryLayout<HogTask>.size
#endif
public let pollenTaskSize_EchoTask = MemoryLayout<EchoTask>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var tickers = TaskPool<TickerTask, 1>(name: "ticker")
nonisolated(unsafe) var echoes = TaskPool<EchoTask, 1>(name: "echo")
nonisolated(unsafe) var timers = TimerQueue<2>()
#if !RISCV
nonisolated(unsafe) var hogs = TaskPool<HogTask, 1>(name: "hog")
nonisolated(unsafe) var urgent = InterruptExecutor<1, PoolRef<HeartbeatTask, 1>>(name: "heartbeat", line: 22, level: 3)
nonisolated(unsafe) var heartbeats = TaskPool<HeartbeatTask, 1>(name: "heartbeat")
/// Set once in `main`; the `hog` command spawns through it.
nonisolated(unsafe) var hogPool: PoolRef<HogTask, 1>? = nil

/// IRQ 22: the heartbeat's level.
@_cdecl("IRQ22_Handler")
func heartbeatLevel() { urgent.runInterrupt(on: Board.self) }
#endif

@main
struct Demo {
    static func main() {
        var platform = Board.start()
        Board.write("Pollen demo on ")
        Board.write(Board.name)
        #if RISCV
        Board.write(": ticks every 500 ms; type a line and press Enter (Ctrl-A X quits)\n")
        #else
        Board.write(": ticks every 500 ms; type a line and press Enter, or `hog` (Ctrl-A X quits)\n")
        #endif
        var console = BoardConsole()
        let ticker: PoolRef<TickerTask, 1>
        let echo: PoolRef<EchoTask, 1>
        #if RISCV
        do throws(CapacityError) {
            ticker = try executor.attach(&tickers)
            echo = try executor.attach(&echoes)
            try executor.check(tasks(ticker, echo))   // every attached pool will run
        } catch {
            Board.fail(error)
        }
        executor.attach(timers: &timers)
        executor.describeCapacity(to: &console)
        #else
        let hog: PoolRef<HogTask, 1>
        let heartbeat: PoolRef<HeartbeatTask, 1>
        do throws(CapacityError) {
            ticker = try executor.attach(&tickers)
            echo = try executor.attach(&echoes)
            hog = try executor.attach(&hogs)
            try executor.check(tasks(ticker, echo, hog))   // every attached pool will run
        } catch {
            Board.fail(error)
        }
        executor.attach(timers: &timers)
        do throws(InterruptLevelError) {
            heartbeat = try urgent.attach(&heartbeats)
            try urgent.start(on: Board.self, tasks: heartbeat)
        } catch {
            Board.fail(error)
        }
        describePriorityLevels(thread: executor, to: &console)
        hogPool = hog
        hogCommandHook = {
            if (try? hogPool.unsafelyUnwrapped.spawn(HogTask())) == nil { Board.writeLine("hog: already running") }
        }
        #endif
        Board.setReceiveHook { drainReceiveRing() }
        do throws(SpawnError) {
            try ticker.spawn(TickerTask())
            try echo.spawn(EchoTask())
            #if !RISCV
            try heartbeat.spawn(HeartbeatTask())
            #endif
        } catch {
            Board.fail(error)
        }
        #if RISCV
        executor.run(on: &platform, idle: .sleep, tasks: tasks(ticker, echo))
        #else
        executor.run(on: &platform, idle: .sleep, tasks: tasks(ticker, echo, hog))
        #endif
        Board.exit(0)
    }
}
