/*
 * Root synthetic keyboard VSP (proto/synthkbd.h): offers a keyboard
 * channel as Hyper-V does (class VMBUS_CLASS_KEYBOARD, instance
 * SYNTHKBD_INSTANCE_GUID), accepts version 1.0, and sends the keys its
 * backend reports as keystroke messages: make/break and the E0/E1
 * prefixes as flags, one message per key as Hyper-V sends them.
 *
 * The backend (an i8042 driver, a virtio keyboard, a test) feeds either a
 * raw set-1 byte stream (kbd_vsp_scancode) or complete keys (kbd_vsp_key)
 * and hears about the guest's LED state.  Keys that do not fit in the
 * ring wait in a small queue until the guest's reads free space (the VSP
 * asks for a signal through pending_send_sz); keys arriving before the
 * guest finished the handshake are dropped.  Single-threaded, like the VMBus
 * server.
 */
#ifndef ROOT_VSP_INPUT_KBD_VSP_H
#define ROOT_VSP_INPUT_KBD_VSP_H

#include <stdbool.h>
#include <stdint.h>

#include "root/vmbus/server.h"

struct kbd_vsp;

#define KBD_VSP_QUEUE 128u /* keystrokes waiting for ring space */

struct kbd_vsp_backend {
    void *ctx;
    /* The guest set its indicators (SYNTHKBD_LED_*).  Optional. */
    void (*set_leds)(void *ctx, uint16_t led_flags);
    /* One line of diagnostics.  Optional. */
    void (*log)(void *ctx, const char *line);
};

struct kbd_vsp_stats {
    uint64_t keystrokes, dropped, bad_messages, negotiations, refusals;
    uint16_t leds; /* last SET_LED_INDICATORS value */
};

/*
 * Creates the VSP and adds its device to srv (offered at once if the guest
 * already asked for offers).  be is copied.  Returns 0, -ENOMEM, or an
 * error of vmbus_server_add_device().
 */
int kbd_vsp_create(struct vmbus_server *srv, const struct kbd_vsp_backend *be,
                   struct kbd_vsp **out);
/* Frees the VSP; call after vmbus_server_destroy() or a rescind. */
void kbd_vsp_destroy(struct kbd_vsp *k);

/*
 * Feeds one byte of a PS/2 scan code set 1 stream.  Returns 0 (a prefix,
 * or a key sent or queued), -EINVAL (not a scan code: dropped), -ENOTCONN
 * (no negotiated guest: dropped) or -ENOBUFS (queue full: dropped).
 */
int kbd_vsp_scancode(struct kbd_vsp *k, uint8_t byte);
/* Sends one key: make_code 0..0x7F, flags SYNTHKBD_KEY_*.  Returns as
 * kbd_vsp_scancode(), -EINVAL for a bad code or flags. */
int kbd_vsp_key(struct kbd_vsp *k, uint16_t make_code, uint32_t flags);

/* Sends a UTF-16 code unit as a unicode keystroke (as Hyper-V types
 * clipboard text).  Returns as kbd_vsp_key(). */
int kbd_vsp_unicode(struct kbd_vsp *k, uint16_t ch, bool release);

/* True once the guest negotiated 1.0 on an open channel. */
bool kbd_vsp_active(const struct kbd_vsp *k);
/* The server channel (for tests), or NULL. */
struct vmbus_server_channel *kbd_vsp_channel(const struct kbd_vsp *k);
const struct kbd_vsp_stats *kbd_vsp_get_stats(const struct kbd_vsp *k);

#endif /* ROOT_VSP_INPUT_KBD_VSP_H */
