/*
 * riscv.h — the C side of Pollen's RISC-V boards, as Swift sees it (the Clang
 * module PollenRISCVSupport, Board/riscv/module.modulemap).
 *
 * Everything here is either an instruction Swift cannot emit (csrr/csrs/csrc,
 * wfi, fence, amoor/amoand on a device register) or the prototype of a function
 * defined in Board/riscv's C and assembly files. Memory-mapped registers (CLINT,
 * PLIC, UART, GPIO) are reached from Swift with `_Volatile` instead
 * (Board/riscv/RISCV.swift, Board/<board>/Board.swift).
 *
 * Machine mode only: Pollen runs everything in M-mode, on one hart, with
 * mstatus.MIE as the global interrupt mask (the RISC-V PRIMASK). A trap clears
 * MIE (saving it in MPIE) and `mret` restores it, so handlers never nest.
 *
 * Every `asm` below carries a "memory" clobber: it is a compiler barrier, so
 * loads and stores of globals shared with interrupt handlers are not moved
 * across a mask/unmask or a sleep.
 */
#ifndef POLLEN_RISCV_H
#define POLLEN_RISCV_H

#include <stdint.h>

/* ---- Exit codes reported through semihosting (QEMU's process exit code) ----
   The same numbers as on Cortex-M (Board/cortex-m/cortexm.h). */

/** main returned / the app asked for success. */
#define POLLEN_EXIT_SUCCESS 0
/** A Swift runtime trap (fatalError, precondition, overflow, bounds check). */
#define POLLEN_EXIT_TRAP 3
/** Any other exception (bad address, bad instruction, misaligned access, ...). */
#define POLLEN_EXIT_HARD_FAULT 4
/** An interrupt fired that has no handler (a PLIC source, or a local interrupt). */
#define POLLEN_EXIT_UNHANDLED_IRQ 5
/** The stack ran below __stack_bottom (found by the trap entry). */
#define POLLEN_EXIT_STACK_OVERFLOW 6

/* ---- Machine CSR bits Pollen uses ---- */

/** mstatus.MIE: machine interrupts enabled (the global mask). */
#define POLLEN_MSTATUS_MIE 0x8u
/** mie/mip bits: machine software (CLINT msip), timer (mtimecmp), external (PLIC). */
#define POLLEN_MIE_MSIE (1u << 3)
#define POLLEN_MIE_MTIE (1u << 7)
#define POLLEN_MIE_MEIE (1u << 11)

/* ---- Interrupt masking (mstatus.MIE) ---- */

/** Masks all interrupts (`csrci mstatus, 8`). */
static inline __attribute__((always_inline)) void pollen_disable_irq(void) {
    __asm volatile("csrci mstatus, 8" ::: "memory");
}

/** Unmasks interrupts (`csrsi mstatus, 8`). A pending enabled interrupt is
    taken right after it. */
static inline __attribute__((always_inline)) void pollen_enable_irq(void) {
    __asm volatile("csrsi mstatus, 8" ::: "memory");
}

/** Enters a critical section: clears mstatus.MIE and returns its previous
    value (8 or 0), in one instruction (`csrrci`). Pass the result to
    `pollen_critical_exit`. Nests correctly. */
static inline __attribute__((always_inline)) uint32_t pollen_critical_enter(void) {
    uint32_t previous;
    __asm volatile("csrrci %0, mstatus, 8" : "=r"(previous) :: "memory");
    return previous & POLLEN_MSTATUS_MIE;
}

/** Leaves a critical section: sets mstatus.MIE again if it was set
    (`csrs mstatus` with 8 or 0: one instruction). */
static inline __attribute__((always_inline)) void pollen_critical_exit(uint32_t previous) {
    __asm volatile("csrs mstatus, %0" :: "r"(previous) : "memory");
}

/* ---- Sleep and ordering ---- */

/** Waits for an interrupt (`wfi`). With mstatus.MIE clear it still wakes when
    an interrupt enabled in `mie` becomes pending (RISC-V privileged spec,
    "Wait for Interrupt"), but the trap is taken only once MIE is set again. */
static inline __attribute__((always_inline)) void pollen_wfi(void) {
    __asm volatile("wfi" ::: "memory");
}

/** Orders every earlier memory and device access before every later one. */
static inline __attribute__((always_inline)) void pollen_fence(void) {
    __asm volatile("fence iorw, iorw" ::: "memory");
}

/* ---- Machine CSRs ---- */

