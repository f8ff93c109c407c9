/*
 * Unit tests for common/hid_desc.c: Hyper-V's absolute mouse descriptor, a
 * relative mouse with a report id, descriptors without X/Y, and malformed
 * items (truncation, long items, unbalanced collections and Push/Pop,
 * oversized reports), plus report decoding and scaling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/hid_desc.h"

#include <errno.h>
#include <string.h>

/* The absolute pointer Hyper-V's synthhid device describes. */
static const uint8_t hyperv_mouse[] = {
    0x05, 0x01, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x01, 0xA1, 0x00, 0x05, 0x09,
    0x19, 0x01, 0x29, 0x05, 0x15, 0x00, 0x25, 0x01, 0x95, 0x05, 0x75, 0x01,
    0x81, 0x02, 0x95, 0x01, 0x75, 0x03, 0x81, 0x01, 0x05, 0x01, 0x09, 0x30,
    0x09, 0x31, 0x15, 0x00, 0x26, 0xFF, 0x7F, 0x75, 0x10, 0x95, 0x02, 0x81,
    0x02, 0x05, 0x01, 0x09, 0x38, 0x16, 0x01, 0x80, 0x26, 0xFF, 0x7F, 0x75,
    0x10, 0x95, 0x01, 0x81, 0x06, 0xC0, 0xC0,
};

/* A relative 3-button mouse with report id 2 after a keyboard report 1. */
static const uint8_t rel_mouse[] = {
    0x05, 0x01, 0x09, 0x06, 0xA1, 0x01, 0x85, 0x01, 0x05, 0x07, 0x19, 0xE0,
    0x29, 0xE7, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02,
    0xC0, 0x05, 0x01, 0x09, 0x02, 0xA1, 0x01, 0x85, 0x02, 0x05, 0x09, 0x19,
    0x01, 0x29, 0x03, 0x15, 0x00, 0x25, 0x01, 0x95, 0x03, 0x75, 0x01, 0x81,
    0x02, 0x95, 0x05, 0x81, 0x01, 0x05, 0x01, 0x09, 0x30, 0x09, 0x31, 0x09,
    0x38, 0x15, 0x81, 0x25, 0x7F, 0x75, 0x08, 0x95, 0x03, 0x81, 0x06, 0xC0,
};

static void test_hyperv_mouse(void **state)
{
    struct hid_pointer p;

    (void)state;
    assert_int_equal(hid_desc_parse(hyperv_mouse, sizeof(hyperv_mouse), &p), 0);
    assert_int_equal(p.report_id, 0);
    assert_int_equal(p.report_bits, 56);
    assert_true(p.buttons.present);
    assert_int_equal(p.buttons.count, 5);
    assert_int_equal(p.buttons.bit_offset, 0);
    assert_int_equal(p.x.bit_offset, 8);
    assert_int_equal(p.x.bit_size, 16);
    assert_int_equal(p.x.logical_min, 0);
    assert_int_equal(p.x.logical_max, 32767);
    assert_false(p.x.relative);
    assert_int_equal(p.y.bit_offset, 24);
    assert_int_equal(p.wheel.bit_offset, 40);
    assert_int_equal(p.wheel.logical_min, -32767);
    assert_int_equal(p.wheel.logical_max, 32767);
    assert_true(p.wheel.relative);
}

static void test_decode_hyperv_report(void **state)
{
    struct hid_pointer p;
    struct hid_pointer_state s;
    /* left + middle, x = 0x4000, y = 0x7FFF, wheel = -1 */
    const uint8_t r[7] = {0x05, 0x00, 0x40, 0xFF, 0x7F, 0xFF, 0xFF};

    (void)state;
    assert_int_equal(hid_desc_parse(hyperv_mouse, sizeof(hyperv_mouse), &p), 0);
    assert_int_equal(hid_report_decode(&p, r, sizeof(r), &s), 0);
    assert_int_equal(s.buttons, 5);
    assert_int_equal(s.x, 0x4000);
    assert_int_equal(s.y, 0x7FFF);
    assert_int_equal(s.wheel, -1);
    assert_int_equal(hid_report_decode(&p, r, 6, &s), -EBADMSG);
    assert_int_equal(hid_report_decode(&p, r, 0, &s), -EBADMSG);
}

