/*
 * atomics_64.c — the 8-byte __atomic_* library calls, for every Cortex-M.
 *
 * No M-profile core has a 64-bit exclusive pair (ldrexd/strexd), so LLVM
 * calls these for `Atomic<UInt64>` and friends on ARMv7-M (Swift's
 * Synchronization offers 64-bit atomics there, but not on ARMv6-M). Every
 * operation, loads and stores included (two word accesses each), runs in a
 * critical section; see atomics_rmw.h.
 */
#include <stdint.h>
#include "cortexm.h"
#include "../common/atomics_rmw.h"

uint64_t __atomic_load_8(const volatile void *p, int order) {
    (void)order;
    uint32_t saved = pollen_critical_enter();
    uint64_t value = *(const volatile uint64_t *)p;
    pollen_critical_exit(saved);
    return value;
}

void __atomic_store_8(volatile void *p, uint64_t value, int order) {
    (void)order;
    uint32_t saved = pollen_critical_enter();
    *(volatile uint64_t *)p = value;
    pollen_critical_exit(saved);
}

POLLEN_ATOMIC_RMW(8, uint64_t)
