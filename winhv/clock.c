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
    uint64_t ref = 0;

    if (deadline_ns != UINT64_MAX) {
        ref = winhv_ns_to_ref(&clock_base, deadline_ns);
        if (ref == 0)
            ref = 1; /* 0 would stop the timer */
    }
    /* Each write is a VM exit: idle loops re-arm the same deadline often. */
    if (ref == timer_armed)
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
    uint64_t config = HV_STIMER_AUTO_ENABLE;
    int rc;

    winhv_hw_wrmsr(HV_MSR_STIMER0_COUNT, 0);
    if (s->info.features & HV_FEATURE_STIMER_DIRECT) {
        int vec = irq_alloc_vector();
        if (vec < 0)
            return -ENOSPC;
        /* Direct mode raises a plain APIC interrupt: the kernel EOIs. */
        irq_set_handler((uint8_t)vec, timer_isr, NULL);
        config |= HV_STIMER_DIRECT | HV_STIMER_CONFIG_VECTOR(vec);
        s->timer_direct = true;
    } else {
        rc = winhv_sint_set_handler_internal(WINHV_SINT_TIMER, timer_msg, NULL);
        if (rc)
            return rc;
        config |= HV_STIMER_CONFIG_SINT(WINHV_SINT_TIMER);
    }
    winhv_hw_wrmsr(HV_MSR_STIMER0_CONFIG, config);
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
        uint64_t v =
            winhv_hw_rdmsr(HV_MSR_REFERENCE_TSC) & HV_MSR_PAGE_RSVD_MASK;
        winhv_hw_wrmsr(HV_MSR_REFERENCE_TSC,
                       v | virt_to_phys(s->tsc_page) | HV_MSR_PAGE_ENABLE);
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
