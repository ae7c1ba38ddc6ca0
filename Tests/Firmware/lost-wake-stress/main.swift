// lost-wake-stress — 2 × 100,000 hand-offs through an interrupt that lands in
// the executor's sleep window, under the real `Executor.run` with `.sleep` idle.
// One line per check (`name... OK`) plus the figures; any failure prints
// `FAIL` and exits 1; a lost wake stalls the run (Board/qemu-test's timeout).
//
// # How the interrupt is made to land in the window
//
// The race under test: the executor finds nothing ready, and an interrupt
// whose handler wakes a task arrives before the `wfi`. The executor must not
// sleep through it (CortexMPlatform: `cpsid i; if isStillIdle() { wfi }; cpsie i`).
//
// Each poll of the `Handoff` task parks its waker, masks interrupts, pends the
// software interrupt and returns `.pending` with interrupts still masked. So
// the interrupt is already pending while the executor goes on to find nothing
// ready and to call `idle` — the check says "idle" every time — and its handler
// (the wake) can only run after the `wfi`. This hits the window on every
// hand-off, deterministically, which a free-running timer interrupt would do
// only by chance. A correct idle step falls through the `wfi` (a pending
// interrupt ends it even while masked) and runs the handler at `cpsie i`;
// an idle step that re-enabled interrupts before `wfi`, or slept without
// re-checking, would run the handler first and then sleep with the wake unseen.
//
// # Making a lost wake visible
//
// With the 1 ms SysTick running, a lost wake costs at most a millisecond: the
// tick ends the `wfi` and the executor finds the wake. So the run has two
// phases of 100,000 hand-offs:
//   1. tick interrupt on (the normal board set-up): measures the hand-off rate
//      with `Board.now()`;
//   2. tick interrupt off (SysTick keeps counting, but raises no exception):
//      now only the software interrupt can end a `wfi`, so a single lost wake
//      sleeps forever and the run times out. Elapsed time is counted by the
//      task from SysTick's COUNTFLAG (one per millisecond wrap), since the
//      board clock stands still without the tick interrupt.
// Both phases also check that the executor entered the idle step exactly once
// per hand-off, with the interrupt pending (the window was hit every time).
//
// # RISC-V (-DRISCV, from firmware.env)
//
// RISCVPlatform is tickless: with no deadline (this test arms no timer) nothing
// but the software interrupt (the CLINT's msip) can end its `wfi`
// (`csrci mstatus, MIE; if isStillIdle() { wfi }; csrsi mstatus, MIE`). So
// there is one phase, already as strict as phase 2 above: a lost wake sleeps
// forever. Elapsed time comes from `Board.now()` (mtime keeps counting).

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)
#if RISCV
import PollenRISCVSupport     // pollen_disable_irq
#else
import PollenCortexMSupport   // pollen_disable_irq
#endif
import _Volatile

/// The waker the software interrupt handler uses; written by the task before
/// it pends the interrupt.
nonisolated(unsafe) var parkedWaker: Waker? = nil
/// Handler wakes that returned `.woken`. Written only by the handler.
nonisolated(unsafe) var handlerWakes: UInt32 = 0

/// The software interrupt's hook.
func onSoftwareInterrupt() {
    if parkedWaker?.wake() == .woken { handlerWakes &+= 1 }
}

/// Idle steps in which the executor's `isStillIdle` said "idle": the wfi path.
nonisolated(unsafe) var idleChecks: UInt32 = 0

/// The board's platform, counting the idle steps that reach the sleep.
struct CountingPlatform: Platform {
    var inner: Board.BoardPlatform

    mutating func now() -> Instant { inner.now() }

    mutating func idle(until deadline: Instant?, strategy: IdleStrategy,
                       isStillIdle: () -> Bool) -> IdleOutcome {
        inner.idle(until: deadline, strategy: strategy, isStillIdle: {
            let idle = isStillIdle()
            if idle { idleChecks &+= 1 }
            return idle
        })
    }
}

/// Hand-offs per phase.
let handoffsPerPhase: UInt32 = 100_000

