/// Runs `Earlier`, then a `Next` future built only when `Earlier` completes:
/// one link of a ``steps(_:)`` block. The output of `Earlier` is discarded;
/// the output of the whole is `Next`'s.
///
/// ```swift
/// var two = steps {
///     Timer.after(.milliseconds(10))   // Deferred<Timer>
///     Timer.after(.milliseconds(20))   // Sequenced<Deferred<Timer>, Timer>
/// }
/// ```
///
/// Like ``Then``, it stores only the live stage: "earlier plus the factory of the
/// next step", then "next". The next step's expression is evaluated when it is
/// reached, not when the sequence is built. In the poll in which `Earlier`
/// completes, `Next` is built and polled at once; deadlines `Earlier`
/// registered in that poll are discarded.
///
/// Cancel safety: that of the live stage; a step not reached is never built.
public struct Sequenced<Earlier: Future & ~Copyable, Next: Future & ~Copyable>: ~Copyable, Future {
    var stage: SequencedStage<Earlier, Next>

    /// `earlier`, then the future `makeNext` builds once `earlier` has completed.
    public init(_ earlier: consuming Earlier, then makeNext: @escaping () -> Next) {
        stage = .earlier(earlier, makeNext)
    }

    /// Polls the live stage.
    public mutating func poll(_ context: inout Context) -> Poll<Next.Output> {
        stage.poll(&context)
    }
}

extension Sequenced: Copyable where Earlier: Copyable, Next: Copyable {}

/// The live stage of a ``Sequenced``.
enum SequencedStage<Earlier: Future & ~Copyable, Next: Future & ~Copyable>: ~Copyable {
    case earlier(Earlier, () -> Next)
    case next(Next)

    mutating func poll(_ context: inout Context) -> Poll<Next.Output> {
        switch consume self {
        case .earlier(var earlier, let makeNext):
            let before = context.deadline
            guard case .ready = earlier.poll(&context) else {
                self = .earlier(earlier, makeNext)
                return .pending
            }
            _ = consume earlier
            context.deadline = before
            var next = makeNext()
            let result = next.poll(&context)
            self = .next(next)
            return result
        case .next(var next):
            let result = next.poll(&context)
            self = .next(next)
            return result
        }
    }
}

extension SequencedStage: Copyable where Earlier: Copyable, Next: Copyable {}

/// Runs `Earlier`, then calls a function once: a `Void` statement after other
/// steps in a ``steps(_:)`` block. The output of `Earlier` is discarded.
///
/// ```swift
/// var blink = steps {
///     Timer.after(.milliseconds(500))
///     Board.led.toggle()          // SequencedPerform<Deferred<Timer>>
/// }
/// ```
///
/// `Earlier` is dropped as soon as it completes, before the action runs.
///
/// Cancel safety: that of `Earlier`; the action runs only if `Earlier` completed.
public struct SequencedPerform<Earlier: Future & ~Copyable>: ~Copyable, Future {
    var earlier: Earlier?
    let action: () -> Void

    /// `earlier`, then `action()`.
    public init(_ earlier: consuming Earlier, then action: @escaping () -> Void) {
        self.earlier = .some(earlier)
        self.action = action
    }

    /// Polls `Earlier`; when it completes, drops it, runs the action and completes.
    public mutating func poll(_ context: inout Context) -> Poll<Void> {
        let before = context.deadline
        guard case .ready = earlier!.poll(&context) else { return .pending }
        earlier = nil
        context.deadline = before
        action()
        return .ready(())
    }
}

extension SequencedPerform: Copyable where Earlier: Copyable {}
