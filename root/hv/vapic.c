/*
 * Virtual local APIC (Intel SDM vol 3 ch. 11, AMD APM vol 2 ch. 16): one
 * register model reached through xAPIC MMIO and x2APIC MSRs.
 */
#include "root/hv/vapic.h"

#include <errno.h>
#include <string.h>

#define LVT_CMCI 0
#define LVT_TIMER 1
#define LVT_THERMAL 2
#define LVT_PERF 3
#define LVT_LINT0 4
#define LVT_LINT1 5
#define LVT_ERROR 6

/* Version 0x14 (integrated APIC), 7 LVT entries (max LVT index 6). */
#define APIC_VERSION_VALUE 0x00060014u

#define ESR_SEND_ILLEGAL (1u << 5)
#define ESR_RECV_ILLEGAL (1u << 6)
#define ESR_ILLEGAL_REG (1u << 7)

static bool bit_test(const uint32_t *bm, unsigned vec)
{
    return bm[vec >> 5] & (1u << (vec & 31));
}
static void bit_set(uint32_t *bm, unsigned vec)
{
    bm[vec >> 5] |= 1u << (vec & 31);
}
static void bit_clear(uint32_t *bm, unsigned vec)
{
    bm[vec >> 5] &= ~(1u << (vec & 31));
}
static int highest(const uint32_t *bm)
{
    for (int i = 7; i >= 0; i--)
        if (bm[i])
            return i * 32 + 31 - __builtin_clz(bm[i]);
    return -1;
}

void vapic_reset(struct vcpu *v)
{
    struct vapic *a = &v->apic;
    vapic_assist_cancel(v);
    memset(a, 0, sizeof(*a));
    a->base_msr = APIC_DEFAULT_BASE | APIC_BASE_BSP | APIC_BASE_EN;
    a->svr = 0xFF;
    a->dfr = 0xFFFFFFFFu;
    for (unsigned i = 0; i < 7; i++)
        a->lvt[i] = APIC_LVT_MASKED;
}

void vapic_enable_x2apic(struct vcpu *v)
{
    v->apic.base_msr |= APIC_BASE_EN | APIC_BASE_EXTD;
}

static bool x2apic_mode(const struct vapic *a)
{
    return (a->base_msr & (APIC_BASE_EN | APIC_BASE_EXTD)) ==
           (APIC_BASE_EN | APIC_BASE_EXTD);
}

uint64_t vapic_mmio_base(const struct vcpu *v)
{
    const struct vapic *a = &v->apic;
    if (!(a->base_msr & APIC_BASE_EN) || x2apic_mode(a))
        return 0;
    return a->base_msr & 0xFFFFFF000ull;
}

