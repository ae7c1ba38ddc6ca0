/// How ``FixedString`` fills a number's field up to its width.
///
/// ```swift
/// text.write(decimal: -7, width: 4)                    // "  -7"
/// text.write(decimal: -7, width: 4, padding: .zeros)   // "-007"
/// ```
public enum NumberPadding: Sendable {
    /// Spaces before the number (and its sign): `"  -7"`.
    case spaces
    /// Zeros between the sign and the digits: `"-007"`.
    case zeros
}

/// Text of at most `capacity` bytes, formatted without `String` and without
/// allocating: write fixed text and integers (decimal or hex, padded to a width)
/// into it, then send its bytes wherever text goes.
///
/// ```swift
/// var text = FixedString<32>()
/// text.write("t=")
/// text.write(decimal: elapsedMS, width: 6)        // "t=   250"
/// text.write(" id=0x")
/// text.write(hex: deviceID, digits: 4)            // " id=0x00af"
/// text.bytes.forEach { Board.writeByte($0) }
/// ```
///
/// It is a ``TextOutput``, so Pollen's reports can be rendered into it too:
/// `error.describe(to: &text)`.
///
/// - Truncation: fixed text keeps the bytes that fit; a number is written whole
///   or not at all (never a misleading prefix of its digits). Refused bytes are
///   counted in ``dropped``.
/// - No division: decimal digits are found by subtracting powers of ten, so
///   nothing pulls in a division routine (the Cortex-M0 has no divide
///   instruction).
/// - Integers of any fixed-width type of up to 64 bits.
/// - Hex digits are lowercase, without a prefix; a negative number is written as
///   its two's-complement bit pattern at its type's width (`Int8(-1)` → `ff`).
///
/// Size: a ``ByteBuffer`` of `capacity` (`capacity` + two `Int`s).
///
/// Interrupt safety: none (plain data).
public struct FixedString<let capacity: Int>: TextOutput {
    /// The text's bytes (UTF-8).
    public private(set) var bytes = ByteBuffer<capacity>()

    /// Empty text.
    ///
    /// ```swift
    /// var status = FixedString<24>()
    /// ```
    public init() {}

    /// Text starting with `text` (truncated to `capacity`).
    ///
    /// ```swift
    /// var status = FixedString<24>("ready")
    /// ```
    public init(_ text: StaticString) {
        bytes.append(text)
    }

    /// Number of bytes held.
    ///
    /// ```swift
    /// if status.count > 20 { status.removeAll() }
    /// ```
    public var count: Int { bytes.count }

    /// Bytes refused because the text was full (since creation or ``removeAll()``).
    ///
    /// ```swift
    /// if status.dropped > 0 { status.removeAll(); status.write("(overflow)") }
    /// ```
    public var dropped: Int { bytes.dropped }

    /// Empties the text and resets ``dropped``.
    ///
    /// ```swift
    /// text.removeAll()
    /// ```
    public mutating func removeAll() {
        bytes.removeAll()
    }

    /// Appends fixed text, as many bytes as fit (``TextOutput``).
    ///
    /// ```swift
    /// text.write("temp=")
    /// ```
    public mutating func write(_ text: StaticString) {
        bytes.append(text)
    }

    /// Appends `number` in decimal, with a `-` when negative (``TextOutput``).
    ///
    /// ```swift
    /// text.write(-42)                 // "-42"
    /// ```
    public mutating func write(_ number: Int) {
        write(decimal: number)
    }

    /// Appends one byte.
    ///
    /// ```swift
    /// text.write(byte: 0x0A)          // a newline
    /// ```
    public mutating func write(byte: UInt8) {
        bytes.append(byte)
    }

    /// Appends `value` in decimal, right-aligned in at least `width` bytes
    /// (padded with spaces, or zeros after the sign). Written whole or not at
    /// all; see the type's documentation.
    ///
    /// ```swift
    /// text.write(decimal: 7, width: 3, padding: .zeros)     // "007"
    /// text.write(decimal: UInt64.max)                       // "18446744073709551615"
    /// ```
    public mutating func write<Integer: FixedWidthInteger>(
        decimal value: Integer, width: Int = 0, padding: NumberPadding = .spaces
    ) {
        precondition(Integer.bitWidth <= 64, "FixedString: integers of up to 64 bits")
        // Compared with a zero of the integer's own type: `value < 0` picks the
        // heterogeneous comparison with an `Int`, which allocates for 64-bit
        // integers on 32-bit targets.
        let zero: Integer = .zero
        let negative = value < zero
        let magnitude = Self.bits(value.magnitude)
        var digits = 1
        while digits < 20 && magnitude >= Self.powerOfTen(digits) { digits += 1 }
        let body = digits + (negative ? 1 : 0)
        let fill = width > body ? width - body : 0
        guard reserve(body + fill) else { return }
        if padding == .spaces { repeatByte(0x20, fill) }
        if negative { bytes.append(0x2D) }
        if padding == .zeros { repeatByte(0x30, fill) }
        var rest = magnitude
        var exponent = digits - 1
        while exponent >= 0 {
            let power = Self.powerOfTen(exponent)
            var digit: UInt8 = 0
            while rest >= power {
                rest &-= power
                digit &+= 1
            }
            bytes.append(0x30 &+ digit)
            exponent -= 1
        }
    }

