/* The i8042 configuration byte the driver writes (pure; host-tested). */
#include "root/dev/i8042/i8042.h"

uint8_t i8042_ctr_value(uint8_t ctr)
{
    /* Polled: no interrupts; keyboard clock on, translation on. */
    ctr &= (uint8_t) ~(I8042_CTR_KBDINT | I8042_CTR_AUXINT | I8042_CTR_KBDDIS);
    return ctr | I8042_CTR_XLATE;
}