static uint32_t ppr(const struct vapic *a)
{
    int isrv = highest(a->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
    if ((a->tpr & 0xF0) >= isr_class)
        return a->tpr & 0xFF;
    return isr_class;
}

int vapic_pending(const struct vcpu *v)
{
    const struct vapic *a = &v->apic;
    if (!(a->base_msr & APIC_BASE_EN))
        return -1;
    int irrv = highest(a->irr);
    if (irrv < 0)
        return -1;
    if (((uint32_t)irrv & 0xF0) <= (ppr(a) & 0xF0))
        return -1;
    return irrv;
}

void vapic_ack(struct vcpu *v, uint8_t vector)
{
    struct vapic *a = &v->apic;
    bit_clear(a->irr, vector);
    if (bit_test(a->autoeoi, vector))
        bit_clear(a->autoeoi, vector);
    else
        bit_set(a->isr, vector);
    v->injected_irqs++;
}

static void retire_highest(struct vapic *a)
{
    int isrv = highest(a->isr);
    if (isrv >= 0)
        bit_clear(a->isr, (unsigned)isrv);
}

void vapic_eoi(struct vcpu *v)
{
    /* A conventional EOI is allowed while a mark is set: it is then the
     * EOI of the marked vector, and the mark must not outlive it. */
    vapic_assist_cancel(v);
    retire_highest(&v->apic);
}

/* --- EOI assist ---------------------------------------------------------- */

static uint32_t *assist_word(const struct vcpu *v, uint64_t gpa)
{
    return gmem_ptr(&v->mem, gpa, sizeof(uint32_t));
}

static bool only_bit(const uint32_t *bm, unsigned vec)
{
    for (unsigned i = 0; i < 8; i++)
        if (bm[i] != (i == vec >> 5 ? 1u << (vec & 31) : 0u))
            return false;
    return true;
}

bool vapic_assist_offer(struct vcpu *v, uint8_t vector)
{
    struct vapic *a = &v->apic;
    uint64_t msr = v->hv.vp_assist;
    if (!(msr & HV_MSR_PAGE_ENABLE) || a->assist_vector)
        return false;
    /* Nothing else in service or requested: the EOI would only retire
     * this vector and could not let anything else through. */
    if (vector < 16 || bit_test(a->tmr, vector) || !only_bit(a->isr, vector) ||
        highest(a->irr) >= 0)
        return false;
    uint64_t gpa = msr & ~0xFFFull;
    uint32_t *w = assist_word(v, gpa);
    if (!w)
        return false;
    /* The child is not running: a plain store is seen whole at entry. */
    __atomic_store_n(w, HV_APIC_ASSIST_NO_EOI, __ATOMIC_RELAXED);
    a->assist_vector = vector;
    a->assist_gpa = gpa;
    return true;
}

void vapic_assist_cancel(struct vcpu *v)
{
    struct vapic *a = &v->apic;
    uint8_t vec = a->assist_vector;
    if (!vec)
        return;
    a->assist_vector = 0;
    uint32_t *w = assist_word(v, a->assist_gpa);
    if (!w)
        return;
    /* Clearing the bit makes the child's next EOI a conventional one; if
     * the child had cleared it already, it skipped the EOI: retire the
     * vector for it.  Nothing entered service since the mark (injection
     * syncs first), so this is the vector an EOI write would retire. */
    uint32_t old = __atomic_exchange_n(w, 0, __ATOMIC_RELAXED);
    if (!(old & HV_APIC_ASSIST_NO_EOI) && bit_test(a->isr, vec)) {
        bit_clear(a->isr, vec);
        v->lazy_eois++;
    }
}

void vapic_assist_sync(struct vcpu *v)
{
    struct vapic *a = &v->apic;
    if (!a->assist_vector)
        return;
    const uint32_t *w = assist_word(v, a->assist_gpa);
    if (!w || !(__atomic_load_n(w, __ATOMIC_RELAXED) & HV_APIC_ASSIST_NO_EOI) ||
        highest(a->irr) >= 0)
        vapic_assist_cancel(v);
}

int vapic_raise(struct vcpu *v, uint8_t vector, bool auto_eoi)
{
    struct vapic *a = &v->apic;
    if (vector < 16) {
        a->esr_pend |= ESR_RECV_ILLEGAL;
        return -EINVAL;
    }
    bit_set(a->irr, vector);
    if (auto_eoi)
        bit_set(a->autoeoi, vector);
    else
        bit_clear(a->autoeoi, vector);
    return 0; /* the run loop wakes a halted child once it is deliverable */
}

/* --- timer --------------------------------------------------------------- */

static uint32_t timer_divisor(uint32_t dcr)
{
    uint32_t code = (dcr & 3u) | ((dcr >> 1) & 4u);
    return code == 7 ? 1u : 2u << code;
}

/* TSC ticks for `count` APIC timer ticks at the current divisor. */
static uint64_t timer_ticks_to_tsc(const struct vcpu *v, uint64_t count)
{
    unsigned __int128 t = (unsigned __int128)count *
                          timer_divisor(v->apic.timer_div) * v->tsc_hz /
                          v->apic_hz;
    if (t == 0)
        t = 1;
    return t > UINT64_MAX / 2 ? UINT64_MAX / 2 : (uint64_t)t;
}

static void timer_start(struct vcpu *v)
{
    struct vapic *a = &v->apic;
    uint32_t mode = APIC_LVT_TIMER_MODE(a->lvt[LVT_TIMER]);
    a->timer_deadline = 0;
    if (mode == APIC_TIMER_TSC_DEADLINE) {
        a->timer_deadline = a->tsc_deadline;
        return;
    }
    if (a->timer_init == 0)
        return;
    a->timer_start_tsc = v->now_tsc;
    a->timer_deadline = v->now_tsc + timer_ticks_to_tsc(v, a->timer_init);
}

static uint32_t timer_current(const struct vcpu *v)
{
    const struct vapic *a = &v->apic;
    uint32_t mode = APIC_LVT_TIMER_MODE(a->lvt[LVT_TIMER]);
    if (mode == APIC_TIMER_TSC_DEADLINE || a->timer_init == 0 ||
        a->timer_deadline == 0)
        return 0;
    if (v->now_tsc >= a->timer_deadline)
        return 0;
    uint64_t left_tsc = a->timer_deadline - v->now_tsc;
    unsigned __int128 ticks = (unsigned __int128)left_tsc * v->apic_hz /
                              v->tsc_hz / timer_divisor(a->timer_div);
    return ticks > a->timer_init ? a->timer_init : (uint32_t)ticks;
}

void vapic_poll_timer(struct vcpu *v)
{
    struct vapic *a = &v->apic;
    if (!a->timer_deadline || v->now_tsc < a->timer_deadline)
        return;
    uint32_t lvt = a->lvt[LVT_TIMER];
    if (!(lvt & APIC_LVT_MASKED))
        vapic_raise(v, (uint8_t)(lvt & 0xFF), false);
    switch (APIC_LVT_TIMER_MODE(lvt)) {
    case APIC_TIMER_PERIODIC: {
        uint64_t period = timer_ticks_to_tsc(v, a->timer_init);
        if (period < v->tsc_hz / ROOT_MIN_PERIOD_DIV)
            period = v->tsc_hz / ROOT_MIN_PERIOD_DIV;
        a->timer_deadline += period;
        if (a->timer_deadline <= v->now_tsc)
            a->timer_deadline = v->now_tsc + period;
        a->timer_start_tsc = a->timer_deadline - period;
        break;
    }
    case APIC_TIMER_TSC_DEADLINE:
        a->tsc_deadline = 0;
        a->timer_deadline = 0;
        break;
    default:
        a->timer_deadline = 0;
        break;
    }
}

/* --- register file -------------------------------------------------------
 */

int vapic_icr_write(struct vcpu *v, uint64_t icr)
{
    struct vapic *a = &v->apic;
    uint8_t vector = (uint8_t)(icr & 0xFF);
    uint32_t mode = (uint32_t)(icr >> 8) & 7u;
    uint32_t shorthand = (uint32_t)(icr >> 18) & 3u;
    uint32_t dest =
        x2apic_mode(a) ? (uint32_t)(icr >> 32) : (uint32_t)(icr >> 56) & 0xFFu;
    uint32_t bcast = x2apic_mode(a) ? 0xFFFFFFFFu : 0xFFu;
    bool to_self;

    a->icr_lo = (uint32_t)icr & ~(1u << 12); /* delivery always idle */
    if (x2apic_mode(a))
        a->icr_hi = (uint32_t)(icr >> 32);
    switch (shorthand) {
    case 1: /* self */
    case 2: /* all including self */
        to_self = true;
        break;
    case 3: /* all excluding self: nobody else exists */
        to_self = false;
        break;
    default:
        to_self = dest == a->id || dest == bcast;
        break;
    }
    if (mode != 0 || !to_self)
        return 0; /* NMI/INIT/SIPI/lowest to other CPUs: none exist */
    if (vector < 16) {
        a->esr_pend |= ESR_SEND_ILLEGAL;
        return 0;
    }
    return vapic_raise(v, vector, false);
}

/* Register read by offset; x2 selects x2APIC semantics. */
static int reg_read(struct vcpu *v, uint32_t off, bool x2, uint64_t *val)
{
    struct vapic *a = &v->apic;
    switch (off) {
    case APIC_ID:
        *val = x2 ? a->id : a->id << 24;
        return 0;
    case APIC_VERSION:
        *val = APIC_VERSION_VALUE;
        return 0;
    case APIC_TPR:
        *val = a->tpr;
        return 0;
    case APIC_APR:
        if (x2)
            return -EINVAL;
        *val = 0;
        return 0;
    case APIC_PPR:
        *val = ppr(a);
        return 0;
    case APIC_LDR:
        /* x2APIC derives the LDR: cluster id << 16 | 1 << (id % 16). */
        *val = x2 ? ((a->id >> 4) << 16) | (1u << (a->id & 15)) : a->ldr;
        return 0;
    case APIC_DFR:
        if (x2)
            return -EINVAL;
        *val = a->dfr;
        return 0;
    case APIC_SVR:
        *val = a->svr;
        return 0;
    case APIC_ESR:
        *val = a->esr;
        return 0;
    case APIC_ICR:
        *val = a->icr_lo;
        if (x2)
            *val |= (uint64_t)a->icr_hi << 32;
        return 0;
    case APIC_ICR_HI:
        if (x2)
            return -EINVAL;
        *val = a->icr_hi;
        return 0;
    case APIC_LVT_CMCI:
    case APIC_LVT_TIMER:
    case APIC_LVT_THERMAL:
    case APIC_LVT_PERF:
    case APIC_LVT_LINT0:
    case APIC_LVT_LINT1:
    case APIC_LVT_ERROR:
        *val = a->lvt[off == APIC_LVT_CMCI ? LVT_CMCI
                                           : (off - APIC_LVT_TIMER) / 16 + 1];
        return 0;
    case APIC_TIMER_ICR:
        *val = a->timer_init;
        return 0;
    case APIC_TIMER_CCR:
        *val = timer_current(v);
        return 0;
    case APIC_TIMER_DCR:
        *val = a->timer_div;
        return 0;
    case APIC_EOI:
    case APIC_SELF_IPI:
        if (x2)
            return -EINVAL; /* write-only */
        *val = 0;
        return 0;
    default:
        break;
    }
    if (off >= APIC_ISR && off < APIC_ISR + 0x80) {
        *val = a->isr[(off - APIC_ISR) / 16];
        return 0;
    }
    if (off >= APIC_TMR && off < APIC_TMR + 0x80) {
        *val = a->tmr[(off - APIC_TMR) / 16];
        return 0;
    }
    if (off >= APIC_IRR && off < APIC_IRR + 0x80) {
        *val = a->irr[(off - APIC_IRR) / 16];
        return 0;
    }
    if (x2)
        return -EINVAL;
    a->esr_pend |= ESR_ILLEGAL_REG;
    *val = 0;
    return 0;
}

static int lvt_index(uint32_t off)
{
    if (off == APIC_LVT_CMCI)
        return LVT_CMCI;
    if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR)
        return (int)(off - APIC_LVT_TIMER) / 16 + 1;
    return -1;
}

