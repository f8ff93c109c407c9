/*
 * SynIC (TLFS 11) and synthetic timers (TLFS 12.10): the MSRs, message
 * slot delivery with the pending flag and redelivery after EOM, event
 * flags, and timer expiry in message and direct mode.
 */
#include <errno.h>
#include <string.h>

#include "root/hv/hv.h"
#include "root/hv/vapic.h"

#define SIMP_VALID_MASK (HV_MSR_PAGE_ENABLE | ~0xFFFull)
#define SINT_VALID_MASK                                                        \
    (0xFFull | HV_SINT_MASKED | HV_SINT_AUTO_EOI | HV_SINT_POLLING)
#define STIMER_SINT_SHIFT 16
#define STIMER_VALID_MASK                                                      \
    (HV_STIMER_ENABLE | HV_STIMER_PERIODIC | HV_STIMER_LAZY |                  \
     HV_STIMER_AUTO_ENABLE | (0xFFull << 4) | HV_STIMER_DIRECT |               \
     (0xFull << STIMER_SINT_SHIFT))

static bool synic_on(const struct vcpu *v)
{
    return v->synic.scontrol & HV_SCONTROL_ENABLE;
}

static struct hv_message_page *simp(struct vcpu *v)
{
    if (!synic_on(v) || !(v->synic.simp & HV_MSR_PAGE_ENABLE))
        return NULL;
    return gmem_ptr(&v->mem, v->synic.simp & ~0xFFFull, HV_PAGE_SIZE);
}

static struct hv_event_flags_page *siefp(struct vcpu *v)
{
    if (!synic_on(v) || !(v->synic.siefp & HV_MSR_PAGE_ENABLE))
        return NULL;
    return gmem_ptr(&v->mem, v->synic.siefp & ~0xFFFull, HV_PAGE_SIZE);
}

/* Raises the SINT's vector unless masked or polled. */
static void sint_assert(struct vcpu *v, unsigned sint)
{
    uint64_t s = v->synic.sint[sint];
    if (!synic_on(v) || (s & (HV_SINT_MASKED | HV_SINT_POLLING)))
        return;
    vapic_raise(v, (uint8_t)HV_SINT_VECTOR(s), s & HV_SINT_AUTO_EOI);
}

/*
 * Writes one message into the slot if it is free.  0 on success, -EBUSY
 * (pending flag set so the child EOMs), -ENODEV if there is no SIMP.
 */
static int slot_write(struct vcpu *v, unsigned sint, uint32_t type,
                      uint64_t sender, const void *payload, uint32_t size)
{
    struct hv_message_page *page = simp(v);
    if (!page)
        return -ENODEV;
    struct hv_message *m = &page->sint_message[sint];
    volatile uint32_t *slot_type = &m->message_type;
    if (*slot_type != HV_MESSAGE_TYPE_NONE) {
        m->message_flags |= HV_MESSAGE_FLAG_PENDING;
        return -EBUSY;
    }
    m->payload_size = (uint8_t)size;
    m->message_flags = 0;
    m->reserved[0] = m->reserved[1] = 0;
    m->sender = sender;
    memcpy(m->payload, payload, size);
    if (size < HV_MESSAGE_PAYLOAD_BYTES)
        memset(m->payload + size, 0, HV_MESSAGE_PAYLOAD_BYTES - size);
    /* The type goes last: it is what makes the slot valid to the child. */
    __atomic_store_n(slot_type, type, __ATOMIC_RELEASE);
    sint_assert(v, sint);
    return 0;
}

int synic_post(struct vcpu *v, unsigned sint, uint32_t msg_type,
               uint64_t sender, const void *payload, uint32_t size)
{
    struct synic *s = &v->synic;
    if (sint >= HV_SINT_COUNT || size > HV_MESSAGE_PAYLOAD_BYTES ||
        msg_type == HV_MESSAGE_TYPE_NONE || (size && !payload))
        return -EINVAL;
    if (!simp(v)) {
        s->dropped++;
        return -ENODEV;
    }
    if (s->q_len[sint] == 0) {
        int rc = slot_write(v, sint, msg_type, sender, payload, size);
        if (rc != -EBUSY)
            return rc;
    } else {
        /* Keep order: make sure the child EOMs for what is queued. */
        simp(v)->sint_message[sint].message_flags |= HV_MESSAGE_FLAG_PENDING;
    }
    if (s->q_len[sint] >= SYNIC_QUEUE_LEN) {
        s->dropped++;
        return -ENOSPC;
    }
    struct synic_queued *q =
        &v->synic_queue[sint]
                       [(s->q_head[sint] + s->q_len[sint]) % SYNIC_QUEUE_LEN];
    q->type = msg_type;
    q->size = size;
    q->sender = sender;
    memcpy(q->payload, payload, size);
    s->q_len[sint]++;
    return -EBUSY;
}

