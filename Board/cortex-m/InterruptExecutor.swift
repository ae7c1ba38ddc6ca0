// InterruptExecutor.swift (Board/cortex-m) — executors that run in interrupt handlers, at NVIC
// priorities above thread mode: Pollen's preemptive priority levels.
//
// # The model
//
// The thread-mode executor (`Executor.run(on:idle: .sleep, …)`, `wfi` when idle)
// is level 0. An `InterruptExecutor` is a second, third, … executor bound to an
// otherwise unused NVIC line at a chosen level (1…, higher preempts lower):
//
//   - its handler (the app's `@_cdecl("IRQ<n>_Handler")`, one line calling
//     `runInterrupt(on: Board.self)`) runs ONE round: due timers, one pass over
//     its ready tasks, then it asks the alarm for its earliest deadline (when
//     that changed) and returns;
//   - waking one of its tasks sets the ready bit and calls its pend hook, which
//     is `NVIC.pend(line)`: one store. From a less urgent context (a thread-mode
//     task, a lower level's task or handler) the level's round preempts at once;
//     from a more urgent one it runs when that returns (tail-chaining). Tasks
//     woken during a round pend the line again: the next round runs after the
//     handler returns, so a higher level waits at most for one poll of this one;
//   - its timers fire at its own priority: after each round the executor asks
//     the board's one-shot alarm (`TicklessAlarm`, CortexMClock.swift) for its
//     earliest deadline, under its own requester index and line; the alarm is
//     always armed for the earliest deadline of every executor, and when this
//     one's passes, the alarm handler pends this executor's line (never the
//     thread executor's).
//
// Each level has its own pools, timer queue and capacity check (`attach` errors
// name the level), and `describePriorityLevels(thread:to:)` prints all of them.
//
// # Levels and NVIC priorities
//
// A board has `2^priorityBits` NVIC priorities (3 bits on the AN386's Cortex-M4,
// 2 on the nRF51's Cortex-M0). Level L (1 … 2^bits − 1) is NVIC priority
// `(2^bits − 1 − L) << (8 − bits)`: the highest level is NVIC priority 0, the
// one the clock's alarm, the UART receive and the software interrupt keep by default (so
// those and the highest level do not preempt each other); level 1 is the least
// urgent handler priority, still above thread mode.
//
// # What connects levels (see README "Priorities")
//
// Safe across levels: `Waker.wake()`, `ChannelSender.trySend` (a Channel's
// consumer stays on one level), `InterruptSignal`, `AtomicWaker`, spawning
// through a `PoolRef` or filling a `SlotReservation`. Not: `AsyncMutex` (a
// high-level task waiting for a lock a thread task holds waits for the thread:
// priority inversion, and its state is not interrupt-safe), `Notify`, `Signal`,
// a Channel's `send`/`receive` futures from two levels, `JoinHandle`s used from
// another level than their pool's executor.

import Pollen
import PollenBoardCommon
import PollenCortexMSupport
import Synchronization

/// The board facts priority levels need: how many NVIC priority bits the core
/// implements and which interrupt lines no device uses. Each board declares them
/// in its Board.swift.
///
/// ```swift
/// extension Board: InterruptLevelSupport {
///     public static let priorityBits = 3                   // levels 1...7
///     public static let spareInterruptLines: UInt32 = 0x7FFF_0000   // IRQ 16...30
/// }
/// ```
public protocol InterruptLevelSupport: BoardSupport {
    /// Implemented NVIC priority bits (the top bits of each priority byte).
    static var priorityBits: Int { get }
    /// Bit `n` set: NVIC line `n` is driven by no device and is not the software
    /// interrupt, so an ``InterruptExecutor`` may use it.
    static var spareInterruptLines: UInt32 { get }
}

extension InterruptLevelSupport {
    /// The highest level an ``InterruptExecutor`` may use (levels start at 1;
    /// thread mode is level 0): `2^priorityBits − 1`.
    ///
    /// ```swift
    /// Board.highestLevel   // 7 on the mps2-an386, 3 on the micro:bit
    /// ```
    public static var highestLevel: Int { (1 &<< priorityBits) &- 1 }

