/*
 * The synthetic MSR values WinHv writes (winhv/regs.c): reserved bits
 * preserved, fields where the TLFS puts them, the stimer count of a kernel
 * deadline; the guest half of EOI assist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "winhv/winhv_internal.h"

static void test_page_msr(void **state)
{
    /* Reserved bits 1..11 come from the old value, the old GPA does not. */
    assert_int_equal(winhv_page_msr_value(0, 0x12345000), 0x12345001);
    assert_int_equal(winhv_page_msr_value(0xABCDE000 | 0xFFE, 0x12345000),
                     0x12345FFF);
    /* A misaligned GPA cannot leak into the reserved bits. */
    assert_int_equal(winhv_page_msr_value(0, 0x12345678), 0x12345001);
    assert_int_equal(winhv_page_msr_value(0, 0xFFFFF000ull << 20),
                     (0xFFFFF000ull << 20) | 1);
}

static void test_hypercall_msr(void **state)
{
    assert_int_equal(winhv_hypercall_msr_value(0, 0x7000), 0x7001);
    /* Locked is never set by us; bits 2..11 are preserved. */
    assert_int_equal(winhv_hypercall_msr_value(0x9000 | 0xFFE, 0x7000),
                     0x7000 | 0xFFC | HV_HYPERCALL_ENABLE);
    assert_int_equal(winhv_hypercall_msr_value(0, 0x7000) & HV_HYPERCALL_LOCKED,
                     0);
}

static void test_sint(void **state)
{
    const uint64_t rsvd = 0xFFFFFFFFFFF8FF00ull; /* 8..15, 19..63 */

    assert_int_equal(winhv_sint_value(HV_SINT_MASKED, 0x30, true, false), 0x30);
    assert_int_equal(winhv_sint_value(HV_SINT_MASKED, 0x30, true, true),
                     0x30 | HV_SINT_AUTO_EOI);
    assert_int_equal(
        winhv_sint_value(0x31 | HV_SINT_AUTO_EOI, 0x30, false, true),
        HV_SINT_MASKED);
    /* Polling is cleared, reserved bits survive both ways. */
    assert_int_equal(
        winhv_sint_value(rsvd | HV_SINT_POLLING | 0x77, 0x30, true, false),
        rsvd | 0x30);
    assert_int_equal(winhv_sint_value(rsvd, 0, false, false),
                     rsvd | HV_SINT_MASKED);
    assert_int_equal(HV_SINT_FIELDS_MASK & rsvd, 0);
}

static void test_stimer_config(void **state)
{
    /* Direct: vector in 4..11, bit 12, no SINT; AutoEnable, not enabled. */
    uint64_t d = winhv_stimer_config_value(true, 0xEE, 3);
    assert_int_equal(d, HV_STIMER_AUTO_ENABLE | HV_STIMER_DIRECT | 0xEE0);
    assert_int_equal(HV_STIMER_APIC_VECTOR(d), 0xEE);
    assert_int_equal(d & HV_STIMER_ENABLE, 0);
    assert_int_equal(d & HV_STIMER_PERIODIC, 0);
    /* Message mode: SINT in 16..19. */
    uint64_t m = winhv_stimer_config_value(false, 0xEE, 3);
    assert_int_equal(m, HV_STIMER_AUTO_ENABLE | 3ull << 16);
    assert_int_equal(HV_STIMER_SINT(m), 3);
    assert_int_equal(m & HV_STIMER_DIRECT, 0);
}

static void test_stimer_count(void **state)
{
    const struct winhv_clock_base b = {5000, 1000000};

    assert_int_equal(winhv_stimer_count(&b, UINT64_MAX), 0);
    assert_int_equal(winhv_stimer_count(&b, 1000000), 5000);
    assert_int_equal(winhv_stimer_count(&b, 1000001), 5001);
    assert_int_equal(winhv_stimer_count(&b, 2000000), 15000);
    /* A deadline already past is still a non-zero count: fires at once. */
    assert_int_equal(winhv_stimer_count(&b, 5), 5000);
    const struct winhv_clock_base zero = {0, 0};
    assert_int_equal(winhv_stimer_count(&zero, 0), 1);
}

static void test_eoi_assist(void **state)
{
    struct winhv_info info = {0};
    uint32_t word;

    /* Offered only with the APIC MSRs both granted and recommended. */
    assert_false(winhv_eoi_assist_offered(&info));
    info.priv_lo = HV_PRIV_APIC_ACCESS;
    assert_false(winhv_eoi_assist_offered(&info));
    info.hints = HV_HINT_MSR_APIC_ACCESS;
    assert_true(winhv_eoi_assist_offered(&info));
    info.priv_lo = 0;
    assert_false(winhv_eoi_assist_offered(&info));

    /* Marked: the EOI is skipped and the mark consumed. */
    word = HV_APIC_ASSIST_NO_EOI;
    assert_true(winhv_eoi_skip(&word));
    assert_int_equal(word, 0);
    /* Not marked (or the mark taken back): the EOI must be written. */
    assert_false(winhv_eoi_skip(&word));
    assert_int_equal(word, 0);
    /* Only bit 0 means "no EOI required"; the field is left 0 anyway. */
    word = 0xFFFFFFFEu;
    assert_false(winhv_eoi_skip(&word));
    assert_int_equal(word, 0);
    word = 0xFFFFFFFFu;
    assert_true(winhv_eoi_skip(&word));
    assert_int_equal(word, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_msr),
        cmocka_unit_test(test_hypercall_msr),
        cmocka_unit_test(test_sint),
        cmocka_unit_test(test_stimer_config),
        cmocka_unit_test(test_stimer_count),
        cmocka_unit_test(test_eoi_assist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
