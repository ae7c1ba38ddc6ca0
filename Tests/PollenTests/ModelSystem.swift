// The system under test of the model-based test: a real executor with three pools of
// puppet tasks (`ModelTask`), the real primitives, a timer queue (or none) and a
// simulated interrupt controller. Everything observable is logged to `Stage.events`.

@testable import Pollen
import PollenHost
import Synchronization

/// The test's side of the real system, shared by the tasks: what they log, the
/// intents the test leaves for them, the primitives, and the join handles the
/// test holds.
final class Stage {
    /// What happened since the driver last cleared it.
    var events: [ModelEvent] = []
    /// Failures of the checks the tasks make themselves (independent of the model).
    var problems: [String] = []
    /// The intent each task takes at its next poll.
    var intents: [Int: Intent] = [:]
    /// The waker each live task was given at its latest poll.
    var lastWaker: [Int: Waker] = [:]
    /// Every poll's waker since the driver last cleared it (ended tasks included).
    var polledWakers: [Waker] = []
    /// Tasks whose future exists (spawned and not yet dropped).
    var live: Set<Int> = []
    /// The slot each spawned task was given.
    var slotOf: [Int: Int] = [:]
    var nextID = 0
    /// Join handles the test holds, by the id of the task they await.
    var handles: [Int: HandleBox] = [:]
    /// The guard of the mutex when the test itself holds it.
    var testGuard: AsyncMutexGuard<Int, 2>? = nil

    let notify = Pinned(Notify<2>())
    let signal = Pinned(Signal<Int>())
    let channel = Pinned(Channel<Int, 2>())
    let mutex = Pinned(AsyncMutex<Int, 2>(0))

    /// Set once the pools are attached.
    var poolA: PoolRef<ModelTask, 3>!
    var poolB: PoolRef<ModelTask, 6>!
    var poolC: PoolRef<ModelTask, 2>!
    /// The generation of a running slot (`nil`: no task runs there).
    var generationOf: (Int) -> UInt8? = { _ in nil }

    /// What the interrupt handlers use: lines 0 and 1 wake `lineWakers`, line 2 sends
    /// `lineValue` into the channel, line 3 spawns `lineSpawn`.
    var lineWakers: [Waker?] = [nil, nil]
    var lineValue = 0
    var lineSpawn: SpawnSpec? = nil

    func log(_ event: ModelEvent) { events.append(event) }

    /// Called first by every poll: logs it and checks, independently of the model,
    /// that the polled task is alive (its future exists, its waker is not stale, and
    /// it sits in the slot it was spawned into).
    func polled(_ id: Int, _ waker: Waker) {
        let slot = Int(waker.slot)
        log(.poll(id: id, slot: slot, generation: waker.generation))
        if !live.contains(id) { problems.append("task \(id) polled after its future was dropped") }
        if waker.isStale { problems.append("task \(id) polled with a stale waker (slot \(slot) is not its own any more)") }
        if slotOf[id] != slot { problems.append("task \(id) polled in slot \(slot), spawned into \(slotOf[id].map(String.init) ?? "none")") }
        lastWaker[id] = waker
        polledWakers.append(waker)
    }

    /// A task's future was dropped.
    func ended(_ id: Int) {
        log(.ended(id))
        if live.remove(id) == nil { problems.append("task \(id) dropped twice") }
        intents[id] = nil
        lastWaker[id] = nil
    }

    /// A new task for `spec`, with the test's join handle it is to await, if any.
    func makeTask(_ spec: SpawnSpec) -> ModelTask {
        let id = nextID
        nextID += 1
        var joinB: JoinHandle<ModelTask, 6>? = nil
        var joinC: JoinHandle<ModelTask, 2>? = nil
        var target = -1
        if let join = spec.join, let box = handles.removeValue(forKey: join.target) {
            target = join.target
            joinB = box.b.take()
            joinC = box.c.take()
            if join.cancelOnDrop {
                if joinB != nil { joinB = joinB.take()!.cancelOnDrop() }
                if joinC != nil { joinC = joinC.take()!.cancelOnDrop() }
            }
        }
        if spec.intent != .none { intents[id] = spec.intent }
        live.insert(id)
        return ModelTask(id: id, stage: self, autoFinish: spec.autoFinish,
                         joinTarget: target, joinB: joinB, joinC: joinC)
    }

