/*
 * Guest integration components: heartbeat, shutdown, time sync and KVP.
 *
 * ic_guest_create() registers one VMBus driver per IC; each probe opens its
 * channel and answers the host's requests from the channel callback:
 *   heartbeat  answers seq_num + 1 with state "healthy";
 *   shutdown   answers, then calls cfg->shutdown (the appliance wires it to
 *              power_off(0) after its own shutdown hooks);
 *   timesync   converts host time (100 ns since 1601) and calls
 *              cfg->set_time with nanoseconds since 1970;
 *   KVP        answers the intrinsic pool (host name, OS, ...) from
 *              cfg->kvp_auto, and keeps up to IC_GUEST_KVP_ENTRIES values
 *              per other pool that the host may set, get, delete and
 *              enumerate.
 * No globals; callbacks run in the VMBus client's (non-blocking) context.
 */
#ifndef VSC_IC_H
#define VSC_IC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/ic.h"
#include "vmbus/vmbus.h"

#define IC_GUEST_KVP_ENTRIES 16u
#define IC_GUEST_KVP_KEY 64u    /* bytes incl. NUL, ASCII */
#define IC_GUEST_KVP_VALUE 256u /* bytes incl. NUL, ASCII */

struct ic_guest;

struct ic_guest_config {
    void *ctx;
    /*
     * Host asked to shut down (IC_SHUTDOWN_FLAG_*); called from the
     * channel callback after the answer is on the ring.  It may block and
     * need not return: vmbus_disconnect() and power_off() are fine here.
     * NULL: answered with IC_E_NOT_SUPPORTED.
     */
    void (*shutdown)(void *ctx, uint32_t flags);
    /* Host wall time in ns since 1970 (IC_TIMESYNC_* flags). */
    void (*set_time)(void *ctx, uint64_t unix_ns, uint8_t flags);
    /* The partition reference counter (100 ns), used to age version 4
     * samples by the time since the host took them.  NULL: not aged. */
    uint64_t (*ref_time)(void *ctx);
    /*
     * Intrinsic pool entry `index` as ASCII key and value (NUL-terminated,
     * within key_cap/value_cap).  Returns 0, or -ENOENT past the last one.
     * NULL: the pool is empty.
     */
    int (*kvp_auto)(void *ctx, uint32_t index, char *key, size_t key_cap,
                    char *value, size_t value_cap);
};

/*
 * A ready kvp_auto provider: the intrinsic values Hyper-V shows for a guest,
 * from the strings below (NULL entries are skipped).  Pass it as
 * cfg.kvp_auto with cfg.ctx pointing to a struct ic_guest_identity that
 * outlives the ICs.
 */
struct ic_guest_identity {
    const char *host_name;   /* FullyQualifiedDomainName */
    const char *os_name;     /* OSName */
    const char *os_version;  /* OSVersion */
    const char *os_major;    /* OSMajorVersion */
    const char *os_minor;    /* OSMinorVersion */
    const char *os_build;    /* OSBuildNumber */
    const char *arch;        /* ProcessorArchitecture */
    const char *ics_version; /* IntegrationServicesVersion */
    const char *ipv4;        /* NetworkAddressIPv4, ';'-separated */
    const char *ipv6;        /* NetworkAddressIPv6 */
};
int ic_guest_kvp_identity(void *identity, uint32_t index, char *key,
                          size_t key_cap, char *value, size_t value_cap);

/* The four services, also the index in ic_guest_handle(). */
#define IC_SVC_HEARTBEAT 0u
#define IC_SVC_SHUTDOWN 1u
#define IC_SVC_TIMESYNC 2u
#define IC_SVC_KVP 3u
#define IC_SVC_COUNT 4u

struct ic_guest_stats {
    uint64_t heartbeats, shutdowns, timesyncs, kvp_requests, negotiations;
    uint64_t bad_messages;
};

/* Returns the ICs with drivers registered on vb, or NULL (no memory or
 * driver table full).  cfg is copied. */
struct ic_guest *ic_guest_create(struct vmbus *vb,
                                 const struct ic_guest_config *cfg);
/* Frees; call after vmbus_destroy(vb) (drivers are kept by pointer). */
void ic_guest_destroy(struct ic_guest *g);
const struct ic_guest_stats *ic_guest_get_stats(const struct ic_guest *g);

/*
 * Processes one IC packet payload of service `svc` in place: msg holds len
 * bytes in a buffer of cap >= len bytes; on return it holds the answer of
 * *out_len bytes.  Returns 1 (send the answer), 0 (nothing to send) or
 * -EBADMSG / -EINVAL (dropped).  For the channel callback, tests and
 * fuzzing; it never calls cfg->shutdown (see ic_guest_take_shutdown).
 */
int ic_guest_handle(struct ic_guest *g, unsigned svc, uint8_t *msg,
                    uint32_t len, uint32_t cap, uint32_t *out_len);
/* True once if a shutdown was accepted by ic_guest_handle(). */
int ic_guest_take_shutdown(struct ic_guest *g, uint32_t *flags);

#endif /* VSC_IC_H */
