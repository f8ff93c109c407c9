/*
 * Unit tests for root/dev/virtio/virtq.c (split virtqueue, driver side,
 * with the test playing a device that may lie), root/dev/virtio/
 * virtio_pci.c (capability parsing) and root/dev/pci/pci.c (enumeration,
 * BAR sizing, capability walks) over a fake configuration space.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "root/dev/pci/pci.h"
#include "root/dev/virtio/virtio.h"

/* ---- virtqueue ---- */

struct qfx {
    struct virtq q;
    void *mem;
};

static struct qfx *qfx_new(uint16_t size)
{
    struct qfx *f = calloc(1, sizeof(*f));
    f->mem = aligned_alloc(4096, virtq_mem_bytes(size));
    memset(f->mem, 0, virtq_mem_bytes(size));
    assert_int_equal(virtq_init(&f->q, size, f->mem), 0);
    return f;
}

static void qfx_free(struct qfx *f)
{
    free(f->mem);
    free(f);
}

/* The device side: returns the next avail head and walks its chain. */
static uint16_t dev_avail_idx;
static uint16_t dev_take(struct virtq *q, unsigned *chain_len)
{
    assert_int_not_equal(q->avail->idx, dev_avail_idx);
    uint16_t head = q->avail->ring[dev_avail_idx++ & (q->size - 1)];
    unsigned n = 1;
    for (uint16_t i = head; q->desc[i].flags & VIRTQ_DESC_F_NEXT;
         i = q->desc[i].next)
        n++;
    *chain_len = n;
    return head;
}

static void dev_used(struct virtq *q, uint32_t id, uint32_t len)
{
    volatile struct virtq_used *u = q->used;
    u->ring[u->idx & (q->size - 1)].id = id;
    u->ring[u->idx & (q->size - 1)].len = len;
    u->idx++;
}

static void test_virtq_init_rejects_bad_sizes(void **state)
{
    (void)state;
    struct virtq q;
    static uint8_t mem[65536] __attribute__((aligned(4096)));
    assert_int_equal(virtq_init(&q, 0, mem), -EINVAL);
    assert_int_equal(virtq_init(&q, 3, mem), -EINVAL);
    assert_int_equal(virtq_init(&q, 2048, mem), -EINVAL);
    assert_int_equal(virtq_init(&q, 8, mem), 0);
    assert_true(virtq_used_pa(&q) % 4 == 0);
    assert_true(virtq_avail_pa(&q) % 2 == 0);
    assert_true(virtq_desc_pa(&q) % 16 == 0);
}

static void test_virtq_chain_roundtrip(void **state)
{
    (void)state;
    struct qfx *f = qfx_new(8);
    dev_avail_idx = 0;
    struct virtq_buf b[3] = {
        {0x1000, 16, false}, {0x2000, 512, true}, {0x3000, 1, true}};
    uint16_t head;
    assert_int_equal(virtq_add(&f->q, b, 3, &head), 0);
    assert_int_equal(f->q.nfree, 5);
    assert_int_equal(f->q.avail->idx, 0); /* not yet published */
    assert_true(virtq_publish(&f->q));
    assert_false(virtq_publish(&f->q)); /* nothing new */
    unsigned n;
    assert_int_equal(dev_take(&f->q, &n), head);
    assert_int_equal(n, 3);
    assert_int_equal(f->q.desc[head].addr, 0x1000);
    assert_int_equal(f->q.desc[head].flags, VIRTQ_DESC_F_NEXT);
    uint16_t got;
    uint32_t len;
    assert_int_equal(virtq_next_used(&f->q, &got, &len), 0);
    dev_used(&f->q, head, 513);
    assert_int_equal(virtq_next_used(&f->q, &got, &len), 1);
    assert_int_equal(got, head);
    assert_int_equal(len, 513);
    assert_int_equal(f->q.nfree, 8);
    assert_int_equal(virtq_in_flight(&f->q), 0);
    qfx_free(f);
}

