/// Text with numbers in one expression, without `String` (which allocates):
/// `FixedString` is a string literal with interpolation of integers, other
/// fixed strings and static strings.
///
/// ```swift
/// let line: FixedString<48> = "request \(id): attempt \(attempt) of 3"
/// Board.writeLine(line)
/// ```
///
/// The literal parts are `StaticString`s and the integers are formatted in
/// decimal into the inline bytes, so nothing allocates; what does not fit is
/// counted in ``FixedString/dropped``, as with the other writes. For padding or
/// hex, interpolate with a label: `"\(value, width: 4)"`, `"\(hex: flags, digits: 2)"`.
extension FixedString: ExpressibleByStringInterpolation {
    /// Fixed text, as in `let status: FixedString<16> = "ready"`.
    public init(stringLiteral value: StaticString) {
        self.init(value)
    }

    /// Text built from literal parts and interpolated values.
    public init(stringInterpolation: Interpolation) {
        self = stringInterpolation.text
    }

    /// Collects the parts of an interpolated `FixedString` literal.
    public struct Interpolation: StringInterpolationProtocol {
        var text = FixedString()

        /// A builder (the literal's sizes are ignored: the capacity is fixed).
        public init(literalCapacity: Int, interpolationCount: Int) {}

        /// A literal part.
        public mutating func appendLiteral(_ literal: StaticString) {
            text.write(literal)
        }

        /// An integer, in decimal (at least `width` bytes, padded with spaces or,
        /// with `padding: .zeros`, with zeros).
        public mutating func appendInterpolation<I: FixedWidthInteger>(
            _ value: I, width: Int = 0, padding: NumberPadding = .spaces
        ) {
            text.write(decimal: value, width: width, padding: padding)
        }

        /// An integer in hexadecimal, at least `digits` digits.
        public mutating func appendInterpolation<I: FixedWidthInteger>(hex value: I, digits: Int = 1) {
            text.write(hex: value, digits: digits)
        }

        /// A static string (a name, say).
        public mutating func appendInterpolation(_ value: StaticString) {
            text.write(value)
        }

        /// `yes` or `no`… any two words chosen by a flag.
        public mutating func appendInterpolation(_ flag: Bool, _ whenTrue: StaticString, _ whenFalse: StaticString) {
            text.write(flag ? whenTrue : whenFalse)
        }

        /// A byte buffer's bytes, as they are (a received line, say).
        public mutating func appendInterpolation<let n: Int>(_ bytes: ByteBuffer<n>) {
            bytes.forEach { text.write(byte: $0) }
        }

        /// Another fixed string's bytes.
        public mutating func appendInterpolation<let n: Int>(_ other: FixedString<n>) {
            other.bytes.forEach { text.write(byte: $0) }
        }
    }
}
