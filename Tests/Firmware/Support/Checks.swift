// Shared by every firmware test: the module PollenFirmwareTestSupport, which every
// image built from Tests/Firmware/<name> depends on (Board/build declares it; this
// folder is not a test itself, Board/qemu-test skips it).

/// Prints `name... OK`; or `name... FAIL` (with `(seen 0x…)` when `seen` is given)
/// and exits 1.
import Pollen
import PollenBoardMinimal   // Board.write & co.; a test may use either board module

public func check(_ name: StaticString, _ passed: Bool, _ seen: UInt32? = nil) {
    Board.write(name)
    if passed {
        Board.writeLine("... OK")
        return
    }
    if let seen {
        Board.write("... FAIL (seen ")
        Board.writeHex(seen)
        Board.writeLine(")")
    } else {
        Board.writeLine("... FAIL")
    }
    Board.exit(1)
}

/// Spawns `task` into `pool`, or prints the spawn error followed by `... FAIL` and exits 1.
public func spawn<let capacity: Int, Task: Future & ~Copyable>(_ pool: PoolRef<Task, capacity>, _ task: consuming Task) {
    do throws(SpawnError) {
        try pool.spawn(task)
    } catch {
        var console = BoardConsole()
        error.describe(to: &console)
        Board.writeLine("... FAIL")
        Board.exit(1)
    }
}
