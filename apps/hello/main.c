/*
 * hello: the smallest appliance.  Prints a banner, its command line and the
 * memory map, says whether a Hyper-V-compatible hypervisor is present, and
 * exits with status 0.
 */
#include "boot/kernel.h"
#include "common/x86/cpu.h"
#include "proto/hv.h"

#include <stdio.h>
#include <string.h>

static void say_hypervisor(void)
{
    if (!(cpuid(1, 0).ecx & (1u << 31))) {
        printf("hypervisor: none found (CPUID.1:ECX[31] clear): "
               "not running under Hyper-V\n");
        return;
    }
    struct cpuid_regs v = cpuid(HV_CPUID_VENDOR_AND_MAX, 0);
    char vendor[13];
    memcpy(vendor, &v.ebx, 4);
    memcpy(vendor + 4, &v.ecx, 4);
    memcpy(vendor + 8, &v.edx, 4);
    vendor[12] = '\0';
    uint32_t iface =
        v.eax >= HV_CPUID_INTERFACE ? cpuid(HV_CPUID_INTERFACE, 0).eax : 0;
    if (strcmp(vendor, "Microsoft Hv") == 0 && iface == HV_CPUID_INTERFACE_HV1)
        printf("hypervisor: Microsoft Hv (Hv#1 interface, max leaf 0x%x)\n",
               (unsigned)v.eax);
    else
        printf("hypervisor: \"%s\" found, but no Hyper-V interface: "
               "not running under Hyper-V\n",
               vendor);
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
