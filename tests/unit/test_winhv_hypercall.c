/*
 * Hypercall input-value encoding, HV_STATUS to errno mapping and the rep
 * continuation loop of winhv/hcall.c, against a scripted hypervisor.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "winhv/winhv_internal.h"

static uint64_t enc(uint16_t code, unsigned flags, unsigned varhead,
                    unsigned reps, unsigned start)
{
    uint64_t v = 0xDEADBEEF;
    assert_int_equal(winhv_hc_encode(code, flags, varhead, reps, start, &v), 0);
    assert_int_equal(v & HV_HC_RSVD_MASK, 0);
    return v;
}

static void test_encode_fields(void **state)
{
    /* Slow, simple: only the code. */
    assert_int_equal(enc(HVCALL_POST_MESSAGE, 0, 0, 0, 0), 0x5C);
    /* Fast flag is bit 16. */
    assert_int_equal(enc(HVCALL_SIGNAL_EVENT, WINHV_HC_FAST, 0, 0, 0),
                     0x1005Dull);
    /* Variable header: 16 bytes = 2 units in bits 17..26. */
    assert_int_equal(enc(0x0013, 0, 16, 0, 0), 0x13ull | 2ull << 17);
    /* Rep count in 32..43, rep start in 48..59. */
    assert_int_equal(enc(0x0003, 0, 0, 5, 2), 0x3ull | 5ull << 32 | 2ull << 48);
    /* Everything at its maximum stays inside its field. */
    uint64_t v =
        enc(0xFFFF, 0, HV_HC_VARHEAD_MAX * 8, HV_HC_REP_MAX, HV_HC_REP_MAX - 1);
    assert_int_equal(v & HV_HC_CODE_MASK, 0xFFFF);
    assert_int_equal((v & HV_HC_VARHEAD_MASK) >> HV_HC_VARHEAD_SHIFT,
                     HV_HC_VARHEAD_MAX);
    assert_int_equal((v & HV_HC_REP_COUNT_MASK) >> HV_HC_REP_COUNT_SHIFT,
                     HV_HC_REP_MAX);
    assert_int_equal((v & HV_HC_REP_START_MASK) >> HV_HC_REP_START_SHIFT,
                     HV_HC_REP_MAX - 1);
    assert_int_equal(v & HV_HC_FAST, 0);
}

static void test_encode_rejects(void **state)
{
    uint64_t v = 42;

    assert_int_equal(winhv_hc_encode(1, 0, 12, 0, 0, &v), -EINVAL);
    assert_int_equal(
        winhv_hc_encode(1, 0, (HV_HC_VARHEAD_MAX + 1) * 8, 0, 0, &v), -EINVAL);
    assert_int_equal(winhv_hc_encode(1, 0, 0, HV_HC_REP_MAX + 1, 0, &v),
                     -EINVAL);
    assert_int_equal(winhv_hc_encode(1, 0, 0, 4, 4, &v), -EINVAL);
    assert_int_equal(winhv_hc_encode(1, 0, 0, 0, 1, &v), -EINVAL);
    assert_int_equal(winhv_hc_encode(1, WINHV_HC_FAST, 0, 2, 0, &v), -EINVAL);
    assert_int_equal(winhv_hc_encode(1, WINHV_HC_FAST, 8, 0, 0, &v), -EINVAL);
    assert_int_equal(winhv_hc_encode(1, 0x2, 0, 0, 0, &v), -EINVAL);
    assert_int_equal(v, 42); /* untouched on failure */
}

