// Threaded stress of the core through its public API, built for ThreadSanitizer:
//
//   swift build --build-tests --sanitize=thread --scratch-path .build-tsan   # see Board/test
//
// (the PollenTests target crashes this compiler under -sanitize=thread, so Board/test
// builds this target alone; see the comment at the top of Package.swift).
//
// Every test runs the executor with `run(on: &threadedPlatform, idle: .sleep, tasks:)` on
// its own thread while other threads wake tasks, send into a channel or spawn. Each
// asserts exact counts, and every wait has a deadline: a lost wake or a lost task makes
// the test fail (and stop the executor), never hang.
//
// No `platform.notify()` after a cross-thread wake, spawn or send: the threaded
// platform's pend hook, installed by `run(on:)`, ends its idle wait on every wake.
#if canImport(Glibc)
import Glibc
#endif
import Pollen
import PollenHost
import Synchronization
import Testing

/// A counter shared between threads.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    func add(_ n: Int = 1) { value.add(n, ordering: .releasing) }
    var count: Int { value.load(ordering: .acquiring) }
}

/// How long any one test may take before it is failed, however it progresses (under
/// TSan each normally needs a second or less). Waits also fail after
/// `defaultStallSeconds` without progress.
let testDeadlineSeconds = 60.0

// MARK: - Hand-offs through wakers

/// Shared by the two players and the two relay threads.
final class Game: Sendable {
    let limit: Int
    /// Moves made so far; player `turn % 2` moves next.
    let turn = Atomic<Int>(0)
    let mailboxes = [Mailbox(), Mailbox()]
    let polls = [Counter(), Counter()]
    let moves = [Counter(), Counter()]
    let finished = Counter()
    init(limit: Int) { self.limit = limit }
}

/// Moves when it is its turn. Never wakes anyone itself: the relay thread of the
/// other player sees the move and wakes that player from outside the executor.
struct Player: Future {
    let me: Int
    let game: Game

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        game.polls[me].add()
        game.mailboxes[me].publish(context.waker)
        let turn = game.turn.load(ordering: .acquiring)
        guard turn < game.limit else { game.finished.add(); return .ready(()) }
        guard turn % 2 == me else { return .pending }   // not my turn: a spurious poll
        game.moves[me].add()
        game.turn.store(turn + 1, ordering: .releasing)
        if turn + 1 == game.limit { game.finished.add(); return .ready(()) }
        return .pending                                  // my relay wakes me on my next turn
    }
}

// MARK: - Channel with producer threads

/// The consumer's record; touched by the executor's thread only while it runs, read
/// by the test after joining it.
final class ConsumerLog: @unchecked Sendable {
    var nextExpected: [Int]
    var received = 0
    var outOfOrder = 0
    /// Messages received so far, for the test's progress check while the executor runs.
    let progress = Counter()
    init(producers: Int) { nextExpected = [Int](repeating: 0, count: producers) }
}

/// Receives `expected` messages `producer << 32 | sequence`; each producer's sequence
/// must arrive as 0, 1, 2, … (exactly once each, in order).
struct Consumer: Future, ~Copyable {
    let channel: UnsafeMutablePointer<Channel<Int, 8>>
    let log: ConsumerLog
    let expected: Int
    var receiving: ChannelReceive<Int, 8>? = nil

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while true {
            var receive: ChannelReceive<Int, 8>
            if let pending = receiving.take() { receive = pending } else { receive = channel.pointee.receive() }
            guard case .ready(let message) = receive.poll(&context) else {
                receiving = consume receive
                return .pending
            }
            let producer = message >> 32, sequence = message & 0xFFFF_FFFF
            if sequence != log.nextExpected[producer] { log.outOfOrder += 1 }
            log.nextExpected[producer] = sequence + 1
            log.received += 1
            log.progress.add()
            if log.received == expected { return .ready(()) }
        }
    }
}

// MARK: - Spawns from other threads

/// What the spawned jobs did.
final class Ledger: @unchecked Sendable {
    let total: Int
    /// Completions per job id (each must end at exactly 1).
    let completions: UnsafeMutablePointer<Atomic<Int>>
    let polls = Counter()
    let completed = Counter()
    init(total: Int) {
        self.total = total
        completions = .allocate(capacity: total)
        for i in 0..<total { (completions + i).initialize(to: Atomic(0)) }
    }
    func completions(of id: Int) -> Int { completions[id].load(ordering: .acquiring) }
}

/// Polled twice: the first poll wakes itself (a wake on the executor's thread between
/// cross-thread spawns), the second completes and records its id.
struct Job: Future {
    let id: Int
    let ledger: Ledger
    var polled = 0

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        ledger.polls.add()
        polled += 1
        if polled == 1 { context.waker.wake(); return .pending }
        ledger.completions[id].add(1, ordering: .releasing)
        ledger.completed.add()
        return .ready(())
    }
}

// MARK: - Wakes while the executor sleeps

final class DozeState: Sendable {
    let mailbox = Mailbox()
    let polls = Counter()
    /// `platform.sleeps` as the last poll saw it: a larger value means the executor
    /// has gone idle since.
    let sleepsAtPoll = Atomic<Int>(0)
    let finish = Flag()
    let finished = Flag()
}

