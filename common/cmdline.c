/* Command-line parsing; see cmdline.h. */
#include "common/cmdline.h"

#include <errno.h>
#include <string.h>

/* Reads one word starting at *pp into out (unquoted, up to cap bytes
 * including the NUL); returns its unquoted length, -1 at the end of the
 * string, or -2 for an unterminated quote.  out may be NULL. */
static long next_word(const char **pp, char *out, size_t cap)
{
    const char *p = *pp;
    size_t len = 0;
    int quoted = 0;

    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (!*p)
        return -1;
    for (; *p; p++) {
        if (*p == '"') {
            quoted = !quoted;
            continue;
        }
        if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n'))
            break;
        if (out && len + 1 < cap)
            out[len] = *p;
        len++;
    }
    if (out && cap)
        out[len < cap ? len : cap - 1] = '\0';
    *pp = p;
    return quoted ? -2 : (long)len;
}

int cmdline_get(const char *cmdline, const char *key, char *buf, size_t buflen)
{
    size_t klen = strlen(key);
    const char *p = cmdline;
    const char *best = NULL;
    int best_kind = -ENOENT;

    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        const char *start = p;
        if (next_word(&p, NULL, 0) < 0)
            break;
        if (strncmp(start, key, klen) != 0)
            continue;
        char c = start[klen];
        if (c == '=') {
            best = start + klen + 1;
            best_kind = 1;
        } else if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
            best = NULL;
            best_kind = 0;
        }
    }
    if (best_kind == 0 && buf && buflen)
        buf[0] = '\0';
    if (best_kind == 1) {
        const char *q = best;
        /* The value is the rest of the word, quotes removed. */
        const char *end = q;
        int quoted = 0;
        size_t len = 0;
        for (; *end; end++) {
            if (*end == '"') {
                quoted = !quoted;
                continue;
            }
            if (!quoted && (*end == ' ' || *end == '\t' || *end == '\n'))
                break;
            len++;
        }
        if (buf) {
            if (len + 1 > buflen)
                return -ENOSPC;
            size_t i = 0;
            for (; q < end; q++)
                if (*q != '"')
                    buf[i++] = *q;
            buf[i] = '\0';
        }
    }
    return best_kind;
}

int cmdline_parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    int digits = 0;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            return -EINVAL;
        v = v * base + d;
        digits++;
    }
    if (!digits)
        return -EINVAL;
    unsigned shift = 0;
    switch (*s) {
    case 'k':
    case 'K':
        shift = 10;
        s++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        s++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        s++;
        break;
    }
    if (*s)
        return -EINVAL;
    if (shift && v > (UINT64_MAX >> shift))
        return -EINVAL;
    *out = v << shift;
    return 0;
}

int cmdline_split(char *buf, char **argv, int max)
{
    char *r = buf, *w = buf;
    int argc = 0;

    for (;;) {
        while (*r == ' ' || *r == '\t' || *r == '\n')
            r++;
        if (!*r)
            break;
        char *word = w;
        int quoted = 0;
        for (; *r; r++) {
            if (*r == '"') {
                quoted = !quoted;
                continue;
            }
            if (!quoted && (*r == ' ' || *r == '\t' || *r == '\n'))
                break;
            *w++ = *r;
        }
        if (quoted)
            return -EINVAL;
        int at_end = *r == '\0';
        if (!at_end)
            r++;
        *w++ = '\0';
        if (argc >= max)
            return -E2BIG;
        argv[argc++] = word;
        if (at_end)
            break;
    }
    if (argc < max)
        argv[argc] = NULL;
    return argc;
}
