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
    let ready: Atomic<UInt32>
    /// Group 0 only: bit `g` means group `g` may have ready bits.
    let summary: Atomic<UInt32>
    /// Per slot: counts how many tasks the slot has held (wrapping at 256). A
    /// ``Waker`` remembers the generation of the task it was made for; a wake with
    /// another generation is stale and is ignored.
    let generations: InlineArray<32, Atomic<UInt8>>
    /// Bit `i`: slot `32g + i` has a deadline that did not fit in the timer queue
    /// (executor-only, see ``TimerQueue``).
    var overflowed: UInt32

    /// An all-idle group: no ready bits, every generation 0.
    public init() {
        ready = Atomic(0)
        summary = Atomic(0)
        generations = InlineArray { _ in Atomic(0) }
        overflowed = 0
    }
}

extension UnsafePointer where Pointee == WakeGroup {
    /// Sets the ready bit of `slot` in the executor whose group 0 is `self` (and, in
    /// a `twoLevel` executor, the summary bit of its group): the slot is polled on the
    /// next pass. No generation check: for the executor's own use (spawn, timers,
    /// the overflow register), where the slot is known to hold the intended task or a
    /// spurious poll is harmless. Interrupt-safe (atomic ORs).
    func schedule(slot: Int, twoLevel: Bool) {
        // Safety: PINNED; slot < 32 × group count (slots are only handed out below that).
        self[slot &>> 5].ready.bitwiseOr(1 &<< UInt32(truncatingIfNeeded: slot & 31), ordering: .releasing)
        if twoLevel {
            self[0].summary.bitwiseOr(1 &<< UInt32(truncatingIfNeeded: slot &>> 5), ordering: .releasing)
        }
    }

    /// The generation of `slot`: that of its current task, if it holds one.
    func generation(ofSlot slot: Int) -> UInt8 {
        self[slot &>> 5].generations[slot & 31].load(ordering: .relaxed)
    }
}
