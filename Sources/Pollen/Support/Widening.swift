// Integer conversions that compile for 32-bit Embedded Swift with -no-allocations.
//
// The symptom these avoid: on armv7em/armv6m, `Int64(x)` with `x: Int32` (and
// `UInt64(x)` from any narrower unsigned type, `Int64(x)` from `Int`, `Int(x)` from
// `UInt64`, `Int32(x)` from `Int64`, `Int32(exactly:)`…) fails to build with an
// error that names no source line:
//
//     <unknown>:0: error: cannot use allocating type '_ContiguousArrayStorage<UInt>'
//     in -no-allocations mode
//
// (the generic conversion paths of the standard library reach code that can
// allocate). `truncatingIfNeeded:` narrowing compiles; widening to 64 bits does not.
// Use these instead; each is a few instructions.

extension UInt64 {
    /// `value`, widened (zero-extended). Compiles on 32-bit Embedded targets.
    ///
    /// ```swift
    /// let ticks = UInt64(widening: counter)        // counter: UInt32
    /// ```
    @inline(__always)
    public init(widening value: UInt) { self.init(_truncatingBits: value) }
    /// `value`, widened (zero-extended).
    @inline(__always)
    public init(widening value: UInt32) { self.init(_truncatingBits: UInt(value)) }
    /// `value`, widened (zero-extended).
    @inline(__always)
    public init(widening value: UInt16) { self.init(_truncatingBits: UInt(value)) }
    /// `value`, widened (zero-extended).
    @inline(__always)
    public init(widening value: UInt8) { self.init(_truncatingBits: UInt(value)) }
}

extension Int64 {
    /// `value`, widened (sign-extended). Compiles on 32-bit Embedded targets.
    ///
    /// ```swift
    /// let offset = Int64(widening: delta)          // delta: Int32
    /// ```
    @inline(__always)
    public init(widening value: Int) {
        let low = UInt64(widening: UInt(bitPattern: value))
        // On a 32-bit target the high word must copy the sign bit.
        let high: UInt64 = MemoryLayout<Int>.size < 8 && value < 0 ? 0xFFFF_FFFF_0000_0000 : 0
        self.init(bitPattern: low | high)
    }
    /// `value`, widened (sign-extended).
    @inline(__always)
    public init(widening value: Int32) { self.init(widening: Int(value)) }
    /// `value`, widened (sign-extended).
    @inline(__always)
    public init(widening value: Int16) { self.init(widening: Int(value)) }
    /// `value`, widened (sign-extended).
    @inline(__always)
    public init(widening value: Int8) { self.init(widening: Int(value)) }
}

extension Int {
    /// `value` if it fits in an `Int`, else `nil`. Compiles on 32-bit Embedded
    /// targets (where `Int(value)` and `Int(exactly:)` from `UInt64` do not).
    ///
    /// ```swift
    /// guard let count = Int(narrowing: total) else { report(.overflow); return }
    /// ```
    @inline(__always)
    public init?(narrowing value: UInt64) {
        let narrow = Int(truncatingIfNeeded: value)
        guard narrow >= 0, UInt64(widening: UInt(bitPattern: narrow)) == value else { return nil }
        self = narrow
    }
    /// `value` if it fits in an `Int`, else `nil`.
    @inline(__always)
    public init?(narrowing value: Int64) {
        let narrow = Int(truncatingIfNeeded: value)
        guard Int64(widening: narrow) == value else { return nil }
        self = narrow
    }
}

extension UInt32 {
    /// `value` if it fits in a `UInt32`, else `nil`.
    @inline(__always)
    public init?(narrowing value: UInt64) {
        let narrow = UInt32(truncatingIfNeeded: value)
        guard UInt64(widening: narrow) == value else { return nil }
        self = narrow
    }
}

extension Int32 {
    /// `value` if it fits in an `Int32`, else `nil`.
    @inline(__always)
    public init?(narrowing value: Int64) {
        let narrow = Int32(truncatingIfNeeded: value)
        guard Int64(widening: narrow) == value else { return nil }
        self = narrow
    }
}
