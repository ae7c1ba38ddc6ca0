/*
 * traps.c — reset, trap dispatch and fault reports for every Pollen RISC-V board.
 *
 * Reset (pollen_reset, called by _start in startup.S):
 *   1. copy .data from its load address in flash to RAM;
 *   2. zero .bss;
 *   3. paint the unused part of the stack with 0xDEADBEEF, so that
 *      pollen_stack_high_water_bytes() can later tell how deep it ever went;
 *   4. pollen_board_early_init() (Swift, per board): UART ready to transmit;
 *   5. set mstatus.MIE: interrupts on, as on a Cortex-M after reset (no source
 *      is enabled in `mie` yet, so nothing arrives until a driver asks);
 *   6. main() — the Swift `@main` entry point (built with -parse-as-library);
 *   7. if main returns: pollen_exit(its result), 0 for a Swift `@main` that returns.
 *
 * Traps (pollen_trap, called by the trap entry in startup.S with mcause, mepc
 * and the saved frame):
 *   - interrupts (mcause bit 31): 3 machine software interrupt (the CLINT's
 *     msip: cleared here, then the board's pollen_software_interrupt_handler),
 *     7 machine timer (the one-shot alarm: RISCVPlatform's idle step arms it,
 *     the handler here disarms it), 11 machine external (the PLIC: claim each
 *     pending source, run IRQ<source>_Handler, complete it);
 *   - exceptions end the run loudly: a line starting with "FATAL:" on the UART
 *     naming mepc and mcause, then a non-zero semihosting exit (codes in
 *     riscv.h), so a QEMU test can never hang or pass by accident after a crash.
 *
 * Symbols from the linker script (linker/<board>.ld): __stack_bottom,
 * __stack_top, __data_start, __data_end, __data_load, __bss_end, __text_start,
 * __text_end.
 */
#include <stdint.h>
#include "riscv.h"

extern uint32_t __stack_bottom[], __stack_top[];
extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_end[];   /* .bss starts at __data_end (linker script ASSERT) */
extern uint16_t __text_start[], __text_end[];

/* The Swift entry point emitted for `@main` (argc/argv are unused on a board). */
extern int main(int argc, char **argv);

/* An empty, writable, zero-fill section named .stack: the linker script keeps it
   in its .stack output section, which so becomes writable ("aw") instead of
   read-only, and `size`/`llvm-size` count the stack with bss, as Board/build does. */
__asm__(".section .stack,\"aw\",@nobits\n\t.previous");

/* The CLINT (core-local interruptor, SiFive layout): msip, the machine software
   interrupt's pending bit, at its base; mtimecmp at +0x4000. */
#define POLLEN_CLINT_MSIP (*(volatile uint32_t *)0x02000000u)
#define POLLEN_CLINT_MTIMECMP_HI (*(volatile uint32_t *)0x02004004u)
/* The PLIC's claim/complete register for hart 0 in machine mode (context 0). */
#define POLLEN_PLIC_CLAIM (*(volatile uint32_t *)0x0C200004u)

volatile uint32_t pollen_active_trap;

/* ------------------------------------------------------------------------- */
/* Console output for fault messages (goes through the board's UART).        */

/* putchar, pollen_fail and the fault text (pollen_fault_write,
   pollen_fault_write_hex): Board/common/fault_text.c. */

/* "\nFATAL: <what><value>[ <name>=<second>]\n", then exit(code). */
__attribute__((noreturn, noinline))
static void fault_report(const char *what, uint32_t value, const char *name,
                         uint32_t second, int32_t code) {
    pollen_fault_write("\nFATAL: ");
    pollen_fault_write_hex(what, value);
    if (name) pollen_fault_write_hex(name, second);
    pollen_board_write_byte('\n');
    pollen_exit(code);
}


/* ------------------------------------------------------------------------- */
/* Reset                                                                     */

