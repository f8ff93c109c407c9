/*
 * Crash reporting through the guest crash MSRs (guest only): the root, or
 * Hyper-V's event log, records why the partition died.
 */
#include <string.h>

#include "boot/kernel.h"
#include "winhv/winhv_internal.h"

static void crash_hook(const char *reason, uint64_t rip)
{
    struct winhv_state *s = &winhv_state;
    uint64_t ctl = HV_CRASH_CTL_NOTIFY;
    uint64_t msg_gpa = 0, msg_len = 0;

    /* The message page was allocated at init: panic must not allocate. */
    if (s->crash_msg_page && reason) {
        size_t n = strnlen(reason, HV_PAGE_SIZE - 1);
        memcpy(s->crash_msg_page, reason, n);
        ((char *)s->crash_msg_page)[n] = '\0';
        msg_gpa = virt_to_phys(s->crash_msg_page);
        msg_len = n;
        ctl |= HV_CRASH_CTL_CRASH_MESSAGE;
    }
    winhv_hw_wrmsr(HV_MSR_CRASH_P0 + 0, WINHV_CRASH_CODE);
    winhv_hw_wrmsr(HV_MSR_CRASH_P0 + 1, rip);
    winhv_hw_wrmsr(HV_MSR_CRASH_P0 + 2, WINHV_GUEST_OS_ID);
    winhv_hw_wrmsr(HV_MSR_CRASH_P0 + 3, msg_gpa);
    winhv_hw_wrmsr(HV_MSR_CRASH_P0 + 4, msg_len);
    /* CTL last: the hypervisor logs P0..P4 when NOTIFY is written. */
    winhv_hw_wrmsr(HV_MSR_CRASH_CTL, ctl);
}

void winhv_crash_enable(void)
{
    struct winhv_state *s = &winhv_state;

    if (!(s->info.features & HV_FEATURE_GUEST_CRASH_MSRS))
        return;
    s->crash = true;
    panic_set_hook(crash_hook);
}
