import Synchronization

// The executor: ready mask, pass loop, idle step.
//
// # Task states
//
//            spawn / fill (1)                 poll → .pending (3)
//   FREE ───────────────────────▶ RUNNING ◀──────────────┐
//    ▲  ▲  reserve (2)              │  │ ▲    wake (4)    │
//    │  │     ▼                     │  └─┴── READY ───────┘
//    │  └── RESERVED ──fill (1)─────┘        (bit set)
//    │        │ drop reservation (8)
//    │◀───────┘
//    │◀── poll → .ready, detached (5) ──── RUNNING
//    │◀── JoinHandle takes output (6) ──── FINISHED ◀── poll → .ready, joinable (5)
//    └─── JoinHandle.cancel (7) ────────── RUNNING
//
//  (1) `TaskPool.spawn`/`spawnJoinable`/`SlotReservation.fill`: the future moves into
//      the slot and the slot's ready bit is set, so the first poll comes on the
//      next pass.
//  (2) `TaskPool.reserve`: the slot is claimed but holds nothing; it is never polled.
//  (3) `Executor.runReady` polls the task in place; it stays RUNNING.
//  (4) `Waker.wake`: atomic OR of the slot's bit (any context, interrupts included).
//  (5) completion: `TaskPool.pollSlot` → `ExecutorCore.endTask` advances the slot's
//      generation (all wakers of the task go stale) and drops its deadline. A detached
//      slot is FREE at once; a joinable one keeps the output (FINISHED).
//  (6) `JoinHandle.poll` takes the output → FREE.
//  (7) `JoinHandle.cancel` drops the future → `endTask` → FREE.
//  (8) `SlotReservation.deinit`.
//
// # The ready mask
//
// Slot `i` owns bit `i % 32` of word `i / 32`: the mask is exact, never "index mod 32"
// as in lilos. Waking is one atomic OR (single-word executors) or two (the word, then
// the summary bit of the word), so it is O(1) and interrupt-safe. Wakes coalesce: the
// bit is either set or not, so two wakes before a poll give one poll.
//
// A pass takes the ready bits with an atomic swap to zero (the summary first, then each
// word it names) and polls the slots of that snapshot in ascending slot order, finding
// each next one by a count-trailing-zeros: O(1) per ready task, whatever the number of
// slots. Tasks woken during a pass, including a task waking itself, run on the next
// pass, so no task can starve another: every task ready at the start of a pass is
// polled in that pass. Order within a pass is slot order, so a lower slot is a higher
// priority when several tasks are ready together (attach the latency-sensitive pool
// first).
//
// # Stale wakers
//
// Each slot has an 8-bit generation, advanced whenever a task ends. A waker carries
// the generation of its task, and `wake()` is ignored (`.stale`) when they differ. Only
// slots that hold a running task are polled, so a stale bit never polls an empty slot.
// A stale waker can cause a spurious poll of a new occupant only if the slot was reused
// exactly a multiple of 256 times, or if the wake raced the task's end on another
// core/thread; every future tolerates spurious polls by contract.
//
// # Sleeping without losing a wake
//
// When a pass finds nothing ready, `run` calls `Platform.idle`, handing it
// `isStillIdle`. The platform masks interrupts, re-checks, and only then sleeps
// (Cortex-M: `cpsid i; if idle { wfi }; cpsie i`: a wake that arrives after the check
// leaves the interrupt pending, which ends the `wfi` at once). A wake that arrives
// before the check is seen by it. Either way it is not lost.
//
// # Invariant PINNED
//
// Wakers, pools and handles point into the executor and into the pools. From the
// first `attach` on, the executor and every attached pool and timer queue must stay
// at one address for as long as the executor runs (globals on firmware; on the host,
// storage allocated once). They are `~Copyable`, so they cannot be copied by
// accident; `attach`, `run` and `waker(forSlot:)` check that the executor has not moved.

