/*
 * cortexm.h — the C side of Pollen's Cortex-M boards, as Swift sees it.
 *
 * Imported into the firmware module with `-import-objc-header`. Everything here
 * is either an instruction Swift cannot emit (cpsid/cpsie/wfi/dsb/isb/mrs) or
 * the prototype of a function defined in the .c files of Board/cortex-m. Register access
 * (NVIC, SysTick, UARTs) is done from Swift with `_Volatile` instead
 * (Board/cortex-m/CortexM.swift, Board/<board>/Board.swift).
 *
 * Every `asm` below carries a "memory" clobber: it is a compiler barrier, so
 * loads and stores of globals shared with interrupt handlers are not moved
 * across a mask/unmask or a sleep.
 */
#ifndef POLLEN_CORTEXM_H
#define POLLEN_CORTEXM_H

#include <stdint.h>

/* ---- Exit codes reported through semihosting (QEMU's process exit code) ---- */

/** main returned / the app asked for success. */
#define POLLEN_EXIT_SUCCESS 0
/** A Swift runtime trap (fatalError, precondition, overflow, bounds check). */
#define POLLEN_EXIT_TRAP 3
/** Any other HardFault (bad address, bad instruction, stack overflow, ...). */
#define POLLEN_EXIT_HARD_FAULT 4
/** An exception or IRQ fired that has no handler (Default_Handler). */
#define POLLEN_EXIT_UNHANDLED_IRQ 5
/** The main stack ran past __stack_bottom (found by the HardFault handler). */
#define POLLEN_EXIT_STACK_OVERFLOW 6

/* ---- Interrupt masking (PRIMASK) ---- */

/** Masks all configurable-priority interrupts (`cpsid i`). */
static inline __attribute__((always_inline)) void pollen_disable_irq(void) {
    __asm volatile("cpsid i" ::: "memory");
}

/** Unmasks interrupts (`cpsie i`). A pending interrupt runs right after it. */
static inline __attribute__((always_inline)) void pollen_enable_irq(void) {
    __asm volatile("cpsie i" ::: "memory");
}

/** Reads PRIMASK: 1 when interrupts are masked, 0 when they are enabled. */
static inline __attribute__((always_inline)) uint32_t pollen_primask(void) {
    uint32_t value;
    __asm volatile("mrs %0, primask" : "=r"(value) :: "memory");
    return value;
}

/** Enters a critical section: returns the previous PRIMASK, then masks interrupts.
    Pass the result to `pollen_critical_exit`. Nests correctly. Cost: 2 instructions. */
static inline __attribute__((always_inline)) uint32_t pollen_critical_enter(void) {
    uint32_t previous = pollen_primask();
    pollen_disable_irq();
    return previous;
}

/** Leaves a critical section: restores the PRIMASK saved by `pollen_critical_enter`. */
static inline __attribute__((always_inline)) void pollen_critical_exit(uint32_t previous) {
    __asm volatile("msr primask, %0" :: "r"(previous) : "memory");
}

/* ---- Sleep and barriers ---- */

/** Waits for an interrupt (`wfi`). With PRIMASK set it still wakes when an
    interrupt becomes pending, but the handler runs only after `cpsie i`. */
static inline __attribute__((always_inline)) void pollen_wfi(void) {
    __asm volatile("wfi" ::: "memory");
}

/** Data synchronisation barrier: all explicit memory accesses complete. */
static inline __attribute__((always_inline)) void pollen_dsb(void) {
    __asm volatile("dsb" ::: "memory");
}

/** Instruction synchronisation barrier: flushes the pipeline. */
static inline __attribute__((always_inline)) void pollen_isb(void) {
    __asm volatile("isb" ::: "memory");
}

/** The active exception number (IPSR): 0 in thread mode, 15 in SysTick, 16+n in IRQ n. */
static inline __attribute__((always_inline)) uint32_t pollen_ipsr(void) {
    uint32_t value;
    __asm volatile("mrs %0, ipsr" : "=r"(value));
    return value;
}

/** Busy-waits exactly 2 × `iterations` + 2 instructions: `iterations` + 1
    passes of `subs; bhs`. For tests that place an interrupt at a chosen
    instruction under QEMU's `-icount` (where an instruction is a fixed step of
    virtual time): the clock-priority test sweeps a timer interrupt across
    the alarm handler with it. */
static inline __attribute__((always_inline)) void pollen_spin(uint32_t iterations) {
    __asm volatile("1: subs %0, %0, #1\n\tbhs 1b" : "+l"(iterations) :: "cc", "memory");
}

