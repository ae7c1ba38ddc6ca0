// `swift run -c release PollenBench [--quick] [--only NAME[,NAME…]] [--iterations N] [--runs R]`
//
// Host benchmark: Pollen beside Swift Concurrency, in one process, release build.
// Prints a human table, then one `name=value` line per figure.
//
// --only takes benchmark names (see `benchmarks` below); a name that is not a
// benchmark selects every benchmark starting with it (`--only handoff`).
// --iterations N sets the hand-offs / tasks per timed run (bytes-swift: the
// number of suspended tasks); --runs R the number of timed runs (median reported).
// Each benchmark first runs a warm-up of a fixed size, so two runs differing
// only in N differ by exactly the work of the extra iterations:
// Board/bench-host-instr runs this binary under callgrind with
// `--only handoff-pollen --iterations N --runs 1` (and handoff-swift) at two
// values of N to get instructions per hand-off.
//
// Timing figures are reported, never asserted: no mode fails on timing.
#if canImport(Glibc)
import Glibc
#endif
import MallocCounter

/// Every benchmark, in the order they run, with the figures it reports.
let benchmarks: [(name: String, figures: String)] = [
    ("handoff-pollen", "host_handoff_ns_pollen"),
    ("handoff-pollen-runloop", "host_handoff_ns_pollen_runloop"),
    ("handoff-pollen-module", "host_handoff_ns_pollen_module"),
    ("handoff-swift", "host_handoff_ns_swift"),
    ("handoff-swift-actor", "host_handoff_ns_swift_actor"),
    ("spawn-pollen", "host_spawn_ns_pollen"),
    ("spawn-pollen-single", "host_spawn_ns_pollen_single"),
    ("spawn-pollen-module", "host_spawn_ns_pollen_module"),
    ("spawn-swift", "host_spawn_ns_swift"),
    ("spawn-swift-task", "host_spawn_ns_swift_task"),
    ("allocs-pollen", "host_allocs_per_task_pollen"),
    ("allocs-swift", "host_allocs_per_task_swift, host_allocs_per_task_swift_task"),
    ("bytes-pollen", "host_bytes_per_suspended_task_pollen"),
    ("bytes-swift", "host_bytes_per_suspended_task_swift"),
]
let benchmarkNames = benchmarks.map(\.name)

struct Options {
    var quick = false
    var only: [String] = []
    var iterations: Int? = nil
    var runs: Int? = nil

    func selected(_ name: String) -> Bool {
        only.isEmpty || only.contains { name == $0 || (!benchmarkNames.contains($0) && name.hasPrefix($0)) }
    }

    static func usage() -> String {
        """
        usage: PollenBench [--quick] [--only NAME[,NAME...]] [--iterations N] [--runs R]
          --quick         few iterations, a smoke run (a few seconds)
          --only NAME     run only these benchmarks (a name that is not a benchmark
                          selects those starting with it, e.g. `handoff`, `spawn-swift`):
        \(benchmarks.map { "                  \(padRight($0.name, 24)) \($0.figures)" }.joined(separator: "\n"))
          --iterations N  hand-offs / tasks per timed run (bytes-swift: tasks parked)
          --runs R        timed runs per figure (median reported; default 7, quick 5)
        """
    }

    static func parse(_ arguments: [String]) -> Options {
        var o = Options()
        var i = 1
        func value() -> String {
            i += 1
            guard i < arguments.count else { fail("missing value after \(arguments[i - 1])") }
            return arguments[i]
        }
        func positive(_ s: String) -> Int {
            guard let n = Int(s), n > 0 else { fail("not a positive number: \(s)") }
            return n
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--quick": o.quick = true
            case "--only":
                for name in value().split(separator: ",").map(String.init) {
                    guard benchmarkNames.contains(where: { $0.hasPrefix(name) }) else { fail("unknown benchmark: \(name)") }
                    o.only.append(name)
                }
            case "--iterations": o.iterations = positive(value())
            case "--runs": o.runs = positive(value())
            case "--help", "-h": print(usage()); exit(0)
            default: fail("unknown argument: \(arguments[i])")
            }
            i += 1
        }
        return o
    }
}

func fail(_ message: String) -> Never {
    print("PollenBench: \(message)\n\(Options.usage())")
    exit(2)
}

