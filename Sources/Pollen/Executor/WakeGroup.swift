import Synchronization

/// The wake state of 32 consecutive task slots: one ready bit per slot and one
/// generation per slot. An executor with `maskWords` groups has `32 × maskWords` slots.
///
/// The fields are plain words in storage and atomics in use: after the group is
/// initialised, every field is accessed only as an atomic, through a pointer to the
/// group (`UnsafePointer<WakeGroup>.ready` and its siblings), never through a
/// `mutating` access: wakers on other threads and in interrupt handlers use the
/// group while the executor runs (Swift's exclusivity rules). Fields that only the
/// executor's thread touches (`registered`, `pass`) use relaxed loads and stores,
/// which compile to plain loads and stores.
///
/// Why plain storage: an `InlineArray` of `Atomic`s inside a generic type (an
/// `Executor<maskWords>` holds its groups in one) crashes this compiler in Embedded
/// Swift when another module destroys or reassigns a value holding it
/// ("hasValidSignatureForEmbedded", GenDecl.cpp), and plain words also let a global
/// executor be zero-initialised statically.
///
/// Layout (all `UInt32`, so each field sits at its declaration offset; checked by
/// `InvariantLayoutTests`): `ready` at 0, the 32 generation bytes at 4, `registered`
/// at 36, `pass` at 40.
///
/// Wakers reach a group through a pointer, so groups live inside an
/// ``Executor`` that stays at one address (invariant PINNED, see `Executor.swift`).
public struct WakeGroup: ~Copyable {
    /// Bit `i`: slot `32g + i` should be polled. Set by wakers (any context,
    /// including interrupt handlers); taken with an atomic swap by the executor.
    /// (First field: the hot atomics address the group itself, with no offset.)
    var readyWord: UInt32
    /// Per slot: counts the starts and ends of the slot's tasks (wrapping at 256):
    /// odd while a task runs in the slot, even while it is free. A ``Waker``
    /// remembers the generation of the task it was made for; a wake with another
    /// generation is stale and is ignored. Byte `i` of these 32 bytes
    /// (little-endian words, so byte `i` is slot `i`'s) is the generation of slot
    /// `32g + i`, accessed as an atomic byte. Declared as 8 words, not 32 bytes,
    /// because the compiler initialises a global `Executor<1>` statically only when
    /// its initializer has few enough elements.
    var generationWords: InlineArray<8, UInt32>
    /// Bit `i`: slot `32g + i` has a deadline in the deadline register, not in a
    /// timer queue (executor's thread only, see ``TimerQueue``).
    var registeredWord: UInt32
    /// The current pass's snapshot of `ready` (executor's thread only): the slots
    /// still to poll in this pass. Ending a task clears its bit, so a slot refilled
    /// during the pass is not polled from the old snapshot.
    var passWord: UInt32

    /// An all-idle group: no ready bits, every generation 0.
    public init() {
        readyWord = 0
        generationWords = [0, 0, 0, 0, 0, 0, 0, 0]
        registeredWord = 0
        passWord = 0
    }

    /// The generation a slot moves to from `current` when a task starts (`odd`:
    /// the next odd value) or ends (the next even value).
    @inline(__always)
    static func nextGeneration(after current: UInt8, odd: Bool) -> UInt8 {
        current &+ ((current & 1 == 0) == odd ? 1 : 2)
    }

    static var readyOffset: Int { 0 }
    static var generationsOffset: Int { 4 }
    static var registeredOffset: Int { 36 }
    static var passOffset: Int { 40 }
}

/// What sits right before group 0 in an ``Executor``: the summary word of the
/// two-level ready mask and the platform's pend hook. Wakers on the slow path
/// reach it from group 0 (`UnsafePointer<WakeGroup>.head`); `Executor.pin` checks
/// that it sits exactly one stride before group 0.
public struct ExecutorHead: ~Copyable {
    /// Executors of more than one group: bit `g` means group `g` may have ready
    /// bits. Single-group executors never read their ready bits from it (their one
    /// ready word is the mask): there, `Waker.slowPathBit` is set while a pend hook
    /// is installed (``setPendHook(_:singleGroup:)``), so that every waker made
    /// takes its slow-path flag with one load and a mask (``pendFlag``). Bit 0 may be
    /// set there too (`schedule(slot:)` ORs a group's bit whatever the width); the
    /// flag's bit 15 is never a single group's summary bit.
    let summary: Atomic<UInt32>
    /// The address of the platform's ``PendHook`` (0: none). Set by `run`; read by
    /// wakes from other contexts (acquire).
    let pend: Atomic<UInt>