__attribute__((noreturn, used)) void pollen_reset(void) {
    /* 1. .data: flash -> RAM. Volatile pointers keep clang from turning these
          loops into memcpy/memset calls. */
    volatile uint32_t *p = __data_start;
    const uint32_t *src = __data_load;
    while (p < __data_end) *p++ = *src++;

    /* 2. .bss: zero. It starts where .data ends (asserted by the linker script). */
    while (p < __bss_end) *p++ = 0;

    /* 3. Paint the stack below our own frame, 64 bytes (16 words) short of
          it. The same pointer again: one store loop like the others. */
    volatile uint32_t *sp = (volatile uint32_t *)pollen_stack_pointer();
    for (p = __stack_bottom; p < sp - 16; ) *p++ = POLLEN_STACK_PAINT;

    /* 4. Console first, so even a failure in the first line of main is reported. */
    pollen_board_early_init();

    /* 5. Interrupts on (each source still needs its bit in `mie`). */
    pollen_enable_irq();

    /* 6. The application; 7. if main returns, its result is the exit code:
          Swift's `main` returns 0 (POLLEN_EXIT_SUCCESS) when the `@main`
          function returns. */
    pollen_exit(main(0, 0));
}

/* ------------------------------------------------------------------------- */
/* Interrupt handlers: weak defaults                                         */

/* An interrupt with no handler of its own: reported as unhandled. `number` is
   the PLIC source for a device interrupt ("unhandled IRQ n", as on Cortex-M),
   else mcause's interrupt code. */
__attribute__((noreturn, noinline))
static void unhandled_interrupt(const char *what, uint32_t number) {
    fault_report(what, number, 0, 0, POLLEN_EXIT_UNHANDLED_IRQ);
}

/* The default of every IRQ<n>_Handler (weak aliases below). */
__attribute__((noreturn, used)) void pollen_unhandled_plic_source(uint32_t source) {
    unhandled_interrupt("unhandled IRQ ", source);
}

/* The machine software interrupt (CLINT msip), raised by
   Board.pendSoftwareInterrupt(). The board (InterruptHandlers.swift, module
   PollenBoard) overrides this to run the software-interrupt hook; an app built
   without it (PollenBoardMinimal) reports it unhandled. */
__attribute__((weak)) void pollen_software_interrupt_handler(void) {
    unhandled_interrupt("unhandled interrupt: machine software ", 3);
}

/* The machine timer: the executor's one-shot alarm (RISCVPlatform.idle arms
   it: mtimecmp at the deadline, then mie.MTIE). Disarmed here: the interrupt
   is level-triggered (mtime >= mtimecmp) and would fire again at once. Its
   only job was to end the `wfi`; the executor then reads the clock. */
static void machine_timer_interrupt(void) {
    pollen_mie_clear(POLLEN_MIE_MTIE);
}

/* PLIC sources: IRQ<n>_Handler, for n = 1...POLLEN_PLIC_SOURCES - 1 (the FE310
   has 52 sources; 0 means "none"), each a weak alias of the unhandled-source
   report, which the dispatcher calls with the source number. A board (in Swift,
   `@_cdecl("IRQ<n>_Handler") public func ...`, without parameters: the source
   number in a0 is then ignored) or the app overrides exactly the sources it
   uses. */
#define POLLEN_PLIC_SOURCES 53
typedef void (*pollen_plic_handler)(uint32_t source);
#define POLLEN_WEAK_SOURCE(n) \
    void IRQ##n##_Handler(uint32_t source) __attribute__((weak, alias("pollen_unhandled_plic_source")));
