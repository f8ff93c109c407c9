/*
 * Synthetic keyboard and synthhid messages, set-1 scan codes (see
 * common/synth_input.h for the contract).
 */
#include "common/synth_input.h"

#include <errno.h>
#include <string.h>

/* ---- keyboard messages ---- */

int synthkbd_parse(const void *buf, uint32_t len, struct synthkbd_msg *out)
{
    const uint8_t *p = buf;
    uint32_t type;

    memset(out, 0, sizeof(*out));
    if (len < sizeof(struct synthkbd_hdr) || len > SYNTHKBD_MAX_MSG)
        return -EBADMSG;
    memcpy(&type, p, 4);
    out->type = type;
    switch (type) {
    case SYNTHKBD_MSG_PROTOCOL_REQUEST:
        if (len < sizeof(struct synthkbd_protocol_request))
            return -EBADMSG;
        memcpy(&out->version, p + 4, 4);
        return 0;
    case SYNTHKBD_MSG_PROTOCOL_RESPONSE:
        if (len < sizeof(struct synthkbd_protocol_response))
            return -EBADMSG;
        memcpy(&out->status, p + 4, 4);
        return 0;
    case SYNTHKBD_MSG_EVENT:
        if (len < sizeof(struct synthkbd_keystroke))
            return -EBADMSG;
        memcpy(&out->make_code, p + 4, 2);
        memcpy(&out->flags, p + 8, 4);
        if (out->flags & ~SYNTHKBD_KEY_FLAGS_KNOWN)
            return -EBADMSG;
        if (!(out->flags & SYNTHKBD_KEY_UNICODE) && out->make_code > 0x7F)
            return -EBADMSG;
        return 0;
    case SYNTHKBD_MSG_SET_LED_INDICATORS:
        if (len < SYNTHKBD_LED_MIN_LEN)
            return -EBADMSG;
        memcpy(&out->led_flags, p + 4, 2);
        return 0;
    default:
        return -ENOMSG;
    }
}

/* ---- scan code byte stream ---- */

int scan_feed(struct scan_parser *p, uint8_t byte, uint16_t *make_code,
              uint32_t *flags)
{
    uint8_t prefix = p->prefix;

    if (byte == 0xE0 || byte == 0xE1) {
        p->prefix = byte;
        return prefix ? -EINVAL : 0;
    }
    p->prefix = 0;
    /* Overrun/error codes and controller answers are never keys. */
    if (byte == 0x00 || byte == 0xFF || byte == 0xFA || byte == 0xFE ||
        byte == 0xEE)
        return -EINVAL;
    *make_code = byte & 0x7F;
    *flags = (byte & 0x80) ? SYNTHKBD_KEY_BREAK : 0;
    if (prefix == 0xE0)
        *flags |= SYNTHKBD_KEY_E0;
    else if (prefix == 0xE1)
        *flags |= SYNTHKBD_KEY_E1;
    return 1;
}

/* ---- key events ---- */

/* US layout, set-1 make codes 0x00..0x39: unshifted and shifted. */
static const char us_plain[0x3A] = {
    [0x01] = 0x1B, [0x02] = '1', [0x03] = '2',  [0x04] = '3',  [0x05] = '4',
    [0x06] = '5',  [0x07] = '6', [0x08] = '7',  [0x09] = '8',  [0x0A] = '9',
    [0x0B] = '0',  [0x0C] = '-', [0x0D] = '=',  [0x0E] = '\b', [0x0F] = '\t',
    [0x10] = 'q',  [0x11] = 'w', [0x12] = 'e',  [0x13] = 'r',  [0x14] = 't',
    [0x15] = 'y',  [0x16] = 'u', [0x17] = 'i',  [0x18] = 'o',  [0x19] = 'p',
    [0x1A] = '[',  [0x1B] = ']', [0x1C] = '\n', [0x1E] = 'a',  [0x1F] = 's',
    [0x20] = 'd',  [0x21] = 'f', [0x22] = 'g',  [0x23] = 'h',  [0x24] = 'j',
    [0x25] = 'k',  [0x26] = 'l', [0x27] = ';',  [0x28] = '\'', [0x29] = '`',
    [0x2B] = '\\', [0x2C] = 'z', [0x2D] = 'x',  [0x2E] = 'c',  [0x2F] = 'v',
    [0x30] = 'b',  [0x31] = 'n', [0x32] = 'm',  [0x33] = ',',  [0x34] = '.',
    [0x35] = '/',  [0x37] = '*', [0x39] = ' ',
};
static const char us_shift[0x3A] = {
    [0x01] = 0x1B, [0x02] = '!', [0x03] = '@',  [0x04] = '#',  [0x05] = '$',
    [0x06] = '%',  [0x07] = '^', [0x08] = '&',  [0x09] = '*',  [0x0A] = '(',
    [0x0B] = ')',  [0x0C] = '_', [0x0D] = '+',  [0x0E] = '\b', [0x0F] = '\t',
    [0x10] = 'Q',  [0x11] = 'W', [0x12] = 'E',  [0x13] = 'R',  [0x14] = 'T',
    [0x15] = 'Y',  [0x16] = 'U', [0x17] = 'I',  [0x18] = 'O',  [0x19] = 'P',
    [0x1A] = '{',  [0x1B] = '}', [0x1C] = '\n', [0x1E] = 'A',  [0x1F] = 'S',
    [0x20] = 'D',  [0x21] = 'F', [0x22] = 'G',  [0x23] = 'H',  [0x24] = 'J',
    [0x25] = 'K',  [0x26] = 'L', [0x27] = ':',  [0x28] = '"',  [0x29] = '~',
    [0x2B] = '|',  [0x2C] = 'Z', [0x2D] = 'X',  [0x2E] = 'C',  [0x2F] = 'V',
    [0x30] = 'B',  [0x31] = 'N', [0x32] = 'M',  [0x33] = '<',  [0x34] = '>',
    [0x35] = '?',  [0x37] = '*', [0x39] = ' ',
};
/* Keypad 0x47..0x53 with Num Lock on (0x4A and 0x4E regardless). */
static const char keypad[0x53 - 0x47 + 1] = "789-456+1230.";

