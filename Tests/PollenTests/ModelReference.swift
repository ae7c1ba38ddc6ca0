// The reference model of the model-based test: what the executor, the pools and the
// primitives should do, written with plain arrays and dictionaries. It predicts the
// `ModelEvent`s of every step (which tasks a pass polls, in which order, what each
// wait completes with) and the counters after it.
//
// Identity of a waker: its slot and the generation it carries (or one of the test's
// hand wakers). A waker is stale when its slot's generation moved on; the generation
// becomes odd when a task starts and even when it ends, wrapping at 256, exactly as
// documented, so a waker kept across 128·k reuses of its slot is live again.

/// A waker, as the model knows it.
enum WakerRef: Hashable, CustomStringConvertible {
    case task(slot: Int, generation: UInt8)
    /// The test's hand waker `k` (a task that pends forever on another executor).
    case hand(Int)

    var description: String {
        switch self {
        case .task(let slot, let generation): "w\(slot).\(generation)"
        case .hand(let k): "hand\(k)"
        }
    }
}

/// Generations and ready bits: what a wake reads and writes.
struct WakeState {
    /// Per slot, the generation (odd: a task runs there).
    var generation: [UInt8]
    /// Per slot, the ready bit.
    var ready: [Bool]

    func isStale(_ waker: WakerRef) -> Bool {
        switch waker {
        case .task(let slot, let generation): self.generation[slot] != generation
        case .hand: false
        }
    }

    /// Sets the slot's ready bit unless the waker is stale. Returns whether it woke.
    @discardableResult
    mutating func wake(_ waker: WakerRef) -> Bool {
        guard !isStale(waker) else { return false }
        if case .task(let slot, _) = waker { ready[slot] = true }
        return true
    }
}

/// A bounded waiter list (one entry per task, FIFO, with a "released" mark), as
/// `WaiterList` documents it.
struct Waiters {
    struct Entry {
        var waker: WakerRef
        var released: Bool
    }

    let capacity: Int
    var entries: [Entry] = []

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    func index(of waker: WakerRef) -> Int? { entries.firstIndex { $0.waker == waker } }
    func contains(_ waker: WakerRef) -> Bool { index(of: waker) != nil }

    /// Adds the task (keeping its place and mark if listed); purges stale entries when
    /// full. `false` when still full.
    mutating func register(_ waker: WakerRef, _ wakes: WakeState) -> Bool {
        if index(of: waker) != nil { return true }
        if count == capacity { entries.removeAll { wakes.isStale($0.waker) } }
        guard count < capacity else { return false }
        entries.append(Entry(waker: waker, released: false))
        return true
    }

    mutating func remove(_ waker: WakerRef) {
        if let i = index(of: waker) { entries.remove(at: i) }
    }

    /// Registers, or (full) wakes the task at once: it polls on every pass instead.
    mutating func enlist(_ waker: WakerRef, _ wakes: inout WakeState) -> Registration {
        if register(waker, wakes) { return .listed(waker) }
        wakes.wake(waker)
        return .polling
    }

    /// Wakes and removes the oldest live waiter (stale ones met are dropped).
    @discardableResult
    mutating func wakeOne(_ wakes: inout WakeState) -> Bool {
        while !entries.isEmpty {
            if wakes.wake(entries.removeFirst().waker) { return true }
        }
        return false
    }

    mutating func wakeAll(_ wakes: inout WakeState) {
        for entry in entries { wakes.wake(entry.waker) }
        entries.removeAll()
    }

    enum Standing { case absent, waiting, released }

    func standing(of waker: WakerRef) -> Standing {
        guard let i = index(of: waker) else { return .absent }
        return entries[i].released ? .released : .waiting
    }

    /// Marks the oldest unreleased live waiter released and wakes it.
    mutating func releaseOldest(_ wakes: inout WakeState) -> Bool {
        var i = 0
        while i < entries.count {
            if entries[i].released { i += 1; continue }
            if !wakes.wake(entries[i].waker) { entries.remove(at: i); continue }
            entries[i].released = true
            return true
        }
        return false
    }

    /// Wakes and removes every unreleased waiter.
    mutating func wakeAndRemoveWaiting(_ wakes: inout WakeState) {
        var i = 0
        while i < entries.count {
            if entries[i].released { i += 1; continue }
            wakes.wake(entries[i].waker)
            entries.remove(at: i)
        }
    }