static void test_relative_with_report_id(void **state)
{
    struct hid_pointer p;
    struct hid_pointer_state s;
    const uint8_t r[] = {0x02, 0x02, 0xFE, 0x05, 0x01};
    const uint8_t other[] = {0x01, 0x00};

    (void)state;
    assert_int_equal(hid_desc_parse(rel_mouse, sizeof(rel_mouse), &p), 0);
    assert_int_equal(p.report_id, 2);
    assert_int_equal(p.report_bits, 32);
    assert_int_equal(p.buttons.count, 3);
    assert_true(p.x.relative);
    assert_int_equal(p.x.logical_min, -127);
    assert_int_equal(p.x.bit_offset, 8);
    assert_int_equal(hid_report_decode(&p, r, sizeof(r), &s), 0);
    assert_int_equal(s.buttons, 2);
    assert_int_equal(s.x, -2);
    assert_int_equal(s.y, 5);
    assert_int_equal(s.wheel, 1);
    assert_int_equal(hid_report_decode(&p, other, sizeof(other), &s), -ENOENT);
}

static void test_no_pointer(void **state)
{
    struct hid_pointer p;
    /* keyboard-only collection */
    (void)state;
    assert_int_equal(hid_desc_parse(rel_mouse, 25, &p), -ENOENT);
    assert_int_equal(hid_desc_parse(NULL, 0, &p), -ENOENT);
    /* X without Y */
    const uint8_t xonly[] = {0x05, 0x01, 0x09, 0x30, 0x75,
                             0x08, 0x95, 0x01, 0x81, 0x02};
    assert_int_equal(hid_desc_parse(xonly, sizeof(xonly), &p), -ENOENT);
}

static void test_malformed(void **state)
{
    struct hid_pointer p;
    uint8_t d[sizeof(hyperv_mouse)];
    size_t i;
    (void)state;

    /* Every truncation fails cleanly. */
    for (i = 0; i < sizeof(hyperv_mouse); i++) {
        int rc = hid_desc_parse(hyperv_mouse, i, &p);
        assert_true(rc == -EINVAL || rc == -ENOENT);
    }
    /* Long item. */
    const uint8_t lng[] = {0xFE, 0x00, 0x00};
    assert_int_equal(hid_desc_parse(lng, sizeof(lng), &p), -EINVAL);
    /* End collection without a collection; pop without push. */
    const uint8_t endc[] = {0xC0};
    assert_int_equal(hid_desc_parse(endc, 1, &p), -EINVAL);
    const uint8_t pop[] = {0xB4};
    assert_int_equal(hid_desc_parse(pop, 1, &p), -EINVAL);
    /* Push nesting beyond the limit. */
    uint8_t push[9];
    memset(push, 0xA4, sizeof(push));
    assert_int_equal(hid_desc_parse(push, sizeof(push), &p), -EINVAL);
    /* Report id 0. */
    const uint8_t id0[] = {0x85, 0x00};
    assert_int_equal(hid_desc_parse(id0, sizeof(id0), &p), -EINVAL);
    /* A huge report count. */
    const uint8_t big[] = {0x05, 0x01, 0x09, 0x30, 0x09, 0x31, 0x75, 0x10,
                           0x97, 0xFF, 0xFF, 0xFF, 0x7F, 0x81, 0x02};
    assert_int_equal(hid_desc_parse(big, sizeof(big), &p), -EINVAL);
    /* Report size 0 with a huge count must not spin. */
    const uint8_t zero[] = {0x05, 0x01, 0x09, 0x30, 0x09, 0x31, 0x75, 0x00,
                            0x97, 0xFF, 0xFF, 0xFF, 0xFF, 0x81, 0x02};
    assert_int_equal(hid_desc_parse(zero, sizeof(zero), &p), -EINVAL);
    /* X wider than 32 bits. */
    const uint8_t wide[] = {0x05, 0x01, 0x09, 0x30, 0x09, 0x31,
                            0x75, 0x28, 0x95, 0x02, 0x81, 0x02};
    assert_int_equal(hid_desc_parse(wide, sizeof(wide), &p), -EINVAL);
    /* Unclosed collection. */
    memcpy(d, hyperv_mouse, sizeof(d));
    assert_int_equal(hid_desc_parse(d, sizeof(d) - 1, &p), -EINVAL);
}

static void test_scale(void **state)
{
    (void)state;
    assert_int_equal(hid_scale(0, 0, 32767, 1024), 0);
    assert_int_equal(hid_scale(32767, 0, 32767, 1024), 1023);
    assert_int_equal(hid_scale(16384, 0, 32767, 1024), 511);
    assert_int_equal(hid_scale(-5, 0, 32767, 1024), 0);
    assert_int_equal(hid_scale(40000, 0, 32767, 1024), 1023);
    assert_int_equal(hid_scale(5, 5, 5, 1024), 0);
    assert_int_equal(hid_scale(5, 0, 10, 0), 0);
    assert_int_equal(hid_scale(INT32_MAX, INT32_MIN, INT32_MAX, 768), 767);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hyperv_mouse),
        cmocka_unit_test(test_decode_hyperv_report),
        cmocka_unit_test(test_relative_with_report_id),
        cmocka_unit_test(test_no_pointer),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
