/*
 * vCPU bookkeeping shared by the emulation modules: the checked guest
 * memory accessor, the clock, exception queueing, timer polling.
 */
#include "root/hv/vcpu.h"

#include <errno.h>
#include <string.h>

#include "root/hv/hv.h"
#include "root/hv/vapic.h"

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
    if (!m->base || len == 0 || gpa >= m->size || len > m->size - gpa)
        return NULL;
    return m->base + gpa;
}

void *vcpu_gpa_ptr(const struct vcpu *v, uint64_t gpa, uint64_t len)
{
    void *p = gmem_ptr(&v->mem, gpa, len);
    if (p || len == 0)
        return p;
    for (unsigned i = 0; i < v->nregions; i++) {
        const struct gmem_region *r = &v->region[i];
        if (gpa >= r->gpa && gpa - r->gpa < r->size &&
            len <= r->size - (gpa - r->gpa))
            return r->base + (gpa - r->gpa);
    }
    return NULL;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

int vcpu_add_region(struct vcpu *v, uint64_t gpa, uint64_t size, uint8_t *base)
{
    const uint64_t limit = 1ull << 52;
    if (!base || size == 0 || (gpa | size) & 0xFFF || gpa >= limit ||
        size > limit - gpa || overlaps(gpa, size, 0, v->mem.size))
        return -EINVAL;
    for (unsigned i = 0; i < v->nregions; i++)
        if (overlaps(gpa, size, v->region[i].gpa, v->region[i].size))
            return -EINVAL;
    if (v->nregions >= VCPU_MAX_REGIONS)
        return -ENOSPC;
    v->region[v->nregions++] = (struct gmem_region){gpa, size, base};
    return 0;
}

int vcpu_remove_region(struct vcpu *v, uint64_t gpa)
{
    for (unsigned i = 0; i < v->nregions; i++) {
        if (v->region[i].gpa != gpa)
            continue;
        v->region[i] = v->region[--v->nregions];
        return 0;
    }
    return -ENOENT;
}

void vcpu_init(struct vcpu *v, uint8_t *ram, uint64_t ram_size, uint64_t tsc_hz,
               uint64_t now_tsc)
{
    memset(v, 0, sizeof(*v));
    v->mem.base = ram;
    v->mem.size = ram_size;
    v->tsc_hz = tsc_hz ? tsc_hz : 1;
    v->now_tsc = now_tsc;
    v->tsc_base = now_tsc;
    /* 10^7 reference ticks per second, as 0.64 fixed point per TSC tick. */
    v->ref_scale = (uint64_t)(((unsigned __int128)10000000u << 64) / v->tsc_hz);
    v->apic_hz = ROOT_APIC_HZ;
    v->rflags = 0x2;
    v->cr0 = 0x60000010ull; /* CD NW ET: the reset value */
    v->pat = 0x0007040600070406ull;
    for (unsigned i = 0; i < HV_SINT_COUNT; i++)
        v->synic.sint[i] = HV_SINT_MASKED;
    vapic_reset(v);
}

uint64_t vcpu_ref_time_at(const struct vcpu *v, uint64_t tsc)
{
    if (tsc <= v->tsc_base)
        return 0;
    return (uint64_t)((unsigned __int128)(tsc - v->tsc_base) * 10000000u /
                      v->tsc_hz);
}

uint64_t vcpu_tsc_for_ref(const struct vcpu *v, uint64_t ref)
{
    unsigned __int128 t =
        ((unsigned __int128)ref * v->tsc_hz + 9999999u) / 10000000u;
    t += v->tsc_base;
    return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_err,
                           uint32_t err)
{
    if (v->exc.pending)
        return;
    v->exc.pending = true;
    v->exc.vector = vector;
    v->exc.has_err = has_err;
    v->exc.err = err;
}

void vcpu_stop(struct vcpu *v, enum vcpu_stop why, int status)
{
    if (v->stop != VCPU_RUNNING)
        return;
    v->stop = why;
    v->stop_status = status;
}

void vcpu_poll_timers(struct vcpu *v)
{
    vapic_poll_timer(v);
    synic_poll(v);
    if (v->poll_hook)
        v->poll_hook(v->poll_ctx, v);
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    return a < b ? a : b;
}

uint64_t vcpu_next_deadline(const struct vcpu *v)
{
    uint64_t d = v->apic.timer_deadline;
    for (unsigned i = 0; i < HV_STIMER_COUNT; i++)
        if (!v->stimer[i].msg_pending) /* waits for an EOM, not a time */
            d = earliest(d, v->stimer[i].deadline);
    return d;
}
