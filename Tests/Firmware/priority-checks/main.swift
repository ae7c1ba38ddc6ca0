// priority-checks — interrupt executors refuse bad configurations at start-up
// with errors that name the executor, its level and its line; and a waker kept
// across levels after its task ended wakes nothing.
//
// Errors, each printed through `InterruptLevelError.describe(to:)` (expected.txt
// holds the messages): a pool that does not fit a level's slots, a level the
// board does not have, a line a device uses, a line another executor runs on,
// a task set that leaves out an attached pool, a start without pools, a second
// start, a fourth executor (the board's one-shot alarm serves three). A rejected start leaves the line disabled and the executor unregistered.
//
// Stale waker: a level-2 task (IRQ 25) completes in its first poll, leaving its
// waker with a thread-mode task. From thread mode that waker returns `.stale`
// and causes no poll, also once a new task occupies the slot; the new task's
// own waker, from thread mode, preempts at once: its poll has run by the time
// `wake()` returns (and the barriers after it).

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...)
import PollenCortexMSupport        // pollen_dsb, pollen_isb, pollen_ipsr

struct Idle: Future {
    mutating func poll(_ context: inout Context) -> Poll<Void> { .pending }
}

/// Level 2: records its waker; completes in its first poll when `once`.
struct Probe: Future {
    let once: Bool
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        probePolls &+= 1
        probeException = pollen_ipsr()
        lastProbeWaker = context.waker
        return once ? .ready(()) : .pending
    }
}

public let pollenTaskSize_Idle = MemoryLayout<Idle>.size
public let pollenTaskSize_Probe = MemoryLayout<Probe>.size

nonisolated(unsafe) var probePolls: UInt32 = 0
nonisolated(unsafe) var probeException: UInt32 = 0
nonisolated(unsafe) var lastProbeWaker: Waker? = nil

// Capacity: 20 + 13 slots in a 32-slot level.
nonisolated(unsafe) var radio = InterruptExecutor<1, PoolRef<Idle, 20>>(name: "radio", line: 26, level: 2)
nonisolated(unsafe) var sensors = TaskPool<Idle, 20>(name: "sensors")
nonisolated(unsafe) var filters = TaskPool<Idle, 13>(name: "filters")
// Bad levels and lines.
nonisolated(unsafe) var tooHigh = InterruptExecutor<1, PoolRef<Idle, 1>>(name: "too-high", line: 26, level: 8)
nonisolated(unsafe) var onUART = InterruptExecutor<1, PoolRef<Idle, 1>>(name: "on-uart", line: 0, level: 1)
nonisolated(unsafe) var first = InterruptExecutor<1, PoolRef<Probe, 1>>(name: "probe", line: 25, level: 2)
nonisolated(unsafe) var second = InterruptExecutor<1, PoolRef<Idle, 1>>(name: "second", line: 25, level: 1)
nonisolated(unsafe) var partial = InterruptExecutor<1, PoolRef<Idle, 1>>(name: "partial", line: 22, level: 1)
nonisolated(unsafe) var empty = InterruptExecutor<1, PoolRef<Idle, 1>>(name: "empty", line: 23, level: 1)
nonisolated(unsafe) var idleA = TaskPool<Idle, 1>(name: "a")
nonisolated(unsafe) var idleB = TaskPool<Idle, 1>(name: "b")
nonisolated(unsafe) var idleC = TaskPool<Idle, 1>(name: "c")
nonisolated(unsafe) var idleD = TaskPool<Idle, 1>(name: "d")
nonisolated(unsafe) var idleE = TaskPool<Idle, 1>(name: "e")
nonisolated(unsafe) var idleF = TaskPool<Idle, 1>(name: "f")
nonisolated(unsafe) var idleG = TaskPool<Idle, 1>(name: "g")
nonisolated(unsafe) var idleH = TaskPool<Idle, 1>(name: "h")
nonisolated(unsafe) var idleI = TaskPool<Idle, 1>(name: "i")
// The alarm's request table has room for three interrupt executors.
nonisolated(unsafe) var secondLevel = InterruptExecutor<1, PoolRef<Idle, 1>>(name: "second-level", line: 22, level: 1)
nonisolated(unsafe) var thirdLevel = InterruptExecutor<1, PoolRef<Idle, 1>>(name: "third-level", line: 23, level: 1)
nonisolated(unsafe) var fourthLevel = InterruptExecutor<1, PoolRef<Idle, 1>>(name: "fourth-level", line: 24, level: 1)
nonisolated(unsafe) var scratch = Executor<1>()
nonisolated(unsafe) var probes = TaskPool<Probe, 1>(name: "probe")

@_cdecl("IRQ25_Handler") func probeLevel() { first.runInterrupt(on: Board.self) }
@_cdecl("IRQ22_Handler") func secondLevelHandler() { secondLevel.runInterrupt(on: Board.self) }
@_cdecl("IRQ23_Handler") func thirdLevelHandler() { thirdLevel.runInterrupt(on: Board.self) }

/// Prints the error, or FAIL when there was none.
func report(_ name: StaticString, _ error: InterruptLevelError?) -> InterruptLevelError.Problem? {
    guard let error else { check(name, false); return nil }
    var console = BoardConsole()
    error.describe(to: &console)
    Board.writeByte(0x0A)
    return error.problem
}

