/*
 * Root synthhid VSP (proto/synthhid.h): offers a mouse channel as Hyper-V
 * does (class VMBUS_CLASS_MOUSE, instance SYNTHHID_INSTANCE_GUID), accepts
 * version 2.0, sends device info whose report descriptor describes an
 * absolute pointer (5 buttons, X and Y in 0..32767, a relative wheel) with
 * Microsoft's vendor and product ids, and after the guest's ack sends one
 * input report (struct synthhid_mouse_report) per backend event.
 *
 * The backend (virtio-tablet, a test) reports absolute positions.  Guest
 * messages are framed by the pipe size, never by the VMBus packet length.
 * Reports that do not fit in the ring wait in a small queue until the
 * guest's reads free space (the newest position wins when it is full).
 * Single-threaded.
 */
#ifndef ROOT_VSP_INPUT_MOUSE_VSP_H
#define ROOT_VSP_INPUT_MOUSE_VSP_H

#include <stdbool.h>
#include <stdint.h>

#include "root/vmbus/server.h"

struct mouse_vsp;

#define MOUSE_VSP_QUEUE 64u

struct mouse_vsp_backend {
    void *ctx;
    void (*log)(void *ctx, const char *line); /* optional */
};

struct mouse_vsp_stats {
    uint64_t reports, dropped, bad_messages, negotiations, refusals;
};

/* Creates the VSP and adds its device to srv.  Returns 0, -ENOMEM or an
 * error of vmbus_server_add_device(). */
int mouse_vsp_create(struct vmbus_server *srv,
                     const struct mouse_vsp_backend *be,
                     struct mouse_vsp **out);
void mouse_vsp_destroy(struct mouse_vsp *m);

/*
 * Reports the pointer: x, y in 0..32767 (clamped), buttons bit 0 left,
 * 1 right, 2 middle, 3 and 4 extra; wheel steps, positive away from the
 * user.  Returns 0 (sent or queued), -ENOTCONN (the guest has not acked
 * the device info: dropped) or -ENOBUFS (queue full: replaced the last).
 */
int mouse_vsp_event(struct mouse_vsp *m, uint32_t x, uint32_t y,
                    uint8_t buttons, int16_t wheel);

/* The report descriptor the device info carries. */
const uint8_t *mouse_vsp_report_descriptor(uint32_t *len);

bool mouse_vsp_active(const struct mouse_vsp *m);
const struct mouse_vsp_stats *mouse_vsp_get_stats(const struct mouse_vsp *m);

#endif /* ROOT_VSP_INPUT_MOUSE_VSP_H */
