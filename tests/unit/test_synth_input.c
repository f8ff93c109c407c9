/*
 * Unit tests for the message half of common/synth_input.c: synthetic
 * keyboard messages (minimum lengths with ring padding, flags, unknown
 * types) and synthhid framing (pipe size versus packet length, header size
 * within the pipe, per-type minimums, device info splitting).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/synth_input.h"

#include <errno.h>
#include <string.h>

static void test_kbd_messages(void **state)
{
    struct synthkbd_msg m;
    uint8_t buf[16] = {0};
    struct synthkbd_keystroke k = {
        {SYNTHKBD_MSG_EVENT}, 0x1E, 0, SYNTHKBD_KEY_E0 | SYNTHKBD_KEY_BREAK};
    struct synthkbd_protocol_response r = {{SYNTHKBD_MSG_PROTOCOL_RESPONSE},
                                           SYNTHKBD_ACCEPTED};
    struct synthkbd_led_indicators led = {
        {SYNTHKBD_MSG_SET_LED_INDICATORS}, SYNTHKBD_LED_CAPS_LOCK, 0};
    struct synthkbd_protocol_request q = {{SYNTHKBD_MSG_PROTOCOL_REQUEST},
                                          SYNTHKBD_VERSION_1_0};

    (void)state;
    memcpy(buf, &k, sizeof(k));
    /* The ring pads the 12-byte keystroke to 16. */
    assert_int_equal(synthkbd_parse(buf, 16, &m), 0);
    assert_int_equal(m.type, SYNTHKBD_MSG_EVENT);
    assert_int_equal(m.make_code, 0x1E);
    assert_int_equal(m.flags, SYNTHKBD_KEY_E0 | SYNTHKBD_KEY_BREAK);
    assert_int_equal(synthkbd_parse(buf, 11, &m), -EBADMSG);
    assert_int_equal(synthkbd_parse(&r, sizeof(r), &m), 0);
    assert_int_equal(m.status, SYNTHKBD_ACCEPTED);
    assert_int_equal(synthkbd_parse(&r, 7, &m), -EBADMSG);
    assert_int_equal(synthkbd_parse(&led, 6, &m), 0);
    assert_int_equal(m.led_flags, SYNTHKBD_LED_CAPS_LOCK);
    assert_int_equal(synthkbd_parse(&led, 5, &m), -EBADMSG);
    assert_int_equal(synthkbd_parse(&q, sizeof(q), &m), 0);
    assert_int_equal(m.version, 0x00010000);
    assert_int_equal(synthkbd_parse(&q, 3, &m), -EBADMSG);
    assert_int_equal(synthkbd_parse(&q, SYNTHKBD_MAX_MSG + 1, &m), -EBADMSG);
}

static void test_kbd_bad_events(void **state)
{
    struct synthkbd_msg m;
    struct synthkbd_keystroke k = {{SYNTHKBD_MSG_EVENT}, 0x80, 0, 0};
    uint32_t t = 9;

    (void)state;
    assert_int_equal(synthkbd_parse(&k, sizeof(k), &m), -EBADMSG);
    k.flags = SYNTHKBD_KEY_UNICODE;
    assert_int_equal(synthkbd_parse(&k, sizeof(k), &m), 0);
    k.flags = 0x10;
    k.make_code = 1;
    assert_int_equal(synthkbd_parse(&k, sizeof(k), &m), -EBADMSG);
    assert_int_equal(synthkbd_parse(&t, 4, &m), -ENOMSG);
}

static void test_hid_build_parse(void **state)
{
    uint8_t buf[64];
    struct synthhid_msg m;
    uint32_t v = SYNTHHID_VERSION_2_0, n;

    (void)state;
    n = synthhid_build(buf, sizeof(buf), SYNTHHID_MSG_PROTOCOL_REQUEST, &v, 4);
    assert_int_equal(n, 20);
    assert_int_equal(synthhid_parse(buf, n, &m), 0);
    assert_int_equal(m.type, SYNTHHID_MSG_PROTOCOL_REQUEST);
    assert_int_equal(m.body_len, 4);
    assert_memory_equal(m.body, &v, 4);
    /* A packet longer than the pipe says (Linux, ring padding) is fine. */
    assert_int_equal(synthhid_parse(buf, n + 3, &m), 0);
    assert_int_equal(m.body_len, 4);
    /* Shorter than the pipe size is not. */
    assert_int_equal(synthhid_parse(buf, n - 1, &m), -EBADMSG);
    /* Too small a buffer or a too-big message builds nothing. */
    assert_int_equal(synthhid_build(buf, 19, 0, &v, 4), 0);
    assert_int_equal(
        synthhid_build(buf, sizeof(buf), 0, NULL, SYNTHHID_MAX_MSG), 0);
}

