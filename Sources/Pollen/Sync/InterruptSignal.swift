import Synchronization

// InterruptSignal: "latest value wins", signalled from any context, awaited by one task.
//
// # Two cells and a state word
//
// The value lives in one of two cells. One word of state says who owns what:
//   LATEST   (bit 0)  the cell holding the latest published value;
//   FULL     (bit 1)  that cell holds a value nobody has taken yet;
//   WRITING  (bit 2)  a signal owns one cell and is writing it (the signal
//                     remembers which; nobody else needs to know);
//   READING  (bit 3)  a take owns cell RCELL and is moving the value out;
//   RCELL    (bit 4)  the cell the take owns (meaningful while READING).
// Every change of the word is an RMW (compare-exchange or fetch-and).
//
// signal(v):  claim WRITING with a compare-exchange, choosing the cell w to
//             write. While a take reads, w is the other cell (1 - RCELL);
//             otherwise w is the cell not holding the latest value
//             (1 - LATEST), which stays readable meanwhile. If w is the cell of
//             an untaken value (possible only while a take reads the other cell),
//             the claim clears FULL: that value is being replaced. Then write v
//             into cell w. Then publish with a compare-exchange loop: LATEST := w,
//             FULL := 1, WRITING := 0. Then wake the waiting task through the
//             AtomicWaker. If WRITING is already set, another signal is writing
//             at this moment (a nested interrupt handler, or another thread):
//             return `false`, store nothing and count it. The other signal's
//             value is what gets stored.
// take():     if FULL and not READING, claim with a compare-exchange:
//             READING := 1, RCELL := LATEST, FULL := 0. Move the value out of that
//             cell, then fetch-and ~READING. Otherwise return nil (empty, or
//             another take is in progress in another context).
//
// # Why no cell is written and read at once
//
// (I1) While WRITING, the signal's cell w is not RCELL (if READING) and not
//      LATEST (if FULL). The claim chooses w that way and clears FULL when w is
//      LATEST. Afterwards FULL is set only by a publish, and other signals are
//      excluded by WRITING. A take only clears FULL, and it claims LATEST, which
//      is not w.
// (I2) While READING, if FULL then LATEST is not RCELL. The take's claim clears
//      FULL, and the next publish sets LATEST to a w that is not RCELL (I1).
// So the writer and the reader always own different cells, and two cells are
// enough: WRITING admits one writer and READING one reader. Ownership passes
// through the state word: a publish (releasing) is acquired by the take that
// claims its cell, and a take's release (releasing) is acquired by the next
// signal that claims that cell. Every change is an RMW, so the release
// sequences hold.
//
// # What never happens
//
// A signal never waits for a take and never fails because of one. That is the
// common case on a single core: an interrupt arriving while the task takes the
// value. A signal fails only when another signal is writing at that very moment,
// which needs two signalling contexts at once. Neither side ever spins on the
// other: the compare-exchange loops retry only when the word changed under
// them (each change is another context's progress) or when a weak
// compare-exchange failed spuriously (on ARMv7-M, an interrupt between LDREX and
// STREX).
//
// # No lost wake
//
// A signal publishes, then calls `AtomicWaker.wake()`. A waiting task registers
// with the AtomicWaker, then takes. Both go through the AtomicWaker's state word
// with ordered RMWs. Either the wake finds the registration, or the
// registration's claim acquires the wake's release (and the publish before it),
// so the take that follows sees the value; see `AtomicWaker.swift`.