POLLEN_WEAK_SOURCE(1)  POLLEN_WEAK_SOURCE(2)  POLLEN_WEAK_SOURCE(3)  POLLEN_WEAK_SOURCE(4)
POLLEN_WEAK_SOURCE(5)  POLLEN_WEAK_SOURCE(6)  POLLEN_WEAK_SOURCE(7)  POLLEN_WEAK_SOURCE(8)
POLLEN_WEAK_SOURCE(9)  POLLEN_WEAK_SOURCE(10) POLLEN_WEAK_SOURCE(11) POLLEN_WEAK_SOURCE(12)
POLLEN_WEAK_SOURCE(13) POLLEN_WEAK_SOURCE(14) POLLEN_WEAK_SOURCE(15) POLLEN_WEAK_SOURCE(16)
POLLEN_WEAK_SOURCE(17) POLLEN_WEAK_SOURCE(18) POLLEN_WEAK_SOURCE(19) POLLEN_WEAK_SOURCE(20)
POLLEN_WEAK_SOURCE(21) POLLEN_WEAK_SOURCE(22) POLLEN_WEAK_SOURCE(23) POLLEN_WEAK_SOURCE(24)
POLLEN_WEAK_SOURCE(25) POLLEN_WEAK_SOURCE(26) POLLEN_WEAK_SOURCE(27) POLLEN_WEAK_SOURCE(28)
POLLEN_WEAK_SOURCE(29) POLLEN_WEAK_SOURCE(30) POLLEN_WEAK_SOURCE(31) POLLEN_WEAK_SOURCE(32)
POLLEN_WEAK_SOURCE(33) POLLEN_WEAK_SOURCE(34) POLLEN_WEAK_SOURCE(35) POLLEN_WEAK_SOURCE(36)
POLLEN_WEAK_SOURCE(37) POLLEN_WEAK_SOURCE(38) POLLEN_WEAK_SOURCE(39) POLLEN_WEAK_SOURCE(40)
POLLEN_WEAK_SOURCE(41) POLLEN_WEAK_SOURCE(42) POLLEN_WEAK_SOURCE(43) POLLEN_WEAK_SOURCE(44)
POLLEN_WEAK_SOURCE(45) POLLEN_WEAK_SOURCE(46) POLLEN_WEAK_SOURCE(47) POLLEN_WEAK_SOURCE(48)
POLLEN_WEAK_SOURCE(49) POLLEN_WEAK_SOURCE(50) POLLEN_WEAK_SOURCE(51) POLLEN_WEAK_SOURCE(52)

/* Indexed by PLIC source (entry 0 unused). In flash. */
static const pollen_plic_handler plic_handlers[POLLEN_PLIC_SOURCES] = {
    0,              IRQ1_Handler,  IRQ2_Handler,  IRQ3_Handler,  IRQ4_Handler,
    IRQ5_Handler,  IRQ6_Handler,  IRQ7_Handler,  IRQ8_Handler,  IRQ9_Handler,
    IRQ10_Handler, IRQ11_Handler, IRQ12_Handler, IRQ13_Handler, IRQ14_Handler,
    IRQ15_Handler, IRQ16_Handler, IRQ17_Handler, IRQ18_Handler, IRQ19_Handler,
    IRQ20_Handler, IRQ21_Handler, IRQ22_Handler, IRQ23_Handler, IRQ24_Handler,
    IRQ25_Handler, IRQ26_Handler, IRQ27_Handler, IRQ28_Handler, IRQ29_Handler,
    IRQ30_Handler, IRQ31_Handler, IRQ32_Handler, IRQ33_Handler, IRQ34_Handler,
    IRQ35_Handler, IRQ36_Handler, IRQ37_Handler, IRQ38_Handler, IRQ39_Handler,
    IRQ40_Handler, IRQ41_Handler, IRQ42_Handler, IRQ43_Handler, IRQ44_Handler,
    IRQ45_Handler, IRQ46_Handler, IRQ47_Handler, IRQ48_Handler, IRQ49_Handler,
    IRQ50_Handler, IRQ51_Handler, IRQ52_Handler,
};

/* Every source the PLIC has pending for us, highest priority first: claim
   (the PLIC stops signalling it), run its handler, complete (it may signal
   again). A claim of 0 means nothing more is pending. */
static void machine_external_interrupt(void) {
    for (;;) {
        uint32_t source = POLLEN_PLIC_CLAIM;
        if (source == 0) return;
        if (source < POLLEN_PLIC_SOURCES) plic_handlers[source](source);
        else pollen_unhandled_plic_source(source);
        POLLEN_PLIC_CLAIM = source;
    }
}

/* The machine external interrupt's handler: null until a PLIC source is
   enabled (PLIC.enable calls pollen_plic_start). So an app that enables none,
   like blinky, links neither the dispatch loop nor the 212-byte handler table
   (--gc-sections); an external interrupt there is reported unhandled. Written
   once, before the first source is enabled, read by the trap dispatcher. */
