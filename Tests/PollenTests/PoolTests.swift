import Pollen
import PollenHost
import Testing

@Suite("TaskPool: spawn errors, slot reuse, reservations")
struct PoolTests {
    @Test("a full pool reports poolFull with its name and capacity; the slot frees on completion")
    func fullPool() {
        let trace = Trace()
        let rig = Rig<Scripted, 2>()
        rig.spawn(Scripted("a", trace) { n, cx in
            if n == 1 { cx.waker.wake(); return .pending }
            return .ready(0)
        })
        rig.spawn(Scripted("b", trace) { _, _ in .pending })
        do {
            try rig.pool.pointee.spawn(Scripted("c", trace) { _, _ in .ready(0) })
            Issue.record("spawn into a full pool succeeded")
        } catch {
            guard case .poolFull(_, let capacity) = error else { Issue.record("wrong error \(error)"); return }
            #expect(capacity == 2)
            #expect(error.description == "spawn failed: pool 'pool' is full (capacity 2); wait for a task to finish or raise its capacity")
        }
        #expect(trace.entries.isEmpty)   // the rejected task was never polled
        rig.runUntilQuiet()              // "a" completes
        #expect(rig.occupied == 1)
        rig.spawn(Scripted("c", trace) { _, _ in .ready(0) })
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll b", "poll a", "poll c"])
    }

    @Test("spawn { … } claims a slot first and then builds the task in it; on a full pool the closure is not called")
    func spawnBuilding() {
        let trace = Trace()
        let rig = Rig<Scripted, 2>()
        var built: [String] = []
        try! rig.pool.pointee.spawn { built.append("a"); return Scripted("a", trace) { _, _ in .pending } }
        #expect(built == ["a"] && rig.occupied == 1)
        let handle = try! rig.tasks.spawnJoinable { built.append("b"); return Scripted("b", trace) { _, _ in .ready(7) } }
        #expect(built == ["a", "b"] && rig.occupied == 2)
        for attempt in 0..<2 {
            do {
                if attempt == 0 {
                    try rig.tasks.spawn { built.append("c"); return Scripted("c", trace) { _, _ in .ready(0) } }
                } else {
                    _ = try rig.pool.pointee.spawnJoinable { built.append("d"); return Scripted("d", trace) { _, _ in .ready(0) } }
                }
                Issue.record("spawn into a full pool succeeded")
            } catch {
                guard case .poolFull(_, let capacity) = error else { Issue.record("wrong error \(error)"); return }
                #expect(capacity == 2)
            }
        }
        #expect(built == ["a", "b"])   // never built for a full pool
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll a", "poll b"])
        var joined = handle
        var context = Context(waker: handWaker(), now: .zero)
        guard case .ready(.completed(let output)) = joined.poll(&context) else {
            Issue.record("the joinable task did not complete"); return
        }
        #expect(output == 7)
    }

    @Test("spawning into a pool that is not attached is an error, not a crash")
    func notAttached() {
        let pool = Pinned(TaskPool<Scripted, 2>(name: "loose"))
        #expect(throws: SpawnError.self) {
            try pool.pointee.spawn(Scripted("x", Trace()) { _, _ in .ready(0) })
        }
        do {
            try pool.pointee.spawn(Scripted("x", Trace()) { _, _ in .ready(0) })
        } catch {
            #expect(error.description.contains("pool 'loose' is not attached"))
        }
    }

    @Test("a reservation holds a slot, filling it cannot fail, dropping it frees the slot")
    func reservation() {
        let trace = Trace()
        let rig = Rig<Scripted, 2>()
        var reservation: SlotReservation<Scripted, 2>? = try! rig.pool.pointee.reserve()
        #expect(rig.occupied == 1)
        #expect(rig.pass() == 0)            // a reserved slot is never polled
        rig.spawn(Scripted("other", trace) { _, _ in .pending })
        #expect(throws: SpawnError.self) { try rig.pool.pointee.reserve() }   // full
        reservation!.fill(Scripted("filled", trace) { _, _ in .ready(0) })
        reservation = nil
        rig.runUntilQuiet()
        #expect(trace.entries == ["poll filled", "poll other"])
        var dropped: SlotReservation<Scripted, 2>? = try! rig.pool.pointee.reserve()
        #expect(rig.occupied == 2)
        _ = dropped
        dropped = nil
        #expect(rig.occupied == 1)
    }

    @Test("slots are reused indefinitely: 1000 sequential tasks in a one-slot pool")
    func slotReuse() {
        let counter = makeCounter()
        let rig = Rig<Countdown, 1>()
        for _ in 0..<1000 {
            rig.spawn(Countdown(counter: counter, remaining: 2))
            rig.runUntilQuiet()
        }
        #expect(counter.pointee == 2000)
        #expect(rig.occupied == 0)
    }
}

