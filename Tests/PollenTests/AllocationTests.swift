#if canImport(Glibc)
import Glibc
#endif
import MallocCounter
import Pollen
import PollenHost
import Testing

/// A task that sleeps on a timer a few times, then completes: exercises spawn,
/// wake, timer arm/fire, poll and completion.
struct Sleeper: Future {
    let counter: UnsafeMutablePointer<Int>
    var naps: Int
    var timer = Timer.after(.microseconds(100))
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        counter.pointee += 1
        while case .ready = timer.poll(&context) {
            naps -= 1
            if naps == 0 { return .ready(()) }
            timer = .after(.microseconds(100))
        }
        return .pending
    }
}

/// Whether `Sources/MallocCounter` counts in this build. It does not under a sanitizer
/// (`swift test --sanitize=address`): the sanitizer's runtime owns `malloc`, the
/// interposers are compiled out and every count is 0. Each test that asserts a count
/// carries `.enabled(if: mallocCountingAvailable, mallocCountingSkipReason)`, so in such
/// a build it is reported as skipped, with this reason, instead of passing on a count
/// of zero that proves nothing.
let mallocCountingAvailable = pollen_malloc_counting_available() != 0
let mallocCountingSkipReason: Comment =
    "malloc counting is compiled out under a sanitizer (its runtime interposes malloc); allocation counts are checked by the plain `swift test`"

/// Whether a sanitizer runtime is linked into this process (its entry point is exported
/// for the dynamic linker, so `dlsym` finds it).
func sanitizerRuntimeLinked() -> Bool {
    let entryPoints: [String] = ["__asan_init", "__tsan_init", "__msan_init"]
    return entryPoints.contains { dlsym(nil, $0) != nil }
}

@Suite("Allocation-free steady state (malloc calls counted in-process)")
struct AllocationTests {
    // Always runs, so the skips below cannot hide a broken counter: in a plain build
    // the counter must be compiled in, and only a sanitizer build may leave it out.
    @Test("malloc counting is available exactly when no sanitizer runtime is linked")
    func countingAvailableUnlessSanitized() {
        let sanitized = sanitizerRuntimeLinked()
        #expect(mallocCountingAvailable == !sanitized,
                "counting available: \(mallocCountingAvailable), sanitizer runtime linked: \(sanitized)")
    }

    // Skipped under a sanitizer like the tests below: there is no counter to prove.
    @Test("the counter sees allocations: a heap array is counted (so zero below means zero)",
          .enabled(if: mallocCountingAvailable, mallocCountingSkipReason))
    func counterWorks() {
        let n = Int.random(in: 100...200)
        pollen_malloc_count_begin()
        let array = [Int](repeating: 7, count: n)
        let counted = pollen_malloc_count_end()
        #expect(array.count == n)
        #expect(counted >= 1)
    }

    // Skipped under a sanitizer: a count of zero would prove nothing there.
    @Test("spawn/wake/poll/complete cycles perform zero malloc calls",
          .enabled(if: mallocCountingAvailable, mallocCountingSkipReason))
    func spawnWakePollComplete() {
        let rig = Rig<Countdown, 8>()
        let counter = makeCounter()
        func cycle() {
            for _ in 0..<8 { try! rig.pool.pointee.spawn(Countdown(counter: counter, remaining: 3)) }
            while rig.pass() > 0 {}
        }
        cycle()   // warm-up: first use of generic metadata and the like
        pollen_malloc_count_begin()
        for _ in 0..<10_000 { cycle() }
        let mallocs = pollen_malloc_count_end()
        #expect(mallocs == 0)
        #expect(counter.pointee == 3 * 8 * 10_001)
    }

    // Skipped under a sanitizer: a count of zero would prove nothing there.
    @Test("the full run loop with timers and simulated interrupts performs zero malloc calls",
          .enabled(if: mallocCountingAvailable, mallocCountingSkipReason))
    func runLoopWithTimers() {
        let executor = Pinned(Executor<1>())
        let pool = Pinned(TaskPool<Sleeper, 4>(name: "sleepers"))
        let timers = Pinned(TimerQueue<4>())
        let sleepers = try! executor.pointee.attach(&pool.pointee)
        executor.pointee.attach(timers: &timers.pointee)
        let counter = makeCounter()
        var platform = SimulatedPlatform()
        let irqs = makeCounter()
        platform.interrupts.setHandler(line: 1) { irqs.pointee += 1 }
        func round() {
            for _ in 0..<4 { try! pool.pointee.spawn(Sleeper(counter: counter, naps: 5)) }
            platform.interrupts.raise(1)
            executor.pointee.run(on: &platform, idle: .sleep, tasks: sleepers)
        }
        round()
        pollen_malloc_count_begin()
        for _ in 0..<2_000 { round() }
        let mallocs = pollen_malloc_count_end()
        #expect(mallocs == 0)
        #expect(irqs.pointee == 2_001)
        let armed = executor.pointee.armedTimers
        #expect(armed == 0)
    }

    // Skipped under a sanitizer: a count of zero would prove nothing there.
    @Test("join handles, cancellation and reservations perform zero malloc calls",
          .enabled(if: mallocCountingAvailable, mallocCountingSkipReason))
    func joinCancelReserve() {
        let rig = Rig<Countdown, 4>()
        let counter = makeCounter()
        let hand = handWaker()
        func cycle() {
            var a = try! rig.pool.pointee.spawnJoinable(Countdown(counter: counter, remaining: 2))
            var b = try! rig.pool.pointee.spawnJoinable(Countdown(counter: counter, remaining: 50))
            let r = try! rig.pool.pointee.reserve()
            r.fill(Countdown(counter: counter, remaining: 1))
            while rig.pass() > 0 {
                var context = Context(waker: hand, now: .zero)
                if case .ready = a.poll(&context) { _ = b.cancel() }
            }
        }
        cycle()
        pollen_malloc_count_begin()
        for _ in 0..<5_000 { cycle() }
        let mallocs = pollen_malloc_count_end()
        #expect(mallocs == 0)
        #expect(rig.occupied == 0)
    }
}
