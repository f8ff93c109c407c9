/*
 * Guest synthetic keyboard VSC (proto/synthkbd.h): opens the keyboard
 * channel, negotiates version 1.0, turns the host's keystrokes into key
 * events (common/synth_input.h: modifiers, US-layout characters) in a
 * queue, and reports the lock state back as LED indicators.
 *
 * Blocking calls wait through the VMBus platform's wait(); the channel
 * callback (non-blocking) only drains the ring into the queue.  Every host
 * message is validated; bad ones are counted, logged and dropped.
 */
#ifndef VSC_INPUT_KBD_H
#define VSC_INPUT_KBD_H

#include <stdint.h>

#include "common/synth_input.h"
#include "vmbus/vmbus.h"

struct kbd_vsc;

#define KBD_VSC_QUEUE 64u         /* events kept until read */
#define KBD_VSC_RING_BYTES 16384u /* each direction */

struct kbd_vsc_config {
    const struct vmbus_platform *plat; /* wait(), now_ns(), log() */
    uint64_t timeout_ns;               /* for the handshake; 0 = 5 s */
    /* Optional: called for every event as it leaves the ring (from the
     * channel callback or kbd_vsc_read()), besides queueing it. */
    void (*on_key)(void *ctx, const struct key_event *ev);
    void *ctx;
};

struct kbd_vsc_stats {
    uint64_t keystrokes, dropped, bad_messages, led_updates;
};

/*
 * Opens ch and negotiates.  *out gets the VSC.  Returns 0, -ENOMEM,
 * -ENOTSUP (the host refused 1.0), -ETIMEDOUT (the host never answered;
 * logged), -EPROTO (the host's answer was malformed), or an error of
 * vmbus_chan_open() or vmbus_chan_send().
 */
int kbd_vsc_open(struct vmbus_channel *ch, const struct kbd_vsc_config *cfg,
                 struct kbd_vsc **out);
/* Closes the channel and frees the VSC. */
void kbd_vsc_close(struct kbd_vsc *k);

/* Next queued event: 0, or -EAGAIN when none.  Drains the ring first. */
int kbd_vsc_read(struct kbd_vsc *k, struct key_event *ev);

/* Sends SET_LED_INDICATORS (KLOCK_* bits).  0 or a vmbus_chan_send() error. */
int kbd_vsc_set_leds(struct kbd_vsc *k, uint8_t locks);

/* Current modifier and lock state. */
struct kbd_state kbd_vsc_state(const struct kbd_vsc *k);
const struct kbd_vsc_stats *kbd_vsc_get_stats(const struct kbd_vsc *k);

#endif /* VSC_INPUT_KBD_H */
