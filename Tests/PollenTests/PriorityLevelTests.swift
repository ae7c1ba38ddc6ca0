import MallocCounter
import Pollen
import PollenHost
import Synchronization
import Testing

// Preemptive priority levels on the host: executors bound to lines of a
// `SimulatedInterruptController` in preemptive mode (the host twin of the board's
// `InterruptExecutor`). A wake from a less urgent context runs the woken task's
// executor at once, nested inside the wake; a thread-mode task that advances the
// virtual clock inside one poll (a simulated CPU hog) is preempted by the timers
// of higher levels exactly when they come due.

/// A 1 ms heartbeat that records how late each beat ran (virtual time) and at
/// which priority and nesting depth.
struct SimHeartbeat: Future {
    var ticker = Ticker(period: .milliseconds(1))
    let stats: UnsafeMutablePointer<BeatStats>
    let interrupts: SimulatedInterruptController
    let clock: VirtualClock
    let beats: Int

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while true {
            let due = ticker.next
            guard case .ready(let periods) = ticker.poll(&context) else { return .pending }
            if let due { stats.pointee.worstLateness = max(stats.pointee.worstLateness, clock.now.ticks - due.ticks) }
            stats.pointee.missed += Int(periods) - 1
            stats.pointee.beats += 1
            if interrupts.currentPriority != 1 { stats.pointee.wrongPriority += 1 }
            if stats.pointee.hogRunning { stats.pointee.duringHog += 1 }
            if stats.pointee.beats == beats { return .ready(()) }
        }
    }
}

struct BeatStats {
    var beats = 0
    var missed = 0
    var worstLateness: UInt64 = 0
    var wrongPriority = 0
    var duringHog = 0
    var hogRunning = false
}

/// Thread mode: ONE poll that advances the virtual clock by `span` in `step`s,
/// as a CPU-bound computation would let time pass.
struct SimHog: Future {
    let clock: VirtualClock
    let span: Duration
    let step: Duration
    let stats: UnsafeMutablePointer<BeatStats>

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        stats.pointee.hogRunning = true
        let end = clock.now + span
        while clock.now < end { clock.advance(by: step) }
        stats.pointee.hogRunning = false
        return .ready(())
    }
}

@Suite("Priority levels: executors in simulated interrupt handlers")
struct PriorityLevelTests {
    @Test("a 1 ms heartbeat at level 1 beats 2000 times, each within one clock step, inside one 2 s thread-mode poll")
    func heartbeatDuringHog() {
        let interrupts = SimulatedInterruptController(lineCount: 8, mode: .preemptive)
        var platform = SimulatedPlatform(interrupts: interrupts)
        let clock = platform.clock
        let stats = UnsafeMutablePointer<BeatStats>.allocate(capacity: 1)
        stats.initialize(to: BeatStats())

        let thread = Pinned(Executor<1>())
        let hogs = Pinned(TaskPool<SimHog, 1>(name: "hog"))
        let hog = try! thread.pointee.attach(&hogs.pointee)
        let urgent = Pinned(Executor<1>())
        let beats = Pinned(TaskPool<SimHeartbeat, 1>(name: "heartbeat"))
        let beat = try! urgent.pointee.attach(&beats.pointee)
        let level = interrupts.bind(urgent, tasks: beat, line: 3, priority: 1, clock: clock)

        try! beat.spawn(SimHeartbeat(stats: stats, interrupts: interrupts, clock: clock, beats: 2000))
        try! hog.spawn(SimHog(clock: clock, span: .seconds(2), step: .microseconds(10), stats: stats))
        thread.pointee.run(on: &platform, idle: .sleep, tasks: hog)

        #expect(stats.pointee.beats == 2000)
        #expect(stats.pointee.duringHog == 2000)     // every beat preempted the hog's one poll
        #expect(stats.pointee.missed == 0)
        #expect(stats.pointee.worstLateness <= 10)   // one clock step
        #expect(stats.pointee.wrongPriority == 0)
        #expect(level.rounds >= 2000)
        #expect(interrupts.maximumNesting == 1)
    }

