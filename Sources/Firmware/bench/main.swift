// bench: Pollen's firmware benchmarks. Run by ./Board/bench under
//
//     qemu-system-arm -M <board> -icount shift=0,sleep=off ... -kernel bench.elf
//
// (qemu-system-riscv32 -M sifive_e on the hifive1) and prints one `name=value`
// line per figure (prefix `m4_` on the Cortex-M4 mps2-an386, `m0_` on the
// Cortex-M0 microbit, `rv32_` on the RV32IMAC hifive1), then exits 0
// (semihosting).
//
// # How time is measured
//
// With `-icount shift=0` QEMU's virtual clock advances exactly 1 ns per executed
// instruction (and not at all otherwise: exception entry/exit and a `wfi` that
// does not sleep cost 0 ns; `sleep=off` makes a real sleep jump to the next
// timer event instead of waiting). SysTick is clocked from that virtual clock
// at the board's CPU frequency, so one SysTick cycle is 1e9 / cpuHz
// instructions: 40 on the mps2-an386 (25 MHz), 62.5 on the microbit (16 MHz).
// `Board.start()` runs as in any app (NVIC: the software interrupt), then
// `startBenchClock()` turns SysTick into a free-running 24-bit down-counter with
// no interrupt (reload 2^24 − 1): `stamp()` is one load of its count, and an
// interval is (start − end) mod 2^24 cycles (up to 671 ms at 25 MHz). So no tick
// handler runs inside a measurement, and no stamp can race a tick (reading the
// 1 ms count and the counter together is racy under QEMU: one sample in a few
// thousand came out 1 ms off). Instructions = cycles × 1e9 / cpuHz.
// (Semihosting SYS_ELAPSED is host wall time in QEMU, and QEMU models no DWT
// cycle counter, so SysTick is the finest virtual-time source.)
//
// The run-loop variants call `CortexMPlatform.now()`, the board's tickless
// microsecond clock (its own counter, untouched by the bench's use of SysTick),
// as every app's run loop does.
//
// Checked: the countdown baseline loop is 5 instructions in the disassembly and
// measures 12,500 cycles per 100,000 iterations = 5.00 on the mps2-an386.
//
// RISC-V (-DRISCV, firmware.env): the stamp is `minstret`, the instructions
// retired, which QEMU derives from its instruction counter under `-icount`:
// exact to one instruction, no dither needed (it is kept, the same for every
// board). An interval is end − start (32 bits, up to 4.29 s of instructions).
// Instructions = stamp units.
//
// # Hand-off (`handoff_instr*`)
//
// Two tasks of one pool, A and B, each holding the other's waker. Polled, a task
// decrements a budget word and, if it was not zero, wakes its peer, then returns
// `.pending`. Driver: `while executor.runReady(tasks) != 0 {}`: every pass polls
// exactly one task, which wakes the other, so N passes = N hand-offs (plus one
// last poll and one empty pass, a constant). The budget word is a volatile RAM
// cell, and the baseline is the same countdown loop with no executor:
//
//     handoff_instr = (cycles(hand-offs) − cycles(countdown baseline)) × 1e9/cpuHz / N
//
// i.e. everything Pollen adds per hand-off: the wake (generation check + atomic
// OR), the pass (atomic exchange, bit scan, loop), the dispatch (context, slot
// range check, slot state check) and the call into the future's poll.
//
// Variants: `_1` one task waking itself; `_32` 32 tasks in the pool (30 parked:
// polled once at start, never woken; the active pair in the two highest slots);
// `_256` the same with 256 tasks (Executor<8>, two-level mask: summary word);
// `_2_exec8` the pair alone in an Executor<8> (the two-level cost without the
// extra tasks); `handoff_run_instr` the pair driven by
// `run(on:idle: .busyPoll, tasks:)` with the real Cortex-M clock (adds the clock
// read and timer check of every round).
//
// # Interrupt to poll (`irq_to_poll_instr*`)
//
// One task; the software IRQ's hook (`Board.setSoftwareInterruptHook`) takes a
// stamp t0 and calls the task's `waker.wake()`; the task's poll takes a stamp t1
// first thing. latency = mean(t1 − t0) − (cost of one stamp, measured with two
// back-to-back stamps). The executor runs `run(on: platform, idle: …)` with a
// platform that is `CortexMPlatform` except that its idle step raises the
// software IRQ: for `.sleep` (`irq_to_poll_instr`, the default strategy of apps)
// it does exactly `cpsid i; if isStillIdle() { pend IRQ; wfi }; cpsie i` — from
// the handler on, the same path as an interrupt that ends a real `wfi`; for
// `.busyPoll` (`_busy`) it pends the IRQ with interrupts enabled (the handler
// runs at once) and returns. `_runready` drives `runReady` directly (pend, then
// one pass): the floor without the run loop's clock read and timer check.
// SysTick has 40-instruction (M4) resolution, so every sample is preceded by a
// dither delay (0...40 spins of a 3-4 instruction loop) that spreads the phase:
// the mean is then unbiased (the stamp-cost calibration reads 1.04–1.06 for a
// true 1). 2,000 samples.
//
// # The floor (`floor_handoff_instr`)
//
// The same hand-off with nothing of Pollen: two hand-written tasks (plain
// functions) and one ready word, a `Synchronization.Atomic<UInt32>`. A task
// wakes its peer by OR-ing the peer's bit into the word; the loop takes the
// word (atomic exchange with 0) and calls the task of each set bit, lowest
// first. No executor, no generations, no pools, no context, no waker checks:
// the least a bitmask scheduler can do per hand-off on this instruction set.
// On ARMv6-M, which has no atomic read-modify-write, the OR and the exchange are
// a load and a store with interrupts masked, inline, as the core's own there
// (`POLLEN_MASKED_RMW`), not the `__sync_*` calls `Atomic` would make.
// Measured as the hand-off is (same budget word, same baseline), so
// `handoff_instr / floor_handoff_instr` is what Pollen's guarantees cost.
//
// # Trace build (`-DBENCH_TRACE`)
//
// Board/bench's profile step builds this file with `-g -DBENCH_TRACE`: 4
// hand-offs (in `Executor<1>`, then in `Executor<8>`) and 4 interrupt samples,
// nothing printed, for QEMU's one-line-per-instruction trace
// (Board/bench-profile.py reads it).
//
// # Sizes
//
// `executor_ram_bytes_32`: MemoryLayout<Executor<1>>.size (32 slots).
// `per_task_overhead_bytes`: RAM a slot costs beyond its future, for an 8-byte
// future: (size of TaskPool<F, 64> − TaskPool<F, 32>) / 32 − size of F, plus the
// slot's generation byte in the executor (the ready bit, 1/8 byte, not counted).
// `scheduler_ram_bytes_8` / `_32`: the executor plus a `TaskPool` of 8 / 32
// slots for that future, minus the futures' own bytes: all the RAM the
// scheduler needs for that many tasks.

