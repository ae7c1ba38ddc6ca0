// BoardSupport.swift — what every Pollen board offers a firmware app.
//
// Each board folder (Board/<board>/Board.swift) defines one type named `Board`
// conforming to `BoardSupport`; `Board/build` compiles exactly one of them, so
// an app says `Board.write("hi\n")` and runs unchanged on every board.
//
// A board supplies only the hardware facts and the UART (the requirements);
// everything else (strings, numbers, time, software interrupt, exit) comes
// from the extension below, shared by all boards.
//
// Interrupt plumbing, same on every board:
//   UART RX IRQ  → the board's handler drains the UART into `uartReceiveRing`,
//                  then calls the hook set with `setReceiveHook` (wake a task there).
//                  When the ring is full the handler leaves the next byte in the
//                  UART and pauses (`uartReceivePaused`); `readByte()` resumes it
//                  once there is room. Under QEMU that is lossless back-pressure
//                  (QEMU holds further input until the UART is read); on silicon
//                  without flow control the UART overruns instead;
//   software IRQ → `pendSoftwareInterrupt()` pends it in the NVIC; its handler
//                  calls the hook set with `setSoftwareInterruptHook`;
//   SysTick      → 1 ms tick counted by CortexMPlatform.swift; wakes `wfi`.

/// A function an interrupt handler calls: a plain C function pointer, so
/// storing or calling it never allocates or retains anything. It must not
/// capture (use globals), must be short, and must be interrupt-safe — e.g. a
/// waker's `wake()`, which is one atomic OR.
public typealias InterruptHook = @convention(c) () -> Void

/// The board interface apps program against. Only static members: a board is
/// a singleton, and static dispatch keeps every call as cheap as a direct call.
public protocol BoardSupport {
    /// The board's name as `Board/build --board` spells it, e.g. "mps2-an386".
    static var name: StaticString { get }
    /// Core clock in Hz; SysTick counts at this rate.
    static var cpuHz: UInt32 { get }
    /// NVIC number of the console UART's receive interrupt.
    static var uartReceiveIRQ: UInt32 { get }
    /// NVIC number of an interrupt line no device drives, used as a software interrupt.
    static var softwareIRQ: UInt32 { get }

    /// Makes the console UART able to transmit (and receive, without interrupts).
    /// Runs from Reset_Handler before `main`; idempotent.
    static func initializeConsole()
    /// Turns on the UART's receive interrupt at the peripheral (not the NVIC).
    static func enableReceiveInterruptSource()
    /// Writes one byte to the console UART, waiting until the UART accepts it.
    static func writeByte(_ byte: UInt8)
    /// Restarts draining the UART after the receive handler paused because the
    /// ring was full (it has set `uartReceivePaused`). Called with interrupts
    /// masked, once there is room; the handler then runs when they are unmasked.
    static func resumeReceive()
}

// MARK: - Receive ring buffer

/// A 16-byte single-producer/single-consumer byte queue: the UART receive
/// interrupt pushes, thread code pops with interrupts masked.
///
/// The bytes live in a tuple (not an `InlineArray`) so that the global below is
/// laid out statically in .bss rather than initialized lazily.
public struct ByteRing {
    /// Capacity in bytes (a power of two, so indices wrap with a mask).
    public static var capacity: UInt32 { 16 }
    var head: UInt32 = 0   // next slot to write; only push() moves it
    var tail: UInt32 = 0   // next slot to read; only pop() moves it
    /// Bytes received while the ring was full, and so dropped.
    public private(set) var dropped: UInt32 = 0
    var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    /// An empty ring.
    public init() {}

    /// Number of bytes waiting.
    public var count: UInt32 { head &- tail }

    /// Whether a push now would drop the byte.
    public var isFull: Bool { count >= Self.capacity }

    /// Appends `byte`; drops it (and counts it in ``dropped``) when full.
    public mutating func push(_ byte: UInt8) {
        guard !isFull else { dropped &+= 1; return }
        let index = Int(truncatingIfNeeded: head & (Self.capacity - 1))
        // Safety: `index` < 16 == the tuple's byte count (a homogeneous tuple
        // of UInt8 is 16 contiguous bytes), so the write stays inside `bytes`.
        withUnsafeMutableBytes(of: &bytes) { $0[index] = byte }
        head &+= 1
    }

    /// Removes and returns the oldest byte, or `nil` when empty.
    public mutating func pop() -> UInt8? {
        guard count > 0 else { return nil }
        let index = Int(truncatingIfNeeded: tail & (Self.capacity - 1))
        // Safety: as in push(), index < 16.
        let byte = withUnsafeBytes(of: &bytes) { $0[index] }
        tail &+= 1
        return byte
    }
}

/// Bytes received on the console UART, oldest first.
///
/// Invariant ("rx ring"): pushed only by the board's UART receive handler;
/// popped only with interrupts masked (``BoardSupport/readByte()``).
nonisolated(unsafe) var uartReceiveRing = ByteRing()

/// Set by the UART receive handler when it stopped draining the UART because
/// the ring was full; cleared by ``BoardSupport/readByte()``, which then calls
/// ``BoardSupport/resumeReceive()``. Guarded like the rx ring.
nonisolated(unsafe) var uartReceivePaused = false

/// Called by the UART receive handler after it has drained the UART.
nonisolated(unsafe) var uartReceiveHook: InterruptHook? = nil
/// Called by the software interrupt's handler.
nonisolated(unsafe) var softwareInterruptHook: InterruptHook? = nil

