/*
 * fault_text.c — the console text of fault reports and start-up failures, and
 * putchar, for every board (see fault_text.h). Each writes through the board's
 * pollen_board_write_byte (Swift, `@_cdecl`) and ends through the
 * architecture's pollen_exit.
 */
#include <stdint.h>
#include "fault_text.h"

void pollen_board_write_byte(uint8_t byte);
__attribute__((noreturn)) void pollen_exit(int32_t code);

/* putchar: Embedded Swift's print() writes through it (only apps that print
   link it; the fault reports write through the board directly). */
int putchar(int c) {
    pollen_board_write_byte((uint8_t)c);
    return c;
}

__attribute__((noinline)) void pollen_fault_write(const char *s) {
    while (*s) pollen_board_write_byte((uint8_t)*s++);
}

__attribute__((noinline)) void pollen_fault_write_hex(const char *label, uint32_t value) {
    pollen_fault_write(label);
    pollen_fault_write("0x");
    for (int digits = 8; digits > 0; --digits, value <<= 4) {
        uint32_t nibble = value >> 28;
        pollen_board_write_byte((uint8_t)(nibble + (nibble < 10 ? '0' : 'a' - 10)));
    }
}

/* Board.fail(_ message:): the message (a Swift string literal, which is
   NUL-terminated), a newline, exit code 1. */
void pollen_fail(const uint8_t *message) {
    pollen_fault_write((const char *)message);
    pollen_board_write_byte('\n');
    pollen_exit(1);
}