    mutating func popOldestLive(_ wakes: WakeState) -> WakerRef? {
        while !entries.isEmpty {
            let waker = entries.removeFirst().waker
            if !wakes.isStale(waker) { return waker }
        }
        return nil
    }
}

/// Where a wait future stands with its primitive's list.
enum Registration: Equatable {
    case initial
    case listed(WakerRef)
    /// The list was full: the task wakes itself and retries every pass.
    case polling
    case done
}

/// A join handle: whose output it awaits and where it stands.
struct HandleModel {
    enum Outcome { case running, delivered, cancelled }

    let target: Int
    let pool: PoolID
    let slot: Int
    var outcome = Outcome.running
    /// The awaiting waker listed in the pool's join waiters.
    var registered: WakerRef? = nil
    var cancelOnDrop = false
    /// Its latest poll returned `.pending` (someone awaits it).
    var awaited = false

    /// The test's hand waker for this handle: one per slot, so two handles registered
    /// at once never share one (only the running task's handle can be registered).
    var handWaker: WakerRef { .hand(slot) }
}

/// What a task holds (at most one thing, as `ModelTask`).
enum Hold {
    case nothing
    case notify(Registration, epoch: Int)
    case signal(Registration)
    case send(Int, Registration)
    /// The future's own `armed` flag.
    case receive(armed: Bool)
    case lock(Registration)
    case guarded
    case join(HandleModel)
    /// `deadline` is fixed at the first poll (`after`).
    case timer(deadline: UInt64?, after: UInt64)

    var kind: String {
        switch self {
        case .nothing: "nothing"
        case .notify: "notify"
        case .signal: "signal"
        case .send: "send"
        case .receive: "receive"
        case .lock: "lock"
        case .guarded: "guard"
        case .join: "join"
        case .timer: "timer"
        }
    }
}

/// One slot of a pool.
enum SlotModel: Equatable {
    case free
    /// Claimed by a reservation the test holds; never polled.
    case reserved
    case running(id: Int, joinable: Bool)
    /// A joinable task completed; its output (its id) waits for the handle.
    case finished(id: Int)
}

struct TaskModel {
    let id: Int
    let pool: PoolID
    let slot: Int
    let generation: UInt8
    let autoFinish: Bool
    var intent: Intent
    var hold: Hold
    var polled = false

    var waker: WakerRef { .task(slot: slot, generation: generation) }
}

/// The reference model. Every mutating method mirrors one documented operation and
/// appends the events it predicts.
struct Model {
    static let never = UInt64.max

    /// Pool A, B, C: first executor-wide slot.
    let bases: [Int]
    var slots: [SlotModel]
    var wakes: WakeState
    /// Running tasks (their futures exist), by id.
    var tasks: [Int: TaskModel] = [:]
    /// Join handles the test holds, by target id.
    var handles: [Int: HandleModel] = [:]
    var joinWaiters = [Waiters(capacity: 4), Waiters(capacity: 4), Waiters(capacity: 4)]
    var nextID = 0
    var events: [ModelEvent] = []
    var now: UInt64 = 0

    // Notify<2>
    var notifyList = Waiters(capacity: 2)
    var notifyPermit = false
    var notifyEpoch = 0
    // Signal<Int>
    var signalValue: Int? = nil
    var signalList = Waiters(capacity: 4)
    // Channel<Int, 2>
    var channel: [Int] = []
    var senders = Waiters(capacity: 4)
    var consumer: WakerRef? = nil
    var consumerArmed = false
    // AsyncMutex<Int, 2>
    var locked = false
    var handoff: WakerRef? = nil
    var mutexList = Waiters(capacity: 2)
    var testHoldsGuard = false

    // Time: the timer queue (nil: none attached) and the deadline register.
    let queueCapacity: Int?
    var queue: [Int: UInt64] = [:]
    /// The queue's lower bound on its earliest entry (as `TimerTable.earliest` keeps it).
    var queueEarliest = never
    var registered: Set<Int> = []
    var registerDeadline = never
    var overflows = 0
    var peakDemand = 0