/* ---- Functions defined in the .c files of Board/cortex-m ---- */

/** Ends the program: semihosting SYS_EXIT_EXTENDED, so QEMU exits with `code`.
    Needs `-semihosting-config enable=on` (QEMU) or an attached debugger; on a
    bare board without one the `bkpt` escalates to a lockup. */
__attribute__((noreturn)) void pollen_exit(int32_t code);

/* The stack's high-water mark and size, the size of .text: every board's. */
#include "../common/image.h"
/* The fault reports' console text and pollen_fail: every board's. */
#include "../common/fault_text.h"

/* ---- Functions the Swift side defines (via @_cdecl) and C calls ---- */

/** Board hook, called from Reset_Handler before `main`: makes the UART able to
    transmit so that panics and `print` work from the first line of `main`. */
void pollen_board_early_init(void);

/** Board hook: writes one byte to the console UART, blocking until accepted. */
void pollen_board_write_byte(uint8_t byte);

/* ---- Data shared with the Swift side ---- */

/** The tickless clock's count of half-periods of the board's free-running 32-bit
    microsecond counter: how many times the counter has crossed 2^31 or wrapped
    through 0 (CortexMClock.swift).

    Invariant "clock period": written only with interrupts masked, by the clock's
    fix-up (one increment when the counter's top bit differs from this count's
    lowest bit) and the test-only preset; one word, so every read sees the value
    before or after a store. Readers need no masking: they read this first, then
    the counter, and combine the two so that a crossing not counted yet is
    counted (`TicklessClock.now`). */
/** The tickless clock's and alarm's words (startup.c), in one global so that
    code touching several of them computes one base address: the count of
    half-periods P above (`half_periods`, read and written only through the
    two functions below), and CortexMClock.swift's bookkeeping, whose
    invariants are stated there: */
struct pollen_tickless_state {
    volatile uint32_t half_periods;
    /** Times an idle step's `wfi` returned (written masked by `idle`). */
    uint32_t idle_wakeups;
    /** Alarm interrupts taken (written by the handler only). */
    uint32_t alarm_interrupts;
    /** Whether the clock was started (thread mode, start-up). */
    uint32_t started;
    /** The thread-mode executor's deadline (µs), bit-inverted: 0 is none.
        Read and written with interrupts masked. */
    uint64_t thread_deadline_inverted;
    /** The other requesters' table scan, stored by their first request (none:
        an app without interrupt executors links no scan). Masked. */
    uint32_t (*other_requests_scan)(uint64_t now, uint32_t span, _Bool servicing);
};
extern struct pollen_tickless_state pollen_tickless;

/** `pollen_tickless` for Swift (a C global's address, not a shared variable). */
static inline __attribute__((always_inline)) struct pollen_tickless_state *pollen_tickless_words(void) {
    return &pollen_tickless;
}

/** Reads the half-period count. The barrier keeps the board's counter read,
    which must come after it, from moving before it. */
static inline __attribute__((always_inline)) uint32_t pollen_clock_half_periods_read(void) {
    uint32_t value = pollen_tickless.half_periods;
    __asm volatile("" ::: "memory");
    return value;
}

/** Stores the half-period count (callers mask interrupts: invariant "clock period"). */
static inline __attribute__((always_inline)) void pollen_clock_half_periods_write(uint32_t value) {
    pollen_tickless.half_periods = value;
}

/** One 32-bit load from the device register at `address`. On ARMv6-M without
    the `+atomics-32` target feature, Swift's `VolatileMappedRegister` accesses
    are library calls; the clock's hot path (the counter read, which the
    executor does every round) uses these instead: one `ldr` / `str` whatever
    the toolset declares. */
static inline __attribute__((always_inline)) uint32_t pollen_register_load(uintptr_t address) {
    return *(volatile uint32_t *)address;
}

/** One 32-bit store to the device register at `address` (see pollen_register_load). */
static inline __attribute__((always_inline)) void pollen_register_store(uintptr_t address, uint32_t value) {
    *(volatile uint32_t *)address = value;
}

/** The current stack pointer (MSP: Pollen runs thread mode and handlers on the
    main stack). Tests use it to tell whether a handler preempted another one:
    nested, it runs below the other's exception frame. */
static inline __attribute__((always_inline)) uint32_t pollen_stack_pointer(void) {
    uint32_t value;
    __asm volatile("mov %0, sp" : "=r"(value));
    return value;
}

#endif /* POLLEN_CORTEXM_H */
