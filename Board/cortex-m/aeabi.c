/*
 * aeabi.c — integer helper functions of the ARM run-time ABI (RTABI).
 *
 * The Swift toolchain ships no compiler-rt builtins for bare-metal ARM, so the
 * helpers LLVM calls for operations the CPU lacks are defined here:
 *   Cortex-M0 (ARMv6-M): 64-bit multiply, every division, 64-bit variable shifts;
 *   Cortex-M4 (ARMv7-M): 64-bit division only (it has 32-bit udiv/sdiv).
 * With --gc-sections only the ones a program calls are linked.
 *
 * They are written with 32-bit operations, 64-bit add/subtract/compare and
 * 64-bit shifts by a constant only: those compile inline on every Cortex-M,
 * so no helper ends up calling itself. Division is shift-and-subtract (one
 * bit per step): small, not fast; firmware divides rarely.
 *
 * Division by zero returns an all-ones quotient; Swift checks for zero before
 * dividing, so it never reaches here.
 */
#include <stddef.h>
#include <stdint.h>

/* The C library routines these wrap are in Board/common/libc.c. */
void *memset(void *dest, int value, size_t n);
void *memcpy(void *restrict dest, const void *restrict src, size_t n);
void *memmove(void *dest, const void *src, size_t n);

/* ---- Multiplication ---- */

/* 32 x 32 -> 64 from four 16 x 16 -> 32 products (ARMv6-M `muls` keeps only
   the low 32 bits of a product). */
static uint64_t mul32x32(uint32_t a, uint32_t b) {
    uint32_t a0 = a & 0xFFFFu, a1 = a >> 16;
    uint32_t b0 = b & 0xFFFFu, b1 = b >> 16;
    uint64_t result = ((uint64_t)(a1 * b1) << 32) + (a0 * b0);
    result += (uint64_t)(a0 * b1) << 16;
    result += (uint64_t)(a1 * b0) << 16;
    return result;
}

/** 64 x 64 -> 64 (low half) multiply. */
uint64_t __aeabi_lmul(uint64_t a, uint64_t b) {
    uint32_t al = (uint32_t)a, ah = (uint32_t)(a >> 32);
    uint32_t bl = (uint32_t)b, bh = (uint32_t)(b >> 32);
    return mul32x32(al, bl) + ((uint64_t)(ah * bl + al * bh) << 32);
}

/* ---- Variable 64-bit shifts (shift count 0...63) ---- */

/** Logical shift left. */
uint64_t __aeabi_llsl(uint64_t value, int shift) {
    uint32_t lo = (uint32_t)value, hi = (uint32_t)(value >> 32);
    if (shift >= 32) {
        hi = lo << (shift - 32);
        lo = 0;
    } else if (shift > 0) {
        hi = (hi << shift) | (lo >> (32 - shift));
        lo <<= shift;
    }
    return ((uint64_t)hi << 32) | lo;
}

/** Logical shift right. */
uint64_t __aeabi_llsr(uint64_t value, int shift) {
    uint32_t lo = (uint32_t)value, hi = (uint32_t)(value >> 32);
    if (shift >= 32) {
        lo = hi >> (shift - 32);
        hi = 0;
    } else if (shift > 0) {
        lo = (lo >> shift) | (hi << (32 - shift));
        hi >>= shift;
    }
    return ((uint64_t)hi << 32) | lo;
}

/** Arithmetic shift right. */
int64_t __aeabi_lasr(int64_t value, int shift) {
    uint32_t lo = (uint32_t)value;
    int32_t hi = (int32_t)((uint64_t)value >> 32);
    if (shift >= 32) {
        lo = (uint32_t)(hi >> (shift - 32));
        hi = hi >> 31;
    } else if (shift > 0) {
        lo = (lo >> shift) | ((uint32_t)hi << (32 - shift));
        hi >>= shift;
    }
    return (int64_t)(((uint64_t)(uint32_t)hi << 32) | lo);
}

/* ---- 32-bit division (ARMv6-M) ---- */

static uint32_t udivmod32(uint32_t n, uint32_t d, uint32_t *remainder) {
    if (d == 0) { *remainder = n; return 0xFFFFFFFFu; }
    uint32_t q = 0, r = 0;
    for (int i = 0; i < 32; ++i) {
        r = (r << 1) | (n >> 31);
        n <<= 1;
        q <<= 1;
        if (r >= d) { r -= d; q |= 1; }
    }
    *remainder = r;
    return q;
}

/** Unsigned 32-bit quotient. */
uint32_t __aeabi_uidiv(uint32_t n, uint32_t d) {
    uint32_t r;
    return udivmod32(n, d, &r);
}

/** Unsigned 32-bit quotient (r0) and remainder (r1): a 64-bit return value
    comes back in r0 (low word) and r1 (high word), exactly that pair. */
