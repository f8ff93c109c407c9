/*
 * Unit tests for the scan code half of common/synth_input.c: the root's
 * set-1 byte stream parser (make/break, E0 and E1 prefixes, junk bytes) and
 * the guest's translation to key events (US layout, shifted characters,
 * Caps and Num Lock, Ctrl letters, keypad, fake shifts, unicode).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/synth_input.h"

#include <errno.h>
#include <string.h>

static void test_feed_plain(void **state)
{
    struct scan_parser p = {0};
    uint16_t code;
    uint32_t flags;

    (void)state;
    assert_int_equal(scan_feed(&p, 0x1E, &code, &flags), 1);
    assert_int_equal(code, 0x1E);
    assert_int_equal(flags, 0);
    assert_int_equal(scan_feed(&p, 0x9E, &code, &flags), 1);
    assert_int_equal(code, 0x1E);
    assert_int_equal(flags, SYNTHKBD_KEY_BREAK);
}

static void test_feed_prefixes(void **state)
{
    struct scan_parser p = {0};
    uint16_t code;
    uint32_t flags;
    /* Right arrow make/break, then Pause. */
    static const uint8_t bytes[] = {0xE0, 0x4D, 0xE0, 0xCD, 0xE1,
                                    0x1D, 0x45, 0xE1, 0x9D, 0xC5};
    static const struct {
        uint16_t code;
        uint32_t flags;
    } want[] = {
        {0x4D, SYNTHKBD_KEY_E0},
        {0x4D, SYNTHKBD_KEY_E0 | SYNTHKBD_KEY_BREAK},
        {0x1D, SYNTHKBD_KEY_E1},
        {0x45, 0},
        {0x1D, SYNTHKBD_KEY_E1 | SYNTHKBD_KEY_BREAK},
        {0x45, SYNTHKBD_KEY_BREAK},
    };
    size_t i, n = 0;

    (void)state;
    for (i = 0; i < sizeof(bytes); i++) {
        int rc = scan_feed(&p, bytes[i], &code, &flags);
        assert_true(rc == 0 || rc == 1);
        if (rc == 1) {
            assert_true(n < 6);
            assert_int_equal(code, want[n].code);
            assert_int_equal(flags, want[n].flags);
            n++;
        }
    }
    assert_int_equal(n, 6);
}

static void test_feed_junk(void **state)
{
    struct scan_parser p = {0};
    uint16_t code;
    uint32_t flags;

    (void)state;
    assert_int_equal(scan_feed(&p, 0x00, &code, &flags), -EINVAL);
    assert_int_equal(scan_feed(&p, 0xFF, &code, &flags), -EINVAL);
    assert_int_equal(scan_feed(&p, 0xFA, &code, &flags), -EINVAL);
    assert_int_equal(scan_feed(&p, 0xE0, &code, &flags), 0);
    assert_int_equal(scan_feed(&p, 0xE0, &code, &flags), -EINVAL);
    assert_int_equal(scan_feed(&p, 0x48, &code, &flags), 1);
    assert_int_equal(flags, SYNTHKBD_KEY_E0);
    /* After junk following a prefix, the next byte is plain. */
    assert_int_equal(scan_feed(&p, 0xE0, &code, &flags), 0);
    assert_int_equal(scan_feed(&p, 0xFE, &code, &flags), -EINVAL);
    assert_int_equal(scan_feed(&p, 0x10, &code, &flags), 1);
    assert_int_equal(flags, 0);
}

/* Types make then break of code (with flags) and returns the press char. */
static uint32_t type_key(struct kbd_state *st, uint16_t code, uint32_t flags)
{
    struct key_event ev;
    uint32_t ch;

    assert_true(kbd_translate(st, code, flags, &ev) >= 0);
    assert_int_equal(ev.pressed, 1);
    ch = ev.ch;
    assert_true(kbd_translate(st, code, flags | SYNTHKBD_KEY_BREAK, &ev) >= 0);
    assert_int_equal(ev.pressed, 0);
    assert_int_equal(ev.ch, 0);
    return ch;
}

static void press(struct kbd_state *st, uint16_t code, uint32_t flags)
{
    struct key_event ev;
    assert_true(kbd_translate(st, code, flags, &ev) >= 0);
}

static void release(struct kbd_state *st, uint16_t code, uint32_t flags)
{
    struct key_event ev;
    assert_true(kbd_translate(st, code, flags | SYNTHKBD_KEY_BREAK, &ev) >= 0);
}

static void test_us_layout(void **state)
{
    struct kbd_state st = {0};
    static const char row[] = "1234567890-=";
    static const char shifted[] = "!@#$%^&*()_+";
    size_t i;

    (void)state;
    for (i = 0; i < 12; i++)
        assert_int_equal(type_key(&st, (uint16_t)(0x02 + i), 0), row[i]);
    press(&st, KEY_LSHIFT, 0);
    for (i = 0; i < 12; i++)
        assert_int_equal(type_key(&st, (uint16_t)(0x02 + i), 0), shifted[i]);
    assert_int_equal(type_key(&st, 0x10, 0), 'Q');
    assert_int_equal(type_key(&st, 0x27, 0), ':');
    assert_int_equal(type_key(&st, 0x28, 0), '"');
    assert_int_equal(type_key(&st, 0x29, 0), '~');
    assert_int_equal(type_key(&st, 0x2B, 0), '|');
    assert_int_equal(type_key(&st, 0x35, 0), '?');
    release(&st, KEY_LSHIFT, 0);
    assert_int_equal(st.mods, 0);
    assert_int_equal(type_key(&st, 0x2C, 0), 'z');
    assert_int_equal(type_key(&st, 0x39, 0), ' ');
    assert_int_equal(type_key(&st, KEY_ENTER, 0), '\n');
    assert_int_equal(type_key(&st, KEY_BACKSPACE, 0), '\b');
    assert_int_equal(type_key(&st, KEY_TAB, 0), '\t');
    assert_int_equal(type_key(&st, KEY_ESC, 0), 0x1B);
    /* Right shift works as well. */
    press(&st, KEY_RSHIFT, 0);
    assert_int_equal(type_key(&st, 0x1E, 0), 'A');
    release(&st, KEY_RSHIFT, 0);
}