    @Test("the same heartbeat on the thread executor misses every beat of the hog (what levels fix)")
    func heartbeatWithoutLevels() {
        let interrupts = SimulatedInterruptController(lineCount: 8, mode: .preemptive)
        var platform = SimulatedPlatform(interrupts: interrupts)
        let clock = platform.clock
        let stats = UnsafeMutablePointer<BeatStats>.allocate(capacity: 1)
        stats.initialize(to: BeatStats())
        let thread = Pinned(Executor<1>())
        let hogs = Pinned(TaskPool<SimHog, 1>(name: "hog"))
        let beats = Pinned(TaskPool<SimHeartbeat, 1>(name: "heartbeat"))
        let beat = try! thread.pointee.attach(&beats.pointee)
        let hog = try! thread.pointee.attach(&hogs.pointee)
        try! beat.spawn(SimHeartbeat(stats: stats, interrupts: interrupts, clock: clock, beats: 3))
        try! hog.spawn(SimHog(clock: clock, span: .seconds(2), step: .microseconds(10), stats: stats))
        thread.pointee.run(on: &platform, idle: .sleep, tasks: tasks(beat, hog))
        #expect(stats.pointee.duringHog == 0)
        #expect(stats.pointee.worstLateness >= 1_998_000)
    }

    @Test("a thread task's wake of a level-1 task runs it inside the wake; a level-1 wake of level 2 runs after it")
    func wakeOrderAcrossLevels() {
        let trace = Trace()
        let interrupts = SimulatedInterruptController(lineCount: 8, mode: .preemptive)
        let clock = VirtualClock()
        let box1 = makeWakerBox(), box2 = makeWakerBox()

        let low = Pinned(Executor<1>())      // level 2: priority 2 (less urgent)
        let lowPool = Pinned(TaskPool<Scripted, 1>(name: "low"))
        let lowTasks = try! low.pointee.attach(&lowPool.pointee)
        let high = Pinned(Executor<1>())     // level 1: priority 1
        let highPool = Pinned(TaskPool<Scripted, 1>(name: "high"))
        let highTasks = try! high.pointee.attach(&highPool.pointee)
        interrupts.bind(low, tasks: lowTasks, line: 2, priority: 2, clock: clock)
        interrupts.bind(high, tasks: highTasks, line: 1, priority: 1, clock: clock)

        try! lowTasks.spawn(Scripted("low", trace) { polls, context in
            box2.pointee = context.waker
            trace.log("low at priority \(interrupts.currentPriority)")
            return .pending
        })
        try! highTasks.spawn(Scripted("high", trace) { polls, context in
            box1.pointee = context.waker
            trace.log("high at priority \(interrupts.currentPriority)")
            if polls == 2 {
                trace.log("high wakes low")
                box2.pointee!.wake()
                trace.log("high returns")
            }
            return .pending
        })
        trace.entries.removeAll()

        // Thread context (priority: thread) wakes the level-1 task.
        trace.log("thread wakes high")
        box1.pointee!.wake()
        trace.log("thread continues")
        #expect(trace.entries == [
            "thread wakes high",
            "poll high", "high at priority 1",   // preempted the thread inside wake()
            "high wakes low",
            "high returns",                      // low is less urgent: it waits for the handler
            "poll low", "low at priority 2",     // tail-chained after high's round returned
            "thread continues",
        ])
        #expect(interrupts.maximumNesting == 1)
    }

    @Test("a stale waker across levels: the level-1 task ended, its waker wakes nothing, the slot's next task is not polled by it")
    func staleWakerAcrossLevels() {
        let trace = Trace()
        let interrupts = SimulatedInterruptController(lineCount: 8, mode: .preemptive)
        let clock = VirtualClock()
        let box = makeWakerBox()
        let high = Pinned(Executor<1>())
        let pool = Pinned(TaskPool<Scripted, 1>(name: "high"))
        let highTasks = try! high.pointee.attach(&pool.pointee)
        let level = interrupts.bind(high, tasks: highTasks, line: 1, priority: 1, clock: clock)
        try! highTasks.spawn(Scripted("first", trace) { _, context in
            box.pointee = context.waker
            return .ready(1)
        })
        #expect(trace.entries == ["poll first"])   // spawned from the thread: ran at once
        try! highTasks.spawn(Scripted("second", trace) { _, _ in .pending })
        #expect(trace.entries == ["poll first", "poll second"])
        let rounds = level.rounds
        #expect(box.pointee!.wake() == .stale)       // from thread context, after the task ended
        #expect(trace.entries == ["poll first", "poll second"])
        #expect(level.rounds == rounds)              // not even a spurious round: nothing pended
    }

    @Test("a level's timers fire at its own priority: its deadline re-arms its own line's alarm")
    func timersFireAtTheirLevel() {
        let trace = Trace()
        let interrupts = SimulatedInterruptController(lineCount: 8, mode: .preemptive)
        let clock = VirtualClock()
        let high = Pinned(Executor<1>())
        let pool = Pinned(TaskPool<Scripted, 1>(name: "high"))
        let highTasks = try! high.pointee.attach(&pool.pointee)
        let level = interrupts.bind(high, tasks: highTasks, line: 4, priority: 1, clock: clock)
        try! highTasks.spawn(Scripted("timed", trace) { polls, context in
            trace.log("at \(context.now.ticks) priority \(interrupts.currentPriority)")
            if polls == 3 { return .ready(0) }
            context.wake(at: Instant(ticks: 1_000 * UInt64(polls)))
            return .pending
        })
        #expect(level.armedDeadline == Instant(ticks: 1_000))
        clock.advance(by: .microseconds(999))
        #expect(trace.entries.count == 2)
        clock.advance(by: .microseconds(1))
        clock.advance(by: .microseconds(1_000))
        #expect(trace.entries == [
            "poll timed", "at 0 priority 1",
            "poll timed", "at 1000 priority 1",
            "poll timed", "at 2000 priority 1",
        ])
        #expect(level.armedDeadline == nil)
        #expect(clock.nextAlarm == nil)
    }

    @Test("three levels pass tokens through Channels under a storm of wakes: nothing lost, no poll of an ended task")
    func threeLevelChannelStorm() {
        let interrupts = SimulatedInterruptController(lineCount: 8, mode: .preemptive)
        var platform = SimulatedPlatform(interrupts: interrupts)
        let clock = platform.clock
        let rig = StormRig(interrupts: interrupts, clock: clock)
        // The storm: line 0 (most urgent) fires every 7 µs and wakes every
        // waker it has seen, live or stale; it also spawns short-lived tasks on
        // both interrupt levels.
        rig.run(on: &platform, target: 3_000)
        #expect(rig.state.pointee.done)
        #expect(rig.state.pointee.received == [3_000, 3_000, 3_000])   // every token through every level
        #expect(rig.state.pointee.retired == StormRig.inFlight)
        #expect(rig.state.pointee.lost == 0)
        #expect(rig.state.pointee.pollsAfterEnd == 0)
        #expect(rig.state.pointee.stormWakes > 1_000)
        #expect(rig.state.pointee.staleWakes > 0)
        #expect(rig.state.pointee.shortLived > 100)
        #expect(interrupts.maximumNesting >= 2)
    }

    @Test("an AsyncMutex locked from two executors (two levels) stops the program; from one it works")
    func mutexAcrossLevelsIsRefused() async {
        await #expect(processExitsWith: .failure) {
            let mutex = Pinned(AsyncMutex<Int, 2>(0))
            let a = Rig<Scripted, 1>(), b = Rig<Scripted, 1>()
            let trace = Trace()
            a.spawn(Scripted("a", trace) { _, context in
                var lock = mutex.pointee.lock()
                _ = lock.poll(&context)
                return .ready(0)
            })
            a.runUntilQuiet()
            b.spawn(Scripted("b", trace) { _, context in
                var lock = mutex.pointee.lock()
                _ = lock.poll(&context)   // another executor: precondition failure
                return .ready(0)
            })
            b.runUntilQuiet()
        }
        // The same two tasks on one executor.
        let mutex = Pinned(AsyncMutex<Int, 2>(0))
        let rig = Rig<Scripted, 2>()
        let trace = Trace()
        for name in ["a", "b"] {
            rig.spawn(Scripted(name, trace) { _, context in
                var lock = mutex.pointee.lock()
                guard var held = lock.poll(&context) else { return .pending }
                held.value += 1
                return .ready(0)
            })
        }
        rig.runUntilQuiet()
        #expect(mutex.pointee.tryLock()?.value == 2)
    }

    @Test("rounds of an interrupt level allocate nothing in steady state",
          .enabled(if: mallocCountingAvailable, mallocCountingSkipReason))
    func levelsAllocateNothing() {
        let interrupts = SimulatedInterruptController(lineCount: 8, mode: .preemptive)
        var platform = SimulatedPlatform(interrupts: interrupts)
        let clock = platform.clock
        let stats = UnsafeMutablePointer<BeatStats>.allocate(capacity: 1)
        stats.initialize(to: BeatStats())
        let thread = Pinned(Executor<1>())
        let hogs = Pinned(TaskPool<SimHog, 1>(name: "hog"))
        let hog = try! thread.pointee.attach(&hogs.pointee)
        let urgent = Pinned(Executor<1>())
        let beats = Pinned(TaskPool<SimHeartbeat, 1>(name: "heartbeat"))
        let beat = try! urgent.pointee.attach(&beats.pointee)
        interrupts.bind(urgent, tasks: beat, line: 3, priority: 1, clock: clock)
        func round() {
            stats.pointee.beats = 0
            try! beat.spawn(SimHeartbeat(stats: stats, interrupts: interrupts, clock: clock, beats: 50))
            try! hog.spawn(SimHog(clock: clock, span: .milliseconds(60), step: .microseconds(10), stats: stats))
            thread.pointee.run(on: &platform, idle: .sleep, tasks: hog)
        }
        round()
        pollen_malloc_count_begin()
        for _ in 0..<200 { round() }
        let mallocs = pollen_malloc_count_end()
        #expect(mallocs == 0)
        #expect(stats.pointee.beats == 50)
    }
}

