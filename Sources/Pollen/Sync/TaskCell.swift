import Synchronization

// TaskCell and InterruptCell: shared state declared once, its interrupt safety in
// its type, used without pointers.
//
// # The one declaration form for globals
//
//     nonisolated(unsafe) var counter = TaskCell(0)
//     nonisolated(unsafe) var ticks = InterruptCell<UInt32>(0)
//
// This is the form every Pollen global takes (executors, pools, channels,
// cells), and the only place user code writes `nonisolated(unsafe)`. Why this
// one:
// - A global `var` must be marked: Swift 6 rejects nonisolated global mutable
//   state, and firmware builds in Swift 6 mode (`Board/build`). The marking says
//   only that the *variable* is not isolated to an actor; the cell's methods say
//   who may touch its *contents*.
// - Not `let`. A `let` global whose initializer is a constant is emitted as a
//   static constant: the compiler may place it in `.rodata` (flash) and replace
//   loads of its fields with the initial value. Measured with this toolchain
//   (armv7em, `-Osize`): a `let` global of a plain struct written through its
//   address went to `.rodata` and the write compiled to nothing. Pollen's cells
//   hold an `Atomic`, which keeps them in `.data` today, but the language makes
//   no promise that the plain fields of a `let` are writable. Only `Atomic` (a
//   raw-layout type) has that promise, and no public raw-layout type can hold an
//   arbitrary `Value`. `AtomicWaker` and `InterruptSignal` ask for `var` for the
//   same reason.
// - Never reassign the global (`counter = TaskCell(1)`) and never pass it
//   `inout`: both are modify accesses of the whole cell, while other contexts
//   may be using it.
//
// # Exclusivity
//
// Every method of both cells is non-mutating: for the language, a task or an
// interrupt handler calling one only *reads* the global, so accesses from
// several tasks and handlers never overlap as modifications (Swift's
// exclusivity rule, which `mutating` methods on a shared global would break).
// The contents are written through the cell's own stable address instead:
// - `TaskCell`: invariant VALUE-FIRST. `storage` is the first stored property,
//   at the cell's own address, and is reached only through `valueAddress`
//   (`withUnsafePointer(to: self)`), never through an access to the whole cell.
//   The `Atomic` field makes the type address-only, so a borrowed cell is always
//   passed by its address, never copied into a temporary (a write to a copy
//   would be lost). Same device as `AtomicWaker` (SLOT-FIRST).
// - `InterruptCell`: its only field is an `Atomic`, which the language already
//   lets any number of contexts use at once through a borrow.
//
// A task cannot suspend inside `withValue` (its body is a plain synchronous
// closure; an await returns `.pending` from the task's poll, which is outside
// it), so on one executor thread the bodies of two tasks never overlap. What
// remains is re-entry from the same context (the body touching the same cell,
// directly or through a function it calls): `withValue` traps on it instead of
// handing out two `inout`s to one value.

/// State shared by the tasks of one executor, declared once and used without
/// pointers: ``withValue(_:)`` lends it out as `inout`, ``value`` copies it in
/// or out. **Task context only: not for interrupt handlers** (use
/// ``InterruptCell`` for state an interrupt handler touches).
///
/// ```swift
/// struct Stats { var presses: UInt32 = 0; var lines: UInt32 = 0 }
/// nonisolated(unsafe) var stats = TaskCell(Stats())    // the one global form
///
/// // in any task's poll:
/// stats.withValue { $0.presses += 1 }
/// let seen = stats.value.lines
/// ```
///
/// Declaration: `nonisolated(unsafe) var name = TaskCell(initial)`, Pollen's one
/// form for globals (see the top of `TaskCell.swift` for why not `let`). Never
/// reassign the variable or pass it `inout`. On the host, tests may keep it in
/// ``Pinned`` storage or in a local.
///
/// Exclusivity: every method is non-mutating and reaches the value through the
/// cell's own address (invariant VALUE-FIRST), so tasks never need `inout`
/// access to the global. A task cannot suspend inside `withValue`, so the bodies
/// of two tasks never overlap. Re-entry (the body, or a function it calls,
/// touches the same cell) traps with "TaskCell: accessed again inside its own
/// withValue" rather than creating two overlapping `inout`s.
///
/// Interrupt safety: **none**. An interrupt handler that reads or writes the cell
/// while a task is inside `withValue` sees or leaves a half-written value.
/// The re-entry check may catch such a handler, but do not rely on it.
///
/// Size: the value, then a one-byte re-entry flag (padded to the value's
/// alignment): `TaskCell<UInt32>` is 5 bytes (stride 8).
///
/// Cost per access: the flag's load, test and two stores (four instructions on
/// the Cortex-M4; on the Cortex-M0 the load and the stores are calls to the
/// board's `__atomic_load_1`/`__atomic_store_1`, each a plain byte access).
public struct TaskCell<Value: ~Copyable>: ~Copyable {
    // Invariant VALUE-FIRST: `storage` is the first stored property (offset 0,
    // checked by CellTests), written only through `valueAddress`.
    /// The shared value.
    var storage: Value
    /// 1 while a `withValue` body runs (re-entry check). An `Atomic`, so the type
    /// is address-only (see the top of the file), used with relaxed ordering: it
    /// guards against the same context only.
    let borrowed: Atomic<UInt8>

    /// A cell holding `value`.
    ///
    /// ```swift
    /// nonisolated(unsafe) var mode = TaskCell(Mode.idle)
    /// ```
    ///
    /// Interrupt safety and cancel safety: not applicable (initialisation).
    public init(_ value: consuming Value) {
        storage = value
        borrowed = Atomic(0)
    }

    /// The value, at the cell's own address (VALUE-FIRST).
    var valueAddress: UnsafeMutablePointer<Value> {
        // Safety: a borrowed ~Copyable, address-only value is addressed in place,
        // and the cell does not move while it is borrowed (a global, a Pinned
        // value or a local that outlives the call). `storage` is at offset 0.
        withUnsafePointer(to: self) {
            UnsafeMutableRawPointer(mutating: $0).assumingMemoryBound(to: Value.self)
        }
    }

    /// Lends the value to `body` as `inout` and returns what `body` returns.
    ///
    /// ```swift
    /// let total = stats.withValue { s in
    ///     s.presses += 1
    ///     return s.presses
    /// }
    /// ```
    ///
    /// `body` must not touch this cell again (directly or through a function it
    /// calls): that traps, with "TaskCell: accessed again inside its own
    /// withValue". Other cells are fine. A typed error thrown by `body` is
    /// rethrown, and the cell is released first.
    ///
    /// Interrupt safety: task context only (see the type).
    public func withValue<Result: ~Copyable, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        precondition(borrowed.load(ordering: .relaxed) == 0,
                     "TaskCell: accessed again inside its own withValue")
        borrowed.store(1, ordering: .relaxed)
        defer { borrowed.store(0, ordering: .relaxed) }
        return try body(&valueAddress.pointee)
    }
}

extension TaskCell where Value: Copyable {
    /// A copy of the value; setting it replaces the value.
    ///
    /// ```swift
    /// if mode.value == .idle { mode.value = .measuring }
    /// counter.value += 1          // a read, then a write: fine between tasks
    /// ```
    ///
    /// `counter.value += 1` is a read followed by a write; no other task can run
    /// in between (tasks switch only when a poll returns), so among tasks it is
    /// not a lost update. It is not atomic against interrupt handlers, which must
    /// not touch a `TaskCell` at all.
    ///
    /// Interrupt safety: task context only (see the type).
    public var value: Value {
        get { withValue { $0 } }
        nonmutating set { withValue { $0 = newValue } }
    }
}
