/*
 * atomics_armv6m.c — the __atomic_* library calls for ARMv6-M (Cortex-M0).
 *
 * ARMv6-M has no exclusive loads/stores (ldrex/strex), so LLVM turns every
 * atomic operation — `Synchronization.Atomic`, and even the volatile
 * register accesses of `_Volatile` — into calls to these functions
 * (the "sized" libatomic ABI: __atomic_<op>_<size>). Linked only on ARMv6-M
 * boards (Board/build checks ARMV6M in board.env).
 *
 * Pollen's Cortex-M0 targets have one core, so "atomic" means "not torn by an
 * interrupt handler":
 *   - aligned loads and stores of 1, 2 and 4 bytes are single instructions,
 *     hence already atomic: plain volatile accesses, no masking;
 *   - read-modify-write operations and all 8-byte operations run in a critical
 *     section: save PRIMASK, `cpsid i`, operate, restore PRIMASK
 *     (pollen_critical_enter/exit). Cost: 3 instructions plus the operation.
 * The memory-order arguments need nothing more: on one core with interrupts
 * masked, program order is the only order, and the asm in the critical
 * section helpers (plus the call itself) is a compiler barrier.
 *
 * Not interrupt-safe against other bus masters (DMA): no Pollen code shares
 * atomics with DMA.
 */
#include <stdbool.h>
#include <stdint.h>
#include "cortexm.h"

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

/* Load/store under a critical section (8 bytes = two accesses on ARMv6-M). */
#define POLLEN_ATOMIC_LOAD_STORE_MASKED(N, T)                                   \
    T __atomic_load_##N(const volatile void *p, int order) {                    \
        (void)order;                                                            \
        uint32_t saved = pollen_critical_enter();                               \
        T value = *(const volatile T *)p;                                       \
        pollen_critical_exit(saved);                                            \
        return value;                                                           \
    }                                                                           \
    void __atomic_store_##N(volatile void *p, T value, int order) {             \
        (void)order;                                                            \
        uint32_t saved = pollen_critical_enter();                               \
        *(volatile T *)p = value;                                               \
        pollen_critical_exit(saved);                                            \
    }

/* Read-modify-write: returns the old value. */
#define POLLEN_ATOMIC_FETCH(N, T, NAME, EXPR)                                   \
    T __atomic_fetch_##NAME##_##N(volatile void *p, T operand, int order) {     \
        (void)order;                                                            \
        uint32_t saved = pollen_critical_enter();                               \
        T old = *(volatile T *)p;                                               \
        *(volatile T *)p = (T)(EXPR);                                           \
        pollen_critical_exit(saved);                                            \
        return old;                                                             \
    }

#define POLLEN_ATOMIC_RMW(N, T)                                                 \
    T __atomic_exchange_##N(volatile void *p, T value, int order) {             \
        (void)order;                                                            \
        uint32_t saved = pollen_critical_enter();                               \
        T old = *(volatile T *)p;                                               \
        *(volatile T *)p = value;                                               \
        pollen_critical_exit(saved);                                            \
        return old;                                                             \
    }                                                                           \
    bool __atomic_compare_exchange_##N(volatile void *p, void *expected,        \
                                       T desired, int success, int failure) {   \
        (void)success; (void)failure;                                           \
        uint32_t saved = pollen_critical_enter();                               \
        T current = *(volatile T *)p;                                           \
        bool equal = current == *(T *)expected;                                 \
        if (equal) {                                                            \
            *(volatile T *)p = desired;                                         \
        } else {                                                                \
            *(T *)expected = current;                                           \
        }                                                                       \
        pollen_critical_exit(saved);                                            \
        return equal;                                                           \
    }                                                                           \
    POLLEN_ATOMIC_FETCH(N, T, add, old + operand)                               \
    POLLEN_ATOMIC_FETCH(N, T, sub, old - operand)                               \
    POLLEN_ATOMIC_FETCH(N, T, and, old & operand)                               \
    POLLEN_ATOMIC_FETCH(N, T, or, old | operand)                                \
    POLLEN_ATOMIC_FETCH(N, T, xor, old ^ operand)                               \
    POLLEN_ATOMIC_FETCH(N, T, nand, ~(old & operand))

POLLEN_ATOMIC_LOAD_STORE(1, uint8_t)
POLLEN_ATOMIC_LOAD_STORE(2, uint16_t)
POLLEN_ATOMIC_LOAD_STORE(4, uint32_t)
POLLEN_ATOMIC_LOAD_STORE_MASKED(8, uint64_t)

POLLEN_ATOMIC_RMW(1, uint8_t)
POLLEN_ATOMIC_RMW(2, uint16_t)
POLLEN_ATOMIC_RMW(4, uint32_t)
POLLEN_ATOMIC_RMW(8, uint64_t)
