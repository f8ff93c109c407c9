/* Guest kernel start: console, traps, memory, interrupts, clock, app. */
#include "boot/boot_internal.h"
#include "boot/kernel.h"
#include "common/cmdline.h"
#include "common/mbinfo.h"
#include "common/x86/cpu.h"
#include "common/x86/trap.h"
#include "common/x86/uart.h"

#include <errno.h>
#include <string.h>

#define MAX_ARGS 32

static struct boot_info bi;
static struct boot_module mods[BOOT_MAX_MODULES];
static char argbuf[BOOT_CMDLINE_MAX];

void x86_main(uint32_t magic, uint64_t info_pa);

/* Loader memory is identity-mapped below 4 GiB. */
static const void *boot_mem(void *ctx, uint64_t pa, size_t len)
{
    (void)ctx;
    if (pa == 0 || pa + len < pa || pa + len > (4ull << 30))
        return NULL;
    return (const void *)(uintptr_t)pa;
}

const char *boot_cmdline(void)
{
    return bi.cmdline;
}
const char *boot_loader_name(void)
{
    return bi.loader;
}
size_t boot_module_count(void)
{
    return bi.nmods;
}

const struct boot_module *boot_module_get(size_t i)
{
    return i < bi.nmods ? &mods[i] : NULL;
}

int boot_memory_map(size_t i, uint64_t *base, uint64_t *len, uint32_t *type)
{
    if (i >= bi.nmmap)
        return -ENOENT;
    *base = bi.mmap[i].base;
    *len = bi.mmap[i].len;
    *type = bi.mmap[i].type;
    return 0;
}

const char *boot_arg(const char *key)
{
    static char val[BOOT_CMDLINE_MAX];
    return cmdline_get(bi.cmdline, key, val, sizeof(val)) >= 0 ? val : NULL;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

void x86_main(uint32_t magic, uint64_t info_pa)
{
    char *argv[MAX_ARGS + 1];
    int argc;

    uart_init(UART_COM1);
    x86_cpu_init();
    int r = mbinfo_parse(magic, info_pa, boot_mem, NULL, &bi);
    if (r) {
        kprintf("boot: bad boot information (magic 0x%x, error %d)\n", magic,
                r);
        power_off(EXIT_PANIC);
    }
    for (size_t i = 0; i < bi.nmods; i++)
        mods[i] = (struct boot_module){bi.mods[i].start, bi.mods[i].end,
                                       bi.mods[i].cmdline};
    mm_init(&bi);
    irq_init();
    clock_init();
    irq_enable();

    /* argv[0] is "app"; a leading image path (QEMU -kernel and Multiboot 1
     * GRUB put one there) is dropped. */
    memcpy(argbuf, bi.cmdline, sizeof(argbuf));
    argv[0] = "app";
    argc = cmdline_split(argbuf, argv + 1, MAX_ARGS - 1);
    if (argc < 0) {
        kprintf("boot: command line has too many words or an open quote\n");
        argc = 0;
    }
    if (argc > 0 &&
        (ends_with(argv[1], ".elf") || ends_with(argv[1], ".elf32"))) {
        memmove(argv + 1, argv + 2, (size_t)argc * sizeof(argv[0]));
        argc--;
    }
    argc++;
    argv[argc] = NULL;

    power_off(app_main(argc, argv));
}
