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
//  (1) `PoolRef.spawn`/`spawnJoinable`/`SlotReservation.fill`, from any context: a
//      compare-exchange FREE → RESERVED claims the slot, the future moves in, the
//      generation becomes odd, a release store publishes RUNNING, and the slot's
//      ready bit is set (then the pend hook), so the first poll comes on the next
//      pass (invariant CLAIMED, `TaskSlot.swift`).
//  (2) `PoolRef.reserve`: the slot is claimed but holds nothing; it is never polled.
//  (3) `Executor.runReady` polls the task in place; it stays RUNNING.
//  (4) `Waker.wake`: atomic OR of the slot's bit (any context, interrupts included).
//  (5) completion: `TaskPool.pollSlot` drops the future, then `ExecutorCore.endTask`
//      advances the slot's generation to even (all wakers of the task go stale),
//      drops its deadline (queue entry and register bit), its bit in the
//      current pass and its ready bit; only then is the slot published FREE (detached) or FINISHED
//      (joinable, output kept).
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
// A pass first takes the ready bits with atomic swaps to zero (the summary, then every
// word it names, all before the first poll) into the groups' `pass` words, then polls
// the slots of that snapshot in ascending slot order, finding each next one by a
// count-trailing-zeros: O(1) per ready task, whatever the number of slots. Tasks woken
// during a pass, including a task waking itself, run on the next pass, whatever the
// executor's width, so no task can starve another: every task ready at the start of
// a pass is polled in that pass. A task that ends during the pass loses its snapshot
// bit, so a newcomer spawned into its slot in the same pass is first polled on the
// next pass, like any spawn. Order within a pass is slot order, so a lower slot is a higher
// priority when several tasks are ready together (attach the latency-sensitive pool
// first).
//
// # Stale wakers
//
// Each slot has an 8-bit generation, advanced when a task starts (to odd) and when it
// ends (to even). A waker carries the generation of its task, and `wake()` is ignored
// (`.stale`) when they differ. Only slots that hold a running task are polled, so a
// stale bit never polls an empty slot. A stale waker can cause a spurious poll of a
// new occupant only if the slot was reused exactly a multiple of 128 times, or if the
// wake raced the task's end on another core/thread; every future tolerates spurious
// polls by contract.
//
// # Sleeping without losing a wake
//
// A wake from another thread (host) or from an interrupt handler of another
// executor's level must also end the idle step: `run` installs the platform's
// `pendHook` in the executor's head, and every wake and spawn calls it after setting
// the ready bit (a flag in the waker's packed word, so on Cortex-M thread-mode
// executors, which need no hook, the wake's fast path is unchanged).
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
// storage allocated once). Executors, pools and primitives are `~Copyable`, so they
// cannot be copied by accident (wakers and `PoolRef`s are small copyable handles);
// `attach`, `run`, `runReady` and `waker(forSlot:)` check that the executor has not
// moved.
//
// # Exclusive access
//
// Once tasks run, the executor is used only through borrowing methods (`run`,
// `runReady`, `fireTimers`, `waker(forSlot:)`): wakers and spawns on other threads
// and in interrupt handlers use its atomics meanwhile, and a `mutating` method would
// claim exclusive access to all of it (Swift's exclusivity rules). The executor's own
// bookkeeping (`ExecutorCore`) is reached through its pinned pointer instead.

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
/// Fixed RAM: `MemoryLayout<Executor<maskWords>>.size` (the head: summary word and
/// pend hook; per 32 slots: 4 bytes of ready bits, 32 of generations, 4 of
/// deadline-register bits, 4 of pass snapshot; plus the core's bookkeeping, 36
/// bytes on 32-bit targets): 88 bytes for `Executor<1>` on Cortex-M. An attached
/// ``TimerQueue`` keeps its own bookkeeping.
public struct Executor<let maskWords: Int>: ~Copyable {
    // Invariant HEAD-BEFORE-GROUPS: `head` is followed directly by group 0 (checked
    // by `pin`), so wakers find the head from their group.
    let head: ExecutorHead
    var groups: InlineArray<maskWords, WakeGroup>
    var core: ExecutorCore