/// Where ``blockingAwait(_:)`` receives its result.
final class AwaitBox<T>: @unchecked Sendable {
    var value: T? = nil
    let done = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    init() { sem_init(done, 0, 0) }
    deinit { sem_destroy(done); done.deallocate() }
}

/// Runs `body` on the global concurrent executor and blocks this thread until it
/// returns its result.
func blockingAwait<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = AwaitBox<T>()
    Task.detached {
        box.value = await body()
        sem_post(box.done)
    }
    while sem_wait(box.done) != 0 {}   // retry on EINTR
    return box.value!
}

/// Runs a Swift Concurrency measurement on the global concurrent executor: `warmUp`
/// once (worker threads, metadata), then `measure` `runs` times; returns the
/// measured results in order.
func swiftRuns<R: Sendable>(_ runs: Int, warmUp: @escaping @Sendable () async -> Void,
                            _ measure: @escaping @Sendable () async -> R) -> [R] {
    blockingAwait { () async -> [R] in
        await warmUp()
        var results: [R] = []
        for _ in 0..<runs { results.append(await measure()) }
        return results
    }
}

/// One reported number.
struct Figure {
    let name: String
    let value: Double
    let decimals: Int
    let unit: String
    let note: String
}

/// Collects figures, prints each table row as it is measured, then the machine lines.
struct Report {
    var figures: [Figure] = []

    mutating func add(_ name: String, _ value: Double, decimals: Int, unit: String, _ note: String) {
        let f = Figure(name: name, value: value, decimals: decimals, unit: unit, note: note)
        figures.append(f)
        print(padRight(f.name, 40) + pad(format(f.value, decimals: f.decimals), 12) + "  " + padRight(f.unit, 8) + f.note)
    }

    func value(_ name: String) -> Double? { figures.first { $0.name == name }?.value }
}

func spread(_ values: [Double]) -> String {
    "runs \(values.count), min \(format(values.min()!, decimals: 1)), max \(format(values.max()!, decimals: 1))"
}