    // Interrupt lines: 0, 1 wake a waker; 2 sends a value; 3 spawns.
    var linePending = [false, false, false, false]
    var lineWakers: [WakerRef?] = [nil, nil]
    var lineValue = 0
    var lineSpawn: SpawnSpec? = nil

    init(slotCount: Int, bases: [Int], queueCapacity: Int?) {
        self.bases = bases
        self.queueCapacity = queueCapacity
        slots = Array(repeating: .free, count: slotCount)
        wakes = WakeState(generation: Array(repeating: 0, count: slotCount),
                          ready: Array(repeating: false, count: slotCount))
    }

    func poolSlots(_ pool: PoolID) -> Range<Int> { bases[pool.rawValue]..<(bases[pool.rawValue] + pool.capacity) }

    // MARK: - Spawning and ending tasks

    /// `spawn`/`spawnJoinable`: the lowest free slot of the pool, a new odd generation,
    /// scheduled for the next pass. A full pool changes nothing (the task is dropped,
    /// and with it any handle it was given).
    mutating func spawn(_ spec: SpawnSpec) {
        let id = nextID
        nextID += 1
        var hold = Hold.nothing
        if let join = spec.join, var handle = handles.removeValue(forKey: join.target) {
            if join.cancelOnDrop { handle.cancelOnDrop = true }
            hold = .join(handle)
        }
        guard let slot = poolSlots(spec.pool).first(where: { slots[$0] == .free }) else {
            events.append(.ended(id))
            drop(hold)
            events.append(.spawnFull(id: id, pool: spec.pool))
            return
        }
        start(id, spec, hold, in: slot)
    }

    /// Starts task `id` in a claimed slot: a new odd generation, scheduled for the next pass.
    mutating func start(_ id: Int, _ spec: SpawnSpec, _ hold: Hold, in slot: Int) {
        let generation = wakes.generation[slot] & 1 == 0 ? wakes.generation[slot] &+ 1 : wakes.generation[slot] &+ 2
        wakes.generation[slot] = generation
        slots[slot] = .running(id: id, joinable: spec.joinable)
        tasks[id] = TaskModel(id: id, pool: spec.pool, slot: slot, generation: generation,
                              autoFinish: spec.autoFinish, intent: spec.intent, hold: hold)
        wakes.ready[slot] = true
        if spec.joinable { handles[id] = HandleModel(target: id, pool: spec.pool, slot: slot) }
        events.append(.spawned(id: id, slot: slot, generation: generation))
    }

    /// Reservations the test holds: key → slot.
    var reservations: [Int: Int] = [:]

    /// `reserve()`: claims the lowest free slot; its waker (the next generation) is
    /// stale until `fill`.
    mutating func reserve(_ pool: PoolID, key: Int) -> WakerRef? {
        guard let slot = poolSlots(pool).first(where: { slots[$0] == .free }) else {
            events.append(.reserveFull(key: key, pool: pool))
            return nil
        }
        slots[slot] = .reserved
        reservations[key] = slot
        events.append(.reserved(key: key, slot: slot))
        return .task(slot: slot, generation: wakes.generation[slot] &+ 1)
    }

    /// `fill`/`fillJoinable`: starts the task in the reserved slot (it cannot fail).
    mutating func fill(_ key: Int, _ spec: SpawnSpec) {
        let slot = reservations.removeValue(forKey: key)!
        let id = nextID
        nextID += 1
        var hold = Hold.nothing
        if let join = spec.join, var handle = handles.removeValue(forKey: join.target) {
            if join.cancelOnDrop { handle.cancelOnDrop = true }
            hold = .join(handle)
        }
        start(id, spec, hold, in: slot)
    }

    /// Dropping an unfilled reservation frees its slot.
    mutating func dropReservation(_ key: Int) {
        slots[reservations.removeValue(forKey: key)!] = .free
    }

    /// The end of a task (completion or cancellation): its wakers go stale, its
    /// deadline (register bit, queue entry) goes, and it leaves the current pass.
    mutating func endTask(_ slot: Int) {
        wakes.generation[slot] = wakes.generation[slot] & 1 == 1 ? wakes.generation[slot] &+ 1 : wakes.generation[slot] &+ 2
        registered.remove(slot)
        if queueCapacity != nil, !queue.isEmpty { _ = updateQueue(slot, deadline: Model.never) }
    }

