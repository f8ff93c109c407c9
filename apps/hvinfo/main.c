/*
 * hvinfo: brings up WinHv and prints what the hypervisor offers, one fact
 * per line.  Exits 0 when the Hyper-V interface is up, 2 when there is
 * none (the clean failure a guest on bare QEMU or KVM without
 * enlightenments must give), 3 on any other WinHv error.
 *
 * Arguments (checks the e2e tests run under the root):
 *   sleep    sleep 1 s and report how much reference time passed
 *   panic    panic after init, so the root shows the crash MSRs
 */
#include "boot/kernel.h"
#include "winhv/winhv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void check_sleep(void)
{
    uint64_t r0 = winhv_ref_time(), t0 = clock_now_ns();
    sleep(1);
    uint64_t r1 = winhv_ref_time(), t1 = clock_now_ns();
    printf("hvinfo: sleep(1) took %llu us of clock, %llu us of reference "
           "time\n",
           (unsigned long long)((t1 - t0) / 1000),
           (unsigned long long)((r1 - r0) / 10));
}

int app_main(int argc, char **argv)
{
    int rc = winhv_init();

    winhv_describe();
    if (rc) {
        printf("hvinfo: winhv_init failed: %d (%s)\n", rc, strerror(-rc));
        return rc == -ENODEV ? 2 : 3;
    }
    printf("hvinfo: reference time %llu (100 ns units)\n",
           (unsigned long long)winhv_ref_time());
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "sleep") == 0)
            check_sleep();
        else if (strcmp(argv[i], "panic") == 0)
            PANIC("deliberate panic from hvinfo");
    }
    printf("hvinfo: done\n");
    return 0;
}
