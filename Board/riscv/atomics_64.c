/*
 * atomics_64.c — the 8-byte __atomic_* library calls on RV32.
 *
 * The A extension's atomics are 32 bits wide on RV32 (lr.w/sc.w, amo*.w), so
 * LLVM calls these for `Atomic<UInt64>` and friends. Every operation, loads
 * and stores included (two word accesses each), runs with mstatus.MIE cleared;
 * see Board/common/atomics_rmw.h. (Smaller atomics need nothing: LLVM inlines
 * them, 1- and 2-byte ones as masked lr.w/sc.w loops.)
 */
#include <stdint.h>
#include "riscv.h"
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
