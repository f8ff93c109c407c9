/*
 * VMware's absolute pointer ("vmmouse") on the root's machine, as QEMU's
 * `pc` machine provides it with vmport=on (its default): commands through
 * the backdoor I/O port 0x5658 with the magic in EAX, the command in ECX
 * and an argument in EBX.  In absolute mode QEMU queues four words per
 * event: buttons, X, Y (0..0xFFFF, QEMU's 0..0x7FFF input range doubled)
 * and a signed wheel delta.  Polled.  Stands in for virtio-tablet until
 * the root has a virtio transport; QMP input-send-event's "abs" events
 * reach it unscaled, so a test can place the pointer exactly.
 */
#ifndef ROOT_DEV_VMMOUSE_VMMOUSE_H
#define ROOT_DEV_VMMOUSE_VMMOUSE_H

#include <stdint.h>

#define VMMOUSE_PORT 0x5658u
#define VMMOUSE_MAGIC 0x564D5868u
#define VMMOUSE_CMD_GETVERSION 10u
#define VMMOUSE_CMD_DATA 39u
#define VMMOUSE_CMD_STATUS 40u
#define VMMOUSE_CMD_COMMAND 41u

#define VMMOUSE_ENABLE 0x45414552u
#define VMMOUSE_DISABLE 0x000000F5u
#define VMMOUSE_REQUEST_ABSOLUTE 0x53424152u
#define VMMOUSE_ERROR 0xFFFF0000u
#define VMMOUSE_VERSION_ID 0x3442554Au

#define VMMOUSE_LEFT 0x20u
#define VMMOUSE_RIGHT 0x10u
#define VMMOUSE_MIDDLE 0x08u

/* One pointer event in synthhid's terms. */
struct vmmouse_event {
    uint32_t x, y;   /* 0..32767 */
    uint8_t buttons; /* bit 0 left, 1 right, 2 middle */
    int16_t wheel;   /* positive away from the user */
};

/*
 * Detects the device and switches it to absolute mode.  Returns 0 or
 * -ENODEV (no backdoor, no vmmouse, or it refused).
 */
int vmmouse_init(void);
/* Leaves absolute mode (the host's pointer goes back to PS/2). */
void vmmouse_disable(void);

/*
 * Takes at most max queued events, fn(ctx, ev) for each.  Returns the
 * number, or -EIO when the device reports an error (it is then reset to
 * absolute mode).
 */
int vmmouse_poll(void (*fn)(void *ctx, const struct vmmouse_event *ev),
                 void *ctx, unsigned max);

/* Pure: the event of one 4-word packet (status, x, y, z). */
struct vmmouse_event vmmouse_decode(uint32_t status, uint32_t x, uint32_t y,
                                    uint32_t z);

#endif /* ROOT_DEV_VMMOUSE_VMMOUSE_H */
