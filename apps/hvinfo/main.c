/*
 * hvinfo: brings up WinHv and prints what the hypervisor offers, one fact
 * per line.  Exits 0 when the Hyper-V interface is up, 2 when there is
 * none (the clean failure a guest on bare QEMU or KVM without
 * enlightenments must give), 3 on any other WinHv error.
 *
 * Arguments (checks the e2e tests run under the root):
 *   sleep    sleep 1 s and report how much reference time passed
 *   panic    panic after init, so the root shows the crash MSRs
 *   hypercall  issue calls a hypervisor must refuse and print the errno
 *            they map to: the slow, fast and typed paths and the status
 *            translation, without disturbing VMBus
 */
#include "boot/kernel.h"
#include "winhv/winhv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *verdict(bool ok)
{
    return ok ? "ok" : "WRONG";
}

/*
 * sleep(1) must take 1 s of reference time within 2%, and the kernel clock
 * must agree with reference time within 1% over it.
 */
static void check_sleep(void)
{
    uint64_t r0 = winhv_ref_time(), t0 = clock_now_ns();
    sleep(1);
    uint64_t r1 = winhv_ref_time(), t1 = clock_now_ns();
    uint64_t ref_us = (r1 - r0) / 10, clk_us = (t1 - t0) / 1000;
    uint64_t diff = clk_us > ref_us ? clk_us - ref_us : ref_us - clk_us;
    printf(
        "hvinfo: sleep(1) took %llu us of clock, %llu us of reference "
        "time: %s\n",
        (unsigned long long)clk_us, (unsigned long long)ref_us,
        verdict(ref_us >= 980000 && ref_us <= 1020000 && diff * 100 <= ref_us));
}

/* No VMBus connection uses this id. */
#define BOGUS_CONNECTION 0x00ABCDEFu

static void expect(const char *what, int got, int want, const char *name)
{
    printf("hvinfo: %s: %d, expected %s: %s\n", what, got, name,
           verdict(got == want));
}

static void check_hypercalls(void)
{
    static const char ping[] = "hvinfo";
    expect("post_message to an unknown connection",
           winhv_post_message(BOGUS_CONNECTION, HV_MESSAGE_TYPE_VMBUS, ping,
                              sizeof(ping)),
           -ENOTCONN, "-ENOTCONN");
    expect("signal_event on an unknown connection",
           winhv_signal_event(BOGUS_CONNECTION, 0), -ENOTCONN, "-ENOTCONN");
    expect("fast call with an unknown code", winhv_call_fast(0x7FFF, 0, 0),
           -ENOSYS, "-ENOSYS");
    expect("post_message with 241 bytes",
           winhv_post_message(BOGUS_CONNECTION, HV_MESSAGE_TYPE_VMBUS, ping,
                              HV_MESSAGE_PAYLOAD_BYTES + 1),
           -EINVAL, "-EINVAL");
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
        else if (strcmp(argv[i], "hypercall") == 0)
            check_hypercalls();
        else if (strcmp(argv[i], "panic") == 0)
            PANIC("deliberate panic from hvinfo");
    }
    printf("hvinfo: done\n");
    return 0;
}
