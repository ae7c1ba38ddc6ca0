/*
 * atomics_rmw.h — read-modify-write __atomic_* functions as critical sections,
 * for every single-core board: Board/cortex-m/atomics_64.c and
 * Board/riscv/atomics_64.c (8 bytes: neither ARMv7-M nor RV32 has a 64-bit
 * atomic instruction). The 1-, 2- and 4-byte operations of ARMv6-M are the
 * legacy __sync_* calls instead (Board/cortex-m/atomics_armv6m.c: with
 * `+atomics-32`, LLVM calls those names, with typed pointers and no memory
 * order), so that file spells out the same critical sections with its own
 * signatures.
 *
 * Include the architecture's header first (cortexm.h, riscv.h): it defines
 * pollen_critical_enter() and pollen_critical_exit(), which mask interrupts
 * and restore the previous mask (PRIMASK on Cortex-M, mstatus.MIE on RISC-V).
 *
 * POLLEN_ATOMIC_RMW(N, T) defines __atomic_exchange_N,
 * __atomic_compare_exchange_N and __atomic_fetch_{add,sub,and,or,xor,nand}_N
 * for the N-byte type T. Each one masks interrupts, reads, writes, and
 * restores the mask: atomic with respect to interrupt handlers on a single
 * core, which is all a board running Pollen has. The memory-order
 * arguments need nothing more: with interrupts masked, program order is the
 * only order, and the critical-section asm is a compiler barrier.
 */
#ifndef POLLEN_ATOMICS_RMW_H
#define POLLEN_ATOMICS_RMW_H

#include <stdbool.h>
#include <stdint.h>

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

#endif /* POLLEN_ATOMICS_RMW_H */