    /// An executor with no pools. `ramBudget`, if given, bounds the total bytes of the
    /// pools that may be attached (checked by `attach`).
    public init(ramBudget: Int? = nil) {
        head = ExecutorHead()
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
        let timers = core.timers
        if timers.capacity == 0 {
            out.write("timer queue: none; deadlines wait in the deadline register (each time the earliest passes, every task waiting on time is polled)\n")
            return
        }
        out.write("timer queue: capacity "); out.write(timers.capacity)
        if core.timerOverflows == 0 {
            out.write(", never full\n")
            return
        }
        out.write(", overflowed "); out.write(core.timerOverflows)
        out.write(" times (peak demand "); out.write(core.timerPeakDemand)
        out.write(" tasks); no timer was lost, but overflowed tasks may be polled early; raise the TimerQueue capacity to ")
        out.write(core.timerPeakDemand); out.write("\n")
    }
    /// Deadlines currently armed in the timer queue.
    public var armedTimers: Int { core.queue?.pointee.count ?? 0 }
    /// Tasks whose deadline waits in the deadline register.
    public var registeredDeadlines: Int {
        var n = 0
        let groups = groupsAddress
        for g in 0..<maskWords { n &+= (groups + g).registered.pointee.load(ordering: .relaxed).nonzeroBitCount }
        return n
    }
    /// The earliest armed deadline, if any.
    public var nextDeadline: Instant? { core.nextDeadline }
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
    /// Set-up only (before the executor runs). Invariant PINNED: from now on
    /// neither the executor nor `pool` may move.
    ///
    /// Inlined (set-up code, once per pool): the checks, with the pool's
    /// capacity and size as constants, and the error, built only where the
    /// caller uses it (blinky's catch does not); the linking is one function
    /// per executor width (``linkPool(_:after:base:)``).
    @inline(__always)
    public mutating func attach<Task: Future & ~Copyable, let capacity: Int>(
        _ pool: inout TaskPool<Task, capacity>
    ) throws(CapacityError) -> PoolRef<Task, capacity> {
        guard !pool.link.isAttached else { throw .alreadyAttached(pool: pool.link.name) }
        let limit = Self.slotCapacity
        // The slots used and bytes so far are sums over the pool list (not stored).
        let (last, slotsUsed, poolBytes) = ExecutorCore.tally(core.pools)
        // Wrapping arithmetic: slotsUsed ≤ limit and poolBytes ≤ budget always hold.
        guard capacity <= limit &- slotsUsed else {
            throw .slotsExceeded(pool: pool.link.name, capacity: capacity, alreadyUsed: slotsUsed, limit: limit)
        }
        // The pool's size is a constant here (`pool.link.bytes` is the same,
        // read from RAM).
        let bytes = MemoryLayout<TaskPool<Task, capacity>>.size
        if let budget = core.ramBudget, bytes > budget &- poolBytes {
            throw .ramBudgetExceeded(pool: pool.link.name, bytes: bytes,
                                     alreadyUsed: poolBytes, budget: budget)
        }
        linkPool(withUnsafeMutablePointer(to: &pool.link) { $0 }, after: last, base: slotsUsed)
        return PoolRef(pool: pool.pinnedAddress, base: slotsUsed)
    }

    /// `attach(_:)`'s work once the pool has passed the capacity check: pins
    /// the executor and gives the pool (its link at `link`) its first slot,
    /// `base`, and its place in the list, after `last`. Never inlined: one copy
    /// per executor width, and set-up code stays out of the functions that call
    /// `attach`.
    @inline(never)
    mutating func linkPool(_ link: UnsafeMutablePointer<PoolLink>, after last: UnsafeMutablePointer<PoolLink>?,
                           base: Int) {
        pinInPlace()
        link.pointee.base = base
        link.pointee.executor = withUnsafeMutablePointer(to: &core) { $0 }
        // Append, so the capacity report lists pools in attach (= slot) order.
        if let last {
            last.pointee.next = link
        } else {
            core.pools = link
        }
    }

