/*
 * Formatted output without allocation, for consoles, panics and logs in
 * the guest kernel and the root (newlib's printf may allocate).
 *
 * Supports %d %i %u %x %X %o %c %s %p %% with the flags '-' '0' '+' ' ' '#',
 * a width and precision (also '*'), and the length modifiers hh h l ll z j t.
 */
#ifndef COMMON_FMT_H
#define COMMON_FMT_H

#include <stdarg.h>
#include <stddef.h>

/* Like vsnprintf: writes at most n-1 characters and a NUL (when n > 0);
 * returns the length the full output would have. */
int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* COMMON_FMT_H */