@main
struct PollenBench {
    /// Synchronous on purpose: the Pollen benchmarks run right here on the main
    /// thread, and the Swift ones on the global concurrent executor through
    /// ``blockingAwait(_:)``. (An `async` main parks the main thread in
    /// `dispatch_main`, which valgrind 3.19 cannot follow: it crashes as soon as
    /// a worker thread starts, which would rule out Board/bench-host-instr.)
    static func main() {
        let o = Options.parse(CommandLine.arguments)
        let runs = o.runs ?? (o.quick ? 5 : 7)
        func count(full: Int, quick: Int) -> Int { o.iterations ?? (o.quick ? quick : full) }
        var report = Report()

        print("PollenBench: Pollen vs Swift Concurrency, host, release build\(o.quick ? " (quick)" : "")")
        print(padRight("figure", 40) + pad("value", 12) + "  " + padRight("unit", 8) + "how")
        print(String(repeating: "-", count: 100))

        if o.selected("handoff-pollen") {
            let n = count(full: 2_000_000, quick: 200_000)
            let r = pollenHandoff(handoffs: n, runs: runs, driver: .runReady)
            report.add("host_handoff_ns_pollen", median(r.perRun), decimals: 2, unit: "ns",
                       "median; Executor<1>, 2 tasks, stored waker.wake(); driver `while runReady(tasks) > 0 {}`; \(n) hand-offs/run, \(spread(r.perRun)); mallocs in loop: \(r.mallocs)")
        }
        if o.selected("handoff-pollen-runloop") {
            let n = count(full: 2_000_000, quick: 200_000)
            let r = pollenHandoff(handoffs: n, runs: runs, driver: .runLoop)
            report.add("host_handoff_ns_pollen_runloop", median(r.perRun), decimals: 2, unit: "ns",
                       "same, driver run(on: NullPlatform, idle: .busyPoll, tasks:) (+ clock read, timer check per pass); \(spread(r.perRun)); mallocs: \(r.mallocs)")
        }
        if o.selected("handoff-pollen-module") {
            let n = count(full: 500_000, quick: 50_000)
            let r = moduleHandoff(handoffs: n, runs: runs)
            report.add("host_handoff_ns_pollen_module", median(r.perRun), decimals: 2, unit: "ns",
                       "same as host_handoff_ns_pollen through the separately built Pollen library module (as a SwiftPM client gets it; -cross-module-optimization in release); \(spread(r.perRun)); mallocs: \(r.mallocs)")
        }
        if o.selected("handoff-swift") {
            let n = count(full: 200_000, quick: 20_000)
            let results = swiftRuns(runs, warmUp: { _ = await swiftHandoffGlobal(handoffs: 2_000) }) {
                await swiftHandoffGlobal(handoffs: n)
            }
            let perRun = results.map(\.nsPerHandoff), parked = results.map(\.parkedFraction)
            report.add("host_handoff_ns_swift", median(perRun), decimals: 1, unit: "ns",
                       "median; 2 Tasks on the global executor, withUnsafeContinuation + Mutex-protected slot; \(n) hand-offs/run, \(spread(perRun)); waits that suspended: \(format(100 * median(parked), decimals: 1))%")
        }
        if o.selected("handoff-swift-actor") {
            let n = count(full: 200_000, quick: 20_000)
            let results = swiftRuns(runs, warmUp: { _ = await swiftHandoffActor(handoffs: 2_000) }) {
                await swiftHandoffActor(handoffs: n)
            }
            let perRun = results.map(\.nsPerHandoff), parked = results.map(\.parkedFraction)
            report.add("host_handoff_ns_swift_actor", median(perRun), decimals: 1, unit: "ns",
                       "same ping-pong, both tasks isolated to one actor (no lock); \(spread(perRun)); waits that suspended: \(format(100 * median(parked), decimals: 1))%")
        }
        if o.selected("spawn-pollen") {
            let n = count(full: 2_000_000, quick: 200_000)
            let r = pollenSpawn(tasks: n, runs: runs, batched: true)
            report.add("host_spawn_ns_pollen", median(r.perRun), decimals: 2, unit: "ns",
                       "median; spawn \(spawnBatch) into a 32-slot pool, one runReady(pool) completes them; \(n) tasks/run, \(spread(r.perRun)); mallocs: \(r.mallocs)")
        }
        if o.selected("spawn-pollen-single") {
            let n = count(full: 2_000_000, quick: 200_000)
            let r = pollenSpawn(tasks: n, runs: runs, batched: false)
            report.add("host_spawn_ns_pollen_single", median(r.perRun), decimals: 2, unit: "ns",
                       "one at a time into a 1-slot pool: spawn, runReady(pool); \(spread(r.perRun)); mallocs: \(r.mallocs)")
        }
        if o.selected("spawn-pollen-module") {
            let n = count(full: 500_000, quick: 50_000)
            let r = moduleSpawn(tasks: n, runs: runs)
            report.add("host_spawn_ns_pollen_module", median(r.perRun), decimals: 2, unit: "ns",
                       "same as host_spawn_ns_pollen through the separately built Pollen module; \(spread(r.perRun)); mallocs: \(r.mallocs)")
        }
        if o.selected("spawn-swift") {
            let n = count(full: 200_000, quick: 20_000)
            let perRun = swiftRuns(runs, warmUp: { _ = await swiftSpawnGroup(tasks: 2_000) }) {
                Double(await swiftSpawnGroup(tasks: n)) / Double(n)
            }
            report.add("host_spawn_ns_swift", median(perRun), decimals: 1, unit: "ns",
                       "median; withTaskGroup, addTask {} x\(spawnBatch), waitForAll(); \(n) tasks/run, \(spread(perRun))")
        }
        if o.selected("spawn-swift-task") {
            let n = count(full: 200_000, quick: 20_000)
            let perRun = swiftRuns(runs, warmUp: { _ = await swiftSpawnTask(tasks: 2_000) }) {
                Double(await swiftSpawnTask(tasks: n)) / Double(n)
            }
            report.add("host_spawn_ns_swift_task", median(perRun), decimals: 1, unit: "ns",
                       "one at a time: await Task {}.value; \(spread(perRun))")
        }
        // A sanitizer build (swift build --sanitize=…) compiles the malloc counter out:
        // its counts are 0 and prove nothing, so the allocation figures are not reported.
        let counting = pollen_malloc_counting_available() != 0
        if !counting && (o.selected("allocs-pollen") || o.selected("allocs-swift")) {
            print("allocs-pollen, allocs-swift: skipped: malloc counting is compiled out under a sanitizer (the `mallocs:` in the notes of this run were not counted either)")
        }
        if counting && o.selected("allocs-pollen") {
            let n = count(full: 100_000, quick: 20_000)
            let r = pollenAllocsPerTask(tasks: n)
            report.add("host_allocs_per_task_pollen", r.perTask, decimals: 2, unit: "calls",
                       "malloc-family calls over \(r.tasks) spawn/poll/complete cycles (batched + single): \(r.thread) on the executor thread, \(r.process) process-wide")
        }
        if counting && o.selected("allocs-swift") {
            let n = count(full: 100_000, quick: 10_000)
            let (group, single) = blockingAwait { () async -> (UInt64, UInt64) in
                _ = await swiftSpawnGroup(tasks: 2_000)
                var before = pollen_malloc_total()
                _ = await swiftSpawnGroup(tasks: n)
                let group = pollen_malloc_total() - before
                _ = await swiftSpawnTask(tasks: 2_000)
                before = pollen_malloc_total()
                _ = await swiftSpawnTask(tasks: n)
                return (group, pollen_malloc_total() - before)
            }
            report.add("host_allocs_per_task_swift", Double(group) / Double(n), decimals: 2, unit: "calls",
                       "process-wide malloc-family calls / task: task group (addTask {} x\(spawnBatch), waitForAll), \(n) tasks")
            report.add("host_allocs_per_task_swift_task", Double(single) / Double(n), decimals: 2, unit: "calls",
                       "same for await Task {}.value, \(n) tasks")
        }
        if o.selected("bytes-pollen") {
            let b = pollenBytesPerSuspendedTask()
            report.add("host_bytes_per_suspended_task_pollen", b.total, decimals: 2, unit: "bytes",
                       "layout: pool slot stride \(b.slotStride) B (future \(b.futureSize) B + state, output room, padding) + executor \(format(b.executorPerSlot, decimals: 3)) B/slot; heap growth with 32 suspended: \(b.heapGrowth) B")
        }
        if o.selected("bytes-swift") {
            let n = o.iterations ?? 10_000
            _ = swiftBytesPerSuspendedTask(count: 1_000)   // warm-up
            let b = swiftBytesPerSuspendedTask(count: n)
            report.add("host_bytes_per_suspended_task_swift", b, decimals: 1, unit: "bytes",
                       "mallinfo2 in-use growth (all arenas) / \(n) Tasks parked in withUnsafeContinuation")
        }

        print(String(repeating: "-", count: 100))
        if let p = report.value("host_handoff_ns_pollen"), let s = report.value("host_handoff_ns_swift") {
            let ratio = s / p
            print("hand-off: Pollen \(format(ratio, decimals: 1))x faster than the Swift continuation ping-pong (target >= 50x: \(ratio >= 50 ? "met" : "NOT met"))")
        }
        if let p = report.value("host_handoff_ns_pollen"), let s = report.value("host_handoff_ns_swift_actor") {
            print("hand-off: Pollen \(format(s / p, decimals: 1))x faster than the actor-isolated Swift ping-pong")
        }
        if let p = report.value("host_handoff_ns_pollen_module"), let s = report.value("host_handoff_ns_swift") {
            print("hand-off through the separately built Pollen module: \(format(s / p, decimals: 1))x faster than Swift")
        }
        if let p = report.value("host_spawn_ns_pollen"), let s = report.value("host_spawn_ns_swift") {
            print("spawn: Pollen \(format(s / p, decimals: 1))x faster than a Swift task group")
        }
        if let p = report.value("host_allocs_per_task_pollen") {
            print("allocations per Pollen task: \(format(p, decimals: 2)) (target 0: \(p == 0 ? "met" : "NOT met"))")
        }
        if let p = report.value("host_bytes_per_suspended_task_pollen"), let s = report.value("host_bytes_per_suspended_task_swift") {
            print("bytes per suspended task: Swift \(format(s / p, decimals: 1))x Pollen")
        }
        print("")
        for f in report.figures { print("\(f.name)=\(format(f.value, decimals: f.decimals))") }
    }
}
