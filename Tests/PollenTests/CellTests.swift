#if canImport(Glibc)
import Glibc
#endif
@testable import Pollen
import PollenHost
import Synchronization
import Testing

// TaskCell and InterruptCell (Sources/Pollen/TaskCell.swift, InterruptCell.swift).

/// Shared state of the tests below, declared in Pollen's one form for globals.
/// Each global is used by one test only (tests run in parallel).
nonisolated(unsafe) var sharedPresses = TaskCell<UInt32>(0)
nonisolated(unsafe) var threadedTicks = InterruptCell<UInt32>(0)

struct Stats: Equatable {
    var presses: UInt32 = 0
    var lines: UInt32 = 0
}

/// A non-copyable value to keep in a cell.
struct Token: ~Copyable {
    var uses = 0
}

enum CellFailure: Error, Equatable { case refused }

enum Mode: UInt8, AtomicRepresentable, InterruptCellValue {
    case idle, measuring, reporting
}

/// Increments a TaskCell once per poll, `times` times, waking itself between.
struct Incrementer: Future {
    let cell: Pinned<TaskCell<Int>>
    var times: Int
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        cell.pointee.withValue { $0 += 1 }
        sharedPresses.value += 1
        times -= 1
        if times == 0 { return .ready(()) }
        context.waker.wake()
        return .pending
    }
}

@Suite("TaskCell: state shared by tasks, borrowed without pointers")
struct TaskCellTests {
    @Test("withValue lends the value inout and returns the body's result; value copies in and out")
    func borrowAndCopy() {
        let stats = TaskCell(Stats())
        let presses = stats.withValue { s -> UInt32 in
            s.presses += 2
            return s.presses
        }
        #expect(presses == 2)
        #expect(stats.value == Stats(presses: 2, lines: 0))
        stats.value.lines = 5                                   // get, modify the copy, set
        stats.value.presses += 1
        #expect(stats.value == Stats(presses: 3, lines: 5))
    }

    @Test("a ~Copyable value is lent in place")
    func nonCopyableValue() {
        let cell = TaskCell(Token())
        cell.withValue { $0.uses += 1 }
        cell.withValue { $0.uses += 1 }
        #expect(cell.withValue { $0.uses } == 2)
    }

    @Test("a typed error thrown by the body is rethrown, and the cell is usable afterwards")
    func typedThrowReleasesTheCell() {
        let cell = TaskCell(1)
        #expect(throws: CellFailure.refused) {
            try cell.withValue { (value: inout Int) throws(CellFailure) in
                value = 2
                throw .refused
            }
        }
        #expect(cell.value == 2)                                 // written before the throw
        cell.value = 3                                           // the re-entry flag was cleared
        #expect(cell.value == 3)
    }

    @Test("invariant VALUE-FIRST: the value sits at the cell's own address; the size is the value plus one flag byte")
    func layout() {
        let cell = Pinned(TaskCell<UInt32>(7))
        let cellAddress = UnsafeRawPointer(cell.address)
        #expect(UnsafeRawPointer(cell.pointee.valueAddress) == cellAddress)
        #expect(cellAddress.load(as: UInt32.self) == 7)
        cell.pointee.value = 9
        #expect(cellAddress.load(as: UInt32.self) == 9)
        #expect(MemoryLayout<TaskCell<UInt32>>.size == 5)
        #expect(MemoryLayout<TaskCell<UInt32>>.stride == 8)
        #expect(MemoryLayout<TaskCell<UInt64>>.size == 9)
        #expect(MemoryLayout<TaskCell<Stats>>.size == MemoryLayout<Stats>.size + 1)
    }

    @Test("tasks of one executor share a pinned cell and a global one; every update lands")
    func tasksShareTheCell() {
        let counter = Pinned(TaskCell(0))
        let rig = Rig<Incrementer, 4>()
        for _ in 0..<3 { rig.spawn(Incrementer(cell: counter, times: 50)) }
        rig.runUntilQuiet()
        #expect(counter.pointee.value == 150)
        #expect(sharedPresses.value == 150)
        #expect(rig.occupied == 0)
    }

    @Test("touching the cell again inside its own withValue stops the process")
    func reentryTraps() async {
        await #expect(processExitsWith: .failure) {
            let cell = TaskCell(0)
            cell.withValue { _ in cell.value = 1 }
        }
    }
}

