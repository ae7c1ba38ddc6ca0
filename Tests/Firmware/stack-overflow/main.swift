// stack-overflow — unbounded recursion must end in a readable report, not a
// silent corruption or a CPU lockup: the HardFault handler sees the stack
// pointer below __stack_bottom, moves to a fresh stack, prints
// "FATAL: stack overflow" and exits with code 6 (POLLEN_EXIT_STACK_OVERFLOW).

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)

@main
struct StackOverflow {
    static func main() {
        Board.writeLine("recursing")
        Board.writeDecimal(recurse(Board.stackSizeBytes))
        Board.writeLine("unreachable")
        Board.exit(0)
    }
}

/// 32+ bytes of frame per call, and not a tail call, so every call costs stack.
@inline(never) @_optimize(none)
func recurse(_ depth: UInt32) -> UInt32 {
    var frame: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (depth, depth, depth, depth, depth, depth, depth, depth)
    frame.0 &+= 1
    return depth == 0 ? frame.0 : recurse(depth &- 1) &+ frame.7
}
