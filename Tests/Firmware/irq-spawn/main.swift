// irq-spawn — an interrupt handler spawns tasks through a global `PoolRef`
// while task context spawns into the same pool, inside `Executor.run` with
// `.sleep` idle. A slot is claimed with an atomic compare-exchange and the
// future is published before its ready bit, so every spawn that succeeds is
// polled exactly once, and a full pool is reported (`poolFull`), never lost.
// One line per check (`name... OK`); any failure prints `FAIL` and exits 1.

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)
import Synchronization

/// Completes at its first poll, recording who spawned it.
struct Job: Future {
    let fromInterrupt: Bool
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        if fromInterrupt {
            interruptJobsPolled.wrappingAdd(1, ordering: .relaxed)
        } else {
            taskJobsPolled.wrappingAdd(1, ordering: .relaxed)
        }
        return .ready(())
    }
}

let interruptSpawned = Atomic<UInt32>(0)
let interruptRejected = Atomic<UInt32>(0)
let interruptJobsPolled = Atomic<UInt32>(0)
let taskJobsPolled = Atomic<UInt32>(0)

/// The pool the interrupt handler spawns into, set before the interrupt is enabled.
nonisolated(unsafe) var jobPool: PoolRef<Job, 4>? = nil

/// The software interrupt's hook: one spawn from handler mode.
func onSoftwareInterrupt() {
    guard let pool = jobPool else { return }
    do throws(SpawnError) {
        try pool.spawn(Job(fromInterrupt: true))
        interruptSpawned.wrappingAdd(1, ordering: .relaxed)
    } catch {
        interruptRejected.wrappingAdd(1, ordering: .relaxed)
    }
}

let rounds: UInt32 = 2_000

/// Each poll: one spawn from task context, then one (or five, every fourth
/// round, to overfill the pool) from the interrupt; then it checks the counts.
struct Driver: Future {
    var round: UInt32 = 0
    var taskSpawned: UInt32 = 0
    var taskRejected: UInt32 = 0
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        if round < rounds {
            round &+= 1
            if let pool = jobPool {
                do throws(SpawnError) {
                    try pool.spawn(Job(fromInterrupt: false))
                    taskSpawned &+= 1
                } catch {
                    taskRejected &+= 1
                }
            }
            Board.pendSoftwareInterrupt()
            if round & 3 == 0 {
                for _ in 0..<4 { Board.pendSoftwareInterrupt() }   // more than the pool holds
            }
            context.waker.wake()
            return .pending
        }
        let fromInterrupt = interruptSpawned.load(ordering: .relaxed)
        let rejected = interruptRejected.load(ordering: .relaxed)
        if interruptJobsPolled.load(ordering: .relaxed) != fromInterrupt
            || taskJobsPolled.load(ordering: .relaxed) != taskSpawned {
            context.waker.wake()   // the last jobs run on the next pass
            return .pending
        }
        check("every interrupt spawn either succeeded or said poolFull",
              fromInterrupt &+ rejected == rounds &+ rounds / 4 &* 4, fromInterrupt &+ rejected)
        check("a full pool was met and reported", rejected > 0 || taskRejected > 0)
        check("every spawned job from the interrupt was polled exactly once",
              interruptJobsPolled.load(ordering: .relaxed) == fromInterrupt, interruptJobsPolled.load(ordering: .relaxed))
        check("every spawned job from task context was polled exactly once",
              taskJobsPolled.load(ordering: .relaxed) == taskSpawned, taskJobsPolled.load(ordering: .relaxed))
        check("both contexts spawned", fromInterrupt > 0 && taskSpawned > 0)
        Board.exit(0)
    }
}

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var jobs = TaskPool<Job, 4>(name: "jobs")
nonisolated(unsafe) var drivers = TaskPool<Driver, 1>(name: "driver")

@main
struct IRQSpawn {
    static func main() {
        var platform = Board.startTicks()
        let job: PoolRef<Job, 4>
        let driver: PoolRef<Driver, 1>
        do throws(CapacityError) {
            job = try executor.attach(&jobs)
            driver = try executor.attach(&drivers)
        } catch {
            Board.fail(error)
        }
        jobPool = job
        Board.setSoftwareInterruptHook { onSoftwareInterrupt() }
        Board.enableSoftwareInterrupt()
        spawn(driver, Driver())
        executor.run(on: &platform, idle: .sleep, tasks: tasks(job, driver))
        Board.writeLine("run returned... FAIL")
        Board.exit(1)
    }
}
