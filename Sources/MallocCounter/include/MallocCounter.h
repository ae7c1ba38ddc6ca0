// Counts heap allocations made by the calling thread.
//
// The test binary defines malloc/calloc/realloc/free/posix_memalign/aligned_alloc/
// memalign/valloc itself (forwarding to glibc's __libc_* implementations), so every
// allocation in the process passes through here. Counting is per thread and off
// until pollen_malloc_count_begin(), so parallel tests do not disturb each other.
#pragma once
#include <stdint.h>

/// Starts counting on this thread from zero.
void pollen_malloc_count_begin(void);
/// Stops counting on this thread and returns the number of allocation calls
/// (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign, valloc) seen.
uint64_t pollen_malloc_count_end(void);
/// Total allocation calls in the whole process since start (all threads).
uint64_t pollen_malloc_total(void);
