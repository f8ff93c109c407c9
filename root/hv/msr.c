/*
 * RDMSR/WRMSR for the child: the TLFS synthetic MSRs, the local APIC, and
 * the architectural MSRs the root virtualizes.  One table of ranges;
 * anything outside it is #GP and logged.
 */
#include <errno.h>
#include <string.h>

#include "root/hv/hv.h"
#include "root/hv/vapic.h"

#define MSR_TSC 0x00000010u
#define MSR_PATCH_LEVEL 0x0000008Bu
#define MSR_MTRRCAP 0x000000FEu
#define MSR_MTRR_FIRST 0x00000200u /* variable ranges, fixed, def type */
#define MSR_MTRR_LAST 0x000002FFu
#define MSR_PAT 0x00000277u
#define MSR_HWCR 0xC0010015u
#define MSR_DE_CFG 0xC0011029u
/* AMD configuration MSRs Linux reads on family 0x17, some without a
 * fault handler: read as zero, writes dropped. */
#define MSR_SYSCFG 0xC0010010u
#define MSR_NB_CFG 0xC001001Fu
#define MSR_LS_CFG 0xC0011020u
#define MSR_FP_CFG 0xC0011028u
#define MSR_MCG_CAP 0x00000179u /* no machine-check banks */
#define HWCR_TSC_FREQ_SEL (1ull << 24)

/* AMD APM vol 2 3.1.7: the EFER bits a child may set (SVME is hidden). */
#define EFER_CHILD_MASK                                                        \
    ((1ull << 0) | (1ull << 8) | (1ull << 10) | (1ull << 11))
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

/* AMD64 vmmcall; ret (TLFS 3.13: the hypercall page on AMD). */
static const uint8_t hypercall_code[] = {0x0F, 0x01, 0xD9, 0xC3};

typedef int (*msr_read_fn)(struct vcpu *v, uint32_t msr, uint64_t *val);
typedef int (*msr_write_fn)(struct vcpu *v, uint32_t msr, uint64_t val);

/* --- architectural ------------------------------------------------------- */

static int efer_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    *val = v->efer;
    return 0;
}
static int efer_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    if (val & ~EFER_CHILD_MASK)
        return -EINVAL;
    if ((v->cr0 & X86_CR0_PG) && ((val ^ v->efer) & EFER_LME))
        return -EINVAL;
    /* LMA is the processor's: keep it. */
    v->efer = (val & ~EFER_LMA) | (v->efer & EFER_LMA);
    return 0;
}

static int pat_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    *val = v->pat;
    return 0;
}
static int pat_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    for (unsigned i = 0; i < 8; i++) {
        uint8_t t = (uint8_t)(val >> (i * 8));
        if (t == 2 || t == 3 || t > 7)
            return -EINVAL;
    }
    v->pat = val;
    return 0;
}

static int tsc_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    *val = v->now_tsc;
    return 0;
}

static int zero_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    *val = 0;
    return 0;
}
static int ignore_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    return 0;
}
static int gp_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    return -EINVAL;
}

static int hwcr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    *val = HWCR_TSC_FREQ_SEL;
    return 0;
}

static int apic_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    return vapic_msr_read(v, msr, val);
}
static int apic_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    return vapic_msr_write(v, msr, val);
}

/* --- TLFS synthetic -------------------------------------------------------
 */

static int hv_simple_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    struct hv_state *h = &v->hv;
    switch (msr) {
    case HV_MSR_GUEST_OS_ID:
        *val = h->guest_os_id;
        return 0;
    case HV_MSR_HYPERCALL:
        *val = h->hypercall;
        return 0;
    case HV_MSR_VP_INDEX:
        *val = 0;
        return 0;
    case HV_MSR_TIME_REF_COUNT:
        *val = vcpu_ref_time(v);
        return 0;
    case HV_MSR_REFERENCE_TSC:
        *val = h->ref_tsc;
        return 0;
    case HV_MSR_TSC_FREQUENCY:
        *val = v->tsc_hz;
        return 0;
    case HV_MSR_APIC_FREQUENCY:
        *val = v->apic_hz;
        return 0;
    case HV_MSR_VP_ASSIST_PAGE:
        *val = h->vp_assist;
        return 0;
    case HV_MSR_TSC_INVARIANT_CONTROL:
        *val = h->tsc_invariant_ctl;
        return 0;
    default:
        return -EINVAL;
    }
}

static int hypercall_msr_write(struct vcpu *v, uint64_t val)
{
    struct hv_state *h = &v->hv;
    if (h->hypercall & HV_HYPERCALL_LOCKED)
        return 0; /* locked: immutable until reset */
    if (val & 0xFFCull)
        return -EINVAL;
    if (!h->guest_os_id)
        val &= ~HV_HYPERCALL_ENABLE; /* TLFS 3.13: needs the OS id first */
    if (val & HV_HYPERCALL_ENABLE) {
        uint8_t *page = gmem_ptr(&v->mem, val & ~0xFFFull, HV_PAGE_SIZE);
        if (!page)
            return -EINVAL;
        memcpy(page, hypercall_code, sizeof(hypercall_code));
    }
    h->hypercall = val;
    return 0;
}