#if !RISCV
/// SysTick's control and status register (SYST_CSR): bit 1 TICKINT (raise
/// the exception at each wrap), bit 16 COUNTFLAG (set at each wrap, cleared by
/// reading the register). The counter itself keeps running either way.
enum SysTickControl {
    static var csr: VolatileMappedRegister<UInt32> { mmio(0xE000_E010) }
    static let tickInterrupt: UInt32 = 1 << 1
    static let countFlag: UInt32 = 1 << 16

    static func setTickInterrupt(_ on: Bool) {
        let value = csr.load() & ~countFlag
        csr.store(on ? value | tickInterrupt : value & ~tickInterrupt)
    }

    static var wrappedSinceLastRead: Bool { csr.load() & countFlag != 0 }
}
#endif

/// One hand-off per poll: park the waker, pend the interrupt masked, return.
struct Handoff: Future {
    var phase = 1
    var handoffs: UInt32 = 0
    var started = Instant.zero
    var wraps: UInt32 = 0

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        // Every poll but a phase's first follows exactly one handler wake.
        if handlerWakes != handoffs || idleChecks != handoffs {
            Board.write("hand-off ")
            Board.writeDecimal(handoffs)
            Board.write(": handler wakes ")
            Board.writeDecimal(handlerWakes)
            Board.write(", idle checks ")
            Board.writeDecimal(idleChecks)
            Board.writeLine("... FAIL")
            Board.exit(1)
        }
        if handoffs == 0 { started = Board.now() }
        #if !RISCV
        if phase == 2 && SysTickControl.wrappedSinceLastRead { wraps &+= 1 }
        #endif
        if handoffs == handoffsPerPhase { finishPhase() }
        handoffs &+= 1
        parkedWaker = context.waker
        // Leaves interrupts masked: the executor's idle step unmasks them.
        pollen_disable_irq()
        Board.raiseSoftwareInterrupt()   // stays pending: interrupts are masked
        return .pending
    }

    mutating func finishPhase() {
        #if RISCV
        let elapsed = Board.now() - started
        Board.write("no tick interrupt (tickless): ")
        Board.writeDecimal(handoffs)
        Board.writeLine(" hand-offs, one idle check and one wake each... OK")
        Board.write("  elapsed ")
        Board.writeDecimal(UInt32(truncatingIfNeeded: elapsed.ticks / 1_000))
        Board.writeLine(" ms (Board.now)")
        Board.exit(0)
        #else
        if phase == 1 {
            let elapsed = Board.now() - started
            Board.write("tick interrupt on: ")
            Board.writeDecimal(handoffs)
            Board.writeLine(" hand-offs, one idle check and one wake each... OK")
            Board.write("  elapsed ")
            Board.writeDecimal(UInt32(truncatingIfNeeded: elapsed.ticks / 1_000))
            Board.writeLine(" ms (Board.now)")
            SysTickControl.setTickInterrupt(false)
            _ = SysTickControl.wrappedSinceLastRead   // clear COUNTFLAG
            phase = 2
            handoffs = 0
            handlerWakes = 0
            idleChecks = 0
            wraps = 0
        } else {
            SysTickControl.setTickInterrupt(true)
            Board.write("tick interrupt off: ")
            Board.writeDecimal(handoffs)
            Board.writeLine(" hand-offs, one idle check and one wake each... OK")
            Board.write("  elapsed ")
            Board.writeDecimal(wraps)
            Board.writeLine(" ms (SysTick wraps)")
            Board.exit(0)
        }
        #endif
    }
}

public let pollenTaskSize_Handoff = MemoryLayout<Handoff>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var handoffTasks = TaskPool<Handoff, 1>(name: "handoff")

@main
struct LostWakeStress {
    static func main() {
        var platform = CountingPlatform(inner: Board.start())
        Board.setSoftwareInterruptHook { onSoftwareInterrupt() }
        let handoff: PoolRef<Handoff, 1>
        do throws(CapacityError) {
            handoff = try executor.attach(&handoffTasks)
        } catch {
            Board.fail(error)
        }
        _ = try? handoff.spawn(Handoff())
        executor.run(on: &platform, idle: .sleep, tasks: handoff)
        Board.writeLine("run returned... FAIL")
        Board.exit(1)
    }
}
