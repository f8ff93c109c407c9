/*
 * Guest synthetic mouse VSC (synthhid, proto/synthhid.h): opens the mouse
 * channel, negotiates version 2.0, takes the device info the host sends
 * (HID descriptor and report descriptor, parsed by common/hid_desc.h),
 * acknowledges it, and turns input reports into pointer events scaled to
 * the screen size the appliance sets.
 *
 * Blocking calls wait through the VMBus platform's wait(); the channel
 * callback only drains the ring.  Every host value is validated.
 */
#ifndef VSC_INPUT_MOUSE_H
#define VSC_INPUT_MOUSE_H

#include <stdint.h>

#include "common/hid_desc.h"
#include "vmbus/vmbus.h"

struct mouse_vsc;

#define MOUSE_VSC_QUEUE 64u
#define MOUSE_VSC_RING_BYTES 16384u

struct mouse_event {
    uint32_t x, y;    /* pixels, 0..width-1 and 0..height-1 (absolute
                         devices; relative ones accumulate) */
    uint32_t buttons; /* bit 0 left, 1 right, 2 middle, ... */
    int32_t wheel;    /* as reported: positive away from the user */
};

struct mouse_vsc_config {
    const struct vmbus_platform *plat; /* wait(), now_ns(), log() */
    uint64_t timeout_ns;               /* for the handshake; 0 = 5 s */
    uint32_t width, height;            /* screen; 0 = 1024 x 768 */
    /* Optional: called for every event as it leaves the ring (from the
     * channel callback or mouse_vsc_read()), besides queueing it. */
    void (*on_event)(void *ctx, const struct mouse_event *ev);
    void *ctx;
};

struct mouse_vsc_stats {
    uint64_t reports, dropped, bad_messages;
};

/*
 * Opens ch, negotiates 2.0, waits for the device info and acknowledges it.
 * Returns 0, -ENOMEM, -ENOTSUP (2.0 refused), -ETIMEDOUT (no response or
 * no device info; logged), -EPROTO (malformed answer, or a report
 * descriptor without X and Y), or an error of vmbus_chan_open() or
 * vmbus_chan_send().
 */
int mouse_vsc_open(struct vmbus_channel *ch, const struct mouse_vsc_config *cfg,
                   struct mouse_vsc **out);
void mouse_vsc_close(struct mouse_vsc *m);

/* Next queued event: 0 or -EAGAIN.  Drains the ring first. */
int mouse_vsc_read(struct mouse_vsc *m, struct mouse_event *ev);
/* New screen size for scaling (0 is taken as 1). */
void mouse_vsc_set_screen(struct mouse_vsc *m, uint32_t width, uint32_t height);
/* The layout found in the host's report descriptor. */
const struct hid_pointer *mouse_vsc_layout(const struct mouse_vsc *m);
/* Vendor and product from the device info. */
void mouse_vsc_ids(const struct mouse_vsc *m, uint16_t *vendor,
                   uint16_t *product);
const struct mouse_vsc_stats *mouse_vsc_get_stats(const struct mouse_vsc *m);

#endif /* VSC_INPUT_MOUSE_H */
