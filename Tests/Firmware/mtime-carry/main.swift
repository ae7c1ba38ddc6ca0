// mtime-carry — RISC-V only: the clock across a carry out of mtime's low word,
// with high bits set, so every digit of RISCVPlatform's division is exercised.
// mtime is preset (the CLINT lets software write it) 20 ms before the carry,
// at 0x1234_5678_FFFC_F2C0 ticks; then, for 60 ms of it:
//   - `Board.now()` never goes back and always equals mtime / 10 computed by
//     the library division (__udivdi3, Board/riscv/libgcc.c), read between two
//     raw mtime readings;
//   - a 5 ms `Ticker` under the real `Executor.run` fires 12 times, never
//     before its deadline, and its 12 periods take 60 ms (+ at most 1 ms).
// One line per check; exits 0.

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)

/// mtime at the start: 200,000 ticks (20 ms) before the low word carries.
let presetTicks: UInt64 = 0x1234_5678_FFFC_F2C0

nonisolated(unsafe) var ticks: UInt32 = 0
nonisolated(unsafe) var early = false
nonisolated(unsafe) var started = Instant.zero

/// Counts 12 periods of 5 ms, checking each against the clock.
struct Periods: Future {
    var ticker = Ticker(period: .milliseconds(5))
    var deadline = Instant.zero

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        if ticks == 0 && deadline == .zero {
            started = context.now
            deadline = started
        }
        while case .ready = ticker.poll(&context) {
            ticks &+= 1
            deadline = deadline + .milliseconds(5)
            if Board.now() < deadline { early = true }
            if ticks == 12 {
                let elapsed = Board.now() - started
                check("ticker across the carry: 12 periods, none early", !early)
                check("ticker across the carry: 12 x 5 ms take 60 ms (+ at most 1 ms)",
                      elapsed >= .milliseconds(60) && elapsed <= .milliseconds(61),
                      UInt32(truncatingIfNeeded: elapsed.ticks))
                Board.exit(0)
            }
        }
        return .pending
    }
}

public let pollenTaskSize_Periods = MemoryLayout<Periods>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var periods = TaskPool<Periods, 1>(name: "periods")

@main
struct MTimeCarry {
    static func main() {
        var platform = Board.startTicks()
        CLINT.presetTimeForTesting(presetTicks)
        check("mtime preset below the carry", CLINT.time >= presetTicks && CLINT.time < presetTicks + 200_000)

        // The conversion, against the library division, across the carry.
        var previous = Board.now()
        var agrees = true
        var monotonic = true
        var samples: UInt32 = 0
        while CLINT.time < presetTicks + 400_000 {    // 20 ms past the carry
            let before = CLINT.time
            let now = Board.now()
            let after = CLINT.time
            if now.ticks < before / 10 || now.ticks > after / 10 { agrees = false }
            if RISCVPlatform<Board>.divide(before, by: 10) != before / 10 { agrees = false }
            if now < previous { monotonic = false }
            previous = now
            samples &+= 1
        }
        check("the clock crossed the carry", CLINT.time &>> 32 == 0x1234_5679)
        check("Board.now() is mtime / 10 on both sides of the carry", agrees && samples > 100, samples)
        check("Board.now() never goes back", monotonic)

        let task: PoolRef<Periods, 1>
        do throws(CapacityError) {
            task = try executor.attach(&periods)
        } catch {
            Board.fail(error)
        }
        spawn(task, Periods())
        CLINT.presetTimeForTesting(presetTicks)
        executor.run(on: &platform, idle: .sleep, tasks: task)
    }
}
