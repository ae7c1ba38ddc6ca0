import Synchronization

/// What a future receives each time it is polled: how to wake its task, the
/// executor's current time, and where to register a deadline.
public struct Context {
    /// Wakes the task being polled. Copy it wherever an event source (interrupt
    /// handler, channel, mutex) must be able to schedule the task again.
    public var waker: Waker {
        storedWaker.packed & Waker.generationUnreadBit != 0 ? storedWaker.withCurrentGeneration() : storedWaker
    }

    /// The waker; made by the executor without its generation (the flag
    /// `Waker.generationUnreadBit`), which ``waker`` then reads from the slot: a
    /// poll that never asks for its waker does not pay for that load. The task is
    /// running, so the slot's generation cannot change during the poll (only the
    /// executor's thread ends tasks), and the executor read the slot's state with
    /// acquire ordering before the poll, so the generation read is the one published
    /// with it.
    var storedWaker: Waker

    /// The executor's clock, read once per executor pass before this poll.
    /// Never later than the real time, so a timer compared against it never fires early.
    public let now: Instant

    /// The earliest deadline registered during this poll (``Instant/distantFuture``: none).
    public internal(set) var deadline: Instant

    /// Creates a context. Executors create one per poll; tests may create their
    /// own to poll a future by hand.
    public init(waker: Waker, now: Instant) {
        self.storedWaker = waker
        self.now = now
        self.deadline = .distantFuture
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
