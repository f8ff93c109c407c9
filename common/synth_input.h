/*
 * Synthetic keyboard and synthhid messages (proto/synthkbd.h,
 * proto/synthhid.h), and the scan code work both sides of the keyboard
 * need: the root turns a PS/2 set-1 byte stream into keystroke messages
 * (scan_feed), the guest turns keystrokes into key events with modifiers
 * and US-layout characters (kbd_translate).  Pure C, no globals: every
 * function works on caller memory and can be fed hostile bytes.
 */
#ifndef COMMON_SYNTH_INPUT_H
#define COMMON_SYNTH_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/synthhid.h"
#include "proto/synthkbd.h"

/* ---- synthetic keyboard messages ---- */

/* A validated keyboard message, copied out of the packet. */
struct synthkbd_msg {
    uint32_t type;      /* SYNTHKBD_MSG_* */
    uint32_t version;   /* PROTOCOL_REQUEST */
    uint32_t status;    /* PROTOCOL_RESPONSE: SYNTHKBD_ACCEPTED bit */
    uint16_t make_code; /* EVENT */
    uint32_t flags;     /* EVENT: SYNTHKBD_KEY_* */
    uint16_t led_flags; /* SET_LED_INDICATORS: SYNTHKBD_LED_* */
};

/*
 * Parses a keyboard packet payload of len bytes (padding allowed).
 * Returns 0, -EBADMSG (shorter than its type needs, longer than
 * SYNTHKBD_MAX_MSG, or an EVENT with unknown flags or a scan code above
 * 0x7F) or -ENOMSG (unknown type).
 */
int synthkbd_parse(const void *buf, uint32_t len, struct synthkbd_msg *out);

/* ---- PS/2 scan code set 1 byte stream -> keystrokes (root side) ---- */

struct scan_parser {
    uint8_t prefix; /* 0, 0xE0 or 0xE1 waiting for its code byte */
};

/*
 * Feeds one set-1 byte.  Returns 1 when a keystroke is complete
 * (*make_code 0x00..0x7F, *flags SYNTHKBD_KEY_BREAK/E0/E1), 0 when the byte
 * was a prefix, or -EINVAL for bytes that are no scan code (0x00 and 0xFF
 * errors, controller answers 0xFA/0xFE/0xEE) and for a prefix following a
 * prefix (the newer prefix is kept).  Pause (E1 1D 45 E1 9D C5) yields {1D,
 * E1}, {45}, {1D, E1|BREAK}, {45, BREAK} as Windows reports it.
 */
int scan_feed(struct scan_parser *p, uint8_t byte, uint16_t *make_code,
              uint32_t *flags);

/* ---- keystrokes -> key events (guest side) ---- */

/* Key identifiers: the set-1 make code, | KEY_E0 / KEY_E1 for prefixes. */
#define KEY_E0 0x100u
#define KEY_E1 0x200u
#define KEY_ESC 0x01u
#define KEY_BACKSPACE 0x0Eu
#define KEY_TAB 0x0Fu
#define KEY_ENTER 0x1Cu
#define KEY_LCTRL 0x1Du
#define KEY_LSHIFT 0x2Au
#define KEY_RSHIFT 0x36u
#define KEY_LALT 0x38u
#define KEY_CAPSLOCK 0x3Au
#define KEY_F1 0x3Bu /* F1..F10 are 0x3B..0x44 */
#define KEY_NUMLOCK 0x45u
#define KEY_SCROLLLOCK 0x46u
#define KEY_F11 0x57u
#define KEY_F12 0x58u
#define KEY_RCTRL (KEY_E0 | 0x1Du)
#define KEY_RALT (KEY_E0 | 0x38u)
#define KEY_HOME (KEY_E0 | 0x47u)
#define KEY_UP (KEY_E0 | 0x48u)
#define KEY_PGUP (KEY_E0 | 0x49u)
#define KEY_LEFT (KEY_E0 | 0x4Bu)
#define KEY_RIGHT (KEY_E0 | 0x4Du)
#define KEY_END (KEY_E0 | 0x4Fu)
#define KEY_DOWN (KEY_E0 | 0x50u)
#define KEY_PGDN (KEY_E0 | 0x51u)
#define KEY_INSERT (KEY_E0 | 0x52u)
#define KEY_DELETE (KEY_E0 | 0x53u)
#define KEY_PAUSE (KEY_E1 | 0x1Du)
#define KEY_UNICODE 0xFFFFu /* ev.ch holds the character */

