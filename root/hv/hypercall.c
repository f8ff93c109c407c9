/*
 * Hypercalls (TLFS 3): input-value decoding, the calling conventions of
 * 64-bit and 32-bit callers, the per-call table, and HvCallPostMessage /
 * HvCallSignalEvent against the connection-id registry.
 */
#include <errno.h>
#include <string.h>

#include "root/hv/hv.h"

/* What a call receives once the input value is decoded and checked. */
struct hc_input {
    uint16_t code;
    bool fast;
    uint32_t varhead8; /* variable header, in 8 bytes */
    uint32_t rep_count;
    uint32_t rep_start;
    uint64_t in_gpa;  /* or, for fast calls, the first input register */
    uint64_t out_gpa; /* or the second */
};

/* Returns an HV_STATUS_*; *reps_done for rep calls. */
typedef uint16_t (*hc_fn)(struct vcpu *v, const struct hc_input *in,
                          uint32_t *reps_done);

struct hc_desc {
    hc_fn fn;
    bool rep;        /* a rep call (rep count must be non-zero) */
    bool fast_ok;    /* may be called with the fast flag */
    bool slow_ok;    /* may be called with memory parameters */
    uint32_t in_len; /* bytes of input in memory for a slow call */
};

/*
 * Maps [gpa, gpa+len) of hypercall parameters.  TLFS 3.6: 8-byte aligned,
 * not crossing a page.  Returns an HV_STATUS_*.
 */
static uint16_t map_params(struct vcpu *v, uint64_t gpa, uint32_t len,
                           const void **out)
{
    if (gpa & 7)
        return HV_STATUS_INVALID_ALIGNMENT;
    if ((gpa & 0xFFF) + len > HV_PAGE_SIZE)
        return HV_STATUS_INVALID_ALIGNMENT;
    *out = gmem_ptr(&v->mem, gpa, len);
    return *out ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
}

static uint16_t hc_post_message(struct vcpu *v, const struct hc_input *in,
                                uint32_t *reps_done)
{
    const void *p;
    uint16_t st =
        map_params(v, in->in_gpa, sizeof(struct hv_input_post_message), &p);
    if (st)
        return st;
    /* Copy out first: the child may change its page under us. */
    struct hv_input_post_message msg;
    memcpy(&msg, p, sizeof(msg));
    if (msg.reserved != 0 || msg.payload_size > HV_MESSAGE_PAYLOAD_BYTES ||
        msg.message_type == HV_MESSAGE_TYPE_NONE ||
        (msg.message_type & 0x80000000u))
        return HV_STATUS_INVALID_PARAMETER;
    const struct hv_port *port = hv_port_find(v, msg.connection_id, false);
    if (!port)
        return HV_STATUS_INVALID_CONNECTION_ID;
    return port->on_msg(port->ctx, v, msg.connection_id, msg.message_type,
                        msg.payload, msg.payload_size);
}

static uint16_t hc_signal_event(struct vcpu *v, const struct hc_input *in,
                                uint32_t *reps_done)
{
    struct hv_input_signal_event ev;
    if (in->fast) {
        ev.connection_id = (uint32_t)in->in_gpa;
        ev.flag_number = (uint16_t)(in->in_gpa >> 32);
        ev.reserved = (uint16_t)(in->in_gpa >> 48);
    } else {
        const void *p;
        uint16_t st = map_params(v, in->in_gpa, sizeof(ev), &p);
        if (st)
            return st;
        memcpy(&ev, p, sizeof(ev));
    }
    if (ev.reserved != 0)
        return HV_STATUS_INVALID_PARAMETER;
    const struct hv_port *port = hv_port_find(v, ev.connection_id, true);
    if (!port)
        return HV_STATUS_INVALID_CONNECTION_ID;
    return port->on_event(port->ctx, v, ev.connection_id, ev.flag_number);
}

static uint16_t hc_long_spin_wait(struct vcpu *v, const struct hc_input *in,
                                  uint32_t *reps_done)
{
    return HV_STATUS_SUCCESS;
}

/* TLFS appendix A: the calls the root implements.  Bounds-checked. */
/*
 * Partition management and the memory pool (TLFS appendix A, codes
 * 0x0040-0x004A) need privileges a child does not hold (CreatePartitions,
 * AccessPartitionId, AccessMemoryPool: CPUID 0x40000003 EBX bits 0-2).
 */
static uint16_t hc_denied(struct vcpu *v, const struct hc_input *in,
                          uint32_t *reps_done)
{
    return HV_STATUS_ACCESS_DENIED;
}
#define HC_DENIED                                                              \
    {                                                                          \
        hc_denied, false, true, true, 0                                        \
    }

static const struct hc_desc hc_table[] = {
    [HVCALL_NOTIFY_LONG_SPIN_WAIT] = {hc_long_spin_wait, false, true, false, 0},
    [0x0040] = HC_DENIED, /* HvCallCreatePartition */
    [0x0041] = HC_DENIED, /* HvCallInitializePartition */
    [0x0042] = HC_DENIED, /* HvCallFinalizePartition */
    [0x0043] = HC_DENIED, /* HvCallDeletePartition */
    [0x0044] = HC_DENIED, /* HvCallGetPartitionProperty */
    [0x0045] = HC_DENIED, /* HvCallSetPartitionProperty */
    [0x0046] = HC_DENIED, /* HvCallGetPartitionId */
    [0x0047] = HC_DENIED, /* HvCallGetNextChildPartition */
    [0x0048] = HC_DENIED, /* HvCallDepositMemory (rep) */
    [0x0049] = HC_DENIED, /* HvCallWithdrawMemory (rep) */
    [0x004A] = HC_DENIED, /* HvCallGetMemoryBalance */
    [HVCALL_POST_MESSAGE] = {hc_post_message, false, false, true,
                             sizeof(struct hv_input_post_message)},
    [HVCALL_SIGNAL_EVENT] = {hc_signal_event, false, true, true,
                             sizeof(struct hv_input_signal_event)},
};

