/*
 * Helpers the input and video VSCs share: a bounded wait for a host answer
 * through the VMBus platform's wait(), and one-line logging through its
 * log().  Internal to vsc/input and vsc/video.
 */
#ifndef VSC_INPUT_VSC_UTIL_H
#define VSC_INPUT_VSC_UTIL_H

#include <stdint.h>

#include "vmbus/platform.h"

#define VSC_DEFAULT_TIMEOUT_NS 5000000000ull

/*
 * Calls check(arg) until it returns non-zero or timeout_ns passes, sleeping
 * in plat->wait() in between (channel callbacks run there).  check returns
 * 1 (done), 0 (not yet) or a negative errno.  Returns 0, check's error, or
 * -ETIMEDOUT.
 */
int vsc_wait(const struct vmbus_platform *plat, uint64_t timeout_ns,
             int (*check)(void *arg), void *arg);

struct vmbus_channel;
struct vmbus_pkt_info;

/*
 * vmbus_chan_recv() that never wedges on a packet larger than cap: such a
 * packet is read into a temporary buffer and dropped (-EMSGSIZE).  Returns
 * 0, -EAGAIN, -EMSGSIZE (dropped; or -ENOMEM if it could not be) or the
 * other vmbus_chan_recv() errors.
 */
int vsc_recv(struct vmbus_channel *ch, void *buf, uint32_t cap,
             struct vmbus_pkt_info *info);

/* Formats one line to plat->log (if any), prefixed by nothing. */
void vsc_logf(const struct vmbus_platform *plat, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* VSC_INPUT_VSC_UTIL_H */
