// Control flow for `steps`: loops and branches as futures, so that a task that is
// "do these steps, again and again, choosing by a condition" needs no hand-written
// `poll`. Each is built when reached (a line of a `steps` block is lazy) and holds
// only its live iteration or branch.

/// Runs the future that `body` builds, then builds and runs it again, forever.
/// Made by ``loop(_:)``.
///
/// ```swift
/// var blink = loop {
///     Timer.after(.milliseconds(500))
///     Board.toggleLED()
/// }
/// ```
///
/// - One iteration at a time: the next iteration's future is built in the poll
///   in which the previous one completes, and run at once.
/// - An iteration that completes in the same poll in which it started (it never
///   waited) ends the poll: the task wakes itself and the next iteration starts
///   on the next pass. So a loop with nothing to wait for shares the executor
///   instead of spinning inside one poll.
/// - Size: one iteration's future plus a tag, plus the body (one function value).
///
/// Closures: on firmware `body` must not capture anything (see ``Deferred``).
///
/// Cancel safety: dropping the loop drops the live iteration (its own cancel
/// safety applies).
public struct Loop<Body: Future & ~Copyable>: ~Copyable, Future {
    let body: () -> Body
    var iteration: Await<Body>

    /// A loop over the futures `body` builds.
    @inline(__always)
    public init(_ body: @escaping () -> Body) {
        self.body = body
        iteration = Await()
    }

    /// Runs iterations until one waits.
    public mutating func poll(_ context: inout Context) -> Poll<Never> {
        while true {
            let started = !iteration.isRunning
            guard iteration.poll(&context, start: body) != nil else { return .pending }
            if started {
                context.waker.wake()   // it never waited: yield, go on next pass
                return .pending
            }
        }
    }
}

/// A loop over the steps of `body`, forever. See ``Loop``.
///
/// ```swift
/// var heartbeat = loop {
///     Timer.after(.seconds(1))
///     Board.write("alive\n")
/// }
/// ```
@inline(__always)
public func loop<Body: Future & ~Copyable>(@SequentialBuilder _ body: @escaping () -> Body) -> Loop<Body> {
    Loop(body)
}

/// Runs the future that `body` builds `count` times, one after another, then
/// completes. Made by ``repeating(_:_:)``.
///
/// ```swift
/// var flash = repeating(3) {
///     Board.setLED(true)
///     Timer.after(.milliseconds(100))
///     Board.setLED(false)
///     Timer.after(.milliseconds(100))
/// }
/// ```
///
/// The same rules as ``Loop`` (one iteration at a time; an iteration that never
/// waited ends the poll); `count` ≤ 0 completes at the first poll.
///
/// Cancel safety: dropping it drops the live iteration.
public struct Repeat<Body: Future & ~Copyable>: ~Copyable, Future {
    let body: () -> Body
    var iteration: Await<Body>
    /// Iterations still to complete.
    public private(set) var remaining: Int

    /// `count` runs of the futures `body` builds.
    @inline(__always)
    public init(_ count: Int, _ body: @escaping () -> Body) {
        self.body = body
        iteration = Await()
        remaining = count
    }

    /// Runs iterations until one waits or all have completed.
    public mutating func poll(_ context: inout Context) -> Poll<Void> {
        while remaining > 0 {
            let started = !iteration.isRunning
            guard iteration.poll(&context, start: body) != nil else { return .pending }
            remaining -= 1
            if remaining > 0 && started {
                context.waker.wake()
                return .pending
            }
        }
        return .ready(())
    }
}

/// The steps of `body`, `count` times. See ``Repeat``.
@inline(__always)
public func repeating<Body: Future & ~Copyable>(
    _ count: Int, @SequentialBuilder _ body: @escaping () -> Body
) -> Repeat<Body> {
    Repeat(count, body)
}

/// Runs one of two step sequences, chosen when the branch is reached. Made by
/// ``when(_:then:otherwise:)``.
///
/// ```swift
/// var press = steps {
///     Timer.after(.milliseconds(20))              // let the contact settle
///     when(Board.buttonIsLow) {                   // evaluated now, after the settle
///         presses.send(())
///     } otherwise: {
///         Perform {}
///     }
/// }
/// ```
///
/// - The condition is evaluated at the branch's first poll, when the sequence
///   reaches it, not when the sequence is built.
/// - Output: ``Either2`` of the two branches' outputs.
/// - Size: the larger branch plus a tag (and, before the first poll, the
///   condition and both bodies: three function values).
///
/// Closures: on firmware none of them may capture (see ``Deferred``).
///
/// Cancel safety: that of the branch running; a branch not chosen is never built.
public struct Branch<Then: Future & ~Copyable, Else: Future & ~Copyable>: ~Copyable, Future {
    var stage: Stage2<BranchChoice<Then, Else>, Stage2<Then, Else>>

    /// A branch between the steps of `then` and of `otherwise`, by `condition`.
    @inline(__always)
    public init(_ condition: @escaping () -> Bool, then: @escaping () -> Then, otherwise: @escaping () -> Else) {
        stage = Stage2(first: BranchChoice(condition: condition, then: then, otherwise: otherwise))
    }

    /// Chooses at the first poll (building the branch in place), then polls the
    /// chosen branch where it lies.
    public mutating func poll(_ context: inout Context) -> Poll<Either2<Then.Output, Else.Output>> {
        withUnsafeMutablePointer(to: &stage) { stage in
            if stage.isFirstStage() { Self.decide(stage) }
            let chosen = stage.secondStage()
            if chosen.isFirstStage() {
                guard case .ready(let output) = chosen.firstStage().pointee.poll(&context) else { return .pending }
                return .ready(.first(output))
            }
            guard case .ready(let output) = chosen.secondStage().pointee.poll(&context) else { return .pending }
            return .ready(.second(output))
        }
    }

    /// Evaluates the condition and builds the chosen branch in the bytes the
    /// choice leaves. Not inlined: building stays out of the poll's frame.
    @inline(never)
    static func decide(_ stage: UnsafeMutablePointer<Stage2<BranchChoice<Then, Else>, Stage2<Then, Else>>>) {
        let choice = stage.firstStage().pointee
        stage.replaceFirstStage {
            choice.condition() ? .first(choice.then()) : .second(choice.otherwise())
        }
    }
}

/// A ``Branch`` before its first poll: the condition and both bodies.
struct BranchChoice<Then: Future & ~Copyable, Else: Future & ~Copyable> {
    let condition: () -> Bool
    let then: () -> Then
    let otherwise: () -> Else
}

/// The steps of `then` if `condition` holds when the branch is reached, else
/// those of `otherwise`. See ``Branch``.
@inline(__always)
public func when<Then: Future & ~Copyable, Else: Future & ~Copyable>(
    _ condition: @autoclosure @escaping () -> Bool,
    @SequentialBuilder then: @escaping () -> Then,
    @SequentialBuilder otherwise: @escaping () -> Else
) -> Branch<Then, Else> {
    Branch(condition, then: then, otherwise: otherwise)
}

extension Loop: Copyable where Body: Copyable {}
extension Repeat: Copyable where Body: Copyable {}
