/* GUID helpers (see common/guid.h). */
#include "common/guid.h"

#include <string.h>

bool guid_equal(const struct vmbus_guid *a, const struct vmbus_guid *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

static char *hex(char *o, uint64_t v, int digits)
{
    static const char d[] = "0123456789abcdef";
    int i;

    for (i = digits - 1; i >= 0; i--) {
        o[i] = d[v & 0xF];
        v >>= 4;
    }
    return o + digits;
}

void guid_format(const struct vmbus_guid *g, char *out)
{
    uint64_t tail = 0;
    int i;

    out = hex(out, g->data1, 8);
    *out++ = '-';
    out = hex(out, g->data2, 4);
    *out++ = '-';
    out = hex(out, g->data3, 4);
    *out++ = '-';
    out = hex(out, (uint64_t)g->data4[0] << 8 | g->data4[1], 4);
    *out++ = '-';
    for (i = 2; i < 8; i++)
        tail = tail << 8 | g->data4[i];
    out = hex(out, tail, 12);
    *out = '\0';
}
