// The Pollen half: hand-off, spawn, allocations and bytes per task, measured on
// the real executor and pools. Everything is allocated (Pinned) before a
// measured loop starts; every measured loop runs between
// pollen_malloc_count_begin/end and the count is reported, so "0 allocations"
// is a measurement, not a claim.
//
// Which Pollen: the core's sources are compiled into this module (PollenCore is
// a symlink to Sources/Pollen), so `Executor`, `TaskPool`, `Future` … below are
// this module's copy, optimised whole-module together with the tasks, exactly
// as ./Board/build compiles firmware (core + app in one module). The copy in the
// separately compiled `Pollen` library is measured too (ModuleVariant.swift):
// Package.swift builds it with -cross-module-optimization in release, so its
// generics are specialised for the caller's task types and it comes within ~10%
// of the in-module copy; without that flag it is an order of magnitude slower.
import MallocCounter
import PollenHost

// MARK: - Hand-off

/// What the two ping-pong tasks share: each one's stored waker, whose turn it
/// is, and how many hand-offs have happened.
struct PingShared {
    var waker0: Waker? = nil
    var waker1: Waker? = nil
    var turn = 0
    var handoffs = 0
    var limit = 0
}

/// One side of the ping-pong. On each poll it stores its waker (as any future
/// waiting on an event does); if it holds the turn, it passes the turn to the
/// other task and wakes it through the waker that task stored. Both complete
/// once `limit` hand-offs have happened.
struct PingPong: Future {
    let shared: UnsafeMutablePointer<PingShared>
    let me: Int

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        let s = shared
        let other: Waker?
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

/// A platform that does nothing: a constant clock, and `idle` ends the run (it is
/// only called once no task is ready, i.e. when the ping-pong is over).
struct NullPlatform: Platform {
    mutating func now() -> Instant { .zero }
    mutating func idle(until deadline: Instant?, strategy: IdleStrategy,
                       isStillIdle: () -> Bool) -> IdleOutcome { .stop }
}

/// How the executor is driven in the hand-off benchmark.
enum PollenDriver {
    /// `while executor.runReady(tasks) > 0 {}`: one pass per hand-off, no clock, no
    /// timer check. The lowest-overhead honest driver.
    case runReady
    /// `executor.run(on: &NullPlatform(), idle: .busyPoll, tasks: tasks)`: the full run loop
    /// (clock read, timer check, ready check, pass) with a platform that costs nothing.
    case runLoop
}

/// A pinned executor with the two ping-pong tasks' pool and their shared state,
/// allocated once and reused by every run.
final class PollenPingPongRig {
    let executor = Pinned(Executor<1>()).address
    let pool = Pinned(TaskPool<PingPong, 2>(name: "pingpong")).address
    let shared = UnsafeMutablePointer<PingShared>.allocate(capacity: 1)
    let tasks: PoolRef<PingPong, 2>

    init() {
        shared.initialize(to: PingShared())
        do throws(CapacityError) {
            tasks = try executor.pointee.attach(&pool.pointee)
        } catch {
            fatalError("bench capacity check: \(error)")
        }
    }

