import Pollen
import PollenHost
import Testing

/// The type `steps { P<64>; P<128>; P<96> }` builds.
typealias ThreeSteps = Sequenced<Sequenced<Deferred<Padded<64>>, Padded<128>>, Padded<96>>
/// The same three stages chained with `then`.
typealias ThreeThens = Then<Padded<64>, Then<Padded<128>, Padded<96>>>

func threeSteps() -> ThreeSteps { steps { Padded<64>(); Padded<128>(); Padded<96>() } }
func threeThens() -> ThreeThens { Padded<64>().then { _ in Padded<128>().then { _ in Padded<96>() } } }

/// One row of the size report.
struct SizeRow {
    let name: String
    let size: Int
    let stride: Int
    let alignment: Int
    init<T: ~Copyable>(_ name: String, _ type: T.Type) {
        self.name = name
        size = MemoryLayout<T>.size
        stride = MemoryLayout<T>.stride
        alignment = MemoryLayout<T>.alignment
    }
}

/// Sizes of the main combinator and primitive types on this host.
func combinatorSizeReport() -> [SizeRow] {
    typealias T = Timer
    return [
        SizeRow("Timer", T.self),
        SizeRow("Map<Timer, Int>", Map<T, Int>.self),
        SizeRow("Then<Timer, Timer>", Then<T, T>.self),
        SizeRow("Deferred<Timer>", Deferred<T>.self),
        SizeRow("Perform", Perform.self),
        SizeRow("Sequenced<Deferred<Timer>, Timer>", Sequenced<Deferred<T>, T>.self),
        SizeRow("steps { Timer; Timer; Timer }", Sequenced<Sequenced<Deferred<T>, T>, T>.self),
        SizeRow("Join2<Timer, Timer>", Join2<T, T>.self),
        SizeRow("Join3<Timer, Timer, Timer>", Join3<T, T, T>.self),
        SizeRow("Join4<Timer, Timer, Timer, Timer>", Join4<T, T, T, T>.self),
        SizeRow("Select2<Timer, Timer>", Select2<T, T>.self),
        SizeRow("Select3<Timer, Timer, Timer>", Select3<T, T, T>.self),
        SizeRow("steps { P<64>; P<128>; P<96> }", ThreeSteps.self),
        SizeRow("Then<P<64>, Then<P<128>, P<96>>>", ThreeThens.self),
        SizeRow("Join2<P<64>, P<128>>", Join2<Padded<64>, Padded<128>>.self),
        SizeRow("Select2<P<64>, P<128>>", Select2<Padded<64>, Padded<128>>.self),
        SizeRow("Signal<Int>", Signal<Int>.self),
        SizeRow("SignalWait<Int>", SignalWait<Int>.self),
        SizeRow("Notify<4>", Notify<4>.self),
        SizeRow("NotifyWait<4>", NotifyWait<4>.self),
        SizeRow("AsyncMutex<Int, 4>", AsyncMutex<Int, 4>.self),
        SizeRow("AsyncMutexLock<Int, 4>", AsyncMutexLock<Int, 4>.self),
        SizeRow("AsyncMutexGuard<Int, 4>", AsyncMutexGuard<Int, 4>.self),
        SizeRow("Channel<UInt32, 8>", Channel<UInt32, 8>.self),
        SizeRow("ChannelSend<UInt32, 8>", ChannelSend<UInt32, 8>.self),
        SizeRow("ChannelReceive<UInt32, 8>", ChannelReceive<UInt32, 8>.self),
        SizeRow("ChannelSender<UInt32, 8>", ChannelSender<UInt32, 8>.self),
        SizeRow("Waker", Waker.self),
        SizeRow("function value", (() -> Void).self),
    ]
}

@Suite("Combinator layout: sequencing stores only the live stage")
struct CombinatorLayoutTests {
    static let function = MemoryLayout<() -> Void>.size
    static let word = MemoryLayout<Int>.alignment

    @Test("steps of 64, 128 and 96 bytes: at most max + 2 function values + 3 padded tags, less than the sum")
    func stepsSize() {
        let size = MemoryLayout<ThreeSteps>.size
        let bound = 128 + 2 * Self.function + 3 * Self.word
        #expect(size <= bound, "steps: \(size) bytes > bound \(bound)")
        #expect(size < 64 + 128 + 96)
        #expect(size >= 128)
        _ = threeSteps()
    }

    @Test("then-chain of 64, 128 and 96 bytes: at most max + 2 function values + 2 padded tags, less than the sum")
    func thenSize() {
        let size = MemoryLayout<ThreeThens>.size
        let bound = 128 + 2 * Self.function + 2 * Self.word
        #expect(size <= bound, "then: \(size) bytes > bound \(bound)")
        #expect(size < 64 + 128 + 96)
        _ = threeThens()
    }

    @Test("with word-aligned stages (64, 128, 96 bytes) the same bounds hold")
    func alignedStepsSize() {
        typealias S = Sequenced<Sequenced<Deferred<PaddedWords<8>>, PaddedWords<16>>, PaddedWords<12>>
        let size = MemoryLayout<S>.size
        #expect(size <= 128 + 2 * Self.function + 3 * Self.word)
        #expect(size < 64 + 128 + 96)
        let built: S = steps { PaddedWords<8>(); PaddedWords<16>(); PaddedWords<12>() }
        _ = built
    }

    @Test("join: each child is its future or its output, in the same bytes; select: both children and one tag")
    func joinAndSelectSize() {
        // Join child: a Stage2 of P<64> or Int? (max 64, plus its tag byte): 65,
        // stride 72; P<128> or Int?: 129. Never future plus output.
        #expect(MemoryLayout<Join2<Padded<64>, Padded<128>>>.size == 72 + 129)
        // Select: both children in one optional pair: sum + one tag.
        #expect(MemoryLayout<Select2<Padded<64>, Padded<128>>>.size == 64 + 128 + 1)
    }

    @Test("size report of the main combinator and primitive types (printed; x86_64 numbers are in SequentialBuilder's docs)")
    func report() {
        let rows = combinatorSizeReport()
        var text = "type | size | stride | alignment\n"
        for row in rows { text += "\(row.name) | \(row.size) | \(row.stride) | \(row.alignment)\n" }
        print(text)
        let bySize = Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0.size) })
        #if arch(x86_64) || arch(arm64)
        // These rows depend only on the combinators and the padding futures: keep the
        // table in SequentialBuilder.swift in step with them.
        #expect(bySize["steps { P<64>; P<128>; P<96> }"] == 153)
        #expect(bySize["Then<P<64>, Then<P<128>, P<96>>>"] == 146)
        #expect(bySize["Join2<P<64>, P<128>>"] == 201)
        #expect(bySize["Select2<P<64>, P<128>>"] == 193)
        #endif
    }
}
