/*
 * Fuzz target: the root's child loaders (Multiboot 1/2 ELF and address
 * forms, and the Linux bzImage loader) over hostile images, each writing
 * into a small child RAM through the checked accessor.  The first input
 * byte picks the loader; the rest is the image.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "root/boot/loader.h"
#include "root/linux/bzimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void root_log(const char *fmt, ...);
void root_log(const char *fmt, ...)
{
    (void)fmt;
}

#define RAM (8u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *ram;
    if (!ram)
        ram = malloc(RAM);
    if (size < 1 || !ram)
        return 0;
    struct gmem mem = {ram, RAM};
    uint8_t which = data[0];
    const uint8_t *img = data + 1;
    size_t len = size - 1;

    if (which & 1) {
        struct linux_entry le;
        static const uint8_t initrd[64] = {1, 2, 3};
        (void)linux_load(&mem, img, len, initrd, sizeof(initrd),
                         "console=ttyS0", 0xE0000, &le);
    } else {
        static const uint8_t mod[32] = {0x7f, 'E', 'L', 'F'};
        struct loader_module m = {mod, sizeof(mod), "module args"};
        struct loader_result lr;
        (void)loader_load(&mem, img, len, "child cmdline", &m, which & 2, &lr);
    }
    return 0;
}