    /// The task returned `.ready(id)` (it already dropped what it held).
    mutating func complete(_ id: Int) {
        let task = tasks.removeValue(forKey: id)!
        events.append(.ended(id))
        endTask(task.slot)
        if case .running(_, joinable: true) = slots[task.slot] {
            slots[task.slot] = .finished(id: id)
            joinWaiters[task.pool.rawValue].wakeAll(&wakes)
        } else {
            slots[task.slot] = .free
        }
    }

    /// `TaskPool.cancel`: the future is dropped at once (its deinit first, then what
    /// it held), the task ends, the slot is free.
    mutating func cancel(_ id: Int) {
        events.append(.ended(id))
        let hold = tasks[id]!.hold
        tasks[id]!.hold = .nothing
        drop(hold)
        let task = tasks.removeValue(forKey: id)!
        endTask(task.slot)
        slots[task.slot] = .free
    }

    // MARK: - Dropping what a task holds (the primitives' cancel paths)

    mutating func drop(_ hold: Hold) {
        switch hold {
        case .nothing, .timer:
            break
        case .notify(let registration, _):
            // A released waiter passes its notification on.
            guard case .listed(let waker) = registration else { return }
            switch notifyList.standing(of: waker) {
            case .waiting: notifyList.remove(waker)
            case .released:
                notifyList.remove(waker)
                notifyOne()
            case .absent: break
            }
        case .signal(let registration):
            // Woken for a value it never took: the next waiter gets the wake.
            guard case .listed(let waker) = registration else { return }
            if signalList.contains(waker) {
                signalList.remove(waker)
            } else if signalValue != nil {
                signalList.wakeOne(&wakes)
            }
        case .send(_, let registration):
            // Woken for room it will not use: the next sender gets the wake.
            guard case .listed(let waker) = registration else { return }
            if senders.contains(waker) { senders.remove(waker) } else { senders.wakeOne(&wakes) }
        case .receive(let armed):
            if armed { consumerArmed = false }
        case .lock(let registration):
            // A lock already handed over is passed on.
            guard case .listed(let waker) = registration else { return }
            if handoff == waker { unlock() } else { mutexList.remove(waker) }
        case .guarded:
            unlock()
        case .join(let handle):
            dropHandle(handle)
        }
    }

    /// `JoinHandle.deinit`: unregisters; a running task is detached (or cancelled,
    /// after `cancelOnDrop`); a finished task's output is discarded.
    mutating func dropHandle(_ handle: HandleModel) {
        if let waker = handle.registered { joinWaiters[handle.pool.rawValue].remove(waker) }
        guard handle.outcome == .running else { return }
        switch slots[handle.slot] {
        case .running(let id, joinable: true):
            if handle.cancelOnDrop { cancel(id) } else { slots[handle.slot] = .running(id: id, joinable: false) }
        case .finished:
            slots[handle.slot] = .free
        default:
            break
        }
    }

    // MARK: - Join handles

    /// `JoinHandle.poll` with `waker`.
    mutating func pollHandle(_ handle: inout HandleModel, _ waker: WakerRef) -> HandPoll {
        switch handle.outcome {
        case .cancelled: return .cancelled
        case .delivered: fatalError("model: a delivered handle is never polled again")
        case .running: break
        }
        if case .finished(let id) = slots[handle.slot] {
            if let registered = handle.registered { joinWaiters[handle.pool.rawValue].remove(registered) }
            handle.registered = nil
            slots[handle.slot] = .free
            handle.outcome = .delivered
            handle.awaited = false
            return .completed(id)
        }
        // Awaited now by another waker (the handle moved to another task): the
        // registration moves with it; the previous awaiter is no longer listed.
        if let previous = handle.registered, previous != waker {
            joinWaiters[handle.pool.rawValue].remove(previous)
            handle.registered = nil
        }
        if joinWaiters[handle.pool.rawValue].register(waker, wakes) {
            handle.registered = waker
        } else {
            handle.registered = nil
            wakes.wake(waker)
        }
        handle.awaited = true
        return .pending
    }