/// Runs the tasks of the pools attached to it. `maskWords` words of 32 ready bits
/// give `32 × maskWords` slots (at most 32 words: 1024 slots).
///
/// ```swift
/// var executor = Executor<1>()              // 32 slots
/// var tickers = TaskPool<Ticker, 1>(name: "ticker")
/// let ticker = try executor.attach(&tickers)   // capacity check, before any task runs
/// try ticker.spawn(Ticker())
/// executor.run(on: &platform, idle: .sleep, tasks: ticker)
/// ```
///
/// Fixed RAM: `MemoryLayout<Executor<maskWords>>.size` (per 32 slots: 4 bytes of
/// ready bits, 4 of summary, 32 of generations; plus the core's bookkeeping).
public struct Executor<let maskWords: Int>: ~Copyable {
    var groups: InlineArray<maskWords, WakeGroup>
    var core: ExecutorCore

    /// An executor with no pools. `ramBudget`, if given, bounds the total bytes of the
    /// pools that may be attached (checked by `attach`).
    public init(ramBudget: Int? = nil) {
        groups = InlineArray { _ in WakeGroup() }
        core = ExecutorCore(groupCount: maskWords, ramBudget: ramBudget)
    }

    /// Number of task slots: `32 × maskWords`.
    public static var slotCapacity: Int { maskWords * 32 }

    /// Slots handed to attached pools so far.
    public var slotsUsed: Int { core.slotsUsed }
    /// Bytes of RAM used by the attached pools.
    public var poolBytes: Int { core.poolBytes }
    /// The RAM budget for pools, if one was declared.
    public var ramBudget: Int? { core.ramBudget }
    /// How many deadlines did not fit in the timer queue (see ``TimerQueue``).
    public var timerOverflows: Int { core.timerOverflows }
    /// The most tasks seen waiting on a deadline at once, counting those that did not
    /// fit in the timer queue (0 until the queue first overflows: below its capacity
    /// the queue is big enough by definition).
    public var timerPeakDemand: Int { core.timerPeakDemand }

    /// Writes the timer queue's verdict: its capacity, and if it ever overflowed, how
    /// often, the peak demand, and the capacity to use instead. One line, for a
    /// diagnostics task, a test, or a shutdown report.
    public func describeTimerQueue<Output: TextOutput & ~Copyable>(to out: inout Output) {
        if core.timers.capacity == 0 {
            out.write("timer queue: none; deadlines wait in the deadline register (each time the earliest passes, every task waiting on time is polled)\n")
            return
        }
        out.write("timer queue: capacity "); out.write(core.timers.capacity)
        if core.timerOverflows == 0 {
            out.write(", never full\n")
            return
        }
        out.write(", overflowed "); out.write(core.timerOverflows)
        out.write(" times (peak demand "); out.write(core.timerPeakDemand)
        out.write(" tasks); no timer was lost, but overflowed tasks may be polled early; raise the TimerQueue capacity to ")
        out.write(core.timerPeakDemand); out.write("\n")
    }
    /// Deadlines currently armed.
    public var armedTimers: Int { core.timers.count }
    /// The earliest armed deadline, if any.
    public var nextDeadline: Instant? {
        let earliest = min(core.timers.earliest, core.registerDeadline)
        return earliest == .distantFuture ? nil : earliest
    }
    /// The clock as read at the start of the latest pass.
    public var now: Instant { core.now }

    /// Gives `pool` the next free range of slots. This is the start-up capacity
    /// check: a pool that does not fit the executor's slots, or would exceed its RAM
    /// budget, is rejected here, before any task runs, with an error naming the pool
    /// and the numbers.
    ///
    /// Returns the ``PoolRef`` to pass to ``run(on:idle:tasks:)`` / ``runReady(_:now:)``
    /// (combine several with ``tasks(_:_:)``) and to spawn with.
    ///
    /// Invariant PINNED: from now on neither the executor nor `pool` may move.
    public mutating func attach<Task: Future & ~Copyable, let capacity: Int>(
        _ pool: inout TaskPool<Task, capacity>
    ) throws(CapacityError) -> PoolRef<Task, capacity> {
        guard !pool.link.isAttached else { throw .alreadyAttached(pool: pool.link.name) }
        let limit = Self.slotCapacity
        // Wrapping arithmetic: slotsUsed ≤ limit and poolBytes ≤ budget always hold.
        guard capacity <= limit &- core.slotsUsed else {
            throw .slotsExceeded(pool: pool.link.name, capacity: capacity, alreadyUsed: core.slotsUsed, limit: limit)
        }
        if let budget = core.ramBudget, pool.link.bytes > budget &- core.poolBytes {
            throw .ramBudgetExceeded(pool: pool.link.name, bytes: pool.link.bytes,
                                     alreadyUsed: core.poolBytes, budget: budget)
        }
        pin()
        pool.link.base = core.slotsUsed
        pool.link.executor = withUnsafeMutablePointer(to: &core) { $0 }
        let link = withUnsafeMutablePointer(to: &pool.link) { $0 }
        // Append, so the capacity report lists pools in attach (= slot) order.
        if var last = core.pools {
            while let next = last.pointee.next { last = next }
            last.pointee.next = link
        } else {
            core.pools = link
        }
        core.slotsUsed &+= capacity
        core.poolBytes &+= pool.link.bytes
        return PoolRef(pool: pool.pinnedAddress, base: pool.link.base)
    }

