/* virtio-input event decoding (pure; host-tested). */
#include "root/dev/vinput/vinput.h"

#include <string.h>

#define SPAN 32767

void vinput_state_init(struct vinput_state *s, int32_t xmin, int32_t xmax,
                       int32_t ymin, int32_t ymax)
{
    memset(s, 0, sizeof(*s));
    s->min[0] = xmin;
    s->max[0] = xmax;
    s->min[1] = ymin;
    s->max[1] = ymax;
    for (int i = 0; i < 2; i++)
        if (s->max[i] <= s->min[i]) {
            s->min[i] = 0;
            s->max[i] = SPAN;
        }
}

static uint32_t scale(const struct vinput_state *s, int axis, int32_t v)
{
    int64_t lo = s->min[axis], hi = s->max[axis];
    if (v <= lo)
        return 0;
    if (v >= hi)
        return SPAN;
    return (uint32_t)(((int64_t)v - lo) * SPAN / (hi - lo));
}

int vinput_state_feed(struct vinput_state *s,
                      const struct vinput_wire_event *ev,
                      struct vinput_pointer *out)
{
    int32_t value = (int32_t)ev->value;
    switch (ev->type) {
    case VINPUT_EV_ABS:
        if (ev->code == VINPUT_ABS_X || ev->code == VINPUT_ABS_Y) {
            uint32_t *p = ev->code == VINPUT_ABS_X ? &s->cur.x : &s->cur.y;
            *p = scale(s, ev->code == VINPUT_ABS_X ? 0 : 1, value);
            s->changed = 1;
        }
        break;
    case VINPUT_EV_KEY:
        if (ev->code >= VINPUT_BTN_LEFT && ev->code <= VINPUT_BTN_EXTRA) {
            uint8_t bit = (uint8_t)(1u << (ev->code - VINPUT_BTN_LEFT));
            if (value)
                s->cur.buttons |= bit;
            else
                s->cur.buttons &= (uint8_t)~bit;
            s->changed = 1;
        }
        break;
    case VINPUT_EV_REL:
        if (ev->code == VINPUT_REL_WHEEL && value >= -127 && value <= 127) {
            s->cur.wheel = (int16_t)(s->cur.wheel + value);
            s->changed = 1;
        }
        break;
    case VINPUT_EV_SYN:
        if (!s->changed)
            return 0;
        *out = s->cur;
        s->cur.wheel = 0;
        s->changed = 0;
        return 1;
    default:
        break;
    }
    return 0;
}
