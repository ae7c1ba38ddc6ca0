import Pollen
import PollenHost
import Testing

/// A future that notes when it is dropped (to prove cancellation drops it at once).
struct DropProbe: ~Copyable, Future {
    let name: String
    let trace: Trace
    let wakeAfter: Int
    var polls = 0
    mutating func poll(_ context: inout Context) -> Poll<Int> {
        polls += 1
        trace.log("poll \(name)")
        if polls >= wakeAfter { return .ready(polls * 10) }
        context.waker.wake()
        return .pending
    }
    deinit { trace.log("drop \(name)") }
}

/// Awaits a join handle from inside a task.
struct Joiner: ~Copyable, Future {
    var handle: JoinHandle<DropProbe, 4>
    let trace: Trace
    mutating func poll(_ context: inout Context) -> Poll<Int> {
        trace.log("poll joiner")
        switch handle.poll(&context) {
        case .pending: return .pending
        case .ready(.completed(let v)): trace.log("joined \(v)"); return .ready(v)
        case .ready(.cancelled): trace.log("joined: cancelled"); return .ready(-1)
        }
    }
}

@Suite("Join handles, cancellation, reservations")
struct JoinHandleTests {
    @Test("a task awaiting a join handle sleeps until the task completes, then gets its output")
    func joinOutput() {
        let trace = Trace()
        let executor = Pinned(Executor<1>())
        let workers = Pinned(TaskPool<DropProbe, 4>(name: "workers"))
        let joiners = Pinned(TaskPool<Joiner, 1>(name: "joiners"))
        let workerTasks = try! executor.pointee.attach(&workers.pointee)
        let joinerTasks = try! executor.pointee.attach(&joiners.pointee)
        let handle = try! workers.pointee.spawnJoinable(DropProbe(name: "w", trace: trace, wakeAfter: 3))
        try! joiners.pointee.spawn(Joiner(handle: handle, trace: trace))
        while executor.pointee.runReady(tasks(workerTasks, joinerTasks)) > 0 {}
        #expect(trace.entries == [
            "poll w", "poll joiner",   // pass 1: the worker wakes itself; the joiner registers
            "poll w",                  // pass 2: only the worker (the joiner sleeps)
            "poll w", "drop w",        // pass 3: the worker completes, its future is dropped
            "poll joiner", "joined 30" // pass 4: the joiner was woken by the completion
        ])
        let occupied = workers.pointee.occupiedCount
        #expect(occupied == 0)   // taking the output freed the slot
    }

    @Test("cancel drops the future at once, frees the slot, makes its wakers stale; awaiting reports cancelled")
    func cancel() {
        let trace = Trace()
        let rig = Rig<DropProbe, 4>()
        let timers = Pinned(TimerQueue<4>())
        rig.executor.pointee.attach(timers: &timers.pointee)
        var handle = try! rig.pool.pointee.spawnJoinable(DropProbe(name: "w", trace: trace, wakeAfter: 100))
        rig.pass()
        let waker = rig.executor.pointee.waker(forSlot: 0)!
        let running = handle.isRunning
        #expect(running)
        let stopped = handle.cancel()
        #expect(stopped)
        #expect(trace.entries == ["poll w", "drop w"])
        #expect(rig.occupied == 0)
        #expect(waker.wake() == .stale)
        #expect(rig.pass() == 0)                   // its pending self-wake polls nothing
        var context = Context(waker: waker, now: .zero)
        guard case .ready(.cancelled) = handle.poll(&context) else { Issue.record("expected .cancelled"); return }
        let again = handle.cancel()
        #expect(!again)                            // a second cancel does nothing
    }

    @Test("cancelling a task waiting on a timer releases its timer entry")
    func cancelReleasesTimer() {
        let rig = Rig<Scripted, 2>()
        let timers = Pinned(TimerQueue<1>())
        rig.executor.pointee.attach(timers: &timers.pointee)
        var timer = Timer.after(.seconds(10))
        var handle = try! rig.pool.pointee.spawnJoinable(Scripted("t", Trace()) { _, cx in
            timer.poll(&cx).isReady ? .ready(0) : .pending
        })
        rig.pass()
        var armed = rig.executor.pointee.armedTimers
        #expect(armed == 1)
        handle.cancel()
        armed = rig.executor.pointee.armedTimers
        #expect(armed == 0)
        // The single timer entry is free again for another task.
        var other = Timer.after(.seconds(1))
        rig.spawn(Scripted("u", Trace()) { _, cx in other.poll(&cx).isReady ? .ready(0) : .pending })
        rig.pass()
        let overflows = rig.executor.pointee.timerOverflows
        #expect(overflows == 0)
    }

    @Test("cancel after completion returns false and the output is still delivered")
    func cancelAfterCompletion() {
        let trace = Trace()
        let rig = Rig<DropProbe, 2>()
        var handle = try! rig.pool.pointee.spawnJoinable(DropProbe(name: "w", trace: trace, wakeAfter: 1))
        rig.pass()
        let stopped = handle.cancel()
        #expect(!stopped)
        var context = Context(waker: handWaker(), now: .zero)
        guard case .ready(.completed(10)) = handle.poll(&context) else { Issue.record("expected output 10"); return }
        #expect(rig.occupied == 0)
    }

    @Test("dropping a handle detaches the task: it runs to completion and its slot frees")
    func dropDetaches() {
        let trace = Trace()
        let rig = Rig<DropProbe, 2>()
        do {
            let handle = try! rig.pool.pointee.spawnJoinable(DropProbe(name: "w", trace: trace, wakeAfter: 2))
            _ = consume handle
        }
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll w", "poll w", "drop w"])
        #expect(rig.occupied == 0)
    }

    @Test("a finished task's output is dropped with the handle, freeing the slot")
    func dropFinished() {
        let trace = Trace()
        let rig = Rig<DropProbe, 1>()
        var handle: JoinHandle<DropProbe, 1>? = try! rig.pool.pointee.spawnJoinable(DropProbe(name: "w", trace: trace, wakeAfter: 1))
        rig.pass()
        #expect(rig.occupied == 1)   // finished, output kept for the handle
        _ = handle
        handle = nil
        #expect(rig.occupied == 0)
    }

    @Test("a reservation made before costly set-up can always be filled, even when the pool has since filled up")
    func reserveThenFill() {
        let trace = Trace()
        let rig = Rig<DropProbe, 2>()
        let reservation = try! rig.pool.pointee.reserve()
        rig.spawn(DropProbe(name: "a", trace: trace, wakeAfter: 5))
        #expect(throws: SpawnError.self) { try rig.pool.pointee.spawn(DropProbe(name: "b", trace: trace, wakeAfter: 1)) }
        var handle = reservation.fillJoinable(DropProbe(name: "r", trace: trace, wakeAfter: 1))
        rig.pass()
        var context = Context(waker: handWaker(), now: .zero)
        guard case .ready(.completed(10)) = handle.poll(&context) else { Issue.record("expected 10"); return }
        #expect(trace.entries.starts(with: ["drop b", "poll r", "drop r", "poll a"]))
    }
}