    /// Spawns `spec` (from the test, a task, or an interrupt handler), logging the result.
    func spawn(_ spec: SpawnSpec) {
        let task = makeTask(spec)
        let id = task.id
        do throws(SpawnError) {
            switch (spec.pool, spec.joinable) {
            case (.a, _):
                let taskID = try poolA.spawn(task)
                spawned(id, Int(taskID.slot), taskID.generation)
            case (.b, false):
                let taskID = try poolB.spawn(task)
                spawned(id, Int(taskID.slot), taskID.generation)
            case (.c, false):
                let taskID = try poolC.spawn(task)
                spawned(id, Int(taskID.slot), taskID.generation)
            case (.b, true):
                let handle = try poolB.spawnJoinable(task)
                let slot = poolB.base + handle.index
                handles[id] = HandleBox(b: handle)
                spawned(id, slot, generationOf(slot) ?? 0)
            case (.c, true):
                let handle = try poolC.spawnJoinable(task)
                let slot = poolC.base + handle.index
                handles[id] = HandleBox(c: handle)
                spawned(id, slot, generationOf(slot) ?? 0)
            }
        } catch {
            guard case .poolFull = error else {
                problems.append("spawn of \(id) threw \(error) instead of poolFull")
                return
            }
            log(.spawnFull(id: id, pool: spec.pool))
        }
    }

    /// Slot reservations the test holds, by key.
    var reservations: [Int: ReservationBox] = [:]

    /// `reserve()` on `pool`; returns the reservation's waker if it succeeded.
    func reserve(_ pool: PoolID, key: Int) -> Waker? {
        do throws(SpawnError) {
            let box = ReservationBox()
            let slot: Int
            let waker: Waker
            switch pool {
            case .a:
                let reservation = try poolA.reserve()
                (slot, waker) = (poolA.base + reservation.index, reservation.waker)
                box.a = .some(reservation)
            case .b:
                let reservation = try poolB.reserve()
                (slot, waker) = (poolB.base + reservation.index, reservation.waker)
                box.b = .some(reservation)
            case .c:
                let reservation = try poolC.reserve()
                (slot, waker) = (poolC.base + reservation.index, reservation.waker)
                box.c = .some(reservation)
            }
            box.slot = slot
            reservations[key] = box
            log(.reserved(key: key, slot: slot))
            return waker
        } catch {
            log(.reserveFull(key: key, pool: pool))
            return nil
        }
    }

    /// Fills reservation `key` with a task for `spec` (joinable if `spec.joinable`).
    func fill(_ key: Int, _ spec: SpawnSpec) {
        let box = reservations.removeValue(forKey: key)!
        let task = makeTask(spec)
        let id = task.id
        let slot = box.slot
        if box.a != nil {
            box.a.take()!.fill(task)
        } else if box.b != nil {
            if spec.joinable { handles[id] = HandleBox(b: box.b.take()!.fillJoinable(task)) } else { box.b.take()!.fill(task) }
        } else {
            if spec.joinable { handles[id] = HandleBox(c: box.c.take()!.fillJoinable(task)) } else { box.c.take()!.fill(task) }
        }
        spawned(id, slot, generationOf(slot) ?? 0)
    }

    private func spawned(_ id: Int, _ slot: Int, _ generation: UInt8) {
        slotOf[id] = slot
        log(.spawned(id: id, slot: slot, generation: generation))
    }
}

/// A join handle the test holds (of pool B or C: exactly one is set).
final class HandleBox {
    var b: JoinHandle<ModelTask, 6>?
    var c: JoinHandle<ModelTask, 2>?

    init(b: consuming JoinHandle<ModelTask, 6>) { self.b = .some(b); self.c = nil }
    init(c: consuming JoinHandle<ModelTask, 2>) { self.b = nil; self.c = .some(c) }

