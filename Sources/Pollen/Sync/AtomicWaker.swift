import Synchronization

// AtomicWaker: one waker cell that a task fills and an interrupt handler empties.
//
// # Why a protocol, not a plain store
//
// A `Waker` is two words (a pointer and a `UInt32`), so no single atomic
// instruction can replace it on a 32-bit MCU. A driver that keeps a `Waker?` in a
// global and lets an interrupt handler read it can see half of an old waker and
// half of a new one. The cell below guards the waker with a state word, after
// futures-rs's `AtomicWaker`:
//
//   WAITING     (0)  nobody is touching the waker cell;
//   REGISTERING (1)  a task is writing the cell (`register`, `clear`);
//   WAKING      (2)  a wake is taking the waker out of the cell.
//
// register:  compare-exchange WAITING → REGISTERING. On success, write the
//            cell, then compare-exchange REGISTERING → WAITING. If that fails,
//            the state is REGISTERING | WAKING: a wake arrived while the cell was
//            being written and left the wake to us. Take the waker out, exchange
//            the state to WAITING and wake it.
//            If the first compare-exchange fails, another context holds the cell
//            (a wake is in progress, or, on misuse, another registration): store
//            nothing and wake the new waker at once. Its task is polled again and
//            registers again then.
// wake:      fetch-or WAKING. If the state was WAITING, this call owns the cell:
//            take the waker out, fetch-and ~WAKING, then wake the taken waker.
//            If the state was REGISTERING, the registration in progress sees
//            WAKING when it finishes and wakes its task itself. If WAKING was
//            already set, another wake is taking the waker right now; the two
//            coalesce.
// clear:     as register, writing nil instead. If a wake is in progress, do
//            nothing: that wake is taking the registration anyway.
//
// # No torn waker
//
// The cell is touched only by a context that moved the state out of WAITING:
// REGISTERING by a compare-exchange from WAITING, WAKING by a fetch-or that
// found WAITING. Each excludes the other. The compare-exchange fails while
// WAKING is set, and a wake that finds REGISTERING or WAKING already set leaves
// the cell alone. A registration that sees a wake arrive still holds the cell
// until its final exchange. The owner releases the state with a releasing RMW
// and the next owner claims it with an acquiring one, so each owner sees the
// previous owner's writes whole.
//
// # No lost wake
//
// The contract is the usual one: a task registers, then checks its condition.
// The event source makes the condition true, then calls `wake()`. All of a
// wake's and a registration's state changes are RMWs of the same word, so they
// are totally ordered:
//   - the wake's fetch-or comes after the registration's release: it finds
//     WAITING (and takes the new waker) or WAKING. With WAKING, it coalesces with
//     a wake whose acquiring-and-releasing fetch-and comes later in that order,
//     and that wake then wakes the waker it took;
//   - it comes before the registration's claim: the claim acquires the state the
//     wake released, so the task's check after registering sees the condition
//     (or the claim fails on WAKING and the task is woken at once);
//   - it comes in between: the registration's release fails and the task wakes
//     itself.
// A wake that coalesces into another (finding WAKING) is covered because the
// owner's fetch-and, or the registration's final exchange, is an
// acquiring-and-releasing RMW that comes after it. The task polled for that wake
// therefore sees the condition behind every wake coalesced into it.
//
// # The registration is consumed by a wake
//
// `wake()` takes the waker out of the cell, as futures-rs does. A task is woken
// once per registration, and it registers again in every poll that returns
// `.pending`, which futures do anyway. Keeping the waker would leave a stale
// registration to wake an unrelated poll of the task on every later interrupt.
// It would also force `clear()` to wait for a wake in progress before it could
// empty the cell. Taking it means a `clear()` that meets a wake in progress has
// nothing left to do, so no operation ever waits for another context.
//
// On a single core an interrupt handler runs to completion before the
// interrupted code resumes, so task-side code never finds WAKING set, and the
// "wake the new waker at once" path only runs with several cores or threads (or
// an executor that itself runs in an interrupt handler).

