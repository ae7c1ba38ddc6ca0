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
