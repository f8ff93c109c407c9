/*
 * Values WinHv writes to the synthetic MSRs, computed from what it read
 * back: reserved bits are RsvdP in the TLFS (preserve on write), so every
 * builder takes the old value.  Pure.
 */
#include "winhv/winhv_internal.h"

bool winhv_eoi_assist_offered(const struct winhv_info *info)
{
    return (info->priv_lo & HV_PRIV_APIC_ACCESS) &&
           (info->hints & HV_HINT_MSR_APIC_ACCESS);
}

bool winhv_eoi_skip(uint32_t *apic_assist)
{
    /* One atomic swap (the TLFS's own sequence): with a separate read and
     * clear, a mark taken back in between (an exit, another interrupt)
     * would still be acted on and the EOI lost. */
    return __atomic_exchange_n(apic_assist, 0, __ATOMIC_SEQ_CST) &
           HV_APIC_ASSIST_NO_EOI;
}

uint64_t winhv_page_msr_value(uint64_t old, uint64_t gpa)
{
    return (old & HV_MSR_PAGE_RSVD_MASK) | (gpa & HV_MSR_PAGE_GPA_MASK) |
           HV_MSR_PAGE_ENABLE;
}

uint64_t winhv_hypercall_msr_value(uint64_t old, uint64_t gpa)
{
    /* Never set Locked: a later kernel (kexec, crash kernel) must be able
     * to move the page. */
    return (old & HV_MSR_PAGE_RSVD_MASK & ~HV_HYPERCALL_LOCKED) |
           (gpa & HV_MSR_PAGE_GPA_MASK) | HV_HYPERCALL_ENABLE;
}

uint64_t winhv_sint_value(uint64_t old, uint8_t vector, bool unmasked,
                          bool auto_eoi)
{
    uint64_t v = old & ~HV_SINT_FIELDS_MASK;

    if (!unmasked)
        return v | HV_SINT_MASKED;
    v |= HV_SINT_VECTOR(vector);
    if (auto_eoi)
        v |= HV_SINT_AUTO_EOI;
    return v;
}

uint64_t winhv_stimer_config_value(bool direct, uint8_t vector, unsigned sint)
{
    uint64_t v = HV_STIMER_AUTO_ENABLE;

    if (direct)
        return v | HV_STIMER_DIRECT | HV_STIMER_CONFIG_VECTOR(vector);
    return v | HV_STIMER_CONFIG_SINT(sint);
}

uint64_t winhv_stimer_count(const struct winhv_clock_base *b,
                            uint64_t deadline_ns)
{
    if (deadline_ns == UINT64_MAX)
        return 0;
    uint64_t ref = winhv_ns_to_ref(b, deadline_ns);
    return ref ? ref : 1; /* 0 would stop the timer */
}
