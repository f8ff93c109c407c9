/*
 * SynIC message slot release (end-of-message rule) and event flag scanning
 * of winhv/synic_msg.c, on plain memory standing in for SIMP and SIEFP.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "winhv/winhv_internal.h"

static void fill(struct hv_message *m, uint32_t type, uint8_t size,
                 uint8_t flags)
{
    memset(m, 0, sizeof(*m));
    m->message_type = type;
    m->payload_size = size;
    m->message_flags = flags;
    m->sender = 0x1122334455667788ull;
    for (unsigned i = 0; i < size && i < HV_MESSAGE_PAYLOAD_BYTES; i++)
        m->payload[i] = (uint8_t)(i * 3 + 1);
}

static void test_empty_slot(void **state)
{
    struct hv_message slot, copy;
    bool eom = true;

    fill(&slot, HV_MESSAGE_TYPE_NONE, 0, HV_MESSAGE_FLAG_PENDING);
    memset(&copy, 0x5A, sizeof(copy));
    assert_int_equal(winhv_msg_take(&slot, &copy, &eom), 0);
    assert_false(eom);
    /* Nothing changed; a pending flag alone does not ask for an EOM. */
    assert_int_equal(slot.message_flags, HV_MESSAGE_FLAG_PENDING);
}

static void test_take_without_pending(void **state)
{
    struct hv_message slot, want, copy;
    bool eom = true;

    fill(&slot, HV_MESSAGE_TYPE_VMBUS, 48, 0);
    want = slot;
    assert_int_equal(winhv_msg_take(&slot, &copy, &eom), 1);
    assert_false(eom);
    assert_memory_equal(&copy, &want, sizeof(copy));
    assert_int_equal(slot.message_type, HV_MESSAGE_TYPE_NONE);
}

static void test_take_with_pending(void **state)
{
    struct hv_message slot, copy;
    bool eom = false;

    fill(&slot, HV_MESSAGE_TIMER_EXPIRED, 24, HV_MESSAGE_FLAG_PENDING);
    assert_int_equal(winhv_msg_take(&slot, &copy, &eom), 1);
    assert_true(eom);
    assert_int_equal(copy.message_type, HV_MESSAGE_TIMER_EXPIRED);
    assert_int_equal(copy.payload_size, 24);
    assert_int_equal(copy.sender, 0x1122334455667788ull);
    assert_int_equal(slot.message_type, HV_MESSAGE_TYPE_NONE);
}

static void test_oversized_payload(void **state)
{
    struct hv_message slot, copy;
    bool eom = false;

    fill(&slot, HV_MESSAGE_TYPE_VMBUS, 241, HV_MESSAGE_FLAG_PENDING);
    assert_int_equal(winhv_msg_take(&slot, &copy, &eom), -EPROTO);
    assert_int_equal(copy.payload_size, HV_MESSAGE_PAYLOAD_BYTES);
    /* Released all the same, so the queue behind it keeps moving. */
    assert_int_equal(slot.message_type, HV_MESSAGE_TYPE_NONE);
    assert_true(eom);

    fill(&slot, HV_MESSAGE_TYPE_VMBUS, 240, 0);
    assert_int_equal(winhv_msg_take(&slot, &copy, &eom), 1);
}

struct seen {
    unsigned flags[64];
    unsigned n;
    uint64_t *words; /* to re-set a flag from the callback */
    unsigned reset;  /* flag to set again, or ~0u */
};

static void record(unsigned flag, void *ctx)
{
    struct seen *s = ctx;

    assert_true(s->n < 64);
    s->flags[s->n++] = flag;
    if (flag == s->reset)
        s->words[flag / 64] |= 1ull << (flag % 64);
}

static void set_flag(uint64_t *w, unsigned f)
{
    w[f / 64] |= 1ull << (f % 64);
}

static void test_event_scan_all(void **state)
{
    uint64_t w[HV_EVENT_FLAGS_BYTES / 8];
    static const unsigned want[] = {0, 5, 63, 64, 130, 2047};
    struct seen s = {{0}, 0, w, ~0u};

    memset(w, 0, sizeof(w));
    for (unsigned i = 0; i < 6; i++)
        set_flag(w, want[i]);
    assert_int_equal(winhv_event_scan(w, HV_EVENT_FLAGS_COUNT, record, &s), 6);
    assert_int_equal(s.n, 6);
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(s.flags[i], want[i]);
    for (unsigned i = 0; i < HV_EVENT_FLAGS_BYTES / 8; i++)
        assert_int_equal(w[i], 0);
    /* A second scan finds nothing. */
    assert_int_equal(winhv_event_scan(w, HV_EVENT_FLAGS_COUNT, record, &s), 0);
}

static void test_event_scan_limit(void **state)
{
    uint64_t w[HV_EVENT_FLAGS_BYTES / 8];
    struct seen s = {{0}, 0, w, ~0u};

    memset(w, 0, sizeof(w));
    set_flag(w, 3);
    set_flag(w, 99);
    set_flag(w, 100);
    set_flag(w, 127);
    assert_int_equal(winhv_event_scan(w, 100, record, &s), 2);
    assert_int_equal(s.flags[0], 3);
    assert_int_equal(s.flags[1], 99);
    /* Flags at or above the limit belong to someone else: untouched. */
    assert_int_equal(w[1], 1ull << 36 | 1ull << 63);
    /* A limit above the area is capped, not overrun (ASan watches). */
    s.n = 0;
    assert_int_equal(winhv_event_scan(w, 100000, record, &s), 2);
}

static void test_event_set_during_callback(void **state)
{
    uint64_t w[HV_EVENT_FLAGS_BYTES / 8];
    struct seen s = {{0}, 0, w, 70};

    memset(w, 0, sizeof(w));
    set_flag(w, 70);
    assert_int_equal(winhv_event_scan(w, HV_EVENT_FLAGS_COUNT, record, &s), 1);
    /* Cleared before the callback, so the new signal is kept. */
    assert_int_equal(w[1], 1ull << 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_slot),
        cmocka_unit_test(test_take_without_pending),
        cmocka_unit_test(test_take_with_pending),
        cmocka_unit_test(test_oversized_payload),
        cmocka_unit_test(test_event_scan_all),
        cmocka_unit_test(test_event_scan_limit),
        cmocka_unit_test(test_event_set_during_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
