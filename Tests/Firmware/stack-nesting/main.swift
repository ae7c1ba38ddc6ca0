// stack-nesting — a task nested `depth` levels deep (8 on the mps2-an386, 4 on
// the micro:bit and the hifive1), each level a `steps` sequence around a
// `select` and a `join` of timers, with the next level inside the join. It
// prints the task's size, the stack high-water mark after the spawn and after
// the run, and the image's `.text`, and checks issue 17's targets:
//   - building and spawning take at most task size + 512 B: the task is built
//     in its slot (`Board.mustSpawn(nested) { Nested() }`), every `steps` link
//     builds its stage in place (`Stage2(first:)`; `SequencedPerform` fills
//     its optional with `initializeSome`), and stage combinators are
//     ~Copyable, so no link is ever copied. Before: 1,232 B for the 244-byte
//     task at depth 8 on the mps2-an386 (spawning a value, `spawn(Nested())`,
//     still costs one copy of the task: 856 B);
//   - the run takes at most task size + 512 B + 64 B per level: the live stage
//     of every level is polled where it lies, and the next stage is built in
//     the bytes the finished one leaves (Stage.swift). Before: 1,824 B;
//   - `Board/nesting-text` builds depth 1 as well and checks that `.text` grows
//     by at most 2 KiB per level.
// The high-water mark counts everything since reset: start-up, the pool's
// initialisation, the capacity check, interrupt handlers on the same stack.

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...)

/// Levels that completed (each level's last step counts itself).
nonisolated(unsafe) var levelsDone: UInt32 = 0

/// A level of the nesting: it builds itself from nothing.
protocol NestingLevel: Future<Void>, ~Copyable {
    init()
}

/// The steps of one level around the `Inner` level. Spelled out, not
/// `some Future`: a `some Future` stored property whose type holds another
/// `some Future` crashes the embedded compiler's serialization pass (swiftc
/// 6.3.1; README, "Decisions worth knowing").
typealias LevelSteps<Inner: Future<Void> & ~Copyable> =
    SequencedPerform<Sequenced<Deferred<Select2<Timer, Timer>>, Join2<Timer, Inner>>>

/// Level 1, the innermost: a select and a join of timers.
struct Innermost: NestingLevel, ~Copyable {
    var body: LevelSteps<Timer> = steps {
        select(Timer.after(.milliseconds(2)), Timer.after(.milliseconds(1)))
        join(Timer.after(.milliseconds(1)), Timer.after(.milliseconds(2)))
        levelsDone &+= 1
    }

    mutating func poll(_ context: inout Context) -> Poll<Void> { body.poll(&context) }
}

// One struct per level, not a generic `Level<Inner>`: a closure in a generic
// context counts as capturing for -no-allocations (see SequentialBuilder).

/// Level 2: a select of timers, then a join of a timer and level 1.
struct Level2: NestingLevel, ~Copyable {
    var body: LevelSteps<Innermost> = steps {
        select(Timer.after(.milliseconds(2)), Timer.after(.milliseconds(1)))
        join(Timer.after(.milliseconds(1)), Innermost())
        levelsDone &+= 1
    }

    mutating func poll(_ context: inout Context) -> Poll<Void> { body.poll(&context) }
}

/// Level 3: a select of timers, then a join of a timer and level 2.
struct Level3: NestingLevel, ~Copyable {
    var body: LevelSteps<Level2> = steps {
        select(Timer.after(.milliseconds(2)), Timer.after(.milliseconds(1)))
        join(Timer.after(.milliseconds(1)), Level2())
        levelsDone &+= 1
    }

    mutating func poll(_ context: inout Context) -> Poll<Void> { body.poll(&context) }
}

/// Level 4: a select of timers, then a join of a timer and level 3.
struct Level4: NestingLevel, ~Copyable {
    var body: LevelSteps<Level3> = steps {
        select(Timer.after(.milliseconds(2)), Timer.after(.milliseconds(1)))
        join(Timer.after(.milliseconds(1)), Level3())
        levelsDone &+= 1
    }

