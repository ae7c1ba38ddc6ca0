import Synchronization

/// What a future receives each time it is polled: how to wake its task, the
/// executor's current time, and where to register a deadline.
public struct Context {
    /// Wakes the task being polled. Copy it wherever an event source (interrupt
    /// handler, channel, mutex) must be able to schedule the task again.
    public internal(set) var waker: Waker

    /// The executor's clock, read once per executor pass before this poll.
    /// Never later than the real time, so a timer compared against it never fires early.
    public let now: Instant

    /// The earliest deadline registered during this poll (``Instant/distantFuture``: none).
    public internal(set) var deadline: Instant

    /// Creates a context. Executors create one per poll; tests may create their
    /// own to poll a future by hand.
    public init(waker: Waker, now: Instant) {
        self.waker = waker
        self.now = now
        self.deadline = .distantFuture
    }

    /// Gives the waker the generation its slot holds now (the executor's own
    /// use, after it read the slot's state with acquire ordering).
    @inline(__always)
    mutating func refreshWaker() {
        waker = waker.withCurrentGeneration()
    }

    /// Asks the executor to poll this task again once the clock reaches `instant`.
    ///
    /// Only the earliest deadline registered during a poll is kept. Registration
    /// lasts for this poll only: a future that is still waiting registers again on
    /// its next poll.
    public mutating func wake(at instant: Instant) {
        if instant < deadline { deadline = instant }
    }
}
