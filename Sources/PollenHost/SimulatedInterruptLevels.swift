import Pollen

// SimulatedInterruptLevels.swift — executors bound to simulated interrupt lines:
// the host twin of the board's `InterruptExecutor` (Board/cortex-m/InterruptExecutor.swift).
//
// An executor bound to a line runs one round (`Executor.runRound`: due timers, one
// pass) in that line's handler, at the line's priority. Its pend hook raises the
// line, so waking one of its tasks from a less urgent context (a thread-mode task's
// poll, a lower line's handler) runs it at once, nested, exactly where a Cortex-M
// would take the interrupt; from a more urgent context it runs when that returns.
// After each round the executor's earliest deadline re-arms the line's one alarm
// on the virtual clock, so its timers fire at its own priority when a test (or a
// thread-mode task simulating a long computation) advances the clock.

/// What ``SimulatedInterruptController/bind(_:tasks:line:priority:clock:)``
/// returns: the binding of one executor to one line, and its statistics.
///
/// ```swift
/// let high = interrupts.bind(urgent, tasks: beat, line: 3, priority: 1, clock: clock)
/// // ... the thread executor runs; its tasks are preempted by `beat`'s tasks ...
/// #expect(high.rounds > 0)
/// ```
public final class SimulatedInterruptLevel: @unchecked Sendable {
    /// The line the executor runs on (`high.line`).
    public let line: Int
    /// Its priority, lower is more urgent (`high.priority`).
    public let priority: Int
    let controller: SimulatedInterruptController
    /// The pend hook handed to the executor (stable address, allocated at set-up).
    let hook: UnsafeMutablePointer<PendHook>
    /// Rounds run (handler entries): `#expect(high.rounds >= 2000)`.
    public internal(set) var rounds = 0
    /// The deadline the line's alarm is set for, if any:
    /// `#expect(high.armedDeadline == Instant(ticks: 1_000))`.
    public internal(set) var armedDeadline: Instant?

    init(line: Int, priority: Int, controller: SimulatedInterruptController) {
        self.line = line
        self.priority = priority
        self.controller = controller
        hook = .allocate(capacity: 1)
        hook.initialize(to: PendHook(function: { context in
            // Safety: the context is this level, alive as long as the controller
            // holds its handler (the binding is never released in tests).
            let level = Unmanaged<SimulatedInterruptLevel>.fromOpaque(context.unsafelyUnwrapped).takeUnretainedValue()
            level.controller.raise(level.line)
        }, context: nil))
        hook.pointee = PendHook(function: hook.pointee.function,
                                context: Unmanaged.passUnretained(self).toOpaque())
    }
}

extension SimulatedInterruptController {
    /// Binds `executor` to `line` at `priority`: its handler runs one round of the
    /// executor (``Executor/runRound(_:now:)``) over `tasks` at `clock`'s time and
    /// re-arms the line's alarm for the executor's earliest deadline; the
    /// executor's pend hook raises the line. Use a controller in
    /// ``Mode/preemptive`` mode to get preemption. Set-up only (allocates the
    /// binding); attach the executor's pools first and spawn after.
    ///
    /// ```swift
    /// let interrupts = SimulatedInterruptController(lineCount: 8, mode: .preemptive)
    /// let high = interrupts.bind(urgent, tasks: beat, line: 3, priority: 1, clock: clock)
    /// try beat.spawn(Heartbeat())          // runs at once, at priority 1
    /// ```
    ///
    /// - Precondition: `tasks` covers every pool attached to `executor`, and no
    ///   other handler is installed on `line` (stops with a message naming the
    ///   pool or the line).
    @discardableResult
    public func bind<let maskWords: Int, Tasks: TaskSet>(
        _ executor: Pinned<Executor<maskWords>>, tasks: Tasks, line: Int, priority: Int, clock: VirtualClock
    ) -> SimulatedInterruptLevel {
        precondition(!hasHandler(line), "SimulatedInterruptController.bind: line \(line) already has a handler")
        do throws(CapacityError) {
            try executor.pointee.check(tasks)
        } catch {
            var text = StringOutput()
            error.describe(to: &text)
            preconditionFailure("SimulatedInterruptController.bind: executor on line \(line): \(text.text)")
        }
        let level = SimulatedInterruptLevel(line: line, priority: priority, controller: self)
        setHandler(line: line, priority: priority) { [unowned self] in
            level.rounds += 1
            let next = executor.pointee.runRound(tasks, now: clock.now)
            level.armedDeadline = next
            clock.setOnlyAlarm(at: next, line: line, on: self)
        }
        executor.pointee.install(pendHook: UnsafePointer(level.hook))
        return level
    }
}