static int ref_tsc_write(struct vcpu *v, uint64_t val)
{
    if (val & 0xFFEull)
        return -EINVAL;
    if (val & HV_MSR_PAGE_ENABLE) {
        struct hv_reference_tsc_page *p =
            gmem_ptr(&v->mem, val & ~0xFFFull, HV_PAGE_SIZE);
        if (!p)
            return -EINVAL;
        /*
         * time = (tsc * scale >> 64) + offset; the TSC runs unscaled and
         * never changes rate, so one sequence number stays valid.
         */
        memset(p, 0, sizeof(*p));
        p->tsc_scale = v->ref_scale;
        p->tsc_offset =
            -(int64_t)(((unsigned __int128)v->tsc_base * v->ref_scale) >> 64);
        __atomic_store_n(&p->tsc_sequence, 1u, __ATOMIC_RELEASE);
    }
    v->hv.ref_tsc = val;
    return 0;
}

static void crash_report(struct vcpu *v)
{
    struct hv_state *h = &v->hv;
    root_log("child crash notification: P0=0x%llx P1=0x%llx P2=0x%llx "
             "P3=0x%llx P4=0x%llx\n",
             (unsigned long long)h->crash[0], (unsigned long long)h->crash[1],
             (unsigned long long)h->crash[2], (unsigned long long)h->crash[3],
             (unsigned long long)h->crash[4]);
    if (!(h->crash_ctl & HV_CRASH_CTL_CRASH_MESSAGE))
        return;
    /* P3 = message GPA, P4 = length (TLFS 2.8); bound and sanitize it. */
    uint64_t len = h->crash[4] > 1024 ? 1024 : h->crash[4];
    const char *msg = gmem_ptr(&v->mem, h->crash[3], len);
    if (!msg) {
        root_log("child crash message: (bad address)\n");
        return;
    }
    char buf[1025];
    for (uint64_t i = 0; i < len; i++)
        buf[i] =
            (msg[i] >= 0x20 && msg[i] < 0x7F) || msg[i] == '\n' ? msg[i] : '.';
    buf[len] = 0;
    root_log("child crash message: %s\n", buf);
}

static int hv_simple_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    struct hv_state *h = &v->hv;
    switch (msr) {
    case HV_MSR_GUEST_OS_ID:
        h->guest_os_id = val;
        if (!val)
            h->hypercall &= ~HV_HYPERCALL_ENABLE;
        return 0;
    case HV_MSR_HYPERCALL:
        return hypercall_msr_write(v, val);
    case HV_MSR_REFERENCE_TSC:
        return ref_tsc_write(v, val);
    case HV_MSR_VP_ASSIST_PAGE:
        if (val & 0xFFEull)
            return -EINVAL;
        if ((val & HV_MSR_PAGE_ENABLE) &&
            !gmem_ptr(&v->mem, val & ~0xFFFull, HV_PAGE_SIZE))
            return -EINVAL;
        vapic_assist_cancel(v); /* settle a mark in the old page first */
        h->vp_assist = val;
        return 0;
    case HV_MSR_TSC_INVARIANT_CONTROL:
        if (val & ~1ull)
            return -EINVAL;
        h->tsc_invariant_ctl = val;
        return 0;
    default:
        return -EINVAL; /* read-only */
    }
}

static int hv_apic_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case HV_MSR_ICR:
        *val = ((uint64_t)v->apic.icr_hi << 32) | v->apic.icr_lo;
        return 0;
    case HV_MSR_TPR:
        *val = v->apic.tpr;
        return 0;
    default:
        return -EINVAL; /* EOI is write-only */
    }
}
static int hv_apic_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    switch (msr) {
    case HV_MSR_EOI:
        vapic_eoi(v);
        return 0;
    case HV_MSR_ICR:
        (void)vapic_icr_write(v, val); /* errors are latched in ESR */
        return 0;
    case HV_MSR_TPR:
        if (val & ~0xFFull)
            return -EINVAL;
        v->apic.tpr = (uint32_t)val;
        return 0;
    default:
        return -EINVAL;
    }
}

static int hv_synic_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    int rc = synic_msr_read(v, msr, val);
    return rc == -ENOENT ? -EINVAL : rc;
}
static int hv_synic_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    int rc = synic_msr_write(v, msr, val);
    return rc == -ENOENT ? -EINVAL : rc;
}

static int crash_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    if (msr == HV_MSR_CRASH_CTL) {
        /* Reads report what the root supports (TLFS 2.8). */
        *val = HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_CRASH_MESSAGE;
        return 0;
    }
    *val = v->hv.crash[msr - HV_MSR_CRASH_P0];
    return 0;
}
static int crash_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    if (msr == HV_MSR_CRASH_CTL) {
        if (val & ~(HV_CRASH_CTL_NOTIFY | HV_CRASH_CTL_CRASH_MESSAGE))
            return -EINVAL;
        v->hv.crash_ctl = val;
        if (val & HV_CRASH_CTL_NOTIFY)
            crash_report(v);
        return 0;
    }
    v->hv.crash[msr - HV_MSR_CRASH_P0] = val;
    return 0;
}

