/*
 * SynIC: message and event-flag pages, SINT programming and dispatch
 * (guest only).
 */
#include <errno.h>
#include <stdint.h>

#include "boot/kernel.h"
#include "common/x86/cpu.h"
#include "winhv/winhv_internal.h"

/* Messages handled per interrupt before we let the next interrupt (raised
 * again by the EOM) pick up the rest. */
#define SINT_MSG_BATCH 8u

static void enable_page(uint32_t msr, const void *page)
{
    winhv_hw_wrmsr(
        msr, winhv_page_msr_value(winhv_hw_rdmsr(msr), virt_to_phys(page)));
}

int winhv_synic_enable(void)
{
    struct winhv_state *s = &winhv_state;

    s->auto_eoi = !(s->info.hints & HV_HINT_DEPRECATE_AUTO_EOI);
    enable_page(HV_MSR_SIMP, s->simp);
    enable_page(HV_MSR_SIEFP, s->siefp);
    /* A previous kernel (or firmware) may have left SINTs unmasked on
     * vectors that mean nothing to us. */
    for (unsigned i = 0; i < HV_SINT_COUNT; i++) {
        uint64_t v = winhv_hw_rdmsr(HV_MSR_SINT0 + i);
        if (!(v & HV_SINT_MASKED))
            winhv_hw_wrmsr(HV_MSR_SINT0 + i,
                           winhv_sint_value(v, 0, false, false));
    }
    winhv_hw_wrmsr(HV_MSR_SCONTROL,
                   winhv_hw_rdmsr(HV_MSR_SCONTROL) | HV_SCONTROL_ENABLE);
    s->synic = true;
    return 0;
}

static unsigned sint_service(unsigned sint)
{
    struct winhv_state *s = &winhv_state;
    struct winhv_sint_slot *slot = &s->sints[sint];
    unsigned n = 0;

    /* Events first: a channel's ring is usually what the SINT is for, the
     * message slot carries the rarer control traffic. */
    if (slot->event_fn)
        n += winhv_event_scan(s->siefp->sint_flags[sint], slot->nflags,
                              slot->event_fn, slot->event_ctx);

    for (unsigned i = 0; i < SINT_MSG_BATCH; i++) {
        struct hv_message copy;
        bool eom;
        int rc = winhv_msg_take(&s->simp->sint_message[sint], &copy, &eom);
        if (rc == 0)
            break;
        if (eom)
            winhv_hw_wrmsr(HV_MSR_EOM, 0);
        n++;
        if (rc < 0) {
            kprintf("winhv: SINT%u: message type 0x%x with payload size "
                    "above 240 dropped\n",
                    sint, (unsigned)copy.message_type);
            continue;
        }
        if (slot->msg_fn)
            slot->msg_fn(&copy, slot->msg_ctx);
    }
    return n;
}

static void sint_isr(struct trap_frame *tf, void *ctx)
{
    unsigned sint = (unsigned)(uintptr_t)ctx;

    /* Deferred: the wake-up from HLT is all the owner needs; what arrived
     * stays in the slots for its poll. */
    if (!winhv_state.sints[sint].deferred)
        sint_service(sint);
}

/* Unmasks the SINT on its vector while any handler is set, masks it when
 * none is left; writes the MSR only when the value changes. */
static void sint_program(unsigned sint)
{
    struct winhv_state *s = &winhv_state;
    struct winhv_sint_slot *slot = &s->sints[sint];
    uint64_t old = winhv_hw_rdmsr(HV_MSR_SINT0 + sint);
    uint64_t v = winhv_sint_value(old, slot->vector,
                                  slot->msg_fn || slot->event_fn, s->auto_eoi);

    if (v != old)
        winhv_hw_wrmsr(HV_MSR_SINT0 + sint, v);
}

static int sint_vector(unsigned sint)
{
    struct winhv_sint_slot *slot = &winhv_state.sints[sint];

    if (slot->vector)
        return 0;
    int v = irq_alloc_vector();
    if (v < 0)
        return -ENOSPC;
    ASSERT(v >= (int)HV_SINT_VECTOR_MIN && v <= 0xFF);
    slot->vector = (uint8_t)v;
    /* With AutoEOI the SynIC completes the interrupt itself; an extra
     * APIC EOI would retire some other in-service vector. */
    if (winhv_state.auto_eoi)
        irq_set_handler_noeoi(slot->vector, sint_isr, (void *)(uintptr_t)sint);
    else
        irq_set_handler(slot->vector, sint_isr, (void *)(uintptr_t)sint);
    return 0;
}

static int sint_check(unsigned sint)
{
    if (sint >= HV_SINT_COUNT)
        return -EINVAL;
    if (!winhv_state.synic)
        return -ENODEV;
    return 0;
}

/* The timer SINT belongs to WinHv while stimer0 runs in message mode. */
static bool sint_reserved(unsigned sint)
{
    return sint == WINHV_SINT_TIMER && winhv_state.timer &&
           !winhv_state.timer_direct;
}

int winhv_sint_set_handler_internal(unsigned sint, winhv_msg_fn fn, void *ctx)
{
    int rc = sint_check(sint);

    if (rc)
        return rc;
    struct winhv_sint_slot *slot = &winhv_state.sints[sint];
    if (fn) {
        rc = sint_vector(sint);
        if (rc)
            return rc;
    }
    uint64_t flags = irq_save();
    slot->msg_fn = fn;
    slot->msg_ctx = ctx;
    sint_program(sint);
    irq_restore(flags);
    return 0;
}

int winhv_sint_set_handler(unsigned sint, winhv_msg_fn fn, void *ctx)
{
    if (sint_reserved(sint))
        return -EINVAL;
    return winhv_sint_set_handler_internal(sint, fn, ctx);
}

int winhv_sint_set_event_handler(unsigned sint, unsigned nflags,
                                 winhv_event_fn fn, void *ctx)
{
    int rc = sint_check(sint);

    if (rc)
        return rc;
    struct winhv_sint_slot *slot = &winhv_state.sints[sint];
    if (sint_reserved(sint))
        return -EINVAL;
    if (fn && (nflags == 0 || nflags > HV_EVENT_FLAGS_COUNT))
        return -EINVAL;
    if (fn) {
        rc = sint_vector(sint);
        if (rc)
            return rc;
    }
    uint64_t flags = irq_save();
    slot->event_fn = fn;
    slot->event_ctx = ctx;
    slot->nflags = fn ? nflags : 0;
    sint_program(sint);
    irq_restore(flags);
    return 0;
}

int winhv_sint_poll(unsigned sint)
{
    int rc = sint_check(sint);

    if (rc)
        return rc;
    uint64_t flags = irq_save();
    unsigned n = sint_service(sint);
    irq_restore(flags);
    return (int)n;
}

int winhv_sint_set_deferred(unsigned sint, bool deferred)
{
    int rc = sint_check(sint);

    if (rc)
        return rc;
    if (sint_reserved(sint))
        return -EINVAL;
    winhv_state.sints[sint].deferred = deferred;
    return 0;
}

uint64_t *winhv_sint_event_flags(unsigned sint)
{
    if (sint_check(sint))
        return NULL;
    return (uint64_t *)(void *)winhv_state.siefp->sint_flags[sint];
}
