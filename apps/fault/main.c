/*
 * fault: a negative test appliance.  Touches an address outside the
 * identity map, so the kernel must print an exception report and stop with
 * EXIT_PANIC instead of hanging.  "fault panic" calls PANIC() instead.
 */
#include "boot/kernel.h"

#include <stdio.h>
#include <string.h>

int app_main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "panic") == 0) {
        printf("fault: calling PANIC\n");
        PANIC("deliberate panic from the fault appliance (%d)", 42);
    }
    printf("fault: reading an unmapped address\n");
    volatile uint64_t *bad = (volatile uint64_t *)0x0000100000000000ull;
    uint64_t v = *bad;
    printf("fault: read returned %lu: the fault was not caught\n",
           (unsigned long)v);
    return 1;
}
