/* Unit tests for SynIC delivery and synthetic timers (root/hv/synic.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "root/hv/hv.h"
#include "root/hv/vapic.h"

#define RAM_SIZE (1u << 20)
#define SIMP_GPA 0x10000u
#define SIEFP_GPA 0x11000u
#define TICKS_PER_REF 100 /* TSC 1 GHz: 100 ticks per 100 ns */

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct vcpu v;

void root_log(const char *fmt, ...)
{
    (void)fmt;
}

static struct hv_message *slot(unsigned sint)
{
    return (struct hv_message *)(ram + SIMP_GPA) + sint;
}

static bool irr(uint8_t vec)
{
    return v.apic.irr[vec / 32] & (1u << (vec % 32));
}

static void take(uint8_t vec)
{
    vapic_ack(&v, vec);
    vapic_eoi(&v);
}

static int setup(void **state)
{
    (void)state;
    memset(ram, 0, sizeof(ram));
    vcpu_init(&v, ram, RAM_SIZE, 1000000000ull, 0);
    return 0;
}

/* SynIC on, SIMP and SIEFP mapped, SINT2 -> vector 0x52. */
static int setup_on(void **state)
{
    setup(state);
    memset(ram + SIMP_GPA, 0x77, 4096); /* must be zeroed on enable */
    assert_int_equal(hv_msr_write(&v, HV_MSR_SIMP, SIMP_GPA | 1), 0);
    assert_int_equal(hv_msr_write(&v, HV_MSR_SIEFP, SIEFP_GPA | 1), 0);
    assert_int_equal(hv_msr_write(&v, HV_MSR_SINT0 + 2, 0x52), 0);
    assert_int_equal(hv_msr_write(&v, HV_MSR_SCONTROL, 1), 0);
    return 0;
}

static void test_msr_reset_values(void **state)
{
    uint64_t val;
    (void)state;
    for (unsigned i = 0; i < 16; i++) {
        hv_msr_read(&v, HV_MSR_SINT0 + i, &val);
        assert_int_equal(val, HV_SINT_MASKED);
    }
    hv_msr_read(&v, HV_MSR_SCONTROL, &val);
    assert_int_equal(val, 0);
    hv_msr_read(&v, HV_MSR_EOM, &val);
    assert_int_equal(val, 0);
}

static void test_msr_validation(void **state)
{
    (void)state;
    assert_int_equal(hv_msr_write(&v, HV_MSR_SINT0, 0x0F), -EINVAL);
    assert_int_equal(hv_msr_write(&v, HV_MSR_SINT0, HV_SINT_MASKED | 0x0F),
                     0); /* masked: any vector */
    assert_int_equal(hv_msr_write(&v, HV_MSR_SINT0, 1ull << 20 | 0x40),
                     -EINVAL);
    assert_int_equal(hv_msr_write(&v, HV_MSR_SCONTROL, 2), -EINVAL);
    assert_int_equal(hv_msr_write(&v, HV_MSR_SIMP, SIMP_GPA | 2), -EINVAL);
    assert_int_equal(hv_msr_write(&v, HV_MSR_SIMP, RAM_SIZE | 1), -EINVAL);
    assert_int_equal(hv_msr_write(&v, HV_MSR_SIEFP, (1ull << 52) | 1), -EINVAL);
    assert_int_equal(hv_msr_write(&v, HV_MSR_SIMP, RAM_SIZE), 0); /* off */
}

static void test_overlay_zeroed(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 4096; i++)
        assert_int_equal(ram[SIMP_GPA + i], 0);
    /* Rewriting the same enabled value does not wipe pending messages. */
    assert_int_equal(synic_post(&v, 2, 1, 7, "hi", 2), 0);
    hv_msr_write(&v, HV_MSR_SIMP, SIMP_GPA | 1);
    assert_int_equal(slot(2)->message_type, 1);
}