import Pollen
import PollenBoard
#if RISCV
import PollenRISCVSupport     // pollen_disable_irq, pollen_enable_irq, pollen_wfi, pollen_instret
#else
import PollenCortexMSupport   // pollen_disable_irq, pollen_enable_irq, pollen_wfi
#endif
import Synchronization
import _Volatile

// MARK: - Board facts

#if ARMV6M
let figurePrefix: StaticString = "m0_"
#elseif RISCV
let figurePrefix: StaticString = "rv32_"
#else
let figurePrefix: StaticString = "m4_"
#endif

/// The board's platform, made without starting anything (the bench clock is
/// set up once, by `startBenchClock()`).
@inline(__always)
func makePlatform() -> Board.BoardPlatform {
    #if RISCV
    RISCVPlatform<Board>()
    #else
    CortexMPlatform(cpuHz: Board.cpuHz)
    #endif
}

#if BENCH_TRACE
// The trace build (Board/bench's profile step: -g -DBENCH_TRACE, run with QEMU's
// instruction trace): a few hand-offs and interrupt samples, nothing else.
let handoffs: UInt32 = 4
let irqSamples: UInt32 = 4
#else
/// Hand-offs per measurement.
let handoffs: UInt32 = 100_000
/// Interrupt → poll samples per measurement.
let irqSamples: UInt32 = 2_000
#endif
#if BENCH_TRACE
let preemptSamples: UInt32 = 4
/// Half of the long poll, in `pollen_spin` iterations (2 instructions each).
let longPollHalf: UInt32 = 100
#else
/// Preemption samples: one per 1,000,000-instruction thread-mode poll.
let preemptSamples: UInt32 = 200
/// Half of the long poll, in `pollen_spin` iterations (2 instructions each).
let longPollHalf: UInt32 = 250_000
#endif

// MARK: - Clock

#if RISCV
/// Nothing to set up: `minstret` counts from reset.
func startBenchClock() {}

/// Instructions retired (the low word of `minstret`).
@inline(__always)
func stamp() -> UInt32 { pollen_instret() }

/// Instructions from stamp `start` to stamp `end`.
@inline(__always)
func cycles(from start: UInt32, to end: UInt32) -> UInt32 { end &- start }

