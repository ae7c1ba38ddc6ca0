// steps-control-flow — loop, repeating and when inside steps, on the real targets:
// a task that blinks in bursts, decided per round by a flag an earlier step sets,
// with no hand-written poll. One line per check; exits 0.

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)

nonisolated(unsafe) var rounds: UInt32 = 0
nonisolated(unsafe) var longFlashes: UInt32 = 0
nonisolated(unsafe) var shortFlashes: UInt32 = 0

/// Every 10 ms: odd rounds flash twice (short), even rounds once (long). The
/// task's type is that of the steps; `some Future` keeps it out of sight.
struct Bursts: Future, ~Copyable {
    var body: some Future<Never> & ~Copyable = loop {
        Timer.after(.milliseconds(10))
        rounds &+= 1
        when(rounds & 1 == 0) {
            Timer.after(.milliseconds(3))
            longFlashes &+= 1
        } otherwise: {
            repeating(2) {
                Timer.after(.milliseconds(1))
                shortFlashes &+= 1
            }
        }
    }

    mutating func poll(_ context: inout Context) -> Poll<Never> { body.poll(&context) }
}

public let pollenTaskSize_Bursts = MemoryLayout<Bursts>.size

/// Stops the run after 106 ms of virtual time and checks the counts.
struct Referee: Future {
    var deadline = Timer.after(.milliseconds(106))
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        guard case .ready = deadline.poll(&context) else { return .pending }
        // Rounds take 10 ms plus 3 ms (even) or 2 ms (odd): 8 rounds end by 100 ms
        // (at 12, 25, 37, 50, 62, 75, 87, 100 ms; the 9th starts at 110 ms). The
        // referee looks at 106 ms, between two rounds: at 100 ms it raced the
        // 8th round's last timer, which a microsecond clock (hifive1) puts a few
        // microseconds later than the referee's. (7: a board whose timers run
        // late by more than 6 ms in all.)
        check("loop: rounds follow each other, each after its own timers", rounds == 7 || rounds == 8, rounds)
        check("when: even rounds take the first branch", longFlashes == rounds / 2, longFlashes)
        check("repeating: odd rounds flash twice", shortFlashes == (rounds - rounds / 2) * 2, shortFlashes)
        Board.exit(0)
    }
}

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var blinkers = TaskPool<Bursts, 1>(name: "bursts")
nonisolated(unsafe) var referees = TaskPool<Referee, 1>(name: "referee")

@main
struct StepsControlFlow {
    static func main() {
        var platform = Board.startTicks()
        let blink: PoolRef<Bursts, 1>
        let referee: PoolRef<Referee, 1>
        do throws(CapacityError) {
            blink = try executor.attach(&blinkers)
            referee = try executor.attach(&referees)
            try executor.check(tasks(blink, referee))
        } catch {
            Board.fail(error)
        }
        spawn(blink, Bursts())
        spawn(referee, Referee())
        executor.run(on: &platform, idle: .sleep, tasks: tasks(blink, referee))
    }
}