static void test_post_delivers_and_raises(void **state)
{
    (void)state;
    assert_int_equal(synic_post(&v, 2, 1, 0x1234, "hello", 5), 0);
    assert_int_equal(slot(2)->message_type, 1);
    assert_int_equal(slot(2)->payload_size, 5);
    assert_int_equal(slot(2)->sender, 0x1234);
    assert_int_equal(slot(2)->message_flags, 0);
    assert_memory_equal(slot(2)->payload, "hello", 5);
    assert_true(irr(0x52));
    assert_int_equal(vapic_pending(&v), 0x52);
}

static void test_busy_slot_pending_and_eom(void **state)
{
    (void)state;
    assert_int_equal(synic_post(&v, 2, 1, 0, "a", 1), 0);
    take(0x52);
    assert_int_equal(synic_post(&v, 2, 1, 0, "b", 1), -EBUSY);
    assert_int_equal(synic_post(&v, 2, 1, 0, "c", 1), -EBUSY);
    assert_int_equal(slot(2)->message_flags & HV_MESSAGE_FLAG_PENDING, 1);
    assert_false(irr(0x52));
    /* EOM with the slot still full changes nothing. */
    hv_msr_write(&v, HV_MSR_EOM, 0);
    assert_int_equal(slot(2)->payload[0], 'a');
    /* The child consumes: type NONE, then EOM. */
    slot(2)->message_type = HV_MESSAGE_TYPE_NONE;
    hv_msr_write(&v, HV_MSR_EOM, 0);
    assert_int_equal(slot(2)->message_type, 1);
    assert_int_equal(slot(2)->payload[0], 'b');
    /* One more is queued behind: pending set again. */
    assert_int_equal(slot(2)->message_flags & HV_MESSAGE_FLAG_PENDING, 1);
    assert_true(irr(0x52));
    take(0x52);
    slot(2)->message_type = HV_MESSAGE_TYPE_NONE;
    hv_msr_write(&v, HV_MSR_EOM, 0);
    assert_int_equal(slot(2)->payload[0], 'c');
    assert_int_equal(slot(2)->message_flags & HV_MESSAGE_FLAG_PENDING, 0);
}

static void test_order_kept_while_queued(void **state)
{
    (void)state;
    synic_post(&v, 2, 1, 0, "1", 1);
    synic_post(&v, 2, 1, 0, "2", 1);
    slot(2)->message_type = HV_MESSAGE_TYPE_NONE; /* freed, no EOM yet */
    /* A new post must not overtake the queued one. */
    assert_int_equal(synic_post(&v, 2, 1, 0, "3", 1), -EBUSY);
    hv_msr_write(&v, HV_MSR_EOM, 0);
    assert_int_equal(slot(2)->payload[0], '2');
}

static void test_queue_full(void **state)
{
    (void)state;
    synic_post(&v, 2, 1, 0, "x", 1);
    for (unsigned i = 0; i < SYNIC_QUEUE_LEN; i++)
        assert_int_equal(synic_post(&v, 2, 1, 0, "q", 1), -EBUSY);
    assert_int_equal(synic_post(&v, 2, 1, 0, "q", 1), -ENOSPC);
    assert_int_equal(v.synic.dropped, 1);
}

static void test_post_bad_args_and_disabled(void **state)
{
    uint8_t big[300] = {0};
    (void)state;
    assert_int_equal(synic_post(&v, 16, 1, 0, "x", 1), -EINVAL);
    assert_int_equal(synic_post(&v, 2, 1, 0, big, 241), -EINVAL);
    assert_int_equal(synic_post(&v, 2, 0, 0, "x", 1), -EINVAL);
    hv_msr_write(&v, HV_MSR_SCONTROL, 0);
    assert_int_equal(synic_post(&v, 2, 1, 0, "x", 1), -ENODEV);
    hv_msr_write(&v, HV_MSR_SCONTROL, 1);
    hv_msr_write(&v, HV_MSR_SIMP, 0);
    assert_int_equal(synic_post(&v, 2, 1, 0, "x", 1), -ENODEV);
}