    func cancel() -> Bool {
        if b != nil { return b!.cancel() }
        return c!.cancel()
    }

    func poll(_ context: inout Context) -> Poll<JoinResult<Int>> {
        if b != nil { return b!.poll(&context) }
        return c!.poll(&context)
    }

    func setCancelOnDrop() {
        if b != nil { b = b.take()!.cancelOnDrop() }
        if c != nil { c = c.take()!.cancelOnDrop() }
    }
}

/// A slot reservation the test holds (of pool A, B or C: exactly one is set).
final class ReservationBox {
    var a: SlotReservation<ModelTask, 3>? = nil
    var b: SlotReservation<ModelTask, 6>? = nil
    var c: SlotReservation<ModelTask, 2>? = nil
    /// The executor-wide slot it claimed.
    var slot = 0
}

/// The puppet task: on each poll it takes the intent the test left for it, then polls
/// what it holds (at most one of the optionals below is set). Every pool holds this
/// one type. Output: its id.
struct ModelTask: ~Copyable, Future {
    let id: Int
    let stage: Stage
    let autoFinish: Bool
    /// The task `joinB`/`joinC` awaits.
    let joinTarget: Int
    var joinB: JoinHandle<ModelTask, 6>?
    var joinC: JoinHandle<ModelTask, 2>?
    var notifyWait: NotifyWait<2>? = nil
    var signalWait: SignalWait<Int>? = nil
    var sending: ChannelSend<Int, 2>? = nil
    var receiving: ChannelReceive<Int, 2>? = nil
    var locking: AsyncMutexLock<Int, 2>? = nil
    var held: AsyncMutexGuard<Int, 2>? = nil
    var timer: Timer? = nil

    init(id: Int, stage: Stage, autoFinish: Bool, joinTarget: Int,
         joinB: consuming JoinHandle<ModelTask, 6>?, joinC: consuming JoinHandle<ModelTask, 2>?) {
        self.id = id
        self.stage = stage
        self.autoFinish = autoFinish
        self.joinTarget = joinTarget
        self.joinB = joinB
        self.joinC = joinC
    }

    var holdsNothing: Bool {
        joinB == nil && joinC == nil && notifyWait == nil && signalWait == nil && sending == nil
            && receiving == nil && locking == nil && held == nil && timer == nil
    }

    mutating func poll(_ context: inout Context) -> Poll<Int> {
        stage.polled(id, context.waker)
        switch stage.intents.removeValue(forKey: id) ?? .none {
        case .none: break
        case .finish:
            dropHold()
            return .ready(id)
        case .abandon: dropHold()
        case .start(let wait): if holdsNothing { start(wait) }
        case .yield: context.waker.wake()
        case .spawnChild(let spec): stage.spawn(spec)
        case .cancelJoin:
            if joinB != nil { stage.log(.taskCancelledJoin(by: id, target: joinTarget, joinB!.cancel())) }
            if joinC != nil { stage.log(.taskCancelledJoin(by: id, target: joinTarget, joinC!.cancel())) }
        case .notifyOne: stage.notify.pointee.notifyOne()
        case .notifyAll: stage.notify.pointee.notifyAll()
        case .signal(let value): stage.signal.pointee.signal(value)
        case .trySend(let value): stage.log(.trySend(value, stage.channel.pointee.trySend(value)))
        }
        if let outcome = pollHold(&context) {
            stage.log(.outcome(id: id, outcome))
            if autoFinish {
                dropHold()
                return .ready(id)
            }
        }
        return .pending
    }

    mutating func start(_ wait: WaitKind) {
        switch wait {
        case .notify: notifyWait = stage.notify.pointee.wait()
        case .signal: signalWait = stage.signal.pointee.wait()
        case .send(let value): sending = stage.channel.pointee.send(value)
        case .receive: receiving = stage.channel.pointee.receive()
        case .lock: locking = stage.mutex.pointee.lock()
        case .timerAfter(let us): timer = .after(.microseconds(us))
        case .timerAt(let us): timer = .at(Instant(ticks: us))
        }
    }

