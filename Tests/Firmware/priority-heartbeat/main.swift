// priority-heartbeat — preemption by an interrupt executor: a 1 ms heartbeat at
// level 3 (an `InterruptExecutor` on IRQ 22) keeps its deadline 1,000 times in a
// row while a thread-mode task spins inside ONE poll for as long as that takes.
//
// The heartbeat's Ticker deadlines pend IRQ 22 from the board's one-shot alarm
// (the executor's own request, `TicklessAlarm`), so each beat runs in the line's
// handler, preempting the hog. Each beat measures its lateness with the precise
// clock (`Board.now()`, to the microsecond) against the Ticker's deadline.
// Checked: 1,000 beats, none missed, all within 50 µs, all in IRQ 22's handler,
// all while the hog's poll was running; the thread executor then resumes and
// the hog completes. QEMU runs with -icount (firmware.env): one instruction is
// a fixed slice of virtual time close to the board's real clock, so the figures
// repeat exactly.

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...)
import PollenCortexMSupport        // pollen_ipsr
import Synchronization

/// The heartbeat's line: IRQ 22 is spare on both boards.
let urgentLine: UInt32 = 22
let beatsWanted: UInt32 = 1_000
/// The deadline each beat must meet, in microseconds after its Ticker deadline.
let allowedLateness: UInt64 = 50

let beats = Atomic<UInt32>(0)
nonisolated(unsafe) var worstLateness: UInt64 = 0
nonisolated(unsafe) var missedBeats: UInt64 = 0
nonisolated(unsafe) var beatsOutsideHandler: UInt32 = 0
nonisolated(unsafe) var beatsDuringHog: UInt32 = 0
let hogRunning = Atomic<Bool>(false)

/// Level 3: a 1 ms Ticker; each beat records how late it ran.
struct Heartbeat: Future {
    var ticker = Ticker(period: .milliseconds(1))

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while true {
            let due = ticker.next
            guard case .ready(let periods) = ticker.poll(&context) else { return .pending }
            let now = Board.now()
            if let due {
                let late = now.ticks &- due.ticks
                if late > worstLateness { worstLateness = late }
            }
            missedBeats &+= periods &- 1
            if pollen_ipsr() != 16 &+ urgentLine { beatsOutsideHandler &+= 1 }
            if hogRunning.load(ordering: .relaxed) { beatsDuringHog &+= 1 }
            if beats.add(1, ordering: .relaxed).newValue == beatsWanted { return .ready(()) }
        }
    }
}

/// Thread mode: one poll that spins until the heartbeat is done (or 3 s).
struct Hog: Future {
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        hogRunning.store(true, ordering: .relaxed)
        let start = Board.now()
        while beats.load(ordering: .relaxed) < beatsWanted && Board.now() < start + .seconds(3) {}
        hogRunning.store(false, ordering: .relaxed)
        let span = Board.now() - start
        check("the heartbeat beat 1000 times during one thread-mode poll",
              beats.load(ordering: .relaxed) == beatsWanted && beatsDuringHog == beatsWanted)
        check("each beat ran in IRQ 22's handler (level 3)", beatsOutsideHandler == 0, beatsOutsideHandler)
        check("no beat was missed", missedBeats == 0, UInt32(truncatingIfNeeded: missedBeats))
        check("every beat within 50 us of its deadline", worstLateness <= allowedLateness,
              UInt32(truncatingIfNeeded: worstLateness))
        Board.log("worst lateness: \(Int(truncatingIfNeeded: worstLateness)) us; hog poll: \(Int(truncatingIfNeeded: span.ticks / 1000)) ms")
        return .ready(())
    }
}

/// Thread mode: runs after the hog, proving the thread executor resumed.
struct After: Future {
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        check("the thread executor resumes after the hog", !hogRunning.load(ordering: .relaxed))
        Board.exit(0)
    }
}

public let pollenTaskSize_Heartbeat = MemoryLayout<Heartbeat>.size
public let pollenTaskSize_Hog = MemoryLayout<Hog>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var hogs = TaskPool<Hog, 1>(name: "hog")
nonisolated(unsafe) var afters = TaskPool<After, 1>(name: "after")
nonisolated(unsafe) var urgent = InterruptExecutor<1, PoolRef<Heartbeat, 1>>(name: "heartbeat", line: urgentLine, level: 3)
nonisolated(unsafe) var heartbeats = TaskPool<Heartbeat, 1>(name: "heartbeat")

@_cdecl("IRQ22_Handler")
func urgentLevel() { urgent.runInterrupt(on: Board.self) }

@main
struct PriorityHeartbeat {
    static func main() {
        var platform = Board.start()
        let hog: PoolRef<Hog, 1>
        let after: PoolRef<After, 1>
        let beat: PoolRef<Heartbeat, 1>
        do throws(CapacityError) {
            hog = try executor.attach(&hogs)
            after = try executor.attach(&afters)
        } catch {
            Board.fail(error)
        }
        do throws(InterruptLevelError) {
            beat = try urgent.attach(&heartbeats)
            try urgent.start(on: Board.self, tasks: beat)
        } catch {
            Board.fail(error)
        }
        var console = BoardConsole()
        describePriorityLevels(thread: executor, to: &console)
        spawn(beat, Heartbeat())
        spawn(hog, Hog())
        spawn(after, After())   // slot 1: polled in the same pass, right after the hog's poll
        executor.run(on: &platform, idle: .sleep, tasks: tasks(hog, after))
    }
}
