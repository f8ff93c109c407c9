/* Mode checks of the Bochs VBE driver (pure; host-tested). */
#include "root/dev/bochs/bochs.h"

#include <errno.h>

int bochs_check_mode(uint32_t w, uint32_t h, uint64_t fb_bytes)
{
    /* QEMU wants widths in multiples of 8 pixels for 32 bpp scanout. */
    if (w == 0 || h == 0 || w > BOCHS_MAX_XRES || h > BOCHS_MAX_YRES || w % 8u)
        return -EINVAL;
    if ((uint64_t)w * h * 4u > fb_bytes)
        return -EINVAL;
    return 0;
}
