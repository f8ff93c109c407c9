/* Unit tests for storage/blk.c: the sector cache and request plumbing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "storage/blk.h"

#include <errno.h>
#include <string.h>

#define NSEC 256
#define QMAX 4

/* A backend that records every request and completes them only in poll,
 * with a queue of QMAX. */
struct slow {
    uint8_t data[NSEC * 512];
    struct blk_req *queue[QMAX];
    int nq;
    int writes, reads, flushes, polls;
    uint64_t write_lbas[64];
    int fail_next;
    uint32_t last_count; /* sectors in the last read or write */
};

static int slow_start(void *priv, struct blk_req *req)
{
    struct slow *s = priv;
    if (s->nq == QMAX)
        return -EAGAIN;
    s->queue[s->nq++] = req;
    if (req->op != BLK_OP_FLUSH)
        s->last_count = req->count;
    if (req->op == BLK_OP_WRITE && s->writes < 64)
        s->write_lbas[s->writes] = req->lba;
    if (req->op == BLK_OP_WRITE)
        s->writes++;
    else if (req->op == BLK_OP_READ)
        s->reads++;
    else
        s->flushes++;
    return 0;
}

static void slow_poll(void *priv)
{
    struct slow *s = priv;
    s->polls++;
    /* complete in reverse order, to show order does not matter */
    while (s->nq) {
        struct blk_req *r = s->queue[--s->nq];
        size_t n = (size_t)r->count * 512;
        int st = 0;
        if (s->fail_next) {
            s->fail_next = 0;
            st = -EIO;
        } else if (r->op == BLK_OP_READ) {
            memcpy(r->buf, s->data + r->lba * 512, n);
        } else if (r->op == BLK_OP_WRITE) {
            memcpy(s->data + r->lba * 512, r->buf, n);
        }
        blk_complete(r, st);
    }
}

static uint64_t slow_cap(void *priv)
{
    (void)priv;
    return NSEC;
}

static const struct blk_ops slow_ops = {
    .read = slow_start,
    .write = slow_start,
    .flush = slow_start,
    .capacity = slow_cap,
    .poll = slow_poll,
};

static struct slow s;
static struct blk_dev dev;

static int setup(void **state)
{
    (void)state;
    memset(&s, 0, sizeof(s));
    for (int i = 0; i < NSEC; i++)
        memset(s.data + i * 512, i, 512);
    return blk_init(&dev, &slow_ops, &s, 512, 8);
}

static int teardown(void **state)
{
    (void)state;
    blk_fini(&dev);
    return 0;
}

static void test_init_rejects_bad_arguments(void **state)
{
    struct blk_dev d;
    (void)state;
    assert_int_equal(blk_init(&d, &slow_ops, &s, 1000, 0), -EINVAL);
    assert_int_equal(blk_init(&d, &slow_ops, &s, 256, 0), -EINVAL);
    assert_int_equal(blk_init(&d, NULL, &s, 512, 0), -EINVAL);
    assert_int_equal(dev.capacity, NSEC);
}

static void test_reads_are_cached(void **state)
{
    uint8_t b[512];
    (void)state;
    assert_int_equal(blk_read(&dev, 5, 1, b), 0);
    assert_int_equal(b[0], 5);
    assert_int_equal(blk_read(&dev, 5, 1, b), 0);
    assert_int_equal(s.reads, 1);
    assert_int_equal(dev.hits, 1);
}

static void test_small_writes_wait_for_flush_in_lba_order(void **state)
{
    uint8_t b[512];
    (void)state;
    memset(b, 0xAA, sizeof(b));
    assert_int_equal(blk_write(&dev, 9, 1, b), 0);
    assert_int_equal(blk_write(&dev, 3, 1, b), 0);
    assert_int_equal(blk_write(&dev, 7, 1, b), 0);
    assert_int_equal(s.writes, 0);
    assert_int_equal(s.data[3 * 512], 3);
    assert_int_equal(blk_read(&dev, 3, 1, b), 0); /* sees its own write */
    assert_int_equal(b[0], 0xAA);
    assert_int_equal(blk_flush(&dev), 0);
    assert_int_equal(s.writes, 3);
    assert_int_equal(s.write_lbas[0], 3);
    assert_int_equal(s.write_lbas[1], 7);
    assert_int_equal(s.write_lbas[2], 9);
    assert_int_equal(s.flushes, 1);
    assert_int_equal(s.data[9 * 512], 0xAA);
    assert_int_equal(blk_flush(&dev), 0); /* nothing dirty: only the flush */
    assert_int_equal(s.writes, 3);
    assert_int_equal(s.flushes, 2);
}

