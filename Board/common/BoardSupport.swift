// BoardSupport.swift — what every Pollen board offers a firmware app, on any
// architecture (the module PollenBoardCommon: Swift only, no C, no registers).
//
// Three layers make a board (Package.swift declares them for the board named by
// POLLEN_BOARD; its board.env names the architecture layer, ARCH=cortex-m or
// ARCH=riscv):
//   Board/common/     this module: the `BoardSupport` protocol, everything built
//                     on it (strings, numbers, exit, failure reports), and the
//                     device-interrupt plumbing (DeviceInterrupts.swift);
//   Board/<arch>/     the architecture layer: startup, trap or vector table,
//                     fault reports, semihosting exit, interrupt masking, the
//                     interrupt controller, the clock and idle step (the core's
//                     `Platform`). It declares a protocol refining
//                     `BoardSupport` (`CortexMBoard`, `RISCVBoard`) whose
//                     extension supplies the architecture requirements below;
//   Board/<board>/    the board: `public enum Board: CortexMBoard` (or
//                     `RISCVBoard`) with the hardware facts, UART and LED.
// A build names one board, so an app says `Board.write("hi\n")` and runs
// unchanged on every board.
//
// Interrupt plumbing, same on every board (see DeviceInterrupts.swift):
//   UART RX      → the board's handler drains the UART into `uartReceiveRing`,
//                  then calls the hook set with `setReceiveHook` (wake a task there).
//                  When the ring is full the handler leaves the next byte in the
//                  UART and pauses (`uartReceivePaused`); `readByte()` resumes it
//                  once there is room. Under QEMU that is lossless back-pressure
//                  (QEMU holds further input until the UART is read); on silicon
//                  without flow control the UART overruns instead, and the
//                  handler counts every overrun the UART flags
//                  (`receiveOverruns`), so that loss is never silent;
//   software IRQ → `pendSoftwareInterrupt()` raises it (an NVIC line on
//                  Cortex-M, the CLINT's machine software interrupt on RISC-V);
//                  its handler calls the hook set with `setSoftwareInterruptHook`;
//   clock        → the architecture's, tickless on both: a one-shot alarm for
//                  the next deadline ends the `wfi` (Cortex-M: the board's
//                  counter and alarm under Board/cortex-m/CortexMClock.swift;
//                  RISC-V: the CLINT's mtime and mtimecmp). No periodic tick.

import Pollen

/// A function an interrupt handler calls: a plain C function pointer, so
/// storing or calling it never allocates or retains anything. It must not
/// capture (use globals), must be short, and must be interrupt-safe — e.g. a
/// waker's `wake()`, which is one atomic OR.
public typealias InterruptHook = @convention(c) () -> Void

/// The board interface apps program against. Only static members: a board is
/// a singleton, and static dispatch keeps every call as cheap as a direct call.
///
/// A board type conforms through its architecture layer's protocol
/// (`CortexMBoard`, `RISCVBoard`), which supplies the requirements marked
/// "architecture"; the board itself supplies the hardware facts and drivers.
public protocol BoardSupport {
    // MARK: The board's facts and drivers (Board/<board>/Board.swift)

    /// The board's name as `Board/build --board` spells it, e.g. "mps2-an386".
    static var name: StaticString { get }
    /// Core clock in Hz.
    static var cpuHz: UInt32 { get }
    /// The console UART's receive interrupt: an NVIC line on Cortex-M, a PLIC
    /// source on RISC-V.
    static var uartReceiveIRQ: UInt32 { get }
    /// The software interrupt: on Cortex-M an NVIC line no device drives; on
    /// RISC-V the machine software interrupt's cause code (3).
    static var softwareIRQ: UInt32 { get }

    /// Makes the console UART able to transmit (and receive, without interrupts).
    /// Runs from the reset code before `main`; idempotent.
    static func initializeConsole()
    /// Turns on the UART's receive interrupt at the peripheral (not the
    /// interrupt controller).
    static func enableReceiveInterruptSource()
    /// Writes one byte to the console UART, waiting until the UART accepts it.
    static func writeByte(_ byte: UInt8)
    /// Restarts draining the UART after the receive handler paused because the
    /// ring was full (it has set `uartReceivePaused`). Called with interrupts
    /// masked, once there is room; the handler then runs when they are unmasked.
    static func resumeReceive()
    /// Turns the board's user LED on or off (one register write). Under QEMU the
    /// LED is seen through a trace event, `QEMU_LED_TRACE` in the board's
    /// board.env (`./Board/run blinky` turns it on).
    static func setLED(_ on: Bool)
    /// Whether the user LED is on, read back from the output register.
    static var isLEDOn: Bool { get }

    // MARK: The architecture (Board/<arch>: CortexMBoard, RISCVBoard)

    /// The core's `Platform` on this architecture: the executor's clock and
    /// idle step (`CortexMPlatform`, `RISCVPlatform`).
    associatedtype BoardPlatform: Platform