@main
struct PriorityChecks {
    static func main() {
        _ = Board.start()
        var failure: InterruptLevelError? = nil

        // 1. Capacity, naming the level.
        do throws(InterruptLevelError) {
            _ = try radio.attach(&sensors)
            _ = try radio.attach(&filters)
        } catch { failure = error }
        if case .capacity(.slotsExceeded)? = report("a pool that does not fit the level", failure) {
            check("a pool that does not fit the level is refused, naming the level", true)
        } else { check("a pool that does not fit the level is refused, naming the level", false) }

        // 2. A level the board does not have.
        failure = nil
        do throws(InterruptLevelError) {
            let a = try tooHigh.attach(&idleA)
            try tooHigh.start(on: Board.self, tasks: a)
        } catch { failure = error }
        if case .noSuchLevel(_, let highest)? = report("level", failure) {
            check("a level above the board's highest is refused", highest == Board.highestLevel)
        } else { check("a level above the board's highest is refused", false) }

        // 3. A line a device uses.
        failure = nil
        do throws(InterruptLevelError) {
            let b = try onUART.attach(&idleB)
            try onUART.start(on: Board.self, tasks: b)
        } catch { failure = error }
        if case .lineNotSpare? = report("line", failure) {
            check("a device's line is refused", InterruptExecutors.count == 0)
        } else { check("a device's line is refused", false) }

        // 4. Two executors on one line.
        let probe: PoolRef<Probe, 1>
        do throws(InterruptLevelError) {
            probe = try first.attach(&probes)
            try first.start(on: Board.self, tasks: probe)
        } catch { Board.fail(error) }
        failure = nil
        do throws(InterruptLevelError) {
            let c = try second.attach(&idleC)
            try second.start(on: Board.self, tasks: c)
        } catch { failure = error }
        if case .lineInUse(let other)? = report("in use", failure) {
            check("a line that runs another executor is refused, naming it",
                  other.utf8Start == first.name.utf8Start && InterruptExecutors.count == 1)
        } else { check("a line that runs another executor is refused, naming it", false) }

        // 5. A task set that leaves out an attached pool.
        failure = nil
        do throws(InterruptLevelError) {
            let d = try partial.attach(&idleD)
            _ = try partial.attach(&idleE)
            try partial.start(on: Board.self, tasks: d)
        } catch { failure = error }
        if case .capacity(.poolNotRun)? = report("partial", failure) {
            check("a task set missing an attached pool is refused", InterruptExecutors.count == 1)
        } else { check("a task set missing an attached pool is refused", false) }

        // 6. Start without pools (a task set from another executor); 7. a second start.
        let elsewhere: PoolRef<Idle, 1>
        do throws(CapacityError) { elsewhere = try scratch.attach(&idleF) } catch { Board.fail(error) }
        failure = nil
        do throws(InterruptLevelError) {
            try empty.start(on: Board.self, tasks: elsewhere)
        } catch { failure = error }
        if case .noPools? = report("empty", failure) {
            check("a start without pools is refused", true)
        } else { check("a start without pools is refused", false) }
        failure = nil
        do throws(InterruptLevelError) { try first.start(on: Board.self, tasks: probe) } catch { failure = error }
        if case .alreadyStarted? = report("twice", failure) {
            check("a second start is refused", InterruptExecutors.count == 1)
        } else { check("a second start is refused", false) }

        // 8. More interrupt executors than the board's alarm has request slots.
        do throws(InterruptLevelError) {
            let g = try secondLevel.attach(&idleG)
            try secondLevel.start(on: Board.self, tasks: g)
            let h = try thirdLevel.attach(&idleH)
            try thirdLevel.start(on: Board.self, tasks: h)
        } catch { Board.fail(error) }
        failure = nil
        do throws(InterruptLevelError) {
            let i = try fourthLevel.attach(&idleI)
            try fourthLevel.start(on: Board.self, tasks: i)
        } catch { failure = error }
        if case .tooManyExecutors(let max)? = report("fourth", failure) {
            check("a fourth interrupt executor is refused (the alarm serves three)",
                  max == TicklessAlarm.requesters - 1 && InterruptExecutors.count == 3)
        } else { check("a fourth interrupt executor is refused (the alarm serves three)", false) }

        // The stale waker across levels.
        do throws(SpawnError) { try probe.spawn(Probe(once: true)) } catch { Board.fail(error) }
        pollen_dsb(); pollen_isb()
        check("a spawn from thread mode runs the level-2 task at once, in IRQ 25's handler",
              probePolls == 1 && probeException == 16 + 25)
        let stale = lastProbeWaker!
        check("its waker is stale once it completed", stale.wake() == .stale && stale.isStale)
        pollen_dsb(); pollen_isb()
        check("a stale wake causes no poll", probePolls == 1)
        do throws(SpawnError) { try probe.spawn(Probe(once: false)) } catch { Board.fail(error) }
        pollen_dsb(); pollen_isb()
        check("the slot's next task starts", probePolls == 2 && lastProbeWaker!.slot == stale.slot)
        check("the old waker stays stale for the new task", stale.wake() == .stale)
        pollen_dsb(); pollen_isb()
        check("and polls nothing", probePolls == 2)
        check("the new task's waker, from thread mode, preempts at once", lastProbeWaker!.wake() == .woken)
        pollen_dsb(); pollen_isb()
        check("... its poll ran before wake() returned", probePolls == 3)
        Board.exit(0)
    }
}

