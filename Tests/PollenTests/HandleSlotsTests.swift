import Pollen
import PollenHost
import Testing

// HandleSlots (Sources/Pollen/HandleSlots.swift) and the `that { }` idiom for
// expectations on ~Copyable values (Sources/PollenHost/Expectations.swift).

/// A task that completes with `value` at its second poll (it wakes itself once).
func finishesOnSecondPoll(_ value: Int, _ trace: Trace) -> Scripted {
    Scripted("t\(value)", trace) { poll, context in
        if poll >= 2 { return .ready(value) }
        context.waker.wake()
        return .pending
    }
}

/// A task that never completes and never wakes itself.
func parked(_ trace: Trace) -> Scripted {
    Scripted("parked", trace) { _, _ in .pending }
}

@Suite("HandleSlots: fixed storage for many JoinHandles")
struct HandleSlotsTests {
    typealias Handle = JoinHandle<Scripted, 8>

    @Test("insert takes the lowest free slot; take frees it; count, isFull, isOccupied follow")
    func insertAndTake() {
        let trace = Trace()
        let rig = Rig<Scripted, 8>()
        var slots = HandleSlots<Handle, 3>()
        #expect(that { slots.isEmpty && !slots.isFull })
        for _ in 0..<3 { slots.insert(try! rig.pool.pointee.spawnJoinable(parked(trace))) }
        #expect(slots.count == 3)
        #expect(that { slots.isFull })
        let taken = slots.take(at: 1)
        #expect(that { taken != nil })
        #expect(slots.count == 2)
        #expect(that { !slots.isOccupied(1) && slots.isOccupied(2) })
        #expect(that { slots.take(at: 1) == nil })              // already free
        #expect(that { slots.take(at: 7) == nil })              // out of range
        let index = slots.insert(try! rig.pool.pointee.spawnJoinable(parked(trace)))
        #expect(index == 1)                                      // the freed slot is reused
        #expect(rig.occupied == 4)                               // `taken` still holds its task
    }

    @Test("withHandle lends a handle in place: query, cancel and poll it without moving it out")
    func withHandleInPlace() {
        let trace = Trace()
        let rig = Rig<Scripted, 8>()
        var slots = HandleSlots<Handle, 4>()
        slots.insert(try! rig.pool.pointee.spawnJoinable(parked(trace)))
        slots.insert(try! rig.pool.pointee.spawnJoinable(finishesOnSecondPoll(5, trace)))
        rig.runUntilQuiet()
        #expect(slots.withHandle(at: 0) { $0.isRunning } == true)
        #expect(slots.withHandle(at: 3) { $0.isRunning } == nil)     // free: body not called
        #expect(slots.withHandle(at: 0) { $0.cancel() } == true)
        #expect(slots.withHandle(at: 0) { $0.isRunning } == false)
        #expect(rig.occupied == 1)                               // the cancelled task's slot is free

        var context = Context(waker: handWaker(), now: .zero)
        let joined = slots.withHandle(at: 1) { handle -> Int? in
            guard case .ready(.completed(let value)) = handle.poll(&context) else { return nil }
            return value
        }
        #expect(joined == 5)
        #expect(rig.occupied == 0)                               // output taken: slot freed
    }

    @Test("forEach visits the occupied slots, lowest first, in place")
    func forEachInPlace() {
        let trace = Trace()
        let rig = Rig<Scripted, 8>()
        var slots = HandleSlots<Handle, 4>()
        for _ in 0..<3 { slots.insert(try! rig.pool.pointee.spawnJoinable(parked(trace))) }
        _ = slots.take(at: 1)
        var visited: [Int] = []
        slots.forEach { index, handle in
            visited.append(index)
            handle.cancel()
        }
        #expect(visited == [0, 2])
        #expect(rig.occupied == 1)                               // slot 1's task was detached by `_ =`
        #expect(slots.count == 2)                                // cancelled handles stay until removed
    }

    @Test("dropping the storage (from this module) drops every handle: running tasks are detached and run on")
    func dropDetaches() {
        let trace = Trace()
        let rig = Rig<Scripted, 8>()
        do {
            var slots = HandleSlots<Handle, 4>()
            for value in 0..<3 { slots.insert(try! rig.pool.pointee.spawnJoinable(finishesOnSecondPoll(value, trace))) }
            #expect(rig.occupied == 3)
        }   // dropped here: the JoinHandles' deinits detach their tasks
        rig.runUntilQuiet()
        // Detached tasks free their slots when they complete; joinable ones would
        // keep them (their outputs waiting for a handle).
        #expect(rig.occupied == 0)
        #expect(trace.entries.filter { $0 == "poll t1" }.count == 2)
    }

    @Test("removeAll drops every handle; cancel-on-drop handles cancel their tasks")
    func removeAllCancels() {
        let trace = Trace()
        let rig = Rig<Scripted, 8>()
        var slots = HandleSlots<Handle, 4>()
        for _ in 0..<3 { slots.insert(try! rig.pool.pointee.spawnJoinable(parked(trace)).cancelOnDrop()) }
        #expect(rig.occupied == 3)
        slots.removeAll()
        #expect(that { slots.isEmpty })
        #expect(rig.occupied == 0)
    }

    @Test("copyable values work too, and the storage is then copyable")
    func copyableValues() {
        var wakers = HandleSlots<Waker, 2>()
        wakers.insert(handWaker())
        let copy = wakers
        #expect(copy.count == 1 && wakers.count == 1)
    }

    @Test("size: the slots inline plus one Int")
    func layout() {
        #expect(MemoryLayout<HandleSlots<Handle, 4>>.size
                == MemoryLayout<InlineArray<4, Handle?>>.size + MemoryLayout<Int>.size)
    }
}

@Suite("Expectations on ~Copyable values")
struct ExpectationIdiomTests {
    @Test("that { } puts a mutating call on a ~Copyable value in one #expect; the other idioms compile too")
    func idioms() {
        let channel = Pinned(Channel<UInt8, 2>())
        #expect(that { channel.pointee.trySend(1) })             // the helper
        #expect(channel.pointee.trySend(2) == true)              // a comparison at the top
        let sentWhenFull = channel.pointee.trySend(3)            // a local first
        #expect(!sentWhenFull)
        #expect(channel.pointee.count == 2)
        #expect(that { channel.pointee.tryReceive() == 1 })
    }
}
