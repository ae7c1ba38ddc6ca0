/// Fixed storage for up to `capacity` `~Copyable` values, for instance
/// ``JoinHandle``s, which cannot go in an `Array` (and an `Array` would allocate
/// anyway). Each value sits in a numbered slot; use it in place through
/// ``withHandle(at:_:)`` or move it out with ``take(at:)``.
///
/// ```swift
/// var workers = HandleSlots<JoinHandle<Measure, 4>, 4>()
/// for channel in 0..<4 { workers.insert(try pool.spawnJoinable(Measure(channel))) }
///
/// let running = workers.withHandle(at: 2) { $0.isRunning } ?? false
/// workers.withHandle(at: 3) { $0.cancel() }
/// if var first = workers.take(at: 0) { … poll or drop it … }
/// ```
///
/// Why not `handles[i]!.isRunning` on an array of optionals: on a `~Copyable`
/// element the `!` would move the handle out of the array, which Swift rejects
/// ("cannot consume"). ``withHandle(at:_:)`` lends it in place instead.
///
/// - ``insert(_:)`` puts a value in the lowest free slot and returns its index;
///   inserting into a full storage is a programming error (a precondition
///   failure): check ``isFull`` first when unsure.
/// - Dropping the storage, ``removeAll()`` or a slot's ``take(at:)`` result drops
///   the values it held. For a ``JoinHandle`` that detaches its task (or cancels
///   it, after ``JoinHandle/cancelOnDrop()``).
/// - `HandleSlots<H, n>` is copyable exactly when `H` is.
///
/// Size: `capacity` × `MemoryLayout<Handle?>.stride` plus one `Int` (the count).
///
/// Cancel safety: it is not a future; each held value keeps its own drop
/// behaviour (see above).
///
/// Interrupt safety: none (plain storage; ``JoinHandle``s are for task context
/// anyway).
///
/// On firmware (Embedded Swift 6.3): **keep a `HandleSlots` of Pollen handles
/// in a global** (`nonisolated(unsafe) var workers = HandleSlots<…>()`), never
/// in a local, a task's field or anything else that is dropped or reassigned.
/// This compiler cannot destroy an `InlineArray` whose element is a generic type
/// with a `deinit` (``JoinHandle``, and every Pollen wait future): it stops with
/// "Assertion failed: (hasValidSignatureForEmbedded(f)), function
/// addLazyFunction at GenDecl.cpp:1529", in one module or across modules: the
/// element deinits are not devirtualized (swiftlang/swift#88806, fixed for
/// Swift 6.4). A global is never destroyed, and ``insert(_:)``, ``take(at:)``,
/// ``withHandle(at:_:)`` and ``removeAll()`` drop one slot at a time, which
/// compiles. `HandleSlots` of non-generic or copyable values has no such limit,
/// and the host has none at all. Lift this rule once the toolchain has the fix.
public struct HandleSlots<Handle: ~Copyable, let capacity: Int>: ~Copyable {
    /// The slots; `nil` is a free slot.
    var slots: InlineArray<capacity, Handle?>
    /// Occupied slots.
    var occupied: Int

    /// Empty storage.
    ///
    /// ```swift
    /// var handles = HandleSlots<JoinHandle<Worker, 8>, 8>()
    /// ```
    public init() {
        slots = InlineArray { _ in nil }
        occupied = 0
    }

    /// Number of occupied slots.
    ///
    /// ```swift
    /// if handles.count == 0 { Board.write("all workers joined\n") }
    /// ```
    public var count: Int { occupied }

    /// Whether no slot is occupied.
    ///
    /// ```swift
    /// if handles.isEmpty { phase = .idle }
    /// ```
    public var isEmpty: Bool { occupied == 0 }

    /// Whether every slot is occupied: the next ``insert(_:)`` would fail.
    ///
    /// ```swift
    /// guard !handles.isFull else { return }
    /// ```
    public var isFull: Bool { occupied == capacity }

    /// Whether slot `index` holds a value (`false` outside `0..<capacity`).
    ///
    /// ```swift
    /// if handles.isOccupied(2) { … }
    /// ```
    public func isOccupied(_ index: Int) -> Bool {
        guard index >= 0 && index < capacity else { return false }
        return slots[index] != nil
    }

    /// Moves `handle` into the lowest free slot and returns that slot's index.
    /// The storage must not be full (a precondition failure otherwise).
    ///
    /// ```swift
    /// let slot = handles.insert(try pool.spawnJoinable(Worker()))
    /// ```
    @discardableResult
    public mutating func insert(_ handle: consuming Handle) -> Int {
        var index = 0
        while index < capacity {
            if slots[index] == nil {
                slots[index] = .some(handle)
                occupied += 1
                return index
            }
            index += 1
        }
        preconditionFailure("HandleSlots: every slot is occupied (check isFull before insert, or raise the capacity)")
    }

    /// Moves the value out of slot `index` (which becomes free), or returns
    /// `nil` if the slot is free or `index` is outside `0..<capacity`.
    ///
    /// ```swift
    /// guard var worker = handles.take(at: 0) else { return }
    /// ```
    public mutating func take(at index: Int) -> Handle? {
        guard index >= 0 && index < capacity else { return nil }
        guard let handle = slots[index].take() else { return nil }
        occupied -= 1
        return handle
    }

    /// Calls `body` with the value in slot `index`, in place, and returns its
    /// result; `nil` (and `body` is not called) when the slot is free or `index`
    /// is outside `0..<capacity`.
    ///
    /// ```swift
    /// let running = handles.withHandle(at: i) { $0.isRunning } ?? false
    /// handles.withHandle(at: i) { $0.cancel() }
    /// let state = handles.withHandle(at: i) { $0.poll(&context) }
    /// ```
    @discardableResult
    public mutating func withHandle<Result: ~Copyable, Failure: Error>(
        at index: Int, _ body: (inout Handle) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard isOccupied(index) else { return nil }
        // In place: the force unwrap of a stored optional is an access to its
        // payload (checked non-nil just above), not a move.
        return try body(&slots[index]!)
    }

    /// Calls `body` with each occupied slot's index and value, in place, lowest
    /// index first.
    ///
    /// ```swift
    /// handles.forEach { _, handle in handle.cancel() }
    /// ```
    public mutating func forEach<Failure: Error>(_ body: (Int, inout Handle) throws(Failure) -> Void) throws(Failure) {
        var index = 0
        while index < capacity {
            if slots[index] != nil { try body(index, &slots[index]!) }
            index += 1
        }
    }

    /// Drops every value (a ``JoinHandle`` detaches its task, or cancels it
    /// after ``JoinHandle/cancelOnDrop()``) and frees every slot.
    ///
    /// ```swift
    /// handles.removeAll()
    /// ```
    public mutating func removeAll() {
        var index = 0
        while index < capacity {
            slots[index] = nil
            index += 1
        }
        occupied = 0
    }
}

extension HandleSlots: Copyable where Handle: Copyable {}