static void test_masked_and_polled_sints(void **state)
{
    (void)state;
    hv_msr_write(&v, HV_MSR_SINT0 + 3, HV_SINT_MASKED | 0x53);
    assert_int_equal(synic_post(&v, 3, 1, 0, "m", 1), 0);
    assert_int_equal(slot(3)->message_type, 1); /* written, no interrupt */
    assert_false(irr(0x53));
    hv_msr_write(&v, HV_MSR_SINT0 + 4, HV_SINT_POLLING | 0x54);
    synic_post(&v, 4, 1, 0, "p", 1);
    assert_false(irr(0x54));
}

static void test_auto_eoi(void **state)
{
    (void)state;
    hv_msr_write(&v, HV_MSR_SINT0 + 2, HV_SINT_AUTO_EOI | 0x52);
    synic_post(&v, 2, 1, 0, "x", 1);
    vapic_ack(&v, 0x52);
    assert_int_equal(v.apic.isr[0x52 / 32], 0);
}

static void test_event_flags(void **state)
{
    (void)state;
    assert_int_equal(synic_signal_event(&v, 2, 0), 1);
    assert_true(irr(0x52));
    take(0x52);
    assert_int_equal(synic_signal_event(&v, 2, 0), 0); /* already set */
    assert_false(irr(0x52));
    assert_int_equal(synic_signal_event(&v, 2, 2047), 1);
    assert_int_equal(ram[SIEFP_GPA + 2 * 256 + 255], 0x80);
    assert_int_equal(synic_signal_event(&v, 2, 2048), -EINVAL);
    assert_int_equal(synic_signal_event(&v, 16, 0), -EINVAL);
    hv_msr_write(&v, HV_MSR_SIEFP, 0);
    assert_int_equal(synic_signal_event(&v, 2, 1), -ENODEV);
}

static uint64_t stimer_cfg(unsigned sint, bool periodic)
{
    return HV_STIMER_ENABLE | (periodic ? HV_STIMER_PERIODIC : 0) |
           ((uint64_t)sint << 16);
}

static void test_stimer_oneshot_message(void **state)
{
    (void)state;
    /* Count first (absolute expiry at ref 1000), then enable. */
    assert_int_equal(hv_msr_write(&v, HV_MSR_STIMER0_COUNT, 1000), 0);
    assert_int_equal(hv_msr_write(&v, HV_MSR_STIMER0_CONFIG, stimer_cfg(2, 0)),
                     0);
    assert_int_equal(vcpu_next_deadline(&v), 1000 * TICKS_PER_REF);
    v.now_tsc = 999 * TICKS_PER_REF;
    vcpu_poll_timers(&v);
    assert_int_equal(slot(2)->message_type, HV_MESSAGE_TYPE_NONE);
    v.now_tsc = 1001 * TICKS_PER_REF;
    vcpu_poll_timers(&v);
    assert_int_equal(slot(2)->message_type, HV_MESSAGE_TIMER_EXPIRED);
    struct hv_timer_message_payload p;
    memcpy(&p, slot(2)->payload, sizeof(p));
    assert_int_equal(p.timer_index, 0);
    assert_int_equal(p.expiration_time, 1000);
    assert_int_equal(p.delivery_time, 1001);
    assert_true(irr(0x52));
    uint64_t cfg;
    hv_msr_read(&v, HV_MSR_STIMER0_CONFIG, &cfg);
    assert_false(cfg & HV_STIMER_ENABLE); /* one-shot: disabled after */
    assert_int_equal(vcpu_next_deadline(&v), 0);
}

