import Synchronization

/// A value shared between tasks and interrupt handlers (or other threads): one
/// atomic word, read and written whole from any context. Its `Value` is one of
/// `Bool`, `UInt8`, `UInt16`, `UInt32`, `UInt`, `Int8`, `Int16`, `Int32`,
/// `Int` (and `UInt64`, `Int64` where the target has 64-bit atomics: not the
/// Cortex-M), or your own enum (see ``InterruptCellValue``).
///
/// ```swift
/// nonisolated(unsafe) var overruns = InterruptCell<UInt32>(0)   // the one global form
///
/// // UART interrupt handler:
/// if !uartSender.trySend(byte) { overruns.wrappingAdd(1) }
/// // a task:
/// let lost = overruns.exchange(0)
/// ```
///
/// For state wider than a word, pair a cell with a primitive that hands values
/// over whole: ``InterruptSignal`` (latest value wins), a ``Channel``'s
/// ``ChannelSender/trySend(_:)`` (queued), and ``AtomicWaker`` to wake a task.
/// The core has no critical-section seam, so Pollen offers no cell that masks
/// interrupts around a larger value.
///
/// Declaration: `nonisolated(unsafe) var name = InterruptCell<T>(initial)`,
/// Pollen's one form for globals (see the top of `TaskCell.swift`). Never
/// reassign the variable or pass it `inout`. A file that uses the cell needs
/// only `import Pollen`.
///
/// Exclusivity: every method is non-mutating and the only field is an `Atomic`,
/// which any number of tasks, handlers and threads may use at once through a
/// borrow.
///
/// Orderings (fixed, so that every call compiles to the instructions the
/// ordering needs; `Atomic` requires constant orderings): loads acquire, stores
/// release, read-modify-writes do both. A handler that fills a buffer and then
/// stores a flag thus publishes the buffer to the task that loads the flag. On
/// a Cortex-M4 that costs a `dmb` per load or store (two around a
/// read-modify-write's `ldrex`/`strex` loop); on the Cortex-M0 the
/// operations are `__atomic_*` calls the board supplies (interrupt-masking
/// critical sections). Use `Atomic` directly for relaxed accesses.
///
/// Interrupt safety: every method, from any context and any priority; none
/// blocks. ``update(_:)``, ``wrappingAdd(_:)`` and ``wrappingSubtract(_:)``
/// retry when another context changed the value in between (a compare-exchange
/// loop: lock-free, not wait-free).
///
/// Size: that of the atomic word (`InterruptCell<UInt32>`: 4 bytes).
public struct InterruptCell<Value: InterruptCellValue>: ~Copyable {
    /// The value, as an atomic.
    let storage: Atomic<Value>

    /// A cell holding `value`.
    ///
    /// ```swift
    /// nonisolated(unsafe) var buttonDown = InterruptCell(false)
    /// ```
    ///
    /// Interrupt safety and cancel safety: not applicable (initialisation).
    public init(_ value: Value) {
        storage = Atomic(value)
    }

    /// The value now (acquiring).
    ///
    /// ```swift
    /// if buttonDown.load() { Board.setLED(true) }
    /// ```
    ///
    /// Interrupt safety: any context.
    public func load() -> Value {
        Value.AtomicRepresentation.load(storage)
    }

    /// Replaces the value (releasing).
    ///
    /// ```swift
    /// buttonDown.store(Board.buttonIsLow)     // in the GPIO interrupt handler
    /// ```
    ///
    /// Interrupt safety: any context.
    public func store(_ value: Value) {
        Value.AtomicRepresentation.store(storage, value)
    }

    /// Replaces the value and returns the one it replaced, in one atomic step.
    ///
    /// ```swift
    /// let lost = overruns.exchange(0)         // read and reset; no count slips between
    /// ```
    ///
    /// Interrupt safety: any context.
    public func exchange(_ value: Value) -> Value {
        Value.AtomicRepresentation.exchange(storage, value)
    }

    /// Replaces the value with `desired` only if it is `expected`, in one atomic
    /// step. Returns whether it did, and the value it found.
    ///
    /// ```swift
    /// let (claimed, _) = owner.compareExchange(expected: 0, desired: 1)
    /// ```
    ///
    /// Interrupt safety: any context.
    public func compareExchange(expected: Value, desired: Value) -> (exchanged: Bool, original: Value) {
        Value.AtomicRepresentation.compareExchange(storage, expected, desired)
    }

    /// Replaces the value with `transform(value)`, atomically with respect to
    /// every other context, and returns the old and the new value.
    ///
    /// ```swift
    /// flags.update { $0 | 0b100 }             // set a bit from a task or a handler
    /// ```
    ///
    /// `transform` may run more than once (when another context changes the
    /// value between the read and the write): keep it a pure function of its
    /// argument. It is non-escaping, so it may capture.
    ///
    /// Interrupt safety: any context; lock-free (a compare-exchange loop).
    @discardableResult
    public func update(_ transform: (Value) -> Value) -> (oldValue: Value, newValue: Value) {
        var current = load()
        while true {
            let next = transform(current)
            let (done, seen) = Value.AtomicRepresentation.weakCompareExchange(storage, current, next)
            if done { return (current, next) }
            current = seen
        }
    }
}

