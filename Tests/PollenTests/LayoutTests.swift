@testable import Pollen
import PollenHost
import Testing

/// A future of exactly `size` bytes (for layout measurements).
struct SizedFuture<let size: Int>: Future {
    var bytes: InlineArray<size, UInt8> = InlineArray(repeating: 0)
    mutating func poll(_ context: inout Context) -> Poll<Void> { .ready(()) }
}

/// Word-aligned future of 8 bytes (two 32-bit words), the typical small task on a MCU.
struct TwoWords: Future {
    var a: UInt32 = 0
    var b: UInt32 = 0
    mutating func poll(_ context: inout Context) -> Poll<Void> { .ready(()) }
}

@Suite("Memory layout: what a slot and an executor cost")
struct LayoutTests {
    /// Bytes a slot adds beyond its future: the pool's per-slot stride minus the
    /// future's size, plus the executor's per-slot generation byte.
    static func perSlotOverhead<F: Future>(_: F.Type) -> Int {
        let slotStride = (MemoryLayout<TaskPool<F, 64>>.size - MemoryLayout<TaskPool<F, 32>>.size) / 32
        return slotStride - MemoryLayout<F>.size + 1
    }

    @Test("per-slot bookkeeping is a few bytes: state, output room, alignment, generation")
    func perSlot() {
        let small = Self.perSlotOverhead(TwoWords.self)
        let odd = Self.perSlotOverhead(SizedFuture<13>.self as SizedFuture<13>.Type)
        print("layout: per-slot overhead: 8-byte word-aligned future \(small) B, 13-byte future \(odd) B")
        #expect(small <= 8)
        #expect(odd <= 4)
    }

    @Test("executor RAM grows by one 44-byte wake group per 32 slots, never with the tasks spawned")
    func executorRam() {
        let e1 = MemoryLayout<Executor<1>>.size, e8 = MemoryLayout<Executor<8>>.size
        let group = MemoryLayout<WakeGroup>.stride
        print("layout: Executor<1> (32 slots) \(e1) B, Executor<8> (256 slots) \(e8) B, wake group \(group) B, core \(MemoryLayout<ExecutorCore>.size) B, waker \(MemoryLayout<Waker>.size) B")
        #expect(group == 44)                    // 4 ready + 32 generations + 4 register + 4 pass snapshot
        #expect(e8 - e1 <= 7 * group)         // only the wake groups grow
        // The core, field by field: the "timers armed" flag (2 bytes) and the group
        // count (1) padded to a word, three pointers (group 0, the pool list, the
        // timer queue's table), two instants of two words each (`dueBound`, `now`),
        // and the RAM budget word. (32-bit Arm: 4 + 12 + 16 + 4 = 36; this 64-bit
        // host: 8 + 24 + 16 + 8 = 56.)
        let word = MemoryLayout<UInt>.size
        #expect(MemoryLayout<ExecutorCore>.size == word + 3 * word + 16 + word)
        // Word-aligned (the instants are word pairs), so on 32-bit targets the core
        // follows the 52 bytes of head and group 0 with no padding: 88 bytes in all.
        #expect(MemoryLayout<ExecutorCore>.alignment == MemoryLayout<UInt>.alignment)
        #expect(Executor<1>.coreOffset == alignedUp(MemoryLayout<ExecutorHead>.stride + group, to: word))
        #expect(e1 == Executor<1>.coreOffset + MemoryLayout<ExecutorCore>.size)
    }

    @Test("a timer queue carries its own bookkeeping: the executor keeps one pointer and one flag for it")
    func timerQueueRam() {
        // The table (earliest entry, the register's earliest deadline, the code
        // pointers, capacity, count, overflows, peak demand), then the entries.
        let word = MemoryLayout<UInt>.size
        #expect(MemoryLayout<TimerTable>.size == 16 + 2 * word + 4 * word)
        #expect(MemoryLayout<TimerQueue<4>>.size == TimerTable.entriesOffset + MemoryLayout<InlineArray<4, TimerEntry>>.size)
    }
}