    /// Attaches a queue for exact per-task deadlines (see ``TimerQueue``). Without
    /// one, every deadline waits in the deadline register, and none of the queue's
    /// code is linked. Attaching again replaces the queue (only before any deadline
    /// is armed). Set-up only.
    public mutating func attach<let capacity: Int>(timers queue: inout TimerQueue<capacity>) {
        precondition(!core.timersArmed, "Executor: replace the timer queue before any deadline is armed")
        pin()
        let table = withUnsafeMutablePointer(to: &queue.table) { $0 }
        precondition(withUnsafeMutablePointer(to: &queue.entries) { UnsafeMutableRawPointer($0) }
                        == UnsafeMutableRawPointer(table) + TimerTable.entriesOffset,
                     "TimerQueue: unexpected layout (see `TimerTable.entriesOffset`)")
        table.pointee.capacity = capacity
        table.pointee.code = .standard
        // The register's deadline so far: `dueBound` without a queue (set by `pin`),
        // the replaced queue's otherwise.
        table.pointee.registerDeadline = withUnsafeMutablePointer(to: &core) { ExecutorCore.registerDeadline($0) }
        core.queue = table
    }

    /// Writes what is attached: every pool with its slots and bytes, the totals
    /// against the limits, and the timer queue.
    public func describeCapacity<Output: TextOutput & ~Copyable>(to out: inout Output) {
        core.describeCapacity(to: &out)
    }

    /// Group 0, where it is now: right after the head (HEAD-BEFORE-GROUPS). Found
    /// from the head, whose atomics keep a borrow of it in place; a borrow of the
    /// groups (plain words) may be a copy.
    @inline(__always)
    var groupsAddress: UnsafePointer<WakeGroup> {
        withUnsafePointer(to: head) {
            (UnsafeRawPointer($0) + MemoryLayout<ExecutorHead>.stride).assumingMemoryBound(to: WakeGroup.self)
        }
    }

    /// Records (first call) or checks (later calls) the executor's address.
    mutating func pin() { pinInPlace() }

    /// ``pin()``, inlined: into `linkPool`, the one place pools are attached (an
    /// image that attaches no timer queue links no `pin`).
    @inline(__always)
    mutating func pinInPlace() {
        precondition(maskWords >= 1 && maskWords <= 32, "Executor: maskWords must be 1...32")
        let base = withUnsafeMutablePointer(to: &self) { UnsafeMutableRawPointer($0) }
        let first = (base + MemoryLayout<ExecutorHead>.stride).assumingMemoryBound(to: WakeGroup.self)
        precondition(withUnsafeMutablePointer(to: &groups) { UnsafeMutableRawPointer($0) } == UnsafeMutableRawPointer(first),
                     "Executor: the head must sit right before group 0 (invariant HEAD-BEFORE-GROUPS)")
        precondition(withUnsafeMutablePointer(to: &core) { UnsafeMutableRawPointer($0) } == base + Self.coreOffset,
                     "Executor: unexpected layout of the core (see `coreOffset`)")
        if let pinned = core.groups {
            precondition(pinned == first, "Executor moved after attach (invariant PINNED): keep it in a global or in storage allocated once")
        } else {
            core.groups = first
            core.dueBound = .distantFuture   // nothing armed yet (see `dueBound`)
        }
    }

    /// Where the core sits from the executor's start: after the head and the
    /// groups, aligned (Swift lays out a struct's stored properties in order, each
    /// at the next offset its alignment allows; `pin` checks the result).
    static var coreOffset: Int {
        alignedUp(MemoryLayout<ExecutorHead>.stride &+ maskWords &* MemoryLayout<WakeGroup>.stride,
                  to: MemoryLayout<ExecutorCore>.alignment)
    }

