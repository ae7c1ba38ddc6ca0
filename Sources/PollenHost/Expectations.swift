import Pollen

/// Returns what `condition` returns: a one-line way to put a check on a
/// `~Copyable` value inside `#expect`.
///
/// ```swift
/// #expect(that { channel.pointee.trySend(7) })          // does not compile without `that`
/// #expect(that { workers.withHandle(at: 0) { $0.isRunning } ?? false })
/// ```
///
/// Why: `#expect(channel.pointee.trySend(7))` does not compile, nor does
/// `#expect(slot.isRunning)` on a `~Copyable` `slot`. Swift Testing's macro
/// splits a top-level call `base.method(args)` or property `base.property`
/// (also under `!`) into a call of its own that takes `base` as a generic
/// argument, and generic arguments must be `Copyable` ("global function
/// '__checkFunctionCall…' (or '__checkPropertyAccess…') requires that
/// 'Channel<…>' conform to 'Copyable'"; a `mutating` method also fails as
/// "'$0' is immutable"). A closure is not split, so the code inside it compiles
/// as written. What compiles without the helper (checked with this toolchain):
/// - a comparison of copyable values at the top (`#expect(handle != nil)` on a
///   `~Copyable` optional fails too): `#expect(channel.pointee.trySend(7) == true)`,
///   `#expect(channel.pointee.count == 1)`;
/// - a local first: `let sent = channel.pointee.trySend(7); #expect(sent)`,
///   which also names the value in the failure message.
///
/// The failure message shows the source text, `that { … }`, and `false`.
public func that(_ condition: () throws -> Bool) rethrows -> Bool {
    try condition()
}

extension ByteBuffer: CustomStringConvertible {
    /// The bytes as text: printable ASCII as is, `\` as `\\`, anything else as
    /// `\xhh` (host only; for test messages).
    public var description: String {
        var text = ""
        forEach { byte in
            if byte == 0x5C {
                text += "\\\\"
            } else if byte >= 0x20 && byte < 0x7F {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = Array("0123456789abcdef")
                text += "\\x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
            }
        }
        return text
    }
}

extension FixedString: CustomStringConvertible {
    /// The text, escaped as ``ByteBuffer``'s description (host only).
    public var description: String { bytes.description }
}

extension LineBuffer: CustomStringConvertible {
    /// The current line, escaped as ``ByteBuffer``'s description, with its
    /// truncation count when non-zero (host only).
    public var description: String {
        truncated == 0 ? bytes.description : bytes.description + " (+\(truncated) truncated)"
    }
}