/// Instructions for one stamp unit, ×100, per 1 (so 100: a unit is an instruction).
let hundredthsPerStampUnit: UInt64 = 100
#else
/// Turns SysTick into a free-running 24-bit down-counter with no interrupt
/// (reload 2^24 − 1): one load reads the time, and no tick handler runs inside
/// a measurement. Intervals up to 2^24 cycles (671 ms at 25 MHz) are measured
/// modulo 2^24.
func startBenchClock() {
    mmio(0xE000_E010).store(0)              // CSR: stop
    mmio(0xE000_E014).store(0x00FF_FFFF)    // RVR
    mmio(0xE000_E018).store(0)              // CVR: clear
    mmio(0xE000_E010).store(0b101)          // CSR: processor clock, enabled, no TICKINT
}

/// The SysTick counter (counts down).
@inline(__always)
func stamp() -> UInt32 { SysTick.current }

/// SysTick cycles from stamp `start` to stamp `end`.
@inline(__always)
func cycles(from start: UInt32, to end: UInt32) -> UInt32 { (start &- end) & 0x00FF_FFFF }
#endif

/// Instructions (virtual ns) for `cycles` stamp units, ×100, divided by `count`.
func hundredthsPerOp(cycles: Int64, count: UInt32) -> Int64 {
    let negative = cycles < 0
    let magnitude = UInt64(bitPattern: negative ? -cycles : cycles)
    #if RISCV
    let value = magnitude &* hundredthsPerStampUnit / UInt64(_truncatingBits: UInt(count))
    #else
    let value = magnitude &* 100_000_000_000 / (UInt64(_truncatingBits: UInt(Board.cpuHz)) &* UInt64(_truncatingBits: UInt(count)))
    #endif
    return negative ? -Int64(bitPattern: value) : Int64(bitPattern: value)
}

/// Widening without the generic integer conversions (on 32-bit Embedded targets
/// they drag in array code and fail -no-allocations).
@inline(__always)
func wide(_ x: UInt32) -> Int64 { Int64(bitPattern: UInt64(_truncatingBits: UInt(x))) }

// MARK: - Output

func writeFixed(_ hundredths: Int64) {
    var v = hundredths
    if v < 0 { Board.writeByte(0x2D); v = -v }
    let whole = UInt32(truncatingIfNeeded: v / 100)
    let frac = UInt32(truncatingIfNeeded: v % 100)
    Board.writeDecimal(whole)
    Board.writeByte(0x2E)
    Board.writeByte(0x30 &+ UInt8(truncatingIfNeeded: frac / 10))
    Board.writeByte(0x30 &+ UInt8(truncatingIfNeeded: frac % 10))
}

func figure(_ name: StaticString, hundredths: Int64) {
    Board.write(figurePrefix); Board.write(name); Board.writeByte(0x3D)
    writeFixed(hundredths)
    Board.writeByte(0x0A)
}

func figure(_ name: StaticString, _ value: Int) {
    Board.write(name); Board.writeByte(0x3D)
    if value < 0 { Board.writeByte(0x2D) }
    Board.writeDecimal(UInt32(truncatingIfNeeded: value.magnitude))
    Board.writeByte(0x0A)
}

func note(_ text: StaticString, _ value: UInt32) {
    Board.write("# "); Board.write(figurePrefix); Board.write(text); Board.writeDecimal(value); Board.writeByte(0x0A)
}

// MARK: - Volatile RAM cells (not optimized away, same cost in every loop)

nonisolated(unsafe) var budgetWord: UInt32 = 0
nonisolated(unsafe) var ditherWord: UInt32 = 0

@inline(__always)
func cell(_ word: UnsafeMutablePointer<UInt32>) -> VolatileMappedRegister<UInt32> {
    VolatileMappedRegister<UInt32>(unsafeBitPattern: UInt(bitPattern: word))
}

@inline(__always)
var budget: VolatileMappedRegister<UInt32> { cell(withUnsafeMutablePointer(to: &budgetWord) { $0 }) }

/// Spins `n` times on a volatile RAM word: shifts the phase of what follows
/// against SysTick's 40-instruction cycle.
@inline(never)
func dither(_ n: UInt32) {
    let word = cell(withUnsafeMutablePointer(to: &ditherWord) { $0 })
    var i = n
    while i != 0 { word.store(i); i &-= 1 }
}

/// The countdown the hand-off tasks do, without an executor: the baseline.
@inline(never)
func countdownBaseline(_ n: UInt32) -> UInt32 {
    budget.store(n)
    let t0 = stamp()
    while true {
        let left = budget.load()
        if left == 0 { break }
        budget.store(left &- 1)
    }
    return cycles(from: t0, to: stamp())
}

// MARK: - Hand-off tasks

/// One side of a hand-off: while the budget lasts, wakes its peer. Parked tasks
/// (their own peer) are polled once at start, with the budget at zero, and never
/// woken again.
struct Relay: Future {
    var peer: Waker

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        let left = budget.load()
        if left != 0 {
            budget.store(left &- 1)
            peer.wake()
        }
        return .pending
    }
}

public let pollenTaskSize_Relay = MemoryLayout<Relay>.size

