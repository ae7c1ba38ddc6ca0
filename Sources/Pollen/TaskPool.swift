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
/// Invariant PINNED: once attached, the pool must stay at the same address (a global
/// or static on firmware, a pointer allocated once on the host) for as long as the
/// executor runs; it is `~Copyable` so it cannot be copied by accident.
///
/// Not interrupt-safe: spawn from task context or before the executor runs.
public struct TaskPool<Task: Future & ~Copyable, let capacity: Int>: ~Copyable {
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
        var n = 0
        for i in 0..<capacity where slots[i].state != .free { n += 1 }
        return n
    }

    /// Starts `task` as a detached task: it runs until it completes, then its slot
    /// is freed and its output dropped.
    ///
    /// - Throws: ``SpawnError/poolFull(pool:capacity:)`` when every slot is taken,
    ///   ``SpawnError/notAttached(pool:)`` before `Executor.attach`. The task is dropped.
    @discardableResult
    public mutating func spawn(_ task: consuming Task) throws(SpawnError) -> TaskID {
        let index = try claim()
        return start(index, task, as: .detached)
    }

    /// Starts `task` and returns the handle through which another task awaits its
    /// output or cancels it. See ``JoinHandle``.
    public mutating func spawnJoinable(_ task: consuming Task) throws(SpawnError) -> JoinHandle<Task, capacity> {
        let index = try claim()
        start(index, task, as: .joinable)
        return JoinHandle(pool: pinnedAddress, index: index)
    }

    /// Claims a slot now, to be filled later: do costly set-up after reserving,
    /// and filling can no longer fail. Dropping the reservation frees the slot.
    public mutating func reserve() throws(SpawnError) -> SlotReservation<Task, capacity> {
        let index = try claim()
        slots[index].state = .reserved
        return SlotReservation(pool: pinnedAddress, index: index)
    }

    // MARK: - Internals shared with JoinHandle, SlotReservation and the executor

    /// Invariant PINNED: the pool does not move, so its address is stable.
    var pinnedAddress: UnsafeMutablePointer<TaskPool<Task, capacity>> {
        mutating get { withUnsafeMutablePointer(to: &self) { $0 } }
    }

    mutating func claim() throws(SpawnError) -> Int {
        guard link.isAttached else { throw .notAttached(pool: link.name) }
        for i in 0..<capacity where slots[i].state == .free { return i }
        throw .poolFull(pool: link.name, capacity: capacity)
    }

    /// Moves `task` into slot `index`, schedules its first poll, and returns its
    /// identity.
    @discardableResult
    mutating func start(_ index: Int, _ task: consuming Task, as state: SlotState) -> TaskID {
        slots[index].task = .some(task)
        slots[index].state = state
        // A stored property read through the pointer, not `pointee` as a whole (a
        // non-mutating method call would copy the executor core to the stack).
        // Safety: PINNED; a pool is attached (so `executor` is set) before any start.
        let groups = UnsafePointer(link.executor.unsafelyUnwrapped.pointee.groups.unsafelyUnwrapped)
        let slot = link.base + index
        groups.schedule(slot: slot)
        return TaskID(slot: UInt16(truncatingIfNeeded: slot), generation: groups.generation(ofSlot: slot))
    }

    /// Drops whatever the slot holds and frees it, ending its task if one runs.
    mutating func release(_ index: Int) {
        let wasRunning = slots[index].state == .detached || slots[index].state == .joinable
        slots[index].task = nil
        slots[index].output = nil
        slots[index].state = .free
        if wasRunning { link.executor!.pointee.endTask(slot: link.base + index) }
    }

    /// Polls the task in slot `index` (the executor's entry point, via ``PoolRef``).
    mutating func pollSlot(_ index: Int, _ context: inout Context) -> TaskSlotPoll {
        // Safety: `index` < capacity (the caller, PoolRef.poll, checked the slot
        // range), and InlineArray elements are contiguous from its first byte.
        let slot = withUnsafeMutablePointer(to: &slots) {
            UnsafeMutableRawPointer($0).assumingMemoryBound(to: TaskSlot<Task>.self) + index
        }
        let result = slot.pointee.poll(&context)
        if case .completed = result {
            link.executor!.pointee.endTask(slot: link.base + index)
            if slots[index].state == .finished { joinWaiters.wakeAll() }
        }
        return result
    }
}
