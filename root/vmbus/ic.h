/*
 * Host side of the integration components for the root: offers heartbeat,
 * shutdown, time sync and KVP devices on a VMBus server, negotiates their
 * versions when the guest opens them, and lets the root console ask for a
 * shutdown, push the time, and query or set KVP values.
 *
 * Requests are asynchronous: answers arrive through struct ic_host_events
 * when the guest responds (from vmbus_server_on_signal_event()).
 */
#ifndef ROOT_VMBUS_IC_H
#define ROOT_VMBUS_IC_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/ic.h"
#include "root/vmbus/server.h"

#define IC_HOST_HEARTBEAT 0u
#define IC_HOST_SHUTDOWN 1u
#define IC_HOST_TIMESYNC 2u
#define IC_HOST_KVP 3u
#define IC_HOST_COUNT 4u

struct ic_host;

struct ic_host_events {
    void *ctx;
    /* A KVP answer: key/value are ASCII ("" when absent); status IC_S_OK
     * or an error HRESULT (e.g. past the last entry of an enumeration). */
    void (*kvp_result)(void *ctx, uint8_t op, uint8_t pool, uint32_t index,
                       uint32_t status, const char *key, const char *value);
    /* The guest's answer to a shutdown request. */
    void (*shutdown_result)(void *ctx, uint32_t status);
};

/* Adds the four IC devices to srv.  NULL on failure.  ev may be NULL. */
struct ic_host *ic_host_create(struct vmbus_server *srv,
                               const struct ic_host_events *ev);
/* Rescinds the four devices and frees; call before vmbus_server_destroy(). */
void ic_host_destroy(struct ic_host *ic);

/* True once the guest opened service svc and agreed on versions. */
bool ic_host_ready(const struct ic_host *ic, unsigned svc);
/* Negotiated message version of svc (major << 16 | minor), 0 if none. */
uint32_t ic_host_version(const struct ic_host *ic, unsigned svc);
/* Heartbeat answers with the right sequence number so far. */
uint64_t ic_host_heartbeats(const struct ic_host *ic);
/* Malformed or unexpected guest answers dropped. */
uint64_t ic_host_bad_messages(const struct ic_host *ic);

/* Sends a heartbeat when period_ns passed since the last one.  Call from
 * the root's loop.  Returns 1 sent, 0 not due or not ready, <0 errno. */
int ic_host_tick(struct ic_host *ic, uint64_t now_ns, uint64_t period_ns);

/*
 * Requests; each returns 0, -ENOTCONN (service not ready), -EAGAIN (ring
 * full), -EINVAL (strings too long or not ASCII).
 */
int ic_host_shutdown(struct ic_host *ic, uint32_t flags, uint32_t reason);
/*
 * time_100ns: host wall time in 100 ns since 1601, sampled when the
 * partition's reference counter (HV_MSR_TIME_REF_COUNT, 100 ns) read
 * vm_ref_100ns; guests on 4.0 add the reference time elapsed since.
 */
int ic_host_timesync(struct ic_host *ic, uint64_t time_100ns,
                     uint64_t vm_ref_100ns, uint8_t flags);
int ic_host_kvp_enumerate(struct ic_host *ic, uint8_t pool, uint32_t index);
int ic_host_kvp_get(struct ic_host *ic, uint8_t pool, const char *key);
int ic_host_kvp_set(struct ic_host *ic, uint8_t pool, const char *key,
                    const char *value);
int ic_host_kvp_delete(struct ic_host *ic, uint8_t pool, const char *key);
/*
 * Finds `key` in a pool by enumerating it (what Hyper-V does for the
 * intrinsic pool, and what Linux guests answer): one kvp_result with op
 * IC_KVP_OP_ENUMERATE reports the match (status IC_S_OK) or, after the
 * last entry, the failure status with the key asked for and an empty
 * value.  Entries that don't match are not reported.  One lookup at a
 * time: -EBUSY while one runs; errors as the other requests.
 */
int ic_host_kvp_lookup(struct ic_host *ic, uint8_t pool, const char *key);

/*
 * Processes one guest packet payload of service svc (for the channel
 * callback, tests and fuzzing).  Returns 0 or -EBADMSG (dropped).
 */
int ic_host_handle(struct ic_host *ic, unsigned svc, const uint8_t *msg,
                   uint32_t len);

#endif /* ROOT_VMBUS_IC_H */
