/*
 * idle: connects to VMBus, brings up the four integration components and
 * then does nothing until the host shuts it down (exit status 0), or until
 * seconds=N have passed (status 0) -- the appliance for measuring what an
 * idle partition costs and for the IC end-to-end tests.
 */
#include "boot/kernel.h"
#include "vsc/partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *const names[IC_SVC_COUNT] = {"heartbeat", "shutdown",
                                                "timesync", "kvp"};

int app_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct vmbus *vb = partition_vmbus();
    if (!vb)
        return 2;
    int r = partition_connect(0);
    if (r) {
        printf("idle: VMBus connection failed: %d\n", r);
        return 3;
    }
    uint32_t v = vmbus_version(vb);
    printf("idle: VMBus %u.%u connected\n", (unsigned)(v >> 16),
           (unsigned)(v & 0xFFFF));

    const char *s = boot_arg("seconds");
    uint64_t start = clock_now_ns();
    uint64_t end = s ? start + strtoull(s, NULL, 0) * 1000000000ull : 0;
    uint64_t last_hb = 0;
    int reported_up = 0, reported_time = 0;
    for (;;) {
        uint64_t now = clock_now_ns();
        if (end && now >= end)
            break;
        const struct ic_guest_stats *st = ic_guest_get_stats(partition_ics());
        if (!reported_up && st->negotiations >= IC_SVC_COUNT) {
            reported_up = 1;
            printf("idle: integration components up:");
            for (unsigned i = 0; i < IC_SVC_COUNT; i++)
                printf(" %s", names[i]);
            printf("\n");
        }
        if (!reported_time && partition_time_synced()) {
            reported_time = 1;
            uint64_t w = clock_wall_ns();
            time_t t = (time_t)(w / 1000000000ull);
            char buf[32];
            strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
            printf("idle: wall clock set by the host: %s (unix %llu.%03llu)\n",
                   buf, (unsigned long long)(w / 1000000000ull),
                   (unsigned long long)(w % 1000000000ull / 1000000));
        }
        if (st->heartbeats >= last_hb + 10) {
            last_hb = st->heartbeats;
            printf("idle: %llu heartbeats answered\n",
                   (unsigned long long)last_hb);
        }
        fflush(stdout);
        partition_wait(end ? end : now + 1000000000ull);
    }
    printf("idle: %s seconds passed, exiting\n", s);
    return 0;
}
