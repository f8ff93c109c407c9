/*
 * A test VSP for loopback tests: echoes every in-band packet back (as a
 * completion when one was requested), can stall (leave the ring unread) and
 * records what it saw.
 */
#ifndef TESTS_LOOPBACK_ECHO_VSP_H
#define TESTS_LOOPBACK_ECHO_VSP_H

#include <stdbool.h>
#include <stdint.h>

#include "root/vmbus/server.h"

struct echo_vsp {
    bool stall;           /* don't read the ring */
    bool refuse_open;     /* open returns a failure status */
    bool rescind_in_open; /* rescind the channel while opening */
    unsigned opens, closes, packets, signals;
    uint8_t user_data[120];
    uint8_t last[4096]; /* last packet, descriptor included */
    uint32_t last_len;
    int last_err;          /* last recv error */
    bool reply_blocked;    /* a reply did not fit */
    unsigned waits;        /* times it asked for pending_send_sz */
    uint8_t pending[4096]; /* that reply */
    struct ring_pkt_info pending_info;
    struct vmbus_server_channel *ch;
    /* Unmasked by every packet callback (a VSP going idle on all its
     * channels at once), NULL: none. */
    struct vmbus_server_channel *unmask;
};

extern const struct vmbus_server_device_ops echo_vsp_ops;

/* A device description bound to e (class given). */
struct vmbus_server_device echo_vsp_device(struct echo_vsp *e,
                                           struct vmbus_guid class_id,
                                           uint8_t instance);

#endif /* TESTS_LOOPBACK_ECHO_VSP_H */
