/* Small printf engine; see fmt.h. */
#include "common/fmt.h"

#include <stdint.h>

struct out {
    char *buf;
    size_t n;
    size_t len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->n)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int count)
{
    while (count-- > 0)
        put(o, c);
}

enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16 };

static void emit_number(struct out *o, uintmax_t v, int neg, unsigned base,
                        int upper, int flags, int width, int prec)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[64];
    int len = 0;
    /* '#': 0x/0X before a non-zero hex number, a leading 0 for octal. */
    const char *prefix = "";
    int plen = 0;
    if ((flags & F_ALT) && v && base == 16) {
        prefix = upper ? "0X" : "0x";
        plen = 2;
    }
    int alt_octal = (flags & F_ALT) && v && base == 8;

    while (v) {
        tmp[len++] = digits[v % base];
        v /= base;
    }
    if (prec < 0 && len == 0)
        tmp[len++] = '0';
    int zeros = prec > len ? prec - len : 0;
    if (alt_octal && zeros == 0)
        zeros = 1;
    char sign = neg                 ? '-'
                : (flags & F_PLUS)  ? '+'
                : (flags & F_SPACE) ? ' '
                                    : 0;
    int total = len + zeros + (sign ? 1 : 0) + plen;

    if (!(flags & F_LEFT) && (flags & F_ZERO) && prec < 0) {
        zeros += width > total ? width - total : 0;
        total = width > total ? width : total;
    }
    if (!(flags & F_LEFT))
        pad(o, ' ', width - total);
    if (sign)
        put(o, sign);
    for (int i = 0; i < plen; i++)
        put(o, prefix[i]);
    pad(o, '0', zeros);
    while (len)
        put(o, tmp[--len]);
    if (flags & F_LEFT)
        pad(o, ' ', width - total);
}

int fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
    struct out o = {buf, n, 0};

    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        int flags = 0, width = 0, prec = -1;
        for (p++;; p++) {
            if (*p == '-')
                flags |= F_LEFT;
            else if (*p == '0')
                flags |= F_ZERO;
            else if (*p == '+')
                flags |= F_PLUS;
            else if (*p == ' ')
                flags |= F_SPACE;
            else if (*p == '#')
                flags |= F_ALT;
            else
                break;
        }
        if (*p == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            p++;
        } else {
            while (*p >= '0' && *p <= '9')
                width = width * 10 + (*p++ - '0');
        }
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') {
                prec = va_arg(ap, int);
                p++;
            } else {
                while (*p >= '0' && *p <= '9')
                    prec = prec * 10 + (*p++ - '0');
            }
        }
        int lng = 0; /* 0 int, 1 long, 2 long long, 3 size_t/intmax */
        int half = 0;
        for (;; p++) {
            if (*p == 'l')
                lng++;
            else if (*p == 'z' || *p == 'j' || *p == 't')
                lng = 3;
            else if (*p == 'h')
                half++;
            else
                break;
        }
        uintmax_t u;
        intmax_t s;
        switch (*p) {
        case 'd':
        case 'i':
            if (lng == 0)
                s = va_arg(ap, int);
            else if (lng == 1)
                s = va_arg(ap, long);
            else if (lng == 2)
                s = va_arg(ap, long long);
            else
                s = va_arg(ap, intmax_t);
            if (half == 1)
                s = (short)s;
            else if (half >= 2)
                s = (signed char)s;
            u = s < 0 ? (uintmax_t)0 - (uintmax_t)s : (uintmax_t)s;
            emit_number(&o, u, s < 0, 10, 0, flags, width, prec);
            break;
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if (lng == 0)
                u = va_arg(ap, unsigned int);
            else if (lng == 1)
                u = va_arg(ap, unsigned long);
            else if (lng == 2)
                u = va_arg(ap, unsigned long long);
            else
                u = va_arg(ap, uintmax_t);
            if (half == 1)
                u = (unsigned short)u;
            else if (half >= 2)
                u = (unsigned char)u;
            emit_number(&o, u, 0,
                        *p == 'o'   ? 8
                        : *p == 'u' ? 10
                                    : 16,
                        *p == 'X', flags & ~(F_PLUS | F_SPACE), width, prec);
            break;
        case 'p':
            put(&o, '0');
            put(&o, 'x');
            emit_number(&o, (uintptr_t)va_arg(ap, void *), 0, 16, 0, 0, 0, -1);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            if (!(flags & F_LEFT))
                pad(&o, ' ', width - 1);
            put(&o, c);
            if (flags & F_LEFT)
                pad(&o, ' ', width - 1);
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str)
                str = "(null)";
            int len = 0;
            while (str[len] && (prec < 0 || len < prec))
                len++;
            if (!(flags & F_LEFT))
                pad(&o, ' ', width - len);
            for (int i = 0; i < len; i++)
                put(&o, str[i]);
            if (flags & F_LEFT)
                pad(&o, ' ', width - len);
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case '\0':
            p--;
            break;
        default:
            put(&o, '%');
            put(&o, *p);
            break;
        }
    }
    if (n > 0)
        buf[o.len < n ? o.len : n - 1] = '\0';
    return (int)o.len;
}

int fmt_snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = fmt_vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}
