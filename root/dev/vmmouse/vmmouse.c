/* vmmouse through the VMware backdoor port; see vmmouse.h. */
#include "root/dev/vmmouse/vmmouse.h"

#include <errno.h>

struct bd {
    uint32_t a, b, c, d;
};

static struct bd backdoor(uint32_t cmd, uint32_t arg)
{
    struct bd r = {VMMOUSE_MAGIC, arg, cmd, VMMOUSE_PORT};
    __asm__ volatile("inl %%dx, %%eax"
                     : "+a"(r.a), "+b"(r.b), "+c"(r.c), "+d"(r.d)
                     :
                     : "memory");
    return r;
}

static uint32_t status(void)
{
    return backdoor(VMMOUSE_CMD_STATUS, 0).a;
}

static int enable(void)
{
    backdoor(VMMOUSE_CMD_COMMAND, VMMOUSE_ENABLE);
    uint32_t st = status();
    if (st == VMMOUSE_ERROR || (st & 0xFFFF) < 1)
        return -ENODEV;
    if (backdoor(VMMOUSE_CMD_DATA, 1).a != VMMOUSE_VERSION_ID)
        return -ENODEV;
    backdoor(VMMOUSE_CMD_COMMAND, VMMOUSE_REQUEST_ABSOLUTE);
    return 0;
}

int vmmouse_init(void)
{
    /* Without a backdoor the IN reads all-ones and EBX keeps its value. */
    if (backdoor(VMMOUSE_CMD_GETVERSION, 0).b != VMMOUSE_MAGIC)
        return -ENODEV;
    return enable();
}

void vmmouse_disable(void)
{
    backdoor(VMMOUSE_CMD_COMMAND, VMMOUSE_DISABLE);
}

int vmmouse_poll(void (*fn)(void *ctx, const struct vmmouse_event *ev),
                 void *ctx, unsigned max)
{
    int n = 0;
    while ((unsigned)n < max) {
        uint32_t st = status();
        if (st == VMMOUSE_ERROR) {
            vmmouse_disable();
            enable();
            return -EIO;
        }
        if ((st & 0xFFFF) < 4)
            break;
        struct bd p = backdoor(VMMOUSE_CMD_DATA, 4);
        struct vmmouse_event ev = vmmouse_decode(p.a, p.b, p.c, p.d);
        fn(ctx, &ev);
        n++;
    }
    return n;
}