static void test_virtq_full_and_wraparound(void **state)
{
    (void)state;
    struct qfx *f = qfx_new(4);
    dev_avail_idx = 0;
    struct virtq_buf b = {0x1000, 64, true};
    for (unsigned round = 0; round < 70000; round++) {
        uint16_t h[4];
        for (unsigned i = 0; i < 4; i++)
            assert_int_equal(virtq_add(&f->q, &b, 1, &h[i]), 0);
        assert_int_equal(virtq_add(&f->q, &b, 1, &h[0]), -ENOSPC);
        virtq_publish(&f->q);
        unsigned n;
        for (unsigned i = 0; i < 4; i++)
            dev_used(&f->q, dev_take(&f->q, &n), 64);
        for (unsigned i = 0; i < 4; i++) {
            uint16_t got;
            uint32_t len;
            assert_int_equal(virtq_next_used(&f->q, &got, &len), 1);
            assert_int_equal(got, h[i]);
        }
    }
    assert_int_equal(f->q.nfree, 4);
    qfx_free(f);
}

static void test_virtq_hostile_device(void **state)
{
    (void)state;
    struct qfx *f = qfx_new(8);
    dev_avail_idx = 0;
    struct virtq_buf b[2] = {{0x1000, 16, false}, {0x2000, 100, true}};
    uint16_t head, got;
    uint32_t len;
    assert_int_equal(virtq_add(&f->q, b, 2, &head), 0);
    virtq_publish(&f->q);
    /* An id out of range, then one not in flight: skipped. */
    dev_used(&f->q, 999, 0);
    assert_int_equal(virtq_next_used(&f->q, &got, &len), -EIO);
    assert_int_equal(got, VIRTQ_NO_HEAD);
    dev_used(&f->q, (uint16_t)(head + 1) & 7, 0);
    assert_int_equal(virtq_next_used(&f->q, &got, &len), -EIO);
    assert_int_equal(got, VIRTQ_NO_HEAD);
    assert_int_equal(f->q.nfree, 6);
    /* The device scribbles on the table: the shadow links still free
     * exactly the chain. */
    f->q.desc[head].next = 5;
    f->q.desc[head].flags = 0;
    /* A length beyond the writable bytes: the chain fails, is freed. */
    dev_used(&f->q, head, 101);
    assert_int_equal(virtq_next_used(&f->q, &got, &len), -EIO);
    assert_int_equal(got, head);
    assert_int_equal(f->q.nfree, 8);
    /* Returned twice: the second is refused. */
    dev_used(&f->q, head, 1);
    assert_int_equal(virtq_next_used(&f->q, &got, &len), -EIO);
    assert_int_equal(got, VIRTQ_NO_HEAD);
    assert_int_equal(f->q.nfree, 8);
    qfx_free(f);
}

