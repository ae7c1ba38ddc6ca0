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
    var stage: Stage2<WithNext<Earlier, () -> Next>, Next>

    /// `earlier`, then the future `makeNext` builds once `earlier` has completed.
    @inline(__always)
    public init(_ earlier: consuming Earlier, then makeNext: @escaping () -> Next) {
        stage = Stage2(first: WithNext(future: earlier, makeNext: makeNext))
    }

    /// Polls the live stage where it lies.
    public mutating func poll(_ context: inout Context) -> Poll<Next.Output> {
        withUnsafeMutablePointer(to: &stage) { stage in
            if stage.isFirstStage() {
                let before = context.deadline
                guard case .ready = stage.firstStage().pointee.future.poll(&context) else { return .pending }
                context.deadline = before
                Self.advance(stage)
            }
            return stage.secondStage().pointee.poll(&context)
        }
    }

    /// Drops the earlier future and builds the next in its place. Not inlined:
    /// whatever building the next step needs stays out of the poll's frame.
    @inline(never)
    static func advance(_ stage: UnsafeMutablePointer<Stage2<WithNext<Earlier, () -> Next>, Next>>) {
        let makeNext = stage.firstStage().pointee.makeNext
        stage.replaceFirstStage(makeNext)
    }
}

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
    /// `Earlier` until it completes, then `nil`. An optional rather than a
    /// `Stage2`: `nil` needs no bytes of its own (it is one of `Earlier`'s
    /// spare bit patterns), where a `Stage2` adds a tag byte.
    var earlier: Earlier?
    let action: () -> Void

    /// `earlier`, then `action()`.
    @inline(__always)
    public init(_ earlier: consuming Earlier, then action: @escaping () -> Void) {
        self.earlier = nil
        self.action = action
        Self.fill(&self.earlier, earlier)
    }

    /// Moves `value` into the `nil` optional at `slot` (OPTIONAL-LAYOUT).
    @inline(__always)
    static func fill(_ slot: UnsafeMutablePointer<Earlier?>, _ value: consuming Earlier) {
        slot.initializeSome(value)
    }

    /// Polls `Earlier` where it lies; when it completes, drops it, runs the
    /// action and completes.
    public mutating func poll(_ context: inout Context) -> Poll<Void> {
        let before = context.deadline
        // In place: the force unwrap of a stored optional is an access, not a copy.
        guard case .ready = earlier!.poll(&context) else { return .pending }
        finish(&context, before)
        return .ready(())
    }

    /// Drops `Earlier` and runs the action. Not inlined: whatever dropping
    /// `Earlier` needs stays out of the poll's frame.
    @inline(never)
    mutating func finish(_ context: inout Context, _ before: Instant) {
        earlier = nil
        context.deadline = before
        action()
    }
}
