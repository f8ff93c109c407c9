/*
 * Kernel command-line parsing: space-separated words, key=value pairs,
 * double quotes group words ("a b"), sizes with K/M/G suffixes.
 * Pure C, shared by the guest kernel and the root, tested on the host.
 */
#ifndef COMMON_CMDLINE_H
#define COMMON_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Looks for the last word "key" or "key=value" in cmdline.  Copies the value
 * (unquoted) into buf when buf is not NULL.  Returns 1 when key=value was
 * found, 0 when the bare word key was found (buf gets ""), -ENOENT when
 * absent, -ENOSPC when the value does not fit in buflen (buf untouched).
 */
int cmdline_get(const char *cmdline, const char *key, char *buf, size_t buflen);

/*
 * Parses a decimal or 0x-hex number with an optional K, M or G suffix
 * (powers of 1024).  Returns 0, or -EINVAL for anything else (empty,
 * trailing characters, overflow).
 */
int cmdline_parse_size(const char *s, uint64_t *out);

/*
 * Splits buf in place into words (quotes removed) for argv; at most max
 * words, argv[argc] = NULL when there is room.  Returns argc, or -E2BIG when
 * there are more than max words (the first max are stored), or -EINVAL for
 * an unterminated quote.
 */
int cmdline_split(char *buf, char **argv, int max);

#endif /* COMMON_CMDLINE_H */