    /// Polls what the task holds; the outcome if that completed (it is then dropped,
    /// except that a lock turns into the guard).
    mutating func pollHold(_ context: inout Context) -> WaitOutcome? {
        if notifyWait != nil {
            guard case .ready = notifyWait!.poll(&context) else { return nil }
            notifyWait = nil
            return .notified
        }
        if signalWait != nil {
            guard case .ready(let value) = signalWait!.poll(&context) else { return nil }
            signalWait = nil
            return .signalled(value)
        }
        if sending != nil {
            guard case .ready = sending!.poll(&context) else { return nil }
            sending = nil
            return .sent
        }
        if receiving != nil {
            guard case .ready(let value) = receiving!.poll(&context) else { return nil }
            receiving = nil
            return .received(value)
        }
        if locking != nil {
            held = locking!.poll(&context)
            guard held != nil else { return nil }
            locking = nil
            return .locked
        }
        if joinB != nil {
            guard case .ready(let result) = joinB!.poll(&context) else { return nil }
            joinB = nil
            return joined(result)
        }
        if joinC != nil {
            guard case .ready(let result) = joinC!.poll(&context) else { return nil }
            joinC = nil
            return joined(result)
        }
        if timer != nil {
            guard case .ready = timer!.poll(&context) else { return nil }
            timer = nil
            return .timerFired
        }
        return nil
    }

    func joined(_ result: JoinResult<Int>) -> WaitOutcome {
        switch result {
        case .completed(let value): return .joined(target: joinTarget, value: value)
        case .cancelled: return .joined(target: joinTarget, value: Int?.none)
        }
    }

    /// Drops whatever the task holds: the primitives' cancel paths run here.
    mutating func dropHold() {
        notifyWait = nil
        signalWait = nil
        sending = nil
        receiving = nil
        locking = nil
        held = nil
        joinB = nil
        joinC = nil
        timer = nil
    }

    deinit { stage.ended(id) }
}

/// What the driver needs of a system under test, whatever its executor width,
/// padding and timer queue.
protocol SystemUnderTest {
    var stage: Stage { get }
    /// Slots handed to pools (the padding pool included).
    var slotsUsed: Int { get }
    /// The executor-wide first slot of each pool A, B, C.
    var bases: [Int] { get }
    var hasTimerQueue: Bool { get }
    /// Services pending interrupts, fires timers, runs one pass; returns the polls.
    func pass(now: UInt64) -> Int
    func serviceInterrupts()
    func raise(_ line: Int)
    func waker(forSlot slot: Int) -> Waker?
    var executorNow: UInt64 { get }
    func counters() -> ModelCounters
    /// The timer queue's entries (slot → deadline) and the deadline register's slots.
    func timerEntries() -> (queue: [Int: UInt64], registered: Set<Int>)
}

/// The real system: `Executor<words>`, pools A (3), padding (`pad`, never spawned
/// into: with `Executor<2>` it pushes pool B across the 32-slot word boundary), B (6),
/// C (2), and a `TimerQueue<queueCapacity>` attached only if `useQueue`.
struct RealSystem<let words: Int, let pad: Int, let queueCapacity: Int>: SystemUnderTest {
    let stage: Stage
    let executor = Pinned(Executor<words>())
    let poolA = Pinned(TaskPool<ModelTask, 3>(name: "a"))
    let poolPad = Pinned(TaskPool<ModelTask, pad>(name: "pad"))
    let poolB = Pinned(TaskPool<ModelTask, 6>(name: "b"))
    let poolC = Pinned(TaskPool<ModelTask, 2>(name: "c"))
    let queue = Pinned(TimerQueue<queueCapacity>())
    let interrupts = SimulatedInterruptController(lineCount: 4)
    let a: PoolRef<ModelTask, 3>
    let p: PoolRef<ModelTask, pad>
    let b: PoolRef<ModelTask, 6>
    let c: PoolRef<ModelTask, 2>
    let hasTimerQueue: Bool