static void test_virtq_indirect_and_no_notify(void **state)
{
    (void)state;
    struct qfx *f = qfx_new(2);
    uint16_t h1, h2, h3, got;
    uint32_t len;
    assert_int_equal(virtq_add_indirect(&f->q, 0x8000, 10, 4097, &h1), 0);
    assert_int_equal(f->q.desc[h1].flags, VIRTQ_DESC_F_INDIRECT);
    assert_int_equal(f->q.desc[h1].len, 160);
    assert_int_equal(virtq_add_indirect(&f->q, 0x9000, 3, 1, &h2), 0);
    assert_int_equal(virtq_add_indirect(&f->q, 0xA000, 3, 1, &h3), -ENOSPC);
    assert_int_equal(virtq_add_indirect(&f->q, 0xA000, 0, 1, &h3), -EINVAL);
    f->q.used->flags = VIRTQ_USED_F_NO_NOTIFY;
    assert_false(virtq_publish(&f->q));
    assert_int_equal(f->q.avail->idx, 2);
    dev_used(&f->q, h2, 1);
    dev_used(&f->q, h1, 4097);
    assert_int_equal(virtq_next_used(&f->q, &got, &len), 1);
    assert_int_equal(got, h2);
    assert_int_equal(virtq_next_used(&f->q, &got, &len), 1);
    assert_int_equal(got, h1);
    assert_int_equal(len, 4097);
    virtq_set_interrupts(&f->q, false);
    assert_int_equal(f->q.avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
    qfx_free(f);
}

/* ---- a fake PCI configuration space ---- */

#define FAKE_FNS 4
struct fake_fn {
    uint16_t bdf;
    uint8_t cfg[256];
    uint32_t bar_mask[6]; /* size mask per BAR dword, 0 = none */
    uint32_t writes;
};
struct fake_bus {
    struct fake_fn fn[FAKE_FNS];
    unsigned n;
};

static struct fake_fn *find(struct fake_bus *b, uint16_t bdf)
{
    for (unsigned i = 0; i < b->n; i++)
        if (b->fn[i].bdf == bdf)
            return &b->fn[i];
    return NULL;
}

static uint32_t fake_read(void *ctx, uint16_t bdf, uint16_t off)
{
    struct fake_fn *f = find(ctx, bdf);
    uint32_t v;
    if (!f)
        return 0xFFFFFFFFu;
    memcpy(&v, f->cfg + off, 4);
    return v;
}

static void fake_write(void *ctx, uint16_t bdf, uint16_t off, uint32_t v)
{
    struct fake_fn *f = find(ctx, bdf);
    if (!f)
        return;
    f->writes++;
    if (off >= PCI_BAR0 && off < PCI_BAR0 + 24) {
        unsigned i = (off - PCI_BAR0) / 4;
        uint32_t old;
        memcpy(&old, f->cfg + off, 4);
        uint32_t lowbits = (old & 1u) ? 3u : 0xFu;
        if (f->bar_mask[i] == 0xFFFFFFFFu)
            lowbits = 0; /* the upper half of a 64-bit BAR */
        v = (v & f->bar_mask[i]) | (old & lowbits);
        if (!f->bar_mask[i])
            v = 0;
    }
    if (off == PCI_COMMAND)
        v &= 0xFFFFu; /* status read-only here */
    memcpy(f->cfg + off, &v, off == PCI_COMMAND ? 2 : 4);
}

static const struct pci_cfg_ops fake_ops = {fake_read, fake_write};

static void put16(struct fake_fn *f, unsigned off, uint16_t v)
{
    memcpy(f->cfg + off, &v, 2);
}
static void put32(struct fake_fn *f, unsigned off, uint32_t v)
{
    memcpy(f->cfg + off, &v, 4);
}

/* A transitional virtio-blk: BAR1 32-bit 4 KiB (MSI-X), BAR4 64-bit
 * 16 KiB prefetchable at 0xFE000000, I/O BAR0, and the vendor caps. */
static struct fake_fn *add_virtio(struct fake_bus *b, uint16_t bdf)
{
    struct fake_fn *f = &b->fn[b->n++];
    memset(f, 0, sizeof(*f));
    f->bdf = bdf;
    put16(f, PCI_VENDOR_ID, VIRTIO_VENDOR);
    put16(f, PCI_DEVICE_ID, 0x1001);
    put32(f, PCI_CLASS_REV, 0x01000000);
    put16(f, PCI_SUBSYS_ID, VIRTIO_ID_BLOCK);
    put16(f, PCI_STATUS, PCI_STATUS_CAPS);
    put32(f, PCI_BAR0, 0xC001);
    f->bar_mask[0] = 0xFFFFFF80u;
    put32(f, PCI_BAR0 + 4, 0xFEBD0000);
    f->bar_mask[1] = 0xFFFFF000u;
    put32(f, PCI_BAR0 + 16, 0xFE00000C);
    f->bar_mask[4] = 0xFFFFC000u;
    put32(f, PCI_BAR0 + 20, 0);
    f->bar_mask[5] = 0xFFFFFFFFu;
    f->cfg[PCI_CAP_PTR] = 0x98;
    /* MSI-X at 0x98 -> common 0x84 -> isr 0x70 -> device 0x60 -> notify
     * 0x40 -> end. */
    f->cfg[0x98] = PCI_CAP_MSIX;
    f->cfg[0x99] = 0x84;
    const struct {
        uint8_t at, next, len, type;
        uint32_t off, size;
    } caps[] = {{0x84, 0x70, 16, VIRTIO_PCI_CAP_COMMON, 0x0000, 0x1000},
                {0x70, 0x60, 16, VIRTIO_PCI_CAP_ISR, 0x1000, 0x1000},
                {0x60, 0x40, 16, VIRTIO_PCI_CAP_DEVICE, 0x2000, 0x1000},
                {0x40, 0x00, 20, VIRTIO_PCI_CAP_NOTIFY, 0x3000, 0x1000}};
    for (unsigned i = 0; i < 4; i++) {
        uint8_t *c = f->cfg + caps[i].at;
        c[0] = PCI_CAP_VENDOR;
        c[1] = caps[i].next;
        c[2] = caps[i].len;
        c[3] = caps[i].type;
        c[4] = 4; /* BAR4 */
        put32(f, caps[i].at + 8, caps[i].off);
        put32(f, caps[i].at + 12, caps[i].size);
    }
    put32(f, 0x40 + 16, 4); /* notify_off_multiplier */
    return f;
}

static void test_pci_enumerate_and_bars(void **state)
{
    (void)state;
    static struct fake_bus bus;
    memset(&bus, 0, sizeof(bus));
    struct fake_fn *host = &bus.fn[bus.n++];
    put16(host, PCI_VENDOR_ID, 0x8086);
    put16(host, PCI_DEVICE_ID, 0x1237);
    add_virtio(&bus, 3 << 3);
    struct pci_dev d[8];
    unsigned n = pci_enumerate(&fake_ops, &bus, d, 8);
    assert_int_equal(n, 2);
    assert_int_equal(d[1].bdf, 3 << 3);
    assert_int_equal(d[1].class_code, 1);
    assert_int_equal(virtio_pci_type(&d[1]), VIRTIO_ID_BLOCK);
    assert_int_equal(virtio_pci_type(&d[0]), 0);
    assert_int_equal(d[1].bar[0].flags, PCI_BAR_IO);
    assert_int_equal(d[1].bar[0].size, 0x80);
    assert_int_equal(d[1].bar[1].size, 0x1000);
    assert_int_equal(d[1].bar[1].base, 0xFEBD0000u);
    assert_int_equal(d[1].bar[4].flags, PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
    assert_int_equal(d[1].bar[4].size, 0x4000);
    assert_int_equal(d[1].bar[4].base, 0xFE000000u);
    assert_int_equal(d[1].bar[5].size, 0);
    /* Sizing restored the original values. */
    assert_int_equal(fake_read(&bus, 3 << 3, PCI_BAR0 + 16), 0xFE00000Cu);
    /* Only 1 slot: the rest is skipped, no overrun. */
    assert_int_equal(pci_enumerate(&fake_ops, &bus, d, 1), 1);
}

static void test_pci_bar_move_and_ptr(void **state)
{
    (void)state;
    static struct fake_bus bus;
    memset(&bus, 0, sizeof(bus));
    struct fake_fn *f = add_virtio(&bus, 0);
    put32(f, PCI_BAR0 + 20, 0x1); /* BAR4 high: 0x1_FE000000 */
    struct pci_dev d;
    assert_int_equal(pci_enumerate(&fake_ops, &bus, &d, 1), 1);
    assert_int_equal(d.bar[4].base, 0x1FE000000ull);
    assert_null(pci_bar_ptr(&d, 4, 0, 16));
    assert_int_equal(pci_bar_move(&d, 4, 0xE0001000), -EINVAL); /* align */
    assert_int_equal(pci_bar_move(&d, 0, 0xE0000000), -EINVAL); /* I/O */
    assert_int_equal(pci_bar_move(&d, 4, 0xE0004000), 0);
    assert_int_equal(fake_read(&bus, 0, PCI_BAR0 + 20), 0);
    assert_int_equal(fake_read(&bus, 0, PCI_BAR0 + 16), 0xE000400Cu);
    assert_ptr_equal(pci_bar_ptr(&d, 4, 0x10, 16),
                     (volatile void *)(uintptr_t)0xE0004010u);
    assert_null(pci_bar_ptr(&d, 4, 0x3FF8, 16));
    assert_null(pci_bar_ptr(&d, 6, 0, 1));
}

static void test_pci_place_high_bars(void **state)
{
    (void)state;
    static struct fake_bus bus;
    memset(&bus, 0, sizeof(bus));
    add_virtio(&bus, 0);
    struct fake_fn *f = add_virtio(&bus, 1 << 3);
    put32(f, PCI_BAR0 + 20, 0x1); /* its BAR4 at 0x1_FE000000 */
    /* The first device's BAR4 sits at 0xFE000000..0xFE003FFF; BAR1 of
     * both at 0xFEBD0000 (4 KiB). */
    struct pci_dev d[2];
    assert_int_equal(pci_enumerate(&fake_ops, &bus, d, 2), 2);
    /* A window holding only the taken range: no room. */
    assert_int_equal(pci_place_high_bars(d, 2, 0xFE000000, 0xFE004000),
                     -ENOSPC);
    assert_int_equal(pci_place_high_bars(d, 2, 0xFD000000, 0xFE004000), 1);
    /* Just below the first device's BAR4, 16 KiB aligned. */
    assert_int_equal(d[1].bar[4].base, 0xFDFFC000u);
    assert_int_equal(fake_read(&bus, 1 << 3, PCI_BAR0 + 20), 0);
    assert_int_equal(fake_read(&bus, 1 << 3, PCI_BAR0 + 16), 0xFDFFC00Cu);
    /* Nothing left above 4 GiB: nothing moves. */
    assert_int_equal(pci_place_high_bars(d, 2, 0xFD000000, 0xFE004000), 0);
}

static void test_virtio_caps(void **state)
{
    (void)state;
    static struct fake_bus bus;
    memset(&bus, 0, sizeof(bus));
    add_virtio(&bus, 0);
    struct pci_dev d;
    assert_int_equal(pci_enumerate(&fake_ops, &bus, &d, 1), 1);
    assert_int_equal(pci_find_cap(&d, PCI_CAP_MSIX, 0), 0x98);
    struct virtio_pci_caps c;
    assert_int_equal(virtio_pci_parse_caps(&d, &c), 0);
    assert_int_equal(c.common.bar, 4);
    assert_int_equal(c.common.off, 0);
    assert_int_equal(c.notify.off, 0x3000);
    assert_int_equal(c.notify_mult, 4);
    assert_true(c.has_isr && c.has_device);
    assert_int_equal(c.device.off, 0x2000);
}

static void test_virtio_caps_malformed(void **state)
{
    (void)state;
    static struct fake_bus bus;
    memset(&bus, 0, sizeof(bus));
    struct fake_fn *f = add_virtio(&bus, 0);
    struct pci_dev d;
    assert_int_equal(pci_enumerate(&fake_ops, &bus, &d, 1), 1);
    struct virtio_pci_caps c;
    /* Notify capability too short for its multiplier: missing. */
    f->cfg[0x42] = 16;
    assert_int_equal(virtio_pci_parse_caps(&d, &c), -ENODEV);
    f->cfg[0x42] = 20;
    /* Common structure in a BAR that does not exist. */
    f->cfg[0x88] = 7;
    assert_int_equal(virtio_pci_parse_caps(&d, &c), -ENODEV);
    f->cfg[0x88] = 4;
    /* A loop in the list ends the walk. */
    f->cfg[0x41] = 0x84;
    assert_int_equal(virtio_pci_parse_caps(&d, &c), 0);
    /* A pointer into the header ends it too. */
    f->cfg[0x99] = 0x10;
    assert_int_equal(virtio_pci_parse_caps(&d, &c), -ENODEV);
    /* Without the capabilities bit there is no list at all. */
    f->cfg[0x99] = 0x84;
    put16(f, PCI_STATUS, 0);
    assert_int_equal(pci_find_cap(&d, PCI_CAP_MSIX, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_virtq_init_rejects_bad_sizes),
        cmocka_unit_test(test_virtq_chain_roundtrip),
        cmocka_unit_test(test_virtq_full_and_wraparound),
        cmocka_unit_test(test_virtq_hostile_device),
        cmocka_unit_test(test_virtq_indirect_and_no_notify),
        cmocka_unit_test(test_pci_enumerate_and_bars),
        cmocka_unit_test(test_pci_bar_move_and_ptr),
        cmocka_unit_test(test_pci_place_high_bars),
        cmocka_unit_test(test_virtio_caps),
        cmocka_unit_test(test_virtio_caps_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
