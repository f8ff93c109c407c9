/*
 * Unit tests for the pure parts of the root's display and input drivers:
 * Bochs VBE mode checks, vmmouse packet decoding, the i8042
 * configuration byte, virtio-input event groups.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "root/dev/bochs/bochs.h"
#include "root/dev/i8042/i8042.h"
#include "root/dev/vinput/vinput.h"
#include "root/dev/vmmouse/vmmouse.h"

#define MIB (1024u * 1024u)

static void test_bochs_modes(void **state)
{
    (void)state;
    assert_int_equal(bochs_check_mode(1024, 768, 16 * MIB), 0);
    assert_int_equal(bochs_check_mode(1280, 1024, 16 * MIB), 0);
    assert_int_equal(bochs_check_mode(1920, 1080, 16 * MIB), 0);
    /* Exactly full, one byte short, zero, odd width, over the limits. */
    assert_int_equal(bochs_check_mode(1024, 1024, 4 * MIB), 0);
    assert_int_equal(bochs_check_mode(1024, 1024, 4 * MIB - 1), -EINVAL);
    assert_int_equal(bochs_check_mode(0, 768, 16 * MIB), -EINVAL);
    assert_int_equal(bochs_check_mode(1024, 0, 16 * MIB), -EINVAL);
    assert_int_equal(bochs_check_mode(1366, 768, 16 * MIB), -EINVAL);
    assert_int_equal(bochs_check_mode(16008, 8, ~0ull), -EINVAL);
    assert_int_equal(bochs_check_mode(8, 12001, ~0ull), -EINVAL);
    /* No overflow in the size product. */
    assert_int_equal(bochs_check_mode(0xFFFFFFF8u, 0xFFFFFFFFu, ~0ull),
                     -EINVAL);
}

static void test_vmmouse_decode(void **state)
{
    (void)state;
    /* QEMU doubles its 0..0x7FFF range; the decoder halves it back. */
    struct vmmouse_event e =
        vmmouse_decode(VMMOUSE_LEFT, 9610u << 1, 8545u << 1, 0);
    assert_int_equal(e.x, 9610);
    assert_int_equal(e.y, 8545);
    assert_int_equal(e.buttons, 1);
    assert_int_equal(e.wheel, 0);
    e = vmmouse_decode(VMMOUSE_RIGHT | VMMOUSE_MIDDLE, 0xFFFE, 0, 0xFFFFFFFFu);
    assert_int_equal(e.x, 32767);
    assert_int_equal(e.buttons, 6);
    assert_int_equal(e.wheel, 1); /* z -1 is QEMU's wheel up: one step away */
    e = vmmouse_decode(0, 0, 0, 2);
    assert_int_equal(e.wheel, -2);
    /* Garbage above 16 bits stays within 0..32767. */
    e = vmmouse_decode(0xFFFFFFFFu, 0xFFFFFFFFu, 0x12345678u, 0);
    assert_int_equal(e.x, 32767);
    assert_int_equal(e.y, 0x5678 >> 1);
    assert_int_equal(e.buttons, 7);
}

static void test_i8042_ctr(void **state)
{
    (void)state;
    /* SeaBIOS leaves interrupts and translation on. */
    assert_int_equal(i8042_ctr_value(0x47), 0x44);
    /* Disabled keyboard clock turned on; aux disable kept. */
    assert_int_equal(i8042_ctr_value(0x33), 0x60);
    assert_int_equal(i8042_ctr_value(0x00), 0x40);
}

static int feed(struct vinput_state *s, uint16_t type, uint16_t code,
                int32_t value, struct vinput_pointer *p)
{
    struct vinput_wire_event ev = {type, code, (uint32_t)value};
    return vinput_state_feed(s, &ev, p);
}

static void test_vinput_groups(void **state)
{
    (void)state;
    struct vinput_state s;
    struct vinput_pointer p;
    /* QEMU's tablet: 0..0x7FFF, so values pass unchanged. */
    vinput_state_init(&s, 0, 0x7FFF, 0, 0x7FFF);
    assert_int_equal(feed(&s, VINPUT_EV_SYN, 0, 0, &p), 0); /* empty */
    assert_int_equal(feed(&s, VINPUT_EV_ABS, VINPUT_ABS_X, 9610, &p), 0);
    assert_int_equal(feed(&s, VINPUT_EV_ABS, VINPUT_ABS_Y, 8545, &p), 0);
    assert_int_equal(feed(&s, VINPUT_EV_SYN, 0, 0, &p), 1);
    assert_int_equal(p.x, 9610);
    assert_int_equal(p.y, 8545);
    assert_int_equal(p.buttons, 0);
    feed(&s, VINPUT_EV_KEY, VINPUT_BTN_LEFT, 1, &p);
    feed(&s, VINPUT_EV_KEY, VINPUT_BTN_EXTRA, 1, &p);
    feed(&s, VINPUT_EV_REL, VINPUT_REL_WHEEL, -1, &p);
    assert_int_equal(feed(&s, VINPUT_EV_SYN, 0, 0, &p), 1);
    assert_int_equal(p.buttons, 0x11);
    assert_int_equal(p.wheel, -1);
    assert_int_equal(p.x, 9610); /* kept */
    feed(&s, VINPUT_EV_KEY, VINPUT_BTN_LEFT, 0, &p);
    assert_int_equal(feed(&s, VINPUT_EV_SYN, 0, 0, &p), 1);
    assert_int_equal(p.buttons, 0x10);
    assert_int_equal(p.wheel, 0); /* reset after its group */
    /* Ignored: other types and codes, a wheel jump out of range. */
    feed(&s, 0x15, 0, 1, &p);
    feed(&s, VINPUT_EV_KEY, 0x1E, 1, &p);
    feed(&s, VINPUT_EV_ABS, 0x28, 5, &p);
    feed(&s, VINPUT_EV_REL, VINPUT_REL_WHEEL, 100000, &p);
    assert_int_equal(feed(&s, VINPUT_EV_SYN, 0, 0, &p), 0);
    /* Other ranges scale to 0..32767 and clamp; a bad range is ignored. */
    vinput_state_init(&s, -100, 100, 10, 10);
    feed(&s, VINPUT_EV_ABS, VINPUT_ABS_X, 0, &p);
    feed(&s, VINPUT_EV_ABS, VINPUT_ABS_Y, 40000, &p);
    assert_int_equal(feed(&s, VINPUT_EV_SYN, 0, 0, &p), 1);
    assert_int_equal(p.x, 16383);
    assert_int_equal(p.y, 32767);
    feed(&s, VINPUT_EV_ABS, VINPUT_ABS_X, INT32_MIN, &p);
    assert_int_equal(feed(&s, VINPUT_EV_SYN, 0, 0, &p), 1);
    assert_int_equal(p.x, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bochs_modes),
        cmocka_unit_test(test_vmmouse_decode),
        cmocka_unit_test(test_i8042_ctr),
        cmocka_unit_test(test_vinput_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
