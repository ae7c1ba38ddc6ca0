/*
 * image.c — the stack's high-water mark and size, and the size of .text, from
 * the linker script's symbols; the same for every board (see image.h).
 */
#include "image.h"

extern uint32_t __stack_bottom[], __stack_top[];
extern uint8_t __text_start[], __text_end[];

uint32_t pollen_stack_high_water_bytes(void) {
    const uint32_t *p = __stack_bottom;
    while (p < __stack_top && *p == POLLEN_STACK_PAINT) ++p;
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)p);
}

uint32_t pollen_text_bytes(void) {
    return (uint32_t)((uintptr_t)__text_end - (uintptr_t)__text_start);
}

uint32_t pollen_stack_size_bytes(void) {
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)__stack_bottom);
}