static int is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static uint8_t modifier_bit(uint16_t key)
{
    switch (key) {
    case KEY_LSHIFT:
        return KMOD_LSHIFT;
    case KEY_RSHIFT:
        return KMOD_RSHIFT;
    case KEY_LCTRL:
        return KMOD_LCTRL;
    case KEY_RCTRL:
        return KMOD_RCTRL;
    case KEY_LALT:
        return KMOD_LALT;
    case KEY_RALT:
        return KMOD_RALT;
    default:
        return 0;
    }
}

static uint8_t lock_bit(uint16_t key)
{
    switch (key) {
    case KEY_CAPSLOCK:
        return KLOCK_CAPS;
    case KEY_NUMLOCK:
        return KLOCK_NUM;
    case KEY_SCROLLLOCK:
        return KLOCK_SCROLL;
    default:
        return 0;
    }
}

static uint32_t key_char(const struct kbd_state *st, uint16_t key)
{
    int shift = (st->mods & KMOD_SHIFT) != 0;
    char c;

    if (key == (KEY_E0 | 0x1C))
        return '\n'; /* keypad Enter */
    if (key == (KEY_E0 | 0x35))
        return '/'; /* keypad slash */
    if (key & (KEY_E0 | KEY_E1))
        return 0;
    if (key >= 0x47 && key <= 0x53) {
        c = keypad[key - 0x47];
        if (key == 0x4A || key == 0x4E)
            return (uint32_t)c;
        return (st->locks & KLOCK_NUM) && !shift ? (uint32_t)c : 0;
    }
    if (key >= sizeof(us_plain))
        return 0;
    c = us_plain[key];
    if (c == 0)
        return 0;
    if (is_letter(c) && (st->locks & KLOCK_CAPS))
        shift = !shift;
    c = shift ? us_shift[key] : c;
    if ((st->mods & KMOD_CTRL) && is_letter(c))
        return (uint32_t)((c | 0x20) - 'a' + 1);
    return (uint32_t)(unsigned char)c;
}

int kbd_translate(struct kbd_state *st, uint16_t make_code, uint32_t flags,
                  struct key_event *ev)
{
    int pressed = !(flags & SYNTHKBD_KEY_BREAK);
    uint16_t key;
    uint8_t bit;
    int changed = 0;

    if (flags & ~SYNTHKBD_KEY_FLAGS_KNOWN)
        return -EINVAL;
    memset(ev, 0, sizeof(*ev));
    if (flags & SYNTHKBD_KEY_UNICODE) {
        ev->key = KEY_UNICODE;
        ev->pressed = (uint8_t)pressed;
        ev->ch = pressed ? make_code : 0;
        ev->mods = st->mods;
        ev->locks = st->locks;
        return 0;
    }
    if (make_code > 0x7F)
        return -EINVAL;
    key = make_code;
    if (flags & SYNTHKBD_KEY_E0)
        key |= KEY_E0;
    else if (flags & SYNTHKBD_KEY_E1)
        key |= KEY_E1;
    ev->key = key;
    ev->pressed = (uint8_t)pressed;
    if (key == (KEY_E0 | KEY_LSHIFT) || key == (KEY_E0 | KEY_RSHIFT)) {
        /* Fake shifts: the state stays as it is. */
    } else if ((bit = modifier_bit(key)) != 0) {
        if (pressed)
            st->mods |= bit;
        else
            st->mods &= (uint8_t)~bit;
    } else if ((bit = lock_bit(key)) != 0) {
        if (pressed) {
            st->locks ^= bit;
            changed = 1;
        }
    } else if (pressed) {
        ev->ch = key_char(st, key);
    }
    ev->mods = st->mods;
    ev->locks = st->locks;
    return changed;
}