    /// `JoinHandle.cancel`: only a running task; `false` once it completed.
    mutating func cancelHandle(_ handle: inout HandleModel) -> Bool {
        guard handle.outcome == .running, case .running(let id, joinable: true) = slots[handle.slot] else { return false }
        if let registered = handle.registered { joinWaiters[handle.pool.rawValue].remove(registered) }
        handle.registered = nil
        cancel(id)
        handle.outcome = .cancelled
        handle.awaited = false
        return true
    }

    // MARK: - Primitives

    mutating func notifyOne() {
        if !notifyList.releaseOldest(&wakes) { notifyPermit = true }
    }

    mutating func notifyAll() {
        notifyEpoch += 1
        notifyList.wakeAndRemoveWaiting(&wakes)
    }

    mutating func signal(_ value: Int) {
        signalValue = value
        signalList.wakeOne(&wakes)
    }

    /// Room: the element goes in and an armed consumer is woken.
    mutating func trySend(_ value: Int) -> Bool {
        guard channel.count < 2 else { return false }
        channel.append(value)
        if consumerArmed, let consumer { wakes.wake(consumer) }
        return true
    }

    /// The consumer takes the oldest element and wakes one waiting sender.
    mutating func tryReceive() -> Int? {
        guard !channel.isEmpty else { return nil }
        let value = channel.removeFirst()
        if !senders.isEmpty { senders.wakeOne(&wakes) }
        return value
    }

    /// Hands the lock to the oldest live waiter (waking it), or unlocks.
    mutating func unlock() {
        if let next = mutexList.popOldestLive(wakes) {
            handoff = next
            wakes.wake(next)
        } else {
            handoff = nil
            locked = false
        }
    }

    mutating func reclaimStaleHandoff() {
        if let handoff, wakes.isStale(handoff) { unlock() }
    }

    mutating func tryLock() -> Bool {
        reclaimStaleHandoff()
        guard !locked else { return false }
        locked = true
        return true
    }

    // MARK: - Time

    /// `updateTimer` for a queue: set, move or (never) remove the slot's entry.
    /// `false`: the queue is full and the deadline goes to the register.
    mutating func updateQueue(_ slot: Int, deadline: UInt64) -> Bool {
        guard let capacity = queueCapacity else { return deadline == Model.never }
        if deadline == Model.never {
            if queue.removeValue(forKey: slot) != nil, queue.isEmpty { queueEarliest = Model.never }
            return true
        }
        if queue[slot] == nil && queue.count == capacity {
            overflows += 1
            peakDemand = max(peakDemand, queue.count + registered.union([slot]).count)
            return false
        }
        queue[slot] = deadline
        queueEarliest = min(queueEarliest, deadline)
        return true
    }

    /// After a pending poll: the deadline it registered (or none) goes to the queue
    /// or the register.
    mutating func recordDeadline(_ slot: Int, _ deadline: UInt64) {
        guard deadline != Model.never || !queue.isEmpty else { return }
        if !updateQueue(slot, deadline: deadline) {
            registered.insert(slot)
            registerDeadline = min(registerDeadline, deadline)
        }
    }

    /// `fireTimers(now:)`: when the register's earliest deadline passed, every
    /// registered task is scheduled; every queue entry that is due is.
    mutating func fireTimers() {
        if registerDeadline <= now {
            registerDeadline = Model.never
            for slot in registered { wakes.ready[slot] = true }
            registered = []
        }
        if !queue.isEmpty && queueEarliest <= now {
            for (slot, deadline) in queue where deadline <= now {
                queue[slot] = nil
                wakes.ready[slot] = true
            }
            queueEarliest = queue.values.min() ?? Model.never
        }
    }

    // MARK: - Interrupts

    /// Runs the pending lines' handlers, lowest line first.
    mutating func serviceInterrupts() {
        for line in 0..<4 where linePending[line] {
            linePending[line] = false
            switch line {
            case 0, 1:
                if let waker = lineWakers[line] { events.append(.isrWake(line: line, wakes.wake(waker))) }
            case 2:
                events.append(.isrSend(lineValue, trySend(lineValue)))
            default:
                if let spec = lineSpawn { spawn(spec) }
            }
        }
    }

    // MARK: - The pass

