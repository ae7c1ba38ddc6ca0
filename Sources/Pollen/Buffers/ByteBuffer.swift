/// Up to `capacity` bytes, stored inline (an `InlineArray`): no allocation, a
/// size known at compile time. Bytes that do not fit are refused and counted in
/// ``dropped``, never lost silently.
///
/// ```swift
/// var packet = ByteBuffer<32>()
/// packet.append(0x7E)
/// packet.append("OK")                        // a StaticString's bytes
/// if !packet.append(checksum) { … }         // full: refused, dropped += 1
/// packet.forEach { Board.writeByte($0) }     // iterate without allocating
/// ```
///
/// - Appending: ``append(_:)`` returns `false` when full and adds one
///   to ``dropped``. ``removeAll()`` empties the buffer and resets `dropped`.
/// - Reading: ``count``, a bounds-checked subscript, ``indices``, ``forEach(_:)``,
///   and comparison with another buffer or a `StaticString` (`buffer == "OK"`).
///   It is not a `Sequence`: in Embedded Swift that conformance drags in the
///   standard library's array-building defaults, which `-no-allocations`
///   rejects. `for i in buffer.indices { … buffer[i] … }` iterates instead.
/// - A value type: copying the buffer copies its bytes (it can travel through a
///   ``Channel``). Pass it `borrowing` to avoid the copy.
///
/// Size: `capacity` bytes, then two `Int`s (`count`, `dropped`): 72 bytes for
/// `ByteBuffer<64>` on the Cortex-M, 80 on a 64-bit host.
///
/// Interrupt safety: none (plain data, like an `Int`). To hand bytes from an
/// interrupt handler to a task, use a ``Channel`` of bytes.
public struct ByteBuffer<let capacity: Int> {
    /// The bytes; `storage[0..<length]` are in use.
    var storage: InlineArray<capacity, UInt8>
    /// Bytes in use.
    var length: Int
    /// Bytes refused since the last `removeAll()`, saturating at `Int.max`.
    var refused: Int

    /// An empty buffer.
    ///
    /// ```swift
    /// var reply = ByteBuffer<16>()
    /// ```
    public init() {
        precondition(capacity >= 0, "ByteBuffer: the capacity cannot be negative")
        storage = InlineArray(repeating: 0)
        length = 0
        refused = 0
    }

    /// Number of bytes held.
    ///
    /// ```swift
    /// if reply.count == 2 { … }
    /// ```
    public var count: Int { length }

    /// Whether no byte is held.
    ///
    /// ```swift
    /// guard !reply.isEmpty else { return }
    /// ```
    public var isEmpty: Bool { length == 0 }

    /// Whether `capacity` bytes are held: the next append is refused.
    ///
    /// ```swift
    /// if packet.isFull { flush() }
    /// ```
    public var isFull: Bool { length == capacity }

    /// How many bytes appends refused because the buffer was full, since it was
    /// created or last emptied by ``removeAll()`` (saturating at `Int.max`).
    ///
    /// ```swift
    /// if line.dropped > 0 { report(truncatedBy: line.dropped) }
    /// ```
    public var dropped: Int { refused }

    /// The valid indices, `0..<count`.
    ///
    /// ```swift
    /// for i in packet.indices where packet[i] == 0x7D { … }
    /// ```
    public var indices: Range<Int> { 0..<length }

    /// Appends `byte` if there is room. Returns `false` (and counts the byte in
    /// ``dropped``) when the buffer is full.
    ///
    /// ```swift
    /// if !packet.append(byte) { overflowed = true }
    /// ```
    @discardableResult
    public mutating func append(_ byte: UInt8) -> Bool {
        guard length < capacity else {
            if refused < Int.max { refused += 1 }
            return false
        }
        storage[length] = byte
        length += 1
        return true
    }

    /// Appends the UTF-8 bytes of `text`, as many as fit. Returns `false` when
    /// some did not fit (they are counted in ``dropped``).
    ///
    /// ```swift
    /// reply.append("OK\r\n")
    /// ```
    @discardableResult
    public mutating func append(_ text: StaticString) -> Bool {
        var all = true
        text.withUTF8Buffer { bytes in
            for byte in bytes where !append(byte) { all = false }
        }
        return all
    }

    /// Appends the bytes of another buffer, as many as fit. Returns `false` when
    /// some did not fit (they are counted in ``dropped``). The other buffer's own
    /// `dropped` count is not carried over.
    ///
    /// ```swift
    /// frame.append(contentsOf: payload)
    /// ```
    @discardableResult
    public mutating func append<let otherCapacity: Int>(contentsOf other: borrowing ByteBuffer<otherCapacity>) -> Bool {
        var all = true
        var index = 0
        while index < other.length {
            if !append(other.storage[index]) { all = false }
            index += 1
        }
        return all
    }

    /// Empties the buffer and resets ``dropped`` to zero.
    ///
    /// ```swift
    /// send(packet); packet.removeAll()
    /// ```
    public mutating func removeAll() {
        length = 0
        refused = 0
    }

    /// The byte at `index`, which must be in ``indices`` (checked).
    ///
    /// ```swift
    /// let command = packet[0]
    /// packet[1] = 0x00
    /// ```
    public subscript(index: Int) -> UInt8 {
        get {
            precondition(index >= 0 && index < length, "ByteBuffer: index out of range")
            return storage[index]
        }
        set {
            precondition(index >= 0 && index < length, "ByteBuffer: index out of range")
            storage[index] = newValue
        }
    }

    /// Calls `body` with each byte, first to last, without allocating.
    ///
    /// ```swift
    /// packet.forEach { Board.writeByte($0) }
    /// ```
    ///
    /// A typed error thrown by `body` stops the iteration and is rethrown.
    public func forEach<Failure: Error>(_ body: (UInt8) throws(Failure) -> Void) throws(Failure) {
        var index = 0
        while index < length {
            try body(storage[index])
            index += 1
        }
    }

    /// Whether the buffer holds exactly the UTF-8 bytes of `text`.
    ///
    /// ```swift
    /// if command.elementsEqual("RESET") { reset() }
    /// ```
    public func elementsEqual(_ text: StaticString) -> Bool {
        text.withUTF8Buffer { bytes in
            guard bytes.count == length else { return false }
            var index = 0
            while index < length {
                if storage[index] != bytes[index] { return false }
                index += 1
            }
            return true
        }
    }

    /// Whether the buffer holds exactly the UTF-8 bytes of `text`.
    ///
    /// ```swift
    /// if reply == "OK" { … }
    /// ```
    public static func == (buffer: ByteBuffer, text: StaticString) -> Bool {
        buffer.elementsEqual(text)
    }
}

extension ByteBuffer: Equatable {
    /// Whether both hold the same bytes (``dropped`` is not compared).
    ///
    /// ```swift
    /// if received == expected { … }
    /// ```
    public static func == (lhs: ByteBuffer, rhs: ByteBuffer) -> Bool {
        guard lhs.length == rhs.length else { return false }
        var index = 0
        while index < lhs.length {
            if lhs.storage[index] != rhs.storage[index] { return false }
            index += 1
        }
        return true
    }
}
