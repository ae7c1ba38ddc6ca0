/// Somewhere to write diagnostic text without allocating: a UART on the
/// firmware, a `String` in host tests.
///
/// Errors and reports in Pollen describe themselves through this protocol
/// (`describe(to:)`), because `String` formatting allocates and firmware
/// compiles with `-no-allocations`.
public protocol TextOutput: ~Copyable {
    /// Writes a fixed piece of text.
    mutating func write(_ text: StaticString)
    /// Writes a signed decimal number.
    mutating func write(_ number: Int)
}
