@testable import Pollen
import PollenHost
import Testing

/// "A stale waker never makes the executor poll an empty slot: the executor checks
/// occupancy itself" (`Waker`). A ready bit can name a slot that holds no running
/// task without any stale waker passing its check: a wake from another thread or
/// level that read the generation just before the task ended sets its bit just
/// after; and a task set given to `runReady` may leave an attached pool out. These
/// tests set such bits and check that the pass polls nothing for them
/// (Board/tradeoffs/occupancy-checks.patch takes the checks out: they fail).
@Suite("Executor: occupancy checked before every poll")
struct OccupancyTests {
    @Test("a ready bit left for a slot whose task has ended (a wake that raced the end) polls nothing")
    func bitOfEndedSlot() {
        let polls = makeCounter()
        let rig = Rig<Countdown, 2>()
        rig.spawn(Countdown(counter: polls, remaining: 1))   // ends on its first poll
        #expect(rig.pass() == 1)                   // polled once, ended: slot 0 is free
        #expect(polls.pointee == 1)
        #expect(rig.occupied == 0)
        // What a wake racing the end leaves: the bit, after the generation moved on.
        rig.executor.pointee.groupsAddress.schedule(slot: 0)
        #expect(rig.ready)
        #expect(rig.pass() == 0)                   // the bit is taken, nothing is polled
        #expect(polls.pointee == 1)
        #expect(!rig.ready)
        // The slot is reused normally afterwards.
        rig.spawn(Countdown(counter: polls, remaining: 2))
        #expect(rig.pass() == 1)
        #expect(polls.pointee == 2)
    }

    @Test("runReady with a task set that leaves a pool out polls none of that pool's tasks")
    func poolLeftOut() {
        let polls = makeCounter()
        let executor = Pinned(Executor<1>())
        let first = Pinned(TaskPool<Countdown, 1>(name: "first"))
        let second = Pinned(TaskPool<Countdown, 1>(name: "second"))
        let firstTasks = try! executor.pointee.attach(&first.pointee)    // slot 0
        let secondTasks = try! executor.pointee.attach(&second.pointee)  // slot 1
        try! secondTasks.spawn(Countdown(counter: polls, remaining: 2))
        // Slot 1 is ready, and `firstTasks` does not cover it: its pool must not
        // be asked to poll a slot past its end.
        #expect(executor.pointee.runReady(firstTasks) == 0)
        #expect(polls.pointee == 0)
        do throws(CapacityError) {
            try executor.pointee.check(firstTasks)
            Issue.record("check accepted a task set that leaves a pool out")
        } catch {
            guard case .poolNotRun = error else { Issue.record("unexpected \(error)"); return }
        }
        // Given the whole set, the task is polled once it is woken again.
        executor.pointee.waker(forSlot: 1)?.wake()
        #expect(executor.pointee.runReady(tasks(firstTasks, secondTasks)) == 1)
        #expect(polls.pointee == 1)
    }
}