    /// Appends `value` in lowercase hex, zero-padded to at least `digits` digits,
    /// without a prefix. Written whole or not at all.
    ///
    /// ```swift
    /// text.write(hex: UInt32(0xBEEF), digits: 8)    // "0000beef"
    /// text.write(hex: UInt8(0x0A))                  // "a"
    /// ```
    public mutating func write<Integer: FixedWidthInteger>(hex value: Integer, digits: Int = 1) {
        precondition(Integer.bitWidth <= 64, "FixedString: integers of up to 64 bits")
        var pattern = Self.bits(value)
        if Integer.bitWidth < 64 { pattern &= (1 &<< Self.wide(Integer.bitWidth)) &- 1 }
        var significant = 1
        while significant < 16 && pattern &>> Self.wide(4 * significant) != 0 { significant += 1 }
        let fill = digits > significant ? digits - significant : 0
        guard reserve(significant + fill) else { return }
        repeatByte(0x30, fill)
        var shift = 4 * (significant - 1)
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: (pattern &>> Self.wide(shift)) & 0xF)
            bytes.append(nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble)
            shift -= 4
        }
    }

    /// Whether the text is exactly `text`.
    ///
    /// ```swift
    /// if status == "ready" { … }
    /// ```
    public static func == (string: FixedString, text: StaticString) -> Bool {
        string.bytes.elementsEqual(text)
    }

    /// `true` when `needed` more bytes fit; otherwise counts them as dropped.
    mutating func reserve(_ needed: Int) -> Bool {
        if capacity - bytes.count >= needed { return true }
        bytes.refused = bytes.refused > Int.max - needed ? Int.max : bytes.refused + needed
        return false
    }

    /// Appends `byte` `times` times (room was reserved).
    mutating func repeatByte(_ byte: UInt8, _ times: Int) {
        var left = times
        while left > 0 {
            bytes.append(byte)
            left -= 1
        }
    }

    /// The low 64 bits of `value`'s two's-complement pattern. Built from `UInt`
    /// words: a generic conversion to `UInt64` allocates on 32-bit Embedded
    /// targets (see `Widening.swift`).
    static func bits<Integer: FixedWidthInteger>(_ value: Integer) -> UInt64 {
        let low = UInt64(widening: UInt(truncatingIfNeeded: value))
        guard Integer.bitWidth > UInt.bitWidth else { return low }
        // A 64-bit integer on a 32-bit target. A masking shift by a shift of the
        // integer's own type: `>>` by an `Int` allocates there too.
        let shift: Integer = 32
        let high = UInt64(widening: UInt(truncatingIfNeeded: value &>> shift))
        return high &<< (32 as UInt64) | low
    }

    /// `count` (non-negative) as a shift amount.
    static func wide(_ count: Int) -> UInt64 {
        UInt64(widening: UInt(bitPattern: count))
    }

    /// 10^`exponent`, for `exponent` in 0...19, without multiplying at run time.
    static func powerOfTen(_ exponent: Int) -> UInt64 {
        switch exponent {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1_000
        case 4: return 10_000
        case 5: return 100_000
        case 6: return 1_000_000
        case 7: return 10_000_000
        case 8: return 100_000_000
        case 9: return 1_000_000_000
        case 10: return 10_000_000_000
        case 11: return 100_000_000_000
        case 12: return 1_000_000_000_000
        case 13: return 10_000_000_000_000
        case 14: return 100_000_000_000_000
        case 15: return 1_000_000_000_000_000
        case 16: return 10_000_000_000_000_000
        case 17: return 100_000_000_000_000_000
        case 18: return 1_000_000_000_000_000_000
        default: return 10_000_000_000_000_000_000
        }
    }
}
