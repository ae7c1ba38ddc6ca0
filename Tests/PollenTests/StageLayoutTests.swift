@testable import Pollen
import PollenHost
import Testing

/// Types with spare bits a non-generic enum would put its case in: a Bool
/// (7 spare bits) and a pointer (spare low and high bits).
private struct WithFlag { var word: UInt32 = 7; var flag = true }
private struct WithPointer { var pointer = UnsafeRawPointer(bitPattern: 0x1000)!; var flag = false }

/// Reads the bytes of `value` (which must not be `~Copyable`).
private func bytes<T>(of value: T) -> [UInt8] {
    withUnsafeBytes(of: value) { Array($0) }
}

// GENERIC-ENUM-LAYOUT (Sources/Pollen/Support/Stage.swift): the in-place stage
// access of Then, Sequenced, Deferred, Branch and join children relies on it.
@Suite("Layout invariant: GENERIC-ENUM-LAYOUT (payloads at offset 0, case in one tag byte after them)")
struct StageLayoutTests {
    @Test("size is the larger payload plus one tag byte, even where a non-generic enum would use spare bits")
    func tagByteAfterLargestPayload() {
        enum NonGeneric { case first(WithFlag); case second(WithFlag) }
        #expect(MemoryLayout<NonGeneric>.size == MemoryLayout<WithFlag>.size)   // spare bits: no tag byte
        #expect(MemoryLayout<Stage2<WithFlag, WithFlag>>.size == MemoryLayout<WithFlag>.size + 1)
        #expect(MemoryLayout<Stage2<WithPointer, UInt8>>.size == MemoryLayout<WithPointer>.size + 1)
        #expect(MemoryLayout<Stage2<UInt8, Padded<40>>>.size == 41)
        #expect(MemoryLayout<Stage2<Timer, () -> Timer>>.size
                == max(MemoryLayout<Timer>.size, MemoryLayout<() -> Timer>.size) + 1)
    }

    @Test("the tag byte holds the case index; the payload's bytes start at offset 0")
    func tagValuesAndPayloadOffset() {
        let first = Stage2<WithFlag, WithPointer>.first(WithFlag(word: 0x0102_0304, flag: true))
        let second = Stage2<WithFlag, WithPointer>.second(WithPointer(pointer: UnsafeRawPointer(bitPattern: 0xABCD)!, flag: true))
        let size = MemoryLayout<Stage2<WithFlag, WithPointer>>.size
        #expect(bytes(of: first)[size - 1] == 0)
        #expect(bytes(of: second)[size - 1] == 1)
        #expect(Array(bytes(of: first)[0..<MemoryLayout<WithFlag>.size]) == bytes(of: WithFlag(word: 0x0102_0304, flag: true)))
        #expect(Array(bytes(of: second)[0..<MemoryLayout<WithPointer>.size])
                == bytes(of: WithPointer(pointer: UnsafeRawPointer(bitPattern: 0xABCD)!, flag: true)))
    }

    @Test("writing a payload in place keeps the case; replacing the first stage gives the case the compiler reads")
    func inPlaceAccess() {
        var stage = Stage2<WithFlag, WithPointer>.first(WithFlag(word: 1, flag: true))
        withUnsafeMutablePointer(to: &stage) { p in
            #expect(p.isFirstStage())
            p.firstStage().pointee.flag = false   // a write to the byte that has spare bits
            p.firstStage().pointee.word = 0xFFFF_FFFF
            #expect(p.isFirstStage())
        }
        guard case .first(let value) = stage else { Issue.record("the case changed"); return }
        #expect(value.word == 0xFFFF_FFFF && !value.flag)
        withUnsafeMutablePointer(to: &stage) { p in
            p.replaceFirstStage { WithPointer(pointer: UnsafeRawPointer(bitPattern: 0x2000)!, flag: true) }
            #expect(!p.isFirstStage())
        }
        guard case .second(let next) = stage else { Issue.record("the tag byte did not make it .second"); return }
        #expect(next.pointer == UnsafeRawPointer(bitPattern: 0x2000)! && next.flag)
    }

    @Test("replacing the first stage drops it exactly once, in place; dropping the enum then drops the second")
    func replaceDropsOnce() {
        let trace = Trace()
        do {
            var stage = Stage2<Tracked, Tracked>.first(Tracked("a", trace, readyAt: nil))
            withUnsafeMutablePointer(to: &stage) { p in
                p.replaceFirstStage { Tracked("b", trace, readyAt: nil) }
            }
            #expect(trace.entries == ["drop a"])
            _ = consume stage
        }
        #expect(trace.entries == ["drop a", "drop b"])
    }

    @Test("initializeFirst fills a .vacant stage in place: the compiler then reads .first, and the stage is dropped once")
    func initializeFirstFillsVacant() {
        var plain = Stage2<WithFlag, WithPointer>.vacant
        Stage2.initializeFirst(&plain, WithFlag(word: 0x0A0B_0C0D, flag: false))
        guard case .first(let value) = plain else { Issue.record("a filled .vacant did not read as .first"); return }
        #expect(value.word == 0x0A0B_0C0D && !value.flag)

        let trace = Trace()
        do {
            var stage = Stage2<Tracked, Tracked>.vacant
            Stage2.initializeFirst(&stage, Tracked("a", trace, readyAt: nil))
            #expect(trace.entries.isEmpty)
            withUnsafeMutablePointer(to: &stage) { p in
                #expect(p.isFirstStage())
                p.replaceFirstStage { Tracked("b", trace, readyAt: nil) }
            }
            _ = consume stage
        }
        #expect(trace.entries == ["drop a", "drop b"])
    }

    @Test("vacantStage() builds .vacant byte by byte: it reads as .vacant and has .vacant's bytes, for several payload shapes")
    func vacantStageIsVacant() {
        func check<A, B>(_: A.Type, _: B.Type) {
            let built = Stage2<A, B>.vacantStage()
            let assigned = Stage2<A, B>.vacant
            guard case .vacant = built else { Issue.record("vacantStage() of \(A.self), \(B.self) is not .vacant"); return }
            #expect(bytes(of: built) == bytes(of: assigned))
        }
        check(WithFlag.self, WithPointer.self)
        check(UInt8.self, Padded<40>.self)
        check((() -> Timer).self, Timer.self)
        check(UInt64.self, UInt64?.self)
    }

    @Test("init(first:) builds .first in place: the compiler reads .first with the value, and the stage is dropped once")
    func initFirstBuildsFirst() {
        let plain = Stage2<WithFlag, WithPointer>(first: WithFlag(word: 0x0A0B_0C0D, flag: false))
        guard case .first(let value) = plain else { Issue.record("init(first:) did not read as .first"); return }
        #expect(value.word == 0x0A0B_0C0D && !value.flag)
        // The payload's bytes and the tag byte (the bytes between are not the payload's).
        let size = MemoryLayout<Stage2<WithFlag, WithPointer>>.size
        #expect(Array(bytes(of: plain)[0..<MemoryLayout<WithFlag>.size])
                == bytes(of: WithFlag(word: 0x0A0B_0C0D, flag: false)))
        #expect(bytes(of: plain)[size - 1] == 0)

        let trace = Trace()
        do {
            var stage = Stage2<Tracked, Tracked>(first: Tracked("a", trace, readyAt: nil))
            #expect(trace.entries.isEmpty)
            withUnsafeMutablePointer(to: &stage) { p in
                #expect(p.isFirstStage())
                p.replaceFirstStage { Tracked("b", trace, readyAt: nil) }
            }
            #expect(trace.entries == ["drop a"])
            _ = consume stage
        }
        #expect(trace.entries == ["drop a", "drop b"])
    }
}