@Suite("InterruptCell: one atomic word shared with interrupt handlers and threads")
struct InterruptCellTests {
    @Test("load, store, exchange and compare-exchange")
    func basicOperations() {
        let cell = InterruptCell<UInt32>(5)
        #expect(cell.load() == 5)
        cell.store(6)
        #expect(cell.exchange(0) == 6)
        #expect(cell.load() == 0)
        let missed = cell.compareExchange(expected: 1, desired: 2)
        #expect(!missed.exchanged && missed.original == 0)
        let hit = cell.compareExchange(expected: 0, desired: 2)
        #expect(hit.exchanged && hit.original == 0)
        #expect(cell.load() == 2)
    }

    @Test("update and the wrapping arithmetic return the old and the new value, and wrap")
    func readModifyWrite() {
        let flags = InterruptCell<UInt8>(0b0001)
        let set = flags.update { $0 | 0b0100 }
        #expect(set.oldValue == 0b0001 && set.newValue == 0b0101)
        let top = InterruptCell<UInt32>(.max)
        let wrapped = top.wrappingAdd(1)
        #expect(wrapped.oldValue == .max && wrapped.newValue == 0)
        let signed = InterruptCell<Int16>(.min)
        #expect(signed.wrappingSubtract(1).newValue == .max)
        let word = InterruptCell(40)                              // Int
        #expect(word.wrappingAdd(2).newValue == 42)
    }

    @Test("Bool and an AtomicRepresentable enum are cells too")
    func otherValues() {
        let down = InterruptCell(false)
        down.store(true)
        #expect(that { down.load() })
        #expect(down.update { !$0 }.newValue == false)
        let mode = InterruptCell(Mode.idle)
        #expect(mode.compareExchange(expected: .idle, desired: .measuring).exchanged)
        #expect(mode.exchange(.reporting) == .measuring)
        #expect(mode.load() == .reporting)
    }

    @Test("sizes: the atomic word alone")
    func layout() {
        #expect(MemoryLayout<InterruptCell<UInt32>>.size == 4)
        #expect(MemoryLayout<InterruptCell<Bool>>.size == 1)
        #expect(MemoryLayout<InterruptCell<UInt16>>.size == 2)
        #expect(MemoryLayout<InterruptCell<Int>>.size == MemoryLayout<Int>.size)
    }

    @Test("four threads add to a global cell at once: no update is lost")
    func threadsAddConcurrently() {
        let perThread = 50_000
        let threads = ThreadGroup()
        for _ in 0..<4 {
            threads.start {
                for _ in 0..<perThread { threadedTicks.wrappingAdd(1) }
            }
        }
        threads.join()
        #expect(threadedTicks.load() == UInt32(4 * perThread))
    }

    @Test("a handler's store publishes what it wrote before (release/acquire)")
    func storePublishes() {
        let payload = Pinned(0)                     // plain data, written before the flag
        let ready = Pinned(InterruptCell(false))
        let threads = ThreadGroup()
        threads.start {
            payload.pointee = 42
            ready.pointee.store(true)
        }
        var spins = 0
        while !ready.pointee.load() {
            spins += 1
            if spins & 0xFFF == 0 { sched_yield() }
        }
        #expect(payload.pointee == 42)
        threads.join()
    }

    @Test("an interrupt handler counts into a cell; a task takes the count with exchange")
    func handlerAndTask() {
        let overruns = Pinned(InterruptCell<UInt32>(0))
        let seen = Pinned(TaskCell<UInt32>(0))
        let controller = SimulatedInterruptController(lineCount: 1, mode: .deferred)
        controller.setHandler(line: 0) { overruns.pointee.wrappingAdd(1) }
        for _ in 0..<3 {
            controller.raise(0)
            controller.servicePending()
        }
        seen.pointee.value += overruns.pointee.exchange(0)
        #expect(seen.pointee.value == 3)
        #expect(overruns.pointee.load() == 0)
    }
}
