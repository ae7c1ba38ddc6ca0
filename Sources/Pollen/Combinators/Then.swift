/// Runs one future, then a second one built from the first one's output.
///
/// ```swift
/// var task = readCommand().then { command in Timer.after(command.delay) }
/// ```
///
/// Only the live stage is stored: `Then` is an enum of "first future plus the
/// factory" and "second future", so its size is
/// `max(size(First) + one function value, size(Second))` plus a tag (see the
/// size table in ``SequentialBuilder``), never the sum of both futures. The
/// second future does not exist until the first completes; the first is
/// dropped (its deinit runs) before the factory is called.
///
/// In the poll in which the first future completes, the second is built and
/// polled at once, so a sequence of steps advances as far as it can in one
/// poll. Deadlines the first future registered in that poll are discarded:
/// a finished stage leaves nothing armed.
///
/// Closures: the factory is stored until the first future completes. On
/// firmware it must not capture anything (a capturing closure allocates, and
/// `-no-allocations` rejects it at compile time); whatever the second future
/// needs must come through the first one's output. Name the parameter even
/// when it is `Void` (`{ _ in … }`) and pass a literal, not a function
/// reference: both conversions need a capturing thunk (see ``Map``).
///
/// Cancel safety: dropping a pending `Then` drops whichever stage is live; the
/// cancel safety is that stage's. The factory never runs if the first stage
/// had not completed.
///
/// Stack: each poll moves the live stage out of the enum and back (Swift has no
/// in-place access to enum payloads), so polling needs about twice the stage's
/// size of stack at each nesting level (armv7em `-Osize`: a 620-byte frame for
/// a 304-byte stage). ``Map``, ``Join2`` and ``Select2`` poll their children in
/// place.
public struct Then<First: Future & ~Copyable, Second: Future & ~Copyable>: ~Copyable, Future {
    var stage: ThenStage<First, Second>

    /// `first`, then the future `make` builds from its output. See ``Future/then(_:)``.
    public init(_ first: consuming First, _ make: @escaping (First.Output) -> Second) {
        stage = .first(first, make)
    }

    /// Polls the live stage; see the type's documentation.
    public mutating func poll(_ context: inout Context) -> Poll<Second.Output> {
        stage.poll(&context)
    }
}

extension Then: Copyable where First: Copyable, Second: Copyable {}

/// The live stage of a ``Then``.
enum ThenStage<First: Future & ~Copyable, Second: Future & ~Copyable>: ~Copyable {
    case first(First, (First.Output) -> Second)
    case second(Second)

    mutating func poll(_ context: inout Context) -> Poll<Second.Output> {
        switch consume self {
        case .first(var first, let make):
            let before = context.deadline
            switch first.poll(&context) {
            case .pending:
                self = .first(first, make)
                return .pending
            case .ready(let value):
                _ = consume first
                context.deadline = before
                var second = make(value)
                let result = second.poll(&context)
                self = .second(second)
                return result
            }
        case .second(var second):
            let result = second.poll(&context)
            self = .second(second)
            return result
        }
    }
}

extension ThenStage: Copyable where First: Copyable, Second: Copyable {}

extension Future where Self: ~Copyable {
    /// Runs this future, then the future `make` builds from its output.
    ///
    /// ```swift
    /// var blink = Timer.after(.milliseconds(500)).then { _ in Timer.after(.milliseconds(500)) }
    /// ```
    ///
    /// See ``Then``: only the live stage is stored; the factory must not capture
    /// anything on firmware; cancel safety is that of the live stage.
    public consuming func then<Next: Future & ~Copyable>(
        _ make: @escaping (Output) -> Next
    ) -> Then<Self, Next> {
        Then(self, make)
    }
}
