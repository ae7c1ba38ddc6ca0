/*
 * semihosting.c — leaving the program through the debugger / QEMU.
 *
 * ARM semihosting: put an operation number in r0 and a parameter in r1, then
 * `bkpt 0xAB` (Thumb). QEMU implements it when started with
 * `-semihosting-config enable=on,target=native`.
 *
 * SYS_EXIT_EXTENDED (0x20) takes a pointer to two words {reason, subcode};
 * with reason ADP_Stopped_ApplicationExit (0x20026) QEMU exits with status
 * `subcode`. (Plain SYS_EXIT, 0x18, can only say "success" or "failure" on
 * 32-bit ARM; the extended call carries the real code.)
 */
#include <stdint.h>
#include "cortexm.h"

#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

__attribute__((noreturn)) void pollen_exit(int32_t code) {
    /* Let the last UART bytes reach the host before the process ends:
       both QEMU UART models transmit synchronously, so nothing to drain here. */
    volatile uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    register uint32_t r0 __asm("r0") = SYS_EXIT_EXTENDED;
    register volatile uint32_t *r1 __asm("r1") = block;
    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    /* Not reached under QEMU. Without a debugger there is nobody to exit to:
       sleep forever with interrupts masked. */
    for (;;) {
        pollen_disable_irq();
        pollen_wfi();
    }
}