uint64_t __aeabi_uidivmod(uint32_t n, uint32_t d) {
    uint32_t r;
    uint32_t q = udivmod32(n, d, &r);
    return ((uint64_t)r << 32) | q;
}

/** Signed 32-bit quotient (truncated toward zero). */
int32_t __aeabi_idiv(int32_t n, int32_t d) {
    uint32_t r;
    uint32_t un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n;
    uint32_t ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
    uint32_t q = udivmod32(un, ud, &r);
    return (int32_t)(((n < 0) != (d < 0)) ? 0u - q : q);
}

/** Signed 32-bit quotient (r0) and remainder (r1, sign of the dividend). */
uint64_t __aeabi_idivmod(int32_t n, int32_t d) {
    uint32_t r;
    uint32_t un = n < 0 ? 0u - (uint32_t)n : (uint32_t)n;
    uint32_t ud = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
    uint32_t q = udivmod32(un, ud, &r);
    if ((n < 0) != (d < 0)) q = 0u - q;
    if (n < 0) r = 0u - r;
    return ((uint64_t)r << 32) | q;
}

/* ---- 64-bit division ---- */

/* Called by the __aeabi_*ldivmod stubs below: quotient returned, remainder
   stored through `remainder`. */
__attribute__((used)) uint64_t pollen_udivmod64(uint64_t n, uint64_t d, uint64_t *remainder) {
    if (d == 0) { *remainder = n; return ~(uint64_t)0; }
    if ((n >> 32) == 0 && (d >> 32) == 0) {
        uint32_t r;
        uint32_t q = udivmod32((uint32_t)n, (uint32_t)d, &r);
        *remainder = r;
        return q;
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

__attribute__((used)) int64_t pollen_divmod64(int64_t n, int64_t d, int64_t *remainder) {
    uint64_t un = n < 0 ? 0u - (uint64_t)n : (uint64_t)n;
    uint64_t ud = d < 0 ? 0u - (uint64_t)d : (uint64_t)d;
    uint64_t r;
    uint64_t q = pollen_udivmod64(un, ud, &r);
    if ((n < 0) != (d < 0)) q = 0u - q;
    *remainder = (int64_t)(n < 0 ? 0u - r : r);
    return (int64_t)q;
}

/* __aeabi_uldivmod / __aeabi_ldivmod return the quotient in r0:r1 and the
   remainder in r2:r3, which no C return type expresses: a stub passes a stack
   slot for the remainder (5th argument, so on the stack at [sp]) and loads it
   into r2:r3 afterwards. Thumb-1 instructions only, so it runs on every Cortex-M. */
#define POLLEN_DIVMOD_STUB(name, helper)                                        \
    __attribute__((naked)) void name(void) {                                    \
        __asm volatile(                                                         \
            "push {r4, lr}\n"                                                   \
            "sub sp, #16\n"                                                     \
            "add r4, sp, #8\n"       /* remainder slot: [sp+8, sp+16) */        \
            "str r4, [sp]\n"         /* 3rd argument, passed on the stack */    \
            "bl " #helper "\n"                                                  \
            "ldr r2, [sp, #8]\n"                                                \
            "ldr r3, [sp, #12]\n"                                               \
            "add sp, #16\n"                                                     \
            "pop {r4, pc}\n");                                                  \
    }

POLLEN_DIVMOD_STUB(__aeabi_uldivmod, pollen_udivmod64)
POLLEN_DIVMOD_STUB(__aeabi_ldivmod, pollen_divmod64)

/* ---- Memory: the ARM EABI names LLVM uses for copies and fills ---- */

/* ARM EABI run-time ABI names (RTABI §4.3.4); note the argument order of
   __aeabi_memset (size before value). */
void __aeabi_memcpy(void *dest, const void *src, size_t n) { memcpy(dest, src, n); }
void __aeabi_memcpy4(void *dest, const void *src, size_t n) { memcpy(dest, src, n); }
void __aeabi_memcpy8(void *dest, const void *src, size_t n) { memcpy(dest, src, n); }
void __aeabi_memmove(void *dest, const void *src, size_t n) { memmove(dest, src, n); }
void __aeabi_memmove4(void *dest, const void *src, size_t n) { memmove(dest, src, n); }
void __aeabi_memmove8(void *dest, const void *src, size_t n) { memmove(dest, src, n); }
void __aeabi_memset(void *dest, size_t n, int value) { memset(dest, value, n); }
void __aeabi_memset4(void *dest, size_t n, int value) { memset(dest, value, n); }
void __aeabi_memset8(void *dest, size_t n, int value) { memset(dest, value, n); }
void __aeabi_memclr(void *dest, size_t n) { memset(dest, 0, n); }
void __aeabi_memclr4(void *dest, size_t n) { memset(dest, 0, n); }
void __aeabi_memclr8(void *dest, size_t n) { memset(dest, 0, n); }

