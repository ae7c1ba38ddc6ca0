import Pollen

/// Collects ``TextOutput`` into a `String` (host only: it allocates).
public struct StringOutput: TextOutput {
    /// Everything written so far.
    public var text = ""

    /// An empty output.
    public init() {}

    public mutating func write(_ text: StaticString) { self.text += text.description }
    public mutating func write(_ number: Int) { self.text += String(number) }
}

extension SpawnError: CustomStringConvertible {
    /// The message of ``SpawnError/describe(to:)``.
    public var description: String {
        var out = StringOutput()
        describe(to: &out)
        return out.text
    }
}

extension CapacityError: CustomStringConvertible {
    /// The message of ``CapacityError/describe(to:)``.
    public var description: String {
        var out = StringOutput()
        describe(to: &out)
        return out.text
    }
}