/// Pending until told to finish; records the executor's sleep count on each poll.
struct Dozer: Future {
    let state: DozeState
    let platform: ThreadedPlatform

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        state.mailbox.publish(context.waker)
        if state.finish.isSet { state.finished.set(); return .ready(()) }
        state.sleepsAtPoll.store(platform.sleeps, ordering: .relaxed)
        state.polls.add()   // releasing: publishes sleepsAtPoll with it
        return .pending
    }
}

// MARK: - The tests

// Serialized, in this order: a crash (the spawn race can make the executor poll a slot
// whose future is not there, see `spawnsFromThreads`) ends the process, so the test
// most likely to crash runs last.
@Suite("Threaded stress: wakes, channel sends and spawns from other threads", .serialized)
struct ThreadedStressTests {
    @Test("hand-offs: two tasks take turns, each woken by another thread while the executor runs or sleeps")
    func handOffs() {
        let limit = 4_000
        let executor = Pinned(Executor<1>())
        let pool = Pinned(TaskPool<Player, 2>(name: "players"))
        let players = try! executor.pointee.attach(&pool.pointee)
        let game = Game(limit: limit)
        try! players.spawn(Player(me: 0, game: game))
        try! players.spawn(Player(me: 1, game: game))
        let platform = ThreadedPlatform()
        let stop = Flag()
        let wakes = [Counter(), Counter()]
        let threads = ThreadGroup()
        startExecutor(executor, on: platform, tasks: players, in: threads)
        for k in 0..<2 {
            // Relay k: whenever it is player k's turn, wake player k (once per turn).
            threads.start {
                var lastWoken = -1
                while !stop.isSet {
                    let turn = game.turn.load(ordering: .acquiring)
                    if turn % 2 == k, turn != lastWoken, let waker = game.mailboxes[k].waker {
                        if waker.wake() == .woken { wakes[k].add() }
                        lastWoken = turn
                    }
                    if turn >= limit && (turn % 2 != k || lastWoken == turn) { return }
                    sched_yield()
                }
            }
        }
        let deadline = Deadline(seconds: testDeadlineSeconds)
        let done = waitForProgress(to: limit + 2, deadline: deadline) {
            game.turn.load(ordering: .acquiring) + game.finished.count
        }
        stop.set()
        platform.requestStop()
        threads.join()
        let turn = game.turn.load(ordering: .acquiring)
        #expect(done, "stalled at hand-off \(turn) of \(limit): a wake from another thread was lost")
        #expect(turn == limit)
        #expect(game.moves[0].count == (limit + 1) / 2)
        #expect(game.moves[1].count == limit / 2)
        #expect(game.finished.count == 2)
        #expect(game.polls[0].count >= game.moves[0].count && game.polls[1].count >= game.moves[1].count)
        #expect(wakes[0].count + wakes[1].count >= limit - 1)   // every turn after the first needed one
        #expect(pool.pointee.occupiedCount == 0)
        print("hand-offs: \(limit), polls \(game.polls[0].count)+\(game.polls[1].count), cross-thread wakes \(wakes[0].count)+\(wakes[1].count), executor slept \(platform.sleeps) times")
    }

    @Test("channel: 3 producer threads × 3,000 trySend into 8 slots; one consumer task gets each exactly once, per-producer FIFO")
    func channelProducers() {
        let producers = 3, perProducer = 3_000, total = producers * perProducer
        let channel = Pinned(Channel<Int, 8>())
        let tx = channel.pointee.sender()
        let executor = Pinned(Executor<1>())
        let pool = Pinned(TaskPool<Consumer, 1>(name: "consumer"))
        let consumers = try! executor.pointee.attach(&pool.pointee)
        let log = ConsumerLog(producers: producers)
        try! consumers.spawn(Consumer(channel: channel.address, log: log, expected: total))
        let platform = ThreadedPlatform()
        let stop = Flag(), gaveUp = Flag()
        let fullRetries = Counter()
        let deadline = Deadline(seconds: testDeadlineSeconds)
        let threads = ThreadGroup()
        startExecutor(executor, on: platform, tasks: consumers, in: threads)
        for p in 0..<producers {
            threads.start {
                for sequence in 0..<perProducer {
                    var fullUntil: Deadline? = nil
                    while !tx.trySend(p << 32 | sequence) {   // full: retry
                        fullRetries.add()
                        if fullUntil == nil { fullUntil = Deadline(seconds: defaultStallSeconds) }
                        if fullUntil!.passed || deadline.passed || stop.isSet { gaveUp.set(); return }
                        sched_yield()
                    }
                }
            }
        }
        let done = waitForProgress(to: total, deadline: deadline, abort: gaveUp) { log.progress.count }
        stop.set()
        platform.requestStop()
        threads.join()
        #expect(done, "the consumer stopped receiving: a wake was lost or elements went missing")
        #expect(!gaveUp.isSet, "a producer gave up: the channel stayed full for \(defaultStallSeconds) s")
        #expect(log.received == total)
        #expect(log.outOfOrder == 0, "elements lost, duplicated or reordered within a producer")
        #expect(log.nextExpected == [Int](repeating: perProducer, count: producers))
        #expect(channel.pointee.tryReceive() == nil)
        #expect(pool.pointee.occupiedCount == 0)
        print("channel: \(total) messages, \(fullRetries.count) full retries, executor slept \(platform.sleeps) times")
    }