/* Moves queued messages into free slots; called on EOM and on polls. */
static void redeliver(struct vcpu *v)
{
    struct synic *s = &v->synic;
    for (unsigned sint = 0; sint < HV_SINT_COUNT; sint++) {
        if (!s->q_len[sint])
            continue;
        struct synic_queued *q = &v->synic_queue[sint][s->q_head[sint]];
        int rc = slot_write(v, sint, q->type, q->sender, q->payload, q->size);
        if (rc == -ENODEV) {
            s->dropped += s->q_len[sint];
            s->q_len[sint] = 0;
            continue;
        }
        if (rc != 0)
            continue;
        s->q_head[sint] = (uint8_t)((s->q_head[sint] + 1) % SYNIC_QUEUE_LEN);
        s->q_len[sint]--;
        if (s->q_len[sint])
            simp(v)->sint_message[sint].message_flags |=
                HV_MESSAGE_FLAG_PENDING;
    }
}

int synic_post_try(struct vcpu *v, unsigned sint, uint32_t msg_type,
                   uint64_t sender, const void *payload, uint32_t size)
{
    if (sint >= HV_SINT_COUNT || size > HV_MESSAGE_PAYLOAD_BYTES ||
        msg_type == HV_MESSAGE_TYPE_NONE || (size && !payload))
        return -EINVAL;
    if (v->synic.q_len[sint]) {
        /* The root's own queue goes first; keep the child EOMing. */
        struct hv_message_page *page = simp(v);
        if (!page)
            return -ENODEV;
        page->sint_message[sint].message_flags |= HV_MESSAGE_FLAG_PENDING;
        return -EBUSY;
    }
    return slot_write(v, sint, msg_type, sender, payload, size);
}

int synic_set_event_flag(struct vcpu *v, unsigned sint, unsigned flag)
{
    if (sint >= HV_SINT_COUNT || flag >= HV_EVENT_FLAGS_COUNT)
        return -EINVAL;
    struct hv_event_flags_page *p = siefp(v);
    if (!p)
        return -ENODEV;
    uint8_t *byte = &p->sint_flags[sint][flag / 8];
    uint8_t bit = (uint8_t)(1u << (flag % 8));
    uint8_t old = __atomic_fetch_or(byte, bit, __ATOMIC_SEQ_CST);
    return (old & bit) ? 0 : 1;
}

void synic_raise_sint(struct vcpu *v, unsigned sint)
{
    if (sint < HV_SINT_COUNT)
        sint_assert(v, sint);
}

int synic_signal_event(struct vcpu *v, unsigned sint, unsigned flag)
{
    int rc = synic_set_event_flag(v, sint, flag);
    if (rc == 1)
        sint_assert(v, sint);
    return rc;
}

/* --- synthetic timers ---------------------------------------------------- */

static void stimer_arm(struct vcpu *v, unsigned i)
{
    struct stimer *t = &v->stimer[i];
    t->deadline = 0;
    t->msg_pending = false;
    if (!(t->config & HV_STIMER_ENABLE) || t->count == 0)
        return;
    uint64_t now = vcpu_ref_time(v);
    t->expiry_ref =
        (t->config & HV_STIMER_PERIODIC) ? now + t->count : t->count;
    t->deadline = vcpu_tsc_for_ref(v, t->expiry_ref);
    if (t->deadline == 0)
        t->deadline = 1;
}

/* Delivers one expiry.  Returns 0, or -EBUSY when the slot was busy. */
static int stimer_deliver(struct vcpu *v, unsigned i, uint64_t expiry)
{
    struct stimer *t = &v->stimer[i];
    if (t->config & HV_STIMER_DIRECT) {
        vapic_raise(v, (uint8_t)HV_STIMER_APIC_VECTOR(t->config), false);
        return 0;
    }
    struct hv_timer_message_payload p = {
        .timer_index = i,
        .expiration_time = expiry,
        .delivery_time = vcpu_ref_time(v),
    };
    int rc = slot_write(v, (unsigned)HV_STIMER_SINT(t->config),
                        HV_MESSAGE_TIMER_EXPIRED, 0, &p, sizeof(p));
    if (rc == -ENODEV) {
        v->synic.dropped++;
        return 0;
    }
    return rc;
}

static void stimer_poll(struct vcpu *v, unsigned i)
{
    struct stimer *t = &v->stimer[i];
    if (t->msg_pending) {
        if (stimer_deliver(v, i, t->pending_ref) == 0)
            t->msg_pending = false;
        return; /* later expiries wait until this one is delivered */
    }
    if (!t->deadline || v->now_tsc < t->deadline)
        return;
    if (stimer_deliver(v, i, t->expiry_ref) != 0) {
        t->msg_pending = true;
        t->pending_ref = t->expiry_ref;
    }
    if (t->config & HV_STIMER_PERIODIC) {
        uint64_t now = vcpu_ref_time(v);
        uint64_t period =
            t->count < ROOT_MIN_PERIOD_REF ? ROOT_MIN_PERIOD_REF : t->count;
        t->expiry_ref += period;
        if (t->expiry_ref <= now) /* missed periods coalesce */
            t->expiry_ref = now + period;
        t->deadline = vcpu_tsc_for_ref(v, t->expiry_ref);
    } else {
        t->config &= ~HV_STIMER_ENABLE;
        t->deadline = 0;
    }
}