/// A "latest value wins" slot that interrupt handlers and other threads signal
/// and one task awaits. It is the interrupt-safe sibling of ``Signal``.
///
/// ```swift
/// nonisolated(unsafe) var adcReading = InterruptSignal<UInt16>()   // a global (PINNED)
///
/// // ADC interrupt handler:
/// if !adcReading.signal(sample) { /* another signal was storing at this instant */ }
///
/// // the task:
/// var next = adcReading.wait()      // … poll it: .ready(latest sample)
/// ```
///
/// - ``signal(_:)`` stores the value, replacing one nobody has taken yet (values
///   are not queued: use a ``Channel`` for that), and wakes the waiting task.
/// - ``wait()`` completes with the stored value and takes it, so the signal is
///   empty again. It completes at once if a value is stored, else as soon as one
///   is signalled.
/// - ``take()`` takes the value without waiting.
/// - Size: two `Value?` cells, two words and an ``AtomicWaker``: 36 bytes for a
///   `UInt32` on a 32-bit MCU. A wait future is a pointer, a waker and a flag
///   (13 bytes there).
///
/// Busy: ``signal(_:)`` returns `false` and stores nothing only when another
/// signal is being stored at the same instant. That takes two signalling
/// contexts at once: an interrupt handler that interrupts another handler's
/// signal, or two threads. The value being stored by the other signal is then
/// the one kept. ``busyCount`` counts these. A take in progress never makes a
/// signal fail: the value has two cells, one for the writer and one for the reader.
/// With threads, a signalling thread that the OS preempts in the middle of its
/// store makes every other thread's signal busy until it resumes. When every
/// value counts, use a ``Channel``.
///
/// One waiting task at a time: a second task's wait replaces the first one's
/// registration (newest wins), and the first is no longer woken.
///
/// Interrupt safety: ``signal(_:)`` is safe from interrupt handlers and other
/// threads. It never blocks, never spins waiting for another context, never
/// allocates. ``take()`` never blocks either and never returns a torn value from
/// any context. It is meant for the consumer task; another context that calls it
/// while a take is in progress gets `nil`. ``wait()`` is for the one consumer
/// task. On Cortex-M0 the atomics are `__atomic_*_4` calls the board supplies.
///
/// Cancel safety: a value leaves the signal only in the poll that returns it, so
/// dropping a pending wait loses nothing. The dropped wait removes its
/// registration.
///
/// What interrupt handlers may call: ``Waker/wake()``, ``AtomicWaker/wake()``,
/// ``InterruptSignal/signal(_:)``, ``ChannelSender/trySend(_:)``, and
/// `PoolRef.spawn` (see ``TaskPool``). Every other primitive (``Signal``,
/// ``Notify``, ``AsyncMutex``, a channel's `receive`/`send`, join handles) is
/// for tasks of the executor's thread.
///
/// Invariant PINNED: the signal must stay at one address while any wait future
/// exists or any context may signal (a global on firmware, ``Pinned`` storage on
/// the host). Every method is non-mutating: an interrupt handler can signal while
/// the task waits, with no exclusive access to the whole signal. Declare it as a
/// `var`, never a `let` (see ``AtomicWaker``).
public struct InterruptSignal<Value>: ~Copyable {
    // Invariant CELLS-FIRST: `cells` is the first stored property, so cell `i` is
    // reached from the signal's address by pointer arithmetic, never through an
    // access to the whole signal. The `Atomic` fields make the type address-only,
    // so a borrowed signal is always passed by its address.
    /// The two value cells; each is owned by at most one context at a time (see
    /// the protocol at the top of `InterruptSignal.swift`).
    var cells: InlineArray<2, Value?>
    /// LATEST, FULL, WRITING, READING, RCELL (see the protocol).
    let state: Atomic<UInt32>
    /// Signals that returned `false` (busy), wrapping.
    let busy: Atomic<UInt32>
    /// The waiting task's registration. A `var`, so the compiler never treats
    /// its waker cell as a constant.
    var consumer: AtomicWaker

    static var latest: UInt32 { 1 }
    static var full: UInt32 { 2 }
    static var writing: UInt32 { 4 }
    static var reading: UInt32 { 8 }
    static var readCellShift: UInt32 { 4 }
    static var readCell: UInt32 { 16 }

    /// An empty signal.
    ///
    /// ```swift
    /// nonisolated(unsafe) var buttonPressed = InterruptSignal<UInt32>()
    /// ```
    ///
    /// Interrupt safety: not applicable (initialisation). Cancel safety: not applicable.
    public init() {
        cells = InlineArray(repeating: nil)
        state = Atomic(0)
        busy = Atomic(0)
        consumer = AtomicWaker()
    }

    /// The signal's address (CELLS-FIRST, PINNED).
    var address: UnsafeMutablePointer<InterruptSignal> {
        // Safety: a borrowed ~Copyable, address-only value is addressed in place,
        // and PINNED keeps that address. Fields are then accessed by their owners
        // as the protocol says, never the whole signal.
        withUnsafePointer(to: self) { UnsafeMutablePointer(mutating: $0) }
    }

