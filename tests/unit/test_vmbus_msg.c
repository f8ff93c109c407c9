/* Unit tests of VMBus and IC message validation (common/vmbus_msg.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/guid.h"
#include "common/vmbus_msg.h"

static void test_min_sizes(void **state)
{
    (void)state;
    assert_int_equal(vmbus_msg_min_size(VMBUS_MSG_OFFER_CHANNEL,
                                        VMBUS_DIR_TO_GUEST,
                                        VMBUS_VERSION_WS2008),
                     190);
    assert_int_equal(vmbus_msg_min_size(VMBUS_MSG_OFFER_CHANNEL,
                                        VMBUS_DIR_TO_GUEST,
                                        VMBUS_VERSION_WIN10_V5_3),
                     196);
    assert_int_equal(
        vmbus_msg_min_size(VMBUS_MSG_OFFER_CHANNEL, VMBUS_DIR_TO_HOST, 0), 0);
    assert_int_equal(
        vmbus_msg_min_size(VMBUS_MSG_OPEN_CHANNEL, VMBUS_DIR_TO_HOST, 0), 148);
    assert_int_equal(
        vmbus_msg_min_size(VMBUS_MSG_INITIATE_CONTACT, VMBUS_DIR_TO_HOST, 0),
        40);
    assert_int_equal(
        vmbus_msg_min_size(VMBUS_MSG_VERSION_RESPONSE, VMBUS_DIR_TO_GUEST, 0),
        16);
    assert_int_equal(
        vmbus_msg_min_size(VMBUS_MSG_GPADL_HEADER, VMBUS_DIR_TO_HOST, 0), 28);
    assert_int_equal(vmbus_msg_min_size(99, VMBUS_DIR_TO_HOST, 0), 0);
    assert_int_equal(vmbus_msg_min_size(0, VMBUS_DIR_TO_HOST, 0), 0);
}

static void test_check(void **state)
{
    uint8_t m[240];
    uint32_t t;

    (void)state;
    memset(m, 0, sizeof(m));
    m[0] = VMBUS_MSG_OPEN_CHANNEL;
    assert_int_equal(vmbus_msg_check(m, 7, VMBUS_DIR_TO_HOST, 0, &t), -EBADMSG);
    assert_int_equal(vmbus_msg_check(m, 147, VMBUS_DIR_TO_HOST, 0, &t),
                     -EBADMSG);
    assert_int_equal(vmbus_msg_check(m, 148, VMBUS_DIR_TO_HOST, 0, &t), 0);
    assert_int_equal(t, VMBUS_MSG_OPEN_CHANNEL);
    assert_int_equal(vmbus_msg_check(m, 241, VMBUS_DIR_TO_HOST, 0, &t),
                     -EBADMSG);
    assert_int_equal(vmbus_msg_check(m, 148, VMBUS_DIR_TO_GUEST, 0, &t),
                     -ENOMSG);
    m[0] = 200;
    assert_int_equal(vmbus_msg_check(m, 148, VMBUS_DIR_TO_HOST, 0, &t),
                     -ENOMSG);
    assert_string_equal(vmbus_msg_name(VMBUS_MSG_GPADL_BODY), "GpadlBody");
    assert_string_equal(vmbus_msg_name(1000), "?");
}

static void test_guid(void **state)
{
    const struct vmbus_guid hb = VMBUS_CLASS_HEARTBEAT;
    const struct vmbus_guid kvp = VMBUS_CLASS_KVP;
    char s[GUID_STR_LEN];

    (void)state;
    guid_format(&hb, s);
    assert_string_equal(s, "57164f39-9115-4e78-ab55-382f3bd5422d");
    assert_true(guid_equal(&hb, &hb));
    assert_false(guid_equal(&hb, &kvp));
    /* Wire bytes: data1 little-endian. */
    assert_int_equal(((const uint8_t *)&hb)[0], 0x39);
    assert_int_equal(((const uint8_t *)&hb)[8], 0xab);
}

static void test_ic_helpers(void **state)
{
    uint8_t u[16], m[40];
    char a[8];
    struct ic_hdr h;

    (void)state;
    assert_int_equal(vmbus_ic_ascii_to_utf16("abc", u, sizeof(u)), 8);
    assert_int_equal(vmbus_ic_utf16_to_ascii(u, 8, a, sizeof(a)), 3);
    assert_string_equal(a, "abc");
    assert_int_equal(vmbus_ic_utf16_to_ascii(u, 6, a, sizeof(a)), -EINVAL);
    assert_int_equal(vmbus_ic_utf16_to_ascii(u, 7, a, sizeof(a)), -EINVAL);
    assert_int_equal(vmbus_ic_utf16_to_ascii(u, 8, a, 3), -EINVAL);
    assert_int_equal(vmbus_ic_ascii_to_utf16("abcdefgh", u, sizeof(u)), 0);
    vmbus_ic_ascii_to_utf16("abc", u, sizeof(u));
    u[1] = 0x20; /* non-ASCII code unit */
    assert_int_equal(vmbus_ic_utf16_to_ascii(u, 8, a, sizeof(a)), 3);
    assert_int_equal(a[0], '?');
    memset(m, 0, sizeof(m));
    m[12] = IC_MSG_KVP;
    assert_int_equal(vmbus_ic_check(m, 27, &h), -EBADMSG);
    assert_int_equal(vmbus_ic_check(m, 28, &h), 0);
    assert_int_equal(h.msgtype, IC_MSG_KVP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_min_sizes),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_guid),
        cmocka_unit_test(test_ic_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
