// Echo.swift — the demo's echo task: UART bytes in, `echo: <line>` out.
//
// The UART receive interrupt moves each byte into `uartChannel` (through the
// board's receive ring, see `drainReceiveRing`); `EchoTask` receives them and
// prints each line ended by Enter (\r or \n):
//
//   echo: <line>                                        a line
//   echo: <first 64 bytes> (truncated: 9936 bytes dropped)
//   echo: <line> (timed out)                            no new byte for 10 s
//   echo: <line> (input lost: at least 3 bytes)         bytes lost before the task
//
// Bytes the terminal would act on are shown, not sent: printable ASCII is
// echoed as it is, a backslash as `\\`, and every other byte (control bytes
// such as ESC or NUL, DEL, and all bytes from 0x80: C1 controls and UTF-8 alike)
// as `\xhh`. So `ESC [31m` shows as `\x1b[31m` instead of turning the terminal red.
//
// No byte is lost without a mark: the line keeps its first 64 bytes and counts
// the rest; bytes lost before they reach the task (the board's receive ring
// full, a UART overrun on silicon, the channel refusing one) are counted and
// reported on the next line printed. Under QEMU none are lost there: the
// board pauses the UART when its ring is full, and QEMU holds the input back.
//
// This file is also built by the demo-echo firmware test (Tests/Firmware/demo-echo,
// through EXTRA_SOURCES), which feeds it lines under QEMU.

/// Echoes each received line; see the file comment for the format.
import Pollen
import PollenBoard

struct EchoTask: ~Copyable, Future {
    /// The first bytes of the current line.
    var line = InlineArray<64, UInt8>(repeating: 0)
    /// Bytes of `line` in use.
    var length = 0
    /// Bytes of the current line past `line`'s capacity: counted, not kept.
    var dropped: UInt32 = 0
    /// Bytes lost before reaching this task, as of the last line printed.
    var lostReported: UInt32 = 0
    /// Lines printed so far.
    var linesEchoed: UInt32 = 0
    /// How long a started line may wait for its next byte before it is printed
    /// as it is, marked `(timed out)`.
    let idleLimit: Duration
    /// The receive in progress (one await: see `Await`).
    var next = Await<Timeout<ChannelReceive<UInt8, 16>>>()

    /// An echo task; a line left unfinished for `idleLimit` is printed as it is.
    init(idleLimit: Duration = .seconds(10)) {
        self.idleLimit = idleLimit
    }

    mutating func poll(_ context: inout Context) -> Poll<Void> {
        while true {
            if !next.isRunning { drainReceiveRing() }   // bytes that waited while the channel was full
            // Wait for a byte: for at most `idleLimit` once a line has started.
            guard let received = next.poll(&context, Timeout(uartChannel.receive(),
                                                           after: length == 0 ? .seconds(86_400) : idleLimit))
            else { return .pending }
            switch received {
            case .timedOut:
                if length > 0 { emit(timedOut: true) }
            case .completed(let byte):
                if byte == 0x0D || byte == 0x0A {
                    if length > 0 { emit(timedOut: false) }
                } else if length < line.count {
                    line[length] = byte
                    length += 1
                } else if dropped < UInt32.max {
                    dropped += 1
                }
            }
        }
    }

    /// Prints the current line with its marks, then starts a new one.
    mutating func emit(timedOut: Bool) {
        Board.write("echo: ")
        for index in 0..<length {
            writeEscaped(line[index])
        }
        if dropped > 0 {
            Board.write(" (truncated: ")
            writeCount(dropped)
            Board.write(" dropped)")
        }
        let lost = lostInputBytes()
        if lost != lostReported {
            Board.write(" (input lost: at least ")
            writeCount(lost &- lostReported)
            Board.write(")")
            lostReported = lost
        }
        Board.write(timedOut ? " (timed out)\n" : "\n")
        if !timedOut && length == 3 && line[0] == 0x68 && line[1] == 0x6F && line[2] == 0x67, let hook = hogCommandHook {
            hook()   // the line `hog`
        }
        length = 0
        dropped = 0
        linesEchoed &+= 1
    }
}

/// Writes `byte` so that the terminal shows it instead of acting on it:
/// printable ASCII as it is, a backslash as `\\`, anything else as `\xhh`.
func writeEscaped(_ byte: UInt8) {
    if byte >= 0x20 && byte < 0x7F && byte != 0x5C {   // printable ASCII
        put(byte)
        return
    }
    put(0x5C)                                          // `\`
    if byte == 0x5C {                                  // backslash: doubled, so `\x` stays unambiguous
        put(0x5C)
    } else {
        put(0x78)                                      // `x`
        put(hexDigit(byte &>> 4))
        put(hexDigit(byte & 0x0F))
    }
}

/// `Board.writeByte`, kept out of line: one copy of the UART's wait loop
/// serves every byte `writeEscaped` writes.
@inline(never)
func put(_ byte: UInt8) {
    Board.writeByte(byte)
}

/// The lowercase hex digit for `nibble` (0...15).
func hexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble
}

/// Writes "1 byte" or "N bytes".
func writeCount(_ bytes: UInt32) {
    Board.writeDecimal(bytes)
    Board.write(bytes == 1 ? " byte" : " bytes")
}

/// Called after the line `hog` is echoed, if set (the demo starts its CPU hog).
nonisolated(unsafe) var hogCommandHook: (@convention(c) () -> Void)? = nil

// MARK: - From the UART to the channel

nonisolated(unsafe) var uartChannel = Channel<UInt8, 16>()
/// The receive side's sender (`sender()` borrows the channel where it lies).
let uartSender = uartChannel.sender()
/// Bytes the channel refused. None can be (see `drainReceiveRing`); counted so
/// that such a loss could never be silent.
nonisolated(unsafe) var channelRefusals = InterruptCell<UInt32>(0)

/// Moves bytes from the board's receive ring into the channel while it has room.
/// Runs in the UART interrupt (the receive hook) and, with interrupts masked,
/// from the echo task (after the channel drained). The channel has one consumer,
/// so once there is room a `trySend` cannot fail. A byte stays in the ring until
/// the channel has room, and the ring pauses the UART when it is full: nothing
/// is dropped on the way.
func drainReceiveRing() {
    withInterruptsMasked {
        while uartChannel.count < 16, let byte = Board.readByte() {
            if !uartSender.trySend(byte) { channelRefusals.wrappingAdd(1) }
        }
    }
}

/// Bytes lost before reaching the echo task, since start-up: dropped by the
/// board's receive ring, lost to UART overruns (at least one byte each), or
/// refused by the channel. A lower bound.
func lostInputBytes() -> UInt32 {
    Board.droppedReceiveBytes &+ Board.receiveOverruns &+ channelRefusals.load()
}
