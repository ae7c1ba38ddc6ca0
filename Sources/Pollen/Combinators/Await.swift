// Await: one await point of a hand-written `poll`, written as one line.
//
// Without it, every await point of a hand-written future is an optional stored
// field, an `if x == nil { x = … }`, a `guard case .ready = x!.poll(&context)`
// and an `x = nil`. `Await` holds that optional and does those four steps:
//
//     guard let byte = next.poll(&context, uart.receive()) else { return .pending }
//
// A worked example, a button debouncer, closes this file's documentation (see
// ``Await``).

/// A reusable await slot for a hand-written ``Future/poll(_:)``: it starts its
/// future when first polled, polls it in place, and when it completes drops it
/// and hands back its output. Each await point is then one line, with no
/// optional to juggle and no `!`.
///
/// ```swift
/// struct Echo: ~Copyable, Future {      // ~Copyable: it holds a ~Copyable future
///     var next = Await<ChannelReceive<UInt8, 16>>()
///
///     mutating func poll(_ context: inout Context) -> Poll<Never> {
///         while true {
///             guard let byte = next.poll(&context, rx.receive()) else { return .pending }
///             Board.writeByte(byte)
///         }
///     }
/// }
/// ```
///
/// Contract:
/// - ``poll(_:_:)`` and ``poll(_:start:)`` return the future's output (and the
///   slot is empty again) in the poll in which it completes, `nil` while it is
///   pending. After a completion the next call starts a new future: a slot used
///   in a loop awaits once per turn.
/// - The future is built only when the slot is empty: the expression (or the
///   `start` closure) is not evaluated while a future is running. A `send`
///   future that carries a value is therefore built once, not once per poll.
/// - When the future completes, the deadlines it registered in that poll are
///   discarded (as in ``Then``): a finished await leaves nothing armed.
/// - For a future whose output is `Void`, compare with `nil`:
///   `guard settle.poll(&context, .after(.milliseconds(20))) != nil else { return .pending }`.
///
/// Closures: `start` (and the `@autoclosure` of ``poll(_:_:)``) is
/// *non-escaping*: it is called during the call or not at all, and never
/// stored. So it may capture locals, parameters and `self`'s other fields on
/// firmware too: a non-escaping closure's context lives on the stack, and
/// `-no-allocations` accepts it (verified for armv7em and armv6m with a `start`
/// that captures a local and another field of `self`). It costs no bytes in
/// the slot. Only an *escaping* closure that captures allocates, and `Await`
/// takes none.
///
/// Size: exactly `MemoryLayout<F?>.size`, the future plus at most one tag byte
/// (none when the future has spare bits), e.g. `Await<Timer>` is 9 bytes on
/// x86_64 and armv7em, like `Timer` itself. A future's fields add up: a struct
/// with three `Await` fields is as big as the three futures. When the awaits of
/// a task are many and large, keep one `Await` per future *type* and reuse it
/// across phases, or use ``Then``/``steps(_:)``, whose size is the largest stage.
///
/// Stack: the running future is polled where it lies, in the slot. Starting one
/// and dropping a finished one each use a temporary of the future's size, in
/// their own small functions, so polling needs no more stack than the future's
/// own poll (armv7em `-Osize`: between a task's poll and the poll of the
/// 264-byte future it awaits through a slot, the frames take 32 bytes; 296 with
/// those two steps inlined).
///
/// Works with `~Copyable` futures (``NotifyWait``, ``ChannelReceive``,
/// ``JoinHandle``); `Await<F>` is `~Copyable` exactly when `F` is.
///
/// Cancel safety: dropping the slot (or the task holding it), or calling
/// ``cancel()``, drops the running future at once, and that future's own cancel
/// safety applies (a dropped ``ChannelReceive`` loses nothing; a dropped
/// ``NotifyWait`` passes on a notification it was handed). Nothing is dropped
/// twice and no output is lost by the slot itself: an output is returned in the
/// very call in which the future produced it.
///
/// Interrupt safety: none needed; the slot is a field of a task's future and is
/// used from that task's poll only.
///
/// # A button debouncer in this style
///
/// The interrupt side publishes the pin's level on every edge; the task waits
/// for a press edge, lets the contact settle for 20 ms, reports the press if the
/// button is still down, then waits for the release:
///
/// ```swift
/// nonisolated(unsafe) var buttonEdges = InterruptSignal<Bool>()   // true: pressed (pin low)
/// nonisolated(unsafe) var presses = Channel<Void, 4>()
///
/// // GPIO interrupt handler: buttonEdges.signal(Board.buttonIsLow)
///
/// struct Debouncer: ~Copyable, Future {
///     enum Phase { case waitPress, settle, report, waitRelease }
///     var phase = Phase.waitPress
///     var edge = Await<InterruptSignalWait<Bool>>()
///     var settle = Await<Timer>()
///     var send = Await<ChannelSend<Void, 4>>()
///
///     mutating func poll(_ context: inout Context) -> Poll<Never> {
///         while true {
///             switch phase {
///             case .waitPress:
///                 guard let low = edge.poll(&context, buttonEdges.wait()) else { return .pending }
///                 if low { phase = .settle }
///             case .settle:
///                 guard settle.poll(&context, .after(.milliseconds(20))) != nil else { return .pending }
///                 phase = Board.buttonIsLow ? .report : .waitRelease
///             case .report:
///                 guard send.poll(&context, presses.send(())) != nil else { return .pending }
///                 phase = .waitRelease
///             case .waitRelease:
///                 guard let low = edge.poll(&context, buttonEdges.wait()) else { return .pending }
///                 if !low { phase = .waitPress }
///             }
///         }
///     }
/// }
/// ```
///
/// Bounces during the 20 ms coalesce in the signal (latest level wins), and the
/// level read after the settle decides. `AwaitTests` runs this task (with a
/// simulated pin) against bouncy edge trains.
///
/// Lines (non-blank, non-comment): the task is 25 (the two globals add 2);
/// embassy's
/// `loop { button.wait_for_falling_edge().await; Timer::after_millis(20).await;
/// if button.is_low() { presses.send(()).await; } button.wait_for_rising_edge().await; }`
/// with its `async fn` line is about 10. Every await is one line here too; the
/// difference is the explicit state machine (a `Phase` case and its transition
/// per await, plus the `while`/`switch` frame, about 2 lines per await and 7 of
/// frame), which `async` writes for you. Closing that gap is the job of control
/// flow in `steps`, not of this slot.
public struct Await<F: Future & ~Copyable>: ~Copyable {
    /// The running future, if any.
    var future: F?

