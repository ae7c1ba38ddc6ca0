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