    @Test("wakes during idle: 300 times, another thread wakes the parked task while the executor sleeps; each wake gives one poll")
    func wakesDuringIdle() {
        let rounds = 300
        let executor = Pinned(Executor<1>())
        let pool = Pinned(TaskPool<Dozer, 1>(name: "dozer"))
        let dozers = try! executor.pointee.attach(&pool.pointee)
        let platform = ThreadedPlatform()
        let state = DozeState()
        try! dozers.spawn(Dozer(state: state, platform: platform))
        let threads = ThreadGroup()
        startExecutor(executor, on: platform, tasks: dozers, in: threads)
        let deadline = Deadline(seconds: testDeadlineSeconds)
        var failure: String? = nil
        var slept = 0
        rounds: for round in 1...rounds + 1 {
            // Poll `round` happened, then the executor went to sleep.
            guard waitFor(until: min(deadline, Deadline(seconds: defaultStallSeconds)), { state.polls.count >= round }) else {
                failure = "poll \(round) never came: the wake of round \(round - 1) was lost while the executor slept"
                break rounds
            }
            let seen = state.sleepsAtPoll.load(ordering: .relaxed)
            guard waitFor(until: min(deadline, Deadline(seconds: defaultStallSeconds)), { platform.sleeps > seen }) else {
                failure = "the executor never went idle after poll \(round)"
                break rounds
            }
            slept += 1
            if round > rounds { state.finish.set() }
            guard let waker = state.mailbox.waker else { failure = "no waker published"; break rounds }
            waker.wake()
        }
        let finished = failure == nil
            && waitFor(until: min(deadline, Deadline(seconds: defaultStallSeconds))) { state.finished.isSet }
        platform.requestStop()
        threads.join()
        #expect(failure == nil, "\(failure ?? "")")
        #expect(finished, "the final wake was lost")
        #expect(slept == rounds + 1)
        #expect(state.polls.count == rounds + 1)   // one poll per wake, none spurious
        #expect(pool.pointee.occupiedCount == 0)
        print("wakes during idle: \(rounds + 1) wakes, \(state.polls.count) polls, executor slept \(platform.sleeps) times")
    }

    @Test("spawns: 4 threads spawn 4,000 jobs each into one 8-slot pool while the executor runs; every job is polled and completes once")
    func spawnsFromThreadGroup() {
        let spawners = 4, perSpawner = 4_000, total = spawners * perSpawner
        let executor = Pinned(Executor<1>())
        let pool = Pinned(TaskPool<Job, 8>(name: "jobs"))
        let jobs = try! executor.pointee.attach(&pool.pointee)
        let ledger = Ledger(total: total)
        let platform = ThreadedPlatform()
        let stop = Flag(), gaveUp = Flag(), unexpected = Flag()
        let spawned = Counter(), fullRetries = Counter()
        let deadline = Deadline(seconds: testDeadlineSeconds)
        let threads = ThreadGroup()
        startExecutor(executor, on: platform, tasks: jobs, in: threads)
        for s in 0..<spawners {
            threads.start {
                for j in 0..<perSpawner {
                    var fullUntil: Deadline? = nil
                    while true {
                        do throws(SpawnError) {
                            try jobs.spawn(Job(id: s * perSpawner + j, ledger: ledger))
                            break
                        } catch {
                            guard case .poolFull = error else { unexpected.set(); return }
                            fullRetries.add()
                            if fullUntil == nil { fullUntil = Deadline(seconds: defaultStallSeconds) }
                            if fullUntil!.passed || deadline.passed || stop.isSet { gaveUp.set(); return }
                            sched_yield()
                        }
                    }
                    spawned.add()
                }
            }
        }
        let done = waitForProgress(to: total, deadline: deadline, abort: gaveUp) { ledger.completed.count }
        stop.set()
        platform.requestStop()
        threads.join()
        var never = 0, once = 0, more = 0
        for id in 0..<total {
            switch ledger.completions(of: id) {
            case 0: never += 1
            case 1: once += 1
            default: more += 1
            }
        }
        #expect(done, "\(ledger.completed.count) of \(total) jobs completed, then no progress for \(defaultStallSeconds) s")
        #expect(!unexpected.isSet, "spawn failed with an error other than poolFull")
        #expect(!gaveUp.isSet, "a spawner gave up: the pool stayed full for \(defaultStallSeconds) s (slots lost?)")
        #expect(spawned.count == total)
        #expect(once == total, "jobs completed once: \(once), never: \(never), more than once: \(more)")
        #expect(ledger.polls.count == 2 * total)
        #expect(pool.pointee.occupiedCount == 0)
        print("spawns: \(spawned.count) spawned, \(ledger.completed.count) completed, \(fullRetries.count) poolFull retries, executor slept \(platform.sleeps) times")
    }
}
