/*
 * image.h — what every board's C knows of its image from the linker script
 * (linker/<board>.ld: __stack_bottom, __stack_top, __text_start, __text_end):
 * the stack paint, the stack's high-water mark and size, the size of .text.
 * Defined once, in image.c (the C target PollenLibC); each architecture's
 * header includes this one, so Swift sees the functions through it.
 */
#ifndef POLLEN_IMAGE_H
#define POLLEN_IMAGE_H

#include <stdint.h>

/** The word the stack is painted with at reset (each architecture's reset
    code paints the stack below its own frame). */
#define POLLEN_STACK_PAINT 0xDEADBEEFu

/** Bytes of the main stack that have ever been used (highest depth reached),
    measured from the paint laid down at reset. */
uint32_t pollen_stack_high_water_bytes(void);

/** Size of the main stack region from the linker script, in bytes. */
uint32_t pollen_stack_size_bytes(void);

/** Size of the image's .text (code and read-only data the linker script puts in it). */
uint32_t pollen_text_bytes(void);

#endif