/// A waker cell shared by one task and any number of interrupt handlers or
/// threads: the task registers its waker, an interrupt handler wakes it.
///
/// Use it instead of a global `Waker?` that an interrupt handler reads. A
/// `Waker` is two words, so a task rewriting it while the handler reads it can
/// hand the handler a torn waker.
///
/// ```swift
/// nonisolated(unsafe) var rxReady = AtomicWaker()    // a global on firmware (PINNED)
/// nonisolated(unsafe) var rxFlag = InterruptCell(false)
///
/// // The task's future:
/// mutating func poll(_ context: inout Context) -> Poll<Void> {
///     rxReady.register(context.waker)                 // register first …
///     if rxFlag.exchange(false) { return .ready(()) }  // … then check
///     return .pending
/// }
///
/// // The interrupt handler:
/// rxFlag.store(true)                                  // make the condition true first …
/// rxReady.wake()                                       // … then wake
/// ```
///
/// - One registering task at a time. The newest registration replaces the one
///   before it, and the replaced task is not woken.
/// - A wake consumes the registration. Later wakes do nothing until the task
///   registers again, so register in every poll that returns `.pending`.
/// - Size: a waker and a state word, 12 bytes on a 32-bit MCU.
/// - Declare it as a `var` (`nonisolated(unsafe) var` for a global), never as a
///   `let`: the compiler may treat a `let` global's stored fields as constants,
///   and this cell is written through its address.
///
/// Interrupt safety: ``wake()`` is safe from interrupt handlers and other
/// threads. It never blocks, never spins, never allocates: two atomic
/// read-modify-writes, a two-word copy, and the waker's own wake. ``register(_:)`` and ``clear()`` are
/// for task context and never wait for another context either. On Cortex-M0 the
/// atomics are `__atomic_*_4` calls the board supplies.
///
/// Cancel safety: a future that registered here and is dropped should call
/// ``clear()`` in its `deinit`, or the next wake polls its task needlessly. That
/// is harmless: the task may have ended, and then the wake does nothing.
///
/// Invariant PINNED: the cell must stay at one address while a wake or a
/// registration may run (a global on firmware, ``Pinned`` storage on the host).
/// All methods are non-mutating, so an interrupt handler can use the cell while
/// the task does without an exclusive access to it.
public struct AtomicWaker: ~Copyable, @unchecked Sendable {
    // Invariant SLOT-FIRST: `slot` is the first stored property, so it sits at the
    // cell's own address and is written through that address (`slotAddress`),
    // never through a `mutating` access of the whole cell. The `Atomic` field makes
    // the type address-only, so a borrowed cell is always passed by its address.
    /// The registered waker. Accessed only by the context that owns it through
    /// `state` (see the protocol at the top of `AtomicWaker.swift`).
    var slot: Waker?
    /// WAITING (0), REGISTERING (bit 0), WAKING (bit 1).
    let state: Atomic<UInt32>

    static var waiting: UInt32 { 0 }
    static var registering: UInt32 { 1 }
    static var waking: UInt32 { 2 }

    /// An empty cell: no task registered.
    ///
    /// ```swift
    /// nonisolated(unsafe) var buttonWaker = AtomicWaker()
    /// ```
    ///
    /// Interrupt safety: not applicable (initialisation). Cancel safety: not applicable.
    public init() {
        slot = nil
        state = Atomic(0)
    }

    /// The waker cell, at the cell's own address (SLOT-FIRST, PINNED).
    var slotAddress: UnsafeMutablePointer<Waker?> {
        // Safety: a borrowed ~Copyable, address-only value is addressed in place,
        // and PINNED keeps that address. `slot` is at offset 0 (SLOT-FIRST). Only the
        // context that owns the cell through `state` accesses it.
        withUnsafePointer(to: self) {
            UnsafeMutableRawPointer(mutating: $0).assumingMemoryBound(to: Waker?.self)
        }
    }

    /// Registers `waker` as the one to wake, replacing any earlier registration.
    /// The replaced task is not woken.
    ///
    /// ```swift
    /// uartWaker.register(context.waker)   // then check the condition, then return .pending
    /// ```
    ///
    /// Register first, then check the condition the wake announces. A wake that
    /// comes after the check then finds the waker, and one that comes before it
    /// is seen by the check.
    ///
    /// If another context is using the cell at that moment (a wake in progress on
    /// another core or thread), nothing is stored and `waker` is woken at once:
    /// its task is polled again and registers again then.
    ///
    /// Interrupt safety: task context, one registering task at a time. Never
    /// blocks, never waits for another context.
    /// Cancel safety: see ``clear()``.
    public func register(_ waker: Waker) {
        store(waker, ifRegistered: nil)
    }

