// The same Pollen hand-off and spawn benchmarks against the separately compiled
// `Pollen` library module, as a SwiftPM package depending on Pollen gets it today.
// Every name is qualified `Pollen.` (this module's own copy of the core, see
// PollenBenchmarks.swift, would shadow it otherwise). The task code is the same
// as in PollenBenchmarks.swift.
import MallocCounter
import Pollen
import PollenHost

struct ModPingShared {
    var waker0: Pollen.Waker? = nil
    var waker1: Pollen.Waker? = nil
    var turn = 0
    var handoffs = 0
    var limit = 0
}

struct ModPingPong: Pollen.Future {
    let shared: UnsafeMutablePointer<ModPingShared>
    let me: Int

    mutating func poll(_ context: inout Pollen.Context) -> Pollen.Poll<Void> {
        let s = shared
        let other: Pollen.Waker?
        if me == 0 {
            s.pointee.waker0 = context.waker
            other = s.pointee.waker1
        } else {
            s.pointee.waker1 = context.waker
            other = s.pointee.waker0
        }
        if s.pointee.handoffs >= s.pointee.limit {
            other?.wake()
            return .ready(())
        }
        if s.pointee.turn == me {
            s.pointee.handoffs &+= 1
            s.pointee.turn = 1 &- me
            other?.wake()
        }
        return .pending
    }
}

struct ModTrivial: Pollen.Future {
    let counter: UnsafeMutablePointer<Int>
    mutating func poll(_ context: inout Pollen.Context) -> Pollen.Poll<Void> {
        counter.pointee &+= 1
        return .ready(())
    }
}

/// Hand-off through the library module (driver `while runReady(tasks) > 0 {}`).
func moduleHandoff(handoffs: Int, runs: Int) -> (perRun: [Double], mallocs: UInt64) {
    let executor = Pinned(Pollen.Executor<1>()).address
    let pool = Pinned(Pollen.TaskPool<ModPingPong, 2>(name: "pingpong")).address
    let shared = UnsafeMutablePointer<ModPingShared>.allocate(capacity: 1)
    shared.initialize(to: ModPingShared())
    let tasks: Pollen.PoolRef<ModPingPong, 2>
    do throws(Pollen.CapacityError) { tasks = try executor.pointee.attach(&pool.pointee) } catch { fatalError("\(error)") }

    func run(_ n: Int) -> (UInt64, UInt64) {
        shared.pointee = ModPingShared(limit: n)
        pollen_malloc_count_begin()
        let t0 = monotonicNanos()
        do throws(Pollen.SpawnError) {
            try tasks.spawn(ModPingPong(shared: shared, me: 0))
            try tasks.spawn(ModPingPong(shared: shared, me: 1))
        } catch { fatalError("\(error)") }
        while executor.pointee.runReady(tasks) > 0 {}
        let t1 = monotonicNanos()
        let mallocs = pollen_malloc_count_end()
        precondition(shared.pointee.handoffs == n, "ping-pong did \(shared.pointee.handoffs) of \(n) hand-offs")
        return (t1 - t0, mallocs)
    }
    _ = run(10_000)
    var perRun: [Double] = [], mallocs: UInt64 = 0
    for _ in 0..<runs {
        let (ns, m) = run(handoffs)
        perRun.append(Double(ns) / Double(handoffs))
        mallocs += m
    }
    return (perRun, mallocs)
}

/// Spawn through the library module: `spawnBatch` tasks into a 32-slot pool, one pass.
func moduleSpawn(tasks n: Int, runs: Int) -> (perRun: [Double], mallocs: UInt64) {
    let executor = Pinned(Pollen.Executor<1>()).address
    let pool = Pinned(Pollen.TaskPool<ModTrivial, 32>(name: "trivial-batch")).address
    let counter = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    counter.initialize(to: 0)
    let tasks: Pollen.PoolRef<ModTrivial, 32>
    do throws(Pollen.CapacityError) { tasks = try executor.pointee.attach(&pool.pointee) } catch { fatalError("\(error)") }

    func run(_ count: Int) -> (UInt64, UInt64) {
        counter.pointee = 0
        let task = ModTrivial(counter: counter)
        pollen_malloc_count_begin()
        let t0 = monotonicNanos()
        var left = count
        do throws(Pollen.SpawnError) {
            while left > 0 {
                let k = min(spawnBatch, left)
                for _ in 0..<k { try tasks.spawn(task) }
                executor.pointee.runReady(tasks)
                left -= k
            }
        } catch { fatalError("\(error)") }
        let t1 = monotonicNanos()
        let mallocs = pollen_malloc_count_end()
        precondition(counter.pointee == count, "spawned \(count) tasks, \(counter.pointee) completed")
        return (t1 - t0, mallocs)
    }
    _ = run(10_000)
    var perRun: [Double] = [], mallocs: UInt64 = 0
    for _ in 0..<runs {
        let (ns, m) = run(n)
        perRun.append(Double(ns) / Double(n))
        mallocs += m
    }
    return (perRun, mallocs)
}
