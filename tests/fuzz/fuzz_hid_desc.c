/*
 * Fuzz target for common/hid_desc.c: the first byte splits the input into
 * a report descriptor and an input report; a parsed layout must lie within
 * its limits, decoding must stay inside the report, and scaled values must
 * stay on the screen.  Exact-size heap copies let ASan see any overrun.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hid_desc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_field(const struct hid_field *f, uint32_t bits)
{
    if (!f->present)
        return;
    if (f->bit_size == 0 || f->bit_size > 32 || f->count == 0 || f->count > 32)
        abort();
    if ((uint32_t)f->bit_offset + (uint32_t)f->bit_size * f->count > bits)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hid_pointer p;
    struct hid_pointer_state s;
    size_t split;
    uint8_t *desc, *rep;

    if (size < 1)
        return 0;
    split = data[0] < size - 1 ? data[0] : size - 1;
    desc = malloc(split ? split : 1);
    rep = malloc(size - 1 - split ? size - 1 - split : 1);
    if (!desc || !rep)
        abort();
    memcpy(desc, data + 1, split);
    memcpy(rep, data + 1 + split, size - 1 - split);
    if (hid_desc_parse(desc, split, &p) == 0) {
        if (p.report_bits > HID_MAX_REPORT_BITS || !p.x.present || !p.y.present)
            abort();
        check_field(&p.buttons, p.report_bits);
        check_field(&p.x, p.report_bits);
        check_field(&p.y, p.report_bits);
        check_field(&p.wheel, p.report_bits);
        if (hid_report_decode(&p, rep, size - 1 - split, &s) == 0) {
            if (hid_scale(s.x, p.x.logical_min, p.x.logical_max, 1024) >= 1024)
                abort();
        }
    }
    free(desc);
    free(rep);
    return 0;
}