    /// Runs exactly `handoffs` hand-offs. Returns (nanoseconds, malloc calls on
    /// this thread during the run).
    func run(handoffs: Int, driver: PollenDriver) -> (nanos: UInt64, mallocs: UInt64) {
        shared.pointee = PingShared(limit: handoffs)
        var platform = NullPlatform()
        pollen_malloc_count_begin()
        let t0 = monotonicNanos()
        do throws(SpawnError) {
            try tasks.spawn(PingPong(shared: shared, me: 0))
            try tasks.spawn(PingPong(shared: shared, me: 1))
        } catch {
            fatalError("bench spawn: \(error)")
        }
        switch driver {
        case .runReady:
            while executor.pointee.runReady(tasks) > 0 {}
        case .runLoop:
            executor.pointee.run(on: &platform, idle: .busyPoll, tasks: tasks)
        }
        let t1 = monotonicNanos()
        let mallocs = pollen_malloc_count_end()
        precondition(shared.pointee.handoffs == handoffs, "ping-pong did \(shared.pointee.handoffs) of \(handoffs) hand-offs")
        precondition(pool.pointee.occupiedCount == 0, "ping-pong tasks did not complete")
        return (t1 - t0, mallocs)
    }
}

/// Hand-off benchmark: `runs` runs of `handoffs` hand-offs after one warm-up of a
/// fixed size; returns the ns per hand-off of each run and the malloc calls seen
/// in all measured runs.
func pollenHandoff(handoffs: Int, runs: Int, driver: PollenDriver) -> (perRun: [Double], mallocs: UInt64) {
    let rig = PollenPingPongRig()
    _ = rig.run(handoffs: 10_000, driver: driver)   // warm-up: fixed size (callgrind differences cancel it)
    var perRun: [Double] = []
    perRun.reserveCapacity(runs)
    var mallocs: UInt64 = 0
    for _ in 0..<runs {
        let r = rig.run(handoffs: handoffs, driver: driver)
        perRun.append(Double(r.nanos) / Double(handoffs))
        mallocs += r.mallocs
    }
    return (perRun, mallocs)
}

// MARK: - Spawn

/// The trivial task: completes on its first poll (bumping a counter, so the
/// benchmark can check every task ran).
struct Trivial: Future {
    let counter: UnsafeMutablePointer<Int>
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        counter.pointee &+= 1
        return .ready(())
    }
}

/// Pollen's batch size for the spawn benchmark: one full 32-slot pool, the
/// same batch the Swift task-group benchmark uses.
let spawnBatch = 32

/// A 32-slot pool of trivial tasks and a 1-slot one, each on its own pinned
/// `Executor<1>` (single-word ready mask, as firmware with ≤ 32 tasks has).
final class PollenSpawnRig {
    let batchExecutor = Pinned(Executor<1>()).address
    let singleExecutor = Pinned(Executor<1>()).address
    let batchPool = Pinned(TaskPool<Trivial, 32>(name: "trivial-batch")).address
    let singlePool = Pinned(TaskPool<Trivial, 1>(name: "trivial-single")).address
    let counter = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    let batch: PoolRef<Trivial, 32>
    let single: PoolRef<Trivial, 1>

    init() {
        counter.initialize(to: 0)
        do throws(CapacityError) {
            batch = try batchExecutor.pointee.attach(&batchPool.pointee)
            single = try singleExecutor.pointee.attach(&singlePool.pointee)
        } catch {
            fatalError("bench capacity check: \(error)")
        }
    }

    /// Spawns and completes `tasks` trivial tasks, `spawnBatch` at a time (spawn a
    /// full pool, then one executor pass completes them all) or one at a time
    /// (spawn, pass). Returns (nanoseconds, malloc calls on this thread).
    func run(tasks: Int, batched: Bool) -> (nanos: UInt64, mallocs: UInt64) {
        counter.pointee = 0
        let task = Trivial(counter: counter)
        pollen_malloc_count_begin()
        let t0 = monotonicNanos()
        do throws(SpawnError) {
            if batched {
                var left = tasks
                while left > 0 {
                    let k = min(spawnBatch, left)
                    for _ in 0..<k { try batch.spawn(task) }
                    batchExecutor.pointee.runReady(batch)
                    left -= k
                }
            } else {
                for _ in 0..<tasks {
                    try single.spawn(task)
                    singleExecutor.pointee.runReady(single)
                }
            }
        } catch {
            fatalError("bench spawn: \(error)")
        }
        let t1 = monotonicNanos()
        let mallocs = pollen_malloc_count_end()
        precondition(counter.pointee == tasks, "spawned \(tasks) tasks, \(counter.pointee) completed")
        return (t1 - t0, mallocs)
    }
}