    /// The pinned core, after checking that the executor has not moved since
    /// `attach` (which must have run: a task set comes from `attach`).
    ///
    /// Found from the pinned group pointer, not by borrowing `core`: the core is
    /// plain data, so a borrow of it may be a copy.
    @inline(__always)
    var corePointer: UnsafeMutablePointer<ExecutorCore> {
        let first = core.groups
        // One comparison of addresses: `nil` (never attached) is 0, never a group's.
        precondition(UInt(bitPattern: first) == UInt(bitPattern: groupsAddress),
                     "Executor: attach a pool before running, and do not move the executor after attach (invariant PINNED)")
        // Safety: PINNED (the executor is where the first attach pinned it) and
        // the layout checked by `pin`. The core is reached only through this
        // pointer while tasks run (see "Exclusive access" in `Executor.swift`).
        let base = UnsafeMutableRawPointer(first.unsafelyUnwrapped) - MemoryLayout<ExecutorHead>.stride
        return (base + Self.coreOffset).assumingMemoryBound(to: ExecutorCore.self)
    }

    /// Group 0 of the executor whose pinned core is at `core`: a constant offset
    /// back from it (`pin` checked the layout, and the first attach that
    /// `core.groups` is this address), so the pass computes it instead of loading
    /// `core.groups` again after every poll (whose calls it cannot see through).
    @inline(__always)
    static func groups(ofCore core: UnsafeMutablePointer<ExecutorCore>) -> UnsafePointer<WakeGroup> {
        // Safety: PINNED; the executor's layout (head, groups, core) is the one `pin`
        // checked, and `core` came from `corePointer`.
        (UnsafeRawPointer(core) - coreOffset + MemoryLayout<ExecutorHead>.stride).assumingMemoryBound(to: WakeGroup.self)
    }

    /// A waker for the task currently running in executor-wide `slot` (for tests and
    /// drivers that need to wake a task they know by slot); `nil` when the slot holds
    /// no running task (a wake would have nothing to poll).
    public func waker(forSlot slot: Int) -> Waker? {
        guard slot >= 0 && slot < core.slotsUsed else { return nil }
        let core = corePointer
        let waker = ExecutorCore.waker(core, forSlot: slot)
        return waker.generation & 1 == 1 ? waker : nil
    }

    /// `true` when at least one ready bit is set.
    public var hasReadyTasks: Bool {
        maskWords == 1
            ? groupsAddress.ready.pointee.takingLoad() != 0
            : head.summary.takingLoad() != 0
    }

    /// Checks that `tasks` covers every pool attached to this executor, so that no
    /// pool's tasks would wait forever for a poll. `run` checks the same on entry
    /// (and stops the program); this names the pool.
    ///
    /// ```swift
    /// do throws(CapacityError) { try executor.check(tasks(ticker, echo)) } catch { Board.fail(error) }
    /// ```
    ///
    /// - Throws: ``CapacityError/poolNotRun(pool:)`` naming the first pool left out.
    public func check<Tasks: TaskSet>(_ tasks: Tasks) throws(CapacityError) {
        guard core.groups != nil else { return }   // nothing attached
        if let missing = Self.missingPool(corePointer, tasks) { throw .poolNotRun(pool: missing) }
    }

    /// The name of the first attached pool whose slots `tasks` does not cover.
    /// Always inlined: `run` only compares the result with `nil`, so there the
    /// name is never built (46 bytes less than a call).
    @inline(__always)
    static func missingPool<Tasks: TaskSet>(_ core: UnsafeMutablePointer<ExecutorCore>, _ tasks: Tasks) -> StaticString? {
        var link = core.pointee.pools
        while let l = link {
            if l.pointee.capacity > 0 && !tasks.contains(l.pointee.base) { return l.pointee.name }
            link = l.pointee.next
        }
        return nil
    }

    /// Runs one pass: polls every task that was ready when the pass began, in slot
    /// order, each once. Tasks woken meanwhile wait for the next pass. Returns the
    /// number of tasks polled. `now` becomes the clock of every poll's context.
    @discardableResult
    public func runReady<Tasks: TaskSet>(_ tasks: Tasks, now: Instant) -> Int {
        Self.runPass(corePointer, tasks, now: now)
    }

    /// Runs one pass at the current ``now``.
    ///
    /// Always inlined: a driver loop calls it once per pass, and on the host the
    /// call's prologue and epilogue were 17 of a hand-off's 107 instructions.
    @discardableResult @inline(__always)
    public func runReady<Tasks: TaskSet>(_ tasks: Tasks) -> Int {
        let core = corePointer
        return Self.runPass(core, tasks, now: core.pointee.now)
    }

