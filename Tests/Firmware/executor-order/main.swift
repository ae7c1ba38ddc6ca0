// executor-order — the executor's scheduling rules, on the real Executor and
// TaskPool, one line per check (`name... OK`); any failure prints `FAIL` with
// what was seen and exits 1.
//
// Three probe tasks (ids 1, 2, 3 in slots 0, 1, 2) record every poll in a
// trace, one hex digit per poll: 0x123 means "1, then 2, then 3" in one pass.
// The checks drive the executor pass by pass with `runReady`, then the last one
// hands over to the real `run` loop (`.sleep` idle), where a judge task ends
// the program.

/// What a probe does when polled (set by the checks between passes).
import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)

enum Behavior {
    /// Returns `.pending` and waits for someone to use its waker.
    case park
    /// Wakes itself and returns `.pending`: wants to be polled on every pass.
    case selfWake
    /// Completes.
    case complete
}

/// Indexed by probe id (1...3); index 0 unused.
nonisolated(unsafe) var behaviors = InlineArray<4, Behavior>(repeating: .park)
/// The waker each probe saw on its latest poll.
nonisolated(unsafe) var wakers = InlineArray<4, Waker?>(repeating: nil)
/// Polls per probe.
nonisolated(unsafe) var polls = InlineArray<4, UInt32>(repeating: 0)
/// Probe ids polled since the trace was last cleared, one hex digit each.
nonisolated(unsafe) var trace: UInt32 = 0

/// A task that records its polls and behaves as `behaviors[id]` says.
struct Probe: Future {
    let id: Int

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        trace = trace &<< 4 | UInt32(truncatingIfNeeded: id)
        polls[id] &+= 1
        wakers[id] = context.waker
        switch behaviors[id] {
        case .park:
            return .pending
        case .selfWake:
            context.waker.wake()
            return .pending
        case .complete:
            return .ready(())
        }
    }
}

public let pollenTaskSize_Probe = MemoryLayout<Probe>.size
public let pollenTaskSize_Judge = MemoryLayout<Judge>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var probes = TaskPool<Probe, 3>(name: "probes")
nonisolated(unsafe) var judges = TaskPool<Judge, 1>(name: "judge")

// MARK: - Waking from the software interrupt

/// Probe ids the software interrupt handler wakes, one bit each (bit `id`).
nonisolated(unsafe) var interruptWakes: UInt32 = 0
/// How many of the handler's wakes returned `.woken`.
nonisolated(unsafe) var interruptWoken: UInt32 = 0

/// The software interrupt's hook: wakes the probes named in `interruptWakes`.
func wakeFromInterrupt() {
    for id in 1...3 where interruptWakes & (1 &<< UInt32(truncatingIfNeeded: id)) != 0 {
        if wakers[id]?.wake() == .woken { interruptWoken &+= 1 }
    }
}

/// Wakes the probes in `ids` (a bit per id) from the software interrupt handler.
func wakeInInterrupt(_ ids: UInt32) {
    interruptWakes = ids
    Board.pendSoftwareInterrupt()   // the handler has run when this returns
    interruptWakes = 0
}

// MARK: - The checks

@main
struct ExecutorOrder {
    static func main() {
        var platform = Board.start()
        Board.setSoftwareInterruptHook { wakeFromInterrupt() }
        let probe: PoolRef<Probe, 3>
        let judge: PoolRef<Judge, 1>
        do throws(CapacityError) {
            probe = try executor.attach(&probes)
            judge = try executor.attach(&judges)
        } catch {
            Board.fail(error)
        }
        checkSlotOrder(probe)
        checkStarvation(probe)
        checkCoalescing(probe)
        checkStaleWaker(probe)

        // The real run loop: probes 1 and 2 and the judge wake themselves on
        // every poll, probe 3 is parked. The judge checks that every pass polls
        // each self-waker once, and that probe 3, woken from the interrupt
        // handler, is polled on the next pass despite the busy ones.
        behaviors[1] = .selfWake
        behaviors[2] = .selfWake
        wakers[1]!.wake()
        wakers[2]!.wake()
        spawn(judge, Judge(base1: polls[1], base2: polls[2], base3: polls[3]))
        executor.run(on: &platform, idle: .sleep, tasks: tasks(probe, judge))
        Board.writeLine("run returned... FAIL")
        Board.exit(1)
    }

    // Each group of checks is its own function, never inlined: one ~2 KiB
    // `main` trips an LLVM bug on ARMv6-M ("underestimated function size" in
    // ARMConstantIslands, llvm/llvm-project#175763 and #203318), which fixes
    // the Thumb-1 size estimate in releases newer than this toolchain's.

    /// One executor pass; clears the trace first. Returns the number of polls.
    static func pass(_ probe: PoolRef<Probe, 3>) -> Int {
        trace = 0
        return executor.runReady(probe, now: Board.now())
    }

