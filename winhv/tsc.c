/*
 * Reference time from the reference TSC page, and the mapping between
 * reference time and the kernel's nanosecond clock.  Pure.
 */
#include <errno.h>

#include "winhv/winhv_internal.h"

int winhv_tsc_page_read(const struct hv_reference_tsc_page *pg,
                        winhv_tsc_fn tsc, void *ctx, uint64_t *ref)
{
    for (unsigned i = 0; i < WINHV_TSC_RETRIES; i++) {
        /* The root rewrites the page (migration, TSC frequency change)
         * while we read it: the acquire loads keep the scale and offset
         * reads between the two sequence reads. */
        uint32_t seq = __atomic_load_n(&pg->tsc_sequence, __ATOMIC_ACQUIRE);
        if (seq == 0)
            return -ENODATA;
        uint64_t scale = __atomic_load_n(&pg->tsc_scale, __ATOMIC_ACQUIRE);
        int64_t offset = __atomic_load_n(&pg->tsc_offset, __ATOMIC_ACQUIRE);
        uint64_t t = tsc(ctx);
        /* The TSC read must not be satisfied before the page reads; the
         * call is opaque to the compiler and hw.c fences the RDTSC. */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&pg->tsc_sequence, __ATOMIC_ACQUIRE) != seq)
            continue;
        *ref = winhv_tsc_scale(t, scale, offset);
        return 0;
    }
    return -EAGAIN;
}

uint64_t winhv_ref_to_ns(const struct winhv_clock_base *b, uint64_t ref)
{
    if (ref <= b->ref0)
        return b->ns0;
    uint64_t d = ref - b->ref0;
    if (d > (UINT64_MAX - b->ns0) / 100)
        return UINT64_MAX;
    return b->ns0 + d * 100;
}

uint64_t winhv_ns_to_ref(const struct winhv_clock_base *b, uint64_t ns)
{
    if (ns <= b->ns0)
        return b->ref0;
    uint64_t d = ns - b->ns0;
    uint64_t r = d / 100 + (d % 100 != 0);
    if (r > UINT64_MAX - b->ref0)
        return UINT64_MAX;
    return b->ref0 + r;
}
