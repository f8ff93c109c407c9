/* Unit tests for common/fmt.c, checked against the host's snprintf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/fmt.h"

#include <stdio.h>
#include <string.h>

#define SAME(...)                                                              \
    do {                                                                       \
        char a[128], b[128];                                                   \
        int ra = fmt_snprintf(a, sizeof(a), __VA_ARGS__);                      \
        int rb = snprintf(b, sizeof(b), __VA_ARGS__);                          \
        assert_string_equal(a, b);                                             \
        assert_int_equal(ra, rb);                                              \
    } while (0)

static void test_integers(void **state)
{
    (void)state;
    SAME("%d %i %u", -42, 7, 42u);
    SAME("%5d|%-5d|%05d", 42, 42, -42);
    SAME("%x %X %08x", 0xbeefu, 0xbeefu, 0x12u);
    SAME("%#x %#X %#x %#o %#o %#010x", 0xbeefu, 0xbeefu, 0u, 8u, 0u, 0x12u);
    SAME("%lu %ld %llx", 123456789012ul, -5l, 0xfedcba9876543210ull);
    SAME("%zu %hhu %hd", (size_t)99, 300, 70000);
    SAME("%+d % d %o", 5, 5, 8);
    SAME("%.3d %.0d", 7, 0);
    SAME("%d", INT32_MIN);
    SAME("%lld", (long long)INT64_MIN);
}

static void test_strings(void **state)
{
    (void)state;
    SAME("[%s] [%10s] [%-10s] [%.2s]", "abc", "abc", "abc", "abc");
    SAME("%c%c %5c", 'o', 'k', 'x');
    SAME("100%%");
    SAME("%*d %-*d|", 6, 1, 4, 2);
}

static void test_null_and_pointer(void **state)
{
    char buf[64];
    (void)state;
    fmt_snprintf(buf, sizeof(buf), "%s", (char *)NULL);
    assert_string_equal(buf, "(null)");
    fmt_snprintf(buf, sizeof(buf), "%p", (void *)0x1234);
    assert_string_equal(buf, "0x1234");
}

static void test_truncation(void **state)
{
    char buf[8];
    (void)state;
    memset(buf, 'x', sizeof(buf));
    assert_int_equal(fmt_snprintf(buf, 5, "%s", "abcdefgh"), 8);
    assert_string_equal(buf, "abcd");
    assert_int_equal(buf[5], 'x');
    assert_int_equal(fmt_snprintf(NULL, 0, "%d", 12345), 5);
    assert_int_equal(fmt_snprintf(buf, 1, "abc"), 3);
    assert_string_equal(buf, "");
}

static void test_unknown_conversion(void **state)
{
    char buf[16];
    (void)state;
    fmt_snprintf(buf, sizeof(buf), "a%qb");
    assert_string_equal(buf, "a%qb");
    fmt_snprintf(buf, sizeof(buf), "end%");
    assert_string_equal(buf, "end");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_null_and_pointer),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_unknown_conversion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