static void test_status_mapping(void **state)
{
    static const struct {
        uint16_t status;
        int err;
    } table[] = {
        {HV_STATUS_SUCCESS, 0},
        {HV_STATUS_INVALID_HYPERCALL_CODE, -ENOSYS},
        {HV_STATUS_INVALID_HYPERCALL_INPUT, -EINVAL},
        {HV_STATUS_INVALID_ALIGNMENT, -EINVAL},
        {HV_STATUS_INVALID_PARAMETER, -EINVAL},
        {HV_STATUS_ACCESS_DENIED, -EACCES},
        {HV_STATUS_INVALID_PARTITION_STATE, -EBUSY},
        {HV_STATUS_OPERATION_DENIED, -EPERM},
        {HV_STATUS_UNKNOWN_PROPERTY, -ENOENT},
        {HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE, -ERANGE},
        {HV_STATUS_INSUFFICIENT_MEMORY, -ENOMEM},
        {HV_STATUS_INVALID_PARTITION_ID, -EINVAL},
        {HV_STATUS_INVALID_VP_INDEX, -EINVAL},
        {HV_STATUS_NOT_FOUND, -ENOENT},
        {HV_STATUS_INVALID_PORT_ID, -ENXIO},
        {HV_STATUS_INVALID_CONNECTION_ID, -ENOTCONN},
        {HV_STATUS_INSUFFICIENT_BUFFERS, -EAGAIN},
        {HV_STATUS_NOT_ACKNOWLEDGED, -EBUSY},
        {HV_STATUS_INVALID_VP_STATE, -EBUSY},
        {HV_STATUS_ACKNOWLEDGED, -EALREADY},
        {HV_STATUS_INVALID_SAVE_RESTORE_STATE, -EINVAL},
        {HV_STATUS_INVALID_SYNIC_STATE, -EBUSY},
        {HV_STATUS_OBJECT_IN_USE, -EBUSY},
        {HV_STATUS_INVALID_PROXIMITY_DOMAIN_INFO, -EINVAL},
        {HV_STATUS_NO_DATA, -ENODATA},
        {HV_STATUS_INACTIVE, -EIO},
        {HV_STATUS_NO_RESOURCES, -ENOMEM},
        {HV_STATUS_FEATURE_UNAVAILABLE, -EOPNOTSUPP},
        {HV_STATUS_PARTIAL_PACKET, -EIO},
        {HV_STATUS_PROCESSOR_FEATURE_NOT_SUPPORTED, -EOPNOTSUPP},
        {HV_STATUS_INSUFFICIENT_BUFFER, -ENOBUFS},
        {HV_STATUS_INVALID_LP_INDEX, -EINVAL},
        {HV_STATUS_INVALID_REGISTER_VALUE, -EINVAL},
        {HV_STATUS_OPERATION_FAILED, -EIO},
        {HV_STATUS_TIMEOUT, -ETIMEDOUT},
        {HV_STATUS_CALL_PENDING, -EINPROGRESS},
        /* Codes the TLFS leaves unassigned or that we do not list. */
        {0x0001, -EIO},
        {0x000C, -EIO},
        {0x00FF, -EIO},
        {0xFFFF, -EIO},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        int got = winhv_status_to_errno(table[i].status);
        if (got != table[i].err)
            fail_msg("status %#x: got %d, want %d", table[i].status, got,
                     table[i].err);
    }
    /* Every status is an error except success. */
    for (unsigned s = 1; s <= 0xFFFF; s++)
        assert_true(winhv_status_to_errno((uint16_t)s) < 0);
}

/* A scripted hypervisor: returns results[i] for the i-th call and records
 * the input values it was given. */
struct script {
    const uint64_t *results;
    size_t n, calls;
    uint64_t inputs[8];
};

static uint64_t scripted(uint64_t input, uint64_t in_gpa, uint64_t out_gpa,
                         void *ctx)
{
    struct script *s = ctx;

    assert_int_equal(in_gpa, 0x1000);
    assert_int_equal(out_gpa, 0x2000);
    assert_true(s->calls < s->n);
    s->inputs[s->calls] = input;
    return s->results[s->calls++];
}

#define RESULT(status, reps) ((uint64_t)(status) | (uint64_t)(reps) << 32)
#define SCRIPT(r)                                                              \
    {                                                                          \
        (r), sizeof(r) / sizeof((r)[0]), 0,                                    \
        {                                                                      \
            0                                                                  \
        }                                                                      \
    }