    /// Wakes every task whose deadline is at or before `now`. Returns whether it
    /// woke any.
    @discardableResult
    public func fireTimers(now: Instant) -> Bool {
        Self.fireTimers(corePointer, now: now)
    }

    /// Runs the tasks of `tasks` (every attached pool) until the platform's idle
    /// step says `.stop` (never, on firmware).
    ///
    /// Each round: read the clock, wake the tasks whose deadline passed, run one pass
    /// if anything is ready; otherwise call `platform.idle` with the next deadline
    /// and the chosen strategy. The platform's ``Platform/pendHook`` is installed for
    /// the run, so wakes from other threads end its idle step.
    ///
    /// `tasks` must cover every attached pool (a pool left out would never run):
    /// this is checked on entry, before the first poll, and stops the program
    /// otherwise. Call ``check(_:)`` first to get the error naming the pool (on
    /// firmware, where a trap's message is compiled out, print it).
    @inline(never)   // called once; its loop keeps its registers to itself
    public func run<P: Platform & ~Copyable, Tasks: TaskSet>(
        on platform: inout P, idle strategy: IdleStrategy, tasks: Tasks
    ) {
        let core = corePointer
        precondition(Self.missingPool(core, tasks) == nil,
                     "Executor.run: a pool attached to this executor is missing from `tasks`; `try executor.check(tasks)` names it")
        let hook = UInt(bitPattern: platform.pendHook)
        if hook != 0 {
            head.setPendHook(hook, singleGroup: maskWords == 1)
            // One call now, on this thread: a first call may set up runtime state (on
            // the host, type metadata: an allocation), which must not land in a wake
            // on another thread. A spurious pend is harmless.
            head.callPendHook()
        }
        while true {
            let now = platform.now()
            if core.pointee.dueBound <= now {
                _ = Self.fireTimers(core, now: now)
            }
            if Self.runPass(core, tasks, now: now) != 0 || hasReadyTasks { continue }
            let outcome = platform.idle(until: ExecutorCore.nextDeadline(core), strategy: strategy,
                                        isStillIdle: { !self.hasReadyTasks })
            if case .stop = outcome { break }
        }
        if hook != 0 { head.setPendHook(0, singleGroup: maskWords == 1) }
    }

    // MARK: - Executors driven from an interrupt handler

    /// Installs `hook` as this executor's pend hook, for an executor that is not
    /// driven by ``run(on:idle:tasks:)`` (which installs its platform's own): one run
    /// from an interrupt handler (see ``runRound(_:now:)``), whose hook pends that
    /// interrupt. From then on every wake and spawn of its tasks calls the hook after
    /// setting the ready bit. `nil` removes it.
    ///
    /// ```swift
    /// // The board's InterruptExecutor does this in `start`:
    /// executor.install(pendHook: hookAddress)      // hook: NVIC.pend(line)
    /// NVIC.enable(line)                            // its handler calls runRound
    /// ```
    ///
    /// Install it before the first spawn or reservation: wakers made earlier do not
    /// call it (those made by the pass pick it up on its next pass). The hook is
    /// called once here (a first call may set up runtime state on the host; a
    /// spurious pend is harmless: one round that finds nothing ready).
    /// Invariant PINNED for the hook: it must stay at this address.
    public func install(pendHook hook: UnsafePointer<PendHook>?) {
        head.setPendHook(UInt(bitPattern: hook), singleGroup: maskWords == 1)
        if hook != nil { head.callPendHook() }
    }

