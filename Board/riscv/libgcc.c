/*
 * libgcc.c — the integer helpers LLVM calls on RV32IMAC for what the CPU lacks:
 * 64-bit division and remainder (the M extension divides 32-bit words only),
 * and, at -Osize, 64-bit shifts by a variable amount (below).
 * The Swift toolchain ships no compiler-rt builtins for bare-metal RISC-V, so
 * they are defined here (libgcc's names); with --gc-sections only the ones a
 * program calls are linked. 64-bit multiply compiles inline (mul, mulhu).
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

/* ---- 64-bit shifts by a variable amount ----
   Inline at -O2, but at -Osize/-Oz LLVM calls these on RV32. Written on the two
   32-bit halves (a 64-bit shift here would call itself). `shift` is 0...63. */

typedef union {
    uint64_t all;
    struct { uint32_t low, high; } s;   /* little-endian */
} pollen_dword;

uint64_t __ashldi3(uint64_t value, int shift) {
    pollen_dword in = {.all = value}, out;
    if (shift == 0) return value;
    if (shift >= 32) {
        out.s.low = 0;
        out.s.high = in.s.low << (shift - 32);
    } else {
        out.s.low = in.s.low << shift;
        out.s.high = (in.s.high << shift) | (in.s.low >> (32 - shift));
    }
    return out.all;
}

uint64_t __lshrdi3(uint64_t value, int shift) {
    pollen_dword in = {.all = value}, out;
    if (shift == 0) return value;
    if (shift >= 32) {
        out.s.high = 0;
        out.s.low = in.s.high >> (shift - 32);
    } else {
        out.s.high = in.s.high >> shift;
        out.s.low = (in.s.low >> shift) | (in.s.high << (32 - shift));
    }
    return out.all;
}

int64_t __ashrdi3(int64_t value, int shift) {
    pollen_dword in = {.all = (uint64_t)value}, out;
    if (shift == 0) return value;
    if (shift >= 32) {
        out.s.high = (uint32_t)((int32_t)in.s.high >> 31);
        out.s.low = (uint32_t)((int32_t)in.s.high >> (shift - 32));
    } else {
        out.s.high = (uint32_t)((int32_t)in.s.high >> shift);
        out.s.low = (in.s.low >> shift) | (in.s.high << (32 - shift));
    }
    return (int64_t)out.all;
}
