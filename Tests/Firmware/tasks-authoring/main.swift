// tasks-authoring — the task-authoring building blocks on the real targets: Await, TaskCell, InterruptCell, ByteBuffer, LineBuffer, FixedString and
// HandleSlots, on the real targets under QEMU. The debouncer is Await's
// documentation example; its edges come from the software interrupt.

import Pollen
import PollenBoard

nonisolated(unsafe) var buttonEdges = InterruptSignal<Bool>()   // true: pressed (pin low)
nonisolated(unsafe) var presses = Channel<Void, 4>()
nonisolated(unsafe) var pinLow = InterruptCell(false)           // the simulated pin
nonisolated(unsafe) var edgesSeen = InterruptCell<UInt32>(0)
nonisolated(unsafe) var stats = TaskCell(Stats())

struct Stats { var presses: UInt32 = 0; var checks: UInt32 = 0 }

func ok(_ name: StaticString, _ passed: Bool) {
    Board.write(name)
    if passed { Board.writeLine("... OK"); stats.withValue { $0.checks += 1 }; return }
    Board.writeLine("... FAIL")
    Board.exit(1)
}

struct Debouncer: ~Copyable, Future {
    enum Phase { case waitPress, settle, report, waitRelease }
    var phase = Phase.waitPress
    var edge = Await<InterruptSignalWait<Bool>>()
    var settle = Await<Timer>()
    var send = Await<ChannelSend<Void, 4>>()

    mutating func poll(_ context: inout Context) -> Poll<Never> {
        while true {
            switch phase {
            case .waitPress:
                guard let low = edge.poll(&context, buttonEdges.wait()) else { return .pending }
                if low { phase = .settle }
            case .settle:
                guard settle.poll(&context, .after(.milliseconds(20))) != nil else { return .pending }
                phase = pinLow.load() ? .report : .waitRelease
            case .report:
                guard send.poll(&context, presses.send(())) != nil else { return .pending }
                phase = .waitRelease
            case .waitRelease:
                guard let low = edge.poll(&context, buttonEdges.wait()) else { return .pending }
                if !low { phase = .waitPress }
            }
        }
    }
}

/// Milliseconds before edge `i`, and the level after it.
func edge(_ i: Int) -> (gap: UInt64, low: Bool) {
    switch i {
    case 0: return (10, true)
    case 1, 3: return (1, false)
    case 2, 4: return (1, true)        // bouncy press: 10..14 ms
    case 5: return (86, false)         // 100: bouncy release
    case 6: return (1, true)
    case 7: return (1, false)
    case 8: return (98, true)          // 200: a 3 ms glitch
    case 9: return (3, false)
    default: return (97, true)         // 300: a clean press
    }
}

struct Script: Future {
    var step = 0
    var wait = Await<Timer>()
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while step < 11 {
            guard wait.poll(&context, .after(.milliseconds(edge(step).gap))) != nil else { return .pending }
            pinLow.store(edge(step).low)
            Board.pendSoftwareInterrupt()          // the "GPIO" interrupt publishes the level
            step += 1
            if step == 8 { drain() ; ok("one press for the bouncy press, none for the release", stats.value.presses == 1) }
        }
        guard wait.poll(&context, .after(.milliseconds(50))) != nil else { return .pending }
        drain()
        ok("one more for the clean press, none for the glitch", stats.value.presses == 2)
        ok("every edge went through the interrupt", edgesSeen.load() == 11)
        others()
        var text = FixedString<48>()
        text.write("checks=")
        text.write(decimal: stats.value.checks, width: 3, padding: .zeros)
        text.write(" hex=")
        text.write(hex: UInt32(0xBEEF), digits: 8)
        text.write(" big=")
        text.write(decimal: UInt64.max)
        text.bytes.forEach { Board.writeByte($0) }
        Board.writeByte(0x0A)
        Board.exit(0)
    }

    func drain() {
        while presses.tryReceive() != nil { stats.withValue { $0.presses += 1 } }
    }
}

struct Worker: Future {
    mutating func poll(_ context: inout Context) -> Poll<UInt32> { .pending }
}

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var debouncers = TaskPool<Debouncer, 1>(name: "debounce")
nonisolated(unsafe) var scripts = TaskPool<Script, 1>(name: "script")
nonisolated(unsafe) var workers = TaskPool<Worker, 2>(name: "workers")
nonisolated(unsafe) var handles = HandleSlots<JoinHandle<Worker, 2>, 2>()

func others() {
    var line = LineBuffer<4>()
    var lines = 0
    var lastTruncated = 0
    let input: StaticString = "ab\r\nlonger\n"
    input.withUTF8Buffer { bytes in
        for byte in bytes where line.push(byte) == .line { lines += 1; lastTruncated = line.truncated }
    }
    ok("LineBuffer: CR LF is one line end, truncation counted", lines == 2 && lastTruncated == 2 && line.bytes == "long")
    do throws(SpawnError) {
        handles.insert(try workers.spawnJoinable(Worker()))
        handles.insert(try workers.spawnJoinable(Worker()))
    } catch { ok("spawn workers", false) }
    ok("HandleSlots: handles in place", handles.withHandle(at: 1) { $0.isRunning } == true && handles.isFull)
    handles.forEach { _, handle in handle.cancel() }
    handles.removeAll()
    ok("HandleSlots: cancelled and removed", handles.isEmpty && workers.occupiedCount == 0)
}

@main
struct TasksAuthoring {
    static func main() {
        var platform = Board.start()
        let debounce: PoolRef<Debouncer, 1>, script: PoolRef<Script, 1>, worker: PoolRef<Worker, 2>
        do throws(CapacityError) {
            debounce = try executor.attach(&debouncers)
            script = try executor.attach(&scripts)
            worker = try executor.attach(&workers)
        } catch { Board.fail(error) }
        Board.setSoftwareInterruptHook {
            edgesSeen.wrappingAdd(1)
            buttonEdges.signal(pinLow.load())
        }
        do throws(SpawnError) {
            try debounce.spawn(Debouncer())
            try script.spawn(Script())
        } catch { Board.fail(error) }
        executor.run(on: &platform, idle: .sleep, tasks: tasks(debounce, script, worker))
    }
}
