/// A computation that advances a step each time it is polled, without blocking
/// and without allocating.
///
/// A task is a value of a concrete type conforming to `Future`: a state machine
/// whose size (`MemoryLayout<Self>.size`) is known when the firmware is compiled.
/// Generic combinators nest futures inside futures, so a whole task stays one
/// concrete type.
///
/// Contract:
/// - `poll` never blocks. It either finishes (`.ready(output)`) or returns
///   `.pending` after arranging to be woken: it stored or handed on
///   `context.waker`, or it registered a deadline with `context.wake(at:)`.
///   A future that returns `.pending` without doing either is never polled again.
/// - Spurious polls are allowed: a future may be polled when nothing changed and
///   must then simply return `.pending` again.
/// - Deadlines are re-registered on every poll that stays pending (the executor
///   forgets a task's deadline each time it polls it). This is what makes a timer
///   inside a losing `select` branch release itself: once dropped it no longer
///   registers anything.
/// - After `.ready` the future is not polled again; the executor drops it.
///
/// Futures may be non-copyable: a future owns its state and is moved into a
/// ``TaskPool`` slot, where it stays until it completes or is cancelled.
public protocol Future<Output>: ~Copyable {
    /// What the future produces when it completes.
    associatedtype Output

    /// Advances the computation as far as it can go without waiting.
    mutating func poll(_ context: inout Context) -> Poll<Output>
}
