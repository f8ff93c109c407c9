/*
 * Reference clock and synthetic timer 0 as the kernel's clock source and
 * idle timer (guest only).
 */
#include <errno.h>

#include "boot/kernel.h"
#include "common/x86/cpu.h"
#include "winhv/winhv_internal.h"

static struct winhv_clock_base clock_base;
static uint64_t clock_last;  /* last value handed out, for monotonicity */
static uint64_t timer_armed; /* reference time stimer0 waits for, 0 idle */

uint64_t winhv_ref_time(void)
{
    struct winhv_state *s = &winhv_state;
    uint64_t ref;

    if (s->clock && s->tsc_page &&
        winhv_tsc_page_read(s->tsc_page, winhv_hw_rdtsc, NULL, &ref) == 0)
        return ref;
    if (s->detected && (s->info.priv_lo & HV_PRIV_TIME_REF_COUNT))
        return winhv_hw_rdmsr(HV_MSR_TIME_REF_COUNT);
    return 0;
}

bool winhv_clock_installed(void)
{
    return winhv_state.clock;
}

bool winhv_timer_installed(void)
{
    return winhv_state.timer;
}

static uint64_t clock_source(void)
{
    /* The TSC page and the counter MSR may differ by a few units when we
     * fall back from one to the other: never let the clock step back. */
    uint64_t flags = irq_save();
    uint64_t ns = winhv_ref_to_ns(&clock_base, winhv_ref_time());
    if (ns < clock_last)
        ns = clock_last;
    clock_last = ns;
    irq_restore(flags);
    return ns;
}

static void timer_arm(uint64_t deadline_ns)
{
    uint64_t ref = winhv_stimer_count(&clock_base, deadline_ns);

    /*
     * Each write is a VM exit, and waiting loops ask for a later deadline
     * on every round (an I/O loop waits with "now + 1 s" thousands of times
     * a second).  A timer still pending for the same or an earlier time is
     * kept: the wake-up it gives may come early, which idle_until() allows
     * and its callers loop over, and costs one re-arm then instead of one
     * per wait.  One whose time has passed is re-armed, in case its
     * expiry was never seen.
     */
    if (timer_armed && timer_armed <= ref && timer_armed > winhv_ref_time())
        return;
    /* One-shot with AUTO_ENABLE: a non-zero count (absolute reference
     * time; a past one fires at once) enables, zero stops. */
    winhv_hw_wrmsr(HV_MSR_STIMER0_COUNT, ref);
    timer_armed = ref;
}

static void timer_isr(struct trap_frame *tf, void *ctx)
{
    timer_armed = 0;
}

static void timer_msg(const struct hv_message *msg, void *ctx)
{
    if (msg->message_type == HV_MESSAGE_TIMER_EXPIRED)
        timer_armed = 0;
}

static int timer_enable(void)
{
    struct winhv_state *s = &winhv_state;
    bool direct = (s->info.features & HV_FEATURE_STIMER_DIRECT) != 0;
    int vec = 0;

    /* The TLFS leaves reconfiguring an enabled timer undefined: stop it. */
    winhv_hw_wrmsr(HV_MSR_STIMER0_COUNT, 0);
    if (direct) {
        vec = irq_alloc_vector();
        if (vec < 0)
            return -ENOSPC;
        /* Direct mode raises a plain APIC interrupt: the kernel EOIs. */
        irq_set_handler((uint8_t)vec, timer_isr, NULL);
        s->timer_direct = true;
    } else {
        int rc =
            winhv_sint_set_handler_internal(WINHV_SINT_TIMER, timer_msg, NULL);
        if (rc)
            return rc;
    }
    winhv_hw_wrmsr(
        HV_MSR_STIMER0_CONFIG,
        winhv_stimer_config_value(direct, (uint8_t)vec, WINHV_SINT_TIMER));
    s->timer = true;
    idle_set_timer(timer_arm);
    return 0;
}

int winhv_clock_enable(void)
{
    struct winhv_state *s = &winhv_state;

    if (!(s->info.priv_lo & HV_PRIV_TIME_REF_COUNT))
        return 0;
    if (s->tsc_page) {
        uint64_t old = winhv_hw_rdmsr(HV_MSR_REFERENCE_TSC);
        winhv_hw_wrmsr(HV_MSR_REFERENCE_TSC,
                       winhv_page_msr_value(old, virt_to_phys(s->tsc_page)));
    }
    s->clock = true;
    clock_base.ns0 = clock_now_ns();
    clock_base.ref0 = winhv_ref_time();
    clock_last = clock_base.ns0;
    clock_set_source(clock_source);

    if (s->synic && (s->info.priv_lo & HV_PRIV_SYNTIMERS))
        return timer_enable();
    return 0;
}