/* Decodes and runs one call; returns the result value for RAX. */
static uint64_t hc_dispatch(struct vcpu *v, uint64_t control, uint64_t p1,
                            uint64_t p2)
{
    struct hc_input in = {
        .code = (uint16_t)(control & HV_HC_CODE_MASK),
        .fast = control & HV_HC_FAST,
        .varhead8 =
            (uint32_t)((control & HV_HC_VARHEAD_MASK) >> HV_HC_VARHEAD_SHIFT),
        .rep_count = (uint32_t)((control & HV_HC_REP_COUNT_MASK) >>
                                HV_HC_REP_COUNT_SHIFT),
        .rep_start = (uint32_t)((control & HV_HC_REP_START_MASK) >>
                                HV_HC_REP_START_SHIFT),
        .in_gpa = p1,
        .out_gpa = p2,
    };
    uint32_t reps_done = 0;
    const struct hc_desc *d = NULL;

    if (in.code < sizeof(hc_table) / sizeof(hc_table[0]) &&
        hc_table[in.code].fn)
        d = &hc_table[in.code];
    if (!d)
        return HV_STATUS_INVALID_HYPERCALL_CODE;
    if (d->fn == hc_denied)
        return HV_STATUS_ACCESS_DENIED; /* before looking at the input */
    if ((control & HV_HC_RSVD_MASK) || (control & HV_HC_NESTED))
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    if (in.varhead8 != 0)
        return HV_STATUS_INVALID_HYPERCALL_INPUT; /* no call takes one */
    if (d->rep ? (in.rep_count == 0 || in.rep_start >= in.rep_count)
               : (in.rep_count != 0 || in.rep_start != 0))
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    if (in.fast ? !d->fast_ok : !d->slow_ok)
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    if (!in.fast && d->in_len && (in.in_gpa & 7))
        return HV_STATUS_INVALID_ALIGNMENT;

    uint16_t st = d->fn(v, &in, &reps_done);
    return (uint64_t)st | ((uint64_t)(reps_done & 0xFFF) << 32);
}

int hv_hypercall(struct vcpu *v)
{
    if (!(v->hv.hypercall & HV_HYPERCALL_ENABLE) || v->cpl != 0 ||
        !(v->cr0 & X86_CR0_PE)) {
        vcpu_inject_ud(v);
        return 0;
    }
    v->hypercalls++;
    uint64_t *r = v->gpr;
    if (v->long_mode) {
        r[GPR_RAX] = hc_dispatch(v, r[GPR_RCX], r[GPR_RDX], r[GPR_R8]);
        return 1;
    }
    /* 32-bit: EDX:EAX control, EBX:ECX input, EDI:ESI output. */
    uint64_t control = (r[GPR_RDX] << 32) | (uint32_t)r[GPR_RAX];
    uint64_t in = (r[GPR_RBX] << 32) | (uint32_t)r[GPR_RCX];
    uint64_t out = (r[GPR_RDI] << 32) | (uint32_t)r[GPR_RSI];
    uint64_t res = hc_dispatch(v, control, in, out);
    r[GPR_RAX] = (uint32_t)res;
    r[GPR_RDX] = (uint32_t)(res >> 32);
    return 1;
}

/* --- connection-id registry ------------------------------------------------
 */

const struct hv_port *hv_port_find(const struct vcpu *v, uint32_t conn_id,
                                   bool is_event)
{
    for (unsigned i = 0; i < v->ports.count; i++) {
        const struct hv_port *p = &v->ports.port[i];
        if (conn_id >= p->conn_id && conn_id <= p->conn_last &&
            p->is_event == is_event)
            return p;
    }
    return NULL;
}

static int port_add(struct vcpu *v, uint32_t first, uint32_t last,
                    bool is_event, hv_msg_handler_fn m, hv_event_handler_fn e,
                    void *ctx)
{
    if (last < first)
        return -EINVAL;
    for (unsigned i = 0; i < v->ports.count; i++) {
        const struct hv_port *p = &v->ports.port[i];
        if (p->is_event == is_event && first <= p->conn_last &&
            last >= p->conn_id)
            return -EEXIST;
    }
    if (v->ports.count >= HV_PORTS_MAX)
        return -ENOSPC;
    struct hv_port *p = &v->ports.port[v->ports.count++];
    p->conn_id = first;
    p->conn_last = last;
    p->is_event = is_event;
    p->on_msg = m;
    p->on_event = e;
    p->ctx = ctx;
    return 0;
}

int hv_port_add_msg(struct vcpu *v, uint32_t conn_id, hv_msg_handler_fn fn,
                    void *ctx)
{
    if (!fn)
        return -EINVAL;
    return port_add(v, conn_id, conn_id, false, fn, NULL, ctx);
}

int hv_port_add_event(struct vcpu *v, uint32_t conn_id, hv_event_handler_fn fn,
                      void *ctx)
{
    if (!fn)
        return -EINVAL;
    return port_add(v, conn_id, conn_id, true, NULL, fn, ctx);
}

int hv_port_add_event_range(struct vcpu *v, uint32_t first, uint32_t last,
                            hv_event_handler_fn fn, void *ctx)
{
    if (!fn)
        return -EINVAL;
    return port_add(v, first, last, true, NULL, fn, ctx);
}
