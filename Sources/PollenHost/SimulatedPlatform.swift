import Pollen

/// The deterministic host platform: virtual time and deferred simulated interrupts.
///
/// The idle step, when no task is ready:
/// 1. runs pending interrupt handlers (they may wake tasks) and returns;
/// 2. otherwise, with `.sleep`, jumps the virtual clock straight to the next event
///    (the executor's next deadline or the clock's next alarm), so long waits cost
///    nothing; with `.busyPoll`, advances it by ``busyPollQuantum`` per step, as a
///    spinning CPU would see time pass;
/// 3. returns `.stop` when no event can ever happen again (nothing ready, nothing
///    pending, no deadline, no alarm), when ``stopTime`` is reached, or when
///    ``shouldStop`` says so: the run is over.
///
/// Time is read as firmware reads it: from a 32-bit wrapping hardware counter
/// widened by a ``TickExtender``. Like the boards' tickless idle (whose alarm
/// also fires at every half-period of its counter), the clock never jumps more
/// than half a counter period (2^31 µs ≈ 35.8 min) in one step, so the
/// extender sees every wrap. Each sleep that ends counts as one of
/// ``idleWakeups``.
public struct SimulatedPlatform: Platform {
    /// The virtual clock.
    public let clock: VirtualClock
    /// The simulated interrupt controller (deferred mode).
    public let interrupts: SimulatedInterruptController
    /// End the run when virtual time reaches this instant.
    public var stopTime: Instant?
    /// Checked at every idle step; `true` ends the run.
    public var shouldStop: (() -> Bool)?
    /// How far the clock moves per idle step with `.busyPoll`.
    public var busyPollQuantum = Duration.microseconds(10)
    /// Idle steps taken.
    public private(set) var idleSteps = 0
    /// Idle steps that slept (jumped to the next event).
    public private(set) var sleeps = 0
    /// Idle wake-ups: times the simulated core slept and was woken, by a
    /// deadline, an alarm, or the end of a ``maximumJump`` step (the firmware's
    /// maintenance wake). The host's form of the boards' `Board.idleWakeups`, so
    /// a test can assert a power figure: blinky's 500 ms ticker wakes the core
    /// 20 times in 10 s (Tests/PollenTests/SimulationTests.swift), as on the
    /// boards (Tests/Firmware/tickless). (The firmware counter also counts a
    /// `wfi` that falls through on an interrupt already pending; here such an
    /// interrupt is serviced before the core would sleep, and is not counted.)
    public private(set) var idleWakeups = 0
    /// Idle steps that spun (busy-poll).
    public private(set) var spins = 0
    private var extender: TickExtender

    /// Maximum clock jump per idle step (half the 32-bit counter period).
    public static let maximumJump = Duration(ticks: 1 << 31)

    /// A platform over `clock` and `interrupts`.
    public init(clock: VirtualClock = VirtualClock(),
                interrupts: SimulatedInterruptController = SimulatedInterruptController(lineCount: 32)) {
        self.clock = clock
        self.interrupts = interrupts
        extender = TickExtender(startingAt: clock.hardwareCounter,
                                wraps: UInt32(truncatingIfNeeded: clock.now.ticks >> 32))
    }

    /// The virtual time, through the wrapping 32-bit counter.
    public mutating func now() -> Instant {
        Instant(ticks: extender.extend(clock.hardwareCounter))
    }

    public mutating func idle(until deadline: Instant?, strategy: IdleStrategy,
                              isStillIdle: () -> Bool) -> IdleOutcome {
        idleSteps += 1
        if interrupts.hasPending {
            interrupts.servicePending()
            return .resumed
        }
        guard isStillIdle() else { return .resumed }
        if let shouldStop, shouldStop() { return .stop }
        let current = now()
        if let stopTime, current >= stopTime { return .stop }
        var next: Instant? = deadline
        if let alarm = clock.nextAlarm, next == nil || alarm < next! { next = alarm }
        guard var target = next else { return .stop }
        if let stopTime, target > stopTime { target = stopTime }
        switch strategy {
        case .sleep:
            sleeps += 1
        case .busyPoll:
            spins += 1
            let step = current + busyPollQuantum
            if step < target { target = step }
        }
        let cap = current + Self.maximumJump
        if cap < target { target = cap }
        clock.advance(to: target)
        if case .sleep = strategy { idleWakeups += 1 }
        interrupts.servicePending()
        return .resumed
    }
}
