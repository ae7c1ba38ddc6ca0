/*
 * startup.c — reset, vector table and fault reporting for every Pollen Cortex-M board.
 *
 * Reset sequence (Reset_Handler):
 *   1. copy .data from its load address in flash to RAM;
 *   2. zero .bss;
 *   3. paint the unused part of the stack with 0xDEADBEEF, so that
 *      pollen_stack_high_water_bytes() can later tell how deep it ever went;
 *   4. pollen_board_early_init() (Swift, per board): UART ready to transmit;
 *   5. main() — the Swift `@main` entry point (built with -parse-as-library);
 *   6. if main returns: pollen_exit(its result), 0 for a Swift `@main` that returns.
 *
 * Faults end the run loudly: a line starting with "FATAL:" on the UART, then a
 * non-zero semihosting exit (codes in cortexm.h), so a QEMU test can never hang
 * or pass by accident after a crash.
 *
 * Symbols from the linker script (linker/<board>.ld): __stack_bottom, __stack_top,
 * __data_start, __data_end, __data_load, __bss_start, __bss_end, __text_start, __text_end.
 */
#include <stdint.h>
#include "cortexm.h"

extern uint32_t __stack_bottom[], __stack_top[];
extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_end[];   /* .bss starts at __data_end (linker script ASSERT) */
extern uint32_t __text_start[];
extern uint32_t __text_end[];

/* The Swift entry point emitted for `@main` (argc/argv are unused on a board). */
extern int main(int argc, char **argv);

/* An empty, writable, zero-fill section named .stack: the linker script keeps it
   in its .stack output section, which so becomes writable ("aw") instead of
   read-only. Then `size` and `llvm-size` count the stack with the zeroed data
   (bss) rather than with the code (text), as Board/build's report does. */
__asm__(".section .stack,\"aw\",%nobits\n\t.previous");

/* ------------------------------------------------------------------------- */
/* Console output for fault messages (goes through the board's UART).        */

/* putchar, pollen_fail and the fault text (pollen_fault_write,
   pollen_fault_write_hex): Board/common/fault_text.c. */


/* ------------------------------------------------------------------------- */
/* Reset                                                                     */

void Reset_Handler(void) {
    /* 1. .data: flash -> RAM. Volatile pointers keep clang from turning these
          loops into memcpy/memset calls (those are fine, but this keeps the
          reset path free of any dependency). */
    volatile uint32_t *p = __data_start;
    const uint32_t *src = __data_load;
    while (p < __data_end) *p++ = *src++;

    /* 2. .bss: zero. It starts where .data ends (the linker script asserts it),
          so the same pointer carries on. */
    while (p < __bss_end) *p++ = 0;

    /* 3. Paint the stack below our own frame. Stop 32 bytes (8 words) short
          of the current stack pointer: that part is live (this function's
          frame). The same pointer again: one store loop like the others. */
    uint32_t *sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (p = __stack_bottom; p < sp - 8; ) *p++ = POLLEN_STACK_PAINT;

    /* 4. Console first, so even a failure in the first line of main is reported. */
    pollen_board_early_init();

    /* 5. The application; 6. if main returns, its result is the exit code:
          Swift's `main` returns 0 (POLLEN_EXIT_SUCCESS) when the `@main`
          function returns. */
    pollen_exit(main(0, 0));
}

/* ------------------------------------------------------------------------- */
/* Faults                                                                    */

/*
 * Every fatal exception enters here: HardFault (every fault on ARMv6-M, and on
 * ARMv7-M every fault whose own handler is disabled: we enable none) and every
 * vector without a handler of its own (the weak aliases below).
 *
 * The naked entry reads the stacked pc and lr from the exception frame the CPU
 * pushed on the main stack (r0, r1, r2, r3, r12, lr, pc, xpsr), but only if the
 * stack pointer is still inside the stack region: below __stack_bottom the stack
 * has overflowed and the frame is not in RAM. Then it moves the stack pointer
 * back to __stack_top (this handler never returns, and the old stack may be
 * exhausted) and calls the C reporter with the exception number (IPSR).
 *
 * Swift traps (fatalError, precondition, overflow...) are `udf #254` (0xDEFE);
 * they are reported as "trap" so a test can tell a panic from a wild fault.
 */