/// Shared body of every board's UART receive handler: call it after pushing bytes.
@inline(__always)
func runUARTReceiveHook() { uartReceiveHook?() }

/// Shared body of every board's software-interrupt handler.
@inline(__always)
func runSoftwareInterruptHook() { softwareInterruptHook?() }

// MARK: - Everything built on the requirements

extension BoardSupport {
    /// Starts the 1 ms SysTick, enables the UART receive and software
    /// interrupts in the NVIC, and returns the platform for the executor.
    @inline(__always)
    public static func start() -> CortexMPlatform {
        let platform = startTicks()
        enableReceiveInterrupt()
        NVIC.enable(softwareIRQ)
        return platform
    }

    /// Starts SysTick only: one interrupt per millisecond, which also bounds every
    /// `wfi`. Returns the platform for the executor. For apps that use neither the
    /// UART receive path nor the software interrupt (they stay disabled); the
    /// console still transmits.
    @inline(__always) @discardableResult
    public static func startTicks() -> CortexMPlatform {
        SysTick.start(cyclesPerTick: cpuHz / 1_000)
        return CortexMPlatform(cpuHz: cpuHz)
    }

    /// Enables the UART receive interrupt, at the UART and in the NVIC.
    public static func enableReceiveInterrupt() {
        enableReceiveInterruptSource()
        NVIC.enable(uartReceiveIRQ)
    }

    /// Microseconds since ``start()`` (zero before it). Never decreases (see
    /// `CortexMPlatform.currentMicroseconds()`).
    public static func now() -> Instant {
        Instant(ticks: CortexMPlatform(cpuHz: cpuHz).currentMicroseconds())
    }

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

    /// The oldest byte received on the console UART, or `nil` if none is waiting.
    /// Needs ``enableReceiveInterrupt()`` (done by ``start()``).
    public static func readByte() -> UInt8? {
        withInterruptsMasked {
            let byte = uartReceiveRing.pop()  // rx ring: pop masked
            if byte != nil && uartReceivePaused {
                uartReceivePaused = false
                resumeReceive()
            }
            return byte
        }
    }

    /// Whether received bytes are waiting for ``readByte()``. Cheap and
    /// interrupt-safe: made for an executor's or idle loop's `isStillIdle` check.
    @inline(__always)
    public static var hasReceivedBytes: Bool { uartReceiveRing.count != 0 }

    /// Bytes lost because the receive ring was full (zero while the board
    /// pauses the UART instead; see the file comment).
    public static var droppedReceiveBytes: UInt32 {
        withInterruptsMasked { uartReceiveRing.dropped }
    }

    /// Sets (or clears) the function the UART receive interrupt calls after
    /// queueing new bytes.
    public static func setReceiveHook(_ hook: InterruptHook?) {
        withInterruptsMasked { uartReceiveHook = hook }
    }

    /// Sets (or clears) the function the software interrupt calls.
    public static func setSoftwareInterruptHook(_ hook: InterruptHook?) {
        withInterruptsMasked { softwareInterruptHook = hook }
    }

    /// Raises the software interrupt. Called from thread code with interrupts
    /// enabled, its handler has run by the time this returns (the barriers make
    /// the CPU see the pending line before the next instruction); with
    /// interrupts masked, it runs as soon as they are unmasked. Pends coalesce:
    /// two raises before the handler runs make one run.
    @inline(__always)
    public static func pendSoftwareInterrupt() {
        NVIC.pend(softwareIRQ)
        pollen_dsb()
        pollen_isb()
    }

    /// Ends the run: QEMU exits with `code` (semihosting). Never returns.
    public static func exit(_ code: Int32) -> Never {
        pollen_exit(code)
    }

    /// Start-up failed: prints the capacity check's message on the console and
    /// exits with code 1.
    public static func fail(_ error: CapacityError) -> Never {
        var console = BoardConsole()
        error.describe(to: &console)
        writeByte(0x0A)
        exit(1)
    }

    /// A spawn failed: prints its message on the console and exits with code 1.
    public static func fail(_ error: SpawnError) -> Never {
        var console = BoardConsole()
        error.describe(to: &console)
        writeByte(0x0A)
        exit(1)
    }

    /// Deepest main-stack use so far, in bytes (from the paint laid at reset).
    public static var stackHighWaterBytes: UInt32 { pollen_stack_high_water_bytes() }

    /// Size of the main stack, in bytes (from the linker script).
    public static var stackSizeBytes: UInt32 { pollen_stack_size_bytes() }
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

/// The board's console UART as the core's `TextOutput`, so Pollen's reports
/// (`describe(to:)`, capacity checks) print on the firmware without allocating:
///
///     var console = BoardConsole()
///     executor.describeCapacity(to: &console)
public struct BoardConsole: TextOutput {
    /// A writer to the console UART (stateless: every instance is the same UART).
    public init() {}

    /// Writes `text` to the UART.
    public mutating func write(_ text: StaticString) { Board.write(text) }

    /// Writes `number` in decimal, with a leading `-` when negative.
    public mutating func write(_ number: Int) {
        if number < 0 { Board.writeByte(0x2D) }
        // Int is 32 bits on every Cortex-M target, so the magnitude fits.
        Board.writeDecimal(UInt32(truncatingIfNeeded: number.magnitude))
    }
}