    /// The NVIC priority byte of `level` (1...``highestLevel``): the highest level
    /// is 0 (most urgent), level 1 the least urgent handler priority.
    ///
    /// ```swift
    /// // A device interrupt below the level-2 executors, above level 1:
    /// NVIC.setPriority(Board.softwareIRQ, Board.nvicPriority(ofLevel: 1))
    /// ```
    public static func nvicPriority(ofLevel level: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (highestLevel &- level) &<< (8 &- priorityBits))
    }
}

/// Why an ``InterruptExecutor`` refused its configuration, naming the executor,
/// its level and its line. Thrown at start-up, before any of its tasks runs.
///
/// ```swift
/// do throws(InterruptLevelError) { try urgent.start(on: Board.self, tasks: beat) }
/// catch { Board.fail(error) }
/// // executor 'urgent' (level 9, IRQ 30): level 9 does not exist on mps2-an386: levels 1...7 (thread mode is 0)
/// ```
public struct InterruptLevelError: Error {
    /// The executor's name (`error.executor`: "urgent").
    public let executor: StaticString
    /// Its level (`error.level`: 3).
    public let level: Int
    /// Its NVIC line (`error.line`: 22).
    public let line: UInt32
    /// What is wrong: `if case .capacity(.slotsExceeded) = error.problem { … }`.
    public let problem: Problem

    /// What is wrong with an interrupt executor's configuration.
    ///
    /// ```swift
    /// if case .lineInUse(let other) = error.problem { Board.write(other) }
    /// ```
    public enum Problem: Sendable {
        /// A pool does not fit the executor (or is missing from its tasks).
        case capacity(CapacityError)
        /// The level is outside 1...`highest` on this board.
        case noSuchLevel(board: StaticString, highest: Int)
        /// The line is used by a device or the software interrupt (or does not
        /// exist); `spare` has a bit per line that is free.
        case lineNotSpare(board: StaticString, spare: UInt32)
        /// Another started executor runs on the line.
        case lineInUse(by: StaticString)
        /// `start` came before any pool was attached.
        case noPools
        /// `start` was called twice.
        case alreadyStarted
        /// Every slot of the one-shot alarm's request table is taken: at most
        /// `max` interrupt executors can run (one slot is the thread executor's).
        case tooManyExecutors(max: Int)
    }

    /// Writes the one-line explanation: the executor, its level and line, the
    /// problem and what to change.
    ///
    /// ```swift
    /// var console = BoardConsole()
    /// error.describe(to: &console)
    /// // executor 'second' (level 1, IRQ 25): IRQ 25 already runs executor 'probe'; give each executor its own line
    /// ```
    public func describe<Output: TextOutput & ~Copyable>(to out: inout Output) {
        out.write("executor '"); out.write(executor); out.write("' (level "); out.write(level)
        out.write(", IRQ "); out.write(Int(line)); out.write("): ")
        switch problem {
        case .capacity(let error):
            error.describe(to: &out)
        case .noSuchLevel(let board, let highest):
            out.write("level "); out.write(level); out.write(" does not exist on "); out.write(board)
            out.write(": levels 1..."); out.write(highest); out.write(" (thread mode is 0)")
        case .lineNotSpare(let board, let spare):
            out.write("IRQ "); out.write(Int(line)); out.write(" is not a spare line on "); out.write(board)
            out.write(" (a device or the software interrupt uses it); spare lines:")
            writeLines(spare, to: &out)
        case .lineInUse(let other):
            out.write("IRQ "); out.write(Int(line)); out.write(" already runs executor '"); out.write(other)
            out.write("'; give each executor its own line")
        case .noPools:
            out.write("no pool attached; attach its pools before start")
        case .alreadyStarted:
            out.write("already started; start each executor once")
        case .tooManyExecutors(let max):
            out.write("the board's alarm serves at most "); out.write(max)
            out.write(" interrupt executors; run more pools on fewer levels")
        }
    }
}