    /// Starts the clock and returns the platform for the executor. For apps that
    /// use neither the UART receive path nor the software interrupt (they stay
    /// disabled); the console still transmits. ``startClock()`` is the same
    /// call under a name that says what it does: both architectures are
    /// tickless. (Cortex-M: the board's microsecond counter and its one-shot
    /// alarm, armed at once for the clock's maintenance. RISC-V: the CLINT's
    /// mtime always runs; nothing interrupts until the executor sets an alarm.)
    @discardableResult
    static func startTicks() -> BoardPlatform

    /// Microseconds since the clock started, to the microsecond: for measuring.
    /// Never decreases, and never below the executor's clock read at the same
    /// moment.
    static func now() -> Instant

    /// Ends the run: QEMU exits with `code` (semihosting). Never returns.
    static func exit(_ code: Int32) -> Never

    /// Runs `body` with interrupts masked and restores the previous mask state.
    /// Nests. Keep `body` short: every interrupt waits for it.
    static func withInterruptsMasked<R>(_ body: () -> R) -> R

    /// Deepest main-stack use so far, in bytes (from the paint laid at reset).
    static var stackHighWaterBytes: UInt32 { get }

    /// Size of the main stack, in bytes (from the linker script).
    static var stackSizeBytes: UInt32 { get }

    /// Size of this image's `.text` section, in bytes (from the linker script's
    /// `__text_start` and `__text_end`): what a test prints to track code size.
    static var textBytes: UInt32 { get }

    /// The exception or interrupt being handled, in the architecture's own
    /// numbering, or 0 in thread code: IPSR on Cortex-M (16 + n in the handler
    /// of IRQ n), `mcause` on RISC-V (bit 31 set for an interrupt).
    static var activeException: UInt32 { get }

    /// What ``activeException`` reads inside the software interrupt's handler.
    static var softwareInterruptException: UInt32 { get }

    /// Lets device interrupt `irq` (an NVIC line, a PLIC source) reach the CPU.
    static func enableDeviceInterrupt(_ irq: UInt32)

    /// Lets the software interrupt reach the CPU.
    static func enableSoftwareInterrupt()

    /// Raises the software interrupt (see `pendSoftwareInterrupt()`, the
    /// public form for boards with device interrupts).
    static func raiseSoftwareInterrupt()
}

// MARK: - Everything built on the requirements

extension BoardSupport {
    /// Starts the board's tickless clock: ``startTicks()``, named for what it
    /// does (no tick runs on any architecture).
    @inline(__always) @discardableResult
    public static func startClock() -> BoardPlatform { startTicks() }
}

extension BoardSupport {
    /// Writes a string literal to the console. No formatting code is linked.
    /// (Never inlined: one copy of the loop serves every call site.)
    @inline(never)
    public static func write(_ string: StaticString) {
        // Safety: a StaticString literal with pointer representation points at
        // `utf8CodeUnitCount` bytes of read-only data, alive for the whole run.
        let start = string.utf8Start
        for offset in 0..<string.utf8CodeUnitCount {
            writeByte(start[offset])
        }
    }

    /// Writes a string literal followed by a newline.
    public static func writeLine(_ string: StaticString) {
        write(string)
        writeByte(0x0A)
    }

    /// Writes text made in a `FixedString` (bytes that did not fit it were
    /// counted there, not written).
    public static func write<let n: Int>(_ text: FixedString<n>) {
        text.bytes.forEach { writeByte($0) }
    }

    /// Writes one line of text with numbers in it, formatted without `String`
    /// (which allocates), then a newline:
    ///
    /// ```swift
    /// Board.log("request \(id): attempt \(attempt) of 3")
    /// Board.log("temperature \(celsius, width: 3) C, status \(hex: status, digits: 2)")
    /// ```
    ///
    /// At most 96 bytes per line; the rest is dropped and the line ends with `…`.
    @inline(never)
    public static func log(_ text: FixedString<96>) {
        write(text)
        if text.dropped > 0 { write("...") }
        writeByte(0x0A)
    }

    /// Writes `value` in decimal without dividing (the Cortex-M0 has no divide
    /// instruction): subtracts powers of ten, largest first.
    public static func writeDecimal(_ value: UInt32) {
        var rest = value
        var power: UInt32 = 1_000_000_000
        var started = false
        while power > 1 {
            var digit: UInt8 = 0
            while rest >= power { rest &-= power; digit &+= 1 }
            if digit != 0 || started {
                writeByte(0x30 &+ digit)
                started = true
            }
            power = nextLowerPowerOfTen(power)
        }
        writeByte(0x30 &+ UInt8(truncatingIfNeeded: rest))
    }

    /// Writes `value` as `0x` and 8 hex digits.
    public static func writeHex(_ value: UInt32) {
        writeByte(0x30); writeByte(0x78)
        var shift: UInt32 = 28
        while true {
            let nibble = UInt8(truncatingIfNeeded: (value &>> shift) & 0xF)
            writeByte(nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble)
            if shift == 0 { break }
            shift &-= 4
        }
    }

