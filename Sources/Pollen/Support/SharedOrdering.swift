import Synchronization
#if POLLEN_SINGLE_CORE
// The compiler-only fence is a builtin; only the single-core build needs it, so a
// plain build of the core needs no experimental feature.
#if !hasFeature(BuiltinModule)
#error("POLLEN_SINGLE_CORE needs -enable-experimental-feature BuiltinModule for the core (Package.swift sets it): its compiler-only fence is Builtin.fence_seqcst_singlethread")
#endif
import Builtin
#endif
#if POLLEN_MASKED_RMW
#if !POLLEN_SINGLE_CORE
#error("POLLEN_MASKED_RMW masks interrupts around a read-modify-write, which is atomic on ONE core only: declare POLLEN_SINGLE_CORE too")
#endif
#if !canImport(PollenCortexMSupport)
#error("POLLEN_MASKED_RMW uses the Cortex-M layer's critical section (module PollenCortexMSupport, Board/cortex-m): declare it only for an ARMv6-M board (ARCH=cortex-m)")
#endif
// The Cortex-M architecture layer's critical section (cortexm.h: save PRIMASK,
// `cpsid i`; restore PRIMASK), inlined from C.
import PollenCortexMSupport
#endif

// How the core orders its shared words: the one place where a build for a
// single-core machine differs from the rest (issue 15, "single-core builds").
//
// The ready masks, the slot states and the pend hook's word are shared between the
// executor, interrupt handlers and, on the host, other threads. Publishing a word
// (a wake's OR, a spawn's state store) must make the writes before it visible to
// whoever reads the word next; taking a word (the pass's exchange, the poll's state
// load) must see them.
//
// - By default (the host, multi-core targets) that is release/acquire ordering:
//   on Arm a `dmb` beside each such access, on RISC-V an `.rl`/`.aq` suffix.
// - A board whose machine has ONE core, where interrupt handlers are the only other
//   context, declares `POLLEN_SINGLE_CORE` (`-D POLLEN_SINGLE_CORE` in its
//   toolset.json; README, "Adding a board"). An interrupt sees memory exactly as
//   the code it interrupted left it, and a handler runs to its end before that code
//   resumes, so no hardware barrier is needed: the access stays atomic (a wake in
//   an interrupt must not lose the thread's concurrent update of the same word:
//   `ldrex`/`strex` still retry when an exception intervenes), its ordering is
//   relaxed, and a compiler-only fence (`atomic_signal_fence`: LLVM `fence
//   syncscope("singlethread")`, no instruction) keeps the compiler from moving
//   other memory accesses across it. This is C11's rule for data shared with a
//   signal handler on the same thread.
//
// Never declare it on a machine where a second core or a DMA master that is not
// synchronised by interrupts reads these words: a wake could then be seen before
// the data it announces.
//
// - A single-core board whose processor has no exclusive access (ARMv6-M: no
//   `ldrex`/`strex`, so LLVM makes every atomic read-modify-write a library call)
//   also declares `POLLEN_MASKED_RMW`. The read-modify-writes below (OR, exchange,
//   compare-exchange) are then a relaxed load and store with interrupts masked,
//   inline: the Cortex-M layer's `pollen_critical_enter`/`exit` (cortexm.h, whose
//   `asm volatile` with a memory clobber is also the compiler fence). On one core
//   nothing but an interrupt can come between the load and the store, and the mask
//   keeps it out. Tests/Firmware/interrupt-rmw sweeps an interrupt across them.

/// How the core orders the words it shares with interrupts and other threads:
/// release/acquire; relaxed with compiler-only fences on one core
/// (`POLLEN_SINGLE_CORE`), read-modify-writes then masked where there is no
/// exclusive access (`POLLEN_MASKED_RMW`). See README, "The platform seam".
public enum SharedOrdering {
    /// Whether the core was built for a single-core machine (its board's toolset
    /// declares `POLLEN_SINGLE_CORE`). Always `false` on the host.
    public static var singleCore: Bool {
#if POLLEN_SINGLE_CORE
        true
#else
        false
#endif
    }

#if POLLEN_MASKED_RMW
    /// Runs `body` with interrupts masked: the architecture layer's critical
    /// section, inline (its `asm volatile` with a memory clobber is also a compiler
    /// fence). Nests: it restores the mask it found.
    @inline(__always)
    static func masked<Result>(_ body: () -> Result) -> Result {
        let saved = pollen_critical_enter()
        let result = body()
        pollen_critical_exit(saved)
        return result
    }
#endif

#if POLLEN_SINGLE_CORE
    /// A compiler-only fence: no instruction, but no memory access moves across it.
    @inline(__always)
    static func compilerFence() {
        Builtin.fence_seqcst_singlethread()
    }
#endif
}