/* Modifier and lock state bits (key_event.mods, kbd_state.mods). */
#define KMOD_LSHIFT 0x01u
#define KMOD_RSHIFT 0x02u
#define KMOD_LCTRL 0x04u
#define KMOD_RCTRL 0x08u
#define KMOD_LALT 0x10u
#define KMOD_RALT 0x20u
#define KMOD_SHIFT (KMOD_LSHIFT | KMOD_RSHIFT)
#define KMOD_CTRL (KMOD_LCTRL | KMOD_RCTRL)
#define KMOD_ALT (KMOD_LALT | KMOD_RALT)
#define KLOCK_SCROLL 0x1u /* same bits as SYNTHKBD_LED_* */
#define KLOCK_NUM 0x2u
#define KLOCK_CAPS 0x4u

struct key_event {
    uint16_t key;    /* KEY_* / make code | KEY_E0 | KEY_E1 */
    uint8_t pressed; /* 1 make, 0 break */
    uint8_t mods;    /* KMOD_* after this event */
    uint8_t locks;   /* KLOCK_* after this event */
    uint32_t ch;     /* character on a press, else 0: ASCII (control
                        codes for Enter, Tab, Backspace, Esc, Ctrl+letter)
                        or the UTF-16 unit of a unicode keystroke */
};

struct kbd_state {
    uint8_t mods;  /* KMOD_* held */
    uint8_t locks; /* KLOCK_* on */
};

/*
 * Turns one keystroke (as in synthkbd_keystroke) into an event and updates
 * st (modifiers, and on a press of Caps/Num/Scroll Lock the lock bits).
 * Returns 0, 1 (the lock state changed: send SET_LED_INDICATORS with
 * st->locks), or -EINVAL (make code above 0x7F without UNICODE, or unknown
 * flags); st is unchanged on error.  E0 2A / E0 36 (fake shifts around
 * navigation keys) change nothing.
 */
int kbd_translate(struct kbd_state *st, uint16_t make_code, uint32_t flags,
                  struct key_event *ev);

/* ---- synthhid messages ---- */

/* A validated synthhid message: views into the caller's packet. */
struct synthhid_msg {
    uint32_t type;       /* SYNTHHID_MSG_* */
    const uint8_t *body; /* after the synthhid header */
    uint32_t body_len;   /* the synthhid header's size */
};

/*
 * Checks a packet payload (pipe header, synthhid header, body) of len
 * bytes: pipe type DATA, pipe size covering the synthhid header and within
 * len, synthhid size within the pipe size, the type's minimum body.
 * Returns 0, -EBADMSG or -ENOMSG (unknown type).
 */
int synthhid_parse(const void *buf, uint32_t len, struct synthhid_msg *out);

/*
 * Builds pipe header + synthhid header + body into buf[cap].  Returns the
 * payload length, or 0 if cap is too small or the message exceeds
 * SYNTHHID_MAX_MSG.
 */
uint32_t synthhid_build(void *buf, uint32_t cap, uint32_t type,
                        const void *body, uint32_t body_len);

/*
 * Splits a DEVICE_INFO body: attributes copied to *attr, the report
 * descriptor as a view.  Returns 0 or -EBADMSG (HID descriptor shorter than
 * 9 bytes or not type 0x21, no report descriptor, zero length or longer
 * than SYNTHHID_MAX_REPORT_DESC, or not inside the body).
 */
int synthhid_device_info_split(const uint8_t *body, uint32_t len,
                               struct synthhid_attributes *attr,
                               const uint8_t **rdesc, uint32_t *rdesc_len);

#endif /* COMMON_SYNTH_INPUT_H */
