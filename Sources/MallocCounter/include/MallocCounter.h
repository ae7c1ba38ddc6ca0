// Counts heap allocations made by the calling thread.
//
// The test binary defines malloc/calloc/realloc/free/posix_memalign/aligned_alloc/
// memalign/valloc itself (forwarding to glibc's __libc_* implementations), so every
// allocation in the process passes through here. Counting is per thread and off
// until pollen_malloc_count_begin(), so parallel tests do not disturb each other.
//
// Under a sanitizer (swift build/test --sanitize=address|thread) the interposers are
// compiled out, because the sanitizer's runtime owns malloc: counting is then
// unavailable, the functions below count nothing (they return 0), and callers must
// check pollen_malloc_counting_available() before trusting a count of zero.
#pragma once
#include <stdint.h>

/// 1 when the interposed allocator is compiled in and counts; 0 in a sanitizer
/// build, where every count below is 0 and proves nothing.
int pollen_malloc_counting_available(void);

/// Starts counting on this thread from zero.
void pollen_malloc_count_begin(void);
/// Stops counting on this thread and returns the number of allocation calls
/// (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign, valloc) seen.
uint64_t pollen_malloc_count_end(void);
/// Total allocation calls in the whole process since start (all threads).
uint64_t pollen_malloc_total(void);