static void test_locks_and_ctrl(void **state)
{
    struct kbd_state st = {0};
    struct key_event ev;

    (void)state;
    assert_int_equal(kbd_translate(&st, KEY_CAPSLOCK, 0, &ev), 1);
    assert_int_equal(st.locks, KLOCK_CAPS);
    assert_int_equal(kbd_translate(&st, KEY_CAPSLOCK, SYNTHKBD_KEY_BREAK, &ev),
                     0);
    assert_int_equal(type_key(&st, 0x1E, 0), 'A');
    assert_int_equal(type_key(&st, 0x02, 0), '1'); /* digits unaffected */
    press(&st, KEY_LSHIFT, 0);
    assert_int_equal(type_key(&st, 0x1E, 0), 'a');
    release(&st, KEY_LSHIFT, 0);
    assert_int_equal(kbd_translate(&st, KEY_CAPSLOCK, 0, &ev), 1);
    assert_int_equal(st.locks, 0);
    release(&st, KEY_CAPSLOCK, 0);
    /* Ctrl+C, right Ctrl (E0 1D) + A. */
    press(&st, KEY_LCTRL, 0);
    assert_int_equal(type_key(&st, 0x2E, 0), 3);
    release(&st, KEY_LCTRL, 0);
    press(&st, 0x1D, SYNTHKBD_KEY_E0);
    assert_int_equal(st.mods, KMOD_RCTRL);
    assert_int_equal(type_key(&st, 0x1E, 0), 1);
    release(&st, 0x1D, SYNTHKBD_KEY_E0);
    assert_int_equal(st.mods, 0);
    /* Num Lock: keypad digits, otherwise navigation (no character). */
    assert_int_equal(type_key(&st, 0x47, 0), 0);
    assert_int_equal(kbd_translate(&st, KEY_NUMLOCK, 0, &ev), 1);
    assert_int_equal(ev.locks, KLOCK_NUM);
    assert_int_equal(type_key(&st, 0x47, 0), '7');
    assert_int_equal(type_key(&st, 0x53, 0), '.');
    assert_int_equal(type_key(&st, 0x4E, 0), '+');
    assert_int_equal(type_key(&st, 0x35, SYNTHKBD_KEY_E0), '/');
    assert_int_equal(type_key(&st, 0x1C, SYNTHKBD_KEY_E0), '\n');
}

static void test_navigation_and_fake_shift(void **state)
{
    struct kbd_state st = {0};
    struct key_event ev;

    (void)state;
    /* E0 2A (fake shift) then Up: no state change, no character. */
    assert_int_equal(kbd_translate(&st, 0x2A, SYNTHKBD_KEY_E0, &ev), 0);
    assert_int_equal(st.mods, 0);
    assert_int_equal(kbd_translate(&st, 0x48, SYNTHKBD_KEY_E0, &ev), 0);
    assert_int_equal(ev.key, KEY_UP);
    assert_int_equal(ev.ch, 0);
    assert_int_equal(kbd_translate(&st, 0x53, SYNTHKBD_KEY_E0, &ev), 0);
    assert_int_equal(ev.key, KEY_DELETE);
    assert_int_equal(kbd_translate(&st, 0x1D, SYNTHKBD_KEY_E1, &ev), 0);
    assert_int_equal(ev.key, KEY_PAUSE);
    assert_int_equal(st.mods, 0);
    assert_int_equal(kbd_translate(&st, 0x3B, 0, &ev), 0);
    assert_int_equal(ev.key, KEY_F1);
    assert_int_equal(ev.ch, 0);
}

static void test_unicode_and_errors(void **state)
{
    struct kbd_state st = {0};
    struct key_event ev;

    (void)state;
    assert_int_equal(kbd_translate(&st, 0x20AC, SYNTHKBD_KEY_UNICODE, &ev), 0);
    assert_int_equal(ev.key, KEY_UNICODE);
    assert_int_equal(ev.ch, 0x20AC);
    assert_int_equal(kbd_translate(&st, 0x80, 0, &ev), -EINVAL);
    assert_int_equal(kbd_translate(&st, 0x10, 0x10, &ev), -EINVAL);
    assert_int_equal(st.mods, 0);
    assert_int_equal(st.locks, 0);
    /* Every code and flag combination stays in range. */
    for (uint32_t c = 0; c < 0x80; c++)
        for (uint32_t f = 0; f < 16; f++) {
            int rc = kbd_translate(&st, (uint16_t)c, f, &ev);
            assert_true(rc == 0 || rc == 1);
            assert_true(ev.ch < 0x80 || (f & SYNTHKBD_KEY_UNICODE));
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed_plain),
        cmocka_unit_test(test_feed_prefixes),
        cmocka_unit_test(test_feed_junk),
        cmocka_unit_test(test_us_layout),
        cmocka_unit_test(test_locks_and_ctrl),
        cmocka_unit_test(test_navigation_and_fake_shift),
        cmocka_unit_test(test_unicode_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
