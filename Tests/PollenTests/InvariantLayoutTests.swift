@testable import Pollen
import PollenHost
import Testing

// The layout invariants that let other contexts reach parts of a value by pointer
// arithmetic instead of an access to the whole value (see each invariant's
// comment in the source).
@Suite("Layout invariants: SLOTS-FIRST, CELLS-SECOND, HEAD-BEFORE-GROUPS")
struct InvariantLayoutTests {
    @Test("TaskPool: slot i computed from the pool's address is the pool's own slot i (SLOTS-FIRST)")
    func slotsFirst() {
        let pool = Pinned(TaskPool<Forever, 3>(name: "layout"))
        for i in 0..<3 {
            let computed = UnsafeMutableRawPointer(TaskPool.slot(pool.address, i))
            let actual = withUnsafeMutablePointer(to: &pool.pointee.slots) {
                UnsafeMutableRawPointer($0) + i * MemoryLayout<TaskSlot<Forever>>.stride
            }
            #expect(computed == actual)
        }
    }

    @Test("WakeGroup: the atomic views sit on the fields' own words")
    func wakeGroupOffsets() {
        let group = Pinned(WakeGroup())
        let p = UnsafePointer(group.address)
        func address(_ body: (inout WakeGroup) -> UnsafeMutableRawPointer) -> UnsafeRawPointer {
            UnsafeRawPointer(body(&group.pointee))
        }
        #expect(UnsafeRawPointer(p.ready) == address { withUnsafeMutablePointer(to: &$0.readyWord) { UnsafeMutableRawPointer($0) } })
        #expect(UnsafeRawPointer(p.registered) == address { withUnsafeMutablePointer(to: &$0.registeredWord) { UnsafeMutableRawPointer($0) } })
        #expect(UnsafeRawPointer(p.pass) == address { withUnsafeMutablePointer(to: &$0.passWord) { UnsafeMutableRawPointer($0) } })
        #expect(UnsafeRawPointer(p.generationByte(0)) == address { withUnsafeMutablePointer(to: &$0.generationWords) { UnsafeMutableRawPointer($0) } })
        #expect(MemoryLayout<WakeGroup>.stride == 44)
    }

    @Test("TaskSlot: stateOffset is the state byte's offset, for several task and output layouts")
    func stateOffset() {
        func check<T: Future>(_: T.Type) {
            let slot = UnsafeMutablePointer<TaskSlot<T>>.allocate(capacity: 1)
            slot.initialize(to: TaskSlot<T>())
            let actual = withUnsafeMutablePointer(to: &slot.pointee.state) { UnsafeMutableRawPointer($0) }
            #expect(actual == UnsafeMutableRawPointer(slot) + TaskSlot<T>.stateOffset)
        }
        check(Forever.self)
        check(TwoWords.self)
        check(SizedFuture<13>.self)
        check(Countdown.self)
        check(Sleeper.self)
    }

    @Test("Channel: cell i's element computed from the channel's address is its own (CELLS-SECOND), for several element alignments")
    func cellsSecond() {
        func check<E>(_: E.Type) {
            let channel = Pinned(Channel<E, 4>())
            for i in 0..<4 {
                let computed = UnsafeMutableRawPointer(Channel.slot(channel.address, i))
                let actual = withUnsafeMutablePointer(to: &channel.pointee.slots) {
                    UnsafeMutableRawPointer($0) + i * MemoryLayout<E?>.stride
                }
                #expect(computed == actual)
                let sequence = UnsafeMutableRawPointer(mutating: Channel.sequence(channel.address, i))
                let sequenceActual = withUnsafeMutablePointer(to: &channel.pointee.sequences) {
                    UnsafeMutableRawPointer($0) + i * MemoryLayout<UInt>.stride
                }
                #expect(sequence == sequenceActual)
            }
        }
        check(UInt8.self)
        let bytes = Pinned(Channel<UInt8, 4>())
        #expect(bytes.pointee.sender().channel == bytes.address)   // a borrow is the channel in place
        check(UInt16.self)
        check(UInt64.self)
        check((UInt64, UInt8).self)
    }

    @Test("Executor: the head sits right before group 0 and the core where coreOffset says (checked by attach)")
    func executorLayout() {
        func check<let n: Int>(_ executor: Pinned<Executor<n>>) {
            let pool = Pinned(TaskPool<Forever, 1>(name: "layout"))
            _ = try! executor.pointee.attach(&pool.pointee)    // pin() preconditions the layout
            let base = UnsafeMutableRawPointer(executor.address)
            #expect(UnsafeMutableRawPointer(executor.pointee.corePointer) == base + Executor<n>.coreOffset)
        }
        check(Pinned(Executor<1>()))
        check(Pinned(Executor<3>()))
        check(Pinned(Executor<32>()))
    }
}