// MARK: - The three-level storm

struct StormState {
    var received = [0, 0, 0]      // per level: thread, mid, high (allocated at set-up)
    var lost = 0
    var retired = 0
    var pollsAfterEnd = 0
    var stormWakes = 0
    var staleWakes = 0
    var shortLived = 0
    var done = false
}

/// A relay at one level: receives tokens from its channel and forwards each to
/// the next level's channel through a sender (interrupt-safe). The thread
/// relay retires tokens once it has received `target - tokensInFlight`.
struct Relay: ~Copyable, Future {
    let input: UnsafeMutablePointer<Channel<Int, 64>>
    let output: ChannelSender<Int, 64>
    let state: UnsafeMutablePointer<StormState>
    let seen: UnsafeMutablePointer<Waker?>
    let level: Int
    let target: Int
    let clock: VirtualClock
    var next = Await<ChannelReceive<Int, 64>>()

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        seen.pointee = context.waker
        while true {
            guard let token = next.poll(&context, input.pointee.receive()) else { return .pending }
            clock.advance(by: .microseconds(1))   // a little work per token: time passes, the storm preempts
            state.pointee.received[level] += 1
            if level == 0 && state.pointee.received[0] > target - StormRig.inFlight {
                state.pointee.retired += 1
                if state.pointee.retired == StormRig.inFlight { state.pointee.done = true }
                continue
            }
            if !output.trySend(token) { state.pointee.lost += 1 }
        }
    }
}

