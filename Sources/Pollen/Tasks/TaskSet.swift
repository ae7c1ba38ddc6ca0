import Synchronization

/// The tasks an executor runs: one attached pool (a ``PoolRef``) or several,
/// combined with ``tasks(_:_:)`` and its longer overloads.
///
/// ```swift
/// let blink = try executor.attach(&blinkers)     // PoolRef<Blink, 1>
/// let echo = try executor.attach(&echoes)        // PoolRef<Echo, 1>
/// executor.run(on: &platform, idle: .sleep, tasks: tasks(blink, echo))
/// ```
///
/// Why a generic set rather than a list inside the executor: Embedded Swift has no
/// existentials and cannot store generic functions, so the executor cannot keep a
/// table of "poll this pool" entries. Instead the set's *type* spells out the pools,
/// and polling slot `i` compiles into a few range comparisons followed by a direct,
/// inlinable call into the right pool: no function pointers, no RAM, no lookup.
/// Dispatch costs one comparison per pool listed before the slot's own.
public protocol TaskSet {
    /// Number of slots in the set's pools.
    var slotCount: Int { get }
    /// Whether executor-wide `slot` belongs to one of the set's pools.
    func contains(_ slot: Int) -> Bool
    /// Polls the task in executor-wide `slot` (`.notRunning` when the slot is not
    /// the set's or holds no running task).
    func poll(slot: Int, context: inout Context) -> TaskSlotPoll
}

/// An attached ``TaskPool``: what `Executor.attach(_:)` returns, what
/// ``Executor/run(on:idle:tasks:)`` polls, and a handle to spawn into the pool from
/// anywhere: other tasks, interrupt handlers, other threads. A spawn claims its
/// slot with an atomic compare-exchange and publishes the future before it sets
/// the slot's ready bit, so concurrent spawns never share a slot and never lose a
/// task.
///
/// A plain pointer and an index (invariant PINNED): copy it freely.
public struct PoolRef<Task: Future & ~Copyable, let capacity: Int>: TaskSet, @unchecked Sendable {
    /// The pool (at a fixed address from `attach` on).
    public let pool: UnsafeMutablePointer<TaskPool<Task, capacity>>
    /// Executor-wide index of the pool's first slot.
    public let base: Int

    init(pool: UnsafeMutablePointer<TaskPool<Task, capacity>>, base: Int) {
        self.pool = pool
        self.base = base
    }

    public var slotCount: Int { capacity }

    public func contains(_ slot: Int) -> Bool {
        UInt(bitPattern: slot &- base) < UInt(bitPattern: capacity)   // one unsigned compare
    }

    public func poll(slot: Int, context: inout Context) -> TaskSlotPoll {
        let index = slot &- base
        guard UInt(bitPattern: index) < UInt(bitPattern: capacity) else { return .notRunning }
        return TaskPool.pollSlot(pool, index, &context)
    }

    /// Starts `task` as a detached task (see `TaskPool.spawn(_:)`). Safe from any
    /// context.
    ///
    /// - Throws: ``SpawnError/poolFull(pool:capacity:)`` when every slot is taken.
    ///   The task is dropped.
    ///
    /// Always inlined (see `TaskPool.spawn`).
    @discardableResult @inline(__always)
    public func spawn(_ task: consuming Task) throws(SpawnError) -> TaskID {
        try TaskPool.spawn(pool, task, as: .detached)
    }

    /// Claims a slot, then builds the task `make` returns straight in it and
    /// starts it as a detached task: `try pool.spawn { Sampler(rate: 10) }`.
    /// Safe from any context.
    ///
    /// Unlike ``spawn(_:)-(Task)``, whose argument is built on the caller's
    /// stack and then moved into the slot, nothing of the task is on the stack
    /// (README, "Stack"): prefer this form for a large task.
    ///
    /// - Throws: ``SpawnError/poolFull(pool:capacity:)`` when every slot is
    ///   taken. `make` is then not called.
    @discardableResult @inline(__always)
    public func spawn(_ make: () -> Task) throws(SpawnError) -> TaskID {
        try TaskPool.spawn(pool, building: make, as: .detached)
    }

    /// Starts `task` and returns its ``JoinHandle`` (see `TaskPool.spawnJoinable(_:)`).
    /// Safe from any context; the handle itself is for task context.
    public func spawnJoinable(_ task: consuming Task) throws(SpawnError) -> JoinHandle<Task, capacity> {
        let id = try TaskPool.spawn(pool, task, as: .joinable)
        return JoinHandle(pool: pool, index: Int(id.slot) &- base)
    }

    /// Claims a slot, builds the task `make` returns straight in it, and
    /// returns its ``JoinHandle`` (see ``spawn(_:)-(()->Task)``). Safe from any
    /// context; the handle itself is for task context.
    public func spawnJoinable(_ make: () -> Task) throws(SpawnError) -> JoinHandle<Task, capacity> {
        let id = try TaskPool.spawn(pool, building: make, as: .joinable)
        return JoinHandle(pool: pool, index: Int(id.slot) &- base)
    }

