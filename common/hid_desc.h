/*
 * A small HID report descriptor parser (USB HID 1.11, section 6.2.2) for
 * pointing devices: finds the buttons, X, Y and wheel input fields of the
 * first report that has both X and Y, with their bit positions and
 * logical ranges, and decodes input reports with that layout.  Enough for
 * Hyper-V's synthetic mouse and for ordinary mice and tablets; arrays,
 * long items and output/feature reports are skipped.  Pure C, no globals,
 * bounded work on hostile input.
 */
#ifndef COMMON_HID_DESC_H
#define COMMON_HID_DESC_H

#include <stddef.h>
#include <stdint.h>

/* One input field (or, for buttons, a run of 1-bit fields). */
struct hid_field {
    uint8_t present;     /* 0: the descriptor has no such field */
    uint8_t relative;    /* Input item bit 2 */
    uint8_t bit_size;    /* 1..32 */
    uint8_t count;       /* buttons: how many (<= 32); others 1 */
    uint16_t bit_offset; /* from the first data bit (after a report id) */
    int32_t logical_min;
    int32_t logical_max;
};

struct hid_pointer {
    uint8_t report_id;    /* 0: the device uses no report ids */
    uint16_t report_bits; /* data bits of that report */
    struct hid_field buttons, x, y, wheel;
};

#define HID_MAX_REPORT_BITS 2048u /* per report id */

/*
 * Parses desc[0..len).  Returns 0, -EINVAL (truncated or long item, report
 * size above 32 or count above 255 on a data field we use, Push/Pop or
 * collection nesting beyond 8 or unbalanced, a report longer than
 * HID_MAX_REPORT_BITS) or -ENOENT (no report with X and Y input fields).
 */
int hid_desc_parse(const uint8_t *desc, size_t len, struct hid_pointer *out);

struct hid_pointer_state {
    uint32_t buttons; /* bit n = button n + 1 */
    int32_t x, y;     /* as reported, within the logical ranges */
    int32_t wheel;    /* 0 when the device has none */
};

/*
 * Decodes one input report of len bytes (report id byte first when
 * p->report_id != 0).  Returns 0, -ENOENT (another report id) or -EBADMSG
 * (shorter than the layout needs).
 */
int hid_report_decode(const struct hid_pointer *p, const uint8_t *report,
                      size_t len, struct hid_pointer_state *out);

/*
 * Scales v from [min, max] to [0, span - 1], clamping; 0 when the range
 * or span is empty.
 */
uint32_t hid_scale(int32_t v, int32_t min, int32_t max, uint32_t span);

#endif /* COMMON_HID_DESC_H */
