/// A future that is built only when first polled.
///
/// ```swift
/// var later = Deferred { Timer.after(.seconds(1)) }   // nothing exists until the first poll
/// ```
///
/// Until its first poll a `Deferred` holds only the factory (one function value);
/// from then on, only the future it made: its size is
/// `max(one function value, size(F))` plus a tag. It is the first stage of a
/// ``steps(_:)`` block, and useful on its own to delay work (and the
/// evaluation of the expression that builds the future) until a task actually
/// reaches that point.
///
/// Closures: on firmware the factory must not capture anything (a capturing
/// closure allocates, and `-no-allocations` rejects it at compile time).
///
/// Cancel safety: dropping it before the first poll never runs the factory;
/// after that, cancel safety is that of the future it made.
public struct Deferred<F: Future & ~Copyable>: ~Copyable, Future {
    var stage: Stage2<() -> F, F>

    /// A future that `make` builds when it is first polled.
    @inline(__always)
    public init(_ make: @escaping () -> F) {
        stage = Stage2(first: make)
    }

    /// Builds the future on the first poll (in place), then polls it where it lies.
    public mutating func poll(_ context: inout Context) -> Poll<F.Output> {
        withUnsafeMutablePointer(to: &stage) { stage in
            if stage.isFirstStage() { Self.start(stage) }
            return stage.secondStage().pointee.poll(&context)
        }
    }

    /// Builds the future in the bytes the factory leaves. Not inlined: whatever
    /// building it needs stays out of the poll's frame.
    @inline(never)
    static func start(_ stage: UnsafeMutablePointer<Stage2<() -> F, F>>) {
        let make = stage.firstStage().pointee
        stage.replaceFirstStage(make)
    }
}

/// A future that runs a function once, at its first poll, and completes at once.
///
/// ```swift
/// var toggle = Perform { Board.led.toggle() }
/// ```
///
/// It is what a `Void` statement inside ``steps(_:)`` becomes. On firmware the
/// function must not capture anything (globals, statics and literals are fine).
///
/// Cancel safety: dropped before its first poll, the function never runs.
public struct Perform: Future {
    let action: () -> Void

    /// A future that calls `action` when first polled.
    @inline(__always)
    public init(_ action: @escaping () -> Void) {
        self.action = action
    }

    /// Runs the action and completes.
    public mutating func poll(_ context: inout Context) -> Poll<Void> {
        action()
        return .ready(())
    }
}
