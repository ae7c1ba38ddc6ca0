// DeviceInterrupts.swift — the device-interrupt plumbing every board shares: the UART
// receive ring and its hooks, the software interrupt, and `start()`, which turns
// them on. The board's handlers are in Board/<board>/InterruptHandlers.swift.
//
// The handlers are in the module PollenBoard (SwiftPM), which also declares
// `Board: DeviceInterruptSupport`; everything below that turns interrupts on or
// reads what they received is only available for such a board. Apps that use
// no device interrupt (blinky) depend on PollenBoardMinimal instead
// (DEVICE_INTERRUPTS=none in a repository app's firmware.env): the handlers are
// then not linked, the vectors fall back to Default_Handler, and the app starts
// the clock with `Board.startTicks()`. Calling `Board.start()` or
// `Board.readByte()` there is a compile error, not a silent no-op. (The ring and
// hooks below are linked only when something uses them: --gc-sections.)

/// A board whose device-interrupt handlers (UART receive, software interrupt)
/// are linked into the image. The module PollenBoard declares `Board`'s
/// conformance next to those handlers (Board/<board>/InterruptHandlers.swift);
/// `start()`, `readByte()` and the other members of the extension below exist
/// only for a conforming board.
public protocol DeviceInterruptSupport: BoardSupport {}

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
nonisolated(unsafe) package var uartReceiveRing = ByteRing()

/// Set by the UART receive handler when it stopped draining the UART because
/// the ring was full; cleared by ``BoardSupport/readByte()``, which then calls
/// ``BoardSupport/resumeReceive()``. Guarded like the rx ring.
nonisolated(unsafe) package var uartReceivePaused = false

/// Receive overruns the UART has flagged: bytes that arrived while the handler
/// had paused (ring full) or could not run in time, lost inside the UART. Each
/// overrun loses at least one byte. Never happens under QEMU (it holds input
/// back instead). Incremented only by the board's UART receive handler; read
/// with interrupts masked (``BoardSupport/receiveOverruns``).
nonisolated(unsafe) package var uartReceiveOverruns: UInt32 = 0

/// Called by the UART receive handler after it has drained the UART.
nonisolated(unsafe) var uartReceiveHook: InterruptHook? = nil
/// Called by the software interrupt's handler.
nonisolated(unsafe) var softwareInterruptHook: InterruptHook? = nil

/// Shared body of every board's UART receive handler: call it after pushing bytes.
@inline(__always)
package func runUARTReceiveHook() { uartReceiveHook?() }

/// Shared body of every board's software-interrupt handler.
@inline(__always)
package func runSoftwareInterruptHook() { softwareInterruptHook?() }

extension BoardSupport where Self: DeviceInterruptSupport {
    /// Starts the clock (``BoardSupport/startTicks()``), enables the UART
    /// receive and software interrupts, and returns the platform for the executor.
    @inline(__always)
    public static func start() -> BoardPlatform {
        let platform = startTicks()
        enableReceiveInterrupt()
        enableSoftwareInterrupt()
        return platform
    }

    /// Enables the UART receive interrupt, at the UART and in the interrupt
    /// controller (NVIC, PLIC).
    public static func enableReceiveInterrupt() {
        enableReceiveInterruptSource()
        enableDeviceInterrupt(uartReceiveIRQ)
    }

    /// The oldest byte received on the console UART, or `nil` if none is waiting.
    /// Needs ``enableReceiveInterrupt()`` (done by ``start()``).
    public static func readByte() -> UInt8? {
        Self.withInterruptsMasked {
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
        Self.withInterruptsMasked { uartReceiveRing.dropped }
    }

    /// Receive overruns flagged by the UART since start-up, each the loss of at
    /// least one byte (on silicon without flow control, when bytes arrive faster
    /// than they are read). Always 0 under QEMU, which holds input back instead.
    public static var receiveOverruns: UInt32 {
        Self.withInterruptsMasked { uartReceiveOverruns }
    }

    /// Sets (or clears) the function the UART receive interrupt calls after
    /// queueing new bytes.
    public static func setReceiveHook(_ hook: InterruptHook?) {
        Self.withInterruptsMasked { uartReceiveHook = hook }
    }

    /// Sets (or clears) the function the software interrupt calls.
    public static func setSoftwareInterruptHook(_ hook: InterruptHook?) {
        Self.withInterruptsMasked { softwareInterruptHook = hook }
    }

    /// Raises the software interrupt. Called from thread code with interrupts
    /// enabled, its handler has run by the time this returns; with interrupts
    /// masked, it runs as soon as they are unmasked. Pends coalesce: two raises
    /// before the handler runs make one run.
    @inline(__always)
    public static func pendSoftwareInterrupt() {
        raiseSoftwareInterrupt()
    }
}
