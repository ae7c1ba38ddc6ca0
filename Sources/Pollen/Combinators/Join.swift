// Join2, Join3, Join4: run futures concurrently inside one task and wait for all.

/// Waits for two futures; the output is both outputs.
///
/// ```swift
/// var both = join(Timer.after(.milliseconds(10)), readSensor())
/// // .ready(((), reading)) once both have finished, 10 ms or later
/// ```
///
/// Each poll polls every child that has not finished yet, in order (the task's
/// waker is shared, so a join cannot know which child was woken). A child that
/// finishes is dropped at once (its deinit runs, its deadline is no longer
/// registered) and only its output is kept. Each child occupies an optional
/// future plus an optional output (polled in place: no copy of the child on
/// the stack). The join completes in the poll in which its last child does.
///
/// Cancel safety: dropping a pending join drops every unfinished child (cancel
/// safety of each is its own) and discards the outputs of finished ones.
public struct Join2<A: Future & ~Copyable, B: Future & ~Copyable>: ~Copyable, Future {
    var a: JoinChild<A>
    var b: JoinChild<B>

    /// Joins `a` and `b`. See ``join(_:_:)``.
    public init(_ a: consuming A, _ b: consuming B) {
        self.a = JoinChild(a)
        self.b = JoinChild(b)
    }

    /// Polls every unfinished child; ready when all have finished.
    public mutating func poll(_ context: inout Context) -> Poll<(A.Output, B.Output)> {
        let before = context.deadline
        let doneA = a.poll(&context)
        let doneB = b.poll(&context)
        guard doneA && doneB else { return .pending }
        context.deadline = before
        return .ready((a.take(), b.take()))
    }
}

extension Join2: Copyable where A: Copyable, B: Copyable {}

/// Waits for three futures; the output is the three outputs. Same behaviour,
/// layout and cancel safety as ``Join2``.
///
/// ```swift
/// var all = join(Timer.after(.milliseconds(10)), Timer.after(.milliseconds(30)), Timer.after(.milliseconds(20)))
/// // ready 30 ms after the first poll
/// ```
public struct Join3<A: Future & ~Copyable, B: Future & ~Copyable, C: Future & ~Copyable>: ~Copyable, Future {
    var a: JoinChild<A>
    var b: JoinChild<B>
    var c: JoinChild<C>

    /// Joins `a`, `b` and `c`. See ``join(_:_:_:)``.
    public init(_ a: consuming A, _ b: consuming B, _ c: consuming C) {
        self.a = JoinChild(a)
        self.b = JoinChild(b)
        self.c = JoinChild(c)
    }

    /// Polls every unfinished child; ready when all have finished.
    public mutating func poll(_ context: inout Context) -> Poll<(A.Output, B.Output, C.Output)> {
        let before = context.deadline
        let doneA = a.poll(&context)
        let doneB = b.poll(&context)
        let doneC = c.poll(&context)
        guard doneA && doneB && doneC else { return .pending }
        context.deadline = before
        return .ready((a.take(), b.take(), c.take()))
    }
}

extension Join3: Copyable where A: Copyable, B: Copyable, C: Copyable {}

/// Waits for four futures; the output is the four outputs. Same behaviour,
/// layout and cancel safety as ``Join2``.
///
/// ```swift
/// var all = join(blink(), sample(), report(), Timer.after(.seconds(1)))
/// ```
public struct Join4<A: Future & ~Copyable, B: Future & ~Copyable, C: Future & ~Copyable,
                    D: Future & ~Copyable>: ~Copyable, Future {
    var a: JoinChild<A>
    var b: JoinChild<B>
    var c: JoinChild<C>
    var d: JoinChild<D>

    /// Joins `a`, `b`, `c` and `d`. See ``join(_:_:_:_:)``.
    public init(_ a: consuming A, _ b: consuming B, _ c: consuming C, _ d: consuming D) {
        self.a = JoinChild(a)
        self.b = JoinChild(b)
        self.c = JoinChild(c)
        self.d = JoinChild(d)
    }

    /// Polls every unfinished child; ready when all have finished.
    public mutating func poll(_ context: inout Context) -> Poll<(A.Output, B.Output, C.Output, D.Output)> {
        let before = context.deadline
        let doneA = a.poll(&context)
        let doneB = b.poll(&context)
        let doneC = c.poll(&context)
        let doneD = d.poll(&context)
        guard doneA && doneB && doneC && doneD else { return .pending }
        context.deadline = before
        return .ready((a.take(), b.take(), c.take(), d.take()))
    }
}

extension Join4: Copyable where A: Copyable, B: Copyable, C: Copyable, D: Copyable {}

/// Runs `a` and `b` concurrently in the current task; completes with both
/// outputs when both have finished. See ``Join2``.
///
/// ```swift
/// var both = join(Timer.after(.milliseconds(10)), Timer.after(.milliseconds(30)))  // 30 ms
/// ```
public func join<A: Future & ~Copyable, B: Future & ~Copyable>(
    _ a: consuming A, _ b: consuming B
) -> Join2<A, B> {
    Join2(a, b)
}

/// Runs three futures concurrently in the current task. See ``Join3``.
///
/// ```swift
/// var all = join(a, b, c)   // .ready((outA, outB, outC))
/// ```
public func join<A: Future & ~Copyable, B: Future & ~Copyable, C: Future & ~Copyable>(
    _ a: consuming A, _ b: consuming B, _ c: consuming C
) -> Join3<A, B, C> {
    Join3(a, b, c)
}

/// Runs four futures concurrently in the current task. See ``Join4``.
///
/// ```swift
/// var all = join(a, b, c, d)   // .ready((outA, outB, outC, outD))
/// ```
public func join<A: Future & ~Copyable, B: Future & ~Copyable, C: Future & ~Copyable, D: Future & ~Copyable>(
    _ a: consuming A, _ b: consuming B, _ c: consuming C, _ d: consuming D
) -> Join4<A, B, C, D> {
    Join4(a, b, c, d)
}

/// One child of a join: the running future until it finishes, then its output.
///
/// Optionals rather than one enum: polling an optional's payload happens in
/// place, while an enum payload has to be moved out and back on every poll
/// (several copies of the child on the stack). The cost is that a child's
/// storage is the sum of its future and its output; outputs are usually small.
struct JoinChild<F: Future & ~Copyable>: ~Copyable {
    var future: F?
    var output: F.Output?

    init(_ future: consuming F) {
        self.future = .some(future)
        self.output = nil
    }

    /// Polls the child if it still runs; `true` once it has finished. A child
    /// that finishes is dropped here, before its output is stored.
    mutating func poll(_ context: inout Context) -> Bool {
        guard future != nil else { return true }
        guard case .ready(let value) = future!.poll(&context) else { return false }
        finish(value)
        return true
    }

    /// Drops the future and keeps its output. Not inlined: dropping an optional
    /// materializes it on the stack, and that frame should not be live while
    /// the child is polled.
    @inline(never)
    mutating func finish(_ value: F.Output) {
        future = nil
        output = value
    }

    /// The output of a finished child (once).
    mutating func take() -> F.Output {
        guard let value = output.take() else { preconditionFailure("join: output taken twice") }
        return value
    }
}

extension JoinChild: Copyable where F: Copyable {}
