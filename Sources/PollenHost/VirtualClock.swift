import Pollen

/// Simulated time for deterministic host runs: it moves only when told to, so
/// hours of timers run in milliseconds and every run is identical.
///
/// Alarms raise an interrupt line when the clock reaches them, like hardware
/// compare timers or a scripted external event ("the UART receives a byte at 5 ms").
///
/// The clock also models a 32-bit hardware counter of microseconds that wraps
/// every 71.6 minutes (``hardwareCounter``); the ``SimulatedPlatform`` reads time
/// through it and a ``TickExtender``, exactly as firmware does.
public final class VirtualClock: @unchecked Sendable {
    struct Alarm {
        var at: Instant
        var line: Int
        var controller: SimulatedInterruptController
    }

    /// The current simulated time.
    public private(set) var now: Instant
    private var alarms: [Alarm] = []

    /// A clock reading `start`.
    public init(start: Instant = .zero) {
        now = start
        alarms.reserveCapacity(64)
    }

    /// The simulated 32-bit hardware counter: the low 32 bits of ``now``.
    public var hardwareCounter: UInt32 { UInt32(truncatingIfNeeded: now.ticks) }

    /// Moves the clock forward by `d`, raising alarms that are reached.
    public func advance(by d: Duration) { advance(to: now + d) }

    /// Moves the clock to `t` if it is later (time never goes backwards), raising
    /// every alarm at or before the new time, earliest first.
    public func advance(to t: Instant) {
        if t > now { now = t }
        // Plain loops, no closures: a closure here allocated its context on every
        // call in debug builds (the allocation tests run the clock in steady state).
        while true {
            var earliest = -1
            var i = 0
            while i < alarms.count {
                if earliest < 0 || alarms[i].at < alarms[earliest].at { earliest = i }
                i += 1
            }
            guard earliest >= 0, alarms[earliest].at <= now else { return }
            let a = alarms.remove(at: earliest)
            a.controller.raise(a.line)
        }
    }

    /// Raises `line` on `controller` when the clock reaches `instant` (at once if it
    /// already has). Up to 64 alarms may be outstanding without allocating.
    public func setAlarm(at instant: Instant, line: Int, on controller: SimulatedInterruptController) {
        alarms.append(Alarm(at: instant, line: line, controller: controller))
        advance(to: now)
    }

    /// Sets the one alarm of `line` on `controller` to `instant`, replacing any
    /// it had; `nil` cancels it. A one-shot compare timer per line: an executor
    /// bound to the line re-arms it for its earliest deadline after every round
    /// (``SimulatedInterruptController/bind(_:tasks:line:priority:clock:)``).
    /// Never allocates while fewer than 64 alarms are outstanding.
    ///
    /// ```swift
    /// clock.setOnlyAlarm(at: Instant(ticks: 5_000), line: 3, on: interrupts)
    /// clock.setOnlyAlarm(at: nil, line: 3, on: interrupts)      // cancelled
    /// ```
    public func setOnlyAlarm(at instant: Instant?, line: Int, on controller: SimulatedInterruptController) {
        var found: Int? = nil
        var k = 0
        while k < alarms.count {
            if alarms[k].line == line && alarms[k].controller === controller { found = k; break }
            k += 1
        }
        if let i = found {
            if let instant {
                alarms[i].at = instant
            } else {
                alarms.remove(at: i)
                return
            }
        } else if let instant {
            alarms.append(Alarm(at: instant, line: line, controller: controller))
        } else {
            return
        }
        advance(to: now)
    }

    /// The earliest outstanding alarm, if any.
    public var nextAlarm: Instant? {
        var earliest: Instant?
        for alarm in alarms where earliest == nil || alarm.at < earliest! { earliest = alarm.at }
        return earliest
    }
}