// The operations, for the word types the core shares: UInt32 (masks), UInt8 (slot
// states), UInt (the pend hook's address). `Atomic`'s operations are constrained by
// representation and take their ordering as a literal, so each is spelled out.

extension Atomic where Value == UInt32 {
    /// ORs `bits` in, after every write that precedes it (release).
    @inline(__always)
    func publishingOr(_ bits: UInt32) {
#if POLLEN_MASKED_RMW
        SharedOrdering.masked { store(load(ordering: .relaxed) | bits, ordering: .relaxed) }
#elseif POLLEN_SINGLE_CORE
        SharedOrdering.compilerFence()
        bitwiseOr(bits, ordering: .relaxed)
#else
        bitwiseOr(bits, ordering: .releasing)
#endif
    }

    /// Swaps in `value` and returns the word, before every access that follows
    /// (acquire).
    @inline(__always)
    func takingExchange(_ value: UInt32) -> UInt32 {
#if POLLEN_MASKED_RMW
        return SharedOrdering.masked {
            let old = load(ordering: .relaxed)
            store(value, ordering: .relaxed)
            return old
        }
#elseif POLLEN_SINGLE_CORE
        let old = exchange(value, ordering: .relaxed)
        SharedOrdering.compilerFence()
        return old
#else
        return exchange(value, ordering: .acquiring)
#endif
    }

    /// Loads the word, before every access that follows (acquire).
    @inline(__always)
    func takingLoad() -> UInt32 {
#if POLLEN_SINGLE_CORE
        let value = load(ordering: .relaxed)
        SharedOrdering.compilerFence()
        return value
#else
        return load(ordering: .acquiring)
#endif
    }
}

extension Atomic where Value == UInt8 {
    /// Replaces `expected` with `desired` if the byte holds it; returns whether it
    /// did, before every access that follows (acquire; on one core that drops
    /// the two `dmb`s of a claim on the Cortex-M4).
    @inline(__always)
    func takingCompareExchange(expected: UInt8, desired: UInt8) -> Bool {
#if POLLEN_MASKED_RMW
        return SharedOrdering.masked {
            guard load(ordering: .relaxed) == expected else { return false }
            store(desired, ordering: .relaxed)
            return true
        }
#elseif POLLEN_SINGLE_CORE
        let exchanged = compareExchange(expected: expected, desired: desired, ordering: .relaxed).exchanged
        SharedOrdering.compilerFence()
        return exchanged
#else
        return compareExchange(expected: expected, desired: desired, ordering: .acquiring).exchanged
#endif
    }

    /// Loads the byte, before every access that follows (acquire).
    @inline(__always)
    func takingLoad() -> UInt8 {
#if POLLEN_SINGLE_CORE
        let value = load(ordering: .relaxed)
        SharedOrdering.compilerFence()
        return value
#else
        return load(ordering: .acquiring)
#endif
    }

    /// Stores `value`, after every write that precedes it (release).
    @inline(__always)
    func publishingStore(_ value: UInt8) {
#if POLLEN_SINGLE_CORE
        SharedOrdering.compilerFence()
        store(value, ordering: .relaxed)
#else
        store(value, ordering: .releasing)
#endif
    }
}

extension Atomic where Value == UInt {
    /// Loads the word, before every access that follows (acquire).
    @inline(__always)
    func takingLoad() -> UInt {
#if POLLEN_SINGLE_CORE
        let value = load(ordering: .relaxed)
        SharedOrdering.compilerFence()
        return value
#else
        return load(ordering: .acquiring)
#endif
    }

    /// Stores `value`, after every write that precedes it (release).
    @inline(__always)
    func publishingStore(_ value: UInt) {
#if POLLEN_SINGLE_CORE
        SharedOrdering.compilerFence()
        store(value, ordering: .relaxed)
#else
        store(value, ordering: .releasing)
#endif
    }
}