    mutating func poll(_ context: inout Context) -> Poll<Void> { body.poll(&context) }
}

/// Level 5: a select of timers, then a join of a timer and level 4.
struct Level5: NestingLevel, ~Copyable {
    var body: LevelSteps<Level4> = steps {
        select(Timer.after(.milliseconds(2)), Timer.after(.milliseconds(1)))
        join(Timer.after(.milliseconds(1)), Level4())
        levelsDone &+= 1
    }

    mutating func poll(_ context: inout Context) -> Poll<Void> { body.poll(&context) }
}

/// Level 6: a select of timers, then a join of a timer and level 5.
struct Level6: NestingLevel, ~Copyable {
    var body: LevelSteps<Level5> = steps {
        select(Timer.after(.milliseconds(2)), Timer.after(.milliseconds(1)))
        join(Timer.after(.milliseconds(1)), Level5())
        levelsDone &+= 1
    }

    mutating func poll(_ context: inout Context) -> Poll<Void> { body.poll(&context) }
}

/// Level 7: a select of timers, then a join of a timer and level 6.
struct Level7: NestingLevel, ~Copyable {
    var body: LevelSteps<Level6> = steps {
        select(Timer.after(.milliseconds(2)), Timer.after(.milliseconds(1)))
        join(Timer.after(.milliseconds(1)), Level6())
        levelsDone &+= 1
    }

    mutating func poll(_ context: inout Context) -> Poll<Void> { body.poll(&context) }
}

/// Level 8: a select of timers, then a join of a timer and level 7.
struct Level8: NestingLevel, ~Copyable {
    var body: LevelSteps<Level7> = steps {
        select(Timer.after(.milliseconds(2)), Timer.after(.milliseconds(1)))
        join(Timer.after(.milliseconds(1)), Level7())
        levelsDone &+= 1
    }

    mutating func poll(_ context: inout Context) -> Poll<Void> { body.poll(&context) }
}

#if NESTING_DEPTH_1
let depth: UInt32 = 1
typealias Outermost = Innermost
#elseif NESTING_DEPTH_4
let depth: UInt32 = 4
typealias Outermost = Level4
#else
let depth: UInt32 = 8
typealias Outermost = Level8
#endif

/// The nested task: the outermost level, then the report.
struct Nested: Future, ~Copyable {
    var body = Outermost()

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        guard case .ready = body.poll(&context) else { return .pending }
        report()
    }
}

public let pollenTaskSize_Nested = MemoryLayout<Nested>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var nesteds = TaskPool<Nested, 1>(name: "nested")
nonisolated(unsafe) var timerQueue = TimerQueue<1>()
nonisolated(unsafe) var afterSpawn: UInt32 = 0

func report() -> Never {
    let afterRun = Board.stackHighWaterBytes
    let size = UInt32(truncatingIfNeeded: MemoryLayout<Nested>.size)
    Board.log("depth \(depth): task \(size) bytes, stack after spawn \(afterSpawn) bytes, after run \(afterRun) bytes, .text \(Board.textBytes) bytes")
    check("every level ran", levelsDone == depth, levelsDone)
    check("building and spawning take <= task size + 512", afterSpawn <= size + 512, afterSpawn)
    check("the run takes <= task size + 512 + 64 per level", afterRun <= size + 512 + 64 * depth, afterRun)
    Board.exit(0)
}

@main
struct StackNesting {
    static func main() {
        var platform = Board.startClock()
        do throws(CapacityError) {
            let nested = try executor.attach(&nesteds)
            executor.attach(timers: &timerQueue)
            Board.mustSpawn(nested) { Nested() }   // built in its slot
            afterSpawn = Board.stackHighWaterBytes
            executor.run(on: &platform, idle: .sleep, tasks: tasks(nested))
        } catch { Board.fail(error) }
    }
}