void synic_poll(struct vcpu *v)
{
    redeliver(v);
    for (unsigned i = 0; i < HV_STIMER_COUNT; i++)
        stimer_poll(v, i);
}

/* --- MSRs ------------------------------------------------------------------
 */

static int overlay_write(struct vcpu *v, uint64_t *reg, uint64_t val)
{
    if (val & ~SIMP_VALID_MASK)
        return -EINVAL;
    if (val & HV_MSR_PAGE_ENABLE) {
        void *page = gmem_ptr(&v->mem, val & ~0xFFFull, HV_PAGE_SIZE);
        if (!page)
            return -EINVAL;
        bool moved = !(*reg & HV_MSR_PAGE_ENABLE) ||
                     (*reg & ~0xFFFull) != (val & ~0xFFFull);
        if (moved)
            memset(page, 0, HV_PAGE_SIZE);
    }
    *reg = val;
    return 0;
}

int synic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    struct synic *s = &v->synic;
    switch (msr) {
    case HV_MSR_SCONTROL:
        *val = s->scontrol;
        return 0;
    case HV_MSR_SVERSION:
        *val = 1;
        return 0;
    case HV_MSR_SIEFP:
        *val = s->siefp;
        return 0;
    case HV_MSR_SIMP:
        *val = s->simp;
        return 0;
    case HV_MSR_EOM:
        *val = 0;
        return 0;
    default:
        break;
    }
    if (msr >= HV_MSR_SINT0 && msr < HV_MSR_SINT0 + HV_SINT_COUNT) {
        *val = s->sint[msr - HV_MSR_SINT0];
        return 0;
    }
    if (msr >= HV_MSR_STIMER0_CONFIG &&
        msr < HV_MSR_STIMER0_CONFIG + 2 * HV_STIMER_COUNT) {
        struct stimer *t = &v->stimer[(msr - HV_MSR_STIMER0_CONFIG) / 2];
        *val = (msr & 1) ? t->count : t->config;
        return 0;
    }
    return -ENOENT;
}

static int stimer_config_write(struct vcpu *v, unsigned i, uint64_t val)
{
    struct stimer *t = &v->stimer[i];
    if (val & ~STIMER_VALID_MASK)
        return -EINVAL;
    if ((val & HV_STIMER_DIRECT) && HV_STIMER_APIC_VECTOR(val) < 16 &&
        (val & HV_STIMER_ENABLE))
        return -EINVAL;
    /* TLFS 12.10: a message-mode timer with SINTx 0 stays disabled. */
    if (!(val & HV_STIMER_DIRECT) && HV_STIMER_SINT(val) == 0)
        val &= ~HV_STIMER_ENABLE;
    t->config = val;
    stimer_arm(v, i);
    return 0;
}

static int stimer_count_write(struct vcpu *v, unsigned i, uint64_t val)
{
    struct stimer *t = &v->stimer[i];
    t->count = val;
    if (val == 0)
        t->config &= ~HV_STIMER_ENABLE;
    else if (t->config & HV_STIMER_AUTO_ENABLE)
        t->config |= HV_STIMER_ENABLE;
    stimer_arm(v, i);
    return 0;
}

int synic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    struct synic *s = &v->synic;
    switch (msr) {
    case HV_MSR_SCONTROL:
        if (val & ~HV_SCONTROL_ENABLE)
            return -EINVAL;
        s->scontrol = val;
        if (val)
            redeliver(v);
        return 0;
    case HV_MSR_SVERSION:
        return -EINVAL;
    case HV_MSR_SIEFP:
        return overlay_write(v, &s->siefp, val);
    case HV_MSR_SIMP:
        return overlay_write(v, &s->simp, val);
    case HV_MSR_EOM:
        redeliver(v);
        if (v->eom_hook)
            v->eom_hook(v->eom_ctx, v);
        for (unsigned i = 0; i < HV_STIMER_COUNT; i++)
            if (v->stimer[i].msg_pending &&
                stimer_deliver(v, i, v->stimer[i].pending_ref) == 0)
                v->stimer[i].msg_pending = false;
        return 0;
    default:
        break;
    }
    if (msr >= HV_MSR_SINT0 && msr < HV_MSR_SINT0 + HV_SINT_COUNT) {
        if (val & ~SINT_VALID_MASK)
            return -EINVAL;
        if (!(val & HV_SINT_MASKED) && HV_SINT_VECTOR(val) < 16)
            return -EINVAL;
        s->sint[msr - HV_MSR_SINT0] = val;
        return 0;
    }
    if (msr >= HV_MSR_STIMER0_CONFIG &&
        msr < HV_MSR_STIMER0_CONFIG + 2 * HV_STIMER_COUNT) {
        unsigned i = (msr - HV_MSR_STIMER0_CONFIG) / 2;
        return (msr & 1) ? stimer_count_write(v, i, val)
                         : stimer_config_write(v, i, val);
    }
    return -ENOENT;
}
