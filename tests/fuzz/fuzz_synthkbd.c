/*
 * Fuzz target for the keyboard and synthhid parts of common/synth_input.c:
 * the first byte picks keyboard message parsing (with every accepted
 * keystroke fed to the translator), synthhid framing (device info split
 * included), or the scan code byte stream parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/synth_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void kbd(const uint8_t *buf, uint32_t len)
{
    struct synthkbd_msg m;
    struct kbd_state st = {0};
    struct key_event ev;

    if (synthkbd_parse(buf, len, &m) == 0 && m.type == SYNTHKBD_MSG_EVENT) {
        if (kbd_translate(&st, m.make_code, m.flags, &ev) < 0)
            abort(); /* the parser vouched for this keystroke */
        if (ev.ch >= 0x80 && !(m.flags & SYNTHKBD_KEY_UNICODE))
            abort();
    }
}

static void hid(const uint8_t *buf, uint32_t len)
{
    struct synthhid_msg m;
    struct synthhid_attributes a;
    const uint8_t *r;
    uint32_t rl;

    if (synthhid_parse(buf, len, &m) != 0)
        return;
    if (m.body < buf || m.body + m.body_len > buf + len)
        abort();
    if (m.type == SYNTHHID_MSG_DEVICE_INFO &&
        synthhid_device_info_split(m.body, m.body_len, &a, &r, &rl) == 0 &&
        (r < m.body || r + rl > m.body + m.body_len || rl == 0))
        abort();
}

static void scan(const uint8_t *buf, uint32_t len)
{
    struct scan_parser p = {0};
    struct kbd_state st = {0};
    struct key_event ev;
    uint16_t code;
    uint32_t flags, i;

    for (i = 0; i < len; i++)
        if (scan_feed(&p, buf[i], &code, &flags) == 1 &&
            (code > 0x7F || kbd_translate(&st, code, flags, &ev) < 0))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf;
    uint32_t len;

    if (size < 1 || size > 4096)
        return 0;
    len = (uint32_t)size - 1;
    buf = malloc(len ? len : 1);
    if (!buf)
        abort();
    memcpy(buf, data + 1, len);
    switch (data[0] % 3) {
    case 0:
        kbd(buf, len);
        break;
    case 1:
        hid(buf, len);
        break;
    default:
        scan(buf, len);
        break;
    }
    free(buf);
    return 0;
}