    /// Start-up failed: prints the capacity check's message on the console and
    /// exits with code 1.
    public static func fail(_ error: CapacityError) -> Never {
        var console = ConsoleOutput<Self>()
        error.describe(to: &console)
        writeByte(0x0A)
        exit(1)
    }

    /// A spawn failed: prints its message on the console and exits with code 1.
    public static func fail(_ error: SpawnError) -> Never {
        var console = ConsoleOutput<Self>()
        error.describe(to: &console)
        writeByte(0x0A)
        exit(1)
    }

    /// Spawns `task` as a detached task of `pool`, or, when it cannot (the pool is
    /// full or not attached), prints the error on the console and stops the
    /// firmware with exit code 1, as ``fail(_:)-(SpawnError)``. For spawns the
    /// firmware cannot go on without (embassy's `must_spawn`); handle
    /// ``SpawnError`` yourself where a full pool is a case to live with.
    ///
    /// ```swift
    /// Board.mustSpawn(blink, Blink(period: .milliseconds(500)))
    /// ```
    @discardableResult
    public static func mustSpawn<Task: Future & ~Copyable, let capacity: Int>(
        _ pool: PoolRef<Task, capacity>, _ task: consuming Task
    ) -> TaskID {
        do throws(SpawnError) {
            return try pool.spawn(task)
        } catch {
            fail(error)
        }
    }

    /// Claims a slot of `pool`, builds the task `make` returns straight in it
    /// and starts it as a detached task (see `PoolRef.spawn(_:)` with a
    /// closure: no copy of the task on the stack), or, when it cannot, prints
    /// the error and stops the firmware with exit code 1 (see
    /// ``mustSpawn(_:_:)``).
    ///
    /// ```swift
    /// Board.mustSpawn(loggers) { Logger(every: .seconds(1)) }
    /// ```
    @discardableResult @inline(__always)
    public static func mustSpawn<Task: Future & ~Copyable, let capacity: Int>(
        _ pool: PoolRef<Task, capacity>, _ make: () -> Task
    ) -> TaskID {
        do throws(SpawnError) {
            return try pool.spawn(make)
        } catch {
            fail(error)
        }
    }

    /// Spawns `task` as a joinable task of `pool` and returns its handle, or, when
    /// it cannot, prints the error and stops the firmware with exit code 1 (see
    /// ``mustSpawn(_:_:)``).
    ///
    /// ```swift
    /// var worker = Board.mustSpawnJoinable(workers, Worker(run: 1, steps: 3))
    /// ```
    public static func mustSpawnJoinable<Task: Future & ~Copyable, let capacity: Int>(
        _ pool: PoolRef<Task, capacity>, _ task: consuming Task
    ) -> JoinHandle<Task, capacity> {
        do throws(SpawnError) {
            return try pool.spawnJoinable(task)
        } catch {
            fail(error)
        }
    }

    /// Claims a slot of `pool`, builds the task `make` returns straight in it
    /// and returns its handle, or, when it cannot, prints the error and stops
    /// the firmware with exit code 1 (see ``mustSpawn(_:_:)``).
    public static func mustSpawnJoinable<Task: Future & ~Copyable, let capacity: Int>(
        _ pool: PoolRef<Task, capacity>, _ make: () -> Task
    ) -> JoinHandle<Task, capacity> {
        do throws(SpawnError) {
            return try pool.spawnJoinable(make)
        } catch {
            fail(error)
        }
    }

}

/// 10^(k-1) for `power` == 10^k, k in 1...9, without a division.
@inline(__always)
private func nextLowerPowerOfTen(_ power: UInt32) -> UInt32 {
    switch power {
    case 1_000_000_000: return 100_000_000
    case 100_000_000: return 10_000_000
    case 10_000_000: return 1_000_000
    case 1_000_000: return 100_000
    case 100_000: return 10_000
    case 10_000: return 1_000
    case 1_000: return 100
    case 100: return 10
    default: return 1
    }
}

// MARK: - The core's TextOutput on the console

/// A board's console UART as the core's `TextOutput`, so Pollen's reports
/// (`describe(to:)`, capacity checks) print on the firmware without allocating.
/// Each board names its own as `BoardConsole` (`ConsoleOutput<Board>`):
///
///     var console = BoardConsole()
///     executor.describeCapacity(to: &console)
public struct ConsoleOutput<Device: BoardSupport>: TextOutput {
    /// A writer to the console UART (stateless: every instance is the same UART).
    @inline(__always)
    public init() {}

    /// Writes `text` to the UART.
    public mutating func write(_ text: StaticString) { Device.write(text) }

    /// Writes `number` in decimal, with a leading `-` when negative.
    public mutating func write(_ number: Int) {
        if number < 0 { Device.writeByte(0x2D) }
        // Int is 32 bits on every board's target, so the magnitude fits.
        Device.writeDecimal(UInt32(truncatingIfNeeded: number.magnitude))
    }
}