static void test_hid_bad_framing(void **state)
{
    uint8_t buf[32];
    struct synthhid_msg m;
    uint8_t ack = 0;
    uint32_t n, x;

    (void)state;
    n = synthhid_build(buf, sizeof(buf), SYNTHHID_MSG_DEVICE_INFO_ACK, &ack, 1);
    assert_int_equal(n, 17);
    assert_int_equal(synthhid_parse(buf, n, &m), 0);
    /* Pipe type not DATA. */
    x = 0;
    memcpy(buf, &x, 4);
    assert_int_equal(synthhid_parse(buf, n, &m), -EBADMSG);
    x = SYNTHHID_PIPE_DATA;
    memcpy(buf, &x, 4);
    /* Pipe size smaller than the synthhid header. */
    x = 7;
    memcpy(buf + 4, &x, 4);
    assert_int_equal(synthhid_parse(buf, n, &m), -EBADMSG);
    /* Synthhid size beyond the pipe. */
    x = 9;
    memcpy(buf + 4, &x, 4);
    x = 2;
    memcpy(buf + 12, &x, 4);
    assert_int_equal(synthhid_parse(buf, n, &m), -EBADMSG);
    /* Body under the type's minimum. */
    x = 0;
    memcpy(buf + 12, &x, 4);
    assert_int_equal(synthhid_parse(buf, n, &m), -EBADMSG);
    /* Unknown type. */
    x = 1;
    memcpy(buf + 12, &x, 4);
    x = 77;
    memcpy(buf + 8, &x, 4);
    assert_int_equal(synthhid_parse(buf, n, &m), -ENOMSG);
    assert_int_equal(synthhid_parse(buf, 15, &m), -EBADMSG);
    /* A huge pipe size. */
    x = 0xFFFFFFF0u;
    memcpy(buf + 4, &x, 4);
    assert_int_equal(synthhid_parse(buf, n, &m), -EBADMSG);
}

static uint32_t make_info(uint8_t *body, uint8_t hid_len, uint16_t rlen,
                          uint32_t rbytes)
{
    struct synthhid_attributes a = {32,
                                    SYNTHHID_VENDOR_MICROSOFT,
                                    SYNTHHID_PRODUCT_MOUSE,
                                    SYNTHHID_VERSION_ID,
                                    {0}};
    struct synthhid_hid_descriptor h = {
        hid_len, SYNTHHID_DESC_TYPE_HID,    0x0101, 0,
        1,       SYNTHHID_DESC_TYPE_REPORT, rlen};
    memcpy(body, &a, sizeof(a));
    memcpy(body + 32, &h, sizeof(h));
    memset(body + 41, 0xAB, rbytes);
    return 41 + rbytes;
}

static void test_device_info(void **state)
{
    uint8_t body[400];
    struct synthhid_attributes a;
    const uint8_t *r;
    uint32_t rl, n;

    (void)state;
    n = make_info(body, 9, 67, 128);
    assert_int_equal(synthhid_device_info_split(body, n, &a, &r, &rl), 0);
    assert_int_equal(a.vendor_id, 0x045E);
    assert_int_equal(rl, 67);
    assert_ptr_equal(r, body + 41);
    /* Exactly the report descriptor is enough. */
    assert_int_equal(synthhid_device_info_split(body, 41 + 67, &a, &r, &rl), 0);
    assert_int_equal(synthhid_device_info_split(body, 41 + 66, &a, &r, &rl),
                     -EBADMSG);
    /* A longer HID descriptor moves the report descriptor. */
    n = make_info(body, 12, 20, 40);
    assert_int_equal(synthhid_device_info_split(body, n, &a, &r, &rl), 0);
    assert_ptr_equal(r, body + 44);
    /* Bad HID descriptors. */
    n = make_info(body, 8, 20, 40);
    assert_int_equal(synthhid_device_info_split(body, n, &a, &r, &rl),
                     -EBADMSG);
    n = make_info(body, 9, 0, 40);
    assert_int_equal(synthhid_device_info_split(body, n, &a, &r, &rl),
                     -EBADMSG);
    n = make_info(body, 9, SYNTHHID_MAX_REPORT_DESC + 1, 300);
    assert_int_equal(synthhid_device_info_split(body, n, &a, &r, &rl),
                     -EBADMSG);
    n = make_info(body, 255, 20, 40);
    assert_int_equal(synthhid_device_info_split(body, n, &a, &r, &rl),
                     -EBADMSG);
    n = make_info(body, 9, 20, 40);
    body[33] = 0x22;
    assert_int_equal(synthhid_device_info_split(body, n, &a, &r, &rl),
                     -EBADMSG);
    assert_int_equal(synthhid_device_info_split(body, 40, &a, &r, &rl),
                     -EBADMSG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kbd_messages),
        cmocka_unit_test(test_kbd_bad_events),
        cmocka_unit_test(test_hid_build_parse),
        cmocka_unit_test(test_hid_bad_framing),
        cmocka_unit_test(test_device_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