    /// An empty slot: nothing runs until the first ``poll(_:_:)``.
    ///
    /// ```swift
    /// var settle = Await<Timer>()
    /// ```
    ///
    /// Cancel safety and interrupt safety: not applicable (nothing runs yet).
    public init() {
        future = nil
    }

    /// Whether a future has been started and has neither completed nor been
    /// cancelled.
    ///
    /// ```swift
    /// if !settle.isRunning { Board.setLED(false) }   // between two awaits
    /// ```
    public var isRunning: Bool {
        future != nil
    }

    /// Awaits the future that `start` builds: starts it if the slot is empty,
    /// polls it in place, and returns its output in the poll in which it
    /// completes (the slot is empty again then), `nil` while it is pending.
    ///
    /// ```swift
    /// guard let byte = next.poll(&context, start: { rx.receive() }) else { return .pending }
    /// ```
    ///
    /// `start` runs only when the slot is empty; it is non-escaping, so it may
    /// capture (see the type's documentation).
    ///
    /// Cancel safety: see the type (the slot adds nothing to the future's own).
    public mutating func poll(_ context: inout Context, start: () -> F) -> F.Output? {
        if future == nil { begin(start) }
        let before = context.deadline
        // In place: the optional's payload is polled where it lies (the force
        // unwrap of a stored optional is an access to it, not a copy).
        switch future!.poll(&context) {
        case .pending:
            return nil
        case .ready(let output):
            end(&context, before)
            return output
        }
    }

    /// Builds and stores the future. Not inlined: building a future into an
    /// optional goes through a temporary of the future's size on the stack, and
    /// that frame should not stay on the stack while the future is polled.
    @inline(never)
    mutating func begin(_ start: () -> F) {
        // The slot is empty here: the new future goes straight into it.
        withUnsafeMutablePointer(to: &future) { $0.initializeSome(start()) }
    }

    /// Drops the finished future and forgets the deadlines it registered in this
    /// poll. Not inlined, for the same reason (assigning `nil` materializes an
    /// empty optional on the stack), as ``Select2``'s `finish`.
    @inline(never)
    mutating func end(_ context: inout Context, _ before: Instant) {
        future = nil
        context.deadline = before
    }

    /// Awaits `future`, which is evaluated only when the slot is empty; see
    /// ``poll(_:start:)``.
    ///
    /// ```swift
    /// guard settle.poll(&context, .after(.milliseconds(20))) != nil else { return .pending }
    /// guard let low = edge.poll(&context, buttonEdges.wait()) else { return .pending }
    /// ```
    ///
    /// The argument is an `@autoclosure`: writing `rx.receive()` here does not
    /// build a receive on every poll, only when a new await starts.
    ///
    /// Cancel safety: see the type.
    public mutating func poll(_ context: inout Context, _ future: @autoclosure () -> F) -> F.Output? {
        poll(&context, start: future)
    }

    /// Drops the running future, if any (its `deinit` runs now), and leaves the
    /// slot empty: the next poll starts a new one. Returns whether a future was
    /// running.
    ///
    /// ```swift
    /// if stopRequested { settle.cancel(); phase = .idle }
    /// ```
    ///
    /// Cancel safety: that of the dropped future.
    @discardableResult
    public mutating func cancel() -> Bool {
        guard future != nil else { return false }
        future = nil
        return true
    }
}

extension Await: Copyable where F: Copyable {}
