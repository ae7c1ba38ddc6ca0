@testable import Pollen
import PollenHost
import Testing

/// Logs "poll <name>" on every poll; completes at its timer, logging the virtual time.
struct CountingNap: Future {
    let name: String
    let trace: Trace
    var timer: Timer
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        trace.log("poll \(name)")
        guard case .ready = timer.poll(&context) else { return .pending }
        trace.log("\(name) at \(context.now.ticks)")
        return .ready(())
    }
}

extension Trace {
    /// How many times each entry starting with `prefix` was logged.
    func counts(prefix: String) -> [String: Int] {
        Dictionary(entries.filter { $0.hasPrefix(prefix) }.map { ($0, 1) }, uniquingKeysWith: +)
    }
}

@Suite("Deadline register: timers without a TimerQueue")
struct DeadlineRegisterTests {
    @Test("without a queue every timer still fires exactly at its deadline, in order; later ones are polled early")
    func timersWithoutQueue() {
        let trace = Trace()
        let rig = Rig<CountingNap, 4>()   // no attach(timers:)
        for (name, ms) in [("c", 30), ("a", 10), ("b", 20)] {
            rig.spawn(CountingNap(name: name, trace: trace, timer: .after(.milliseconds(UInt64(ms)))))
        }
        var platform = SimulatedPlatform()
        rig.run(on: &platform)
        #expect(trace.entries.filter { !$0.hasPrefix("poll ") } == ["a at 10000", "b at 20000", "c at 30000"])
        #expect(platform.sleeps == 3)   // one sleep per distinct deadline, as with a queue
        // The register's cost: each time the earliest deadline passes, every
        // registered task is polled. c: first poll, at 10 ms, at 20 ms, at 30 ms.
        #expect(trace.counts(prefix: "poll ") == ["poll a": 2, "poll b": 3, "poll c": 4])
        #expect(rig.executor.pointee.timerOverflows == 0)   // no queue: nothing overflows
        var report = StringOutput()
        rig.executor.pointee.describeTimerQueue(to: &report)
        #expect(report.text == "timer queue: none; deadlines wait in the deadline register (each time the earliest passes, every task waiting on time is polled)\n")
    }

    @Test("one ticker on the register alone: one wake and one poll per period, no drift over 1,000 periods")
    func tickerOnRegister() {
        struct Beat: Future {
            var ticker = Ticker(period: .milliseconds(7))
            let beats: Trace
            mutating func poll(_ context: inout Context) -> Poll<Void> {
                beats.log("poll")
                while case .ready = ticker.poll(&context) {
                    beats.log("beat")
                    if ticker.count == 1_000 { return .ready(()) }
                }
                return .pending
            }
        }
        let beats = Trace()
        let rig = Rig<Beat, 1>()
        rig.spawn(Beat(beats: beats))
        var platform = SimulatedPlatform()
        rig.run(on: &platform)
        let counts = beats.counts(prefix: "")
        #expect(counts["beat"] == 1_000)
        #expect(counts["poll"] == 1_001)   // the first poll, then one per period
        #expect(platform.sleeps == 1_000)
        #expect(platform.now().ticks == 7_000_000)   // exactly on the grid
    }

    @Test("a fresh Executor<1> is all zero bytes, so a global one needs no initial image (firmware .bss)")
    func executorIsZeroInitialised() {
        // Initialise one executor over 0x00 bytes and one over 0xFF bytes: a byte the
        // initializer writes is the same in both and must be 0; a byte it leaves
        // alone (padding) keeps the fill, and is zero in .bss anyway.
        let size = MemoryLayout<Executor<1>>.size
        func image(fill: UInt8) -> [UInt8] {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<Executor<1>>.alignment)
            raw.initializeMemory(as: UInt8.self, repeating: fill, count: size)
            raw.bindMemory(to: Executor<1>.self, capacity: 1).initialize(to: Executor<1>())
            return Array(UnsafeRawBufferPointer(start: raw, count: size))   // leaked: a test
        }
        let zeroFilled = image(fill: 0x00), oneFilled = image(fill: 0xFF)
        // The bytes between the wake groups and the core are padding; a copy out of a
        // temporary may carry stale stack bytes there (seen under ASan), so they are
        // not judged. A global in .bss has them zero anyway.
        let groupsEnd = MemoryLayout<ExecutorHead>.stride + MemoryLayout<InlineArray<1, WakeGroup>>.size
        let padding = groupsEnd..<Executor<1>.coreOffset
        let written = (0..<size).filter { !padding.contains($0) && zeroFilled[$0] == oneFilled[$0] }
        #expect(written.allSatisfy { zeroFilled[$0] == 0 })
        #expect(written.count >= size - 16)            // at most a little padding
        let executor = Pinned(Executor<1>())
        #expect(executor.pointee.nextDeadline == nil)   // the zero pattern reads as "no deadline"
        #expect(executor.pointee.ramBudget == nil)
        #expect(executor.pointee.core.groupCount == 1)
        let budgeted = Pinned(Executor<2>(ramBudget: 0))
        #expect(budgeted.pointee.ramBudget == 0)
        #expect(budgeted.pointee.core.groupCount == 2)
    }

    @Test("slot i's generation is byte i of the group's generation words (the byte view matches the storage)")
    func generationBytes() {
        let group = Pinned(WakeGroup())
        let pointer = UnsafePointer(group.address)
        pointer.setGeneration(bit: 5, 7)
        pointer.setGeneration(bit: 31, 0xAB)
        #expect(pointer.generation(bit: 5) == 7 && pointer.generation(bit: 31) == 0xAB && pointer.generation(bit: 4) == 0)
        #expect(group.pointee.generationWords[1] == 7 << 8)
        #expect(group.pointee.generationWords[7] == 0xAB << 24)
        // (Were the byte view not on the words themselves, it would write
        // elsewhere and these loads would read 0.)
    }
}

@Suite("Timer queue: dropped deadlines")
struct DroppedDeadlineTests {
    /// Registers a 50 ms deadline on its first poll and asks to be polled again;
    /// on the second poll it no longer waits on time (a timer dropped by a
    /// `select`, or a `Timeout` whose future won).
    struct DropsItsTimer: Future {
        var polls = 0
        var timer = Timer.after(.milliseconds(50))
        mutating func poll(_ context: inout Context) -> Poll<Void> {
            polls += 1
            if polls == 1 {
                _ = timer.poll(&context)
                context.waker.wake()
            }
            return .pending
        }
    }

    @Test("when the last queue entry is dropped, no deadline is left behind to keep the executor awake")
    func lastEntryDropped() {
        let rig = Rig<DropsItsTimer, 1>()
        let timers = Pinned(TimerQueue<2>())
        rig.executor.pointee.attach(timers: &timers.pointee)
        rig.spawn(DropsItsTimer())
        rig.pass()
        #expect(rig.executor.pointee.armedTimers == 1)
        #expect(rig.executor.pointee.nextDeadline == Instant(ticks: 50_000))
        rig.pass()
        #expect(rig.executor.pointee.armedTimers == 0)
        #expect(rig.executor.pointee.nextDeadline == nil)
        // The run loop then sleeps until something else happens: here nothing does,
        // so the simulated platform stops at once, without a single timed wake-up.
        // (Guarded: with a stale deadline in the past the loop would never sleep,
        // and the test would hang instead of failing.)
        guard rig.executor.pointee.nextDeadline == nil else { return }
        var platform = SimulatedPlatform()
        rig.run(on: &platform)
        #expect(platform.sleeps == 0 && platform.now() == .zero)
    }
}
