/*
 * EOI assist (TLFS "EOI Assist", "Virtual Processor Assist Page"): the
 * hypervisor marks an interrupt it delivers "no EOI required" in the VP
 * assist page when ending it can wait; the kernel's EOI then costs no exit.
 * Otherwise the EOI goes through the synthetic EOI MSR, which the same
 * recommendation prefers to the xAPIC page (guest only).
 */
#include "boot/kernel.h"
#include "winhv/winhv_internal.h"

static void eoi_assisted(void)
{
    if (winhv_eoi_skip(&winhv_state.vp_assist->apic_assist))
        return;
    winhv_hw_wrmsr(HV_MSR_EOI, 0);
}

void winhv_eoi_enable(void)
{
    struct winhv_state *s = &winhv_state;
    if (!s->vp_assist)
        return;
    /* The page is zeroed: no stale mark can make us skip a needed EOI. */
    winhv_hw_wrmsr(HV_MSR_VP_ASSIST_PAGE,
                   winhv_page_msr_value(winhv_hw_rdmsr(HV_MSR_VP_ASSIST_PAGE),
                                        virt_to_phys(s->vp_assist)));
    apic_set_eoi(eoi_assisted);
}
