/// Holds the latest value sent to it until a task takes it: "latest value wins".
///
/// ```swift
/// var temperature = Signal<Int16>()          // a global on firmware (PINNED)
/// // sensor task:   temperature.signal(reading)
/// // display task:  var next = temperature.wait()   … .ready(latestReading)
/// ```
///
/// - ``signal(_:)`` stores the value, replacing one nobody has taken yet (values
///   are not queued: use a ``Channel`` for that), and wakes the oldest waiter.
/// - ``wait()`` completes with the stored value, taking it (the signal is empty
///   again), at once if one is stored, else as soon as one is signalled.
/// - ``take()`` takes the value without waiting.
///
/// Each value is delivered to at most one waiter. With several waiters, the
/// oldest is woken; if another task takes the value first, the woken one simply
/// waits again.
///
/// Capacity: ``waiterCapacity`` (4) tasks can sleep on the signal at once. Beyond
/// that a waiter wakes itself and polls on every executor pass (busy, never hung).
///
/// Cancel safety: dropping a pending wait removes its entry; a value is only
/// taken by a wait that completes, so it is never lost to a cancelled waiter.
/// If a woken waiter is dropped before it took the value, it wakes the next
/// waiter. A task should have at most one pending wait on a given signal.
///
/// Invariant PINNED: once ``wait()`` has been called, the signal must stay at one
/// address while any wait future exists. Not interrupt-safe: use from task
/// context. From an interrupt handler, use ``InterruptSignal`` (the same "latest
/// value wins" for one waiting task) or a ``Channel`` sender.
public struct Signal<Value>: ~Copyable {
    var value: Value?
    var list = WaiterList<4>()

    /// How many tasks can sleep on one signal at the same time.
    public static var waiterCapacity: Int { 4 }

    /// An empty signal.
    public init() {
        value = nil
    }

    /// Whether a value is stored (signalled and not yet taken).
    public var isSignaled: Bool { value != nil }

    /// Stores `newValue` (replacing any value not yet taken) and wakes the oldest waiter.
    public mutating func signal(_ newValue: Value) {
        value = newValue
        list.wakeOne()
    }

    /// Takes the stored value, if any, without waiting.
    public mutating func take() -> Value? {
        value.take()
    }

    /// A future that completes with the next (or the stored) value, taking it.
    /// Invariant PINNED: see the type's documentation.
    public mutating func wait() -> SignalWait<Value> {
        SignalWait(signal: withUnsafeMutablePointer(to: &self) { $0 })
    }
}

/// Waits for a ``Signal``'s value and takes it.
///
/// ```swift
/// var next = temperature.wait()
/// if case .ready(let celsius) = next.poll(&context) { show(celsius) }
/// ```
///
/// Cancel safety: see ``Signal``.
public struct SignalWait<Value>: ~Copyable, Future {
    let signal: UnsafeMutablePointer<Signal<Value>>
    var state = WaitRegistration.initial
    /// Makes the deinit run on the host (see ``DropAnchor``).
    let anchor = DropAnchor()

    init(signal: UnsafeMutablePointer<Signal<Value>>) {
        self.signal = signal
    }

    /// Takes the value if one is stored; otherwise registers and waits.
    public mutating func poll(_ context: inout Context) -> Poll<Value> {
        // Safety: PINNED, the signal outlives this future.
        if case .done = state { preconditionFailure("SignalWait polled after it completed") }
        if let value = signal.pointee.value.take() {
            if case .listed(let waker) = state { signal.pointee.list.remove(waker) }
            state = .done
            return .ready(value)
        }
        state = signal.pointee.list.enlist(context.waker)
        return .pending
    }

    deinit {
        guard case .listed(let waker) = state else { return }
        if signal.pointee.list.contains(waker) {
            signal.pointee.list.remove(waker)
        } else if signal.pointee.value != nil {
            // Woken for a value it never took: let the next waiter have it.
            signal.pointee.list.wakeOne()
        }
    }
}