    /// One round of ``run(on:idle:tasks:)`` without its idle step, for an executor
    /// run from an interrupt handler: wakes the tasks whose deadline is at or before
    /// `now`, runs one pass, and returns the earliest deadline still armed (`nil`:
    /// none), which the caller arranges to be woken at (the board pends the
    /// executor's interrupt when it passes).
    ///
    /// ```swift
    /// @_cdecl("IRQ30_Handler") func urgentLevel() {
    ///     let next = urgent.runRound(urgentTasks, now: platform.now())
    ///     publish(next)                 // the time interrupt pends IRQ 30 then
    /// }
    /// ```
    ///
    /// One pass, then return: tasks woken during the pass (the pend hook pends the
    /// interrupt again) run in the next round, so the handler never loops for long
    /// and a higher-priority interrupt waits at most for one poll. Unlike `run`,
    /// it does not check that `tasks` covers every attached pool: call
    /// ``check(_:)`` once before the interrupt is enabled.
    ///
    /// Always inlined into the handler (the app specializes it): a call here is
    /// instructions between the interrupt and the first poll.
    @discardableResult @inline(__always)
    public func runRound<Tasks: TaskSet>(_ tasks: Tasks, now: Instant) -> Instant? {
        let core = corePointer
        if core.pointee.dueBound <= now {
            _ = Self.fireTimers(core, now: now)
        }
        _ = Self.runPass(core, tasks, now: now)
        return ExecutorCore.nextDeadline(core)
    }

    /// The executor's bookkeeping at its pinned address (after the first attach),
    /// for code that reports on several executors of different widths through one
    /// non-generic pointer: ``ExecutorCore/describeCapacity(to:)``.
    ///
    /// ```swift
    /// let core = executor.pinnedCore
    /// core.pointee.describeCapacity(to: &console)
    /// ```
    public var pinnedCore: UnsafePointer<ExecutorCore> { UnsafePointer(corePointer) }

    // MARK: - The pass (executor's thread, through the pinned core)

    /// One pass; see "The ready mask" in `Executor.swift`. Always inlined: into
    /// `run`'s loop and `runReady`, which the app specializes across the module
    /// boundary (a call here cost a hand-off about 17 instructions on Cortex-M4).
    @inline(__always)
    static func runPass<Tasks: TaskSet>(_ core: UnsafeMutablePointer<ExecutorCore>, _ tasks: Tasks,
                                        now: Instant) -> Int {
        core.pointee.now = now
        let groups = Self.groups(ofCore: core)
        let flags = wakerFlags(groups)
        // The word this pass polls, and the slot of its bit 0.
        var group = groups
        var firstSlot = 0
        if maskWords > 1 {
            let summary = groups.head.pointee.summary.takingExchange(0)
            if summary & (summary &- 1) != 0 {
                // Two words or more: out of line, so that the inlined pass stays
                // small enough for `runReady`'s caller to inline it.
                return runPassOverWords(core, tasks, summary: summary, flags: flags)
            }
            // One word named (or none): its take is the whole snapshot, so the pass
            // runs as a single-word executor's, over that word's slots.
            if summary == 0 { return 0 }
            let index = summary.trailingZeroBitCount
            group = groups + index
            firstSlot = index &<< 5
        }
        // The snapshot goes to `pass` minus the bit being polled (the pass word is 0
        // between passes: each pass runs until it is).
        var polled = 0
        var bits = group.ready.pointee.takingExchange(0)
        while bits != 0 {
            group.pass.pointee.store(bits & (bits &- 1), ordering: .relaxed)
            if pollSlot(core, firstSlot | bits.trailingZeroBitCount, tasks, flags) { polled &+= 1 }
            bits = group.pass.pointee.load(ordering: .relaxed)
        }
        return polled
    }

    /// The pass of a multi-word executor whose summary named two words or more: the
    /// whole snapshot (every word the summary names) is taken before the first poll,
    /// then the slots are polled in order.
    @inline(never)
    static func runPassOverWords<Tasks: TaskSet>(_ core: UnsafeMutablePointer<ExecutorCore>, _ tasks: Tasks,
                                                 summary: UInt32, flags: UInt32) -> Int {
        let groups = Self.groups(ofCore: core)
        var polled = 0
        var pending = summary
        while pending != 0 {
            let group = groups + pending.trailingZeroBitCount
            pending &= pending &- 1
            group.pass.pointee.store(group.ready.pointee.takingExchange(0), ordering: .relaxed)
        }
        pending = summary
        while pending != 0 {
            let index = pending.trailingZeroBitCount
            pending &= pending &- 1
            let group = groups + index
            while true {
                let bits = group.pass.pointee.load(ordering: .relaxed)
                if bits == 0 { break }
                group.pass.pointee.store(bits & (bits &- 1), ordering: .relaxed)
                if pollSlot(core, index &<< 5 | bits.trailingZeroBitCount, tasks, flags) { polled &+= 1 }
            }
        }
        return polled
    }

