// stack-high-water — how deep the main stack goes with real tasks running:
// combinators (join, select, timeouts, nested), a channel fed from the
// software interrupt, timers, all inside `Executor.run` with `.sleep` idle, and
// interrupt handlers stacking on top (they share the main stack). Then prints
// `Board.stackHighWaterBytes` (the deepest the 0xDEADBEEF paint laid at reset
// was overwritten) and checks it is below the stack size.
//
// expected.txt matches the figures with `*` (they differ per board); the
// figures are printed so a reviewer sees them.

/// Tasks that have finished (each is wrapped in `Counted`).
import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)

nonisolated(unsafe) var finished = 0

/// `inner`, counting itself in `finished` when it completes. (Not `map`: on
/// firmware the closure `Map`/`Then` store does not link yet, see the report.)
struct Counted<Inner: Future & ~Copyable>: ~Copyable, Future {
    var inner: Inner

    init(_ inner: consuming Inner) { self.inner = inner }

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        guard case .ready = inner.poll(&context) else { return .pending }
        finished += 1
        return .ready(())
    }
}

/// Three timers together; ready at the latest (5 ms).
typealias JoinTask = Counted<Join3<Timer, Timer, Timer>>
/// A 2 ms timer against a 4 ms timeout around a future that never finishes.
typealias SelectTask = Counted<Select2<Timer, Timeout<Forever>>>
/// Nested: a select of two timers joined with a timeout, inside a timeout.
typealias NestedTask = Counted<Timeout<Join2<Select2<Timer, Timer>, Timeout<Forever>>>>

struct Forever: Future {
    mutating func poll(_ context: inout Context) -> Poll<Void> { .pending }
}

func joinTask() -> JoinTask {
    Counted(join(Timer.after(.milliseconds(3)), Timer.after(.milliseconds(5)), Timer.after(.milliseconds(1))))
}

func selectTask() -> SelectTask {
    Counted(select(Timer.after(.milliseconds(2)), Timeout(Forever(), after: .milliseconds(4))))
}

func nestedTask() -> NestedTask {
    Counted(Timeout(join(select(Timer.after(.milliseconds(1)), Timer.after(.milliseconds(7))),
                         Timeout(Forever(), after: .milliseconds(3))),
                    after: .milliseconds(50)))
}

// MARK: - A channel fed from the software interrupt

/// Messages through the channel.
let messages: UInt32 = 100

nonisolated(unsafe) var channel = Channel<UInt8, 4>()
nonisolated(unsafe) var tx: ChannelSender<UInt8, 4>? = nil
nonisolated(unsafe) var sent: UInt32 = 0

/// The software interrupt's hook: sends the next message.
func onSoftwareInterrupt() {
    if sent < messages, tx!.trySend(UInt8(truncatingIfNeeded: sent)) { sent &+= 1 }
}

/// Receives `messages` messages, raising the interrupt for each.
struct Consumer: ~Copyable, Future {
    var next: ChannelReceive<UInt8, 4>? = nil
    var received: UInt32 = 0

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while received < messages {
            if next == nil {
                next = channel.receive()
                Board.pendSoftwareInterrupt()
            }
            guard case .ready = next!.poll(&context) else { return .pending }
            next = nil
            received &+= 1
        }
        finished += 1
        return .ready(())
    }
}

/// Waits for the other tasks, then reports.
struct Reporter: Future {
    var tick = Ticker(period: .milliseconds(1))
    var limit = Timer.after(.seconds(2))

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while case .ready = tick.poll(&context) {
            if finished == 4 { report() }
        }
        if case .ready = limit.poll(&context) {
            Board.writeLine("tasks ran to completion... FAIL")
            Board.exit(1)
        }
        return .pending
    }

    func report() -> Never {
        check("tasks ran to completion", true)
        let highWater = Board.stackHighWaterBytes
        let size = Board.stackSizeBytes
        Board.write("stack high water before run ")
        Board.writeDecimal(highWaterBeforeRun)
        Board.writeLine(" bytes")
        Board.write("stack high water after the tasks ")
        Board.writeDecimal(highWater)
        Board.write(" of ")
        Board.writeDecimal(size)
        Board.writeLine(" bytes")
        check("stack high water is below the stack size", highWater >= highWaterBeforeRun && highWater < size)
        Board.exit(0)
    }
}

public let pollenTaskSize_JoinTask = MemoryLayout<JoinTask>.size
public let pollenTaskSize_SelectTask = MemoryLayout<SelectTask>.size
public let pollenTaskSize_NestedTask = MemoryLayout<NestedTask>.size
public let pollenTaskSize_Consumer = MemoryLayout<Consumer>.size
public let pollenTaskSize_Reporter = MemoryLayout<Reporter>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var joins = TaskPool<JoinTask, 1>(name: "join")
nonisolated(unsafe) var selects = TaskPool<SelectTask, 1>(name: "select")
nonisolated(unsafe) var nesteds = TaskPool<NestedTask, 1>(name: "nested")
nonisolated(unsafe) var consumers = TaskPool<Consumer, 1>(name: "consumer")
nonisolated(unsafe) var reporters = TaskPool<Reporter, 1>(name: "reporter")
nonisolated(unsafe) var timerQueue = TimerQueue<5>()
nonisolated(unsafe) var highWaterBeforeRun: UInt32 = 0

@main
struct StackHighWater {
    static func main() {
        var platform = Board.start()
        tx = channel.sender()
        Board.setSoftwareInterruptHook { onSoftwareInterrupt() }
        let j: PoolRef<JoinTask, 1>
        let s: PoolRef<SelectTask, 1>
        let t: PoolRef<NestedTask, 1>
        let c: PoolRef<Consumer, 1>
        let r: PoolRef<Reporter, 1>
        do throws(CapacityError) {
            j = try executor.attach(&joins)
            s = try executor.attach(&selects)
            t = try executor.attach(&nesteds)
            c = try executor.attach(&consumers)
            r = try executor.attach(&reporters)
        } catch {
            Board.fail(error)
        }
        executor.attach(timers: &timerQueue)
        do throws(SpawnError) {
            try j.spawn(joinTask())
            try s.spawn(selectTask())
            try t.spawn(nestedTask())
            try c.spawn(Consumer())
            try r.spawn(Reporter())
        } catch {
            Board.fail(error)
        }
        highWaterBeforeRun = Board.stackHighWaterBytes
        executor.run(on: &platform, idle: .sleep, tasks: tasks(j, s, t, c, r))
        Board.writeLine("run returned... FAIL")
        Board.exit(1)
    }
}

