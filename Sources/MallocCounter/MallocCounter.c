// See MallocCounter.h. Only glibc's exported __libc_* entry points are used, so
// there is no dlsym recursion and no allocation inside the hooks.
#include "MallocCounter.h"
#include <stddef.h>
#include <errno.h>

// Under a sanitizer the counter steps aside. ASan, TSan and MSan bring their own
// malloc & co. (their runtimes interpose them to track every block); ours would
// replace theirs, and it touches __thread storage before the sanitizer runtime is
// initialized, which crashes the process at start-up. SwiftPM passes
// -fsanitize=<kind> to clang for C targets under `swift build/test --sanitize=<kind>`;
// clang then reports __has_feature(<kind>_sanitizer) (clang 21 does not define
// GCC's __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__, which are checked as well).
// The interposers are then compiled out, counting reports "unavailable", and the
// tests that count allocations are skipped (they say so).
#if defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
      __has_feature(memory_sanitizer) || __has_feature(hwaddress_sanitizer)
#    define POLLEN_MALLOC_COUNTER_OFF 1
#  endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(__SANITIZE_HWADDRESS__)
#  ifndef POLLEN_MALLOC_COUNTER_OFF
#    define POLLEN_MALLOC_COUNTER_OFF 1
#  endif
#endif

#ifdef POLLEN_MALLOC_COUNTER_OFF

int pollen_malloc_counting_available(void) { return 0; }
void pollen_malloc_count_begin(void) {}
uint64_t pollen_malloc_count_end(void) { return 0; }
uint64_t pollen_malloc_total(void) { return 0; }

#else

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static __thread int counting;
static __thread uint64_t thread_count;
static uint64_t process_count;

static inline void note(void) {
    __atomic_fetch_add(&process_count, 1, __ATOMIC_RELAXED);
    if (counting) thread_count++;
}

int pollen_malloc_counting_available(void) { return 1; }
void pollen_malloc_count_begin(void) { thread_count = 0; counting = 1; }
uint64_t pollen_malloc_count_end(void) { counting = 0; return thread_count; }
uint64_t pollen_malloc_total(void) { return __atomic_load_n(&process_count, __ATOMIC_RELAXED); }

void *malloc(size_t n) { note(); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { note(); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { note(); return __libc_realloc(p, n); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { note(); return __libc_memalign(a, n); }
void *valloc(size_t n) { note(); return __libc_memalign(4096, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    note();
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

#endif