    /// Attaches a queue for exact per-task deadlines (see ``TimerQueue``). Without
    /// one, every deadline waits in the deadline register, and none of the queue's
    /// code is linked. Attaching again replaces the queue (only before any deadline
    /// is armed).
    public mutating func attach<let capacity: Int>(timers queue: inout TimerQueue<capacity>) {
        precondition(core.timers.count == 0, "Executor: replace the timer queue before any deadline is armed")
        pin()
        core.timers.entries = withUnsafeMutablePointer(to: &queue.entries) {
            UnsafeMutableRawPointer($0).assumingMemoryBound(to: TimerEntry.self)
        }
        core.timers.capacity = capacity
        core.timers.code = .standard
    }

    /// Writes what is attached: every pool with its slots and bytes, the totals
    /// against the limits, and the timer queue.
    public func describeCapacity<Output: TextOutput & ~Copyable>(to out: inout Output) {
        var link = core.pools
        while let l = link {
            out.write("pool '"); out.write(l.pointee.name); out.write("': slots ")
            out.write(l.pointee.base); out.write("..<"); out.write(l.pointee.base + l.pointee.capacity)
            out.write(", "); out.write(l.pointee.bytes); out.write(" bytes\n")
            link = l.pointee.next
        }
        out.write("slots: "); out.write(core.slotsUsed); out.write(" of "); out.write(Self.slotCapacity)
        out.write("; pool RAM: "); out.write(core.poolBytes); out.write(" bytes")
        if let budget = core.ramBudget { out.write(" of "); out.write(budget) }
        out.write("; timer queue: "); out.write(core.timers.capacity); out.write(" entries\n")
    }

    /// Records (first call) or checks (later calls) the executor's address.
    mutating func pin() {
        precondition(maskWords >= 1 && maskWords <= 32, "Executor: maskWords must be 1...32")
        // InlineArray elements are contiguous, so the address of `groups` is that of
        // group 0.
        let first = withUnsafeMutablePointer(to: &groups) {
            UnsafeMutableRawPointer($0).assumingMemoryBound(to: WakeGroup.self)
        }
        if let pinned = core.groups {
            precondition(pinned == first, "Executor moved after attach (invariant PINNED): keep it in a global or in storage allocated once")
        } else {
            core.groups = first
        }
    }

    /// A waker for the task currently in executor-wide `slot` (for tests and drivers
    /// that need to wake a task they know by slot).
    public mutating func waker(forSlot slot: Int) -> Waker {
        pin()
        return core.waker(forSlot: slot)
    }

    /// `true` when at least one ready bit is set.
    public var hasReadyTasks: Bool {
        maskWords == 1
            ? groups[0].ready.load(ordering: .acquiring) != 0
            : groups[0].summary.load(ordering: .acquiring) != 0
    }

    /// Runs one pass: polls every task that was ready when the pass began, in slot
    /// order, each once. Tasks woken meanwhile wait for the next pass. Returns the
    /// number of tasks polled. `now` becomes the clock of every poll's context.
    @discardableResult
    public mutating func runReady<Tasks: TaskSet>(_ tasks: Tasks, now: Instant) -> Int {
        core.now = now
        var polled = 0
        if maskWords == 1 {
            var bits = groups[0].ready.exchange(0, ordering: .acquiring)
            while bits != 0 {
                let bit = bits.trailingZeroBitCount
                bits &= bits &- 1
                polled &+= pollSlot(bit, tasks)
            }
        } else {
            var summary = groups[0].summary.exchange(0, ordering: .acquiring)
            while summary != 0 {
                let group = summary.trailingZeroBitCount
                summary &= summary &- 1
                var bits = groups[unchecked: group].ready.exchange(0, ordering: .acquiring)
                while bits != 0 {
                    let bit = bits.trailingZeroBitCount
                    bits &= bits &- 1
                    polled &+= pollSlot(group &<< 5 | bit, tasks)
                }
            }
        }
        return polled
    }