static int reg_write(struct vcpu *v, uint32_t off, bool x2, uint64_t val)
{
    struct vapic *a = &v->apic;
    uint32_t v32 = (uint32_t)val;
    int li = lvt_index(off);

    if (x2 && off != APIC_ICR && (val >> 32))
        return -EINVAL;
    if (li >= 0) {
        uint32_t mask = li == LVT_TIMER ? 0x700FFu : 0x1F7FFu;
        if (li == LVT_LINT0 || li == LVT_LINT1)
            mask = 0x1A7FFu;
        if (li == LVT_ERROR)
            mask = 0x100FFu;
        if (!(a->svr & APIC_SVR_ENABLE))
            v32 |= APIC_LVT_MASKED;
        uint32_t old = a->lvt[li];
        a->lvt[li] = v32 & mask;
        if (li == LVT_TIMER &&
            APIC_LVT_TIMER_MODE(old) != APIC_LVT_TIMER_MODE(a->lvt[li])) {
            a->timer_deadline = 0;
            a->timer_init = 0;
            a->tsc_deadline = 0;
        }
        return 0;
    }
    switch (off) {
    case APIC_ID:
        if (x2)
            return -EINVAL;
        a->id = v32 >> 24;
        return 0;
    case APIC_TPR:
        a->tpr = v32 & 0xFF;
        return 0;
    case APIC_EOI:
        if (x2 && v32 != 0)
            return -EINVAL;
        vapic_eoi(v);
        return 0;
    case APIC_LDR:
        if (x2)
            return -EINVAL;
        a->ldr = v32 & 0xFF000000u;
        return 0;
    case APIC_DFR:
        if (x2)
            return -EINVAL;
        a->dfr = v32 | 0x0FFFFFFFu;
        return 0;
    case APIC_SVR:
        a->svr = v32 & 0x13FFu;
        if (!(a->svr & APIC_SVR_ENABLE))
            for (unsigned i = 0; i < 7; i++)
                a->lvt[i] |= APIC_LVT_MASKED;
        return 0;
    case APIC_ESR:
        if (x2 && v32 != 0)
            return -EINVAL;
        a->esr = a->esr_pend;
        a->esr_pend = 0;
        return 0;
    case APIC_ICR:
        if (x2)
            return vapic_icr_write(v, val);
        return vapic_icr_write(v, ((uint64_t)a->icr_hi << 32) | v32);
    case APIC_ICR_HI:
        if (x2)
            return -EINVAL;
        a->icr_hi = v32 & 0xFF000000u;
        return 0;
    case APIC_TIMER_ICR:
        if (APIC_LVT_TIMER_MODE(a->lvt[LVT_TIMER]) == APIC_TIMER_TSC_DEADLINE)
            return 0;
        a->timer_init = v32;
        timer_start(v);
        return 0;
    case APIC_TIMER_DCR:
        a->timer_div = v32 & 0xBu;
        return 0;
    case APIC_SELF_IPI:
        if (!x2)
            break;
        if ((v32 & 0xFF) < 16) {
            a->esr_pend |= ESR_SEND_ILLEGAL;
            return 0;
        }
        return vapic_raise(v, (uint8_t)v32, false);
    case APIC_TIMER_CCR:
    case APIC_VERSION:
    case APIC_PPR:
    case APIC_APR:
    case APIC_RRD:
        if (x2)
            return -EINVAL;
        return 0; /* read-only: xAPIC ignores the write */
    default:
        break;
    }
    if (x2)
        return -EINVAL;
    a->esr_pend |= ESR_ILLEGAL_REG;
    return 0;
}