static void test_eviction_writes_back(void **state)
{
    uint8_t b[512];
    (void)state;
    memset(b, 0x55, sizeof(b));
    assert_int_equal(blk_write(&dev, 100, 1, b), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(blk_read(&dev, (uint64_t)i, 1, b), 0);
    assert_int_equal(s.writes, 1);
    assert_int_equal(s.data[100 * 512], 0x55);
}

static void test_direct_transfers_stay_coherent(void **state)
{
    uint8_t one[512], big[16 * 512];
    (void)state;
    memset(one, 0x77, sizeof(one));
    assert_int_equal(blk_write(&dev, 20, 1, one), 0); /* dirty in cache */
    assert_int_equal(blk_read(&dev, 16, 16, big), 0); /* direct */
    assert_int_equal(big[4 * 512], 0x77);
    assert_int_equal(big[5 * 512], 21);
    memset(big, 0x11, sizeof(big));
    assert_int_equal(blk_write(&dev, 16, 16, big), 0); /* direct */
    assert_int_equal(blk_read(&dev, 20, 1, one), 0);   /* cached copy */
    assert_int_equal(one[0], 0x11);
    assert_int_equal(blk_flush(&dev), 0);
    assert_int_equal(s.data[20 * 512], 0x11);
}

static void test_range_is_enforced(void **state)
{
    uint8_t b[2 * 512];
    (void)state;
    assert_int_equal(blk_read(&dev, NSEC, 1, b), -ERANGE);
    assert_int_equal(blk_write(&dev, NSEC - 1, 2, b), -ERANGE);
    assert_int_equal(blk_read(&dev, UINT64_MAX, 2, b), -ERANGE);
    assert_int_equal(blk_read(&dev, 0, 0, b), -ERANGE);
    struct blk_req r = {
        .op = BLK_OP_WRITE, .lba = NSEC - 1, .count = 2, .buf = b};
    assert_int_equal(blk_submit(&dev, &r), -ERANGE);
    r.op = 99;
    assert_int_equal(blk_submit(&dev, &r), -EINVAL);
    assert_int_equal(s.reads + s.writes, 0);
}

static int done_count;
static void done(struct blk_req *r)
{
    (void)r;
    done_count++;
}

static void test_many_requests_in_flight(void **state)
{
    uint8_t bufs[10][512];
    struct blk_req reqs[10];
    (void)state;
    done_count = 0;
    for (int i = 0; i < 10; i++) {
        reqs[i] = (struct blk_req){.op = BLK_OP_READ,
                                   .lba = (uint64_t)(50 + i),
                                   .count = 1,
                                   .buf = bufs[i],
                                   .done = done};
        /* the queue holds 4: submission polls when it is full */
        assert_int_equal(blk_submit(&dev, &reqs[i]), 0);
    }
    for (int i = 0; i < 10; i++) {
        assert_int_equal(blk_wait(&dev, &reqs[i]), 0);
        assert_int_equal(bufs[i][0], 50 + i);
    }
    assert_int_equal(done_count, 10);
    assert_true(s.polls >= 2);
}

static void test_backend_errors_propagate(void **state)
{
    uint8_t b[512];
    (void)state;
    s.fail_next = 1;
    assert_int_equal(blk_read(&dev, 1, 1, b), -EIO);
    /* the failed line was not cached */
    assert_int_equal(blk_read(&dev, 1, 1, b), 0);
    assert_int_equal(b[0], 1);
    memset(b, 9, sizeof(b));
    assert_int_equal(blk_write(&dev, 2, 1, b), 0);
    s.fail_next = 1;
    assert_int_equal(blk_flush(&dev), -EIO);
    assert_int_equal(blk_flush(&dev), 0); /* still dirty, retried */
    assert_int_equal(s.data[2 * 512], 9);
}

static void test_readahead_and_write_batching(void **state)
{
    struct blk_dev d;
    uint8_t b[512];
    (void)state;
    assert_int_equal(blk_init(&d, &slow_ops, &s, 512, 64), 0);
    assert_int_equal(blk_read(&d, 40, 1, b), 0);
    assert_int_equal(s.reads, 1);
    assert_int_equal(s.last_count, BLK_READAHEAD_SECTORS);
    for (int i = 41; i < 40 + BLK_READAHEAD_SECTORS; i++) {
        assert_int_equal(blk_read(&d, (uint64_t)i, 1, b), 0);
        assert_int_equal(b[0], i);
    }
    assert_int_equal(s.reads, 1);
    /* readahead stops at a cached sector: 48 is cached, so 47 reads alone */
    assert_int_equal(blk_read(&d, 48, 1, b), 0);
    assert_int_equal(blk_write(&d, 60, 1, b), 0);
    assert_int_equal(blk_read(&d, 59, 1, b), 0);
    assert_int_equal(s.last_count, 1);
    /* three consecutive dirty sectors and one apart: two writes */
    memset(b, 0x3C, sizeof(b));
    for (int i = 100; i < 103; i++)
        assert_int_equal(blk_write(&d, (uint64_t)i, 1, b), 0);
    assert_int_equal(blk_write(&d, 200, 1, b), 0);
    int before = s.writes;
    assert_int_equal(blk_flush(&d), 0);
    assert_int_equal(s.writes - before, 3); /* 60, 100..102, 200 */
    assert_int_equal(s.data[102 * 512], 0x3C);
    assert_int_equal(s.data[200 * 512], 0x3C);
    blk_fini(&d);
}

static void test_ram_disk(void **state)
{
    static uint8_t mem[8 * 512];
    struct blk_mem m = {.data = mem, .sectors = 8, .sector_size = 512};
    struct blk_dev d;
    uint8_t b[512];
    (void)state;
    assert_int_equal(blk_init(&d, &blk_mem_ops, &m, 512, 0), 0);
    memset(b, 3, sizeof(b));
    assert_int_equal(blk_write(&d, 7, 1, b), 0);
    assert_int_equal(blk_flush(&d), 0);
    assert_int_equal(mem[7 * 512], 3);
    assert_int_equal(m.flushes, 1);
    assert_int_equal(blk_write(&d, 8, 1, b), -ERANGE);
    blk_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_rejects_bad_arguments, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reads_are_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_small_writes_wait_for_flush_in_lba_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_eviction_writes_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_direct_transfers_stay_coherent,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_range_is_enforced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_many_requests_in_flight, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_backend_errors_propagate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_readahead_and_write_batching,
                                        setup, teardown),
        cmocka_unit_test(test_ram_disk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
