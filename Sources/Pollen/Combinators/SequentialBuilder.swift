/// Turns a block of futures into one future that runs them one after another,
/// so a task reads like straight-line code.
///
/// ```swift
/// var blink = steps {
///     Board.led.on()                        // a `Void` statement runs when reached
///     Timer.after(.milliseconds(100))       // a future is awaited before going on
///     Board.led.off()
///     Timer.after(.milliseconds(900))
/// }
/// ```
///
/// Rules:
/// - Each line is either a future (awaited: the next line starts in the same
///   poll in which it completes) or a `Void` expression (run once, when
///   reached, see ``Perform``).
/// - Laziness: a step's expression is evaluated only when the step is reached
///   (every line is taken as an `@autoclosure`), so building the sequence builds
///   nothing, and a step sees the world as the previous steps left it.
/// - Outputs of all steps but the last are discarded; the output of the whole is
///   the last step's output. Use ``Future/then(_:)`` when a step needs the
///   previous step's output.
/// - No control flow (`if`, `for`) inside the block: choose with `then`, or
///   write a future type.
///
/// Closures on firmware: each line becomes an escaping closure stored until its
/// step is reached, so it must not capture anything: globals, statics, literals
/// and constants are fine; a local variable or a parameter of the enclosing
/// function is a capture, which allocates, and `-no-allocations` rejects it at
/// compile time ("cannot use escaping closures in -no-allocations mode"). On the
/// host, captures work (they allocate once, when the sequence is built). The
/// same goes for closures inside a line (`.map { _ in … }`, `.then { _ in … }`):
/// literals that name their parameter, no function references (see ``Map``).
///
/// Size rule: `steps { s1; s2; …; sn }` is `Sequenced<…Sequenced<Deferred<S1>, S2>…, Sn>`.
/// While step `k` runs, only step `k` and the factories of steps `k+1…n` exist, so
///
///     size ≤ max(size(S1), …, size(Sn)) + (n − 1) function values + n tags (padded)
///
/// (a function value is two words: 16 bytes on 64-bit hosts, 8 on Cortex-M;
/// each tag is one byte, padded to the alignment of what follows), and never
/// the sum of the steps. `CombinatorLayoutTests` checks this bound and the x86_64 column
/// of the `P<n>` rows (`P<n>`: a future of `n` bytes, alignment 1). Sizes in
/// bytes (`MemoryLayout.size`; armv7em measured from an `-Osize` embedded build):
///
/// | type                                   | x86_64 | armv7em | sum of stages |
/// |----------------------------------------|--------|---------|---------------|
/// | `steps { P<64>; P<128>; P<96> }`       |    153 |     141 |           288 |
/// | `Then<P<64>, Then<P<128>, P<96>>>`     |    146 |     138 |           288 |
/// | `Join2<P<64>, P<128>>` (outputs `Int`) |    201 |     197 |               |
/// | `Select2<P<64>, P<128>>`               |    193 |     193 |               |
/// | `Timer`                                |      9 |       9 |               |
/// | `Map<Timer, Int>`                      |     32 |      20 |               |
/// | `Then<Timer, Timer>`                   |     33 |      21 |               |
/// | `Deferred<Timer>`                      |     17 |      10 |               |
/// | `steps { Timer; Timer }`               |     41 |      21 |               |
/// | `steps { Timer; Timer; Timer }`        |     65 |      33 |               |
/// | `Join2` / `Join3` / `Join4` of `Timer` | 26 / 42 / 58 | 26 / 42 / 58 |    |
/// | `Select2` / `Select3` of `Timer`       | 25 / 41 | 25 / 41 |              |
///
/// Stack: the live step is polled where it lies, and the next step is built in
/// the bytes the finished one leaves (`Stage.swift`), so polling needs no copy
/// of a step on the stack at any nesting level. Building one is in place too:
/// every link builds its stage with `Stage2(first:)`, and the links are
/// `~Copyable`, so the block moves each link into the next instead of copying
/// it. A struct that stores a `steps` value is therefore `~Copyable` as well.
/// Reaching a step whose expression builds a large future takes a frame of
/// about that future's size while it is built. The README ("Decisions worth
/// knowing", Stack) has the measured figures (Tests/Firmware/stack-nesting).
///
/// Cancel safety: dropping the sequence drops the live step (its own cancel
/// safety applies); steps not reached are never built and their expressions
/// never evaluated.
@resultBuilder
public enum SequentialBuilder {
    /// A future step, taken lazily.
    @inline(__always)
    public static func buildExpression<F: Future & ~Copyable>(
        _ make: @autoclosure @escaping () -> F
    ) -> StepFactory<F> {
        StepFactory(make: make)
    }

    /// A `Void` statement, run when reached.
    @inline(__always)
    public static func buildExpression(_ action: @autoclosure @escaping () -> Void) -> StepAction {
        StepAction(action: action)
    }

    /// An empty block (`otherwise: {}`): a step that does nothing and completes.
    @inline(__always)
    public static func buildBlock() -> Perform {
        Perform {}
    }

    /// The first step: built at the sequence's first poll.
    @inline(__always)
    public static func buildPartialBlock<F: Future & ~Copyable>(first: StepFactory<F>) -> Deferred<F> {
        Deferred(first.make)
    }

    /// A first step that is a `Void` statement.
    @inline(__always)
    public static func buildPartialBlock(first: StepAction) -> Perform {
        Perform(first.action)
    }

    /// One more future step after the ones so far.
    @inline(__always)
    public static func buildPartialBlock<Earlier: Future & ~Copyable, F: Future & ~Copyable>(
        accumulated: consuming Earlier, next: StepFactory<F>
    ) -> Sequenced<Earlier, F> {
        Sequenced(accumulated, then: next.make)
    }

    /// One more `Void` statement after the steps so far.
    @inline(__always)
    public static func buildPartialBlock<Earlier: Future & ~Copyable>(
        accumulated: consuming Earlier, next: StepAction
    ) -> SequencedPerform<Earlier> {
        SequencedPerform(accumulated, then: next.action)
    }
}

/// How to build one future step of a ``steps(_:)`` block (the line's expression,
/// not yet evaluated).
public struct StepFactory<F: Future & ~Copyable> {
    /// Evaluates the line.
    public let make: () -> F
}

/// One `Void` statement of a ``steps(_:)`` block, not yet run.
public struct StepAction {
    /// Runs the line.
    public let action: () -> Void
}

/// One future that runs the futures (and `Void` statements) of `body` one after
/// another; its output is the last step's output. See ``SequentialBuilder`` for
/// the rules, the laziness and the size guarantee.
///
/// ```swift
/// var greet = steps {
///     Timer.after(.milliseconds(10))
///     Uart.write("hello")
///     Timer.after(.milliseconds(20))
/// }
/// ```
@inline(__always)
public func steps<S: Future & ~Copyable>(@SequentialBuilder _ body: () -> S) -> S {
    body()
}
