import Synchronization

/// A fixed number of slots for tasks of one concrete future type, stored inline.
///
/// ```swift
/// var blinkers = TaskPool<Blink, 2>(name: "blink")
/// let blink = try executor.attach(&blinkers)   // once, at start-up
/// try blink.spawn(Blink(period: .milliseconds(500)))
/// ```
///
/// The pool's RAM is `MemoryLayout<TaskPool<Task, capacity>>.size`, known at compile
/// time: `capacity` slots, each holding the future in place, a state byte, and
/// (for joinable tasks) room for the output.
///
/// Spawning never allocates and never traps: a full pool throws
/// ``SpawnError/poolFull(pool:capacity:)``. A slot is reused as soon as its task
/// completes (detached tasks) or its ``JoinHandle`` has taken the output.
///
/// Where to spawn from: the ``PoolRef`` returned by `Executor.attach` spawns from
/// anywhere (tasks, interrupt handlers, other threads): a slot is claimed with an
/// atomic compare-exchange and the future is published before its ready bit
/// (invariant CLAIMED, `TaskSlot.swift`). The pool's own `spawn` methods are
/// `mutating` (exclusive access to the whole pool): use them at set-up, before
/// the executor runs.
///
/// Invariant PINNED: once attached, the pool must stay at the same address (a global
/// or static on firmware, a pointer allocated once on the host) for as long as the
/// executor runs; it is `~Copyable` so it cannot be copied by accident.
public struct TaskPool<Task: Future & ~Copyable, let capacity: Int>: ~Copyable {
    // Invariant SLOTS-FIRST: `slots` is the first stored property, so a pointer to
    // the pool is a pointer to slot 0, and slot `i` is reached by pointer
    // arithmetic without an access to the whole pool (which other contexts may be
    // using at the same time). `LayoutTests` checks it.
    var slots: InlineArray<capacity, TaskSlot<Task>>
    var link: PoolLink
    /// Tasks waiting on a ``JoinHandle`` of this pool. Capacity 4; beyond it a join
    /// re-polls every pass instead of sleeping (see ``WaiterList``).
    var joinWaiters = WaiterList<4>()

    /// An empty pool. `name` appears in capacity and spawn errors.
    public init(name: StaticString = "TaskPool") {
        slots = InlineArray { _ in TaskSlot() }
        link = PoolLink(name: name, capacity: capacity,
                        bytes: MemoryLayout<TaskPool<Task, capacity>>.size)
    }

    /// The name given at creation.
    public var name: StaticString { link.name }

    /// Number of slots holding a task (running, finished-but-not-joined, or reserved).
    public var occupiedCount: Int {
        mutating get {
            // In place (a borrow of the pool may be a copy); each state byte is read
            // atomically.
            let pool = pinnedAddress
            var n = 0
            for i in 0..<capacity where Self.slot(pool, i).currentState() != .free { n += 1 }
            return n
        }
    }

    /// Starts `task` as a detached task: it runs until it completes, then its slot
    /// is freed and its output dropped.
    ///
    /// - Throws: ``SpawnError/poolFull(pool:capacity:)`` when every slot is taken,
    ///   ``SpawnError/notAttached(pool:)`` before `Executor.attach`. The task is dropped.
    @discardableResult
    public mutating func spawn(_ task: consuming Task) throws(SpawnError) -> TaskID {
        try Self.spawn(pinnedAddress, task, as: .detached)
    }

    /// Claims a slot, then builds the task `make` returns straight in it and
    /// starts it as a detached task: `try pool.spawn { Sampler(rate: 10) }`.
    ///
    /// Unlike ``spawn(_:)-(Task)``, whose argument is built on the caller's
    /// stack and then moved into the slot, nothing of the task is on the stack
    /// (README, "Stack"): prefer this form for a large task.
    ///
    /// - Throws: as ``spawn(_:)-(Task)``; `make` is then not called.
    @discardableResult
    public mutating func spawn(_ make: () -> Task) throws(SpawnError) -> TaskID {
        try Self.spawn(pinnedAddress, building: make, as: .detached)
    }

