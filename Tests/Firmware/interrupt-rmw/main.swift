// interrupt-rmw — the executor's shared read-modify-writes are atomic against an
// interrupt handler that lands between any two of their instructions: no ready
// bit is lost and no slot is claimed twice. One line per check (`name... OK`);
// any failure prints `FAIL` and exits 1.
//
// What is raced. Each round, thread mode runs the same code:
//   wake task A (an OR of the ready word), one pass of `runReady` (the exchange
//   that takes the word), a spawn into the `shorts` pool (the compare-exchange
//   that claims a slot, then the OR that schedules it);
// and the SysTick handler, once per round, wakes task B (an OR of the same ready
// word) and spawns into the same pool. On the Cortex-M4 these are
// `ldrex`/`strex` loops; on the micro:bit's Cortex-M0, which has no exclusive
// access, the core runs them with interrupts masked (`POLLEN_MASKED_RMW`,
// Support/SharedOrdering.swift). A read-modify-write that an interrupt could
// split would lose B's bit (B is polled one time too few), the thread's (A
// likewise) or a task (two spawns in one slot: one short task never runs).
//
// Where the interrupt lands. Each round starts SysTick, then spins
// (`pollen_spin`, 2 instructions per step) one step more than the round before,
// then runs the raced code. The interrupt is due a fixed number of clock cycles
// after the start, so from round to round it lands 2 instructions earlier in
// the raced code: over the rounds it sweeps the whole of it, every other
// instruction (a read-modify-write has at least two places where an interrupt
// could split it: after its load and after its modify). QEMU runs with
// `-icount shift=0`, which takes an interrupt at the instruction where it is due.
//
// Checked after the rounds: A and B were polled once per round, every short task
// spawned ran (none lost), no spawn or wake failed, and the interrupt landed before
// the raced code, after it, and inside it in at least 40 rounds (so the sweep
// covered it: about half its length in instructions).

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...)
import PollenCortexMSupport        // pollen_spin
import Synchronization

/// A task that counts its polls and waits to be woken again (its waker is
/// handed out once, at the start).
struct Parked: Future {
    let id: Int
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        if id == 0 {
            pollsA &+= 1
            if wakerA == nil { wakerA = context.waker }
        } else {
            pollsB &+= 1
            if wakerB == nil { wakerB = context.waker }
        }
        return .pending
    }
}

/// A task that ends on its first poll, counting who spawned it.
struct Short: Future {
    let fromInterrupt: Bool
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        if fromInterrupt { shortsFromInterrupt &+= 1 } else { shortsFromThread &+= 1 }
        return .ready(())
    }
}

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var parkedPool = TaskPool<Parked, 2>(name: "parked")
nonisolated(unsafe) var shortPool = TaskPool<Short, 4>(name: "shorts")

nonisolated(unsafe) var wakerA: Waker? = nil
nonisolated(unsafe) var wakerB: Waker? = nil
nonisolated(unsafe) var pollsA: UInt32 = 0
nonisolated(unsafe) var pollsB: UInt32 = 0
nonisolated(unsafe) var shortsFromThread: UInt32 = 0
nonisolated(unsafe) var shortsFromInterrupt: UInt32 = 0
nonisolated(unsafe) var shorts: PoolRef<Short, 4>? = nil

/// Set by the handler: it ran this round.
let fired = Atomic<Bool>(false)
/// Where thread mode is: 0 spinning, 1 in the raced code, 2 done with it.
let stage = Atomic<UInt8>(0)
/// Rounds whose interrupt landed in the spin, inside the raced code, after it.
nonisolated(unsafe) var landedBefore: UInt32 = 0
nonisolated(unsafe) var landedInside: UInt32 = 0
nonisolated(unsafe) var landedAfter: UInt32 = 0
/// Spawns that failed, and wakes of B that did not return `.woken`.
nonisolated(unsafe) var failures: UInt32 = 0

/// Once per round: stop SysTick, wake B, spawn a short task.
@_cdecl("SysTick_Handler")
func sysTickHandler() {
    SysTick.stop()
    switch stage.load(ordering: .relaxed) {
    case 0: landedBefore &+= 1
    case 1: landedInside &+= 1
    default: landedAfter &+= 1
    }
    if wakerB?.wake() != .woken { failures &+= 1 }
    if let shorts {
        do throws(SpawnError) { try shorts.spawn(Short(fromInterrupt: true)) } catch { failures &+= 1 }
    }
    fired.store(true, ordering: .releasing)
}

/// Rounds: the sweep moves 2 instructions per round, so 400 rounds move the
/// interrupt 800 instructions: from after the raced code (a few hundred
/// instructions) to the spin before it.
let rounds: UInt32 = 400
/// About 600 instructions from the start of SysTick to its interrupt, in SysTick
/// cycles (processor clocks; under `-icount shift=0` an instruction is 1 ns).
var cyclesToInterrupt: UInt32 { Board.cpuHz / 1_000_000 * 600 / 1_000 }

@main
struct InterruptRMW {
    static func main() {
        _ = Board.start()
        let parked: PoolRef<Parked, 2>
        let shortTasks: PoolRef<Short, 4>
        do throws(CapacityError) {
            parked = try executor.attach(&parkedPool)
            shortTasks = try executor.attach(&shortPool)
        } catch {
            Board.fail(error)
        }
        shorts = shortTasks
        let all = tasks(parked, shortTasks)
        spawn(parked, Parked(id: 0))
        spawn(parked, Parked(id: 1))
        while executor.runReady(all) != 0 {}   // both park and hand out their wakers
        guard let a = wakerA else { check("task A handed out its waker", false); return }
        let startA = pollsA, startB = pollsB
        let cycles = cyclesToInterrupt

        for round in 0..<rounds {
            fired.store(false, ordering: .relaxed)
            stage.store(0, ordering: .relaxed)
            SysTick.start(cyclesPerTick: cycles)
            pollen_spin(round)
            stage.store(1, ordering: .relaxed)
            // The raced code.
            a.wake()
            executor.runReady(all)
            do throws(SpawnError) { try shortTasks.spawn(Short(fromInterrupt: false)) } catch { failures &+= 1 }
            stage.store(2, ordering: .relaxed)
            while !fired.load(ordering: .acquiring) {}
            while executor.runReady(all) != 0 {}
        }

        check("task A polled once per round (no lost thread wake)", pollsA &- startA == rounds, pollsA &- startA)
        check("task B polled once per round (no lost interrupt wake)", pollsB &- startB == rounds, pollsB &- startB)
        check("every spawn and every wake of B succeeded", failures == 0, failures)
        check("every short task from thread mode ran", shortsFromThread == rounds, shortsFromThread)
        check("every short task from the interrupt ran", shortsFromInterrupt == rounds, shortsFromInterrupt)
        // The sweep covered the raced code: it landed on both sides of it, and
        // inside it in a good share of the rounds (about its length / 2).
        check("the interrupt swept across the raced code",
              landedBefore > 0 && landedAfter > 0 && landedInside >= 40, landedInside)
        Board.write("rounds: "); Board.writeDecimal(rounds)
        Board.write(", interrupt in the spin / inside the raced code / after it: ")
        Board.writeDecimal(landedBefore); Board.write(" / ")
        Board.writeDecimal(landedInside); Board.write(" / ")
        Board.writeDecimal(landedAfter)
        Board.writeLine("")
        Board.exit(0)
    }
}