/* ---- synthhid ---- */

/* Minimum body per type (0: the type carries no body rule). */
static const uint32_t synthhid_min_body[SYNTHHID_MSG_TYPE_LIMIT] = {
    [SYNTHHID_MSG_PROTOCOL_REQUEST] = 4,
    [SYNTHHID_MSG_PROTOCOL_RESPONSE] = SYNTHHID_RESPONSE_BODY,
    [SYNTHHID_MSG_DEVICE_INFO] = SYNTHHID_DEVICE_INFO_FIXED,
    [SYNTHHID_MSG_DEVICE_INFO_ACK] = 1,
    [SYNTHHID_MSG_INPUT_REPORT] = 1,
};

int synthhid_parse(const void *buf, uint32_t len, struct synthhid_msg *out)
{
    const uint8_t *p = buf;
    struct synthhid_pipe_hdr pipe;
    struct synthhid_hdr hdr;

    memset(out, 0, sizeof(*out));
    if (len < sizeof(pipe) + sizeof(hdr))
        return -EBADMSG;
    memcpy(&pipe, p, sizeof(pipe));
    if (pipe.type != SYNTHHID_PIPE_DATA || pipe.size < sizeof(hdr) ||
        pipe.size > len - sizeof(pipe) || pipe.size > SYNTHHID_MAX_MSG)
        return -EBADMSG;
    memcpy(&hdr, p + sizeof(pipe), sizeof(hdr));
    if (hdr.size > pipe.size - sizeof(hdr))
        return -EBADMSG;
    if (hdr.type >= SYNTHHID_MSG_TYPE_LIMIT)
        return -ENOMSG;
    if (hdr.size < synthhid_min_body[hdr.type])
        return -EBADMSG;
    out->type = hdr.type;
    out->body = p + sizeof(pipe) + sizeof(hdr);
    out->body_len = hdr.size;
    return 0;
}

uint32_t synthhid_build(void *buf, uint32_t cap, uint32_t type,
                        const void *body, uint32_t body_len)
{
    struct synthhid_pipe_hdr pipe;
    struct synthhid_hdr hdr;
    uint8_t *p = buf;
    uint32_t total;

    if (body_len > SYNTHHID_MAX_MSG - sizeof(pipe) - sizeof(hdr))
        return 0;
    total = (uint32_t)(sizeof(pipe) + sizeof(hdr)) + body_len;
    if (total > cap)
        return 0;
    pipe.type = SYNTHHID_PIPE_DATA;
    pipe.size = (uint32_t)sizeof(hdr) + body_len;
    hdr.type = type;
    hdr.size = body_len;
    memcpy(p, &pipe, sizeof(pipe));
    memcpy(p + sizeof(pipe), &hdr, sizeof(hdr));
    if (body_len)
        memcpy(p + sizeof(pipe) + sizeof(hdr), body, body_len);
    return total;
}

int synthhid_device_info_split(const uint8_t *body, uint32_t len,
                               struct synthhid_attributes *attr,
                               const uint8_t **rdesc, uint32_t *rdesc_len)
{
    struct synthhid_hid_descriptor hid;
    uint32_t at;

    if (len < SYNTHHID_DEVICE_INFO_FIXED)
        return -EBADMSG;
    memcpy(attr, body, sizeof(*attr));
    memcpy(&hid, body + sizeof(*attr), sizeof(hid));
    if (hid.length < sizeof(hid) ||
        hid.descriptor_type != SYNTHHID_DESC_TYPE_HID ||
        hid.num_descriptors < 1 ||
        hid.report_type != SYNTHHID_DESC_TYPE_REPORT ||
        hid.report_length == 0 || hid.report_length > SYNTHHID_MAX_REPORT_DESC)
        return -EBADMSG;
    at = (uint32_t)sizeof(*attr) + hid.length;
    if (at > len || hid.report_length > len - at)
        return -EBADMSG;
    *rdesc = body + at;
    *rdesc_len = hid.report_length;
    return 0;
}
