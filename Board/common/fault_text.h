/*
 * fault_text.h — the console text of fault reports and start-up failures, the
 * same on every architecture: defined once, in fault_text.c (the C target
 * PollenLibC). Each architecture's header includes this one, so its fault
 * reports call these and Swift sees pollen_fail through it.
 */
#ifndef POLLEN_FAULT_TEXT_H
#define POLLEN_FAULT_TEXT_H

#include <stdint.h>

/** Writes the NUL-terminated `s` on the console, byte by byte, with no buffering
    (usable from a fault handler). */
void pollen_fault_write(const char *s);

/** Writes `label`, "0x" and `value` as 8 lowercase hex digits (computed: no digit
    table in flash). */
void pollen_fault_write_hex(const char *label, uint32_t value);

/** Start-up failed: writes `message` (NUL-terminated), a newline, and exits
    with code 1 (`Board.fail(_:)` with a string literal: the fault report's
    console loop and exit, no Swift string code). */
__attribute__((noreturn)) void pollen_fail(const uint8_t *message);

#endif