    /// Address of cell `index` (0 or 1) of the signal at `signal`.
    static func cell(_ signal: UnsafeMutablePointer<InterruptSignal>, _ index: UInt32) -> UnsafeMutablePointer<Value?> {
        // Safety: CELLS-FIRST; InlineArray elements are contiguous.
        element(Int(truncatingIfNeeded: index), of: Value?.self, in: UnsafeMutableRawPointer(signal))
    }

    /// Stores `value`, replacing any value not yet taken, and wakes the waiting
    /// task. Returns `false` when busy: another signal was being stored at that
    /// instant (a nested interrupt handler or another thread). Then `value` is
    /// not stored, the other signal's value is kept, and ``busyCount`` goes up
    /// by one.
    ///
    /// ```swift
    /// if !reading.signal(sample) { missed &+= 1 }     // or ignore: a concurrent signal won
    /// ```
    ///
    /// Interrupt safety: safe from interrupt handlers and other threads. Never
    /// blocks, never waits for another context, never allocates. A take in
    /// progress never makes it fail.
    /// Cancel safety: not applicable (it completes at once).
    @discardableResult
    public func signal(_ value: Value) -> Bool {
        let signal = address
        guard let target = Self.claimWrite(signal) else { return false }
        Self.cell(signal, target).pointee = value
        Self.publish(signal, target)
        consumer.wake()
        return true
    }

    /// Takes the stored value, if any, without waiting: the signal is empty again.
    ///
    /// ```swift
    /// if let latest = reading.take() { show(latest) }
    /// ```
    ///
    /// Returns `nil` when no value is stored. It also returns `nil` when a
    /// signal is replacing the only stored value at this instant (it is
    /// published when that signal returns), or when another context is taking
    /// at this instant.
    ///
    /// Interrupt safety: meant for the consumer task. From any context it never
    /// blocks and never returns a torn value.
    /// Cancel safety: not applicable (it completes at once).
    public func take() -> Value? {
        Self.take(address)
    }

    /// Whether a value is stored and not yet taken (a snapshot).
    ///
    /// ```swift
    /// if reading.isSignaled { … }
    /// ```
    ///
    /// Interrupt safety: any context (one atomic load). Cancel safety: not applicable.
    public var isSignaled: Bool {
        state.load(ordering: .acquiring) & Self.full != 0
    }

    /// How many signals returned `false` (busy) so far, wrapping at 2³².
    ///
    /// ```swift
    /// if reading.busyCount != 0 { console.write("signals collided\n") }
    /// ```
    ///
    /// Interrupt safety: any context (one atomic load). Cancel safety: not applicable.
    public var busyCount: UInt32 {
        busy.load(ordering: .relaxed)
    }

    /// A future that completes with the next (or the stored) value, taking it.
    ///
    /// ```swift
    /// var next = reading.wait()
    /// if case .ready(let sample) = next.poll(&context) { show(sample) }
    /// ```
    ///
    /// Interrupt safety: for the one consumer task (task context).
    /// Cancel safety: dropping it while pending loses no value and removes its
    /// registration. Invariant PINNED: see the type's documentation.
    public func wait() -> InterruptSignalWait<Value> {
        InterruptSignalWait(signal: address)
    }

    /// The take of the protocol (see the top of `InterruptSignal.swift`).
    static func take(_ signal: UnsafeMutablePointer<InterruptSignal>) -> Value? {
        guard let source = claimRead(signal) else { return nil }
        let value = cell(signal, source).pointee.take()
        finishRead(signal)
        return value
    }

    // MARK: - The steps of the protocol (see the top of `InterruptSignal.swift`)