static void (*volatile external_interrupt_handler)(void);

void pollen_plic_start(void) {
    external_interrupt_handler = machine_external_interrupt;
}

/* ------------------------------------------------------------------------- */
/* Trap dispatch and faults                                                  */

/* Names of the synchronous exceptions (mcause 0...11, RISC-V privileged
   spec), one after the other, each ended by its NUL: no table of pointers.
   Causes 9 and 10 (supervisor and hypervisor calls) are empty: "exception". */
static const char exception_names[] =
    "instruction address misaligned\0"     /* 0 */
    "instruction access fault\0"           /* 1 */
    "illegal instruction\0"                /* 2 */
    "breakpoint\0"                         /* 3 */
    "load address misaligned\0"            /* 4 */
    "load access fault\0"                  /* 5 */
    "store address misaligned\0"           /* 6 */
    "store access fault\0"                 /* 7 */
    "environment call from U-mode\0"       /* 8 */
    "\0"                                   /* 9 */
    "\0"                                   /* 10 */
    "environment call from M-mode";        /* 11 */

static const char *exception_name(uint32_t cause) {
    const char *name = exception_names;
    if (cause > 11) return "exception";
    while (cause--) while (*name++) {}
    return *name ? name : "exception";
}

/* Whether the instruction at `pc` is a Swift trap: LLVM's llvm.trap is
   `unimp` on RISC-V, 0xC0001073 (csrrw zero, cycle, zero) or, compressed,
   0x0000. pc is read only when it lies in our code: a wild pc must not fault
   again here. */
static int is_swift_trap(uint32_t pc) {
    if ((pc & 1u) != 0 || pc < (uint32_t)__text_start || pc + 2 > (uint32_t)__text_end) return 0;
    const volatile uint16_t *half = (const volatile uint16_t *)pc;
    if (half[0] == 0x0000) return 1;
    return pc + 4 <= (uint32_t)__text_end && half[0] == 0x1073 && half[1] == 0xC000;
}

__attribute__((used)) void pollen_trap(uint32_t mcause, uint32_t mepc, uint32_t *frame) {
    if ((int32_t)mcause < 0) {
        pollen_active_trap = mcause;
        switch (mcause & 0x7FFFFFFFu) {
        case 3:
            POLLEN_CLINT_MSIP = 0;          /* acknowledge before the hook runs */
            pollen_software_interrupt_handler();
            break;
        case 7:
            machine_timer_interrupt();
            break;
        case 11:
            if (external_interrupt_handler) {
                external_interrupt_handler();
                break;
            }
            unhandled_interrupt("unhandled interrupt: machine external ", 11);
        default:
            unhandled_interrupt("unhandled interrupt ", mcause & 0x7FFFFFFFu);
        }
        pollen_active_trap = 0;
        return;
    }
    /* An exception: never returns. ra is the caller of the faulting function
       (the frame's first word), as lr is on Cortex-M. */
    pollen_active_trap = mcause;
    if (mcause == 2 && is_swift_trap(mepc)) {
        fault_report("trap at pc=", mepc, " ra=", frame[0], POLLEN_EXIT_TRAP);
    }
    uint32_t mtval;   /* the faulting address, or the instruction's bits */
    __asm volatile("csrr %0, mtval" : "=r"(mtval));
    pollen_fault_write("\nFATAL: ");
    pollen_fault_write(exception_name(mcause));
    pollen_fault_write_hex(" at pc=", mepc);
    pollen_fault_write_hex(" mcause=", mcause);
    pollen_fault_write_hex(" mtval=", mtval);
    pollen_fault_write_hex(" ra=", frame[0]);
    pollen_board_write_byte('\n');
    pollen_exit(POLLEN_EXIT_HARD_FAULT);
}

/* From the trap entry, on a fresh stack, when the stack pointer had left the
   stack region (see startup.S). */
__attribute__((noreturn, used)) void pollen_stack_overflow(uint32_t sp, uint32_t mepc) {
    fault_report("stack overflow at sp=", sp, " pc=", mepc, POLLEN_EXIT_STACK_OVERFLOW);
}
