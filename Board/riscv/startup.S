/*
 * startup.S — reset entry and trap entry for every Pollen RISC-V board.
 *
 * Reset: the boot code (QEMU's mask ROM on sifive_e) jumps to the first byte
 * of the image, `_start`, in machine mode with interrupts off. It sets the
 * global pointer and the stack, points `mtvec` at the trap entry (direct mode:
 * every trap enters at one address), and calls `pollen_reset` (traps.c).
 *
 * Trap entry: saves the 16 caller-saved registers (ra, t0-t6, a0-a7: 64 bytes;
 * the C dispatcher saves any callee-saved register it uses), calls
 * `pollen_trap(mcause, mepc, sp)`, restores them and returns with `mret`.
 * The hart clears mstatus.MIE on entry and `mret` restores it: handlers never
 * nest, so one frame at a time is ever on the stack.
 *
 * Stack overflow: the linker script puts the stack at the very bottom of RAM,
 * which starts at 0x8000_0000 (asserted there). Every stack address then has
 * bit 31 set, and an overflowed stack pointer (below 0x8000_0000) has it clear:
 * one `bgez sp` after making room for the frame tells the two apart, with no
 * register to spare. An overflow does not save the frame (the stores would
 * fault again); it switches to a fresh stack and reports.
 */
    .section .text.start, "ax"
    .globl _start
    .type _start, @function
_start:
    .option push
    .option norelax                 /* gp itself must not be computed from gp */
    la gp, __global_pointer$
    .option pop
    la sp, __stack_top
    la t0, pollen_trap_entry
    csrw mtvec, t0                  /* direct mode: the low two bits are 0 */
    csrw mie, zero                  /* no interrupt source until a driver enables one */
    call pollen_reset               /* never returns */
1:  j 1b
    .size _start, . - _start

    .section .text.pollen_trap_entry, "ax"
    .balign 4                       /* mtvec ignores its low two bits */
    .globl pollen_trap_entry
    .type pollen_trap_entry, @function
pollen_trap_entry:
    addi sp, sp, -64
    bgez sp, .Loverflow             /* below 0x8000_0000: out of the stack */
    sw ra, 0(sp)
    sw t0, 4(sp)
    sw t1, 8(sp)
    sw t2, 12(sp)
    sw a0, 16(sp)
    sw a1, 20(sp)
    sw a2, 24(sp)
    sw a3, 28(sp)
    sw a4, 32(sp)
    sw a5, 36(sp)
    sw a6, 40(sp)
    sw a7, 44(sp)
    sw t3, 48(sp)
    sw t4, 52(sp)
    sw t5, 56(sp)
    sw t6, 60(sp)
    csrr a0, mcause
    csrr a1, mepc
    mv a2, sp
    call pollen_trap                /* returns only from an interrupt */
    lw ra, 0(sp)
    lw t0, 4(sp)
    lw t1, 8(sp)
    lw t2, 12(sp)
    lw a0, 16(sp)
    lw a1, 20(sp)
    lw a2, 24(sp)
    lw a3, 28(sp)
    lw a4, 32(sp)
    lw a5, 36(sp)
    lw a6, 40(sp)
    lw a7, 44(sp)
    lw t3, 48(sp)
    lw t4, 52(sp)
    lw t5, 56(sp)
    lw t6, 60(sp)
    addi sp, sp, 64
    mret
.Loverflow:
    addi a0, sp, 64                 /* the stack pointer at the trap */
    csrr a1, mepc
    la sp, __stack_top              /* a fresh stack for the report */
    call pollen_stack_overflow      /* never returns */
    .size pollen_trap_entry, . - pollen_trap_entry