    /// Signal, step 1: claims WRITING and returns the cell to write (the reader's
    /// cell, and the latest value's, are avoided; an untaken value in the chosen
    /// cell is dropped from FULL). `nil`: another signal is writing (counted as busy).
    static func claimWrite(_ signal: UnsafeMutablePointer<InterruptSignal>) -> UInt32? {
        var observed = signal.pointee.state.load(ordering: .relaxed)
        while true {
            if observed & writing != 0 {
                signal.pointee.busy.wrappingAdd(1, ordering: .relaxed)
                return nil
            }
            let target = observed & reading != 0
                ? ((observed &>> readCellShift) & 1) ^ 1     // the cell the reader does not hold
                : (observed & latest) ^ 1                     // keep the latest value readable meanwhile
            var desired = observed | writing
            if observed & full != 0 && observed & latest == target { desired &= ~full }
            let (claimed, current) = signal.pointee.state.weakCompareExchange(
                expected: observed, desired: desired,
                successOrdering: .acquiring, failureOrdering: .relaxed)
            if claimed { return target }
            observed = current
        }
    }

    /// Signal, last step: LATEST := `target`, FULL := 1, WRITING := 0 (releasing
    /// the value written into cell `target`).
    static func publish(_ signal: UnsafeMutablePointer<InterruptSignal>, _ target: UInt32) {
        var observed = signal.pointee.state.load(ordering: .relaxed)
        while true {
            let desired = (observed & ~(writing | latest)) | full | target
            let (published, current) = signal.pointee.state.weakCompareExchange(
                expected: observed, desired: desired,
                successOrdering: .acquiringAndReleasing, failureOrdering: .relaxed)
            if published { return }
            observed = current
        }
    }

    /// Take, step 1: if a value is stored and no take is in progress, claims
    /// READING on the latest value's cell (FULL := 0) and returns that cell.
    static func claimRead(_ signal: UnsafeMutablePointer<InterruptSignal>) -> UInt32? {
        var observed = signal.pointee.state.load(ordering: .acquiring)
        while true {
            guard observed & full != 0, observed & reading == 0 else { return nil }
            let source = observed & latest
            let desired = (observed & ~(full | readCell)) | reading | (source &<< readCellShift)
            let (claimed, current) = signal.pointee.state.weakCompareExchange(
                expected: observed, desired: desired,
                successOrdering: .acquiring, failureOrdering: .acquiring)
            if claimed { return source }
            observed = current
        }
    }

    /// Take, last step: READING := 0 (releasing the cell to later signals).
    static func finishRead(_ signal: UnsafeMutablePointer<InterruptSignal>) {
        signal.pointee.state.bitwiseAnd(~reading, ordering: .releasing)
    }
}

extension InterruptSignal: @unchecked Sendable where Value: Sendable {}

/// Waits for an ``InterruptSignal``'s value and takes it. Made by
/// ``InterruptSignal/wait()``; for the signal's one consumer task.
///
/// ```swift
/// var next = adcReading.wait()
/// if case .ready(let sample) = next.poll(&context) { show(sample) }
/// ```
///
/// Each pending poll registers the task with the signal, then checks for a
/// value again, so a signal that lands in between is not missed.
///
/// Cancel safety: strict. A value leaves the signal only in the poll that
/// returns it, and dropping the future removes its registration (a later signal
/// does not poll the task).
/// Interrupt safety: task context only (the consumer task).
public struct InterruptSignalWait<Value>: ~Copyable, Future {
    let signal: UnsafeMutablePointer<InterruptSignal<Value>>
    /// The waker this future registered and has not removed yet.
    var registered: Waker? = nil
    var done = false
    /// Makes the deinit run on the host (see ``DropAnchor``).
    let anchor = DropAnchor()

    init(signal: UnsafeMutablePointer<InterruptSignal<Value>>) {
        self.signal = signal
    }

    /// Takes the value if one is stored; otherwise registers, checks again, and waits.
    public mutating func poll(_ context: inout Context) -> Poll<Value> {
        // Safety: PINNED, the signal outlives this future.
        precondition(!done, "InterruptSignalWait polled after it completed")
        if let value = InterruptSignal<Value>.take(signal) { return finish(value) }
        signal.pointee.consumer.register(context.waker)
        registered = context.waker
        // The re-check: a signal published before the registration is seen here.
        if let value = InterruptSignal<Value>.take(signal) { return finish(value) }
        return .pending
    }

    mutating func finish(_ value: Value) -> Poll<Value> {
        if let waker = registered.take() { signal.pointee.consumer.clear(ifRegistered: waker) }
        done = true
        return .ready(value)
    }

    deinit {
        if let registered { signal.pointee.consumer.clear(ifRegistered: registered) }
    }
}