@Suite("Start-up capacity check")
struct CapacityTests {
    @Test("the suite's own configuration passes the check (run when the suite starts)")
    func suiteConfigurationFits() {
        #expect(SuiteConfiguration.failure == nil)
    }

    @Test("a pool larger than the executor's slots is rejected with its name and the numbers")
    func overSlots() {
        let executor = Pinned(Executor<1>())
        let small = Pinned(TaskPool<Parked, 20>(name: "sensors"))
        let big = Pinned(TaskPool<Parked, 13>(name: "radio"))
        _ = try! executor.pointee.attach(&small.pointee)
        do {
            _ = try executor.pointee.attach(&big.pointee)
            Issue.record("over-capacity pool accepted")
        } catch {
            guard case .slotsExceeded(_, 13, 20, 32) = error else { Issue.record("wrong error \(error)"); return }
            #expect(error.description == "capacity check failed: pool 'radio' needs 13 slots but only 12 of the executor's 32 remain; use a wider executor (more mask words) or smaller pools")
        }
        // Nothing was attached, so spawning into the rejected pool is refused too.
        #expect(throws: SpawnError.self) { try big.pointee.spawn(Parked(name: "x", trace: Trace(), wakerBox: makeWakerBox())) }
        let used = executor.pointee.slotsUsed
        #expect(used == 20)
    }

    @Test("pools over the declared RAM budget are rejected with the numbers")
    func overRamBudget() {
        let poolBytes = MemoryLayout<TaskPool<Countdown, 8>>.size
        let executor = Pinned(Executor<1>(ramBudget: poolBytes + 10))
        let a = Pinned(TaskPool<Countdown, 8>(name: "first"))
        let b = Pinned(TaskPool<Countdown, 8>(name: "second"))
        _ = try! executor.pointee.attach(&a.pointee)
        do {
            _ = try executor.pointee.attach(&b.pointee)
            Issue.record("over-budget pool accepted")
        } catch {
            guard case .ramBudgetExceeded(_, let bytes, let used, let budget) = error else { Issue.record("wrong error"); return }
            #expect(bytes == poolBytes && used == poolBytes && budget == poolBytes + 10)
            #expect(error.description == "capacity check failed: pool 'second' needs \(poolBytes) bytes of RAM but only 10 of the \(poolBytes + 10)-byte budget remain; shrink the pools or raise the budget")
        }
    }

    @Test("attaching a pool twice is rejected")
    func doubleAttach() {
        let executor = Pinned(Executor<1>())
        let pool = Pinned(TaskPool<Countdown, 2>(name: "twice"))
        _ = try! executor.pointee.attach(&pool.pointee)
        #expect(throws: CapacityError.self) { _ = try executor.pointee.attach(&pool.pointee) }
        let used = executor.pointee.slotsUsed
        #expect(used == 2)
    }

    @Test("the capacity report lists each pool with its slots and bytes")
    func report() {
        let executor = Pinned(Executor<1>(ramBudget: 4096))
        let a = Pinned(TaskPool<Countdown, 3>(name: "alpha"))
        let b = Pinned(TaskPool<Countdown, 5>(name: "beta"))
        _ = try! executor.pointee.attach(&a.pointee)
        _ = try! executor.pointee.attach(&b.pointee)
        var out = StringOutput()
        executor.pointee.describeCapacity(to: &out)
        let sa = MemoryLayout<TaskPool<Countdown, 3>>.size, sb = MemoryLayout<TaskPool<Countdown, 5>>.size
        #expect(out.text == """
            pool 'alpha': slots 0..<3, \(sa) bytes
            pool 'beta': slots 3..<8, \(sb) bytes
            slots: 8 of 32; pool RAM: \(sa + sb) bytes of 4096; timer queue: 0 entries

            """)
    }
}
