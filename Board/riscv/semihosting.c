/*
 * semihosting.c — leaving the program through the debugger / QEMU, on RISC-V.
 *
 * RISC-V semihosting (the RISC-V semihosting specification, which reuses Arm's
 * operations): the operation number in a0, its parameter in a1, then the
 * three-instruction sequence `slli x0, x0, 0x1f; ebreak; srai x0, x0, 7`,
 * uncompressed and within one 16-byte-aligned block so a debugger can tell it
 * from a plain `ebreak`. QEMU implements it with
 * `-semihosting-config enable=on,target=native`; without semihosting the
 * `ebreak` is a breakpoint exception.
 *
 * SYS_EXIT_EXTENDED (0x20) takes a pointer to two words {reason, subcode}; with
 * reason ADP_Stopped_ApplicationExit (0x20026) QEMU exits with status `subcode`
 * (checked on QEMU 7.2's sifive_e: exit status 42 for subcode 42).
 */
#include <stdint.h>
#include "riscv.h"

#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

__attribute__((noreturn, aligned(16))) void pollen_exit(int32_t code) {
    /* The UART model transmits synchronously: nothing to drain first. */
    volatile uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    register uint32_t a0 __asm("a0") = SYS_EXIT_EXTENDED;
    register volatile uint32_t *a1 __asm("a1") = block;
    __asm volatile(
        ".option push\n\t"
        ".option norvc\n\t"
        ".balign 16\n\t"
        "slli zero, zero, 0x1f\n\t"
        "ebreak\n\t"
        "srai zero, zero, 7\n\t"
        ".option pop"
        : "+r"(a0) : "r"(a1) : "memory");
    /* Not reached under QEMU. Without a debugger there is nobody to exit to:
       sleep forever with interrupts masked. */
    for (;;) {
        pollen_disable_irq();
        pollen_wfi();
    }
}
