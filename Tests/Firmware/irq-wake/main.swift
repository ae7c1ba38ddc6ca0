// irq-wake — tasks woken from real interrupt handlers, inside `Executor.run`
// with `.sleep` idle, one line per check (`name... OK`); any failure prints
// `FAIL` and exits 1.
//
// Software interrupt: a task parks its waker in a global and returns
// `.pending`; the handler (a `@convention(c)` hook reading that global) calls
// `wake()`, and the task is polled on the next pass, exactly once per wake.
//
// UART receive interrupt: the echo task parks its waker for the receive hook,
// then turns the receive interrupt on and returns without reading. Every byte
// of QEMU_INPUT (firmware.env) reaches the task through that interrupt (a byte
// already waiting at once, later ones while the executor sleeps in `wfi`): the
// hook wakes the task, which reads what has arrived and keeps the line. The
// driver task prints the line (`echo: …`) and checks it.

import Pollen
import PollenBoard
import PollenFirmwareTestSupport   // check(...), spawn(...)
import Synchronization

// MARK: - Software interrupt

/// The waker the software interrupt handler uses. Written by the waiter task
/// only while the interrupt cannot run (it is raised only by tasks, after the
/// write).
nonisolated(unsafe) var parkedWaker: Waker? = nil
/// Handler runs, and how many of its wakes returned `.woken`.
let softwareInterruptRuns = Atomic<UInt32>(0)
let softwareInterruptWoken = Atomic<UInt32>(0)
/// The exception the hook ran in (`Board.activeException`: IPSR on Cortex-M,
/// mcause on RISC-V).
nonisolated(unsafe) var hookException: UInt32 = 0

/// The software interrupt's hook: wakes whatever task parked its waker.
func onSoftwareInterrupt() {
    hookException = Board.activeException
    softwareInterruptRuns.wrappingAdd(1, ordering: .relaxed)
    if parkedWaker?.wake() == .woken {
        softwareInterruptWoken.wrappingAdd(1, ordering: .relaxed)
    }
}

/// How many times the waiter task has been polled.
nonisolated(unsafe) var waiterPolls: UInt32 = 0
/// Rounds of "park, raise the interrupt, get polled" the waiter does.
let rounds: UInt32 = 1_000

/// Parks its waker for the interrupt handler. First it waits to be woken by the
/// driver's interrupt; then, `rounds` times, it raises the interrupt itself
/// right after parking, and each time must be polled exactly once more.
struct Waiter: Future {
    mutating func poll(_ context: inout Context) -> Poll<Void> {
        waiterPolls &+= 1
        if waiterPolls > 1 {
            // Every poll after the first is due to exactly one handler wake.
            let woken = softwareInterruptWoken.load(ordering: .relaxed)
            if woken != waiterPolls &- 1 {
                fail("each interrupt wake gives one poll", woken)
            }
        }
        if waiterPolls == rounds &+ 2 {
            parkedWaker = nil
            return .ready(())
        }
        parkedWaker = context.waker
        if waiterPolls >= 2 {
            // The handler runs before pend returns and sets our ready bit; we
            // must still return `.pending` and be polled on the next pass.
            Board.pendSoftwareInterrupt()
        }
        return .pending
    }
}

// MARK: - UART receive interrupt

/// The echo task's waker, for the receive hook. Written with interrupts masked.
nonisolated(unsafe) var echoWaker: Waker? = nil
/// Receive hook runs that woke the echo task.
let receiveWakes = Atomic<UInt32>(0)

/// The UART receive interrupt's hook (after the board queued the bytes).
func onReceive() {
    if echoWaker?.wake() == .woken { receiveWakes.wrappingAdd(1, ordering: .relaxed) }
}

/// The line the echo task received, without its newline.
nonisolated(unsafe) var line = InlineArray<32, UInt8>(repeating: 0)
nonisolated(unsafe) var lineLength = 0
/// Set by the echo task when the newline arrived.
nonisolated(unsafe) var lineDone = false
nonisolated(unsafe) var echoPolls: UInt32 = 0

/// Collects bytes from the UART until a newline.
struct Echo: Future {
    var started = false

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        echoPolls &+= 1
        if !started {
            // Park first, then let the interrupt in: every byte from now on
            // finds the waker. Nothing is read in this poll, so the task can
            // only make progress through the interrupt's wake.
            started = true
            let waker = context.waker
            Board.withInterruptsMasked { echoWaker = waker }
            Board.enableReceiveInterrupt()
            return .pending
        }
        while let byte = Board.readByte() {
            if byte == 0x0A {
                lineDone = true
                Board.withInterruptsMasked { echoWaker = nil }
                return .ready(())
            }
            if lineLength < 32 {
                line[lineLength] = byte
                lineLength += 1
            }
        }
        return .pending   // the next byte's interrupt wakes us
    }
}

// MARK: - The driver: runs the checks in order

