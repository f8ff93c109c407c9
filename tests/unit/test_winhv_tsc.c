/*
 * Reference TSC page arithmetic and sequence protocol (including a torn
 * read and the sequence-0 fallback), and the reference time <-> kernel
 * nanosecond mapping.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "winhv/winhv_internal.h"

static void test_scale_math(void **state)
{
    /* scale is a 64.64 fixed-point multiplier: 2^63 halves. */
    assert_int_equal(winhv_tsc_scale(1000, 1ull << 63, 0), 500);
    assert_int_equal(winhv_tsc_scale(1000, 1ull << 63, 7), 507);
    /* Negative offsets subtract (wrapping add of a two's complement). */
    assert_int_equal(winhv_tsc_scale(1000, 1ull << 63, -100), 400);
    /* The product needs all 128 bits: (2^64-1)^2 >> 64 = 2^64 - 2. */
    assert_int_equal(winhv_tsc_scale(UINT64_MAX, UINT64_MAX, 0),
                     UINT64_MAX - 1);
    /* A 2.5 GHz TSC: 10^7 units per second, scale = 2^64 * 10^7 / 2.5e9.
     * One hour of ticks gives 36e9 units within one unit. */
    uint64_t scale =
        (uint64_t)(((unsigned __int128)10000000 << 64) / 2500000000u);
    uint64_t t = 2500000000ull * 3600;
    uint64_t r = winhv_tsc_scale(t, scale, 0);
    assert_true(r <= 36000000000ull && r >= 36000000000ull - 1);
}

/* The TSC source is where a concurrent root update is simulated: it runs
 * between the page reads and the second sequence read. */
struct tsc_script {
    struct hv_reference_tsc_page *pg;
    uint64_t tsc;
    unsigned calls;
    unsigned tear; /* calls that rewrite the page */
    uint32_t next_seq;
};

static uint64_t script_tsc(void *ctx)
{
    struct tsc_script *s = ctx;

    if (s->calls++ < s->tear) {
        s->pg->tsc_sequence = s->next_seq++;
        s->pg->tsc_scale = 1ull << 62; /* new scale: a quarter */
        s->pg->tsc_offset = 1000;
    }
    return s->tsc;
}

static struct hv_reference_tsc_page *new_page(uint32_t seq)
{
    struct hv_reference_tsc_page *pg = calloc(1, sizeof(*pg));
    assert_non_null(pg);
    pg->tsc_sequence = seq;
    pg->tsc_scale = 1ull << 63;
    pg->tsc_offset = 5;
    return pg;
}

static void test_page_read(void **state)
{
    struct hv_reference_tsc_page *pg = new_page(7);
    struct tsc_script s = {pg, 4000, 0, 0, 0};
    uint64_t ref = 0;

    assert_int_equal(winhv_tsc_page_read(pg, script_tsc, &s, &ref), 0);
    assert_int_equal(ref, 2005);
    assert_int_equal(s.calls, 1);
    free(pg);
}

static void test_page_torn(void **state)
{
    /* The root rewrites the page while the first attempt is in flight:
     * its values must be discarded and the new ones used. */
    struct hv_reference_tsc_page *pg = new_page(7);
    struct tsc_script s = {pg, 4000, 0, 1, 8};
    uint64_t ref = 0;

    assert_int_equal(winhv_tsc_page_read(pg, script_tsc, &s, &ref), 0);
    assert_int_equal(s.calls, 2);
    assert_int_equal(ref, 4000 / 4 + 1000);
    free(pg);
}

static void test_page_seq_zero(void **state)
{
    struct hv_reference_tsc_page *pg = new_page(0);
    struct tsc_script s = {pg, 4000, 0, 0, 0};
    uint64_t ref = 77;

    assert_int_equal(winhv_tsc_page_read(pg, script_tsc, &s, &ref), -ENODATA);
    assert_int_equal(ref, 77);
    assert_int_equal(s.calls, 0);

    /* Invalidated mid-read: the retry sees 0 and falls back. */
    pg->tsc_sequence = 3;
    s.tear = 1;
    s.next_seq = 0;
    assert_int_equal(winhv_tsc_page_read(pg, script_tsc, &s, &ref), -ENODATA);
    assert_int_equal(ref, 77);
    free(pg);
}

static void test_page_never_stable(void **state)
{
    struct hv_reference_tsc_page *pg = new_page(1);
    struct tsc_script s = {pg, 4000, 0, UINT32_MAX, 2};
    uint64_t ref = 77;

    assert_int_equal(winhv_tsc_page_read(pg, script_tsc, &s, &ref), -EAGAIN);
    assert_int_equal(s.calls, WINHV_TSC_RETRIES);
    assert_int_equal(ref, 77);
    free(pg);
}

static void test_clock_base(void **state)
{
    const struct winhv_clock_base b = {1000, 5000000};

    assert_int_equal(winhv_ref_to_ns(&b, 1000), 5000000);
    assert_int_equal(winhv_ref_to_ns(&b, 1001), 5000100);
    assert_int_equal(winhv_ref_to_ns(&b, 11000000),
                     5000000 + 10999000ull * 100);
    assert_int_equal(winhv_ref_to_ns(&b, 10), 5000000); /* before base */
    assert_int_equal(winhv_ref_to_ns(&b, UINT64_MAX), UINT64_MAX);

    assert_int_equal(winhv_ns_to_ref(&b, 5000000), 1000);
    assert_int_equal(winhv_ns_to_ref(&b, 5000100), 1001);
    assert_int_equal(winhv_ns_to_ref(&b, 5000101), 1002); /* rounds up */
    assert_int_equal(winhv_ns_to_ref(&b, 5000001), 1001);
    assert_int_equal(winhv_ns_to_ref(&b, 0), 1000);
    assert_int_equal(
        winhv_ns_to_ref(&(struct winhv_clock_base){UINT64_MAX - 1, 0},
                        UINT64_MAX),
        UINT64_MAX);

    /* Round trip: a deadline converted to ref time is never early. */
    for (uint64_t ns = 5000000; ns < 5001000; ns += 37)
        assert_true(winhv_ref_to_ns(&b, winhv_ns_to_ref(&b, ns)) >= ns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale_math),
        cmocka_unit_test(test_page_read),
        cmocka_unit_test(test_page_torn),
        cmocka_unit_test(test_page_seq_zero),
        cmocka_unit_test(test_page_never_stable),
        cmocka_unit_test(test_clock_base),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