/// Attaches `pool`, fills it (the active pair in its two highest slots, or one
/// self-waking task when capacity is 1; every other task is its own peer and is
/// never woken), polls every task once, then times
/// `n` hand-offs. Returns SysTick cycles.
@inline(never)
func timeHandoffs<let W: Int, let C: Int>(
    _ executor: inout Executor<W>, _ pool: inout TaskPool<Relay, C>, _ n: UInt32
) -> (cycles: UInt32, tasks: PoolRef<Relay, C>) {
    guard let tasks = try? executor.attach(&pool) else { fail("attach") }
    // Reserve first, so each task can be given its peer's waker before either runs.
    let first: Waker
    if C == 1 {
        let r = reserveOrFail(tasks)
        first = r.waker
        r.fill(Relay(peer: first))
    } else {
        for _ in 0..<(C - 2) {                   // slots 0..<C-2: their own peers
            let r = reserveOrFail(tasks)
            let own = r.waker
            r.fill(Relay(peer: own))
        }
        let ra = reserveOrFail(tasks)
        let rb = reserveOrFail(tasks)
        first = ra.waker
        let second = rb.waker
        ra.fill(Relay(peer: second))
        rb.fill(Relay(peer: first))
    }
    budget.store(0)
    while executor.runReady(tasks) != 0 {}      // first polls: every task parks
    budget.store(n)
    first.wake()
    let t0 = stamp()
    while executor.runReady(tasks) != 0 {}
    return (cycles(from: t0, to: stamp()), tasks)
}

/// A slot of `pool`, or the run stops with "spawn ... FAIL".
@inline(never)
func reserveOrFail<let C: Int>(_ pool: PoolRef<Relay, C>) -> SlotReservation<Relay, C> {
    do throws(SpawnError) {
        return try pool.reserve()
    } catch {
        fail("spawn")
    }
}

/// A platform that only reads the real clock and stops `run` when idle.
struct HandoffPlatform: Platform {
    var clock: Board.BoardPlatform
    mutating func now() -> Instant { clock.now() }
    mutating func idle(until deadline: Instant?, strategy: IdleStrategy, isStillIdle: () -> Bool) -> IdleOutcome {
        .stop
    }
}

/// The pair driven by `run(on:idle: .busyPoll, tasks:)`. (On the globals
/// directly: `run` on an `inout Executor` parameter crashes this compiler.)
@inline(never)
func timeHandoffsRun(_ n: UInt32) -> UInt32 {
    guard let tasks = try? executorRun.attach(&poolRun) else { fail("attach") }
    let r0 = reserveOrFail(tasks)
    let r1 = reserveOrFail(tasks)
    let w0 = r0.waker
    let w1 = r1.waker
    r0.fill(Relay(peer: w1))
    r1.fill(Relay(peer: w0))
    var platform = HandoffPlatform(clock: makePlatform())
    budget.store(0)
    executorRun.run(on: &platform, idle: .busyPoll, tasks: tasks)
    budget.store(n)
    w0.wake()
    let t0 = stamp()
    executorRun.run(on: &platform, idle: .busyPoll, tasks: tasks)
    return cycles(from: t0, to: stamp())
}

/// `n` wakes of one waker (its bit stays set: every wake still does the atomic OR).
@inline(never)
func timeWakes(_ waker: Waker, _ n: UInt32) -> UInt32 {
    budget.store(n)
    let t0 = stamp()
    while true {
        let left = budget.load()
        if left == 0 { break }
        budget.store(left &- 1)
        waker.wake()
    }
    return cycles(from: t0, to: stamp())
}

/// `n` passes that find nothing ready.
@inline(never)
func timeEmptyPasses(_ executor: inout Executor<1>, _ tasks: PoolRef<Relay, 2>, _ n: UInt32) -> UInt32 {
    budget.store(n)
    let t0 = stamp()
    while true {
        let left = budget.load()
        if left == 0 { break }
        budget.store(left &- 1)
        executor.runReady(tasks)
    }
    return cycles(from: t0, to: stamp())
}

// MARK: - The floor: two tasks, one ready word, no executor

/// The floor's ready word: bit 0 is task A, bit 1 task B.
let floorReady = Atomic<UInt32>(0)

/// The floor's wake: an OR of the ready word with the cheapest atomicity the
/// machine has, as the core's own (`POLLEN_MASKED_RMW` on ARMv6-M: a load and a
/// store inside the Cortex-M layer's `withInterruptsMasked`, inline; elsewhere the
/// atomic's own OR).
@inline(__always)
func floorWake(_ bit: UInt32) {
    #if ARMV6M
    withInterruptsMasked { floorReady.store(floorReady.load(ordering: .relaxed) | bit, ordering: .relaxed) }
    #else
    floorReady.bitwiseOr(bit, ordering: .releasing)
    #endif
}

