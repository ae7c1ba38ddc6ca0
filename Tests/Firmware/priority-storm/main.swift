// priority-storm — three levels waking each other through Channels under a storm
// of interrupt wakes: nothing lost, no poll of an ended task.
//
// Levels: thread mode (0), 'mid' (level 1, IRQ 23) and 'high' (level 2, IRQ 24).
// 8 tokens circulate thread → mid → high → thread, each hop a `ChannelSender.trySend`
// (the interrupt-safe way across levels) into the next level's channel, whose
// consumer is that level's relay task. Every hop also raises the software
// interrupt (NVIC priority 0, above every level): the storm. Its handler wakes
// every level's relay through its `AtomicWaker`, wakes the last waker of every
// short-lived task (stale once the task ended), and spawns short-lived tasks
// into the mid and high pools through their `PoolRef`s. The thread relay retires
// tokens once 2,000 have reached it.
//
// Checked: each level received exactly 2,000 tokens, no trySend failed, no task
// was polled after it completed, stale wakes happened and woke nothing, and
// polls of different levels nested (a higher level preempted a lower one's poll).

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...)
import Synchronization

let target: UInt32 = 2_000
let inFlight: UInt32 = 8

nonisolated(unsafe) var toMid = Channel<UInt32, 16>()
nonisolated(unsafe) var toHigh = Channel<UInt32, 16>()
nonisolated(unsafe) var toThread = Channel<UInt32, 16>()
nonisolated(unsafe) var midRelayWaker = AtomicWaker()
nonisolated(unsafe) var highRelayWaker = AtomicWaker()
nonisolated(unsafe) var threadRelayWaker = AtomicWaker()

/// Per level (0 thread, 1 mid, 2 high): tokens received.
let received0 = Atomic<UInt32>(0)
let received1 = Atomic<UInt32>(0)
let received2 = Atomic<UInt32>(0)
let lost = Atomic<UInt32>(0)
let pollsAfterEnd = Atomic<UInt32>(0)
let stormRuns = Atomic<UInt32>(0)
let staleWakes = Atomic<UInt32>(0)
let shortSpawned = Atomic<UInt32>(0)
let shortCompleted = Atomic<UInt32>(0)
/// Polls in progress, all levels together, and the most seen at once.
let activePolls = Atomic<UInt32>(0)
nonisolated(unsafe) var deepestPolls: UInt32 = 0
let retired = Atomic<UInt32>(0)

/// The last waker of a short-lived task per interrupt level; written masked
/// (the storm handler reads it and is more urgent than every level).
nonisolated(unsafe) var lastShortMid: Waker? = nil
nonisolated(unsafe) var lastShortHigh: Waker? = nil

@inline(__always)
func enterPoll() {
    let n = activePolls.add(1, ordering: .relaxed).newValue
    withInterruptsMasked { if n > deepestPolls { deepestPolls = n } }
}
@inline(__always)
func leavePoll() { activePolls.subtract(1, ordering: .relaxed) }

/// Receives tokens at one level and forwards them to the next.
struct Relay: ~Copyable, Future {
    let level: Int
    var next = Await<ChannelReceive<UInt32, 16>>()

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        enterPoll()
        defer { leavePoll() }
        switch level {
        case 0: threadRelayWaker.register(context.waker)
        case 1: midRelayWaker.register(context.waker)
        default: highRelayWaker.register(context.waker)
        }
        while true {
            let token: UInt32?
            switch level {
            case 0: token = next.poll(&context, toThread.receive())
            case 1: token = next.poll(&context, toMid.receive())
            default: token = next.poll(&context, toHigh.receive())
            }
            guard let token else { return .pending }
            Board.pendSoftwareInterrupt()   // the storm, on every hop
            let sent: Bool
            switch level {
            case 0:
                let n = received0.add(1, ordering: .relaxed).newValue
                if n > target &- inFlight {
                    if retired.add(1, ordering: .relaxed).newValue == inFlight { finish() }
                    continue
                }
                sent = midSender.trySend(token &+ 1)
            case 1:
                received1.add(1, ordering: .relaxed)
                sent = highSender.trySend(token)
            default:
                received2.add(1, ordering: .relaxed)
                sent = threadSender.trySend(token)
            }
            if !sent { lost.add(1, ordering: .relaxed) }
        }
    }
}

/// Lives for three polls, waking itself; a poll after its completion counts.
struct ShortLived: Future {
    let high: Bool
    var polls: UInt32 = 0
    var ended = false

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        enterPoll()
        defer { leavePoll() }
        if ended { pollsAfterEnd.add(1, ordering: .relaxed) }
        let waker = context.waker
        withInterruptsMasked { if high { lastShortHigh = waker } else { lastShortMid = waker } }
        polls &+= 1
        if polls == 3 {
            ended = true
            shortCompleted.add(1, ordering: .relaxed)
            return .ready(())
        }
        context.waker.wake()
        return .pending
    }
}

public let pollenTaskSize_Relay = MemoryLayout<Relay>.size
public let pollenTaskSize_ShortLived = MemoryLayout<ShortLived>.size

