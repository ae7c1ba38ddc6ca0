/// What ``LineBuffer/push(_:)`` did with a byte.
///
/// ```swift
/// if line.push(byte) == .line { handle(line.bytes) }
/// ```
public enum LineStatus: Equatable, Sendable {
    /// The byte was kept (or counted as truncated, or was the LF of a CR LF
    /// pair); the line goes on.
    case partial
    /// A CR or LF ended the line: read it now (``LineBuffer/bytes``,
    /// ``LineBuffer/truncated``). The next push starts a new line.
    case line
}

/// Accumulates bytes into a line, up to a CR or LF, keeping the first
/// `capacity` bytes and counting the rest. Fixed size, no allocation.
///
/// ```swift
/// var line = LineBuffer<64>()
/// // in the task, for each received byte:
/// if line.push(byte) == .line {
///     line.bytes.forEach { Board.writeByte($0) }
///     if line.truncated > 0 { report(line.truncated) }   // bytes beyond 64
/// }
/// ```
///
/// - Terminators: CR (`\r`) or LF (`\n`) ends a line and is not stored. An LF
///   right after the CR that ended a line is swallowed, so CR LF is one line end,
///   not two. An empty line (two CRs, or a lone LF) is reported as a line with
///   no bytes: skip it with `line.bytes.isEmpty` if you do not want it.
/// - Truncation: bytes past `capacity` are not stored; ``truncated`` counts them
///   (the line is still reported when its terminator comes).
/// - After ``LineStatus/line`` the line stays readable until the next
///   ``push(_:)``, which starts a new one (no explicit clear needed);
///   ``clear()`` drops a partial line, e.g. on an idle timeout.
///
/// Size: a ``ByteBuffer`` of `capacity` plus two flags: 74 bytes for
/// `LineBuffer<64>` on the Cortex-M (stride 76), 82 on a 64-bit host.
///
/// Interrupt safety: none (plain data). Feed it from the task that receives the
/// bytes (for example from a ``Channel`` that the UART interrupt fills).
public struct LineBuffer<let capacity: Int> {
    /// The current line's bytes, without the terminator (at most `capacity`).
    public private(set) var bytes = ByteBuffer<capacity>()
    /// The last push ended a line: the next push starts a new one.
    var ended = false
    /// The last byte pushed was a CR (an LF right after it is swallowed).
    var afterCR = false

    /// An empty line.
    ///
    /// ```swift
    /// var command = LineBuffer<32>()
    /// ```
    public init() {}

    /// Bytes of the current line that did not fit and were not stored.
    ///
    /// ```swift
    /// if line.truncated > 0 { Board.write(" (truncated)") }
    /// ```
    public var truncated: Int { bytes.dropped }

    /// Adds one received byte. Returns ``LineStatus/line`` when it ended a line
    /// (read ``bytes`` and ``truncated`` now), ``LineStatus/partial`` otherwise.
    /// See the type's documentation for CR, LF and CR LF.
    ///
    /// ```swift
    /// guard line.push(byte) == .line else { continue }
    /// ```
    public mutating func push(_ byte: UInt8) -> LineStatus {
        if ended {
            bytes.removeAll()
            ended = false
        }
        let wasAfterCR = afterCR
        afterCR = byte == 0x0D
        switch byte {
        case 0x0D:
            ended = true
            return .line
        case 0x0A:
            if wasAfterCR { return .partial }   // the LF of CR LF
            ended = true
            return .line
        default:
            bytes.append(byte)
            return .partial
        }
    }

    /// Whether a line has started and not ended yet: bytes (stored or truncated)
    /// were pushed since the last line end. Use it to time out a half-typed line
    /// without reporting an empty one.
    ///
    /// ```swift
    /// if timedOut && line.hasPartialLine { report(line.bytes, timedOut: true); line.clear() }
    /// ```
    public var hasPartialLine: Bool {
        !ended && (bytes.count > 0 || bytes.dropped > 0)
    }

    /// Drops the current line (its bytes and its truncation count). A CR pushed
    /// just before is remembered, so the LF of a CR LF that arrives after a
    /// `clear()` still does not end an (empty) line.
    ///
    /// ```swift
    /// if idleTimedOut { line.clear() }
    /// ```
    public mutating func clear() {
        bytes.removeAll()
        ended = false
    }
}