/// Spawn benchmark: ns per spawned-and-completed task for each run, and the
/// malloc calls seen in all measured runs.
func pollenSpawn(tasks: Int, runs: Int, batched: Bool) -> (perRun: [Double], mallocs: UInt64) {
    let rig = PollenSpawnRig()
    _ = rig.run(tasks: 10_000, batched: batched)   // warm-up (fixed size)
    var perRun: [Double] = []
    perRun.reserveCapacity(runs)
    var mallocs: UInt64 = 0
    for _ in 0..<runs {
        let r = rig.run(tasks: tasks, batched: batched)
        perRun.append(Double(r.nanos) / Double(tasks))
        mallocs += r.mallocs
    }
    return (perRun, mallocs)
}

/// Malloc calls per spawned task: `tasks` spawn/poll/complete cycles (batched and
/// single), counted on this thread (the executor runs nowhere else) and also as a
/// process-wide delta. Returns (per-task count, thread count, process delta, tasks).
func pollenAllocsPerTask(tasks: Int) -> (perTask: Double, thread: UInt64, process: UInt64, tasks: Int) {
    let rig = PollenSpawnRig()
    _ = rig.run(tasks: 1_000, batched: true)
    _ = rig.run(tasks: 1_000, batched: false)
    let before = pollen_malloc_total()
    let a = rig.run(tasks: tasks, batched: true)
    let b = rig.run(tasks: tasks, batched: false)
    let after = pollen_malloc_total()
    let thread = a.mallocs + b.mallocs
    return (Double(thread) / Double(2 * tasks), thread, after - before, 2 * tasks)
}

// MARK: - Bytes per suspended task

/// A small suspended future: it waits for a flag, keeping a pointer to it.
/// 8 bytes on the host (4 on a 32-bit MCU), like a Swift task awaiting one
/// continuation that holds nothing but a reference.
struct WaitFlag: Future {
    let flag: UnsafeMutablePointer<Bool>
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        flag.pointee ? .ready(()) : .pending
    }
}

/// RAM per suspended task, from the type layout (exact, no measurement noise):
/// the pool's per-slot stride (future in place, output room, state) plus the
/// executor's per-slot share (ready bit, generation byte, overflow bit, summary).
/// As a cross-check, 32 such tasks are spawned and polled until all are suspended,
/// and the heap's growth meanwhile is returned (it should be 0).
func pollenBytesPerSuspendedTask() -> (total: Double, slotStride: Int, futureSize: Int, executorPerSlot: Double, heapGrowth: Int) {
    let p32 = MemoryLayout<TaskPool<WaitFlag, 32>>.size
    let p64 = MemoryLayout<TaskPool<WaitFlag, 64>>.size
    let stride = (p64 - p32) / 32
    let e1 = MemoryLayout<Executor<1>>.size
    let e2 = MemoryLayout<Executor<2>>.size
    let executorPerSlot = Double(e2 - e1) / 32

    let executor = Pinned(Executor<1>()).address
    let pool = Pinned(TaskPool<WaitFlag, 32>(name: "suspended")).address
    let flag = UnsafeMutablePointer<Bool>.allocate(capacity: 1)
    flag.initialize(to: false)
    let tasks: PoolRef<WaitFlag, 32>
    do throws(CapacityError) { tasks = try executor.pointee.attach(&pool.pointee) } catch { fatalError("\(error)") }
    let before = heapBytesInUse()
    do throws(SpawnError) {
        for _ in 0..<32 { try tasks.spawn(WaitFlag(flag: flag)) }
    } catch { fatalError("\(error)") }
    executor.pointee.runReady(tasks)   // each polled once: all 32 now suspended
    let growth = heapBytesInUse() - before
    precondition(pool.pointee.occupiedCount == 32, "suspended tasks completed")
    flag.pointee = true
    for i in 0..<32 { executor.pointee.waker(forSlot: i)?.wake() }
    executor.pointee.runReady(tasks)
    precondition(pool.pointee.occupiedCount == 0, "suspended tasks did not complete")
    return (Double(stride) + executorPerSlot, stride, MemoryLayout<WaitFlag>.size, executorPerSlot, growth)
}