    /// No summary bits, no pend hook.
    public init() {
        summary = Atomic(0)
        pend = Atomic(0)
    }

    /// Installs `hook` (an address of a ``PendHook``, 0: none) and, in a
    /// single-group executor (`singleGroup`), the slow-path flag that wakers made
    /// from now on read from ``summary``. Executor's thread.
    @inline(__always)
    func setPendHook(_ hook: UInt, singleGroup: Bool) {
        pend.publishingStore(hook)
        if singleGroup {
            // Only the flag bit: a spawn's summary OR (bit 0) may race this store,
            // and a lost bit 0 is never read in a single-group executor.
            summary.store(hook != 0 ? Waker.slowPathBit : 0, ordering: .relaxed)
        }
    }

    /// The slow-path flag that a pend hook asks of this executor's wakers:
    /// ``Waker/slowPathBit`` while one is installed in a single-group executor
    /// (``setPendHook(_:singleGroup:)`` keeps it in ``summary``), 0 without one.
    /// In a wider executor it is whatever `summary`'s bit 15 holds, which adds
    /// nothing: its wakers carry the flag already (``Waker/flags(twoLevel:)``).
    /// One load and a mask, read whenever a waker is made.
    @inline(__always)
    var pendFlag: UInt32 { summary.load(ordering: .relaxed) & Waker.slowPathBit }

    /// Calls the pend hook, if one is installed: a wake has set a ready bit that
    /// the executor must see even if it sleeps. Inlined into the wake's slow
    /// path (an executor run from an interrupt handler takes it on every wake).
    @inline(__always)
    func callPendHook() {
        let hook = pend.takingLoad()
        guard hook != 0 else { return }
        // Safety: the hook is owned by the platform, which outlives the run that
        // installed it (invariant PINNED for platforms with a pend hook).
        let h = UnsafePointer<PendHook>(bitPattern: hook).unsafelyUnwrapped
        h.pointee.function(h.pointee.context)
    }
}

extension UnsafePointer where Pointee == WakeGroup {
    /// The word at `offset` of the group, as an atomic.
    @inline(__always)
    func atomicWord(_ offset: Int) -> UnsafePointer<Atomic<UInt32>> {
        // Safety: the offsets are those of the group's UInt32 fields (layout test);
        // an Atomic<UInt32> has the layout of a UInt32, and after initialisation the
        // words are only accessed this way.
        (UnsafeRawPointer(self) + offset).assumingMemoryBound(to: Atomic<UInt32>.self)
    }
    /// The ready bits (see ``WakeGroup``).
    @inline(__always) var ready: UnsafePointer<Atomic<UInt32>> { atomicWord(WakeGroup.readyOffset) }
    /// The deadline-register bits (executor's thread only).
    @inline(__always) var registered: UnsafePointer<Atomic<UInt32>> { atomicWord(WakeGroup.registeredOffset) }
    /// The current pass's snapshot (executor's thread only).
    @inline(__always) var pass: UnsafePointer<Atomic<UInt32>> { atomicWord(WakeGroup.passOffset) }

    /// The executor's head, one stride before group 0 (`self` must be group 0).
    @inline(__always)
    var head: UnsafePointer<ExecutorHead> {
        // Safety: PINNED; `Executor.pin` checked that the head sits right before group 0.
        (UnsafeRawPointer(self) - MemoryLayout<ExecutorHead>.stride).assumingMemoryBound(to: ExecutorHead.self)
    }

    /// Sets the ready bit of `slot` in the executor whose group 0 is `self`, and the
    /// summary bit of its group, then calls the pend hook: the slot is polled on the
    /// next pass. No generation check: for the executor's own use (spawn, timers),
    /// where the slot is known to hold the intended task. Safe from any context
    /// (atomic ORs).
    ///
    /// The summary bit is set whatever the executor's width: an executor of one
    /// group never reads its summary, and an unconditional OR is smaller than
    /// testing the width at every call site.
    func schedule(slot: Int) {
        // Safety: PINNED; slot < 32 × group count (slots are only handed out below that).
        (self + (slot &>> 5)).ready.pointee.publishingOr(1 &<< UInt32(truncatingIfNeeded: slot & 31))
        let head = self.head
        head.pointee.summary.publishingOr(1 &<< UInt32(truncatingIfNeeded: slot &>> 5))
        head.pointee.callPendHook()   // (it tests for no hook itself)
    }

    /// The generation of `slot`, counted from group 0 at `self`: that of its current
    /// task, if it holds one.
    func generation(ofSlot slot: Int) -> UInt8 {
        (self + (slot &>> 5)).generation(bit: slot & 31)
    }

