/// Completes once the executor's clock reaches a deadline.
///
/// ```swift
/// var wait = Timer.after(.milliseconds(500))   // counted from the first poll
/// var alarm = Timer.at(start + .seconds(2))
/// ```
///
/// Never early: the timer compares the deadline with `context.now`, which is never
/// later than the real time. Late by at most the time until the executor's next
/// pass after the deadline (on firmware: the tick resolution plus whatever task
/// was running).
///
/// While pending, the timer registers its deadline on every poll
/// (`context.wake(at:)`); it holds no entry anywhere else. Cancel safety: dropping
/// a pending timer (for example the losing side of a `select`) releases it
/// completely: from the task's next poll on, its deadline is no longer registered.
///
/// A deadline beyond the 64-bit clock (`after` with a huge duration) saturates to
/// ``Instant/distantFuture``: the timer then never fires, and registers nothing.
public struct Timer: Future, Sendable {
    enum Start: Sendable {
        case after(Duration)
        case at(Instant)
    }

    var start: Start

    /// A timer that fires `duration` after its first poll.
    public static func after(_ duration: Duration) -> Timer { Timer(start: .after(duration)) }

    /// A timer that fires at `deadline` (at once if it has passed).
    public static func at(_ deadline: Instant) -> Timer { Timer(start: .at(deadline)) }

    /// The deadline, once known (after the first poll for `after`).
    public var deadline: Instant? {
        if case .at(let d) = start { return d }
        return nil
    }

    /// Completes when the deadline has been reached.
    public mutating func poll(_ context: inout Context) -> Poll<Void> {
        let deadline: Instant
        switch start {
        case .at(let d): deadline = d
        case .after(let d):
            deadline = context.now + d
            start = .at(deadline)
        }
        if context.now >= deadline { return .ready(()) }
        if deadline != .distantFuture { context.wake(at: deadline) }
        return .pending
    }
}

/// A periodic timer without drift: tick `n` is due at `first + n × period`,
/// whatever the latency of earlier ticks.
///
/// A ticker is a *repeating* future: after it returns `.ready`, polling it again
/// waits for the next tick (this is the one exception to "not polled after ready").
/// Its output is the number of periods that elapsed since the previous tick: 1
/// normally; more if the task was late by whole periods, in which case the missed
/// ticks are reported, not replayed (the next deadline is the first period boundary
/// after now, so the schedule stays on the original grid).
///
/// ```swift
/// var ticker = Ticker(period: .milliseconds(500))   // first tick one period after first poll
/// // in the task's poll:
/// if case .ready(let periods) = ticker.poll(&context) { blink(); missed += periods - 1 }
/// ```
///
/// Cancel safety: like ``Timer``, dropping it releases its deadline.
public struct Ticker: Future, Sendable {
    /// Time between ticks.
    public let period: Duration
    /// The deadline of the next tick, once started.
    public private(set) var next: Instant?
    /// Ticks delivered so far (counting reported missed ones).
    public private(set) var count: UInt64 = 0

    /// A ticker whose first tick is one `period` after its first poll (or at `first`).
    public init(period: Duration, first: Instant? = nil) {
        precondition(period.ticks > 0, "Ticker: the period must be longer than zero")
        self.period = period
        self.next = first
    }

    /// Completes at the next tick with the number of periods since the previous one.
    public mutating func poll(_ context: inout Context) -> Poll<UInt64> {
        // Periods elapsed: the due one plus every whole period since. Counted by
        // stepping rather than dividing: no 64-bit division routine is linked (the
        // Cortex-M0 has no divider at all), and a ticker is rarely more than one
        // period late; the cost is one step per missed period. (A deadline that
        // saturates at `distantFuture` ends the loop: the clock never reaches it.)
        // The steps are counted in 32 bits (2^32 missed periods would take as many
        // steps): one 64-bit add fewer per step. Widened with `_truncatingBits`:
        // `UInt64(truncatingIfNeeded:)` of a `UInt32` is not folded in Embedded
        // Swift -Osize (swiftc 6.3.1) and reaches a path that allocates.
        var due = next ?? (context.now + period)
        var periods: UInt32 = 0
        while due <= context.now {
            due = due + period
            periods &+= 1
        }
        next = due
        guard periods != 0 else {
            context.wake(at: due)
            return .pending
        }
        let elapsed = UInt64(_truncatingBits: UInt(periods))
        count &+= elapsed
        return .ready(elapsed)
    }
}

/// How a ``Timeout`` ended.
public enum TimeoutResult<Value> {
    /// The future finished first, with this output.
    case completed(Value)
    /// The deadline came first; the future was not finished.
    case timedOut
}

/// Runs a future with a deadline: whichever comes first wins.
///
/// ```swift
/// var line = Timeout(ReadLine(&uart), after: .seconds(5))
/// // .ready(.completed(text)) or .ready(.timedOut)
/// ```
///
/// The future is polled first, so when both are ready in the same poll the result
/// is `.completed`. After `.timedOut` the inner future stays unfinished inside the
/// timeout value and is dropped with it (its wakers go quiet; cancel safety is
/// that of the inner future). Its deadline is never registered again.
public struct Timeout<Inner: Future & ~Copyable>: ~Copyable, Future {
    var inner: Inner
    var timer: Timer

    /// `inner`, abandoned `duration` after the first poll.
    @inline(__always)
    public init(_ inner: consuming Inner, after duration: Duration) {
        self.inner = inner
        self.timer = .after(duration)
    }

    /// `inner`, abandoned at `deadline`.
    @inline(__always)
    public init(_ inner: consuming Inner, at deadline: Instant) {
        self.inner = inner
        self.timer = .at(deadline)
    }

    /// Polls the future, then the deadline.
    public mutating func poll(_ context: inout Context) -> Poll<TimeoutResult<Inner.Output>> {
        if case .ready(let value) = inner.poll(&context) { return .ready(.completed(value)) }
        if case .ready = timer.poll(&context) { return .ready(.timedOut) }
        return .pending
    }
}

extension Timeout: Copyable where Inner: Copyable {}