/// The checks, one state per step, inside the run loop.
struct Driver: Future {
    enum Step { case start, parked, woken, rounds, uart, done }
    var step = Step.start
    var wait = Timer.after(.milliseconds(5))
    var uartDeadline = Timer.after(.seconds(2))

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while true {
            switch step {
            case .start:
                // Let the waiter park, then leave it parked while the executor
                // sleeps for 5 ms: nothing but its waker may poll it.
                guard case .ready = wait.poll(&context) else { return .pending }
                check("a parked task is not polled without a wake", waiterPolls == 1 && parkedWaker != nil)
                step = .parked
            case .parked:
                Board.pendSoftwareInterrupt()
                check("the interrupt handler runs the hook in handler mode",
                      softwareInterruptRuns.load(ordering: .relaxed) == 1
                      && hookException == Board.softwareInterruptException)
                check("the handler's wake() returns .woken",
                      softwareInterruptWoken.load(ordering: .relaxed) == 1)
                // The waiter runs on the next pass (slot 0), then we do.
                step = .woken
                context.waker.wake()
                return .pending
            case .woken:
                check("the woken task is polled on the next pass", waiterPolls >= 2)
                step = .rounds
            case .rounds:
                // The waiter raises and handles its own interrupts; we look
                // again every millisecond.
                if waiterPolls < rounds &+ 2 {
                    wait = Timer.after(.milliseconds(1))
                    guard case .ready = wait.poll(&context) else { return .pending }
                    continue
                }
                check("every interrupt wake gives exactly one poll (1000 rounds)", waiterPolls == rounds &+ 2
                      && softwareInterruptWoken.load(ordering: .relaxed) == rounds &+ 1
                      && softwareInterruptRuns.load(ordering: .relaxed) == rounds &+ 1)
                step = .uart
            case .uart:
                if !lineDone {
                    if case .ready = uartDeadline.poll(&context) {
                        check("uart receive interrupt wakes the echo task", false)
                    }
                    wait = Timer.after(.milliseconds(1))
                    guard case .ready = wait.poll(&context) else { return .pending }
                    continue
                }
                Board.write("echo: ")
                for i in 0..<lineLength { Board.writeByte(line[i]) }
                Board.writeByte(0x0A)
                check("uart receive interrupt wakes the echo task",
                      receiveWakes.load(ordering: .relaxed) >= 1 && echoPolls >= 2
                      && lineLength == expectedLine.utf8CodeUnitCount && Board.droppedReceiveBytes == 0)
                var same = true
                for i in 0..<lineLength where line[i] != expectedLine.utf8Start[i] { same = false }
                check("the echoed line is the input", same)
                step = .done
            case .done:
                Board.exit(0)
            }
        }
    }
}

/// QEMU_INPUT in firmware.env, without its newline.
let expectedLine: StaticString = "pollen says hello from the uart"

public let pollenTaskSize_Waiter = MemoryLayout<Waiter>.size
public let pollenTaskSize_Echo = MemoryLayout<Echo>.size
public let pollenTaskSize_Driver = MemoryLayout<Driver>.size

nonisolated(unsafe) var executor = Executor<1>()
nonisolated(unsafe) var waiters = TaskPool<Waiter, 1>(name: "waiter")
nonisolated(unsafe) var echoes = TaskPool<Echo, 1>(name: "echo")
nonisolated(unsafe) var drivers = TaskPool<Driver, 1>(name: "driver")
nonisolated(unsafe) var timers = TimerQueue<2>()

@main
struct IRQWake {
    static func main() {
        // Not `Board.start()`: that would turn the UART receive interrupt on
        // at once, and QEMU's input could arrive before the echo task parks.
        // The echo task turns it on itself.
        var platform = Board.startTicks()
        Board.enableSoftwareInterrupt()
        Board.setSoftwareInterruptHook { onSoftwareInterrupt() }
        Board.setReceiveHook { onReceive() }

        let waiter: PoolRef<Waiter, 1>
        let echo: PoolRef<Echo, 1>
        let driver: PoolRef<Driver, 1>
        do throws(CapacityError) {
            waiter = try executor.attach(&waiters)
            echo = try executor.attach(&echoes)
            driver = try executor.attach(&drivers)
        } catch {
            Board.fail(error)
        }
        executor.attach(timers: &timers)
        do throws(SpawnError) {
            try waiter.spawn(Waiter())
            try echo.spawn(Echo())
            try driver.spawn(Driver())
        } catch {
            Board.fail(error)
        }
        executor.run(on: &platform, idle: .sleep, tasks: tasks(waiter, echo, driver))
        Board.writeLine("run returned... FAIL")
        Board.exit(1)
    }
}

// MARK: - Helpers


/// Prints `name... FAIL (seen N)` and exits 1.
func fail(_ name: StaticString, _ seen: UInt32) -> Never {
    Board.write(name)
    Board.write("... FAIL (seen ")
    Board.writeDecimal(seen)
    Board.writeLine(")")
    Board.exit(1)
}