@Suite("Layout invariant: OPTIONAL-LAYOUT (payload at offset 0; a tag byte after it only without spare patterns)")
struct OptionalLayoutTests {
    @Test("initializeSome on a nil optional gives .some of the value: with spare patterns (Bool inside) and without (UInt64)")
    func initializeSome() {
        var withSpare: WithFlag? = nil
        #expect(MemoryLayout<WithFlag?>.size == MemoryLayout<WithFlag>.size)
        withUnsafeMutablePointer(to: &withSpare) { $0.initializeSome(WithFlag(word: 9, flag: false)) }
        #expect(withSpare?.word == 9 && withSpare?.flag == false)

        var noSpare: UInt64? = nil
        #expect(MemoryLayout<UInt64?>.size == MemoryLayout<UInt64>.size + 1)
        withUnsafeMutablePointer(to: &noSpare) { $0.initializeSome(0xFFFF_FFFF_FFFF_FFFF) }
        #expect(noSpare == 0xFFFF_FFFF_FFFF_FFFF)
    }

    @Test("a ~Copyable value moved in by initializeSome is dropped once, with the optional")
    func initializeSomeDropsOnce() {
        let trace = Trace()
        do {
            var slot: Tracked? = nil
            withUnsafeMutablePointer(to: &slot) { $0.initializeSome(Tracked("t", trace, readyAt: nil)) }
            let isSome = slot != nil
            #expect(isSome)
            #expect(trace.entries.isEmpty)
        }
        #expect(trace.entries == ["drop t"])
    }
}
