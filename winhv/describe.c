/*
 * winhv_describe(): the hypervisor description, one fact per line (guest
 * only; the hvinfo appliance and the e2e tests read it).
 */
#include "boot/kernel.h"
#include "winhv/winhv_internal.h"

struct bit_name {
    uint32_t bit;
    const char *name;
};

static const struct bit_name priv_lo_names[] = {
    {HV_PRIV_VP_RUNTIME, "vp-runtime"},
    {HV_PRIV_TIME_REF_COUNT, "ref-counter"},
    {HV_PRIV_SYNIC, "synic"},
    {HV_PRIV_SYNTIMERS, "stimer"},
    {HV_PRIV_APIC_ACCESS, "apic-msrs"},
    {HV_PRIV_HYPERCALL, "hypercall"},
    {HV_PRIV_VP_INDEX, "vp-index"},
    {HV_PRIV_RESET, "reset"},
    {HV_PRIV_STATS, "stats"},
    {HV_PRIV_REFERENCE_TSC, "ref-tsc"},
    {HV_PRIV_GUEST_IDLE, "guest-idle"},
    {HV_PRIV_FREQUENCY, "frequency-msrs"},
    {HV_PRIV_DEBUG, "debug-msrs"},
    {HV_PRIV_REENLIGHTENMENT, "reenlightenment"},
};

static const struct bit_name priv_hi_names[] = {
    {HV_PRIV_CREATE_PARTITIONS, "create-partitions"},
    {HV_PRIV_ACCESS_PARTITION_ID, "partition-id"},
    {HV_PRIV_ACCESS_MEMORY_POOL, "memory-pool"},
    {HV_PRIV_POST_MESSAGES, "post-messages"},
    {HV_PRIV_SIGNAL_EVENTS, "signal-events"},
    {HV_PRIV_CREATE_PORT, "create-port"},
    {HV_PRIV_CONNECT_PORT, "connect-port"},
    {HV_PRIV_ACCESS_STATS, "stats"},
    {HV_PRIV_DEBUGGING, "debugging"},
    {HV_PRIV_CPU_MANAGEMENT, "cpu-management"},
    {HV_PRIV_EXTENDED_HYPERCALLS, "extended-hypercalls"},
    {HV_PRIV_ISOLATION, "isolation"},
};

static const struct bit_name feature_names[] = {
    {HV_FEATURE_MWAIT, "mwait"},
    {HV_FEATURE_GUEST_DEBUGGING, "guest-debugging"},
    {HV_FEATURE_PERF_MONITOR, "perf-monitor"},
    {HV_FEATURE_CPU_DYNAMIC_PARTITIONING, "cpu-dynamic-partitioning"},
    {HV_FEATURE_XMM_HYPERCALL_INPUT, "xmm-input"},
    {HV_FEATURE_GUEST_IDLE_STATE, "guest-idle"},
    {HV_FEATURE_HYPERVISOR_SLEEP_STATE, "sleep-state"},
    {HV_FEATURE_NUMA_DISTANCE_QUERY, "numa-distance"},
    {HV_FEATURE_FREQUENCY_MSRS, "frequency-msrs"},
    {HV_FEATURE_SYNTHETIC_MCE, "synthetic-mce"},
    {HV_FEATURE_GUEST_CRASH_MSRS, "crash-msrs"},
    {HV_FEATURE_DEBUG_MSRS, "debug-msrs"},
    {HV_FEATURE_DISABLE_HYPERVISOR, "disable-hypervisor"},
    {HV_FEATURE_EXT_GVA_RANGES_FLUSH, "ext-gva-ranges"},
    {HV_FEATURE_XMM_HYPERCALL_OUTPUT, "xmm-output"},
    {HV_FEATURE_SINT_POLLING, "sint-polling"},
    {HV_FEATURE_HYPERCALL_MSR_LOCK, "hypercall-msr-lock"},
    {HV_FEATURE_STIMER_DIRECT, "stimer-direct"},
    {HV_FEATURE_WATCHDOG_TIMER, "watchdog"},
};

