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
    SysTick_Handler with it. */
static inline __attribute__((always_inline)) void pollen_spin(uint32_t iterations) {
    __asm volatile("1: subs %0, %0, #1\n\tbhs 1b" : "+l"(iterations) :: "cc", "memory");
}

/* ---- Functions defined in the .c files of Board/cortex-m ---- */

/** Ends the program: semihosting SYS_EXIT_EXTENDED, so QEMU exits with `code`.
    Needs `-semihosting-config enable=on` (QEMU) or an attached debugger; on a
    bare board without one the `bkpt` escalates to a lockup. */
__attribute__((noreturn)) void pollen_exit(int32_t code);

/** Bytes of the main stack that have ever been used (highest depth reached),
    measured from the 0xDEADBEEF paint laid down at reset. */
uint32_t pollen_stack_high_water_bytes(void);

/** Size of the main stack region from the linker script, in bytes. */
uint32_t pollen_stack_size_bytes(void);
/* Size of the image's .text (code and read-only data the linker script puts in it). */
uint32_t pollen_text_bytes(void);

/* ---- Functions the Swift side defines (via @_cdecl) and C calls ---- */

/** Board hook, called from Reset_Handler before `main`: makes the UART able to
    transmit so that panics and `print` work from the first line of `main`. */
void pollen_board_early_init(void);

/** Board hook: writes one byte to the console UART, blocking until accepted. */
void pollen_board_write_byte(uint8_t byte);

/* ---- Data shared with the Swift side ---- */

/** Microseconds since SysTick was started, at the last tick (a multiple of 1000
    unless a test preset it).

    Invariant "tick count": correct from any priority. Every read returns either
    the value before or the value after any update, never a mix of the two words
    (which could be 2^32 µs off), whatever interrupt priorities the app sets:
      - written only by SysTick_Handler (startup.c), which adds 1000 every
        millisecond with interrupts masked, so no handler, however urgent, can
        run between the two word stores; and by
        `pollen_tick_count_preset_for_testing`, masked too;
      - read only with interrupts masked (`pollen_tick_count`), so SysTick
        cannot update it between the two word loads.
    A handler that preempts SysTick_Handler before its update reads the count of
    the previous tick: the tick being handled is counted once the update runs.
    Cost of a read: 4 instructions on the Cortex-M4 (mrs, cpsid, ldrd, msr), 5 on
    the Cortex-M0 (two ldr); the address load comes on top. */
extern uint64_t pollen_systick_microseconds;

/** Called by SysTick_Handler after every tick, once set (null: nothing). Set
    by the first `InterruptExecutor.start` (InterruptExecutor.swift), with
    interrupts masked, to `InterruptExecutors.pendExpired(now:)`: the time
    interrupt pends the line of every interrupt executor whose earliest
    deadline has passed. */
extern void (*pollen_tick_hook)(void);

/** Sets `pollen_tick_hook` (call with interrupts masked). Swift sets it through
    this: a C global is not concurrency-checked. */
static inline __attribute__((always_inline)) void pollen_set_tick_hook(void (*hook)(void)) {
    pollen_tick_hook = hook;
}

/** The tick count, read consistently from thread mode or any handler (it masks
    interrupts for the load and restores the previous PRIMASK, so it nests).
    Swift reads it through this: a C global is not concurrency-checked. */
static inline __attribute__((always_inline)) uint64_t pollen_tick_count(void) {
    uint32_t saved = pollen_critical_enter();
    uint64_t value = pollen_systick_microseconds;
    pollen_critical_exit(saved);
    return value;
}

/** The tick count, for a caller that has already masked interrupts (the asm
    barriers of its own critical section keep the load inside it). */
static inline __attribute__((always_inline)) uint64_t pollen_tick_count_while_masked(void) {
    return pollen_systick_microseconds;
}

/** TEST ONLY: sets the tick count to `microseconds` (masked, so it is never
    seen half-written). Firmware tests use it to start the clock near the carry
    out of its low word (0xFFFF_F000 µs is 5 ticks before it) instead of waiting
    71 minutes. Moving the clock under a running executor breaks its timers:
    apps must not call it. Reach it through `CortexMPlatform.presetTickCountForTesting`,
    which also resets the floor of the precise clock. */
static inline __attribute__((always_inline)) void pollen_tick_count_preset_for_testing(uint64_t microseconds) {
    uint32_t saved = pollen_critical_enter();
    pollen_systick_microseconds = microseconds;
    pollen_critical_exit(saved);
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
