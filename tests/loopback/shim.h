/*
 * Loopback platform: the guest VMBus client and the root VMBus server in one
 * host process.  A flat array plays guest RAM (GPA = offset into it, page 0
 * never handed out), one emulated SIMP slot and SIEFP area carry host-to-guest
 * messages and events, and guest-to-host messages and signals are queued.
 *
 * Deterministic and single-threaded: nothing runs until lb_pump() (called
 * by the client's wait()), which moves messages and signals both ways until
 * nothing is left.  Time is virtual: a wait() with nothing to deliver jumps
 * the clock to its deadline, so timeouts cost nothing.
 */
#ifndef TESTS_LOOPBACK_SHIM_H
#define TESTS_LOOPBACK_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "root/vmbus/server.h"
#include "vmbus/vmbus.h"

#define LB_G2H_QUEUE 64u
#define LB_SIGNALS 64u

struct lb_msg {
    uint32_t conn_id;
    uint32_t len;
    uint8_t data[240];
};

struct lb {
    uint8_t *mem;  /* guest RAM */
    size_t npages; /* of it */
    uint8_t *used; /* per page: allocated */

    struct vmbus *vb;
    struct vmbus_server *srv;

    /* guest -> host */
    struct lb_msg g2h[LB_G2H_QUEUE];
    unsigned g2h_head, g2h_count;
    uint32_t signals[LB_SIGNALS];
    unsigned nsignals;
    uint64_t signals_sent; /* guest HvSignalEvent count */

    /* host -> guest */
    struct hv_message slot; /* SIMP SINT 2 */
    bool slot_pending;      /* host found it busy */
    uint64_t siefp[HV_EVENT_FLAGS_BYTES / 8];
    bool sint_raised;
    uint64_t sints_raised;

    /* Optional memory the host reaches above the guest's RAM (a device
     * mapped into the guest's address space), e.g. a frame buffer. */
    uint8_t *extra;
    uint64_t extra_gpa, extra_len;

    uint64_t now_ns;
    unsigned logs;            /* lines logged */
    char last_log[160];       /* last line */
    bool verbose;             /* print log lines */
    bool refuse_posts;        /* guest post_message fails with -EAGAIN */
    bool drop_to_guest;       /* host messages vanish (host "dead") */
    uint64_t pages_allocated; /* currently */
};

/*
 * Sets up guest RAM of npages, a server with cfg (may be NULL), and a
 * client.  Returns 0 or -ENOMEM.
 */
int lb_init(struct lb *lb, size_t npages,
            const struct vmbus_server_config *cfg);
void lb_fini(struct lb *lb);

/* Runs both sides until idle, with vmbus_server_poll() at each step as
 * the root's loop after an exit.  Returns the number of steps taken. */
unsigned lb_pump(struct lb *lb);

/* Delivers raw bytes as a host -> guest VMBus message, bypassing the
 * server (for hostile-host tests). */
void lb_inject_to_guest(struct lb *lb, const void *payload, uint32_t len);

/* The two platform tables (ctx = lb). */
struct vmbus_platform lb_guest_platform(struct lb *lb);
struct vmbus_server_platform lb_host_platform(struct lb *lb);

/* GPA of a guest pointer / pointer of a GPA (no checks: for tests). */
uint64_t lb_gpa(struct lb *lb, const void *p);

#endif /* TESTS_LOOPBACK_SHIM_H */
