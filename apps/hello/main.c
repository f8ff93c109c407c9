/*
 * hello: the smallest appliance.  Prints a banner, its command line and the
 * memory map, says whether a Hyper-V-compatible hypervisor is present (and
 * if so, its version and features through WinHv), and exits with status 0.
 */
#include "boot/kernel.h"
#include "winhv/winhv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* WinHv prints what it finds; hello adds the one-line verdict. */
static void say_hypervisor(void)
{
    int r = winhv_init();
    if (r == 0) {
        winhv_describe();
        printf("hypervisor: Microsoft Hv found: running under a "
               "Hyper-V-compatible hypervisor\n");
    } else if (r == -ENODEV) {
        printf("hypervisor: none found: not running under a "
               "Hyper-V-compatible hypervisor\n");
    } else {
        printf("hypervisor: Microsoft Hv found, but WinHv failed (%d)\n", r);
    }
}

int app_main(int argc, char **argv)
{
    printf("Enlight hello\n");
    printf("loader: %s\n", boot_loader_name()[0] ? boot_loader_name() : "?");
    printf("command line: \"%s\"\n", boot_cmdline());
    for (int i = 1; i < argc; i++)
        printf("  argv[%d] = \"%s\"\n", i, argv[i]);
    static const char *const types[] = {"?",    "available", "reserved",
                                        "ACPI", "NVS",       "bad"};
    uint64_t base, len;
    uint32_t type;
    printf("memory map:\n");
    for (size_t i = 0; boot_memory_map(i, &base, &len, &type) == 0; i++)
        printf("  %016llx-%016llx %s\n", (unsigned long long)base,
               (unsigned long long)(base + len - 1),
               type < 6 ? types[type] : "?");
    printf("memory: %zu KiB free of %zu KiB\n", page_free_count() * 4,
           page_total_count() * 4);
    say_hypervisor();
    printf("hello: done\n");
    return 0;
}
