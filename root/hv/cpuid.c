/*
 * CPUID for the child.  Base and extended leaves come from the host with
 * what the root does not virtualize hidden (LINUX-CHILD.md: SVM, MONITOR,
 * XSAVE, MCE/MCA, PCID/INVPCID, TSC_ADJUST, LA57, RDTSCP, SEV); the
 * hypervisor leaves 0x40000000-0x4000000A describe exactly what root/hv
 * implements.
 */
#include <string.h>

#include "root/hv/hv.h"

/* CPUID.1 */
#define C1_ECX_MONITOR (1u << 3)
#define C1_ECX_VMX (1u << 5)
#define C1_ECX_PCID (1u << 17)
#define C1_ECX_X2APIC (1u << 21)
#define C1_ECX_TSC_DEADLINE (1u << 24)
#define C1_ECX_XSAVE (1u << 26)
#define C1_ECX_OSXSAVE (1u << 27)
#define C1_ECX_AVX (1u << 28)
#define C1_ECX_HYPERVISOR (1u << 31)
#define C1_EDX_MCE (1u << 7)
#define C1_EDX_APIC (1u << 9)
#define C1_EDX_MCA (1u << 14)
/* CPUID.7.0 */
#define C7_EBX_TSC_ADJUST (1u << 1)
#define C7_EBX_AVX2 (1u << 5)
#define C7_EBX_INVPCID (1u << 10)
#define C7_ECX_LA57 (1u << 16)
/* CPUID.0x80000001 */
#define E1_ECX_SVM (1u << 2)
#define E1_ECX_MWAITX (1u << 29)
#define E1_EDX_RDTSCP (1u << 27)
#define E1_EDX_PDPE1GB (1u << 26)

/*
 * Family 0x17 model 1 stepping 2: Linux takes its ordinary AMD paths for
 * it (family 0xF, what qemu64 says, leads it to the E400 idle quirk).
 */
#define ROOT_CPUID_SIGNATURE 0x00800F12u

/* TLFS 2.4.3: 0x40000003, what the child may use. */
#define ROOT_HV_PRIV_EAX                                                       \
    (HV_PRIV_TIME_REF_COUNT | HV_PRIV_SYNIC | HV_PRIV_SYNTIMERS |              \
     HV_PRIV_APIC_ACCESS | HV_PRIV_HYPERCALL | HV_PRIV_VP_INDEX |              \
     HV_PRIV_REFERENCE_TSC | HV_PRIV_FREQUENCY | (1u << 15))
#define ROOT_HV_PRIV_EBX (HV_PRIV_POST_MESSAGES | HV_PRIV_SIGNAL_EVENTS)
#define ROOT_HV_FEATURES_EDX                                                   \
    (HV_FEATURE_FREQUENCY_MSRS | HV_FEATURE_GUEST_CRASH_MSRS |                 \
     HV_FEATURE_STIMER_DIRECT)
/* 0x40000004 EAX: recommendations. */
#define ROOT_HV_HINTS_EAX                                                      \
    (HV_HINT_MSR_APIC_ACCESS | HV_HINT_RELAXED_TIMING |                        \
     HV_HINT_DEPRECATE_AUTO_EOI)

static void host(struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    memset(out, 0, 4 * sizeof(uint32_t));
    if (v->host_cpuid)
        v->host_cpuid(leaf, sub, out);
}

static void hv_leaf(uint32_t leaf, uint32_t out[4])
{
    switch (leaf) {
    case HV_CPUID_VENDOR_AND_MAX:
        out[0] = ROOT_HV_MAX_LEAF;
        out[1] = HV_CPUID_VENDOR_EBX;
        out[2] = HV_CPUID_VENDOR_ECX;
        out[3] = HV_CPUID_VENDOR_EDX;
        break;
    case HV_CPUID_INTERFACE:
        out[0] = HV_CPUID_INTERFACE_HV1;
        break;
    case HV_CPUID_VERSION:
        /* Build, major.minor, service pack, branch/number: WS2016-like. */
        out[0] = 14393;
        out[1] = (10u << 16) | 0;
        break;
    case HV_CPUID_FEATURES:
        out[0] = ROOT_HV_PRIV_EAX;
        out[1] = ROOT_HV_PRIV_EBX;
        out[3] = ROOT_HV_FEATURES_EDX;
        break;
    case HV_CPUID_ENLIGHTENMENT_INFO:
        out[0] = ROOT_HV_HINTS_EAX;
        out[1] = 0xFFFFFFFFu; /* spinlock retries: never notify */
        break;
    case HV_CPUID_IMPLEMENTATION_LIMITS:
        out[0] = 1; /* virtual processors */
        out[1] = 1; /* logical processors */
        break;
    default:
        break; /* 0x40000006-0x4000000A: no hardware features, no nesting */
    }
}

void hv_cpuid(struct vcpu *v, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    memset(out, 0, 4 * sizeof(uint32_t));
    if (leaf >= 0x40000000u && leaf <= 0x4FFFFFFFu) {
        if (leaf <= ROOT_HV_MAX_LEAF)
            hv_leaf(leaf, out);
        return;
    }
    uint32_t max[4];
    host(v, leaf & 0x80000000u, 0, max);
    if (leaf > max[0])
        return; /* out of range: zeros, not the highest leaf */
    host(v, leaf, subleaf, out);
    switch (leaf) {
    case 0:
        if (out[0] > 0xD)
            out[0] = 0xD;
        break;
    case 1:
        out[0] = ROOT_CPUID_SIGNATURE;
        out[1] &= 0x00FFFFFFu; /* initial APIC id 0 */
        out[2] &= ~(C1_ECX_MONITOR | C1_ECX_VMX | C1_ECX_PCID | C1_ECX_XSAVE |
                    C1_ECX_OSXSAVE | C1_ECX_AVX);
        out[2] |= C1_ECX_HYPERVISOR | C1_ECX_X2APIC | C1_ECX_TSC_DEADLINE;
        out[3] &= ~(C1_EDX_MCE | C1_EDX_MCA);
        out[3] |= C1_EDX_APIC;
        break;
    case 5:
    case 6:
    case 0xD:
        memset(out, 0, 4 * sizeof(uint32_t));
        break;
    case 7:
        if (subleaf != 0) {
            memset(out, 0, 4 * sizeof(uint32_t));
            break;
        }
        out[0] = 0;
        out[1] &= ~(C7_EBX_TSC_ADJUST | C7_EBX_AVX2 | C7_EBX_INVPCID);
        out[2] &= ~C7_ECX_LA57;
        out[3] = 0;
        break;
    case 0x80000000u:
        if (out[0] > 0x80000008u)
            out[0] = 0x80000008u;
        break;
    case 0x80000008u:
        out[1] = 0; /* IBPB/IBRS/SSBD and friends: not virtualized */
        break;
    case 0x80000001u:
        out[0] = ROOT_CPUID_SIGNATURE;
        out[2] &= ~(E1_ECX_SVM | E1_ECX_MWAITX);
        out[3] &= ~E1_EDX_RDTSCP;
        break;
    default:
        break;
    }
}
