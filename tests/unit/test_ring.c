/* Unit tests of the VMBus ring buffer (common/ring.c) on flat buffers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/ring.h"

#define DATA 4096u

struct pair {
    struct vmbus_ring_ctrl ctrl;
    uint8_t data[DATA];
    struct ring w, r; /* writer and reader views */
};

static struct pair *mk(void)
{
    struct pair *p = calloc(1, sizeof(*p));

    assert_non_null(p);
    assert_int_equal(ring_init(&p->w, &p->ctrl, p->data, DATA), 0);
    assert_int_equal(ring_attach(&p->r, &p->ctrl, p->data, DATA), 0);
    return p;
}

/* Writes an in-band packet with len payload bytes of value `fill`. */
static int put(struct pair *p, uint32_t len, uint8_t fill, uint64_t id)
{
    struct vmbus_pkt_desc d = {.type = VMBUS_PKT_DATA_INBAND,
                               .offset8 = 2,
                               .len8 = (uint16_t)((16 + len + 7) / 8),
                               .trans_id = id};
    uint8_t payload[2048];
    struct ring_iov iov[2] = {{&d, 16}, {payload, len}};

    memset(payload, fill, len);
    return ring_put(&p->w, iov, len ? 2 : 1);
}

static void test_attach_rejects(void **state)
{
    struct pair *p = mk();
    struct ring r;

    (void)state;
    assert_int_equal(ring_attach(&r, NULL, p->data, DATA), -EINVAL);
    assert_int_equal(ring_attach(&r, &p->ctrl, p->data, 0), -EINVAL);
    assert_int_equal(ring_attach(&r, &p->ctrl, p->data, 4092), -EINVAL);
    p->ctrl.write_index = 4096;
    assert_int_equal(ring_attach(&r, &p->ctrl, p->data, DATA), -EIO);
    p->ctrl.write_index = 12;
    assert_int_equal(ring_attach(&r, &p->ctrl, p->data, DATA), -EIO);
    p->ctrl.write_index = 0;
    p->ctrl.read_index = 8000;
    assert_int_equal(ring_attach(&r, &p->ctrl, p->data, DATA), -EIO);
    assert_int_equal(p->ctrl.feature_bits, VMBUS_RING_FEATURE_PENDING_SEND_SZ);
    free(p);
}

static void test_roundtrip_and_signal(void **state)
{
    struct pair *p = mk();
    struct ring_pkt_info info;
    uint8_t buf[256];

    (void)state;
    assert_true(ring_empty(&p->r));
    assert_int_equal(ring_peek(&p->r, &info), -EAGAIN);
    assert_int_equal(put(p, 5, 0xAB, 7), 0);
    /* Not published yet. */
    assert_int_equal(ring_peek(&p->r, &info), -EAGAIN);
    assert_true(ring_flush(&p->w));  /* empty -> non-empty, mask 0 */
    assert_false(ring_flush(&p->w)); /* nothing new */
    assert_int_equal(put(p, 3, 0xCD, 8), 0);
    assert_false(ring_flush(&p->w)); /* reader has not caught up */
    assert_int_equal(ring_read(&p->r, buf, sizeof(buf), &info), 0);
    assert_int_equal(info.trans_id, 7);
    assert_int_equal(info.len, 24);
    assert_int_equal(info.offset, 16);
    assert_int_equal(buf[16], 0xAB);
    assert_int_equal(ring_read(&p->r, buf, 8, &info), -EMSGSIZE);
    assert_int_equal(ring_read(&p->r, buf, sizeof(buf), &info), 0);
    assert_int_equal(info.trans_id, 8);
    assert_false(ring_read_done(&p->r)); /* no pending_send_sz */
    assert_true(ring_empty(&p->r));
    /* Masked reader: no signal. */
    ring_mask(&p->r);
    {
        struct vmbus_pkt_desc d = {.type = 6, .offset8 = 2, .len8 = 2};
        memcpy(buf, &d, sizeof(d));
    }
    assert_int_equal(ring_send(&p->w, (struct ring_iov[]){{buf, 16}}, 1), 0);
    assert_true(ring_unmask(&p->r)); /* data already waiting */
    assert_int_equal(ring_skip(&p->r), 0);
    ring_read_done(&p->r);
    assert_false(ring_unmask(&p->r));
    assert_int_equal(ring_send(&p->w, (struct ring_iov[]){{buf, 16}}, 1), 1);
    free(p);
}