/// A task that lives for three polls, waking itself; polled after its end it
/// would count.
struct ShortLived: Future {
    let state: UnsafeMutablePointer<StormState>
    let seen: UnsafeMutablePointer<Waker?>
    var polls = 0
    var ended = false
    mutating func poll(_ context: inout Context) -> Poll<Int> {
        if ended { state.pointee.pollsAfterEnd += 1 }
        seen.pointee = context.waker
        polls += 1
        if polls == 3 { ended = true; return .ready(0) }
        context.waker.wake()
        return .pending
    }
}

/// Thread level (line-less), mid (line 2, priority 2), high (line 1, priority 1),
/// and a storm line 0 (priority 0) every 7 µs of virtual time.
final class StormRig: @unchecked Sendable {
    static let inFlight = 16
    let interrupts: SimulatedInterruptController
    let clock: VirtualClock
    let state = UnsafeMutablePointer<StormState>.allocate(capacity: 1)
    let channels = UnsafeMutablePointer<Channel<Int, 64>>.allocate(capacity: 3)
    let seen = UnsafeMutablePointer<Waker?>.allocate(capacity: 8)
    let thread = Pinned(Executor<1>())
    let mid = Pinned(Executor<1>())
    let high = Pinned(Executor<1>())
    let threadPool = Pinned(TaskPool<Relay, 1>(name: "thread relay"))
    let midPool = Pinned(TaskPool<Relay, 1>(name: "mid relay"))
    let highPool = Pinned(TaskPool<Relay, 1>(name: "high relay"))
    let midShort = Pinned(TaskPool<ShortLived, 2>(name: "mid short"))
    let highShort = Pinned(TaskPool<ShortLived, 2>(name: "high short"))