    /// Runs one pass at the current ``now``.
    @discardableResult
    public mutating func runReady<Tasks: TaskSet>(_ tasks: Tasks) -> Int { runReady(tasks, now: core.now) }

    /// Wakes every task whose deadline is at or before `now`. Returns whether it
    /// woke any.
    @discardableResult
    public mutating func fireTimers(now: Instant) -> Bool {
        var fired = false
        if core.registerDeadline <= now { fired = fireRegister() }
        if core.timers.count > 0 && core.expireTimers(now: now) { fired = true }
        return fired
    }

    /// Schedules every task in the deadline register and empties it. Returns whether
    /// it held any (a slot whose task has ended since gets one harmless spurious
    /// ready bit: only slots holding a running task are polled).
    mutating func fireRegister() -> Bool {
        core.registerDeadline = .distantFuture
        var any: UInt32 = 0
        for g in 0..<maskWords {
            let bits = groups[g].registered
            if bits == 0 { continue }
            any |= bits
            groups[g].registered = 0
            groups[g].ready.bitwiseOr(bits, ordering: .releasing)
            if maskWords > 1 { groups[0].summary.bitwiseOr(1 &<< UInt32(truncatingIfNeeded: g), ordering: .releasing) }
        }
        return any != 0
    }

    /// Runs the tasks of `tasks` (every attached pool) until the platform's idle
    /// step says `.stop` (never, on firmware).
    ///
    /// Each round: read the clock, wake the tasks whose deadline passed, run one pass
    /// if anything is ready; otherwise call `platform.idle` with the next deadline
    /// and the chosen strategy.
    ///
    /// `tasks` must cover every attached pool (a pool left out would never run):
    /// this is checked on entry and stops the program with a message otherwise.
    public mutating func run<P: Platform & ~Copyable, Tasks: TaskSet>(
        on platform: inout P, idle strategy: IdleStrategy, tasks: Tasks
    ) {
        pin()
        precondition(tasks.slotCount == core.slotsUsed,
                     "Executor.run: `tasks` must list every attached pool (their slot counts differ)")
        while true {
            let now = platform.now()
            if core.timers.earliest <= now || core.registerDeadline <= now { fireTimers(now: now) }
            if runReady(tasks, now: now) != 0 || hasReadyTasks { continue }
            let outcome = platform.idle(until: nextDeadline, strategy: strategy,
                                        isStillIdle: { !self.hasReadyTasks })
            if case .stop = outcome { return }
        }
    }

    /// Keeps a deadline that has no queue entry in the deadline register. (With a
    /// queue attached that is an overflow, which the queue's code has counted.)
    @inline(never)
    mutating func register(slot: Int, deadline: Instant) {
        groups[unchecked: slot &>> 5].registered |= 1 &<< UInt32(truncatingIfNeeded: slot & 31)
        if deadline < core.registerDeadline { core.registerDeadline = deadline }
    }

    /// Polls one slot through `tasks`, then records or drops its deadline. Returns 1
    /// if a task was polled, else 0.
    mutating func pollSlot<Tasks: TaskSet>(_ slot: Int, _ tasks: Tasks) -> Int {
        var context = Context(waker: core.waker(forSlot: slot), now: core.now)
        let result = tasks.poll(slot: slot, context: &context)
        switch result {
        case .notRunning:
            return 0
        case .completed:
            return 1
        case .pending:
            // One scan of the queue sets, moves or drops the task's entry (skipped
            // when the task has no deadline and none is armed); a deadline without
            // an entry goes to the register.
            if context.deadline != .distantFuture || core.timers.count > 0,
               !core.updateTimer(slot: context.waker.slot, deadline: context.deadline) {
                register(slot: slot, deadline: context.deadline)
            }
            return 1
        }
    }
}
