/*
 * Unit tests for common/synthvid_msg.c: framing (pipe size versus packet
 * length, the untrusted synthvid size), per-type minimums, dirt and
 * resolution lists, pointer shapes, mode checks and rectangle clipping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/synthvid_msg.h"

#include <errno.h>
#include <string.h>

static void test_build_parse(void **state)
{
    uint8_t buf[64];
    struct synthvid_msg m;
    struct synthvid_version_request v = {SYNTHVID_VERSION_3_5};
    struct synthvid_hdr h;
    uint32_t n;

    (void)state;
    assert_int_equal(SYNTHVID_VERSION_3_5, 0x00050003u);
    assert_int_equal(SYNTHVID_VERSION_MAJOR(SYNTHVID_VERSION_3_2), 3);
    assert_int_equal(SYNTHVID_VERSION_MINOR(SYNTHVID_VERSION_3_2), 2);
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_VERSION_REQUEST, &v,
                       sizeof(v));
    assert_int_equal(n, 20);
    memcpy(&h, buf + 8, sizeof(h));
    assert_int_equal(h.size, 12); /* header + body, as Linux sends */
    assert_int_equal(synthvid_parse(buf, n, &m), 0);
    assert_int_equal(m.type, SYNTHVID_MSG_VERSION_REQUEST);
    assert_int_equal(m.body_len, 4);
    /* Padding after the pipe size is fine; a cut packet is not. */
    assert_int_equal(synthvid_parse(buf, n + 4, &m), 0);
    assert_int_equal(synthvid_parse(buf, n - 1, &m), -EBADMSG);
    /* The synthvid size is ignored: OpenVMM writes the body size only. */
    h.size = 4;
    memcpy(buf + 8, &h, sizeof(h));
    assert_int_equal(synthvid_parse(buf, n, &m), 0);
    h.size = 0xFFFFFFFFu;
    memcpy(buf + 8, &h, sizeof(h));
    assert_int_equal(synthvid_parse(buf, n, &m), 0);
    assert_int_equal(synthvid_build(buf, 19, 1, &v, 4), 0);
    assert_int_equal(
        synthvid_build(buf, 0xFFFFFFFFu, 1, NULL, SYNTHVID_MAX_MSG), 0);
}

static void test_minimums(void **state)
{
    uint8_t buf[64], body[32] = {0};
    struct synthvid_msg m;
    uint32_t n;

    (void)state;
    /* VRAM location needs 17 body bytes, situation update 27. */
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_VRAM_LOCATION, body, 16);
    assert_int_equal(synthvid_parse(buf, n, &m), -EBADMSG);
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_VRAM_LOCATION, body, 17);
    assert_int_equal(synthvid_parse(buf, n, &m), 0);
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_SITUATION_UPDATE, body,
                       26);
    assert_int_equal(synthvid_parse(buf, n, &m), -EBADMSG);
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_VERSION_RESPONSE, body,
                       6);
    assert_int_equal(synthvid_parse(buf, n, &m), 0);
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_FEATURE_CHANGE, body, 3);
    assert_int_equal(synthvid_parse(buf, n, &m), -EBADMSG);
    /* Unknown and error types. */
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_TYPE_LIMIT, body, 4);
    assert_int_equal(synthvid_parse(buf, n, &m), -ENOMSG);
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_ERROR, body, 4);
    assert_int_equal(synthvid_parse(buf, n, &m), -ENOMSG);
    /* Bad pipe headers. */
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_DIRT, body, 2);
    buf[0] = 2;
    assert_int_equal(synthvid_parse(buf, n, &m), -EBADMSG);
    buf[0] = 1;
    buf[4] = 7;
    assert_int_equal(synthvid_parse(buf, n, &m), -EBADMSG);
    assert_int_equal(synthvid_parse(buf, 15, &m), -EBADMSG);
}

static void test_dirt_and_resolutions(void **state)
{
    uint8_t buf[600], body[560];
    struct synthvid_msg m;
    struct synthvid_dirt d = {0, 2};
    struct synthvid_resolution_response r;
    uint32_t n;

    (void)state;
    memset(body, 0, sizeof(body));
    memcpy(body, &d, sizeof(d));
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_DIRT, body, 2 + 32);
    assert_int_equal(synthvid_parse(buf, n, &m), 0);
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_DIRT, body, 2 + 31);
    assert_int_equal(synthvid_parse(buf, n, &m), -EBADMSG);

    memset(&r, 0, sizeof(r));
    r.count = 3;
    r.default_index = 2;
    memcpy(body, &r, sizeof(r));
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_RESOLUTION_RESPONSE, body,
                       131 + 12);
    assert_int_equal(synthvid_parse(buf, n, &m), 0);
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_RESOLUTION_RESPONSE, body,
                       131 + 11);
    assert_int_equal(synthvid_parse(buf, n, &m), -EBADMSG);
    r.default_index = 3;
    memcpy(body, &r, sizeof(r));
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_RESOLUTION_RESPONSE, body,
                       131 + 12);
    assert_int_equal(synthvid_parse(buf, n, &m), -EBADMSG);
    r.count = 65;
    r.default_index = 0;
    memcpy(body, &r, sizeof(r));
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_RESOLUTION_RESPONSE, body,
                       131 + 65 * 4);
    assert_int_equal(synthvid_parse(buf, n, &m), -EBADMSG);
}