/// Writes the set bits of `mask` as ranges: " 16...30" or " 21 22".
func writeLines<Output: TextOutput & ~Copyable>(_ mask: UInt32, to out: inout Output) {
    var line = 0
    while line < 32 {
        if mask & (1 &<< UInt32(line)) == 0 { line &+= 1; continue }
        var last = line
        while last &+ 1 < 32 && mask & (1 &<< UInt32(last &+ 1)) != 0 { last &+= 1 }
        out.write(" "); out.write(line)
        if last > line { out.write("..."); out.write(last) }
        line = last &+ 1
    }
}

/// What the alarm and the reports know of one started interrupt executor: its
/// line, its alarm request, its pend hook and its place in the list of levels.
/// Lives inside the ``InterruptExecutor`` (PINNED).
public struct InterruptLevelRecord: ~Copyable {
    let name: StaticString
    let line: UInt32
    let level: Int
    /// Its index in the one-shot alarm's request table (1 ..<
    /// `TicklessAlarm.requesters`; 0 is the thread executor's); set by `start`.
    var alarmIndex: Int
    /// The deadline (µs) last asked of the alarm, `UInt64.max` for none. Read
    /// and written only by the executor's own handler (one context: no atomics).
    /// When the alarm finds it passed it pends the line, and the round that
    /// follows sees `requested <= now` and fires the executor's timers; rounds
    /// caused by wakes and spawns skip the timer check.
    var requested: UInt64
    /// `NVIC.pend(line)` (context: the line's bit); set by `start`.
    var hook: PendHook?
    var next: UnsafeMutablePointer<InterruptLevelRecord>?
    var core: UnsafePointer<ExecutorCore>?
    /// This record's own (pinned) address, set by `start`: the handler reaches
    /// `requested` through it, never through an access to the global executor.
    var address: UnsafeMutablePointer<InterruptLevelRecord>?

    init(name: StaticString, line: UInt32, level: Int) {
        self.name = name
        self.line = line
        self.level = level
        alarmIndex = 0
        requested = .max
        address = nil
        hook = nil
        next = nil
        core = nil
    }
}

/// Every interrupt executor's pend hook: pends the NVIC line whose bit is
/// `context` (one store to ISPR0). No barrier: from a handler the line is taken
/// when it returns (or at once if more urgent), from thread mode within a few
/// instructions.
let pendNVICLine: @convention(c) (UnsafeMutableRawPointer?) -> Void = { context in
    mmio(0xE000_E200).store(UInt32(truncatingIfNeeded: UInt(bitPattern: context)))   // ISPR0
}

/// The started interrupt executors, in start order (an intrusive list through
/// their records). Changed only by `InterruptExecutor.start`, with interrupts
/// masked; read by the time interrupt and the reports.
nonisolated(unsafe) var interruptLevels: UnsafeMutablePointer<InterruptLevelRecord>? = nil

/// The started interrupt executors, for reports and tests.
///
/// Time across levels needs nothing here: each executor keeps its own request
/// in the board's one-shot alarm (``InterruptExecutor/runInterrupt(on:)``), and
/// the alarm handler pends its line when its deadline passes.
public enum InterruptExecutors {
    /// How many interrupt executors have started.
    ///
    /// ```swift
    /// check("a refused start registers nothing", InterruptExecutors.count == 1)
    /// ```
    public static var count: Int {
        var n = 0
        var link = interruptLevels
        while let record = link { n &+= 1; link = record.pointee.next }
        return n
    }
}