    /// Starts `task` and returns the handle through which another task awaits its
    /// output or cancels it. See ``JoinHandle``.
    public mutating func spawnJoinable(_ task: consuming Task) throws(SpawnError) -> JoinHandle<Task, capacity> {
        let pool = pinnedAddress
        let id = try Self.spawn(pool, task, as: .joinable)
        return JoinHandle(pool: pool, index: Int(id.slot) &- link.base)
    }

    /// Claims a slot, builds the task `make` returns straight in it, and
    /// returns its handle (see ``spawn(_:)-(()->Task)`` and ``JoinHandle``).
    public mutating func spawnJoinable(_ make: () -> Task) throws(SpawnError) -> JoinHandle<Task, capacity> {
        let pool = pinnedAddress
        let id = try Self.spawn(pool, building: make, as: .joinable)
        return JoinHandle(pool: pool, index: Int(id.slot) &- link.base)
    }

    /// Claims a slot now, to be filled later: do costly set-up after reserving,
    /// and filling can no longer fail. Dropping the reservation frees the slot.
    public mutating func reserve() throws(SpawnError) -> SlotReservation<Task, capacity> {
        try Self.reserve(pinnedAddress)
    }

    // MARK: - Pointer-based operations (PoolRef, handles, the executor)
    //
    // Each reaches the pool through its pinned address and touches only the slot
    // it owns (invariant CLAIMED) or fields no other context uses, never the whole
    // pool: spawns may run on other threads or in interrupt handlers meanwhile.

    /// Invariant PINNED: the pool does not move, so its address is stable.
    var pinnedAddress: UnsafeMutablePointer<TaskPool<Task, capacity>> {
        mutating get { withUnsafeMutablePointer(to: &self) { $0 } }
    }

    /// Slot `index` of the pool at `pool`.
    @inline(__always)
    static func slot(_ pool: UnsafeMutablePointer<Self>, _ index: Int) -> UnsafeMutablePointer<TaskSlot<Task>> {
        // Safety: SLOTS-FIRST (slot 0 is at the pool's address), InlineArray elements
        // are contiguous, and callers pass index < capacity.
        // (`element` keeps the slot's alignment known.)
        element(index, of: TaskSlot<Task>.self, in: UnsafeMutableRawPointer(pool))
    }

    /// Claims a free slot (atomic compare-exchange) and returns its index.
    /// Inlined into `spawn` and `reserve` (one function per pool type, not three).
    @inline(__always)
    static func claim(_ pool: UnsafeMutablePointer<Self>) throws(SpawnError) -> Int {
        // Safety: `link` is written only by `attach`, before the pool is shared.
        guard pool.pointee.link.isAttached else { throw .notAttached(pool: pool.pointee.link.name) }
        for i in 0..<capacity where slot(pool, i).claim() { return i }
        throw .poolFull(pool: pool.pointee.link.name, capacity: capacity)
    }

    /// Claims a slot and starts `task` in it. Safe from any context. Always
    /// inlined, with `PoolRef.spawn`: the future is then built in its slot
    /// (no copy through the stack, no `memcpy`), and the error's payload only
    /// where the caller uses it.
    @inline(__always)
    static func spawn(_ pool: UnsafeMutablePointer<Self>, _ task: consuming Task,
                      as state: SlotState) throws(SpawnError) -> TaskID {
        let index = try claim(pool)
        return start(pool, index, task, as: state)
    }

    /// Claims a slot, then moves the task `make` builds into it and starts it.
    /// Safe from any context. Always inlined, with `PoolRef.spawn`: `make`'s
    /// result is then written straight into the slot, with no copy of the task
    /// on the stack (the nesting test: 552 B of stack after spawning its
    /// 244-byte task this way, 856 B with the value form).
    @inline(__always)
    static func spawn(_ pool: UnsafeMutablePointer<Self>, building make: () -> Task,
                      as state: SlotState) throws(SpawnError) -> TaskID {
        let index = try claim(pool)
        return start(pool, index, make(), as: state)
    }

    /// Claims a slot for a later `fill`. Safe from any context.
    static func reserve(_ pool: UnsafeMutablePointer<Self>) throws(SpawnError) -> SlotReservation<Task, capacity> {
        SlotReservation(pool: pool, index: try claim(pool))
    }