static void test_wraparound(void **state)
{
    struct pair *p = mk();
    struct ring_pkt_info info;
    uint8_t buf[2100];
    unsigned i, k;

    (void)state;
    for (i = 0; i < 2000; i++) {
        uint32_t len = (i * 131) % 2000;
        assert_int_equal(put(p, len, (uint8_t)i, i), 0);
        ring_flush(&p->w);
        assert_int_equal(ring_read(&p->r, buf, sizeof(buf), &info), 0);
        assert_int_equal(info.trans_id, i);
        for (k = 0; k < len; k++)
            assert_int_equal(buf[16 + k], (uint8_t)i);
        ring_read_done(&p->r);
    }
    free(p);
}

static void test_full_and_pending_send_sz(void **state)
{
    struct pair *p = mk();
    struct ring_pkt_info info;
    uint8_t buf[512];
    int n = 0;

    (void)state;
    /* 256-byte packets (240 payload + 16 desc) take 264 bytes each. */
    while (put(p, 240, 1, (uint64_t)n) == 0)
        n++;
    assert_int_equal(n, 15); /* 15 * 264 = 3960 < 4096, 16 would reach it */
    assert_int_equal(put(p, 240, 1, 99), -EAGAIN);
    {
        static uint8_t big[DATA];
        struct ring_iov iov = {big, DATA - 8};
        assert_int_equal(ring_put(&p->w, &iov, 1), -EMSGSIZE);
    }
    ring_flush(&p->w);
    assert_false(ring_want_space(&p->w, 264));
    assert_int_equal(p->ctrl.pending_send_sz, 264);
    /* Free space goes 136 -> 400: crosses 264 on the first read. */
    assert_int_equal(ring_read(&p->r, buf, sizeof(buf), &info), 0);
    assert_true(ring_read_done(&p->r));
    assert_int_equal(ring_read(&p->r, buf, sizeof(buf), &info), 0);
    assert_false(ring_read_done(&p->r)); /* already above */
    assert_true(ring_want_space(&p->w, 264));
    ring_want_space(&p->w, 0);
    assert_int_equal(put(p, 240, 1, 100), 0);
    /* Without the feature bit the reader never signals. */
    p->ctrl.feature_bits = 0;
    ring_want_space(&p->w, 4000);
    assert_int_equal(ring_read(&p->r, buf, sizeof(buf), &info), 0);
    assert_false(ring_read_done(&p->r));
    free(p);
}

static void test_corrupt_peer(void **state)
{
    struct pair *p = mk();
    struct ring_pkt_info info;
    struct vmbus_pkt_desc *d = (struct vmbus_pkt_desc *)p->data;
    uint8_t buf[64];

    (void)state;
    p->ctrl.write_index = 5000;
    assert_int_equal(ring_peek(&p->r, &info), -EIO);
    p->ctrl.write_index = 20;
    assert_int_equal(ring_peek(&p->r, &info), -EIO);
    p->ctrl.write_index = 16; /* less than a descriptor + trailer */
    assert_int_equal(ring_peek(&p->r, &info), -EBADMSG);
    p->ctrl.write_index = 32;
    d->offset8 = 1;
    d->len8 = 2;
    assert_int_equal(ring_peek(&p->r, &info), -EBADMSG);
    d->offset8 = 3;
    assert_int_equal(ring_peek(&p->r, &info), -EBADMSG); /* len8 < off8 */
    d->offset8 = 2;
    d->len8 = 4; /* 32 + 8 > 32 written */
    assert_int_equal(ring_peek(&p->r, &info), -EBADMSG);
    d->len8 = 3;
    assert_int_equal(ring_read(&p->r, buf, sizeof(buf), &info), 0);
    /* The writer side checks the reader's index too. */
    p->ctrl.read_index = 7;
    assert_int_equal(put(p, 8, 0, 1), -EIO);
    assert_int_equal(ring_write_space(&p->w), -EIO);
    free(p);
}

static void test_batching(void **state)
{
    struct pair *p = mk();
    struct ring_pkt_info info;
    uint8_t buf[64];
    int i, got = 0;

    (void)state;
    for (i = 0; i < 20; i++)
        assert_int_equal(put(p, 8, (uint8_t)i, (uint64_t)i), 0);
    assert_int_equal(p->ctrl.write_index, 0);
    assert_true(ring_flush(&p->w));
    assert_int_equal(p->ctrl.write_index, 20 * 32);
    while (ring_read(&p->r, buf, sizeof(buf), &info) == 0)
        assert_int_equal(info.trans_id, (uint64_t)got++);
    assert_int_equal(got, 20);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attach_rejects),
        cmocka_unit_test(test_roundtrip_and_signal),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_full_and_pending_send_sz),
        cmocka_unit_test(test_corrupt_peer),
        cmocka_unit_test(test_batching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
