/* Unit tests for common/pmm.c, the physical page allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/pmm.h"

#include <errno.h>

#define NPAGES 1000
static uint64_t bits[PMM_BITMAP_WORDS(NPAGES)];

static void init_free(struct pmm *p, uint64_t base)
{
    pmm_init(p, base, NPAGES, bits);
    pmm_add_free(p, base, base + NPAGES * PMM_PAGE);
}

static void test_starts_all_used(void **state)
{
    struct pmm p;
    uint64_t at;
    (void)state;
    pmm_init(&p, 0, NPAGES, bits);
    assert_int_equal(pmm_free_count(&p), 0);
    assert_int_equal(pmm_alloc(&p, 1, 1, &at), -ENOMEM);
}

static void test_alloc_free_roundtrip(void **state)
{
    struct pmm p;
    uint64_t a, b;
    (void)state;
    init_free(&p, 0x100000);
    assert_int_equal(pmm_free_count(&p), NPAGES);
    assert_int_equal(pmm_alloc(&p, 10, 1, &a), 0);
    assert_int_equal(a, 0x100000);
    assert_int_equal(pmm_alloc(&p, 1, 1, &b), 0);
    assert_int_equal(b, 0x100000 + 10 * PMM_PAGE);
    assert_int_equal(pmm_free_count(&p), NPAGES - 11);
    assert_true(pmm_is_used(&p, a + 5 * PMM_PAGE));
    assert_int_equal(pmm_free(&p, a, 10), 0);
    assert_false(pmm_is_used(&p, a + 5 * PMM_PAGE));
    assert_int_equal(pmm_free_count(&p), NPAGES - 1);
}

static void test_bad_free_changes_nothing(void **state)
{
    struct pmm p;
    uint64_t a;
    (void)state;
    init_free(&p, 0);
    assert_int_equal(pmm_alloc(&p, 4, 1, &a), 0);
    size_t before = pmm_free_count(&p);
    assert_int_equal(pmm_free(&p, a, 5), -EINVAL);     /* page 4 is free */
    assert_int_equal(pmm_free(&p, a + 1, 1), -EINVAL); /* unaligned */
    assert_int_equal(pmm_free(&p, NPAGES * PMM_PAGE, 1), -EINVAL);
    assert_int_equal(pmm_free(&p, 0, 0), -EINVAL);
    assert_int_equal(pmm_free(&p, (NPAGES - 1) * PMM_PAGE, 2), -EINVAL);
    assert_int_equal(pmm_free_count(&p), before);
    assert_int_equal(pmm_free(&p, a, 4), 0);
    assert_int_equal(pmm_free(&p, a, 4), -EINVAL); /* double free */
}

static void test_alignment(void **state)
{
    struct pmm p;
    uint64_t a, b;
    (void)state;
    init_free(&p, 0);
    assert_int_equal(pmm_alloc(&p, 1, 1, &a), 0);
    assert_int_equal(pmm_alloc(&p, 16, 16, &b), 0);
    assert_int_equal(b % (16 * PMM_PAGE), 0);
    assert_true(b > a);
}

static void test_reserve_and_add_rounding(void **state)
{
    struct pmm p;
    (void)state;
    pmm_init(&p, 0, NPAGES, bits);
    /* A free range that is not page aligned frees only whole pages. */
    pmm_add_free(&p, 100, 3 * PMM_PAGE + 5);
    assert_int_equal(pmm_free_count(&p), 2);
    assert_true(pmm_is_used(&p, 0));
    assert_false(pmm_is_used(&p, PMM_PAGE));
    /* A reservation covers every page it touches. */
    pmm_reserve(&p, PMM_PAGE + 4000, PMM_PAGE + 4100);
    assert_int_equal(pmm_free_count(&p), 0);
    /* Ranges outside the tracked area are ignored. */
    pmm_add_free(&p, (uint64_t)NPAGES * PMM_PAGE,
                 (uint64_t)NPAGES * PMM_PAGE * 2);
    pmm_add_free(&p, 50, 10); /* empty */
    assert_int_equal(pmm_free_count(&p), 0);
    assert_true(pmm_is_used(&p, (uint64_t)NPAGES * PMM_PAGE));
}

static void test_fragmentation_and_exhaustion(void **state)
{
    struct pmm p;
    uint64_t a[NPAGES], big;
    (void)state;
    init_free(&p, 0);
    for (int i = 0; i < NPAGES; i++)
        assert_int_equal(pmm_alloc(&p, 1, 1, &a[i]), 0);
    assert_int_equal(pmm_alloc(&p, 1, 1, &big), -ENOMEM);
    for (int i = 0; i < NPAGES; i += 2)
        assert_int_equal(pmm_free(&p, a[i], 1), 0);
    assert_int_equal(pmm_free_count(&p), NPAGES / 2);
    /* Half the memory is free, but no two pages are adjacent. */
    assert_int_equal(pmm_alloc(&p, 2, 1, &big), -ENOMEM);
    assert_int_equal(pmm_free(&p, a[1], 1), 0);
    assert_int_equal(pmm_alloc(&p, 3, 1, &big), 0);
    assert_int_equal(big, a[0]);
    assert_int_equal(pmm_alloc(&p, 0, 1, &big), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starts_all_used),
        cmocka_unit_test(test_alloc_free_roundtrip),
        cmocka_unit_test(test_bad_free_changes_nothing),
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_reserve_and_add_rounding),
        cmocka_unit_test(test_fragmentation_and_exhaustion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