    /// One pass: interrupts, timers, then the snapshot of ready *tasks* polled in slot
    /// order, each once. A task that ends during the pass is not polled; a task spawned
    /// or woken during the pass waits for the next one (even if its slot's ready bit
    /// was in the snapshot: that bit belonged to the slot's previous task).
    mutating func pass() {
        serviceInterrupts()
        fireTimers()
        var snapshot: [(slot: Int, id: Int)] = []
        for slot in wakes.ready.indices where wakes.ready[slot] {
            wakes.ready[slot] = false
            if case .running(let id, _) = slots[slot] { snapshot.append((slot, id)) }
        }
        var polled = 0
        for (_, id) in snapshot where tasks[id] != nil {
            poll(id)
            polled += 1
        }
        events.append(.passPolled(polled))
    }

    /// One poll of `ModelTask`, step by step as it is written.
    mutating func poll(_ id: Int) {
        let task = tasks[id]!
        let waker = task.waker
        events.append(.poll(id: id, slot: task.slot, generation: task.generation))
        tasks[id]!.polled = true
        tasks[id]!.intent = .none
        switch task.intent {
        case .none: break
        case .finish:
            dropHold(of: id)
            complete(id)
            return
        case .abandon: dropHold(of: id)
        case .start(let wait):
            if case .nothing = task.hold { tasks[id]!.hold = start(wait) }
        case .yield: wakes.wake(waker)
        case .spawnChild(let spec): spawn(spec)
        case .cancelJoin:
            if case .join(var handle) = task.hold {
                let stopped = cancelHandle(&handle)
                tasks[id]!.hold = .join(handle)
                events.append(.taskCancelledJoin(by: id, target: handle.target, stopped))
            }
        case .notifyOne: notifyOne()
        case .notifyAll: notifyAll()
        case .signal(let value): signal(value)
        case .trySend(let value): events.append(.trySend(value, trySend(value)))
        }
        var deadline = Model.never
        if let outcome = pollHold(of: id, waker, &deadline) {
            events.append(.outcome(id: id, outcome))
            if task.autoFinish {
                dropHold(of: id)
                complete(id)
                return
            }
        }
        recordDeadline(task.slot, deadline)
    }

    func start(_ wait: WaitKind) -> Hold {
        switch wait {
        case .notify: .notify(.initial, epoch: 0)
        case .signal: .signal(.initial)
        case .send(let value): .send(value, .initial)
        case .receive: .receive(armed: false)
        case .lock: .lock(.initial)
        case .timerAfter(let us): .timer(deadline: nil, after: us)
        case .timerAt(let us): .timer(deadline: us, after: 0)
        }
    }

    mutating func dropHold(of id: Int) {
        let hold = tasks[id]!.hold
        tasks[id]!.hold = .nothing
        drop(hold)
    }