    /// Moves `task` into the claimed slot `index`, advances the slot's generation
    /// (the new task's wakers are the only live ones), publishes the slot, and
    /// schedules its first poll. Returns the task's identity. Inlined into
    /// `spawn` and `SlotReservation.fill`.
    @discardableResult @inline(__always)
    static func start(_ pool: UnsafeMutablePointer<Self>, _ index: Int, _ task: consuming Task,
                      as state: SlotState) -> TaskID {
        let slot = slot(pool, index)
        // Safety: CLAIMED, the slot is ours until the state store below, and a
        // claimed slot holds no future. Moved straight into the slot (no
        // optional built in a temporary on the way).
        // (`task` is the slot's first stored property: offset 0.)
        UnsafeMutableRawPointer(slot).assumingMemoryBound(to: Task?.self).initializeSome(task)
        let groups = pool.pointee.link.groups
        let executorSlot = pool.pointee.link.base &+ index
        let generation = groups.startTask(slot: executorSlot)
        slot.setState(state)
        groups.schedule(slot: executorSlot)
        return TaskID(slot: UInt16(truncatingIfNeeded: executorSlot), generation: generation)
    }

    /// Polls the task in slot `index` (the executor's entry point, via ``PoolRef``).
    /// On completion the task's future is dropped and the task ended (generation
    /// advanced, deadline dropped) before the slot is freed or marked finished.
    @inline(__always)
    static func pollSlot(_ pool: UnsafeMutablePointer<Self>, _ index: Int,
                         _ context: inout Context) -> TaskSlotPoll {
        let slot = slot(pool, index)
        // The raw byte, compared as such: converting it to a `SlotState` first is a
        // call on the hot path (the enum's failable init is not inlined across
        // the module boundary).
        let state = slot.stateCell().pointee.takingLoad()
        // Running (`.detached` or `.joinable`): the one states with bit 1 set (see
        // `SlotState.runningBit`), one test instead of a mask and a compare.
        guard state & SlotState.runningBit != 0 else { return .notRunning }
        // The context's waker reads the generation published with the state just
        // read when the poll asks for it (`Context.waker`).
        // Safety: CLAIMED (a running slot is the executor's), and a running slot
        // always holds its task; a single-payload enum (Optional) keeps its payload
        // at offset 0 (Swift ABI), so the task is polled in place without `!`.
        let result = slot.taskInPlace().pointee.poll(&context)
        switch consume result {
        case .pending:
            return .pending
        case .ready(let value):
            endTask(pool, index)
            // Re-read: the handle may have been dropped meanwhile (detached).
            if slot.currentState() == .joinable {
                slot.pointee.output = value
                slot.setState(.finished)
                pool.pointee.joinWaiters.wakeAll()
            } else {
                slot.setState(.free)
            }
            return .completed
        }
    }

    /// Drops the running task in slot `index` (cancellation): its future's deinit
    /// runs, the task ends, and the slot is freed. Executor's thread only.
    static func cancel(_ pool: UnsafeMutablePointer<Self>, _ index: Int) {
        endTask(pool, index)
        slot(pool, index).setState(.free)
    }

    /// Drops the task's future (its deinit runs) and ends the task (generation
    /// advanced, deadline and ready bits dropped); the caller then publishes the
    /// slot's new state. Executor's thread only.
    static func endTask(_ pool: UnsafeMutablePointer<Self>, _ index: Int) {
        slot(pool, index).pointee.task = nil
        pool.pointee.link.endTask(slot: pool.pointee.link.base &+ index)
    }

    /// Takes the output of the finished task in slot `index` and frees the slot.
    static func takeOutput(_ pool: UnsafeMutablePointer<Self>, _ index: Int) -> Task.Output {
        let slot = slot(pool, index)
        let output = slot.pointee.output.take().unsafelyUnwrapped
        slot.setState(.free)
        return output
    }

    /// Drops the output of the finished task in slot `index` and frees the slot.
    static func discardOutput(_ pool: UnsafeMutablePointer<Self>, _ index: Int) {
        let slot = slot(pool, index)
        slot.pointee.output = nil
        slot.setState(.free)
    }
}
