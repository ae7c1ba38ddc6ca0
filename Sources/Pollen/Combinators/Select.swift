// Select2, Select3: race futures inside one task; the first to finish wins.

/// Races two futures: completes with the output of the first to finish; the
/// other is dropped at that moment.
///
/// ```swift
/// var byteOrTimeout = select(uart.read(), Timer.after(.milliseconds(50)))
/// // .ready(.first(byte)) or .ready(.second(()))
/// ```
///
/// Order: each poll polls the children in the order they were given, and stops
/// at the first that is ready, so when several could finish in the same poll
/// the first listed wins (later ones are not polled in that poll).
///
/// Losers are dropped immediately, inside the poll in which the winner
/// completes: their deinits run then, and deadlines they registered in that
/// poll are discarded, so no timer of a loser stays armed for the task (a
/// `Timer` loser is released at once, the problem embassy users hit as
/// "timers lost after select" cannot happen). A loser that waited in a
/// primitive's waiter list leaves it according to that primitive's cancel
/// safety (its wait future's deinit).
///
/// Cancel safety: dropping a pending select drops both children; each child's
/// cancel safety is its own. The select itself never loses an output: an
/// output is only produced by the winner, which is returned at once.
///
/// Size: both children plus one tag (they live in one optional pair, polled in
/// place).
public struct Select2<A: Future & ~Copyable, B: Future & ~Copyable>: ~Copyable, Future {
    var children: SelectPair<A, B>?

    /// Races `a` against `b`. See ``select(_:_:)``.
    @inline(__always)
    public init(_ a: consuming A, _ b: consuming B) {
        children = SelectPair(a: a, b: b)
    }

    /// Polls the children in order; the first ready one wins and the other is dropped.
    public mutating func poll(_ context: inout Context) -> Poll<Either2<A.Output, B.Output>> {
        let before = context.deadline
        if case .ready(let value) = children!.a.poll(&context) {
            finish(&context, before)
            return .ready(.first(value))
        }
        if case .ready(let value) = children!.b.poll(&context) {
            finish(&context, before)
            return .ready(.second(value))
        }
        return .pending
    }

    /// Drops every child and forgets the deadlines they registered in this poll.
    /// Not inlined: dropping an optional materializes it on the stack, and that
    /// frame should not stay on the stack while the children are polled.
    @inline(never)
    mutating func finish(_ context: inout Context, _ before: Instant) {
        children = nil
        context.deadline = before
    }
}

extension Select2: Copyable where A: Copyable, B: Copyable {}

/// Races three futures. Same order rule, loser release and cancel safety as
/// ``Select2``.
///
/// ```swift
/// var event = select(button.press(), uart.read(), Timer.after(.seconds(10)))
/// // .ready(.first(_)), .ready(.second(byte)) or .ready(.third(()))
/// ```
public struct Select3<A: Future & ~Copyable, B: Future & ~Copyable, C: Future & ~Copyable>: ~Copyable, Future {
    var children: SelectTriple<A, B, C>?

    /// Races `a`, `b` and `c`. See ``select(_:_:_:)``.
    @inline(__always)
    public init(_ a: consuming A, _ b: consuming B, _ c: consuming C) {
        children = SelectTriple(a: a, b: b, c: c)
    }

    /// Polls the children in order; the first ready one wins and the others are dropped.
    public mutating func poll(_ context: inout Context) -> Poll<Either3<A.Output, B.Output, C.Output>> {
        let before = context.deadline
        if case .ready(let value) = children!.a.poll(&context) {
            finish(&context, before)
            return .ready(.first(value))
        }
        if case .ready(let value) = children!.b.poll(&context) {
            finish(&context, before)
            return .ready(.second(value))
        }
        if case .ready(let value) = children!.c.poll(&context) {
            finish(&context, before)
            return .ready(.third(value))
        }
        return .pending
    }

    /// Drops every child and forgets the deadlines they registered in this poll.
    /// Not inlined: dropping an optional materializes it on the stack, and that
    /// frame should not stay on the stack while the children are polled.
    @inline(never)
    mutating func finish(_ context: inout Context, _ before: Instant) {
        children = nil
        context.deadline = before
    }
}

extension Select3: Copyable where A: Copyable, B: Copyable, C: Copyable {}

/// Races `a` against `b` in the current task; the first to finish wins and the
/// other is dropped at once. See ``Select2``.
///
/// ```swift
/// var reply = select(radio.receive(), Timer.after(.milliseconds(100)))
/// ```
@inline(__always)
public func select<A: Future & ~Copyable, B: Future & ~Copyable>(
    _ a: consuming A, _ b: consuming B
) -> Select2<A, B> {
    Select2(a, b)
}

/// Races three futures in the current task. See ``Select3``.
///
/// ```swift
/// var first = select(a, b, c)   // .ready(.first/.second/.third(output))
/// ```
@inline(__always)
public func select<A: Future & ~Copyable, B: Future & ~Copyable, C: Future & ~Copyable>(
    _ a: consuming A, _ b: consuming B, _ c: consuming C
) -> Select3<A, B, C> {
    Select3(a, b, c)
}

/// The children of a ``Select2``, dropped together.
struct SelectPair<A: Future & ~Copyable, B: Future & ~Copyable>: ~Copyable {
    var a: A
    var b: B
}

extension SelectPair: Copyable where A: Copyable, B: Copyable {}

/// The children of a ``Select3``, dropped together.
struct SelectTriple<A: Future & ~Copyable, B: Future & ~Copyable, C: Future & ~Copyable>: ~Copyable {
    var a: A
    var b: B
    var c: C
}

extension SelectTriple: Copyable where A: Copyable, B: Copyable, C: Copyable {}