/// The floor's take: the ready word swapped for 0, as `floorWake`.
@inline(__always)
func floorTake() -> UInt32 {
    #if ARMV6M
    return withInterruptsMasked {
        let ready = floorReady.load(ordering: .relaxed)
        floorReady.store(0, ordering: .relaxed)
        return ready
    }
    #else
    return floorReady.exchange(0, ordering: .acquiring)
    #endif
}

/// Task A of the floor: while the budget lasts, wakes B.
@inline(__always)
func floorTaskA() {
    let left = budget.load()
    if left != 0 {
        budget.store(left &- 1)
        floorWake(0b10)
    }
}

/// Task B of the floor: while the budget lasts, wakes A.
@inline(__always)
func floorTaskB() {
    let left = budget.load()
    if left != 0 {
        budget.store(left &- 1)
        floorWake(0b01)
    }
}

/// `n` hand-offs between the floor's two tasks: take the word, run the task
/// of each set bit, lowest first, until a take finds nothing. Returns stamp units.
@inline(never)
func timeFloorHandoffs(_ n: UInt32) -> UInt32 {
    budget.store(n)
    floorReady.store(0b01, ordering: .relaxed)
    let t0 = stamp()
    while true {
        var ready = floorTake()
        if ready == 0 { break }
        while ready != 0 {
            let bit = ready.trailingZeroBitCount
            ready &= ready &- 1
            if bit == 0 { floorTaskA() } else { floorTaskB() }
        }
    }
    return cycles(from: t0, to: stamp())
}

// MARK: - Interrupt to poll

nonisolated(unsafe) var irqWaker: Waker? = nil
nonisolated(unsafe) var irqT0: UInt32 = 0
nonisolated(unsafe) var irqArmed = false
nonisolated(unsafe) var irqSum: UInt32 = 0
nonisolated(unsafe) var irqCount: UInt32 = 0

/// Records the latency from the hook's stamp to its own poll.
struct Latency: Future {
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        let t1 = stamp()
        if irqArmed {
            irqSum &+= cycles(from: irqT0, to: t1)
            irqCount &+= 1
            irqArmed = false
        } else {
            irqWaker = context.waker
        }
        return .pending
    }
}

/// The software IRQ's hook: stamp, then wake.
let irqHook: InterruptHook = {
    irqArmed = true
    irqT0 = stamp()
    irqWaker.unsafelyUnwrapped.wake()
}

/// The board's platform, except that its idle step raises the software IRQ
/// (after a dither delay) and stops `run` once `irqSamples` samples are in.
struct InterruptPlatform: Platform {
    var clock: Board.BoardPlatform
    var round: UInt32 = 0
    mutating func now() -> Instant { clock.now() }
    mutating func idle(until deadline: Instant?, strategy: IdleStrategy, isStillIdle: () -> Bool) -> IdleOutcome {
        if irqCount >= irqSamples { return .stop }
        round &+= 1
        dither(round % 41)
        switch strategy {
        case .busyPoll:
            Board.pendSoftwareInterrupt()       // the handler runs before this returns
            return .resumed
        case .sleep:
            // The platform's idle(.sleep) with the interrupt arriving during `wfi`:
            // pended while masked, it keeps `wfi` from sleeping and runs at
            // `cpsie i` (Cortex-M) or `csrsi mstatus, MIE` (RISC-V).
            pollen_disable_irq()
            if isStillIdle() {
                let deadlinePassed: Bool
                if let deadline { deadlinePassed = clock.now() >= deadline } else { deadlinePassed = false }
                if !deadlinePassed {
                    #if RISCV
                    CLINT.raiseSoftwareInterrupt()
                    #else
                    NVIC.pend(Board.softwareIRQ)
                    #endif
                    pollen_wfi()
                }
            }
            pollen_enable_irq()
            return .resumed
        }
    }
}

func resetIRQStats() { irqSum = 0; irqCount = 0; irqArmed = false }

/// Mean latency in SysTick cycles ×… : returns (sum, count) of the samples.
@inline(never)
func timeIRQRun(_ tasks: PoolRef<Latency, 1>, _ strategy: IdleStrategy) -> (UInt32, UInt32) {
    var platform = InterruptPlatform(clock: makePlatform())
    resetIRQStats()
    executorIRQ.run(on: &platform, idle: strategy, tasks: tasks)
    return (irqSum, irqCount)
}

@inline(never)
func timeIRQRunReady(_ executor: inout Executor<1>, _ tasks: PoolRef<Latency, 1>) -> (UInt32, UInt32) {
    resetIRQStats()
    var round: UInt32 = 0
    while irqCount < irqSamples {
        round &+= 1
        dither(round % 41)
        Board.pendSoftwareInterrupt()
        executor.runReady(tasks)
    }
    return (irqSum, irqCount)
}