/** Sets bits of `mie` (which interrupts may reach the hart). */
static inline __attribute__((always_inline)) void pollen_mie_set(uint32_t bits) {
    __asm volatile("csrs mie, %0" :: "r"(bits) : "memory");
}

/** Clears bits of `mie`. */
static inline __attribute__((always_inline)) void pollen_mie_clear(uint32_t bits) {
    __asm volatile("csrc mie, %0" :: "r"(bits) : "memory");
}

/** Reads `mie`. */
static inline __attribute__((always_inline)) uint32_t pollen_mie(void) {
    uint32_t value;
    __asm volatile("csrr %0, mie" : "=r"(value) :: "memory");
    return value;
}

/** Reads `mip` (which interrupts are pending). */
static inline __attribute__((always_inline)) uint32_t pollen_mip(void) {
    uint32_t value;
    __asm volatile("csrr %0, mip" : "=r"(value) :: "memory");
    return value;
}

/** Reads `mstatus`. */
static inline __attribute__((always_inline)) uint32_t pollen_mstatus(void) {
    uint32_t value;
    __asm volatile("csrr %0, mstatus" : "=r"(value) :: "memory");
    return value;
}

/** The low word of `minstret`, instructions retired. Under QEMU `-icount` it
    counts exactly the instructions executed (the benchmarks read it). */
static inline __attribute__((always_inline)) uint32_t pollen_instret(void) {
    uint32_t value;
    __asm volatile("csrr %0, minstret" : "=r"(value) :: "memory");
    return value;
}

/** The current stack pointer. */
static inline __attribute__((always_inline)) uint32_t pollen_stack_pointer(void) {
    uint32_t value;
    __asm volatile("mv %0, sp" : "=r"(value));
    return value;
}

/* ---- Device registers read-modify-written in one instruction ---- */

/** `*register |= bits` as one `amoor.w`: no interrupt can split it (the FE310
    manual recommends AMOs for its GPIO registers). `address` must be a 32-bit
    device register that accepts atomic accesses. */
static inline __attribute__((always_inline)) void pollen_register_set_bits(uintptr_t address, uint32_t bits) {
    __asm volatile("amoor.w zero, %1, (%0)" :: "r"(address), "r"(bits) : "memory");
}

/** `*register &= ~bits` as one `amoand.w`; see `pollen_register_set_bits`. */
static inline __attribute__((always_inline)) void pollen_register_clear_bits(uintptr_t address, uint32_t bits) {
    __asm volatile("amoand.w zero, %1, (%0)" :: "r"(address), "r"(~bits) : "memory");
}

/** Busy-waits exactly 2 × `iterations` + 2 instructions (`iterations` + 1
    passes of `addi; bgez`), for tests that place an event at a chosen
    instruction under QEMU's `-icount`. */
static inline __attribute__((always_inline)) void pollen_spin(uint32_t iterations) {
    __asm volatile("1: addi %0, %0, -1\n\tbgez %0, 1b" : "+r"(iterations) :: "memory");
}

/* ---- Functions defined in Board/riscv (C and assembly) ---- */

/** Ends the program: semihosting SYS_EXIT_EXTENDED, so QEMU exits with `code`.
    Needs `-semihosting-config enable=on` (QEMU) or an attached debugger. */
__attribute__((noreturn)) void pollen_exit(int32_t code);

/* The stack's high-water mark and size, the size of .text: every board's. */
#include "../common/image.h"
/* The fault reports' console text and pollen_fail: every board's. */
#include "../common/fault_text.h"

/** Routes the machine external interrupt to the PLIC dispatch (claim, run
    IRQ<source>_Handler, complete). Called when the first PLIC source is
    enabled; until then the dispatch is not even linked. Idempotent. */
void pollen_plic_start(void);

/** The cause of the trap being handled (`mcause`: bit 31 set for an
    interrupt), or 0 in thread code. Written only by the trap dispatcher
    (traps.c), which runs with interrupts masked; read through
    `pollen_active_trap_cause()` (a C global is not concurrency-checked there). */
extern volatile uint32_t pollen_active_trap;

/** Reads `pollen_active_trap`. */
static inline __attribute__((always_inline)) uint32_t pollen_active_trap_cause(void) {
    return pollen_active_trap;
}

/* ---- Functions the Swift side defines (via @_cdecl) and C calls ---- */

/** Board hook, called by the reset code before `main`: makes the UART able to
    transmit so that panics and `print` work from the first line of `main`. */
void pollen_board_early_init(void);

/** Board hook: writes one byte to the console UART, blocking until accepted. */
void pollen_board_write_byte(uint8_t byte);

#endif /* POLLEN_RISCV_H */
