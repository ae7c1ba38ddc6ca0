/*
 * atomics_armv6m.c — the 1-, 2- and 4-byte atomic read-modify-write library
 * calls for ARMv6-M (Cortex-M0).
 *
 * ARMv6-M has no exclusive loads/stores (ldrex/strex). The micro:bit's toolset
 * tells LLVM that 32-bit atomics are lock-free anyway (target feature
 * `+atomics-32`, true on a single core: an aligned load or store of 1, 2 or 4
 * bytes is one instruction, which no interrupt can tear). So atomic loads and
 * stores — `Synchronization.Atomic`'s, and the volatile register accesses of
 * `_Volatile` — compile to plain `ldr`/`str`, and only read-modify-write
 * operations become calls: to the legacy `__sync_*` functions below (the names
 * LLVM uses for lock-free atomics it cannot inline). Before that feature every
 * atomic load and store was a call too (`__atomic_load_4` & co.): four of them
 * per hand-off.
 *
 * Pollen's Cortex-M0 targets have one core, so "atomic" means "not torn by an
 * interrupt handler": each operation runs in a critical section (save PRIMASK,
 * `cpsid i`, operate, restore PRIMASK: pollen_critical_enter/exit). The asm
 * in those helpers (plus the call itself) is a compiler barrier, and with
 * interrupts masked program order is the only order, so the `__sync_*`
 * functions' full-barrier semantics hold without a `dmb`.
 *
 * The core's hot read-modify-writes (a wake's OR, the pass's exchange, a
 * spawn's claim) do not come here on the micro:bit: its toolset declares
 * POLLEN_MASKED_RMW, and the core runs them inline in the same critical section
 * (Sources/Pollen/Support/SharedOrdering.swift). These helpers serve the rest
 * (channels, AtomicWaker, InterruptCell, app code).
 *
 * Compiled for every board (the C target PollenCortexMSupport lists it) but
 * empty except on ARMv6-M: on ARMv7-M the compiler inlines these operations
 * (ldrex/strex). The 8-byte atomics, needed on every Cortex-M, are the
 * `__atomic_*_8` calls of atomics_64.c.
 *
 * Not interrupt-safe against other bus masters (DMA): no Pollen code shares
 * atomics with DMA.
 */
#if defined(__ARM_ARCH_6M__)

#include <stdbool.h>
#include <stdint.h>
#include "cortexm.h"

/* The `__sync_*_N` names are compiler builtins in C: each function is defined
   under a Pollen name and given the library name with an asm label. */

/* Read-modify-write: returns the old value. */
#define POLLEN_SYNC_FETCH(N, T, NAME, EXPR)                                      \
    T pollen_sync_fetch_and_##NAME##_##N(volatile T *p, T operand)              \
        __asm__("__sync_fetch_and_" #NAME "_" #N);                              \
    T pollen_sync_fetch_and_##NAME##_##N(volatile T *p, T operand) {            \
        uint32_t saved = pollen_critical_enter();                               \
        T old = *p;                                                             \
        *p = (T)(EXPR);                                                         \
        pollen_critical_exit(saved);                                            \
        return old;                                                             \
    }

#define POLLEN_SYNC_RMW(N, T)                                                   \
    T pollen_sync_lock_test_and_set_##N(volatile T *p, T value)                 \
        __asm__("__sync_lock_test_and_set_" #N);                                \
    T pollen_sync_lock_test_and_set_##N(volatile T *p, T value) {               \
        uint32_t saved = pollen_critical_enter();                               \
        T old = *p;                                                             \
        *p = value;                                                             \
        pollen_critical_exit(saved);                                            \
        return old;                                                             \
    }                                                                           \
    T pollen_sync_val_compare_and_swap_##N(volatile T *p, T expected, T desired) \
        __asm__("__sync_val_compare_and_swap_" #N);                             \
    T pollen_sync_val_compare_and_swap_##N(volatile T *p, T expected, T desired) { \
        uint32_t saved = pollen_critical_enter();                               \
        T current = *p;                                                         \
        if (current == expected) *p = desired;                                  \
        pollen_critical_exit(saved);                                            \
        return current;                                                         \
    }                                                                           \
    POLLEN_SYNC_FETCH(N, T, add, old + operand)                                 \
    POLLEN_SYNC_FETCH(N, T, sub, old - operand)                                 \
    POLLEN_SYNC_FETCH(N, T, and, old & operand)                                 \
    POLLEN_SYNC_FETCH(N, T, or, old | operand)                                  \
    POLLEN_SYNC_FETCH(N, T, xor, old ^ operand)                                 \
    POLLEN_SYNC_FETCH(N, T, nand, ~(old & operand))                             \
    POLLEN_SYNC_FETCH(N, T, umax, old > operand ? old : operand)                \
    POLLEN_SYNC_FETCH(N, T, umin, old < operand ? old : operand)

POLLEN_SYNC_RMW(1, uint8_t)
POLLEN_SYNC_RMW(2, uint16_t)
POLLEN_SYNC_RMW(4, uint32_t)

/* Signed min/max (Atomic<Int*>.min/max): the same operation, compared as signed. */
POLLEN_SYNC_FETCH(1, uint8_t, max, (int8_t)old > (int8_t)operand ? old : operand)
POLLEN_SYNC_FETCH(1, uint8_t, min, (int8_t)old < (int8_t)operand ? old : operand)
POLLEN_SYNC_FETCH(2, uint16_t, max, (int16_t)old > (int16_t)operand ? old : operand)
POLLEN_SYNC_FETCH(2, uint16_t, min, (int16_t)old < (int16_t)operand ? old : operand)
POLLEN_SYNC_FETCH(4, uint32_t, max, (int32_t)old > (int32_t)operand ? old : operand)
POLLEN_SYNC_FETCH(4, uint32_t, min, (int32_t)old < (int32_t)operand ? old : operand)

#endif /* __ARM_ARCH_6M__ */
