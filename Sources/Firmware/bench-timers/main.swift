// bench-timers: how late timers fire on the tickless clock. Run by ./Board/bench as
//
//     qemu-system-arm -M <board> -icount shift=6,sleep=off ... -kernel bench-timers.elf
//
// and prints `name=value` lines (prefix `m4_` on the mps2-an386, `m0_` on the
// micro:bit), then exits 0.
//
// Two runs of 1,000 timers, every deadline `context.now` + a pseudo-random
// delay of 100 µs ... 100 ms (xorshift, fixed seed, so every run is the same):
//   - `timer_late_us_max`: one task waiting on one timer after another (its
//     deadline in the executor's deadline register, as blinky's): the timer
//     path itself, alarm to poll;
//   - `timer_late_us_max_8tasks`: 8 tasks doing the same at once, with a
//     TimerQueue of 8 (an exact deadline per task): deadlines that fall close
//     together also wait for the other tasks' polls and the queue's scans.
// A timer's lateness is `Board.now()` at the start of the poll in which it
// completes, minus its deadline: alarm latency, the idle loop, the pass (and
// the other polls). The figures are the worst of the 1,000, and the mean.
//
// Why `-icount shift=6`: each instruction then takes 64 ns of virtual time, a
// core of 15.6 million instructions per second, while the board's timers run
// at their real rates. That is slower than the mps2-an386's 25 MHz Cortex-M4
// and close to the micro:bit's 16 MHz Cortex-M0 (QEMU charges no time for
// exception entry, which costs 12–16 cycles on silicon), so the lateness on
// the Cortex-M4 is overstated rather than understated. (`shift=0`, 1 ns per
// instruction, would make the core 40 times faster than the board's.)

import Pollen
import PollenBoardMinimal

#if ARMV6M
let figurePrefix: StaticString = "m0_"
#else
let figurePrefix: StaticString = "m4_"
#endif

/// Timers in the run.
let timerCount: UInt32 = 1_000

nonisolated(unsafe) var started: UInt32 = 0
nonisolated(unsafe) var finished: UInt32 = 0
nonisolated(unsafe) var early: UInt32 = 0
nonisolated(unsafe) var worstLateness: UInt64 = 0
nonisolated(unsafe) var totalLateness: UInt64 = 0
nonisolated(unsafe) var seed: UInt32 = 0x2545_F491

/// 100 ... 100,000 µs, pseudo-random (xorshift32).
func nextDelay() -> Duration {
    seed ^= seed &<< 13
    seed ^= seed &>> 17
    seed ^= seed &<< 5
    return .microseconds(100 &+ UInt64(_truncatingBits: UInt(seed % 99_901)))
}

/// Waits on one timer after another until `timerCount` have been started.
struct LateTimer: Future {
    var timer: Timer? = nil

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        let now = Board.now()
        while true {
            if let deadline = timer?.deadline {
                guard case .ready = timer!.poll(&context) else { return .pending }
                if now < deadline { early &+= 1 }
                let late = (now - deadline).ticks
                if late > worstLateness { worstLateness = late }
                totalLateness &+= late
                finished &+= 1
                timer = nil
            }
            guard started < timerCount else { return .pending }
            started &+= 1
            timer = .at(context.now + nextDelay())
        }
    }
}

public let pollenTaskSize_LateTimer = MemoryLayout<LateTimer>.size

/// Prints one run's figures, `suffix` after each name.
func report(_ suffix: StaticString) {
    func name(_ base: StaticString) {
        Board.write(figurePrefix); Board.write(base); Board.write(suffix); Board.writeByte(0x3D)
    }
    name("timer_late_us_max"); Board.writeDecimal(UInt32(truncatingIfNeeded: worstLateness)); Board.writeByte(0x0A)
    let meanTenths = totalLateness &* 10 / UInt64(_truncatingBits: UInt(timerCount))
    name("timer_late_us_mean")
    Board.writeDecimal(UInt32(truncatingIfNeeded: meanTenths / 10)); Board.writeByte(0x2E)
    Board.writeDecimal(UInt32(truncatingIfNeeded: meanTenths % 10)); Board.writeByte(0x0A)
    name("timer_early_count"); Board.writeDecimal(early); Board.writeByte(0x0A)
    name("timer_idle_wakeups"); Board.writeDecimal(Board.idleWakeups &- wakeupsBefore); Board.writeByte(0x0A)
}

nonisolated(unsafe) var wakeupsBefore: UInt32 = 0

/// Resets the counts for the next run.
func resetRun() {
    started = 0
    finished = 0
    early = 0
    worstLateness = 0
    totalLateness = 0
    wakeupsBefore = Board.idleWakeups
}

/// `CortexMPlatform`, ending `run` once every timer of the run has fired.
struct RunPlatform: Platform {
    var inner = CortexMPlatform()
    mutating func now() -> Instant { inner.now() }
    mutating func idle(until deadline: Instant?, strategy: IdleStrategy,
                       isStillIdle: () -> Bool) -> IdleOutcome {
        if finished >= timerCount { return .stop }
        return inner.idle(until: deadline, strategy: strategy, isStillIdle: isStillIdle)
    }
}

nonisolated(unsafe) var executorOne = Executor<1>()
nonisolated(unsafe) var oneTimer = TaskPool<LateTimer, 1>(name: "one")
nonisolated(unsafe) var executorEight = Executor<1>()
nonisolated(unsafe) var eightTimers = TaskPool<LateTimer, 8>(name: "eight")
nonisolated(unsafe) var timerQueue = TimerQueue<8>()

@main
struct BenchTimers {
    static func main() {
        _ = Board.startClock()
        var platform = RunPlatform()
        let one: PoolRef<LateTimer, 1>
        let eight: PoolRef<LateTimer, 8>
        do throws(CapacityError) {
            one = try executorOne.attach(&oneTimer)
            eight = try executorEight.attach(&eightTimers)
        } catch {
            Board.fail(error)
        }
        executorEight.attach(timers: &timerQueue)

        resetRun()
        _ = try? one.spawn(LateTimer())
        executorOne.run(on: &platform, idle: .sleep, tasks: one)
        report("")
        let earlyOne = early

        resetRun()
        for _ in 0..<8 { _ = try? eight.spawn(LateTimer()) }
        executorEight.run(on: &platform, idle: .sleep, tasks: eight)
        report("_8tasks")
        Board.exit(early == 0 && earlyOne == 0 ? 0 : 1)
    }
}