    init(stage: Stage, useQueue: Bool) {
        SuiteConfiguration.check()
        self.stage = stage
        a = try! executor.pointee.attach(&poolA.pointee)
        p = try! executor.pointee.attach(&poolPad.pointee)
        b = try! executor.pointee.attach(&poolB.pointee)
        c = try! executor.pointee.attach(&poolC.pointee)
        hasTimerQueue = useQueue
        if useQueue { executor.pointee.attach(timers: &queue.pointee) }
        stage.poolA = a
        stage.poolB = b
        stage.poolC = c
        let executor = self.executor
        stage.generationOf = { executor.pointee.waker(forSlot: $0)?.generation }
        let sender = stage.channel.pointee.sender()
        for line in 0..<2 {
            interrupts.setHandler(line: line) { [stage] in
                if let waker = stage.lineWakers[line] { stage.log(.isrWake(line: line, waker.wake() == .woken)) }
            }
        }
        interrupts.setHandler(line: 2) { [stage] in
            stage.log(.isrSend(stage.lineValue, sender.trySend(stage.lineValue)))
        }
        interrupts.setHandler(line: 3) { [stage] in
            if let spec = stage.lineSpawn { stage.spawn(spec) }
        }
    }

    var slotsUsed: Int { executor.pointee.slotsUsed }
    var bases: [Int] { [a.base, b.base, c.base] }
    var executorNow: UInt64 { executor.pointee.now.ticks }

    func pass(now: UInt64) -> Int {
        interrupts.servicePending()
        executor.pointee.fireTimers(now: Instant(ticks: now))
        return executor.pointee.runReady(tasks(a, p, b, c), now: Instant(ticks: now))
    }

    func serviceInterrupts() { interrupts.servicePending() }
    func raise(_ line: Int) { interrupts.raise(line) }
    func waker(forSlot slot: Int) -> Waker? { executor.pointee.waker(forSlot: slot) }

    func timerEntries() -> (queue: [Int: UInt64], registered: Set<Int>) {
        var queue: [Int: UInt64] = [:]
        if let table = executor.pointee.core.queue {
            let entries = TimerTable.entries(table)
            for i in 0..<table.pointee.count { queue[Int(entries[i].slot)] = entries[i].deadline.ticks }
        }
        var registered: Set<Int> = []
        for group in 0..<words {
            let bits = (executor.pointee.groupsAddress + group).registered.pointee.load(ordering: .relaxed)
            for bit in 0..<32 where bits & (1 << UInt32(bit)) != 0 { registered.insert(group * 32 + bit) }
        }
        return (queue, registered)
    }

    func counters() -> ModelCounters {
        var counters = ModelCounters()
        counters.notifyWaiters = stage.notify.pointee.waiterCount
        counters.notifyPermit = stage.notify.pointee.hasPermit
        counters.signalWaiters = stage.signal.pointee.list.count
        counters.signalled = stage.signal.pointee.isSignaled
        counters.channelCount = stage.channel.pointee.count
        counters.waitingSenders = stage.channel.pointee.waitingSenderCount
        counters.mutexWaiters = stage.mutex.pointee.waiterCount
        counters.mutexLocked = stage.mutex.pointee.isLocked
        counters.joinWaiters = [poolA.pointee.joinWaiters.count, poolB.pointee.joinWaiters.count,
                                poolC.pointee.joinWaiters.count]
        counters.occupied = [poolA.pointee.occupiedCount, poolB.pointee.occupiedCount, poolC.pointee.occupiedCount]
        counters.armedTimers = executor.pointee.armedTimers
        counters.registeredDeadlines = executor.pointee.registeredDeadlines
        counters.timerOverflows = executor.pointee.timerOverflows
        counters.timerPeakDemand = executor.pointee.timerPeakDemand
        counters.nextDeadline = executor.pointee.nextDeadline?.ticks
        counters.running = (0..<slotsUsed).map { executor.pointee.waker(forSlot: $0) != nil }
        counters.hasReadyTasks = executor.pointee.hasReadyTasks
        return counters
    }
}