__attribute__((used, noreturn))
void pollen_fault_report(uint32_t sp, uint32_t pc, uint32_t lr, uint32_t exception) {
    /* One report for every cause: "\nFATAL: <what><value>[ lr=<lr>]\n", then
       exit(code). Each cause only picks its words, value and exit code. */
    const char *what = "hard fault at pc=";
    uint32_t value = pc;
    int32_t code = POLLEN_EXIT_HARD_FAULT;
    if (sp < (uint32_t)__stack_bottom) {
        what = "stack overflow at sp=";
        value = sp;
        lr = 0;
        code = POLLEN_EXIT_STACK_OVERFLOW;
    } else if (exception != 3) {   /* not HardFault: an exception or IRQ nobody handles */
        what = "unhandled exception ";
        value = exception;
        if (exception >= 16) {
            what = "unhandled IRQ ";
            value = exception - 16;
        }
        lr = 0;
        code = POLLEN_EXIT_UNHANDLED_IRQ;
    } else if ((pc & 1u) == 0 && pc + 2 <= (uint32_t)__text_end
               && *(const uint16_t *)pc == 0xDEFE) {
        /* pc is read only when it lies in our flash: a corrupt frame must not
           fault again here (a fault inside the fault handler locks up). */
        what = "trap at pc=";
        code = POLLEN_EXIT_TRAP;
    }
    pollen_fault_write("\nFATAL: ");
    pollen_fault_write_hex(what, value);
    if (lr != 0) pollen_fault_write_hex(" lr=", lr);   /* pc-based causes: the caller too */
    pollen_board_write_byte('\n');
    pollen_exit(code);
}

/* Thumb-1 only, so the same code runs on ARMv6-M and ARMv7-M. */
__attribute__((naked)) void Default_Handler(void) {
    __asm volatile(
        "mrs r0, msp\n"                 /* r0 = sp at the fault (the frame)    */
        "movs r1, #0\n"                 /* r1 = pc, r2 = lr: 0 if unreadable    */
        "movs r2, #0\n"
        "ldr r3, =__stack_bottom\n"
        "cmp r0, r3\n"
        "blo 1f\n"                      /* overflowed: do not touch the frame   */
        "ldr r1, [r0, #24]\n"           /* stacked pc                           */
        "ldr r2, [r0, #20]\n"           /* stacked lr                           */
        "1:\n"
        "mrs r3, ipsr\n"                /* r3 = exception number                */
        "ldr r4, =__stack_top\n"
        "mov sp, r4\n"                  /* a fresh stack for the reporter       */
        "bl pollen_fault_report\n"     /* never returns                       */
        ".ltorg\n");
}

/* The tickless clock's words (cortexm.h): the count of half-periods of the
   board's 32-bit microsecond counter (CortexMClock.swift, invariant "clock
   period"; read through pollen_clock_half_periods_read), the alarm's
   thread-mode deadline and scan hook, and the counters. Zero at reset. */
struct pollen_tickless_state pollen_tickless;

/* ------------------------------------------------------------------------- */
/* Vector table                                                              */

/* Weak aliases: a board (in Swift, `@_cdecl("IRQ<n>_Handler") public func ...`)
   or the app overrides exactly the vectors it uses. */
#define POLLEN_WEAK_HANDLER(name) void name(void) __attribute__((weak, alias("Default_Handler")))

POLLEN_WEAK_HANDLER(NMI_Handler);
POLLEN_WEAK_HANDLER(HardFault_Handler);
POLLEN_WEAK_HANDLER(MemManage_Handler);
POLLEN_WEAK_HANDLER(BusFault_Handler);
POLLEN_WEAK_HANDLER(UsageFault_Handler);
POLLEN_WEAK_HANDLER(SVC_Handler);
POLLEN_WEAK_HANDLER(DebugMon_Handler);
POLLEN_WEAK_HANDLER(PendSV_Handler);
/* No periodic tick: Pollen leaves SysTick off (the tickless clock,
   CortexMClock.swift). An app that starts it must define SysTick_Handler. */