    /// Starts a task in `slot` (counted from group 0 at `self`): advances its
    /// generation to the next odd value and returns it. Only the slot's claimer
    /// calls it (invariant CLAIMED), so a load and a store suffice.
    func startTask(slot: Int) -> UInt8 {
        let group = self + (slot &>> 5)
        let value = WakeGroup.nextGeneration(after: group.generation(bit: slot & 31), odd: true)
        group.setGeneration(bit: slot & 31, value)
        return value
    }

    /// Ends the task in `slot` (counted from group 0 at `self`): advances its
    /// generation to the next even value, so every waker made for the task is
    /// stale, and drops the slot from the deadline register, the current pass and
    /// the ready bits. Executor's thread only (invariant CLAIMED).
    func endTask(slot: Int) {
        let group = self + (slot &>> 5)
        group.setGeneration(bit: slot & 31, WakeGroup.nextGeneration(after: group.generation(bit: slot & 31), odd: false))
        let keep = ~(1 &<< UInt32(truncatingIfNeeded: slot & 31))
        let registered = group.registered.pointee.load(ordering: .relaxed)
        if registered & ~keep != 0 { group.registered.pointee.store(registered & keep, ordering: .relaxed) }
        let pass = group.pass.pointee.load(ordering: .relaxed)
        if pass & ~keep != 0 { group.pass.pointee.store(pass & keep, ordering: .relaxed) }
        // A wake that came before the end must not poll the slot's next task early
        // (a spawn into the slot during the next pass would find the bit in that
        // pass's snapshot). A wake racing the end from another context may still
        // leave a bit: one spurious poll, harmless by contract.
        if group.ready.pointee.load(ordering: .relaxed) & ~keep != 0 {
            group.ready.pointee.bitwiseAnd(keep, ordering: .relaxed)
        }
    }

    /// The generation of slot `bit` (0..<32) of the group at `self`, read on the
    /// executor's thread while the slot's task is being polled: a plain byte load.
    /// Sound because nothing else writes the byte then: only a claimer of the slot
    /// (invariant CLAIMED) or the executor's thread ending its task writes it, the
    /// slot is not free while its task runs, and the claimer's write was published
    /// by the state store that the pass read (acquire) before the poll. (A plain
    /// load: an atomic one costs the host a second zero-extension here.)
    @inline(__always)
    func generationWhilePolled(bit: Int) -> UInt8 {
        UnsafeRawPointer(generationByte(bit)).load(as: UInt8.self)
    }

    /// The generation of slot `bit` (0..<32) of the group at `self` (relaxed atomic
    /// byte load).
    @inline(__always)
    func generation(bit: Int) -> UInt8 {
        generationByte(bit).pointee.load(ordering: .relaxed)
    }

    /// Stores `value` as the generation of slot `bit` of the group at `self` (relaxed
    /// atomic byte store). The slot's owner only (invariant CLAIMED).
    @inline(__always)
    func setGeneration(bit: Int, _ value: UInt8) {
        generationByte(bit).pointee.store(value, ordering: .relaxed)
    }

    /// Slot `bit`'s generation byte, as an atomic.
    @inline(__always)
    func generationByte(_ bit: Int) -> UnsafePointer<Atomic<UInt8>> {
        // Safety: byte `bit` of the 32 generation bytes (little-endian words, so
        // slot `bit`'s byte; DeadlineRegisterTests checks the order); accessed only
        // as atomic bytes after initialisation.
        (UnsafeRawPointer(self) + WakeGroup.generationsOffset + bit).assumingMemoryBound(to: Atomic<UInt8>.self)
    }
}

/// How a platform learns that a task became ready while the executor may be
/// idle: the seam's "pend" (embassy's `Pender`). The executor calls it after every
/// wake and spawn once the platform has installed it (`Platform.pendHook`).
///
/// Cortex-M thread-mode executors need none (the interrupt that woke a task ends
/// the `wfi` by itself), and then wakes skip it at no cost. The host's threaded
/// platform signals its condition variable; an executor running in an interrupt
/// handler pends that interrupt.
public struct PendHook {
    /// Called with `context` after a ready bit was set; any context may call it.
    public let function: @convention(c) (UnsafeMutableRawPointer?) -> Void
    /// Passed to `function`.
    public let context: UnsafeMutableRawPointer?

    /// A hook calling `function(context)`.
    public init(function: @convention(c) (UnsafeMutableRawPointer?) -> Void, context: UnsafeMutableRawPointer?) {
        self.function = function
        self.context = context
    }
}