extension InterruptCell where Value: FixedWidthInteger {
    /// Adds `amount`, wrapping on overflow, atomically; returns the old and the
    /// new value.
    ///
    /// ```swift
    /// overruns.wrappingAdd(1)                 // in an interrupt handler
    /// ```
    ///
    /// Interrupt safety: any context; lock-free.
    @discardableResult
    public func wrappingAdd(_ amount: Value) -> (oldValue: Value, newValue: Value) {
        update { $0 &+ amount }
    }

    /// Subtracts `amount`, wrapping on overflow, atomically; returns the old and
    /// the new value.
    ///
    /// ```swift
    /// credits.wrappingSubtract(1)
    /// ```
    ///
    /// Interrupt safety: any context; lock-free.
    @discardableResult
    public func wrappingSubtract(_ amount: Value) -> (oldValue: Value, newValue: Value) {
        update { $0 &- amount }
    }
}

extension InterruptCell: Sendable where Value: Sendable {}

/// A value an ``InterruptCell`` can hold: an `AtomicRepresentable` type whose
/// atomic storage Pollen knows (8, 16, 32 bits, and 64 where the target has
/// 64-bit atomics). Pollen conforms the standard integers and `Bool`; conform
/// your own enum of such a raw value in one line (that file imports
/// `Synchronization`, for `AtomicRepresentable`):
///
/// ```swift
/// import Synchronization
/// enum Mode: UInt8, AtomicRepresentable, InterruptCellValue { case idle, measuring }
/// nonisolated(unsafe) var mode = InterruptCell(Mode.idle)
/// ```
///
/// Why Pollen's own protocol rather than `AtomicRepresentable` alone: in Swift 6
/// mode a file may use a conformance only if it imports the module that
/// declares it, and `UInt32: AtomicRepresentable` lives in `Synchronization`.
/// The conformances below live in Pollen, so `import Pollen` is enough.
///
/// Interrupt safety: not applicable (a marker protocol).
public protocol InterruptCellValue: AtomicRepresentable where AtomicRepresentation: InterruptCellStorage {}

extension Bool: InterruptCellValue {}
extension UInt8: InterruptCellValue {}
extension UInt16: InterruptCellValue {}
extension UInt32: InterruptCellValue {}
extension UInt: InterruptCellValue {}
extension Int8: InterruptCellValue {}
extension Int16: InterruptCellValue {}
extension Int32: InterruptCellValue {}
extension Int: InterruptCellValue {}
#if _hasAtomicBitWidth(_64)
extension UInt64: InterruptCellValue {}
extension Int64: InterruptCellValue {}
#endif

/// The atomic operations ``InterruptCell`` needs, for one size of
/// `Synchronization` atomic storage. `Atomic` offers its operations per storage
/// size, not for any `AtomicRepresentable` value, so the cell reaches them
/// through this protocol. Pollen conforms the 8-, 16- and 32-bit storages (and
/// the 64-bit one where the target has 64-bit atomics); you never need to name
/// it or conform to it.
///
/// ```swift
/// // InterruptCell<UInt32> uses _Atomic32BitStorage's conformance:
/// nonisolated(unsafe) var ticks = InterruptCell<UInt32>(0)
/// ```
///
/// Interrupt safety: every requirement is one atomic operation (or a
/// compare-exchange), safe from any context.
public protocol InterruptCellStorage {
    /// Acquiring load.
    static func load<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>) -> Value
        where Value.AtomicRepresentation == Self
    /// Releasing store.
    static func store<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>, _ value: Value)
        where Value.AtomicRepresentation == Self
    /// Acquiring-and-releasing exchange.
    static func exchange<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>, _ value: Value) -> Value
        where Value.AtomicRepresentation == Self
    /// Acquiring-and-releasing strong compare-exchange.
    static func compareExchange<Value: AtomicRepresentable>(
        _ atomic: borrowing Atomic<Value>, _ expected: Value, _ desired: Value
    ) -> (exchanged: Bool, original: Value) where Value.AtomicRepresentation == Self
    /// Weak compare-exchange: acquiring-and-releasing on success, relaxed on failure.
    static func weakCompareExchange<Value: AtomicRepresentable>(
        _ atomic: borrowing Atomic<Value>, _ expected: Value, _ desired: Value
    ) -> (exchanged: Bool, original: Value) where Value.AtomicRepresentation == Self
}

