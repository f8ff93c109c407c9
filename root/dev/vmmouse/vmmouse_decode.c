/* vmmouse packet decoding (pure; host-tested). */
#include "root/dev/vmmouse/vmmouse.h"

struct vmmouse_event vmmouse_decode(uint32_t status, uint32_t x, uint32_t y,
                                    uint32_t z)
{
    struct vmmouse_event ev;
    ev.x = (x & 0xFFFFu) >> 1;
    ev.y = (y & 0xFFFFu) >> 1;
    ev.buttons = (uint8_t)((status & VMMOUSE_LEFT ? 1u : 0u) |
                           (status & VMMOUSE_RIGHT ? 2u : 0u) |
                           (status & VMMOUSE_MIDDLE ? 4u : 0u));
    /* The wheel is a signed byte, positive toward the user. */
    ev.wheel = (int16_t) - (int8_t)(uint8_t)z;
    return ev;
}