    init(interrupts: SimulatedInterruptController, clock: VirtualClock) {
        self.interrupts = interrupts
        self.clock = clock
        state.initialize(to: StormState())
        for i in 0..<3 { (channels + i).initialize(to: Channel()) }
        seen.initialize(repeating: nil, count: 8)
    }

    /// Runs until `target` tokens have reached the thread level.
    func run(on platform: inout SimulatedPlatform, target: Int) {
        let threadTasks = try! thread.pointee.attach(&threadPool.pointee)
        let midRelay = try! mid.pointee.attach(&midPool.pointee)
        let midShortTasks = try! mid.pointee.attach(&midShort.pointee)
        let highRelay = try! high.pointee.attach(&highPool.pointee)
        let highShortTasks = try! high.pointee.attach(&highShort.pointee)
        interrupts.bind(mid, tasks: tasks(midRelay, midShortTasks), line: 2, priority: 2, clock: clock)
        interrupts.bind(high, tasks: tasks(highRelay, highShortTasks), line: 1, priority: 1, clock: clock)
        // thread → mid → high → thread: channel 0 feeds mid, 1 feeds high, 2 the thread.
        try! midRelay.spawn(Relay(input: channels, output: channels[1].sender(), state: state,
                                  seen: seen, level: 1, target: target, clock: clock))
        try! highRelay.spawn(Relay(input: channels + 1, output: channels[2].sender(), state: state,
                                   seen: seen + 1, level: 2, target: target, clock: clock))
        try! threadTasks.spawn(Relay(input: channels + 2, output: channels[0].sender(), state: state,
                                     seen: seen + 2, level: 0, target: target, clock: clock))
        let state = self.state, seen = self.seen, clock = self.clock, interrupts = self.interrupts
        var tick = 0
        interrupts.setHandler(line: 0, priority: 0) {
            tick += 1
            // Wake every waker seen so far, live or stale.
            for i in 0..<8 {
                guard let w = seen[i] else { continue }
                state.pointee.stormWakes += 1
                if w.wake() == .stale { state.pointee.staleWakes += 1 }
            }
            // Short-lived tasks on both interrupt levels, spawned from the storm.
            if tick % 3 == 0, (try? midShortTasks.spawn(ShortLived(state: state, seen: seen + 3 + tick % 2))) != nil {
                state.pointee.shortLived += 1
            }
            if tick % 5 == 0, (try? highShortTasks.spawn(ShortLived(state: state, seen: seen + 5 + tick % 3))) != nil {
                state.pointee.shortLived += 1
            }
            if !state.pointee.done { clock.setOnlyAlarm(at: clock.now + .microseconds(7), line: 0, on: interrupts) }
        }
        clock.setOnlyAlarm(at: clock.now + .microseconds(7), line: 0, on: interrupts)
        let injector = channels[0].sender()
        for t in 0..<Self.inFlight { if !injector.trySend(t) { state.pointee.lost += 1 } }
        platform.shouldStop = { state.pointee.done }
        thread.pointee.run(on: &platform, idle: .sleep, tasks: threadTasks)
    }
}
