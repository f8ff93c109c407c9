/* Guest VMBus client internals shared by vmbus/vmbus.c and vmbus/channel.c. */
#ifndef VMBUS_VMBUS_INTERNAL_H
#define VMBUS_VMBUS_INTERNAL_H

#include "common/ring.h"
#include "vmbus/vmbus.h"

enum chan_state {
    CHAN_OFFERED, /* known, closed */
    CHAN_OPENING, /* OpenChannel sent */
    CHAN_OPEN,
    CHAN_DEAD, /* after Unload: nothing may be sent */
};

struct vmbus_channel {
    struct vmbus *vb;
    struct vmbus_msg_offer offer; /* copy of the validated offer */
    uint32_t relid;
    uint32_t sig_conn_id; /* connection id the host listens on */
    enum chan_state state;
    bool rescinded;
    bool probed; /* probe attempted */
    const struct vmbus_driver *drv;
    void *priv;
    /* Sub-channel (offer's sub_channel_index != 0): the primary with the
     * same class and instance; NULL if none was known or it is released. */
    struct vmbus_channel *primary;

    /* Open request in flight. */
    uint32_t open_id;
    bool open_done;
    uint32_t open_status;

    /* Rings: one allocation of ring_pages pages shared by ring_gpadl. */
    void *ring_mem;
    size_t ring_pages;
    uint32_t ring_gpadl;
    struct ring out; /* guest -> host */
    struct ring in;  /* host -> guest */
    vmbus_chan_cb cb;
    void *cb_ctx;
};

/* A blocking request waiting for its answer. */
struct vmbus_wait {
    uint32_t key;   /* GPADL handle */
    uint32_t relid; /* channel it belongs to */
    bool done;
    uint32_t status;
};

struct vmbus {
    struct vmbus_platform plat;
    uint64_t timeout_ns;
    unsigned log_budget; /* lines left before logging stops */
    uint32_t version;
    uint32_t msg_conn_id;
    bool connected;

    void *int_page; /* pre-5.0 interrupt page: host-to-guest, guest-to-host */
    void *monitor_pages; /* two pages named in InitiateContact */

    /* Negotiation. */
    bool vresp_done;
    struct vmbus_msg_version_response vresp;
    uint32_t vresp_len;
    bool offers_done;
    bool poll_work; /* an offer or rescind awaits vmbus_poll() */
    bool unload_done;

    /* GPADL create / teardown in flight (one of each at a time). */
    struct vmbus_wait *gpadl_wait;
    struct vmbus_wait *teardown_wait;
    uint32_t next_gpadl;
    uint32_t next_open_id;

    struct vmbus_channel *chans[VMBUS_MAX_RELID + 1]; /* by relid */
    const struct vmbus_driver *drivers[VMBUS_MAX_DRIVERS];
    size_t ndrivers;
};

/* vmbus.c */
void vmbus_logf(struct vmbus *vb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int vmbus_post(struct vmbus *vb, const void *msg, uint32_t len);
/* Waits until *flag or the timeout.  0 or -ETIMEDOUT. */
int vmbus_wait_flag(struct vmbus *vb, const bool *flag);

/* channel.c */
void vmbus_chan_on_open_result(struct vmbus *vb,
                               const struct vmbus_msg_open_result *m);
void vmbus_chan_free(struct vmbus_channel *ch);
void vmbus_chan_signal(struct vmbus_channel *ch);

#endif /* VMBUS_VMBUS_INTERNAL_H */