/// Sum of `n` back-to-back stamp differences (each sample dithered like the others).
@inline(never)
func timeStampPairs(_ n: UInt32) -> UInt32 {
    var sum: UInt32 = 0
    var round: UInt32 = 0
    while round < n {
        round &+= 1
        dither(round % 41)
        let a = stamp()
        let b = stamp()
        sum &+= cycles(from: a, to: b)
    }
    return sum
}

#if !RISCV   // interrupt executors: Cortex-M only (no RISC-V port yet)
// MARK: - Preemption: interrupt wake to a higher level's poll

/// A 1,000,000-instruction thread-mode poll, interrupted halfway (at a
/// dithered point) by the software IRQ, whose hook stamps and wakes a task of
/// an `InterruptExecutor` on IRQ 22; that task's poll stamps first thing.
nonisolated(unsafe) var preemptWaker: Waker? = nil
nonisolated(unsafe) var longPollActive = false
nonisolated(unsafe) var preemptInsideLongPoll: UInt32 = 0

/// The high-priority task: records its waker, then the latency of each wake.
struct PreemptLatency: Future {
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        let t1 = stamp()
        if irqArmed {
            irqSum &+= cycles(from: irqT0, to: t1)
            irqCount &+= 1
            irqArmed = false
            if longPollActive { preemptInsideLongPoll &+= 1 }
        } else {
            preemptWaker = context.waker
        }
        return .pending
    }
}

/// The software IRQ's hook for this figure: stamp, then wake the level's task.
let preemptHook: InterruptHook = {
    irqArmed = true
    irqT0 = stamp()
    preemptWaker.unsafelyUnwrapped.wake()
}

/// Thread mode: one poll of about 1,000,000 instructions (two halves of
/// `pollen_spin`, 2n + 2 instructions each), the software IRQ raised between them.
struct LongPoll: Future {
    var round: UInt32 = 0
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        longPollActive = true
        round &+= 1
        pollen_spin(longPollHalf)
        dither(round % 41)
        Board.pendSoftwareInterrupt()   // the hook runs now, in handler mode
        pollen_spin(longPollHalf)
        longPollActive = false
        context.waker.wake()
        return .pending
    }
}

/// Long polls until `samples` preemption samples are in. Returns (sum, count).
@inline(never)
func timePreemption(_ thread: PoolRef<LongPoll, 1>, samples: UInt32) -> (UInt32, UInt32) {
    resetIRQStats()
    while irqCount < samples { executorThread.runReady(thread) }
    return (irqSum, irqCount)
}

/// Starts the interrupt executor and the thread-mode long poll, then times
/// `preemptSamples` samples. Returns (sum, count) in SysTick cycles.
@inline(never)
func measurePreemption() -> (UInt32, UInt32) {
    let high: PreemptTasks
    do throws(InterruptLevelError) {
        high = try executorLevel.attach(&poolLevel)
        try executorLevel.start(on: Board.self, tasks: high)
    } catch {
        fail("interrupt executor")
    }
    guard let long = try? executorThread.attach(&poolThread) else { fail("attach long") }
    longPool = long
    guard (try? high.spawn(PreemptLatency())) != nil else { fail("spawn high") }   // first poll at once
    guard (try? long.spawn(LongPoll())) != nil else { fail("spawn long") }
    // The waking ISR runs at level 1, below the executor's level 2: the woken
    // task preempts the ISR itself, as a high-priority task woken by a device
    // interrupt of lower priority does.
    NVIC.setPriority(Board.softwareIRQ, Board.nvicPriority(ofLevel: 1))
    Board.setSoftwareInterruptHook(preemptHook)
    let result = timePreemption(long, samples: preemptSamples)
    NVIC.setPriority(Board.softwareIRQ, 0)
    Board.setSoftwareInterruptHook(nil)
    if preemptInsideLongPoll != result.1 { fail("preemption outside the long poll") }
    return result
}

/// The same with the level below the waking ISR: IRQ 23 at level 1, the
/// software IRQ at NVIC priority 0 (above every level). The task then runs when
/// the ISR returns (tail-chaining): the ISR's own tail is counted too.
@inline(never)
func measurePreemptionTail() -> (UInt32, UInt32) {
    let low: PreemptTasks
    do throws(InterruptLevelError) {
        low = try executorTail.attach(&poolTail)
        try executorTail.start(on: Board.self, tasks: low)
    } catch {
        fail("interrupt executor (tail)")
    }
    guard (try? low.spawn(PreemptLatency())) != nil else { fail("spawn tail") }   // records its waker
    preemptInsideLongPoll = 0
    Board.setSoftwareInterruptHook(preemptHook)
    let result = timePreemption(longPool.unsafelyUnwrapped, samples: preemptSamples)
    Board.setSoftwareInterruptHook(nil)
    if preemptInsideLongPoll != result.1 { fail("preemption outside the long poll (tail)") }
    return result
}