    /// Polls what task `id` holds with `waker`; the outcome if it completed. A pending
    /// timer lowers `deadline`.
    mutating func pollHold(of id: Int, _ waker: WakerRef, _ deadline: inout UInt64) -> WaitOutcome? {
        var hold = tasks[id]!.hold
        tasks[id]!.hold = .nothing
        defer { tasks[id]?.hold = hold }
        switch hold {
        case .nothing, .guarded:
            return nil
        case .notify(var registration, var epoch):
            defer { hold = registration == .done ? .nothing : .notify(registration, epoch: epoch) }
            switch registration {
            case .initial:
                if notifyPermit {
                    notifyPermit = false
                    registration = .done
                    return .notified
                }
                epoch = notifyEpoch
            case .listed(let listed):
                switch notifyList.standing(of: listed) {
                case .waiting: return nil
                case .released:
                    notifyList.remove(listed)
                    registration = .done
                    return .notified
                case .absent:
                    registration = .done
                    return .notified
                }
            case .polling:
                if notifyEpoch != epoch || notifyPermit {
                    if notifyEpoch == epoch { notifyPermit = false }
                    registration = .done
                    return .notified
                }
            case .done:
                fatalError("model: a completed notify wait is never polled")
            }
            registration = notifyList.enlist(waker, &wakes)
            return nil
        case .signal(var registration):
            defer { hold = registration == .done ? .nothing : .signal(registration) }
            if let value = signalValue {
                signalValue = nil
                if case .listed(let listed) = registration { signalList.remove(listed) }
                registration = .done
                return .signalled(value)
            }
            registration = signalList.enlist(waker, &wakes)
            return nil
        case .send(let value, var registration):
            defer { hold = registration == .done ? .nothing : .send(value, registration) }
            if trySend(value) {
                if case .listed(let listed) = registration { senders.remove(listed) }
                registration = .done
                return .sent
            }
            registration = senders.enlist(waker, &wakes)
            return nil
        case .receive(var armed):
            defer { hold = armed ? .receive(armed: true) : hold }
            if let value = tryReceive() {
                if armed { consumerArmed = false }
                hold = .nothing
                armed = false
                return .received(value)
            }
            consumer = waker
            consumerArmed = true
            armed = true
            if let value = tryReceive() {
                consumerArmed = false
                hold = .nothing
                armed = false
                return .received(value)
            }
            return nil
        case .lock(var registration):
            defer { hold = registration == .done ? .guarded : .lock(registration) }
            reclaimStaleHandoff()
            if handoff == waker {
                handoff = nil
                registration = .done
                return .locked
            }
            if !locked {
                if case .listed(let listed) = registration { mutexList.remove(listed) }
                locked = true
                registration = .done
                return .locked
            }
            if case .listed(let listed) = registration, mutexList.contains(listed) { return nil }
            registration = mutexList.enlist(waker, &wakes)
            return nil
        case .join(var handle):
            let result = pollHandle(&handle, waker)
            switch result {
            case .pending:
                hold = .join(handle)
                return nil
            case .completed(let value):
                hold = .nothing
                return .joined(target: handle.target, value: value)
            case .cancelled:
                hold = .nothing
                return .joined(target: handle.target, value: nil)
            }
        case .timer(let fixed, let after):
            let due = fixed ?? (now.addingReportingOverflow(after).overflow ? Model.never : now + after)
            if now >= due {
                hold = .nothing
                return .timerFired
            }
            hold = .timer(deadline: due, after: after)
            if due != Model.never { deadline = min(deadline, due) }
            return nil
        }
    }

    // MARK: - What the test compares

    var counters: ModelCounters {
        var counters = ModelCounters()
        counters.notifyWaiters = notifyList.count
        counters.notifyPermit = notifyPermit
        counters.signalWaiters = signalList.count
        counters.signalled = signalValue != nil
        counters.channelCount = channel.count
        counters.waitingSenders = senders.count
        counters.mutexWaiters = mutexList.count
        counters.mutexLocked = locked
        counters.joinWaiters = joinWaiters.map(\.count)
        counters.occupied = PoolID.allCases.map { pool in poolSlots(pool).count { slots[$0] != .free } }
        counters.armedTimers = queue.count
        counters.registeredDeadlines = registered.count
        counters.timerOverflows = overflows
        counters.timerPeakDemand = peakDemand
        let earliest = min(queueEarliest, registerDeadline)
        counters.nextDeadline = earliest == Model.never ? nil : earliest
        counters.running = wakes.generation.map { $0 & 1 == 1 }
        counters.hasReadyTasks = wakes.ready.contains(true)
        return counters
    }

    /// Some slot's ready bit is set (possibly for a task that has ended since).
    var hasReadyBit: Bool { wakes.ready.contains(true) }
    /// A running task's ready bit is set.
    var hasReadyTask: Bool { wakes.ready.indices.contains { wakes.ready[$0] && wakes.generation[$0] & 1 == 1 } }

    /// Whether any running task holds a `kind` (see `Hold.kind`).
    func anyTaskHolds(_ kind: String) -> Bool { tasks.values.contains { $0.hold.kind == kind } }

    /// Every join handle that exists (the test's and the tasks'), by pool.
    func existingHandles(of pool: PoolID) -> [HandleModel] {
        var all = handles.values.filter { $0.pool == pool }
        for task in tasks.values {
            if case .join(let handle) = task.hold, handle.pool == pool { all.append(handle) }
        }
        return all
    }

    /// The consumer of the channel: a task that holds a receive or is about to start one.
    var hasConsumer: Bool {
        tasks.values.contains { task in
            if case .receive = task.hold { return true }
            return task.intent == .start(.receive)
        }
    }
}