static void test_pointer_shape(void **state)
{
    static uint8_t buf[SYNTHVID_MAX_MSG], body[SYNTHVID_MAX_MSG];
    struct synthvid_msg m;
    struct synthvid_pointer_shape s = {SYNTHVID_CURSOR_COMPLETE, 1, 1, 1, 0, 0};
    uint32_t n;

    (void)state;
    memcpy(body, &s, sizeof(s));
    /* Linux's hide: 1x1 ARGB with 4 zero bytes. */
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_POINTER_SHAPE, body, 22);
    assert_int_equal(synthvid_parse(buf, n, &m), 0);
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_POINTER_SHAPE, body, 21);
    assert_int_equal(synthvid_parse(buf, n, &m), -EBADMSG);
    s.width = 97;
    memcpy(body, &s, sizeof(s));
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_POINTER_SHAPE, body,
                       4000);
    assert_int_equal(synthvid_parse(buf, n, &m), -EBADMSG);
    /* Monochrome 32x32: 4 * 32 * 2 bytes. */
    s.width = 32;
    s.height = 32;
    s.is_argb = 0;
    memcpy(body, &s, sizeof(s));
    n = synthvid_build(buf, sizeof(buf), SYNTHVID_MSG_POINTER_SHAPE, body,
                       18 + 256);
    assert_int_equal(synthvid_parse(buf, n, &m), 0);
    assert_int_equal(synthvid_cursor_bytes(1, 96, 96), 96 * 96 * 4);
    assert_int_equal(synthvid_cursor_bytes(0, 9, 2), 8);
}

static void test_modes_and_clip(void **state)
{
    struct synthvid_rect r = {-5, 10, 2000, 700}, c;

    (void)state;
    assert_int_equal(synthvid_check_mode(1024, 768, 32, 4096, 0, 8u << 20), 0);
    assert_int_equal(synthvid_check_mode(1280, 1024, 32, 5120, 0, 8u << 20), 0);
    assert_int_equal(synthvid_check_mode(1920, 1200, 32, 7680, 0, 8u << 20),
                     -E2BIG);
    assert_int_equal(synthvid_check_mode(1024, 768, 24, 3072, 0, 8u << 20),
                     -EINVAL);
    assert_int_equal(synthvid_check_mode(1024, 768, 32, 4000, 0, 8u << 20),
                     -EINVAL);
    assert_int_equal(synthvid_check_mode(0, 768, 32, 4096, 0, 8u << 20),
                     -EINVAL);
    assert_int_equal(synthvid_check_mode(1024, 768, 16, 2048, 0, 4u << 20), 0);
    assert_int_equal(
        synthvid_check_mode(1024, 768, 32, 4096, 0xFFFFFFFFu, 8u << 20),
        -E2BIG);
    assert_int_equal(synthvid_clip(&r, 1024, 768, &c), 0);
    assert_int_equal(c.x1, 0);
    assert_int_equal(c.y1, 10);
    assert_int_equal(c.x2, 1024);
    assert_int_equal(c.y2, 700);
    r.x1 = 1024;
    assert_int_equal(synthvid_clip(&r, 1024, 768, &c), -EINVAL);
    r.x1 = 50;
    r.x2 = 40;
    assert_int_equal(synthvid_clip(&r, 1024, 768, &c), -EINVAL);
    r.x1 = INT32_MIN;
    r.x2 = INT32_MAX;
    r.y1 = INT32_MIN;
    r.y2 = INT32_MAX;
    assert_int_equal(synthvid_clip(&r, 1024, 768, &c), 0);
    assert_int_equal(c.x2, 1024);
    assert_int_equal(c.y2, 768);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_parse),
        cmocka_unit_test(test_minimums),
        cmocka_unit_test(test_dirt_and_resolutions),
        cmocka_unit_test(test_pointer_shape),
        cmocka_unit_test(test_modes_and_clip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