/// An executor that runs in the handler of an NVIC line, at a priority level
/// above thread mode: its tasks preempt thread-mode tasks (and lower levels'),
/// as embassy's `InterruptExecutor` does. A global (invariant PINNED), with its
/// own pools, timer queue and capacity check.
///
/// ```swift
/// typealias UrgentTasks = PoolRef<Heartbeat, 1>
/// nonisolated(unsafe) var urgent = InterruptExecutor<1, UrgentTasks>(name: "urgent", line: 30, level: 3)
/// nonisolated(unsafe) var beats = TaskPool<Heartbeat, 1>(name: "heartbeat")
///
/// @_cdecl("IRQ30_Handler") func urgentLevel() { urgent.runInterrupt(on: Board.self) }   // the line's vector
///
/// // main, before the thread executor runs:
/// let beat = try urgent.attach(&beats)            // capacity errors name 'urgent' and level 3
/// try urgent.start(on: Board.self, tasks: beat)   // checks level and line, enables IRQ 30
/// try beat.spawn(Heartbeat())                     // from any level: a PoolRef is interrupt-safe
/// ```
///
/// `Tasks` is the type of the task set the handler polls (one ``PoolRef``, or
/// several combined with `tasks(_:_:)`): the handler is a plain C function, so
/// the executor keeps the set itself. The app defines the line's vector (one line
/// calling ``runInterrupt(on:)``); if it forgets, the first round ends the run with
/// `FATAL: unhandled IRQ <line>`.
public struct InterruptExecutor<let maskWords: Int, Tasks: TaskSet>: ~Copyable {
    /// The executor (through which pools attach). First stored property.
    var executor: Executor<maskWords>
    var record: InterruptLevelRecord
    var tasks: Tasks?

    /// An executor named `name` (in reports and errors) for `line` at `level`.
    /// Nothing is checked or touched until ``start(on:tasks:)``.
    public init(name: StaticString, line: UInt32, level: Int, ramBudget: Int? = nil) {
        executor = Executor(ramBudget: ramBudget)
        record = InterruptLevelRecord(name: name, line: line, level: level)
        tasks = nil
    }

    /// The executor's name (`urgent.name`: "urgent").
    public var name: StaticString { record.name }
    /// Its level (1...: above thread mode, higher preempts lower; `urgent.level`: 3).
    public var level: Int { record.level }
    /// Its NVIC line (`urgent.line`: 22).
    public var line: UInt32 { record.line }

    /// Attaches `pool` to this level's executor: its own capacity check, whose
    /// errors name this executor and level. Set-up only (see `Executor.attach`).
    ///
    /// ```swift
    /// let beat = try urgent.attach(&beats)
    /// ```
    public mutating func attach<Task: Future & ~Copyable, let capacity: Int>(
        _ pool: inout TaskPool<Task, capacity>
    ) throws(InterruptLevelError) -> PoolRef<Task, capacity> {
        do throws(CapacityError) {
            return try executor.attach(&pool)
        } catch {
            throw failure(.capacity(error))
        }
    }

    /// Attaches a timer queue to this level's executor (see `Executor.attach(timers:)`).
    ///
    /// ```swift
    /// nonisolated(unsafe) var urgentTimers = TimerQueue<4>()
    /// urgent.attach(timers: &urgentTimers)     // before start
    /// ```
    public mutating func attach<let capacity: Int>(timers queue: inout TimerQueue<capacity>) {
        executor.attach(timers: &queue)
    }

