/*
 * atomics_armv6m.c — the 1-, 2- and 4-byte __atomic_* library calls for
 * ARMv6-M (Cortex-M0).
 *
 * ARMv6-M has no exclusive loads/stores (ldrex/strex), so LLVM turns every
 * atomic operation — `Synchronization.Atomic`, and even the volatile
 * register accesses of `_Volatile` — into calls to these functions
 * (the "sized" libatomic ABI: __atomic_<op>_<size>). Compiled for every
 * board (the C target PollenCortexMSupport lists it) but empty except on
 * ARMv6-M: on ARMv7-M the compiler inlines these operations (ldrex/strex).
 * The 8-byte ones, needed on every Cortex-M, are in atomics_64.c.
 *
 * Pollen's Cortex-M0 targets have one core, so "atomic" means "not torn by an
 * interrupt handler":
 *   - aligned loads and stores of 1, 2 and 4 bytes are single instructions,
 *     hence already atomic: plain volatile accesses, no masking;
 *   - read-modify-write operations run in a critical section: save PRIMASK,
 *     `cpsid i`, operate, restore PRIMASK (pollen_critical_enter/exit).
 *     Cost: 3 instructions plus the operation.
 * The memory-order arguments need nothing more: on one core with interrupts
 * masked, program order is the only order, and the asm in the critical
 * section helpers (plus the call itself) is a compiler barrier.
 *
 * Not interrupt-safe against other bus masters (DMA): no Pollen code shares
 * atomics with DMA.
 */
#if defined(__ARM_ARCH_6M__)

#include <stdbool.h>
#include <stdint.h>
#include "cortexm.h"
#include "../common/atomics_rmw.h"

/* Plain load/store: one aligned access is atomic. */
#define POLLEN_ATOMIC_LOAD_STORE(N, T)                                          \
    T __atomic_load_##N(const volatile void *p, int order) {                    \
        (void)order;                                                            \
        return *(const volatile T *)p;                                          \
    }                                                                           \
    void __atomic_store_##N(volatile void *p, T value, int order) {             \
        (void)order;                                                            \
        *(volatile T *)p = value;                                               \
    }

POLLEN_ATOMIC_LOAD_STORE(1, uint8_t)
POLLEN_ATOMIC_LOAD_STORE(2, uint16_t)
POLLEN_ATOMIC_LOAD_STORE(4, uint32_t)

POLLEN_ATOMIC_RMW(1, uint8_t)
POLLEN_ATOMIC_RMW(2, uint16_t)
POLLEN_ATOMIC_RMW(4, uint32_t)

#endif /* __ARM_ARCH_6M__ */
