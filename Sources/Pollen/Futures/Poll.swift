/// The answer of one ``Future/poll(_:)`` call.
public enum Poll<Value> {
    /// The future finished and produced `Value`. It must not be polled again.
    case ready(Value)
    /// Not finished. The future has arranged for `context.waker` to be woken (or a
    /// deadline to be registered with `context.wake(at:)`) when it can make progress.
    case pending
}

extension Poll {
    /// `true` for `.ready`.
    public var isReady: Bool {
        if case .ready = self { return true }
        return false
    }
}
