/// `offset` rounded up to a multiple of `alignment` (a power of two): where Swift
/// places the next stored property of that alignment in a struct, whose stored
/// properties are laid out in declaration order. The layout invariants
/// (SLOTS-FIRST, CELLS-SECOND, HEAD-BEFORE-GROUPS, the slot's state byte) compute
/// field offsets with it, and `InvariantLayoutTests` checks each against the
/// compiler's own layout.
@inline(__always)
func alignedUp(_ offset: Int, to alignment: Int) -> Int {
    (offset &+ alignment &- 1) & ~(alignment &- 1)
}

/// Element `index` of the contiguous `T`s that start `offset` bytes into `base`
/// (an `InlineArray`'s storage inside a pinned struct: pool slots, channel and
/// signal cells).
///
/// Raw arithmetic, then the typed pointer: a typed pointer's `+` in generic code
/// reaches the specialised code as a byte offset whose alignment the compiler no
/// longer knows (Embedded Swift, swiftc 6.3.1), so on ARMv6-M and RV32, which have
/// no unaligned loads, every field read through it took a load per byte (a
/// polled task's 8-byte waker: 8 loads and 13 shifts and adds instead of 2 loads).
@inline(__always)
func element<T: ~Copyable>(_ index: Int, of _: T.Type, in base: UnsafeMutableRawPointer,
                           at offset: Int = 0) -> UnsafeMutablePointer<T> {
    (base + (offset &+ index &* MemoryLayout<T>.stride)).assumingMemoryBound(to: T.self)
}