static const struct bit_name hint_names[] = {
    {HV_HINT_HYPERCALL_SWITCH, "hypercall-as-switch"},
    {HV_HINT_LOCAL_TLB_FLUSH, "hypercall-local-flush"},
    {HV_HINT_REMOTE_TLB_FLUSH, "hypercall-remote-flush"},
    {HV_HINT_MSR_APIC_ACCESS, "apic-msrs"},
    {HV_HINT_MSR_RESET, "reset-msr"},
    {HV_HINT_RELAXED_TIMING, "relaxed-timing"},
    {HV_HINT_X2APIC_MSRS, "x2apic-msrs"},
    {HV_HINT_DEPRECATE_AUTO_EOI, "deprecate-auto-eoi"},
    {HV_HINT_SYNTHETIC_CLUSTER_IPI, "cluster-ipi"},
    {HV_HINT_EX_PROCESSOR_MASKS, "ex-processor-masks"},
    {HV_HINT_NESTED, "nested"},
};

static void print_bits(const char *what, uint32_t v, const struct bit_name *t,
                       size_t n)
{
    kprintf("winhv: %s 0x%08x:", what, (unsigned)v);
    for (size_t i = 0; i < n; i++)
        if (v & t[i].bit)
            kprintf(" %s", t[i].name);
    kprintf("\n");
}

#define PRINT_BITS(what, v, t)                                                 \
    print_bits(what, v, t, sizeof(t) / sizeof((t)[0]))

void winhv_describe(void)
{
    const struct winhv_state *s = &winhv_state;
    const struct winhv_info *i = &s->info;

    if (!s->detected) {
        kprintf("winhv: no Hyper-V interface\n");
        return;
    }
    kprintf("winhv: vendor \"%s\"%s, max leaf 0x%x\n", i->vendor,
            i->vendor_is_ms ? "" : " (not Microsoft)", (unsigned)i->max_leaf);
    kprintf("winhv: interface Hv#1\n");
    kprintf("winhv: version %u.%u build %u, service pack %u, branch %u, "
            "number %u\n",
            (unsigned)i->major, (unsigned)i->minor, (unsigned)i->build,
            (unsigned)i->service_pack, (unsigned)i->service_branch,
            (unsigned)i->service_number);
    PRINT_BITS("privileges", i->priv_lo, priv_lo_names);
    PRINT_BITS("partition privileges", i->priv_hi, priv_hi_names);
    PRINT_BITS("features", i->features, feature_names);
    PRINT_BITS("recommendations", i->hints, hint_names);
    if (i->spin_retries == HV_HINT_SPIN_NEVER)
        kprintf("winhv: spin-wait notification never\n");
    else
        kprintf("winhv: spin-wait notification after %u retries\n",
                (unsigned)i->spin_retries);
    kprintf("winhv: limits %u VPs, %u LPs, %u interrupt mappings, "
            "%u PA bits\n",
            (unsigned)i->max_vps, (unsigned)i->max_lps,
            (unsigned)i->max_irq_mappings, (unsigned)i->pa_bits);
    kprintf("winhv: enabled hypercalls %s, synic %s (auto-eoi %s), "
            "clock %s, timer %s, crash msrs %s, eoi assist %s\n",
            s->ready ? "yes" : "no", s->synic ? "yes" : "no",
            s->synic ? (s->auto_eoi ? "yes" : "no") : "-",
            s->clock ? (s->tsc_page ? "tsc-page" : "ref-counter") : "no",
            s->timer ? (s->timer_direct ? "stimer0-direct" : "stimer0-message")
                     : "no",
            s->crash ? (s->crash_msg_page ? "yes+message" : "yes") : "no",
            s->vp_assist ? "yes" : "no");
}