    /// Slot order. Spawning sets a task's ready bit; the first pass polls the
    /// three in slot order, and then, woken in the order 3, 1, 2, still in slot
    /// order: a pass goes up the mask, not down a queue.
    @inline(never)
    static func checkSlotOrder(_ probe: PoolRef<Probe, 3>) {
        for id in 1...3 { spawn(probe, Probe(id: id)) }
        let first = pass(probe)
        expectTrace("first polls in slot order", polled: first, 3, 0x123)
        wakers[3]!.wake(); wakers[1]!.wake(); wakers[2]!.wake()
        let woken = pass(probe)
        expectTrace("slot order within a pass", polled: woken, 3, 0x123)
        wakers[3]!.wake(); wakers[1]!.wake()
        let some = pass(probe)
        check("only woken tasks are polled", some == 2 && trace == 0x13 && pass(probe) == 0, trace)
    }

    /// Starvation. Probe 2 wakes itself on every poll: each pass still polls it
    /// once, and ends (its new wake waits for the next pass). Probe 1 and 3,
    /// woken from the interrupt handler during pass 3, run in pass 4 in slot
    /// order, around probe 2.
    @inline(never)
    static func checkStarvation(_ probe: PoolRef<Probe, 3>) {
        behaviors[2] = .selfWake
        wakers[2]!.wake()
        var fair = true
        for round in 1...8 {
            let polled = pass(probe)
            if round == 3 { wakeInInterrupt(1 << 1 | 1 << 3) }
            let expected: (Int, UInt32) = round == 4 ? (3, 0x123) : (1, 0x2)
            if polled != expected.0 || trace != expected.1 { fair = false; break }
        }
        behaviors[2] = .park
        let last = pass(probe)   // probe 2's final self-wake: polled, parks
        check("a self-waking task cannot starve others", fair && last == 1 && trace == 0x2
              && !executor.hasReadyTasks && pass(probe) == 0, trace)
    }

    /// Coalescing: two wakes from task context and one from an interrupt
    /// handler, all before the next pass, give one poll.
    @inline(never)
    static func checkCoalescing(_ probe: PoolRef<Probe, 3>) {
        let before = polls[1]
        wakers[1]!.wake()
        wakers[1]!.wake()
        interruptWoken = 0
        wakeInInterrupt(1 << 1)
        let coalesced = pass(probe)
        check("wakes before a poll coalesce into one poll", coalesced == 1 && trace == 0x1
              && polls[1] == before &+ 1 && interruptWoken == 1 && pass(probe) == 0, trace)
    }

    /// Stale waker. Probe 3 completes: its slot is freed and the generation
    /// moves on, so its old waker reports `.stale` and schedules nothing, also
    /// once a new task occupies the same slot.
    @inline(never)
    static func checkStaleWaker(_ probe: PoolRef<Probe, 3>) {
        behaviors[3] = .complete
        wakers[3]!.wake()
        let completing = pass(probe)
        let old = wakers[3]!
        check("a completing task is polled once and frees its slot",
              completing == 1 && trace == 0x3 && probes.occupiedCount == 2, trace)
        let staleOutcome = old.wake()
        check("a stale waker after completion returns .stale", staleOutcome == .stale && old.isStale)
        check("a stale wake polls nothing", !executor.hasReadyTasks && pass(probe) == 0 && trace == 0, trace)
        behaviors[3] = .park
        spawn(probe, Probe(id: 3))   // reuses slot 2
        let reused = pass(probe)
        let fresh = wakers[3]!
        let staleAgain = old.wake()
        check("a stale waker ignores the slot's next task",
              reused == 1 && trace == 0x3 && fresh.slot == old.slot && fresh.generation != old.generation
              && staleAgain == .stale && pass(probe) == 0, trace)
    }
}

/// The last check, inside `Executor.run`: polled once per pass after probes 1
/// and 2 (its slot, 3, is higher), so on its `n`th poll each has been polled
/// exactly `n` times.
struct Judge: Future {
    let base1: UInt32
    let base2: UInt32
    let base3: UInt32
    var n: UInt32 = 0

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        n &+= 1
        let fair = polls[1] &- base1 == n && polls[2] &- base2 == n
        if n == 500 {
            wakeInInterrupt(1 << 3)   // probe 3 runs in the next pass
        }
        let woken = polls[3] &- base3 == (n > 500 ? 1 : 0)
        if !fair || !woken {
            check("run loop: self-waking tasks share every pass", false, n)
        }
        if n == 1_000 {
            check("run loop: self-waking tasks share every pass", true)
            Board.exit(0)
        }
        context.waker.wake()
        return .pending
    }
}

// MARK: - Helpers


/// Checks the count and the trace of one pass.
func expectTrace(_ name: StaticString, polled: Int, _ count: Int, _ expected: UInt32) {
    check(name, polled == count && trace == expected, trace)
}

