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
/// registered) and its output is kept in the same bytes: each child occupies
/// the larger of its future and its output, plus one tag byte (polled in
/// place: no copy of the child on the stack). The join completes in the poll in which its last child does.
///
/// Cancel safety: dropping a pending join drops every unfinished child (cancel
/// safety of each is its own) and discards the outputs of finished ones.
public struct Join2<A: Future & ~Copyable, B: Future & ~Copyable>: ~Copyable, Future {
    var a: JoinChild<A>
    var b: JoinChild<B>

    /// Joins `a` and `b`. See ``join(_:_:)``.
    @inline(__always)
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
    @inline(__always)
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
    @inline(__always)
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

/// Runs `a` and `b` concurrently in the current task; completes with both
/// outputs when both have finished. See ``Join2``.
///
/// ```swift
/// var both = join(Timer.after(.milliseconds(10)), Timer.after(.milliseconds(30)))  // 30 ms
/// ```
@inline(__always)
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
@inline(__always)
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
@inline(__always)
public func join<A: Future & ~Copyable, B: Future & ~Copyable, C: Future & ~Copyable, D: Future & ~Copyable>(
    _ a: consuming A, _ b: consuming B, _ c: consuming C, _ d: consuming D
) -> Join4<A, B, C, D> {
    Join4(a, b, c, d)
}

/// One child of a join: the running future until it finishes, then its output.
///
/// A `Stage2`: the future and then its output share their bytes (the larger of
/// the two plus a tag byte), and the future is polled where it lies.
struct JoinChild<F: Future & ~Copyable>: ~Copyable {
    /// The running future, then its output (taken once): one live at a time.
    var stage: Stage2<F, F.Output?>

    @inline(__always)
    init(_ future: consuming F) {
        stage = Stage2(first: future)
    }

    /// Polls the child where it lies if it still runs; `true` once it has
    /// finished. A child that finishes is dropped here, and its output stored
    /// in its place.
    mutating func poll(_ context: inout Context) -> Bool {
        withUnsafeMutablePointer(to: &stage) { stage in
            guard stage.isFirstStage() else { return true }
            guard case .ready(let value) = stage.firstStage().pointee.poll(&context) else { return false }
            Self.finish(stage, value)
            return true
        }
    }

    /// Drops the future and keeps its output in its place. Not inlined, so the
    /// poll's frame stays small.
    @inline(never)
    static func finish(_ stage: UnsafeMutablePointer<Stage2<F, F.Output?>>, _ value: F.Output) {
        stage.replaceFirstStage { .some(value) }
    }

    /// The output of a finished child (once).
    mutating func take() -> F.Output {
        withUnsafeMutablePointer(to: &stage) { stage in
            guard !stage.isFirstStage(), let value = stage.secondStage().pointee.take() else {
                preconditionFailure("join: output taken twice")
            }
            return value
        }
    }
}
