/*
 * virtio-input (Virtio 1.2, 5.8) on the root's machine, for an absolute
 * pointer: QEMU's virtio-tablet-pci.  The driver sets up the event queue
 * on the devices engineer's virtio PCI transport (root/dev/virtio), keeps
 * it stocked with 8-byte event buffers and, when polled, turns each
 * EV_SYN-terminated group of EV_ABS/EV_KEY/EV_REL events into one pointer
 * event scaled to synthhid's 0..32767.  The status queue (LEDs) is not
 * used.  QMP input-send-event "abs" values reach it exactly.
 */
#ifndef ROOT_DEV_VINPUT_VINPUT_H
#define ROOT_DEV_VINPUT_VINPUT_H

#include <stdint.h>

#include "root/dev/pci/pci.h"
#include "root/dev/virtio/virtio.h"

/* struct virtio_input_config (5.8.4): select, subsel, size, then data. */
#define VINPUT_CFG_SELECT 0u
#define VINPUT_CFG_SUBSEL 1u
#define VINPUT_CFG_SIZE 2u
#define VINPUT_CFG_DATA 8u
#define VINPUT_CFG_EV_BITS 0x11u
#define VINPUT_CFG_ABS_INFO 0x12u

/* struct virtio_input_event (5.8.6), written by the device. */
struct vinput_wire_event {
    uint16_t type;  /* +0 EV_* */
    uint16_t code;  /* +2 */
    uint32_t value; /* +4 */
};
_Static_assert(sizeof(struct vinput_wire_event) == 8, "virtio_input_event");

/* Linux input event codes (include/uapi/linux/input-event-codes.h). */
#define VINPUT_EV_SYN 0x00u
#define VINPUT_EV_KEY 0x01u
#define VINPUT_EV_REL 0x02u
#define VINPUT_EV_ABS 0x03u
#define VINPUT_ABS_X 0x00u
#define VINPUT_ABS_Y 0x01u
#define VINPUT_REL_WHEEL 0x08u
#define VINPUT_BTN_LEFT 0x110u
#define VINPUT_BTN_RIGHT 0x111u
#define VINPUT_BTN_MIDDLE 0x112u
#define VINPUT_BTN_SIDE 0x113u
#define VINPUT_BTN_EXTRA 0x114u

#define VINPUT_QUEUE 64u

/* One pointer state in synthhid's terms. */
struct vinput_pointer {
    uint32_t x, y;   /* 0..32767 */
    uint8_t buttons; /* bit 0 left, 1 right, 2 middle, 3 side, 4 extra */
    int16_t wheel;   /* steps since the last event, positive away */
};

/* The event decoder (pure; host-tested). */
struct vinput_state {
    int32_t min[2], max[2]; /* ABS_X, ABS_Y ranges from the device */
    struct vinput_pointer cur;
    int changed;
};

/* Sets the axis ranges (a range with max <= min is taken as 0..32767). */
void vinput_state_init(struct vinput_state *s, int32_t xmin, int32_t xmax,
                       int32_t ymin, int32_t ymax);
/*
 * Feeds one event.  Returns 1 with *out on an EV_SYN that ends a group
 * which changed something (the wheel is then reset), else 0.  Unknown
 * types and codes are ignored.
 */
int vinput_state_feed(struct vinput_state *s,
                      const struct vinput_wire_event *ev,
                      struct vinput_pointer *out);

struct vinput {
    struct pci_dev pci;
    struct virtio_dev vd;
    struct virtq q;
    struct vinput_wire_event *bufs; /* VINPUT_QUEUE of them */
    uint16_t slot_of[VINPUT_QUEUE]; /* descriptor -> buffer in flight */
    struct vinput_state st;
    uint64_t events, bad;
};

/*
 * Finds a virtio-input function with absolute X and Y, sets it up and
 * starts it.  Returns 0, -ENODEV (none, or set-up failed: it is marked
 * FAILED) or -ENOMEM.
 */
int vinput_probe(struct vinput *vi);

/*
 * Takes at most max events from the device: fn(ctx, p) for each group.
 * Returns the number of groups, or -EIO if the device misbehaved (the
 * entry is skipped).
 */
int vinput_poll(struct vinput *vi,
                void (*fn)(void *ctx, const struct vinput_pointer *p),
                void *ctx, unsigned max);

#endif /* ROOT_DEV_VINPUT_VINPUT_H */