/*
 * Every MSR the child may touch, by inclusive range.  Ranges do not
 * overlap; the first match wins.
 */
static const struct msr_range {
    uint32_t first, last;
    msr_read_fn read;
    msr_write_fn write;
} msr_table[] = {
    {MSR_TSC, MSR_TSC, tsc_read, ignore_write},
    {0x1B, 0x1B, apic_read, apic_write},
    {MSR_PATCH_LEVEL, MSR_PATCH_LEVEL, zero_read, ignore_write},
    {MSR_MTRRCAP, MSR_MTRRCAP, zero_read, gp_write},
    {MSR_PAT, MSR_PAT, pat_read, pat_write},
    {MSR_MTRR_FIRST, MSR_MTRR_LAST, zero_read, ignore_write},
    {0x6E0, 0x6E0, apic_read, apic_write},
    {MSR_X2APIC_FIRST, MSR_X2APIC_LAST, apic_read, apic_write},
    {0xC0000080u, 0xC0000080u, efer_read, efer_write},
    {MSR_HWCR, MSR_HWCR, hwcr_read, ignore_write},
    {MSR_SYSCFG, MSR_SYSCFG, zero_read, ignore_write},
    {MSR_NB_CFG, MSR_NB_CFG, zero_read, ignore_write},
    {MSR_LS_CFG, MSR_LS_CFG, zero_read, ignore_write},
    {MSR_FP_CFG, MSR_FP_CFG, zero_read, ignore_write},
    {MSR_DE_CFG, MSR_DE_CFG, zero_read, ignore_write},
    {MSR_MCG_CAP, MSR_MCG_CAP, zero_read, gp_write},
    {HV_MSR_GUEST_OS_ID, HV_MSR_VP_INDEX, hv_simple_read, hv_simple_write},
    {HV_MSR_TIME_REF_COUNT, HV_MSR_APIC_FREQUENCY, hv_simple_read,
     hv_simple_write},
    {HV_MSR_EOI, HV_MSR_TPR, hv_apic_read, hv_apic_write},
    {HV_MSR_VP_ASSIST_PAGE, HV_MSR_VP_ASSIST_PAGE, hv_simple_read,
     hv_simple_write},
    {HV_MSR_SCONTROL, HV_MSR_EOM, hv_synic_read, hv_synic_write},
    {HV_MSR_SINT0, HV_MSR_SINT0 + HV_SINT_COUNT - 1, hv_synic_read,
     hv_synic_write},
    {HV_MSR_STIMER0_CONFIG, HV_MSR_STIMER0_COUNT + 2 * (HV_STIMER_COUNT - 1),
     hv_synic_read, hv_synic_write},
    {HV_MSR_CRASH_P0, HV_MSR_CRASH_CTL, crash_read, crash_write},
    {HV_MSR_TSC_INVARIANT_CONTROL, HV_MSR_TSC_INVARIANT_CONTROL, hv_simple_read,
     hv_simple_write},
};

static const struct msr_range *msr_lookup(uint32_t msr)
{
    for (size_t i = 0; i < sizeof(msr_table) / sizeof(msr_table[0]); i++)
        if (msr >= msr_table[i].first && msr <= msr_table[i].last)
            return &msr_table[i];
    return NULL;
}

/* The first few unknown accesses are logged; a hostile child that loops
 * over MSR space must not flood the root's console. */
#define UNKNOWN_MSR_LOG_LIMIT 32u

static bool log_unknown(const struct vcpu *v)
{
    uint64_t n = v->unknown_msr_reads + v->unknown_msr_writes;
    if (n == UNKNOWN_MSR_LOG_LIMIT + 1)
        root_log("child: further unknown MSR accesses are counted only\n");
    return n <= UNKNOWN_MSR_LOG_LIMIT;
}

int hv_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    const struct msr_range *r = msr_lookup(msr);
    *val = 0;
    if (!r) {
        v->unknown_msr_reads++;
        if (log_unknown(v))
            root_log("child: rdmsr 0x%x unknown: #GP\n", msr);
        return -EINVAL;
    }
    int rc = r->read(v, msr, val);
    if (rc < 0)
        *val = 0;
    return rc < 0 ? -EINVAL : 0;
}

int hv_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    const struct msr_range *r = msr_lookup(msr);
    if (!r) {
        v->unknown_msr_writes++;
        if (log_unknown(v))
            root_log("child: wrmsr 0x%x <- 0x%llx unknown: #GP\n", msr,
                     (unsigned long long)val);
        return -EINVAL;
    }
    return r->write(v, msr, val) < 0 ? -EINVAL : 0;
}