nonisolated(unsafe) var midSender = toMid.sender()
nonisolated(unsafe) var highSender = toHigh.sender()
nonisolated(unsafe) var threadSender = toThread.sender()

typealias MidTasks = TaskSetPair<PoolRef<Relay, 1>, PoolRef<ShortLived, 2>>
nonisolated(unsafe) var mid = InterruptExecutor<1, MidTasks>(name: "mid", line: 23, level: 1)
nonisolated(unsafe) var high = InterruptExecutor<1, MidTasks>(name: "high", line: 24, level: 2)
nonisolated(unsafe) var thread = Executor<1>()
nonisolated(unsafe) var threadRelays = TaskPool<Relay, 1>(name: "thread relay")
nonisolated(unsafe) var midRelays = TaskPool<Relay, 1>(name: "mid relay")
nonisolated(unsafe) var highRelays = TaskPool<Relay, 1>(name: "high relay")
nonisolated(unsafe) var midShorts = TaskPool<ShortLived, 2>(name: "mid short")
nonisolated(unsafe) var highShorts = TaskPool<ShortLived, 2>(name: "high short")
nonisolated(unsafe) var midShortRef: PoolRef<ShortLived, 2>? = nil
nonisolated(unsafe) var highShortRef: PoolRef<ShortLived, 2>? = nil

@_cdecl("IRQ23_Handler") func midLevel() { mid.runInterrupt(on: Board.self) }
@_cdecl("IRQ24_Handler") func highLevel() { high.runInterrupt(on: Board.self) }

/// The storm: the software interrupt, above every level.
func storm() {
    let n = stormRuns.add(1, ordering: .relaxed).newValue
    threadRelayWaker.wake()
    midRelayWaker.wake()
    highRelayWaker.wake()
    if let w = lastShortMid, w.wake() == .stale { staleWakes.add(1, ordering: .relaxed) }
    if let w = lastShortHigh, w.wake() == .stale { staleWakes.add(1, ordering: .relaxed) }
    if n % 3 == 0, let pool = midShortRef, (try? pool.spawn(ShortLived(high: false))) != nil {
        shortSpawned.add(1, ordering: .relaxed)
    }
    if n % 5 == 0, let pool = highShortRef, (try? pool.spawn(ShortLived(high: true))) != nil {
        shortSpawned.add(1, ordering: .relaxed)
    }
}

/// Runs in the thread relay once every token is retired.
func finish() {
    let t = target
    check("every level received every token", received0.load(ordering: .relaxed) == t
          && received1.load(ordering: .relaxed) == t && received2.load(ordering: .relaxed) == t,
          received1.load(ordering: .relaxed))
    check("no send across levels failed", lost.load(ordering: .relaxed) == 0, lost.load(ordering: .relaxed))
    check("the storm ran on every hop", stormRuns.load(ordering: .relaxed) >= 3 &* t &- inFlight,
          stormRuns.load(ordering: .relaxed))
    check("short-lived tasks spawned from the storm ran to completion",
          shortSpawned.load(ordering: .relaxed) > 100
          && shortCompleted.load(ordering: .relaxed) &+ 4 >= shortSpawned.load(ordering: .relaxed),
          shortSpawned.load(ordering: .relaxed))
    check("no task was polled after it completed", pollsAfterEnd.load(ordering: .relaxed) == 0,
          pollsAfterEnd.load(ordering: .relaxed))
    check("stale wakes across levels woke nothing", staleWakes.load(ordering: .relaxed) > 0)
    check("higher levels preempted lower ones' polls", deepestPolls >= 2, deepestPolls)
    Board.exit(0)
}

@main
struct PriorityStorm {
    static func main() {
        var platform = Board.start()
        let threadRelay: PoolRef<Relay, 1>
        let midRelay: PoolRef<Relay, 1>
        let highRelay: PoolRef<Relay, 1>
        do throws(CapacityError) {
            threadRelay = try thread.attach(&threadRelays)
        } catch {
            Board.fail(error)
        }
        do throws(InterruptLevelError) {
            midRelay = try mid.attach(&midRelays)
            let midShort = try mid.attach(&midShorts)
            highRelay = try high.attach(&highRelays)
            let highShort = try high.attach(&highShorts)
            try mid.start(on: Board.self, tasks: tasks(midRelay, midShort))
            try high.start(on: Board.self, tasks: tasks(highRelay, highShort))
            midShortRef = midShort
            highShortRef = highShort
        } catch {
            Board.fail(error)
        }
        var console = BoardConsole()
        describePriorityLevels(thread: thread, to: &console)
        do throws(SpawnError) {
            try midRelay.spawn(Relay(level: 1))
            try highRelay.spawn(Relay(level: 2))
            try threadRelay.spawn(Relay(level: 0))
        } catch {
            Board.fail(error)
        }
        Board.setSoftwareInterruptHook { storm() }
        for t in 0..<inFlight { if !midSender.trySend(t) { lost.add(1, ordering: .relaxed) } }
        thread.run(on: &platform, idle: .sleep, tasks: threadRelay)
    }
}