/// IRQ 23 (spare on both boards): the tail variant's interrupt executor.
@_cdecl("IRQ23_Handler")
func benchTailInterrupt() { executorTail.runInterrupt(on: Board.self) }

nonisolated(unsafe) var executorTail = InterruptExecutor<1, PreemptTasks>(name: "bench-tail", line: 23, level: 1)
nonisolated(unsafe) var poolTail = TaskPool<PreemptLatency, 1>(name: "tail")
/// The thread-mode long poll's pool, once attached.
nonisolated(unsafe) var longPool: PoolRef<LongPoll, 1>? = nil

typealias PreemptTasks = PoolRef<PreemptLatency, 1>
nonisolated(unsafe) var executorLevel = InterruptExecutor<1, PreemptTasks>(name: "bench-high", line: 22, level: 2)
nonisolated(unsafe) var poolLevel = TaskPool<PreemptLatency, 1>(name: "high")
nonisolated(unsafe) var executorThread = Executor<1>()
nonisolated(unsafe) var poolThread = TaskPool<LongPoll, 1>(name: "long")

/// IRQ 22 (spare on both boards): the bench's interrupt executor.
@_cdecl("IRQ22_Handler")
func benchLevelInterrupt() { executorLevel.runInterrupt(on: Board.self) }

#endif

// MARK: - Sizes

/// An 8-byte future, for the per-task overhead.
struct Small8: Future {
    var a: UInt32 = 0
    var b: UInt32 = 0
    mutating func poll(_ context: inout Context) -> Poll<Void> { .pending }
}

// MARK: - Storage (globals: invariant PINNED)

nonisolated(unsafe) var executorPair = Executor<1>()
nonisolated(unsafe) var poolPair = TaskPool<Relay, 2>(name: "pair")
nonisolated(unsafe) var executorOne = Executor<1>()
nonisolated(unsafe) var poolOne = TaskPool<Relay, 1>(name: "one")
nonisolated(unsafe) var executor32 = Executor<1>()
nonisolated(unsafe) var pool32 = TaskPool<Relay, 32>(name: "32")
nonisolated(unsafe) var executor256 = Executor<8>()
nonisolated(unsafe) var pool256 = TaskPool<Relay, 256>(name: "256")
nonisolated(unsafe) var executorPair8 = Executor<8>()
nonisolated(unsafe) var poolPair8 = TaskPool<Relay, 2>(name: "pair8")
nonisolated(unsafe) var executorRun = Executor<1>()
nonisolated(unsafe) var poolRun = TaskPool<Relay, 2>(name: "run")
nonisolated(unsafe) var executorIRQ = Executor<1>()
nonisolated(unsafe) var poolIRQ = TaskPool<Latency, 1>(name: "irq")

func fail(_ what: StaticString) -> Never {
    Board.write("bench: failed: "); Board.writeLine(what)
    Board.exit(1)
}

/// The hand-off figures. (Separate functions keep `main` small: this
/// toolchain's ARMv6-M backend aborts on a function of about 2 KiB with
/// "underestimated function size", see README.)
@inline(never)
func handoffFigures() {
    // Hand-offs.
    let n = handoffs
    let baseline = wide(countdownBaseline(n))
    note("countdown_baseline_cycles=", UInt32(truncatingIfNeeded: baseline))
    func perHandoff(_ cycles: UInt32) -> Int64 {
        hundredthsPerOp(cycles: wide(cycles) - baseline, count: n)
    }
    let pair = timeHandoffs(&executorPair, &poolPair, n)
    figure("handoff_instr", hundredths: perHandoff(pair.cycles))
    figure("handoff_instr_1", hundredths: perHandoff(timeHandoffs(&executorOne, &poolOne, n).cycles))
    figure("handoff_instr_32", hundredths: perHandoff(timeHandoffs(&executor32, &pool32, n).cycles))
    figure("handoff_instr_256", hundredths: perHandoff(timeHandoffs(&executor256, &pool256, n).cycles))
    figure("handoff_instr_2_exec8", hundredths: perHandoff(timeHandoffs(&executorPair8, &poolPair8, n).cycles))
    figure("handoff_run_instr", hundredths: perHandoff(timeHandoffsRun(n)))
    figure("floor_handoff_instr", hundredths: perHandoff(timeFloorHandoffs(n)))

    // Parts of the hand-off.
    guard let waker = executorPair.waker(forSlot: 0) else { fail("waker") }
    figure("wake_instr", hundredths: perHandoff(timeWakes(waker, n)))
    budget.store(0)
    while executorPair.runReady(pair.tasks) != 0 {}       // drain the woken bit
    figure("empty_pass_instr", hundredths: perHandoff(timeEmptyPasses(&executorPair, pair.tasks, n)))
}

