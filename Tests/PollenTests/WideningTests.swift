import Pollen
import Testing

@Suite("Integer widening helpers (they build on 32-bit Embedded Swift)")
struct WideningTests {
    @Test("widening keeps the value, sign included")
    func widening() {
        for v: Int32 in [0, 1, -1, .max, .min, 12_345, -12_345] {
            #expect(Int64(widening: v) == Int64(v))
            #expect(Int64(widening: Int(v)) == Int64(v))
        }
        for v: UInt32 in [0, 1, .max, 0x8000_0000] { #expect(UInt64(widening: v) == UInt64(v)) }
        #expect(UInt64(widening: UInt8.max) == 255 && UInt64(widening: UInt16.max) == 65_535)
        #expect(Int64(widening: Int8.min) == -128 && Int64(widening: Int16.min) == -32_768)
    }

    @Test("narrowing returns nil exactly when the value does not fit")
    func narrowing() {
        #expect(Int(narrowing: UInt64(42)) == 42)
        #expect(Int(narrowing: UInt64.max) == nil)
        #expect(Int(narrowing: Int64(-5)) == -5)
        #expect(Int32(narrowing: Int64(Int32.min)) == Int32.min)
        #expect(Int32(narrowing: Int64(Int32.max) + 1) == nil)
        #expect(Int32(narrowing: Int64(Int32.min) - 1) == nil)
        #expect(UInt32(narrowing: UInt64(UInt32.max)) == UInt32.max)
        #expect(UInt32(narrowing: UInt64(UInt32.max) + 1) == nil)
    }
}
