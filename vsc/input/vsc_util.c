/* Shared VSC helpers (see vsc/input/vsc_util.h). */
#include "vsc/input/vsc_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmbus/vmbus.h"

int vsc_wait(const struct vmbus_platform *plat, uint64_t timeout_ns,
             int (*check)(void *arg), void *arg)
{
    uint64_t deadline = plat->now_ns(plat->ctx) + timeout_ns;

    for (;;) {
        int rc = check(arg);
        if (rc != 0)
            return rc < 0 ? rc : 0;
        if (plat->now_ns(plat->ctx) >= deadline)
            return -ETIMEDOUT;
        plat->wait(plat->ctx, deadline);
    }
}

void vsc_logf(const struct vmbus_platform *plat, const char *fmt, ...)
{
    char line[160];
    va_list ap;

    if (!plat->log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    plat->log(plat->ctx, line);
}

int vsc_recv(struct vmbus_channel *ch, void *buf, uint32_t cap,
             struct vmbus_pkt_info *info)
{
    int rc = vmbus_chan_recv(ch, buf, cap, info);
    void *big;

    if (rc != -EMSGSIZE)
        return rc;
    big = malloc(info->len);
    if (!big)
        return -ENOMEM;
    rc = vmbus_chan_recv(ch, big, info->len, info);
    free(big);
    return rc == 0 ? -EMSGSIZE : rc;
}