int vapic_mmio_read(struct vcpu *v, uint32_t offset, uint32_t *val)
{
    uint64_t r = 0;
    if (offset & 0xF || offset > 0xFF0) {
        if (offset & 3 || offset > 0xFFC)
            return -EINVAL;
        *val = 0; /* the 12 bytes after each register read as zero */
        return 0;
    }
    reg_read(v, offset, false, &r);
    *val = (uint32_t)r;
    return 0;
}

int vapic_mmio_write(struct vcpu *v, uint32_t offset, uint32_t val)
{
    if (offset & 3 || offset > 0xFFC)
        return -EINVAL;
    if (offset & 0xF)
        return 0;
    (void)reg_write(v, offset, false, val); /* xAPIC errors go to ESR */
    return 0;
}

static int base_write(struct vcpu *v, uint64_t val)
{
    struct vapic *a = &v->apic;
    const uint64_t rsvd =
        ~(0xFFFFFF000ull | APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN);
    bool was_en = a->base_msr & APIC_BASE_EN;
    bool was_x2 = x2apic_mode(a);
    bool en = val & APIC_BASE_EN, extd = val & APIC_BASE_EXTD;

    if (val & rsvd)
        return -EINVAL;
    if ((val & APIC_BASE_BSP) != (a->base_msr & APIC_BASE_BSP))
        return -EINVAL;
    if (extd && !en)
        return -EINVAL; /* invalid state */
    if (was_x2 && en && !extd)
        return -EINVAL; /* x2APIC -> xAPIC must pass through disabled */
    if (!was_en && en && extd)
        return -EINVAL; /* disabled -> x2APIC must pass through xAPIC */
    if (!en) {
        uint64_t keep = val;
        vapic_reset(v);
        a->base_msr = keep;
        return 0;
    }
    a->base_msr = val;
    return 0;
}

int vapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    struct vapic *a = &v->apic;
    if (msr == 0x1B) {
        *val = a->base_msr;
        return 0;
    }
    if (msr == 0x6E0) {
        *val = APIC_LVT_TIMER_MODE(a->lvt[LVT_TIMER]) == APIC_TIMER_TSC_DEADLINE
                   ? a->tsc_deadline
                   : 0;
        return 0;
    }
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST)
        return -ENOENT;
    if (!x2apic_mode(a))
        return -EINVAL;
    return reg_read(v, (msr - MSR_X2APIC_FIRST) * 16, true, val);
}

int vapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    struct vapic *a = &v->apic;
    if (msr == 0x1B)
        return base_write(v, val);
    if (msr == 0x6E0) {
        if (APIC_LVT_TIMER_MODE(a->lvt[LVT_TIMER]) != APIC_TIMER_TSC_DEADLINE)
            return 0; /* ignored outside TSC-deadline mode */
        a->tsc_deadline = val;
        a->timer_deadline = val;
        return 0;
    }
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST)
        return -ENOENT;
    if (!x2apic_mode(a))
        return -EINVAL;
    return reg_write(v, (msr - MSR_X2APIC_FIRST) * 16, true, val);
}
