/// How the executor spends time when no task is ready.
public enum IdleStrategy: Sendable {
    /// Keep checking the ready mask without sleeping: lowest wake latency, full power.
    case busyPoll
    /// Sleep until an interrupt (Cortex-M `wfi`; host: a condition wait or the next
    /// simulated interrupt). The ready mask is re-checked with interrupts masked first,
    /// so a wake that lands between "nothing is ready" and "sleep" is never lost.
    case sleep
}

/// What the platform tells the executor after an idle step.
public enum IdleOutcome: Sendable {
    /// Something may be ready (an interrupt ran, or a deadline passed): poll again.
    case resumed
    /// Nothing can ever become ready again, or the platform was asked to stop: leave `run`.
    case stop
}

/// The one seam between the portable core and the machine underneath.
///
/// The core never touches hardware. Everything it needs from a machine is here:
/// a clock, an idle step, and (optionally) a pend hook. Interrupt safety of wakes is the job of
/// `Synchronization.Atomic` (on Cortex-M0 the board supplies the `__atomic_*`
/// helpers as interrupt-masking critical sections).
///
/// Implementations: `CortexMPlatform` (Board/common), `SimulatedPlatform` and
/// `ThreadedPlatform` (PollenHost).
public protocol Platform: ~Copyable {
    /// The current time. Monotonic: never smaller than an earlier answer.
    mutating func now() -> Instant

    /// Called by the executor when no task is ready.
    ///
    /// Contract: with interrupts masked (or the host equivalent lock held), call
    /// `isStillIdle`; if it returns `false`, unmask and return `.resumed` at once.
    /// Otherwise wait (per `strategy`) until an interrupt has run or `deadline`
    /// (if not `nil`) has been reached, unmask, and return `.resumed`. Return `.stop`
    /// only when the platform knows nothing will ever wake a task again, or the
    /// run should end (host simulations use it to finish a test).
    ///
    /// `isStillIdle` is cheap, non-blocking and interrupt-safe; it may be called
    /// several times.
    mutating func idle(until deadline: Instant?, strategy: IdleStrategy,
                       isStillIdle: () -> Bool) -> IdleOutcome

    /// Called after a wake or spawn from any context has set a ready bit, once
    /// `Executor.run(on:)` has installed it: it must make a pending or future idle
    /// step return (a condition variable's signal on the host; pending the
    /// executor's interrupt for an executor run from an interrupt handler). `nil`
    /// (the default) when any wake already ends the idle step by itself, as on a
    /// Cortex-M thread-mode executor, where the interrupt that woke a task also ends
    /// the `wfi`; wakes then skip the hook at no cost.
    ///
    /// The hook must stay at this address while the executor runs.
    var pendHook: UnsafePointer<PendHook>? { get }
}

extension Platform where Self: ~Copyable {
    /// No pend hook: see ``Platform/pendHook``.
    public var pendHook: UnsafePointer<PendHook>? { nil }
}
