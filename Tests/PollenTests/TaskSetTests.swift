import Pollen
import PollenHost
import Testing

@Suite("Task sets: every attached pool must be run")
struct TaskSetTests {
    @Test("check names the attached pool left out of the task set, before any poll")
    func checkNamesMissingPool() {
        let executor = Pinned(Executor<1>())
        let a = Pinned(TaskPool<Forever, 2>(name: "alpha"))
        let b = Pinned(TaskPool<Forever, 3>(name: "beta"))
        let c = Pinned(TaskPool<Forever, 1>(name: "gamma"))
        let refA = try! executor.pointee.attach(&a.pointee)
        let refB = try! executor.pointee.attach(&b.pointee)
        let refC = try! executor.pointee.attach(&c.pointee)
        do throws(CapacityError) {
            try executor.pointee.check(tasks(refA, refC))
            Issue.record("a missing pool was not reported")
        } catch {
            guard case .poolNotRun(let pool) = error else { Issue.record("wrong error \(error)"); return }
            #expect(pool.description == "beta")
            var text = StringOutput()
            error.describe(to: &text)
            #expect(text.text.contains("pool 'beta' is attached but not in the tasks given to run"))
        }
        // Slot counts alone would not catch it: two pools of one slot each swapped
        // for one pool of two is the same count. The check is by pool.
        #expect(throws: Never.self) { try executor.pointee.check(tasks(refA, refB, refC)) }
        #expect(throws: Never.self) { try executor.pointee.check(tasks(refC, refB, refA)) }   // any order
    }

    @Test("run stops with a message when a pool is missing, before polling anything")
    func runTrapsOnMissingPool() async {
        await #expect(processExitsWith: .failure) {
            let executor = Pinned(Executor<1>())
            let a = Pinned(TaskPool<Forever, 1>(name: "alpha"))
            let b = Pinned(TaskPool<Forever, 1>(name: "beta"))
            let refA = try! executor.pointee.attach(&a.pointee)
            _ = try! executor.pointee.attach(&b.pointee)
            var platform = SimulatedPlatform()
            executor.pointee.run(on: &platform, idle: .sleep, tasks: refA)
        }
    }

    @Test("eight pools in one task set: each slot is polled through its own pool")
    func eightPools() {
        let executor = Pinned(Executor<1>())
        let trace = Trace()
        let pools = (0..<8).map { _ in Pinned(TaskPool<Scripted, 1>(name: "p")) }
        let refs = pools.map { try! executor.pointee.attach(&$0.pointee) }
        let set = tasks(refs[0], refs[1], refs[2], refs[3], refs[4], refs[5], refs[6], refs[7])
        #expect(set.slotCount == 8)
        #expect(throws: Never.self) { try executor.pointee.check(set) }
        for (i, ref) in refs.enumerated() { try! ref.spawn(Scripted("t\(i)", trace) { _, _ in .ready(0) }) }
        #expect(executor.pointee.runReady(set) == 8)
        #expect(trace.entries == (0..<8).map { "poll t\($0)" })
    }
}