static void test_stimer_periodic_busy_slot(void **state)
{
    (void)state;
    hv_msr_write(&v, HV_MSR_STIMER0_CONFIG + 2, stimer_cfg(2, 1) & ~1ull);
    hv_msr_write(&v, HV_MSR_STIMER0_COUNT + 2, 2000); /* timer 1, 200 us */
    hv_msr_write(&v, HV_MSR_STIMER0_CONFIG + 2, stimer_cfg(2, 1));
    v.now_tsc = 2000 * TICKS_PER_REF;
    vcpu_poll_timers(&v);
    assert_int_equal(slot(2)->message_type, HV_MESSAGE_TIMER_EXPIRED);
    assert_int_equal(vcpu_next_deadline(&v), 4000 * TICKS_PER_REF);
    /* Second expiry while the slot is still full: pending, no loss, and
     * no deadline until the child makes room. */
    v.now_tsc = 4000 * TICKS_PER_REF;
    vcpu_poll_timers(&v);
    assert_int_equal(slot(2)->message_flags & HV_MESSAGE_FLAG_PENDING, 1);
    assert_true(v.stimer[1].msg_pending);
    assert_int_equal(vcpu_next_deadline(&v), 0);
    slot(2)->message_type = HV_MESSAGE_TYPE_NONE;
    hv_msr_write(&v, HV_MSR_EOM, 0);
    assert_int_equal(slot(2)->message_type, HV_MESSAGE_TIMER_EXPIRED);
    assert_false(v.stimer[1].msg_pending);
    struct hv_timer_message_payload p;
    memcpy(&p, slot(2)->payload, sizeof(p));
    assert_int_equal(p.timer_index, 1);
    assert_int_equal(p.expiration_time, 4000);
}

static void test_stimer_periodic_floor(void **state)
{
    (void)state;
    hv_msr_write(&v, HV_MSR_STIMER0_COUNT, 1); /* 100 ns */
    hv_msr_write(&v, HV_MSR_STIMER0_CONFIG, stimer_cfg(2, 1));
    v.now_tsc = 1 * TICKS_PER_REF;
    vcpu_poll_timers(&v);
    assert_int_equal(v.stimer[0].expiry_ref, 1 + ROOT_MIN_PERIOD_REF);
}

static void test_stimer_direct(void **state)
{
    (void)state;
    uint64_t cfg = HV_STIMER_ENABLE | HV_STIMER_DIRECT | (0x61ull << 4);
    hv_msr_write(&v, HV_MSR_STIMER0_COUNT + 6, 10);
    assert_int_equal(hv_msr_write(&v, HV_MSR_STIMER0_CONFIG + 6, cfg), 0);
    v.now_tsc = 10 * TICKS_PER_REF;
    vcpu_poll_timers(&v);
    assert_true(irr(0x61));
    assert_int_equal(slot(2)->message_type, HV_MESSAGE_TYPE_NONE);
    /* A direct timer with a vector below 16 is refused. */
    assert_int_equal(
        hv_msr_write(&v, HV_MSR_STIMER0_CONFIG,
                     HV_STIMER_ENABLE | HV_STIMER_DIRECT | (5ull << 4)),
        -EINVAL);
}

static void test_stimer_enable_rules(void **state)
{
    uint64_t cfg;
    (void)state;
    /* Message mode with SINT 0: stays disabled. */
    hv_msr_write(&v, HV_MSR_STIMER0_COUNT, 100);
    hv_msr_write(&v, HV_MSR_STIMER0_CONFIG, HV_STIMER_ENABLE);
    hv_msr_read(&v, HV_MSR_STIMER0_CONFIG, &cfg);
    assert_false(cfg & HV_STIMER_ENABLE);
    /* Auto-enable: writing a count enables it. */
    hv_msr_write(&v, HV_MSR_STIMER0_CONFIG,
                 HV_STIMER_AUTO_ENABLE | (2ull << 16));
    hv_msr_write(&v, HV_MSR_STIMER0_COUNT, 100);
    hv_msr_read(&v, HV_MSR_STIMER0_CONFIG, &cfg);
    assert_true(cfg & HV_STIMER_ENABLE);
    assert_int_not_equal(vcpu_next_deadline(&v), 0);
    /* Count 0 disables. */
    hv_msr_write(&v, HV_MSR_STIMER0_COUNT, 0);
    hv_msr_read(&v, HV_MSR_STIMER0_CONFIG, &cfg);
    assert_false(cfg & HV_STIMER_ENABLE);
    assert_int_equal(vcpu_next_deadline(&v), 0);
    /* Reserved config bits. */
    assert_int_equal(hv_msr_write(&v, HV_MSR_STIMER0_CONFIG, 1ull << 40),
                     -EINVAL);
}