static void test_rep_complete(void **state)
{
    static const uint64_t r[] = {RESULT(0, 10)};
    struct script s = SCRIPT(r);
    unsigned done = 99;

    assert_int_equal(
        winhv_hc_run(enc(3, 0, 0, 10, 0), 0x1000, 0x2000, scripted, &s, &done),
        0);
    assert_int_equal(s.calls, 1);
    assert_int_equal(done, 10);
}

static void test_rep_continuation(void **state)
{
    /* The hypervisor stops after 4, then after 9, then finishes. */
    static const uint64_t r[] = {RESULT(0, 4), RESULT(0, 9), RESULT(0, 12)};
    struct script s = SCRIPT(r);
    unsigned done = 0;
    uint64_t in = enc(3, 0, 16, 12, 0);

    assert_int_equal(winhv_hc_run(in, 0x1000, 0x2000, scripted, &s, &done), 0);
    assert_int_equal(s.calls, 3);
    assert_int_equal(done, 12);
    /* Each re-issue differs only in its rep start. */
    assert_int_equal(s.inputs[0], in);
    assert_int_equal(s.inputs[1], (in & ~HV_HC_REP_START_MASK) | 4ull << 48);
    assert_int_equal(s.inputs[2], (in & ~HV_HC_REP_START_MASK) | 9ull << 48);
}

static void test_rep_failure_midway(void **state)
{
    static const uint64_t r[] = {RESULT(0, 3),
                                 RESULT(HV_STATUS_INSUFFICIENT_MEMORY, 5)};
    struct script s = SCRIPT(r);
    unsigned done = 0;

    assert_int_equal(
        winhv_hc_run(enc(3, 0, 0, 8, 0), 0x1000, 0x2000, scripted, &s, &done),
        -ENOMEM);
    assert_int_equal(done, 5);
}

static void test_rep_broken_hypervisor(void **state)
{
    static const uint64_t stuck[] = {RESULT(0, 2), RESULT(0, 2)};
    static const uint64_t over[] = {RESULT(0, 9)};
    static const uint64_t behind[] = {RESULT(0, 1)};
    struct script a = SCRIPT(stuck), b = SCRIPT(over), c = SCRIPT(behind);
    unsigned done;

    assert_int_equal(
        winhv_hc_run(enc(3, 0, 0, 8, 0), 0x1000, 0x2000, scripted, &a, &done),
        -EPROTO);
    assert_int_equal(a.calls, 2);
    assert_int_equal(done, 2);
    assert_int_equal(
        winhv_hc_run(enc(3, 0, 0, 8, 0), 0x1000, 0x2000, scripted, &b, &done),
        -EPROTO);
    /* Starting at 3, a total of 1 is no progress. */
    assert_int_equal(
        winhv_hc_run(enc(3, 0, 0, 8, 3), 0x1000, 0x2000, scripted, &c, &done),
        -EPROTO);
    assert_int_equal(done, 3);
}

static void test_simple_call_status(void **state)
{
    /* Non-rep calls ignore the reps field and are issued once. */
    static const uint64_t r[] = {RESULT(HV_STATUS_INSUFFICIENT_BUFFERS, 7)};
    static const uint64_t ok[] = {RESULT(0, 0)};
    struct script s = SCRIPT(r), t = SCRIPT(ok);
    unsigned done = 5;

    assert_int_equal(winhv_hc_run(enc(0x5C, 0, 0, 0, 0), 0x1000, 0x2000,
                                  scripted, &s, &done),
                     -EAGAIN);
    assert_int_equal(s.calls, 1);
    assert_int_equal(done, 0);
    assert_int_equal(winhv_hc_run(enc(0x5C, 0, 0, 0, 0), 0x1000, 0x2000,
                                  scripted, &t, &done),
                     0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_fields),
        cmocka_unit_test(test_encode_rejects),
        cmocka_unit_test(test_status_mapping),
        cmocka_unit_test(test_rep_complete),
        cmocka_unit_test(test_rep_continuation),
        cmocka_unit_test(test_rep_failure_midway),
        cmocka_unit_test(test_rep_broken_hypervisor),
        cmocka_unit_test(test_simple_call_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