    /// Removes the registration, if any, so the next ``wake()`` does nothing.
    ///
    /// ```swift
    /// deinit { uartWaker.clear() }        // a dropped future leaves no registration behind
    /// ```
    ///
    /// If a wake is in progress in another context, it is taking the
    /// registration anyway, and `clear()` returns at once. That wake may still
    /// poll the task once, which is harmless.
    ///
    /// Interrupt safety: task context. Never blocks, never waits for another context.
    /// Cancel safety: call it from the `deinit` of a future that registered.
    public func clear() {
        store(nil, ifRegistered: nil)
    }

    /// Removes the registration only if it schedules the same task as `waker`.
    /// A registration made since by another task stays. For the `deinit` of
    /// futures that registered `waker`.
    func clear(ifRegistered waker: Waker) {
        store(nil, ifRegistered: waker)
    }

    /// The task side of the protocol: puts `new` into the cell, but only when the
    /// cell holds a waker for the same task as `expected` (or always, when
    /// `expected` is nil). A non-nil `new` that cannot be stored is woken at once.
    func store(_ new: Waker?, ifRegistered expected: Waker?) {
        guard claimCell() else {
            // Another context owns the cell. A wake in progress takes the
            // registration anyway; a new waker must not miss that wake.
            new?.wake()
            return
        }
        let cell = slotAddress
        if let expected {
            if let current = cell.pointee, current.schedulesSameTask(as: expected) { cell.pointee = new }
        } else {
            cell.pointee = new
        }
        releaseCell()
    }

    /// Registration, step 1: WAITING → REGISTERING. `false`: another context owns
    /// the cell.
    func claimCell() -> Bool {
        state.compareExchange(
            expected: Self.waiting, desired: Self.registering,
            successOrdering: .acquiring, failureOrdering: .acquiring).exchanged
    }

    /// Registration, last step: REGISTERING → WAITING; if a wake arrived meanwhile
    /// (REGISTERING | WAKING), take the waker out and wake it.
    func releaseCell() {
        let (released, _) = state.compareExchange(
            expected: Self.registering, desired: Self.waiting, ordering: .acquiringAndReleasing)
        if !released {
            // REGISTERING | WAKING: a wake arrived meanwhile and left it to us.
            let handed = slotAddress.pointee.take()
            _ = state.exchange(Self.waiting, ordering: .acquiringAndReleasing)
            handed?.wake()
        }
    }

    /// Wakes the registered task, if any, and removes its registration.
    ///
    /// ```swift
    /// @_cdecl("UART0_IRQHandler") func uartInterrupt() {
    ///     rxFlag.store(true, ordering: .releasing)
    ///     uartWaker.wake()
    /// }
    /// ```
    ///
    /// Returns `true` when this call woke a task, or left the wake to a
    /// registration in progress in another context (which wakes the task it
    /// registers). Returns `false` when there was nothing to wake: no task
    /// registered (never, or not since the last wake or ``clear()``), the
    /// registered task has ended, or another wake in another context is taking
    /// the same registration at this moment (the two coalesce).
    ///
    /// Interrupt safety: safe from interrupt handlers and other threads, at any
    /// priority, including one that interrupts ``register(_:)``. Never blocks,
    /// never spins, never allocates.
    /// Cancel safety: not applicable (it completes at once).
    @discardableResult
    public func wake() -> Bool {
        let before = state.bitwiseOr(Self.waking, ordering: .acquiringAndReleasing).oldValue
        guard before == Self.waiting else {
            // REGISTERING (with or without WAKING): the registration wakes its
            // task when it finishes. WAKING alone: coalesced with that wake.
            return before & Self.registering != 0
        }
        let taken = slotAddress.pointee.take()
        state.bitwiseAnd(~Self.waking, ordering: .acquiringAndReleasing)
        guard let taken else { return false }
        return taken.wake() == .woken
    }
}
