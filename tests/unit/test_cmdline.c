/* Unit tests for common/cmdline.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/cmdline.h"

#include <errno.h>
#include <string.h>

static void test_get_values(void **state)
{
    char buf[32];
    (void)state;
    const char *cl = "quiet child_mem=128M name=\"two words\" x=1 x=2";
    assert_int_equal(cmdline_get(cl, "child_mem", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "128M");
    assert_int_equal(cmdline_get(cl, "quiet", buf, sizeof(buf)), 0);
    assert_string_equal(buf, "");
    assert_int_equal(cmdline_get(cl, "name", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "two words");
    assert_int_equal(cmdline_get(cl, "x", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "2"); /* the last one wins */
    assert_int_equal(cmdline_get(cl, "child", buf, sizeof(buf)), -ENOENT);
    assert_int_equal(cmdline_get(cl, "mem", buf, sizeof(buf)), -ENOENT);
    assert_int_equal(cmdline_get("", "x", buf, sizeof(buf)), -ENOENT);
    assert_int_equal(cmdline_get(cl, "x", NULL, 0), 1);
}

static void test_get_too_long(void **state)
{
    char buf[4] = "abc";
    (void)state;
    assert_int_equal(cmdline_get("k=12345", "k", buf, sizeof(buf)), -ENOSPC);
    assert_string_equal(buf, "abc");
    assert_int_equal(cmdline_get("k=123", "k", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "123");
}

static void test_sizes(void **state)
{
    uint64_t v;
    (void)state;
    assert_int_equal(cmdline_parse_size("64M", &v), 0);
    assert_int_equal(v, 64ull << 20);
    assert_int_equal(cmdline_parse_size("4k", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(cmdline_parse_size("2G", &v), 0);
    assert_int_equal(v, 2ull << 30);
    assert_int_equal(cmdline_parse_size("0x1000", &v), 0);
    assert_int_equal(v, 4096);
    assert_int_equal(cmdline_parse_size("17", &v), 0);
    assert_int_equal(v, 17);
    assert_int_equal(cmdline_parse_size("", &v), -EINVAL);
    assert_int_equal(cmdline_parse_size("M", &v), -EINVAL);
    assert_int_equal(cmdline_parse_size("12Q", &v), -EINVAL);
    assert_int_equal(cmdline_parse_size("12MB", &v), -EINVAL);
    assert_int_equal(cmdline_parse_size("0x", &v), -EINVAL);
    assert_int_equal(cmdline_parse_size("99999999999999999999", &v), -EINVAL);
    assert_int_equal(cmdline_parse_size("17179869184G", &v), -EINVAL);
}

static void test_split(void **state)
{
    char buf[] = "  a \"b c\"  d=\"e f\" ";
    char *argv[8];
    (void)state;
    assert_int_equal(cmdline_split(buf, argv, 8), 3);
    assert_string_equal(argv[0], "a");
    assert_string_equal(argv[1], "b c");
    assert_string_equal(argv[2], "d=e f");
    assert_null(argv[3]);
}

static void test_split_limits(void **state)
{
    char many[] = "1 2 3 4 5";
    char open[] = "a \"b";
    char empty[] = "   ";
    char *argv[3];
    (void)state;
    assert_int_equal(cmdline_split(many, argv, 3), -E2BIG);
    assert_string_equal(argv[2], "3");
    assert_int_equal(cmdline_split(open, argv, 3), -EINVAL);
    assert_int_equal(cmdline_split(empty, argv, 3), 0);
    assert_null(argv[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_values),
        cmocka_unit_test(test_get_too_long),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_split_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
