/* Polled i8042 keyboard; see i8042.h. */
#include "root/dev/i8042/i8042.h"

#include <errno.h>

#include "common/x86/cpu.h"

#define SPIN 100000u /* status polls before a step is given up */

static int wait_write(void)
{
    for (unsigned i = 0; i < SPIN; i++)
        if (!(inb(I8042_STATUS) & I8042_STS_IBF))
            return 0;
    return -ENODEV;
}

static int wait_read(void)
{
    for (unsigned i = 0; i < SPIN; i++)
        if (inb(I8042_STATUS) & I8042_STS_OBF)
            return 0;
    return -ENODEV;
}

static void flush(void)
{
    for (unsigned i = 0; i < 64 && (inb(I8042_STATUS) & I8042_STS_OBF); i++)
        (void)inb(I8042_DATA);
}

int i8042_init(void)
{
    if (inb(I8042_STATUS) == 0xFF)
        return -ENODEV;
    flush();
    if (wait_write())
        return -ENODEV;
    outb(I8042_CMD, I8042_CMD_READ_CTR);
    if (wait_read())
        return -ENODEV;
    uint8_t ctr = inb(I8042_DATA);
    if (wait_write())
        return -ENODEV;
    outb(I8042_CMD, I8042_CMD_WRITE_CTR);
    if (wait_write())
        return -ENODEV;
    outb(I8042_DATA, i8042_ctr_value(ctr));
    if (wait_write())
        return -ENODEV;
    outb(I8042_CMD, I8042_CMD_KBD_ENABLE);
    flush();
    return 0;
}

unsigned i8042_poll(void (*fn)(void *ctx, uint8_t byte), void *ctx,
                    unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; n < max && i < 2 * max; i++) {
        uint8_t st = inb(I8042_STATUS);
        if (!(st & I8042_STS_OBF))
            break;
        uint8_t byte = inb(I8042_DATA);
        if (st & I8042_STS_AUX || byte == I8042_KBD_ACK ||
            byte == I8042_KBD_RESEND)
            continue;
        fn(ctx, byte);
        n++;
    }
    return n;
}

/* One byte to the keyboard and its ACK; other bytes meanwhile are lost. */
static int kbd_send(uint8_t byte)
{
    if (wait_write())
        return -EIO;
    outb(I8042_DATA, byte);
    for (unsigned i = 0; i < 16; i++) {
        if (wait_read())
            return -EIO;
        uint8_t st = inb(I8042_STATUS);
        uint8_t r = inb(I8042_DATA);
        if (!(st & I8042_STS_AUX) && r == I8042_KBD_ACK)
            return 0;
    }
    return -EIO;
}

int i8042_set_leds(uint8_t leds)
{
    if (kbd_send(0xED) || kbd_send(leds & 7u))
        return -EIO;
    return 0;
}