POLLEN_WEAK_HANDLER(SysTick_Handler);
POLLEN_WEAK_HANDLER(IRQ0_Handler);  POLLEN_WEAK_HANDLER(IRQ1_Handler);
POLLEN_WEAK_HANDLER(IRQ2_Handler);  POLLEN_WEAK_HANDLER(IRQ3_Handler);
POLLEN_WEAK_HANDLER(IRQ4_Handler);  POLLEN_WEAK_HANDLER(IRQ5_Handler);
POLLEN_WEAK_HANDLER(IRQ6_Handler);  POLLEN_WEAK_HANDLER(IRQ7_Handler);
POLLEN_WEAK_HANDLER(IRQ8_Handler);  POLLEN_WEAK_HANDLER(IRQ9_Handler);
POLLEN_WEAK_HANDLER(IRQ10_Handler); POLLEN_WEAK_HANDLER(IRQ11_Handler);
POLLEN_WEAK_HANDLER(IRQ12_Handler); POLLEN_WEAK_HANDLER(IRQ13_Handler);
POLLEN_WEAK_HANDLER(IRQ14_Handler); POLLEN_WEAK_HANDLER(IRQ15_Handler);
POLLEN_WEAK_HANDLER(IRQ16_Handler); POLLEN_WEAK_HANDLER(IRQ17_Handler);
POLLEN_WEAK_HANDLER(IRQ18_Handler); POLLEN_WEAK_HANDLER(IRQ19_Handler);
POLLEN_WEAK_HANDLER(IRQ20_Handler); POLLEN_WEAK_HANDLER(IRQ21_Handler);
POLLEN_WEAK_HANDLER(IRQ22_Handler); POLLEN_WEAK_HANDLER(IRQ23_Handler);
POLLEN_WEAK_HANDLER(IRQ24_Handler); POLLEN_WEAK_HANDLER(IRQ25_Handler);
POLLEN_WEAK_HANDLER(IRQ26_Handler); POLLEN_WEAK_HANDLER(IRQ27_Handler);
POLLEN_WEAK_HANDLER(IRQ28_Handler); POLLEN_WEAK_HANDLER(IRQ29_Handler);
POLLEN_WEAK_HANDLER(IRQ30_Handler); POLLEN_WEAK_HANDLER(IRQ31_Handler);

typedef void (*pollen_vector)(void);

/* 16 system vectors + 32 device IRQs (both QEMU boards model 32 NVIC lines).
   Placed first in flash by the linker script (KEEP(*(.vectors))). */
__attribute__((section(".vectors"), used))
const pollen_vector pollen_vector_table[16 + 32] = {
    (pollen_vector)__stack_top, /*  0: initial main stack pointer */
    Reset_Handler,              /*  1 */
    NMI_Handler,                /*  2 */
    HardFault_Handler,          /*  3 */
    MemManage_Handler,          /*  4 (ARMv7-M only) */
    BusFault_Handler,           /*  5 (ARMv7-M only) */
    UsageFault_Handler,         /*  6 (ARMv7-M only) */
    0, 0, 0, 0,                 /*  7-10: reserved */
    SVC_Handler,                /* 11 */
    DebugMon_Handler,           /* 12 (ARMv7-M only) */
    0,                          /* 13: reserved */
    PendSV_Handler,             /* 14 */
    SysTick_Handler,            /* 15 */
    IRQ0_Handler,  IRQ1_Handler,  IRQ2_Handler,  IRQ3_Handler,
    IRQ4_Handler,  IRQ5_Handler,  IRQ6_Handler,  IRQ7_Handler,
    IRQ8_Handler,  IRQ9_Handler,  IRQ10_Handler, IRQ11_Handler,
    IRQ12_Handler, IRQ13_Handler, IRQ14_Handler, IRQ15_Handler,
    IRQ16_Handler, IRQ17_Handler, IRQ18_Handler, IRQ19_Handler,
    IRQ20_Handler, IRQ21_Handler, IRQ22_Handler, IRQ23_Handler,
    IRQ24_Handler, IRQ25_Handler, IRQ26_Handler, IRQ27_Handler,
    IRQ28_Handler, IRQ29_Handler, IRQ30_Handler, IRQ31_Handler,
};
