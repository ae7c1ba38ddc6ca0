// Shared by every firmware test: Board/build compiles this folder into each image
// built from Tests/Firmware/<name> (it is not a test itself; Board/qemu-test skips it).

/// Prints `name... OK`; or `name... FAIL` (with `(seen 0x…)` when `seen` is given)
/// and exits 1.
func check(_ name: StaticString, _ passed: Bool, _ seen: UInt32? = nil) {
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
func spawn<let capacity: Int, Task: Future>(_ pool: PoolRef<Task, capacity>, _ task: Task) {
    do throws(SpawnError) {
        try pool.spawn(task)
    } catch {
        var console = BoardConsole()
        error.describe(to: &console)
        Board.writeLine("... FAIL")
        Board.exit(1)
    }
}
