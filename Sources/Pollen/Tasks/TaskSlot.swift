import Synchronization

/// Where a slot is in its life. See the state diagram in `Executor.swift`.
enum SlotState: UInt8 {
    /// Empty; `spawn` or `reserve` may take it (with an atomic compare-exchange).
    case free
    /// Claimed: by a ``SlotReservation``, or by a spawn that is moving its future in.
    /// Never polled.
    case reserved
    /// Holds a running task whose output nobody awaits.
    case detached
    /// Holds a running task owned by a ``JoinHandle``.
    case joinable
    /// The joinable task completed; its output waits for the handle.
    case finished

    /// Bit 1 of the raw value: set in `.detached` (2) and `.joinable` (3), the
    /// running states, and in no other state, so the executor's hot path tests
    /// "running" with one bit. Keep it so when adding states.
    static var runningBit: UInt8 { 2 }
}

/// One slot of a ``TaskPool``: the task's future, kept in place while it runs,
/// and (for joinable tasks) its output until the handle takes it.
///
/// The future is polled in place, never moved, so a poll that re-enters the pool
/// (a task spawning a sibling) sees consistent memory.
///
/// # Invariant CLAIMED
///
/// `task` and `output` belong to whoever moved the slot out of `.free`: a spawner
/// (any thread or interrupt handler) from its compare-exchange `.free → .reserved`
/// until its release store of `.detached`/`.joinable`; the executor's thread from
/// then on (polls, cancellation, join). The release store of `state` publishes the
/// future; the executor reads `state` with acquire ordering before it touches the
/// future. Only the executor's thread moves a slot back to `.free`, after the task
/// has ended (generation advanced), with a release store.
struct TaskSlot<Task: Future & ~Copyable>: ~Copyable {
    var task: Task?
    var output: Task.Output?
    /// A ``SlotState`` raw value. Stored as a plain byte, so that a global pool is
    /// initialised statically (an `Atomic` field here makes the compiler initialise
    /// the pool lazily, at a cost in flash and a check at every access), and
    /// accessed only as an atomic byte through ``UnsafeMutablePointer/stateCell``
    /// once the pool is shared.
    var state: UInt8

    init() {
        task = nil
        output = nil
        state = SlotState.free.rawValue
    }

    /// Offset of `state` in the slot: Swift lays out stored properties in order,
    /// each at the next offset its alignment allows (`InvariantLayoutTests` checks it).
    static var stateOffset: Int {
        alignedUp(MemoryLayout<Task?>.size, to: MemoryLayout<Task.Output?>.alignment) &+ MemoryLayout<Task.Output?>.size
    }
}

extension UnsafeMutablePointer where Pointee: ~Copyable {
    /// The slot's state byte as an atomic, reached without an access to the whole
    /// slot (which its owner may be using: invariant CLAIMED).
    @inline(__always)
    func stateCell<Task: Future & ~Copyable>() -> UnsafePointer<Atomic<UInt8>> where Pointee == TaskSlot<Task> {
        // Safety: `stateOffset` is the state byte's offset (checked by a layout
        // test); an Atomic<UInt8> has the layout of a UInt8, and after the pool's
        // initialisation the byte is only accessed this way.
        UnsafePointer((UnsafeMutableRawPointer(self) + TaskSlot<Task>.stateOffset).assumingMemoryBound(to: Atomic<UInt8>.self))
    }

    /// The slot's task, in place: the payload of `task` (OPTIONAL-LAYOUT: at
    /// offset 0 of the optional, which is the slot's first field). Only while
    /// the slot holds a task.
    @inline(__always)
    func taskInPlace<Task: Future & ~Copyable>() -> UnsafeMutablePointer<Task> where Pointee == TaskSlot<Task> {
        UnsafeMutableRawPointer(self).assumingMemoryBound(to: Task.self)
    }

    /// The slot's state (acquire: what the state publishes is visible).
    @inline(__always)
    func currentState<Task: Future & ~Copyable>() -> SlotState where Pointee == TaskSlot<Task> {
        SlotState(rawValue: stateCell().pointee.takingLoad()).unsafelyUnwrapped
    }

    /// Publishes `newState` (release: the writes before it are visible to whoever
    /// reads the state next).
    @inline(__always)
    func setState<Task: Future & ~Copyable>(_ newState: SlotState) where Pointee == TaskSlot<Task> {
        stateCell().pointee.publishingStore(newState.rawValue)
    }

    /// Claims a free slot: `.free → .reserved`, atomically. Safe from any context.
    /// Acquire, as the other takes of a shared word (`SharedOrdering`): on a
    /// single-core Arm build a relaxed compare-exchange and a compiler-only
    /// fence (no `dmb`; on RISC-V the acquire is a bit of the `lr.w` itself,
    /// and the relaxed form came out 4 bytes larger on the hifive1).
    func claim<Task: Future & ~Copyable>() -> Bool where Pointee == TaskSlot<Task> {
        stateCell().pointee.takingCompareExchange(expected: SlotState.free.rawValue,
                                                  desired: SlotState.reserved.rawValue)
    }
}
