import Synchronization

/// The wake state of 32 consecutive task slots: one ready bit per slot and one
/// generation per slot. An executor with `maskWords` groups has `32 × maskWords` slots.
///
/// Group 0 also holds the summary word of the two-level ready mask: bit `g` of
/// `summary` is set whenever group `g` may have a ready bit. Executors with a single
/// group never touch the summary (a wake is then one atomic OR).
///
/// Wakers reach a group through a pointer, so groups live inside an
/// ``Executor`` that stays at one address (invariant PINNED, see `Executor.swift`).
public struct WakeGroup: ~Copyable {
    /// Bit `i`: slot `32g + i` should be polled. Set by wakers (any context,
    /// including interrupt handlers); taken with an atomic swap by the executor.
    /// (First field: the hot atomics address the group itself, with no offset.)
    let ready: Atomic<UInt32>
    /// Group 0 only: bit `g` means group `g` may have ready bits.
    let summary: Atomic<UInt32>
    /// Per slot: counts how many tasks the slot has held (wrapping at 256). A
    /// ``Waker`` remembers the generation of the task it was made for; a wake with
    /// another generation is stale and is ignored.
    ///
    /// Byte `i` of these 32 bytes (little-endian words, so byte `i` is slot `i`'s)
    /// is the generation of slot `32g + i`, read and written only as an atomic
    /// byte through `UnsafePointer<WakeGroup>.generation(bit:)` /
    /// `setGeneration(bit:_:)`. It is declared as 8 words, not 32 bytes, because
    /// the compiler initialises a global `Executor<1>` statically (zeroed .bss, no
    /// lazy-initialisation guard at each access) only when its initializer has few
    /// enough elements; 32 atomics are too many.
    let generationWords: InlineArray<8, Atomic<UInt32>>
    /// Bit `i`: slot `32g + i` has a deadline in the deadline register, not in a
    /// timer queue (executor-only, see ``TimerQueue``).
    var registered: UInt32

    /// An all-idle group: no ready bits, every generation 0.
    public init() {
        ready = Atomic(0)
        summary = Atomic(0)
        generationWords = [Atomic(0), Atomic(0), Atomic(0), Atomic(0),
                           Atomic(0), Atomic(0), Atomic(0), Atomic(0)]
        registered = 0
    }
}

extension UnsafePointer where Pointee == WakeGroup {
    /// Sets the ready bit of `slot` in the executor whose group 0 is `self`, and the
    /// summary bit of its group: the slot is polled on the next pass. No generation
    /// check: for the executor's own use (spawn, timers), where the slot is known to
    /// hold the intended task. Interrupt-safe (atomic ORs).
    ///
    /// The summary bit is set whatever the executor's width: an executor of one
    /// group never reads its summary, and an unconditional OR is smaller than
    /// testing the width at every call site.
    func schedule(slot: Int) {
        // Safety: PINNED; slot < 32 × group count (slots are only handed out below that).
        self[slot &>> 5].ready.bitwiseOr(1 &<< UInt32(truncatingIfNeeded: slot & 31), ordering: .releasing)
        self[0].summary.bitwiseOr(1 &<< UInt32(truncatingIfNeeded: slot &>> 5), ordering: .releasing)
    }

    /// The generation of `slot`, counted from group 0 at `self`: that of its current
    /// task, if it holds one.
    func generation(ofSlot slot: Int) -> UInt8 {
        (self + (slot &>> 5)).generation(bit: slot & 31)
    }

    /// The generation of slot `bit` (0..<32) of the group at `self` (relaxed atomic
    /// byte load).
    @inline(__always)
    func generation(bit: Int) -> UInt8 {
        // Safety: a borrowed ~Copyable stored property is addressed in place, so
        // `words` is the group's own 32 generation bytes, byte `bit` holding slot
        // `bit`'s generation (DeadlineRegisterTests checks the byte order).
        // Rebinding to atomic bytes is layout-compatible (32 × 1 byte within 8 × 4
        // bytes), and after the static zero-initialisation these bytes are only
        // ever accessed this way.
        withUnsafePointer(to: pointee.generationWords) { words in
            UnsafeRawPointer(words).withMemoryRebound(to: Atomic<UInt8>.self, capacity: 32) {
                $0[bit].load(ordering: .relaxed)
            }
        }
    }

    /// Stores `value` as the generation of slot `bit` of the group at `self` (relaxed
    /// atomic byte store). Task context only (see `ExecutorCore.endTask`).
    @inline(__always)
    func setGeneration(bit: Int, _ value: UInt8) {
        // Safety: as in `generation(bit:)`.
        withUnsafePointer(to: pointee.generationWords) { words in
            UnsafeRawPointer(words).withMemoryRebound(to: Atomic<UInt8>.self, capacity: 32) {
                $0[bit].store(value, ordering: .relaxed)
            }
        }
    }
}
