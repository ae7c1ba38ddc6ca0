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
/// Stack: the live stage is polled where it lies, and the second future is
/// built in the bytes the first one leaves (see `Stage.swift`), so a poll
/// needs no copy of either stage on the stack.
public struct Then<First: Future & ~Copyable, Second: Future & ~Copyable>: ~Copyable, Future {
    var stage: Stage2<WithNext<First, (First.Output) -> Second>, Second>

    /// `first`, then the future `make` builds from its output. See ``Future/then(_:)``.
    @inline(__always)
    public init(_ first: consuming First, _ make: @escaping (First.Output) -> Second) {
        stage = Stage2(first: WithNext(future: first, makeNext: make))
    }

    /// Polls the live stage where it lies; see the type's documentation.
    public mutating func poll(_ context: inout Context) -> Poll<Second.Output> {
        withUnsafeMutablePointer(to: &stage) { stage in
            if stage.isFirstStage() {
                let before = context.deadline
                guard case .ready(let value) = stage.firstStage().pointee.future.poll(&context) else {
                    return .pending
                }
                context.deadline = before
                Self.advance(stage, value)
            }
            return stage.secondStage().pointee.poll(&context)
        }
    }

    /// Drops the first future and builds the second in its place. Not inlined:
    /// whatever building the second future needs stays out of the poll's frame.
    @inline(never)
    static func advance(_ stage: UnsafeMutablePointer<Stage2<WithNext<First, (First.Output) -> Second>, Second>>,
                        _ value: First.Output) {
        let make = stage.firstStage().pointee.makeNext
        stage.replaceFirstStage { make(value) }
    }
}

/// A running stage and what builds the stage after it (``Then``, ``Sequenced``).
struct WithNext<F: ~Copyable, Make>: ~Copyable {
    var future: F
    let makeNext: Make
}

extension Future where Self: ~Copyable {
    /// Runs this future, then the future `make` builds from its output.
    ///
    /// ```swift
    /// var blink = Timer.after(.milliseconds(500)).then { _ in Timer.after(.milliseconds(500)) }
    /// ```
    ///
    /// See ``Then``: only the live stage is stored; the factory must not capture
    /// anything on firmware; cancel safety is that of the live stage.
    @inline(__always)
    public consuming func then<Next: Future & ~Copyable>(
        _ make: @escaping (Output) -> Next
    ) -> Then<Self, Next> {
        Then(self, make)
    }
}
