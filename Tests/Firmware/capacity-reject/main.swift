// capacity-reject — the start-up capacity check refusing configurations that
// do not fit, before any task runs, with a message naming the pool and the
// numbers. One line per check (`name... OK`); a failed check prints `FAIL` and
// exits 1.
//
// It ends the way an app with this mistake would: the slot-capacity error of
// an `Executor<1>` (32 slots) given pools of 20 and 13 slots, printed through
// `CapacityError.describe(to:)` on the UART, and exit code 2 (EXPECTED_EXIT in
// firmware.env). expected.txt holds the exact messages.

/// A task that is never run (the checks are about attaching pools).
import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)

struct Idle: Future {
    mutating func poll(_ context: inout Context) -> Poll<Void> { .pending }
}

/// A 32-byte task, to make a pool's RAM easy to reason about.
struct Buffer: Future {
    var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    mutating func poll(_ context: inout Context) -> Poll<Void> { .pending }
}

public let pollenTaskSize_Idle = MemoryLayout<Idle>.size
public let pollenTaskSize_Buffer = MemoryLayout<Buffer>.size

/// The exit code of a rejected configuration (1 is a failed check).
let capacityRejected: Int32 = 2

// Slots: 20 + 13 > 32.
nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var sensors = TaskPool<Idle, 20>(name: "sensors")
nonisolated(unsafe) var radio = TaskPool<Idle, 13>(name: "radio")

// RAM: a budget that holds the first pool and half of the second (the sizes
// come from the core's layout, so the budget follows them).
let ramBudget = MemoryLayout<TaskPool<Buffer, 2>>.size + MemoryLayout<TaskPool<Buffer, 6>>.size / 2
nonisolated(unsafe) var budgeted = Executor<1>(ramBudget: ramBudget)
nonisolated(unsafe) var small = TaskPool<Buffer, 2>(name: "small")
nonisolated(unsafe) var logger = TaskPool<Buffer, 6>(name: "logger")

@main
struct CapacityReject {
    static func main() {
        var console = BoardConsole()

        // RAM budget: 'small' fits, 'logger' would exceed what is left.
        let smallBytes = MemoryLayout<TaskPool<Buffer, 2>>.size
        let loggerBytes = MemoryLayout<TaskPool<Buffer, 6>>.size
        var budgetError: CapacityError? = nil
        do throws(CapacityError) {
            _ = try budgeted.attach(&small)
            _ = try budgeted.attach(&logger)
        } catch {
            budgetError = error
        }
        guard case .ramBudgetExceeded(let pool, let bytes, let used, let budget)? = budgetError else {
            fail("RAM budget rejects the pool that does not fit")
        }
        budgetError!.describe(to: &console)
        Board.writeByte(0x0A)
        check("RAM budget rejects the pool that does not fit",
              pool.utf8Start == logger.name.utf8Start && bytes == loggerBytes
              && used == smallBytes && budget == ramBudget)
        check("a rejected pool is not attached",
              budgeted.poolBytes == smallBytes && budgeted.slotsUsed == 2 && isNotAttached(&logger))

        // Attaching the same pool twice is refused too.
        var twiceError: CapacityError? = nil
        do throws(CapacityError) {
            _ = try budgeted.attach(&small)
        } catch {
            twiceError = error
        }
        guard case .alreadyAttached? = twiceError else {
            fail("a pool attached twice is rejected")
        }
        twiceError!.describe(to: &console)
        Board.writeByte(0x0A)
        check("a pool attached twice is rejected", budgeted.slotsUsed == 2)

        // Slots: 20 + 13 do not fit in 32. This is the app's start-up path.
        do throws(CapacityError) {
            _ = try executor.attach(&sensors)
            _ = try executor.attach(&radio)
        } catch {
            check("slot capacity rejects the pool that does not fit",
                  executor.slotsUsed == 20 && isNotAttached(&radio) && !executor.hasReadyTasks)
            executor.describeCapacity(to: &console)
            error.describe(to: &console)
            Board.writeByte(0x0A)
            Board.exit(capacityRejected)
        }
        fail("slot capacity rejects the pool that does not fit")
    }
}

/// `true` when spawning into `pool` fails because it is not attached.
func isNotAttached<Task: Future, let capacity: Int>(_ pool: inout TaskPool<Task, capacity>) -> Bool {
    do throws(SpawnError) {
        _ = try pool.reserve()   // dropped at once: frees the slot again
        return false
    } catch {
        if case .notAttached = error { return true }
        return false
    }
}


/// Prints `name... FAIL` and exits 1.
func fail(_ name: StaticString) -> Never {
    Board.write(name)
    Board.writeLine("... FAIL")
    Board.exit(1)
}
