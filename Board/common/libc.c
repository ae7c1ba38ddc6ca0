/*
 * libc.c — the few C library routines that compiled Swift and clang expect,
 * for every board (the C target PollenLibC).
 *
 * LLVM lowers struct copies and zero-fills to memcpy/memset (on Arm EABI
 * targets through the __aeabi_mem* names, Board/cortex-m/aeabi.c). These are
 * byte loops: small, and fast enough for the short
 * copies firmware makes. Compiled with -ffreestanding -fno-builtin so clang
 * does not turn the loops back into calls to themselves.
 *
 * Deliberately absent: malloc/free/posix_memalign. Pollen firmware is built
 * with -no-allocations; if anything pulls an allocator in, the link fails.
 */
#include <stddef.h>
#include <stdint.h>

void *memset(void *dest, int value, size_t n) {
    unsigned char *d = dest;
    while (n--) *d++ = (unsigned char)value;
    return dest;
}

void *memcpy(void *restrict dest, const void *restrict src, size_t n) {
    unsigned char *d = dest;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dest;
}

void *memmove(void *dest, const void *src, size_t n) {
    unsigned char *d = dest;
    const unsigned char *s = src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dest;
}

int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (; n; --n, ++x, ++y) {
        if (*x != *y) return *x - *y;
    }
    return 0;
}

size_t strlen(const char *s) {
    const char *p = s;
    while (*p) ++p;
    return (size_t)(p - s);
}

/* Reference counting entry points of the Swift runtime. Stored closures (the
 * function values in `map`, `then`, `steps`) are released when dropped; under
 * -no-allocations no heap object can exist, and a non-capturing closure's
 * context is null, so there is never anything to count. The embedded runtime's
 * versions are not linked into -no-allocations images; these no-ops are exact. */
void *swift_retain(void *object) { return object; }
void swift_release(void *object) { (void)object; }