extension _Atomic8BitStorage: InterruptCellStorage {
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func load<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>) -> Value
    where Value.AtomicRepresentation == Self {
        atomic.load(ordering: .acquiring)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func store<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>, _ value: Value)
    where Value.AtomicRepresentation == Self {
        atomic.store(value, ordering: .releasing)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func exchange<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>, _ value: Value) -> Value
    where Value.AtomicRepresentation == Self {
        atomic.exchange(value, ordering: .acquiringAndReleasing)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func compareExchange<Value: AtomicRepresentable>(
        _ atomic: borrowing Atomic<Value>, _ expected: Value, _ desired: Value
    ) -> (exchanged: Bool, original: Value) where Value.AtomicRepresentation == Self {
        atomic.compareExchange(expected: expected, desired: desired, ordering: .acquiringAndReleasing)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func weakCompareExchange<Value: AtomicRepresentable>(
        _ atomic: borrowing Atomic<Value>, _ expected: Value, _ desired: Value
    ) -> (exchanged: Bool, original: Value) where Value.AtomicRepresentation == Self {
        atomic.weakCompareExchange(expected: expected, desired: desired,
                                   successOrdering: .acquiringAndReleasing, failureOrdering: .relaxed)
    }
}

extension _Atomic16BitStorage: InterruptCellStorage {
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func load<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>) -> Value
    where Value.AtomicRepresentation == Self {
        atomic.load(ordering: .acquiring)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func store<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>, _ value: Value)
    where Value.AtomicRepresentation == Self {
        atomic.store(value, ordering: .releasing)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func exchange<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>, _ value: Value) -> Value
    where Value.AtomicRepresentation == Self {
        atomic.exchange(value, ordering: .acquiringAndReleasing)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func compareExchange<Value: AtomicRepresentable>(
        _ atomic: borrowing Atomic<Value>, _ expected: Value, _ desired: Value
    ) -> (exchanged: Bool, original: Value) where Value.AtomicRepresentation == Self {
        atomic.compareExchange(expected: expected, desired: desired, ordering: .acquiringAndReleasing)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func weakCompareExchange<Value: AtomicRepresentable>(
        _ atomic: borrowing Atomic<Value>, _ expected: Value, _ desired: Value
    ) -> (exchanged: Bool, original: Value) where Value.AtomicRepresentation == Self {
        atomic.weakCompareExchange(expected: expected, desired: desired,
                                   successOrdering: .acquiringAndReleasing, failureOrdering: .relaxed)
    }
}

extension _Atomic32BitStorage: InterruptCellStorage {
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func load<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>) -> Value
    where Value.AtomicRepresentation == Self {
        atomic.load(ordering: .acquiring)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func store<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>, _ value: Value)
    where Value.AtomicRepresentation == Self {
        atomic.store(value, ordering: .releasing)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func exchange<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>, _ value: Value) -> Value
    where Value.AtomicRepresentation == Self {
        atomic.exchange(value, ordering: .acquiringAndReleasing)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func compareExchange<Value: AtomicRepresentable>(
        _ atomic: borrowing Atomic<Value>, _ expected: Value, _ desired: Value
    ) -> (exchanged: Bool, original: Value) where Value.AtomicRepresentation == Self {
        atomic.compareExchange(expected: expected, desired: desired, ordering: .acquiringAndReleasing)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func weakCompareExchange<Value: AtomicRepresentable>(
        _ atomic: borrowing Atomic<Value>, _ expected: Value, _ desired: Value
    ) -> (exchanged: Bool, original: Value) where Value.AtomicRepresentation == Self {
        atomic.weakCompareExchange(expected: expected, desired: desired,
                                   successOrdering: .acquiringAndReleasing, failureOrdering: .relaxed)
    }
}

#if _hasAtomicBitWidth(_64)
extension _Atomic64BitStorage: InterruptCellStorage {
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func load<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>) -> Value
    where Value.AtomicRepresentation == Self {
        atomic.load(ordering: .acquiring)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func store<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>, _ value: Value)
    where Value.AtomicRepresentation == Self {
        atomic.store(value, ordering: .releasing)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func exchange<Value: AtomicRepresentable>(_ atomic: borrowing Atomic<Value>, _ value: Value) -> Value
    where Value.AtomicRepresentation == Self {
        atomic.exchange(value, ordering: .acquiringAndReleasing)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func compareExchange<Value: AtomicRepresentable>(
        _ atomic: borrowing Atomic<Value>, _ expected: Value, _ desired: Value
    ) -> (exchanged: Bool, original: Value) where Value.AtomicRepresentation == Self {
        atomic.compareExchange(expected: expected, desired: desired, ordering: .acquiringAndReleasing)
    }
    /// See ``InterruptCellStorage``.
    @inline(__always)
    public static func weakCompareExchange<Value: AtomicRepresentable>(
        _ atomic: borrowing Atomic<Value>, _ expected: Value, _ desired: Value
    ) -> (exchanged: Bool, original: Value) where Value.AtomicRepresentation == Self {
        atomic.weakCompareExchange(expected: expected, desired: desired,
                                   successOrdering: .acquiringAndReleasing, failureOrdering: .relaxed)
    }
}
#endif