    /// Claims a slot for a later `fill` (see `TaskPool.reserve()`). Safe from any
    /// context.
    public func reserve() throws(SpawnError) -> SlotReservation<Task, capacity> {
        try TaskPool.reserve(pool)
    }
}

/// Two task sets polled as one (see ``tasks(_:_:)``).
public struct TaskSetPair<First: TaskSet, Second: TaskSet>: TaskSet {
    /// Checked first.
    public let first: First
    /// Checked when `first` does not own the slot.
    public let second: Second

    /// Combines two sets.
    public init(_ first: First, _ second: Second) {
        self.first = first
        self.second = second
    }

    public var slotCount: Int { first.slotCount + second.slotCount }

    public func contains(_ slot: Int) -> Bool { first.contains(slot) || second.contains(slot) }

    public func poll(slot: Int, context: inout Context) -> TaskSlotPoll {
        first.contains(slot) ? first.poll(slot: slot, context: &context) : second.poll(slot: slot, context: &context)
    }
}

/// One pool, polled by an executor: the pool's ``PoolRef`` itself, so that
/// `run(…, tasks: tasks(blink))` reads like the forms with more pools.
///
/// ```swift
/// executor.run(on: &platform, idle: .sleep, tasks: tasks(blink))
/// ```
public func tasks<A: TaskSet>(_ a: A) -> A {
    a
}

/// The pools `a` and `b`, polled by one executor.
public func tasks<A: TaskSet, B: TaskSet>(_ a: A, _ b: B) -> TaskSetPair<A, B> {
    TaskSetPair(a, b)
}

/// Three pools polled by one executor.
public func tasks<A: TaskSet, B: TaskSet, C: TaskSet>(_ a: A, _ b: B, _ c: C)
    -> TaskSetPair<A, TaskSetPair<B, C>> {
    TaskSetPair(a, TaskSetPair(b, c))
}

/// Four pools polled by one executor.
public func tasks<A: TaskSet, B: TaskSet, C: TaskSet, D: TaskSet>(_ a: A, _ b: B, _ c: C, _ d: D)
    -> TaskSetPair<A, TaskSetPair<B, TaskSetPair<C, D>>> {
    TaskSetPair(a, TaskSetPair(b, TaskSetPair(c, d)))
}

/// Five pools polled by one executor.
public func tasks<A: TaskSet, B: TaskSet, C: TaskSet, D: TaskSet, E: TaskSet>(
    _ a: A, _ b: B, _ c: C, _ d: D, _ e: E
) -> TaskSetPair<A, TaskSetPair<B, TaskSetPair<C, TaskSetPair<D, E>>>> {
    TaskSetPair(a, TaskSetPair(b, TaskSetPair(c, TaskSetPair(d, e))))
}

/// Six pools polled by one executor.
public func tasks<A: TaskSet, B: TaskSet, C: TaskSet, D: TaskSet, E: TaskSet, F: TaskSet>(
    _ a: A, _ b: B, _ c: C, _ d: D, _ e: E, _ f: F
) -> TaskSetPair<A, TaskSetPair<B, TaskSetPair<C, TaskSetPair<D, TaskSetPair<E, F>>>>> {
    TaskSetPair(a, TaskSetPair(b, TaskSetPair(c, TaskSetPair(d, TaskSetPair(e, f)))))
}

/// Seven pools polled by one executor.
public func tasks<A: TaskSet, B: TaskSet, C: TaskSet, D: TaskSet, E: TaskSet, F: TaskSet, G: TaskSet>(
    _ a: A, _ b: B, _ c: C, _ d: D, _ e: E, _ f: F, _ g: G
) -> TaskSetPair<A, TaskSetPair<B, TaskSetPair<C, TaskSetPair<D, TaskSetPair<E, TaskSetPair<F, G>>>>>> {
    TaskSetPair(a, TaskSetPair(b, TaskSetPair(c, TaskSetPair(d, TaskSetPair(e, TaskSetPair(f, g))))))
}

/// Eight pools polled by one executor. For more, nest: `tasks(tasks(a, b, …), …)`
/// (a set is itself a ``TaskSet``), with no limit on the number of pools.
public func tasks<A: TaskSet, B: TaskSet, C: TaskSet, D: TaskSet, E: TaskSet, F: TaskSet, G: TaskSet, H: TaskSet>(
    _ a: A, _ b: B, _ c: C, _ d: D, _ e: E, _ f: F, _ g: G, _ h: H
) -> TaskSetPair<A, TaskSetPair<B, TaskSetPair<C, TaskSetPair<D, TaskSetPair<E, TaskSetPair<F, TaskSetPair<G, H>>>>>>> {
    TaskSetPair(a, TaskSetPair(b, TaskSetPair(c, TaskSetPair(d, TaskSetPair(e, TaskSetPair(f, TaskSetPair(g, h)))))))
}