static int eoms;
static void count_eom(void *ctx, struct vcpu *vc)
{
    (void)ctx, (void)vc;
    eoms++;
}

static void test_post_try_never_queues(void **state)
{
    (void)state;
    eoms = 0;
    v.eom_hook = count_eom;
    assert_int_equal(synic_post_try(&v, 2, 1, 0, "a", 1), 0);
    assert_true(irr(0x52));
    take(0x52);
    assert_int_equal(synic_post_try(&v, 2, 1, 0, "b", 1), -EBUSY);
    assert_int_equal(slot(2)->message_flags & HV_MESSAGE_FLAG_PENDING, 1);
    assert_int_equal(v.synic.q_len[2], 0);
    slot(2)->message_type = HV_MESSAGE_TYPE_NONE;
    hv_msr_write(&v, HV_MSR_EOM, 0);
    assert_int_equal(eoms, 1);
    assert_int_equal(slot(2)->message_type, HV_MESSAGE_TYPE_NONE);
    /* Behind the root's own queue it waits too. */
    synic_post(&v, 2, 1, 0, "c", 1);
    synic_post(&v, 2, 1, 0, "d", 1);
    slot(2)->message_type = HV_MESSAGE_TYPE_NONE;
    assert_int_equal(synic_post_try(&v, 2, 1, 0, "e", 1), -EBUSY);
    assert_int_equal(synic_post_try(&v, 16, 1, 0, "e", 1), -EINVAL);
    hv_msr_write(&v, HV_MSR_SIMP, 0);
    assert_int_equal(synic_post_try(&v, 3, 1, 0, "e", 1), -ENODEV);
}

static void test_flag_without_interrupt(void **state)
{
    (void)state;
    assert_int_equal(synic_set_event_flag(&v, 2, 5), 1);
    assert_int_equal(synic_set_event_flag(&v, 2, 5), 0);
    assert_false(irr(0x52));
    synic_raise_sint(&v, 2);
    assert_true(irr(0x52));
    synic_raise_sint(&v, 99); /* ignored */
    assert_int_equal(synic_set_event_flag(&v, 2, 4096), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_msr_reset_values, setup),
        cmocka_unit_test_setup(test_msr_validation, setup),
        cmocka_unit_test_setup(test_overlay_zeroed, setup_on),
        cmocka_unit_test_setup(test_post_delivers_and_raises, setup_on),
        cmocka_unit_test_setup(test_busy_slot_pending_and_eom, setup_on),
        cmocka_unit_test_setup(test_order_kept_while_queued, setup_on),
        cmocka_unit_test_setup(test_queue_full, setup_on),
        cmocka_unit_test_setup(test_post_bad_args_and_disabled, setup_on),
        cmocka_unit_test_setup(test_masked_and_polled_sints, setup_on),
        cmocka_unit_test_setup(test_auto_eoi, setup_on),
        cmocka_unit_test_setup(test_event_flags, setup_on),
        cmocka_unit_test_setup(test_stimer_oneshot_message, setup_on),
        cmocka_unit_test_setup(test_stimer_periodic_busy_slot, setup_on),
        cmocka_unit_test_setup(test_stimer_periodic_floor, setup_on),
        cmocka_unit_test_setup(test_stimer_direct, setup_on),
        cmocka_unit_test_setup(test_stimer_enable_rules, setup_on),
        cmocka_unit_test_setup(test_post_try_never_queues, setup_on),
        cmocka_unit_test_setup(test_flag_without_interrupt, setup_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
