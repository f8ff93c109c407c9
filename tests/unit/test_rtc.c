/* Unit tests for root/host/rtc_conv.c: CMOS RTC registers to Unix time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "root/host/rtc.h"

#define BIN 0x04
#define H24 0x02

static void test_bcd_24h(void **state)
{
    (void)state;
    /* 2026-11-25 22:05:09 UTC, BCD, with a century register. */
    struct rtc_regs r = {0x09, 0x05, 0x22, 0x25, 0x11, 0x26, 0x20, H24};
    assert_int_equal(rtc_to_unix(&r), 1795644309);
    r.century = 0; /* no century: 26 -> 2026 */
    assert_int_equal(rtc_to_unix(&r), 1795644309);
}

static void test_binary_and_12h(void **state)
{
    (void)state;
    struct rtc_regs r = {9, 5, 22, 25, 11, 26, 20, BIN | H24};
    assert_int_equal(rtc_to_unix(&r), 1795644309);
    /* 10 pm in 12-hour mode: hour 10 with the PM bit. */
    struct rtc_regs p = {9, 5, 0x80 | 10, 25, 11, 26, 20, BIN};
    assert_int_equal(rtc_to_unix(&p), 1795644309);
    struct rtc_regs midnight = {0, 0, 12, 1, 1, 70, 19, BIN};
    assert_int_equal(rtc_to_unix(&midnight), 0);
    struct rtc_regs leap = {0, 0, 0, 29, 2, 0, 20, BIN | H24};
    assert_int_equal(rtc_to_unix(&leap), 951782400);
    struct rtc_regs y99 = {59, 59, 23, 31, 12, 99, 0, BIN | H24};
    assert_int_equal(rtc_to_unix(&y99), 946684799);
}

static void test_invalid(void **state)
{
    (void)state;
    struct rtc_regs bad_bcd = {0x1A, 0, 0, 1, 1, 0, 0x20, H24};
    assert_int_equal(rtc_to_unix(&bad_bcd), -1);
    struct rtc_regs mon0 = {0, 0, 0, 1, 0, 0, 20, BIN | H24};
    assert_int_equal(rtc_to_unix(&mon0), -1);
    struct rtc_regs hour24 = {0, 0, 24, 1, 1, 0, 20, BIN | H24};
    assert_int_equal(rtc_to_unix(&hour24), -1);
    struct rtc_regs hour13 = {0, 0, 13, 1, 1, 0, 20, BIN};
    assert_int_equal(rtc_to_unix(&hour13), -1);
    struct rtc_regs ff = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    assert_int_equal(rtc_to_unix(&ff), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bcd_24h),
        cmocka_unit_test(test_binary_and_12h),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