    /// The flag bits of this pass's wakers that depend on the executor's width
    /// (see ``Waker``'s packed word); the pend hook's is read when a poll asks for
    /// its waker (`Context.waker`).
    static func wakerFlags(_ groups: UnsafePointer<WakeGroup>) -> UInt32 {
        Waker.flags(twoLevel: maskWords > 1)
    }

    /// Polls one slot through `tasks`, then records or drops its deadline. Returns
    /// whether a task was polled (a Bool, not a count to add: the caller's
    /// increment then sits on the polled path alone, one instruction).
    static func pollSlot<Tasks: TaskSet>(_ core: UnsafeMutablePointer<ExecutorCore>, _ slot: Int,
                                         _ tasks: Tasks, _ flags: UInt32) -> Bool {
        // The generation is read when the poll asks for its waker (`Context.waker`),
        // after the slot's state.
        let groups = Self.groups(ofCore: core)
        var context = Context(waker: Waker(group: groups + (slot &>> 5),
                                           packed: UInt32(truncatingIfNeeded: slot) | flags | Waker.generationUnreadBit),
                              now: core.pointee.now)
        switch tasks.poll(slot: slot, context: &context) {
        case .notRunning:
            return false
        case .completed:
            return true
        case .pending:
            // Skipped when the task has no deadline and none is armed (a byte
            // test); out of line otherwise, so the pass's loop keeps its registers.
            // (Passed group 0, which the loop holds anyway, not the core.)
            if context.deadline != .distantFuture || core.pointee.timersArmed {
                keepDeadline(groups, slot: slot, deadline: context.deadline)
            }
            return true
        }
    }

    /// Records the deadline of the task in `slot` after a poll: one scan of the
    /// queue sets, moves or drops its entry; a deadline without an entry goes to
    /// the deadline register. Called with group 0, which the pass holds anyway.
    @inline(never)
    static func keepDeadline(_ groups: UnsafePointer<WakeGroup>, slot: Int, deadline: Instant) {
        // Safety: as in `groups(ofCore:)`, backwards.
        let core = (UnsafeMutableRawPointer(mutating: groups) - MemoryLayout<ExecutorHead>.stride + coreOffset)
            .assumingMemoryBound(to: ExecutorCore.self)
        if ExecutorCore.updateTimer(core, slot: UInt16(truncatingIfNeeded: slot), deadline: deadline) { return }
        // The deadline register: the slot's bit, and its earliest deadline (with a
        // queue attached this is an overflow, which the queue's code has counted,
        // and whose deadline it has kept as the register's in its table; without
        // one, `dueBound` is the register's deadline).
        let group = groups + (slot &>> 5)
        let bits = group.registered.pointee.load(ordering: .relaxed)
        group.registered.pointee.store(bits | 1 &<< UInt32(truncatingIfNeeded: slot & 31), ordering: .relaxed)
        ExecutorCore.lowerDueBound(core, to: deadline)
    }

    /// Wakes every task whose deadline is at or before `now`.
    static func fireTimers(_ core: UnsafeMutablePointer<ExecutorCore>, now: Instant) -> Bool {
        // With a queue attached, its code fires both the register (whose deadline
        // its table keeps) and its entries, and leaves `dueBound` exact: an
        // executor without a queue links none of that.
        if let table = core.pointee.queue {
            // Safety: as in `ExecutorCore.updateTimer`.
            return table.pointee.code.unsafelyUnwrapped.expire(UnsafeMutableRawPointer(core), now.ticks)
        }
        // Without one, `dueBound` is the register's deadline.
        guard core.pointee.dueBound <= now else { return false }
        core.pointee.dueBound = .distantFuture
        return ExecutorCore.fireRegister(core, groupCount: maskWords)
    }
}
