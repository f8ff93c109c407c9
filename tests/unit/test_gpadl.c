/* Unit tests of the GPADL builder and assembler (common/gpadl.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/gpadl.h"

static void test_msg_count(void **state)
{
    (void)state;
    assert_int_equal(gpadl_msg_count(1), 1);
    assert_int_equal(gpadl_msg_count(26), 1);
    assert_int_equal(gpadl_msg_count(27), 2);
    assert_int_equal(gpadl_msg_count(54), 2);
    assert_int_equal(gpadl_msg_count(55), 3);
    assert_int_equal(gpadl_msg_count(8190), 1 + (8190 - 26 + 27) / 28);
}

/* Builds every message of a GPADL and assembles it again. */
static void roundtrip(uint32_t npfn, uint32_t off, uint32_t count)
{
    uint64_t *pfns = calloc(npfn, 8);
    uint64_t msg[30];
    struct gpadl_asm a;
    struct gpadl_range r;
    uint32_t i, n = gpadl_msg_count(npfn);
    int len, rc = 0;

    for (i = 0; i < npfn; i++)
        pfns[i] = 0x1000 + i * 3;
    for (i = 0; i < n; i++) {
        len = gpadl_build(i, 5, 0x77, off, count, pfns, npfn, msg);
        assert_true(len > 0 && len <= 240);
        if (i == 0) {
            assert_int_equal(gpadl_asm_header(&a, msg, (size_t)len), 0);
            assert_int_equal(a.handle, 0x77);
            assert_int_equal(a.relid, 5);
            a.buf = malloc(a.buflen);
            rc = gpadl_asm_start(&a, msg, (size_t)len);
        } else {
            assert_int_equal(rc, 0);
            rc = gpadl_asm_body(&a, msg, (size_t)len);
        }
    }
    assert_int_equal(rc, 1);
    assert_int_equal(gpadl_build(n, 5, 0x77, off, count, pfns, npfn, msg),
                     -EINVAL);
    assert_int_equal(gpadl_asm_validate(&a, 1ull << 40), npfn);
    assert_int_equal(gpadl_asm_validate(&a, 0x1000 + 3ull * (npfn - 1)),
                     -EBADMSG);
    assert_int_equal(gpadl_get_range(&a, 0, &r), 0);
    assert_int_equal(gpadl_get_range(&a, 1, &r), -ERANGE);
    assert_int_equal(r.npfn, npfn);
    assert_int_equal(r.byte_offset, off);
    assert_int_equal(r.byte_count, count);
    assert_memory_equal(r.pfns, pfns, npfn * 8u);
    free(a.buf);
    free(pfns);
}

static void test_roundtrips(void **state)
{
    static const uint32_t sizes[] = {1, 2, 26, 27, 28, 54, 55, 1000, 8190};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        roundtrip(sizes[i], 0, sizes[i] * 4096u);
    roundtrip(2, 100, 4096); /* spans two pages */
    roundtrip(1, 4000, 96);  /* ends exactly at the page end */
}

static void test_build_rejects(void **state)
{
    uint64_t pfn = 1, msg[30];

    (void)state;
    assert_int_equal(gpadl_build(0, 1, 1, 0, 4096, &pfn, 0, msg), -EINVAL);
    assert_int_equal(gpadl_build(0, 1, 0, 0, 4096, &pfn, 1, msg), -EINVAL);
    assert_int_equal(gpadl_build(0, 1, 1, 4096, 1, &pfn, 1, msg), -EINVAL);
    assert_int_equal(gpadl_build(0, 1, 1, 0, 0, &pfn, 1, msg), -EINVAL);
    assert_int_equal(gpadl_build(0, 1, 1, 0, 8192, &pfn, 1, msg), -EINVAL);
    assert_int_equal(gpadl_build(0, 1, 1, 0, 4096, &pfn, 8191, msg), -EINVAL);
}

static void test_asm_rejects(void **state)
{
    struct vmbus_msg_gpadl_header h;
    uint8_t m[240];
    struct gpadl_asm a;
    uint64_t buf[8];

    (void)state;
    memset(&h, 0, sizeof(h));
    h.hdr.msgtype = VMBUS_MSG_GPADL_HEADER;
    h.gpadl = 9;
    h.range_count = 1;
    h.range_buflen = 16;
    h.range.byte_count = 4096;
    memcpy(m, &h, sizeof(h));
    memset(m + 28, 0, 8);
    assert_int_equal(gpadl_asm_header(&a, m, 27), -EBADMSG);
    assert_int_equal(gpadl_asm_header(&a, m, 241), -EBADMSG);
    assert_int_equal(gpadl_asm_header(&a, m, 30), -EBADMSG); /* not 8s */
    assert_int_equal(gpadl_asm_header(&a, m, 44), -EBADMSG); /* > buflen */
    assert_int_equal(gpadl_asm_header(&a, m, 36), 0);
    h.range_count = 0;
    memcpy(m, &h, sizeof(h));
    assert_int_equal(gpadl_asm_header(&a, m, 36), -EBADMSG);
    h.range_count = 1;
    h.range_buflen = 8; /* a range with no room for a PFN */
    memcpy(m, &h, sizeof(h));
    assert_int_equal(gpadl_asm_header(&a, m, 28), -EBADMSG);
    h.range_buflen = 16;
    h.gpadl = 0;
    memcpy(m, &h, sizeof(h));
    assert_int_equal(gpadl_asm_header(&a, m, 36), -EINVAL);

    /* Ranges that don't add up. */
    h.gpadl = 9;
    h.range_buflen = 32;
    h.range.byte_count = 4096;
    memcpy(m, &h, sizeof(h));
    assert_int_equal(gpadl_asm_header(&a, m, 28), 0);
    a.buf = buf;
    assert_int_equal(gpadl_asm_start(&a, m, 28), 0);
    memset(m + 16, 0, 24);
    assert_int_equal(gpadl_asm_body(&a, m, 20), -EBADMSG);
    assert_int_equal(gpadl_asm_body(&a, m, 48), -EBADMSG); /* overflow */
    assert_int_equal(gpadl_asm_body(&a, m, 40), 1);
    /* One page announced, three words left over. */
    assert_int_equal(gpadl_asm_validate(&a, 1u << 30), -EBADMSG);
    /* Two ranges of one page each fill it exactly. */
    a.range_count = 2;
    buf[0] = 4096;
    buf[1] = 7;
    buf[2] = (uint64_t)100 | (uint64_t)5 << 32;
    buf[3] = 8;
    assert_int_equal(gpadl_asm_validate(&a, 1u << 30), 2);
    buf[2] = (uint64_t)100 | (uint64_t)4096 << 32; /* offset too big */
    assert_int_equal(gpadl_asm_validate(&a, 1u << 30), -EBADMSG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_count),
        cmocka_unit_test(test_roundtrips),
        cmocka_unit_test(test_build_rejects),
        cmocka_unit_test(test_asm_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