/// The interrupt-to-poll figures, then preemption.
@inline(never)
func interruptFigures() {
    // Interrupt → poll.
    let stampCost = wide(timeStampPairs(irqSamples))
    figure("stamp_instr", hundredths: hundredthsPerOp(cycles: stampCost, count: irqSamples))
    guard let irqTasks = try? executorIRQ.attach(&poolIRQ) else { fail("attach irq") }
    guard (try? irqTasks.spawn(Latency())) != nil else { fail("spawn irq") }
    while executorIRQ.runReady(irqTasks) != 0 {}       // first poll: records the waker
    Board.setSoftwareInterruptHook(irqHook)
    func latency(_ result: (UInt32, UInt32)) -> Int64 {
        // sum − count × stamp cost, per sample; stamp cost is per `irqSamples` pairs.
        return hundredthsPerOp(cycles: wide(result.0) - stampCost * wide(result.1) / wide(irqSamples),
                        count: result.1)
    }
    figure("irq_to_poll_instr", hundredths: latency(timeIRQRun(irqTasks, .sleep)))
    figure("irq_to_poll_instr_busy", hundredths: latency(timeIRQRun(irqTasks, .busyPoll)))
    figure("irq_to_poll_instr_runready", hundredths: latency(timeIRQRunReady(&executorIRQ, irqTasks)))
    Board.setSoftwareInterruptHook(nil)

    // Interrupt → poll of a higher level, while thread mode is inside a long poll.
    // (Cortex-M only: interrupt executors have no RISC-V port yet.)
    #if !RISCV
    figure("preempt_latency_instr", hundredths: latency(measurePreemption()))
    figure("preempt_latency_instr_tail", hundredths: latency(measurePreemptionTail()))
    #endif
}

@main
struct Bench {
    static func main() {
        _ = Board.start()          // NVIC: the software interrupt
        startBenchClock()
        Board.write("# bench on "); Board.write(Board.name)
        #if RISCV
        Board.writeLine(", instructions = minstret differences (needs -icount shift=0)")
        #else
        Board.write(", instructions = SysTick cycles x 1e9 / ")
        Board.writeDecimal(Board.cpuHz); Board.writeLine(" (needs -icount shift=0)")
        #endif

        #if BENCH_TRACE
        _ = timeHandoffs(&executorPair, &poolPair, handoffs)
        _ = timeHandoffs(&executorPair8, &poolPair8, handoffs)
        guard let traceTasks = try? executorIRQ.attach(&poolIRQ) else { fail("attach irq") }
        guard (try? traceTasks.spawn(Latency())) != nil else { fail("spawn irq") }
        while executorIRQ.runReady(traceTasks) != 0 {}
        Board.setSoftwareInterruptHook(irqHook)
        _ = timeIRQRun(traceTasks, .sleep)
        #if !RISCV
        _ = measurePreemption()
        #endif
        Board.exit(0)
        #else
        handoffFigures()
        interruptFigures()

        // Sizes (this target's layout).
        Board.write(figurePrefix)
        figure("executor_ram_bytes_32", MemoryLayout<Executor<1>>.size)
        Board.write(figurePrefix)
        figure("executor_ram_bytes_256", MemoryLayout<Executor<8>>.size)
        let slot = (MemoryLayout<TaskPool<Small8, 64>>.size - MemoryLayout<TaskPool<Small8, 32>>.size) / 32
        Board.write(figurePrefix)
        figure("slot_bytes_8", slot)
        Board.write(figurePrefix)
        figure("per_task_overhead_bytes", slot - MemoryLayout<Small8>.size + 1)
        // The scheduler's whole RAM for 8 and 32 tasks of an 8-byte future, the
        // futures themselves left out: the executor plus one pool's slots and
        // bookkeeping (what lilos's and embassy's per-task figures compare with).
        Board.write(figurePrefix)
        figure("scheduler_ram_bytes_8", MemoryLayout<Executor<1>>.size
               + MemoryLayout<TaskPool<Small8, 8>>.size - 8 * MemoryLayout<Small8>.size)
        Board.write(figurePrefix)
        figure("scheduler_ram_bytes_32", MemoryLayout<Executor<1>>.size
               + MemoryLayout<TaskPool<Small8, 32>>.size - 32 * MemoryLayout<Small8>.size)
        Board.write(figurePrefix)
        figure("waker_bytes", MemoryLayout<Waker>.size)
        Board.write(figurePrefix)
        figure("wake_group_bytes", MemoryLayout<WakeGroup>.size)
        Board.write(figurePrefix)
        figure("executor_core_bytes", MemoryLayout<ExecutorCore>.size)
        Board.exit(0)
        #endif
    }
}
