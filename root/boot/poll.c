/*
 * Root-side pollers: work the run loop does between trips into the child
 * (device backends checking their hardware).  A poller with a bound on
 * idle time keeps the root from sleeping longer than that while the
 * child is halted.
 */
#include <errno.h>
#include <stddef.h>

#include "root/boot/root.h"
#include "root/svm/svm.h"

#define ROOT_POLLERS_MAX 8u

static struct {
    void (*fn)(void *ctx);
    void *ctx;
    uint64_t max_idle_tsc;
} pollers[ROOT_POLLERS_MAX];
static unsigned npollers;
static uint64_t min_idle_tsc; /* smallest bound, 0 = none */

int root_poller_add(void (*fn)(void *ctx), void *ctx, uint64_t max_idle_ns)
{
    if (!fn)
        return -EINVAL;
    if (npollers >= ROOT_POLLERS_MAX)
        return -ENOSPC;
    uint64_t tsc = max_idle_ns ? (uint64_t)((unsigned __int128)max_idle_ns *
                                            root_tsc_hz() / 1000000000u)
                               : 0;
    if (max_idle_ns && !tsc)
        tsc = 1;
    pollers[npollers].fn = fn;
    pollers[npollers].ctx = ctx;
    pollers[npollers].max_idle_tsc = tsc;
    npollers++;
    if (tsc && (!min_idle_tsc || tsc < min_idle_tsc))
        min_idle_tsc = tsc;
    return 0;
}

void root_pollers_run(void)
{
    for (unsigned i = 0; i < npollers; i++)
        pollers[i].fn(pollers[i].ctx);
}

uint64_t root_pollers_deadline(uint64_t now_tsc)
{
    return min_idle_tsc ? now_tsc + min_idle_tsc : 0;
}
