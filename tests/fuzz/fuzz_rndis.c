/*
 * Fuzz target for common/rndis.c: every message the parser accepts must
 * keep its views inside the input, and walking a transfer of back-to-back
 * messages and their per-packet info must terminate without reading out of
 * bounds.  The input is copied into an exact-size heap buffer so ASan sees
 * any overrun.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rndis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(const uint8_t *base, uint32_t len, const uint8_t *p,
                         uint32_t n)
{
    if (!p) {
        if (n != 0)
            abort();
        return;
    }
    if (p < base || p + n > base + len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    uint8_t *msg = malloc(size ? size : 1);
    if (!msg)
        return 0;
    memcpy(msg, data, size);

    uint32_t at = 0, len = (uint32_t)size;
    while (at < len) {
        struct rndis_view v;
        int rc = rndis_parse(msg + at, len - at, &v);
        if (rc == -ENOMSG && v.len >= 8 && v.len <= len - at) {
            at += v.len;
            continue;
        }
        if (rc)
            break;
        if (v.len < rndis_min_len(v.type) || v.len > len - at)
            abort();
        check_inside(msg + at, v.len, v.buf, v.buf_len);
        check_inside(msg + at, v.len, v.ppi, v.ppi_len);
        if (v.ppi) {
            static const uint32_t types[] = {
                RNDIS_PPI_TCPIP_CHECKSUM, RNDIS_PPI_IEEE_8021Q,
                RNDIS_PPI_HASH_VALUE, RNDIS_PPI_TCP_LARGESEND};
            for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
                const uint8_t *d;
                uint32_t dl, val;
                if (rndis_ppi_find(v.ppi, v.ppi_len, types[i], &d, &dl) == 0)
                    check_inside(v.ppi, v.ppi_len, d, dl);
                (void)rndis_ppi_u32(v.ppi, v.ppi_len, types[i], &val);
            }
        }
        at += v.len;
    }

    /* Builders round-trip through the parser. */
    if (size >= 8) {
        uint8_t out[256];
        uint32_t a, b;
        memcpy(&a, data, 4);
        memcpy(&b, data + 4, 4);
        struct rndis_ppi_u32 ppi = {a & 0xf, b};
        int off = rndis_build_packet(out, sizeof(out), &ppi, 1, b % 256);
        struct rndis_view v;
        if (off > 0 &&
            (rndis_parse(out, sizeof(out), &v) != 0 || v.buf_len != b % 256))
            abort();
        int n = rndis_build_query_cmplt(out, sizeof(out), a, b, data,
                                        (uint32_t)(size % 300));
        if (n > 0 &&
            (rndis_parse(out, (uint32_t)n, &v) != 0 || v.buf_len != size % 300))
            abort();
    }
    free(msg);
    return 0;
}
