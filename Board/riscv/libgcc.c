/*
 * libgcc.c — the integer helpers LLVM calls on RV32IMAC for what the CPU lacks:
 * 64-bit division and remainder (the M extension divides 32-bit words only).
 * The Swift toolchain ships no compiler-rt builtins for bare-metal RISC-V, so
 * they are defined here (libgcc's names); with --gc-sections only the ones a
 * program calls are linked. 64-bit multiply and shifts compile inline.
 *
 * Shift-and-subtract, one bit per step, with a 32-bit fast path (`divu`):
 * small, not fast; firmware divides rarely. Division by zero returns an
 * all-ones quotient; Swift checks for zero before dividing, so it never
 * reaches here.
 */
#include <stdint.h>

static uint64_t udivmod64(uint64_t n, uint64_t d, uint64_t *remainder) {
    if (d == 0) { *remainder = n; return ~(uint64_t)0; }
    if ((n >> 32) == 0 && (d >> 32) == 0) {
        uint32_t n32 = (uint32_t)n, d32 = (uint32_t)d;
        *remainder = n32 % d32;
        return n32 / d32;
    }
    uint64_t q = 0, r = 0;
    for (int i = 0; i < 64; ++i) {
        r = (r << 1) | (n >> 63);
        n <<= 1;
        q <<= 1;
        if (r >= d) { r -= d; q |= 1; }
    }
    *remainder = r;
    return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d) {
    uint64_t r;
    return udivmod64(n, d, &r);
}

uint64_t __umoddi3(uint64_t n, uint64_t d) {
    uint64_t r;
    udivmod64(n, d, &r);
    return r;
}

/* Signed: the quotient truncates toward zero, the remainder takes the sign of
   the dividend (C and Swift semantics). */
int64_t __divdi3(int64_t n, int64_t d) {
    uint64_t un = n < 0 ? 0u - (uint64_t)n : (uint64_t)n;
    uint64_t ud = d < 0 ? 0u - (uint64_t)d : (uint64_t)d;
    uint64_t r;
    uint64_t q = udivmod64(un, ud, &r);
    return (int64_t)((n < 0) != (d < 0) ? 0u - q : q);
}

int64_t __moddi3(int64_t n, int64_t d) {
    uint64_t un = n < 0 ? 0u - (uint64_t)n : (uint64_t)n;
    uint64_t ud = d < 0 ? 0u - (uint64_t)d : (uint64_t)d;
    uint64_t r;
    udivmod64(un, ud, &r);
    return (int64_t)(n < 0 ? 0u - r : r);
}