    /// Checks the configuration and starts the level: `level` must exist on
    /// `board`, `line` must be one of its spare lines and no other executor's,
    /// and `tasks` must cover every attached pool. Then it sets the line's NVIC
    /// priority, installs the pend hook, takes a slot of the board's one-shot
    /// alarm and enables the line (a first round runs at once).
    ///
    /// ```swift
    /// do throws(InterruptLevelError) {
    ///     try urgent.start(on: Board.self, tasks: beat)
    /// } catch { Board.fail(error) }
    /// ```
    public mutating func start<Device: InterruptLevelSupport>(on board: Device.Type, tasks: Tasks) throws(InterruptLevelError) {
        guard self.tasks == nil else { throw failure(.alreadyStarted) }
        guard record.level >= 1 && record.level <= Device.highestLevel else {
            throw failure(.noSuchLevel(board: Device.name, highest: Device.highestLevel))
        }
        guard record.line < 32 && Device.spareInterruptLines & (1 &<< record.line) != 0 else {
            throw failure(.lineNotSpare(board: Device.name, spare: Device.spareInterruptLines))
        }
        var link = interruptLevels
        while let other = link {
            if other.pointee.line == record.line { throw failure(.lineInUse(by: other.pointee.name)) }
            link = other.pointee.next
        }
        guard executor.slotsUsed > 0 else { throw failure(.noPools) }
        let alarmIndex = InterruptExecutors.count &+ 1   // 0 is the thread executor's
        guard alarmIndex < TicklessAlarm.requesters else {
            throw failure(.tooManyExecutors(max: TicklessAlarm.requesters &- 1))
        }
        do throws(CapacityError) {
            try executor.check(tasks)
        } catch {
            throw failure(.capacity(error))
        }
        self.tasks = tasks
        record.alarmIndex = alarmIndex
        NVIC.setPriority(record.line, Device.nvicPriority(ofLevel: record.level))
        record.core = executor.pinnedCore
        let me = withUnsafeMutablePointer(to: &record) { $0 }
        record.address = me
        record.hook = PendHook(function: pendNVICLine,
                               context: UnsafeMutableRawPointer(bitPattern: UInt(1) &<< UInt(record.line)))
        // Safety: `Optional<PendHook>` keeps its payload at offset 0 (Swift ABI:
        // a single-payload enum), and the record stays in place (PINNED).
        let hook = withUnsafePointer(to: &record.hook) { UnsafeRawPointer($0).assumingMemoryBound(to: PendHook.self) }
        executor.install(pendHook: hook)   // pends the line once
        withInterruptsMasked {
            if var last = interruptLevels {
                while let next = last.pointee.next { last = next }
                last.pointee.next = me
            } else {
                interruptLevels = me
            }
        }
        NVIC.enable(record.line)
        pollen_dsb()
        pollen_isb()
    }

    /// The line's handler: one round of the executor (due timers, one pass), then
    /// its earliest deadline goes to the board's one-shot alarm, which pends this
    /// line when it passes. Call it from the line's vector and nowhere else,
    /// with the board whose clock the executor uses:
    ///
    /// ```swift
    /// @_cdecl("IRQ30_Handler") func urgentLevel() { urgent.runInterrupt(on: Board.self) }
    /// ```
    ///
    /// The round is `Executor.runRound` reordered for latency: first one pass
    /// over the tasks that wakes made ready; then, only when the deadline this
    /// executor asked the alarm for has passed (see
    /// `InterruptLevelRecord.requested`), its due timers and one more pass for
    /// the tasks they woke; the alarm is re-asked only when the executor's
    /// earliest deadline changed.
    @inline(__always)
    public func runInterrupt<Device: TicklessTimerHardware>(on board: Device.Type) {
        let now = Instant(ticks: TicklessClock.now(Device.self))
        // Tasks woken by wakes first: nothing else stands between a wake and
        // its poll (the preemption latency).
        executor.runReady(tasks.unsafelyUnwrapped, now: now)
        // Safety: PINNED, set by `start` before the line is enabled.
        let me = record.address.unsafelyUnwrapped
        if me.pointee.requested <= now.ticks, executor.fireTimers(now: now) {
            executor.runReady(tasks.unsafelyUnwrapped, now: now)   // the tasks whose timers fired
        }
        let ticks = executor.pinnedCore.pointee.nextDeadlineTicks
        if ticks != me.pointee.requested { Self.requestAlarm(Device.self, record: me, ticks) }
    }

