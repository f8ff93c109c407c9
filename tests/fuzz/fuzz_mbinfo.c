/*
 * Fuzz target: Multiboot 1 and 2 boot information (common/mbinfo*.c) read
 * from a fake physical memory that the input fills.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/mbinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define BASE 0x1000u
static uint8_t mem[8192] __attribute__((aligned(8)));

static const void *fake(void *ctx, uint64_t pa, size_t len)
{
    (void)ctx;
    if (pa < BASE || len > sizeof(mem) || pa - BASE > sizeof(mem) - len)
        return NULL;
    return mem + (pa - BASE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct boot_info bi;
    if (size < 1)
        return 0;
    memset(mem, 0, sizeof(mem));
    memcpy(mem, data + 1, size - 1 < sizeof(mem) ? size - 1 : sizeof(mem));
    uint32_t magic = (data[0] & 1) ? MBINFO_MAGIC2 : MBINFO_MAGIC1;
    (void)mbinfo_parse(magic, BASE, fake, NULL, &bi);
    return 0;
}