    /// Asks the board's alarm for `ticks` (µs; `UInt64.max`: none) under this
    /// executor's requester index and line. A deadline already passed pends the
    /// alarm at once, whose handler pends the line: the next round fires it.
    /// Out of line: rounds whose deadline did not change never get here.
    @inline(never)
    static func requestAlarm<Device: TicklessTimerHardware>(
        _: Device.Type, record: UnsafeMutablePointer<InterruptLevelRecord>, _ ticks: UInt64
    ) {
        // Safety: PINNED; `requested` is this handler's alone.
        record.pointee.requested = ticks
        TicklessAlarm.request(Device.self, ticks == .max ? nil : Instant(ticks: ticks),
                              for: AlarmRequester(index: record.pointee.alarmIndex, pending: record.pointee.line))
    }

    /// Writes this level's header line and its executor's capacity report.
    ///
    /// ```swift
    /// urgent.describeCapacity(to: &console)
    /// // level 3 'heartbeat' (IRQ 22, NVIC priority 128):
    /// // pool 'heartbeat': slots 0..<1, 108 bytes
    /// // slots: 1 of 32; pool RAM: 108 bytes; timer queue: 0 entries
    /// ```
    public func describeCapacity<Output: TextOutput & ~Copyable>(to out: inout Output) {
        writeHeader(of: record, to: &out)
        executor.describeCapacity(to: &out)
    }

    /// The executor's earliest armed deadline (this level's clock; for tests).
    ///
    /// ```swift
    /// if let next = urgent.nextDeadline { Board.log("next beat at \(Int(truncatingIfNeeded: next.ticks)) us") }
    /// ```
    public var nextDeadline: Instant? { executor.nextDeadline }

    /// A waker for the task in executor-wide `slot` of this level (see
    /// `Executor.waker(forSlot:)`).
    ///
    /// ```swift
    /// urgent.waker(forSlot: 0)?.wake()   // from any level: the task runs at level 3
    /// ```
    public func waker(forSlot slot: Int) -> Waker? { executor.waker(forSlot: slot) }

    func failure(_ problem: InterruptLevelError.Problem) -> InterruptLevelError {
        InterruptLevelError(executor: record.name, level: record.level, line: record.line, problem: problem)
    }
}

/// "level 3 'urgent' (IRQ 30, NVIC priority 0x20):"
func writeHeader<Output: TextOutput & ~Copyable>(of record: borrowing InterruptLevelRecord, to out: inout Output) {
    out.write("level "); out.write(record.level); out.write(" '"); out.write(record.name)
    out.write("' (IRQ "); out.write(Int(record.line)); out.write(", NVIC priority ")
    out.write(Int(NVIC.priority(record.line))); out.write("):\n")
}

/// The one capacity report over every level: the thread-mode executor, then
/// every started interrupt executor in start order, each with its pools.
///
/// ```swift
/// var console = BoardConsole()
/// describePriorityLevels(thread: executor, to: &console)
/// // level 0 (thread mode):
/// // pool 'hog': slots 0..<1, 60 bytes
/// // slots: 1 of 32; pool RAM: 60 bytes; timer queue: 0 entries
/// // level 3 'heartbeat' (IRQ 30, NVIC priority 32):
/// // ...
/// ```
public func describePriorityLevels<let maskWords: Int, Output: TextOutput & ~Copyable>(
    thread executor: borrowing Executor<maskWords>, to out: inout Output
) {
    out.write("level 0 (thread mode):\n")
    executor.describeCapacity(to: &out)
    var link = interruptLevels
    while let record = link {
        writeHeader(of: record.pointee, to: &out)
        record.pointee.core.unsafelyUnwrapped.pointee.describeCapacity(to: &out)
        link = record.pointee.next
    }
}

extension BoardSupport {
    /// Start-up failed: prints the interrupt executor's error (naming it, its
    /// level and line) on the console and exits with code 1.
    ///
    /// ```swift
    /// do throws(InterruptLevelError) { try urgent.start(on: Board.self, tasks: beat) }
    /// catch { Board.fail(error) }
    /// ```
    public static func fail(_ error: InterruptLevelError) -> Never {
        var console = ConsoleOutput<Self>()
        error.describe(to: &console)
        writeByte(0x0A)
        exit(1)
    }
}
