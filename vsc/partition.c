/* Partition services for appliances; see partition.h. */
#include "vsc/partition.h"
#include "boot/kernel.h"
#include "winhv/winhv.h"

#include <errno.h>
#include <stdio.h>

static struct vmbus *vb;
static struct ic_guest *ics;
static const struct vmbus_platform *plat;
static int synced;
static struct ic_guest_identity identity = {
    .host_name = "enlight",
    .os_name = "Enlight",
    .os_version = "0.1",
    .os_major = "0",
    .os_minor = "1",
    .os_build = "1",
    .arch = "x86_64",
    .ics_version = "3.0",
};

static void on_shutdown(void *ctx, uint32_t flags)
{
    (void)ctx;
    printf("partition: the host asked for a %s; powering off\n",
           (flags & IC_SHUTDOWN_FLAG_RESTART) ? "restart" : "shutdown");
    fflush(stdout);
    power_off(0);
}

static void on_set_time(void *ctx, uint64_t unix_ns, uint8_t flags)
{
    (void)ctx;
    (void)flags;
    clock_set_wall_ns(unix_ns);
    synced = 1;
}

static uint64_t ref_time(void *ctx)
{
    (void)ctx;
    return winhv_ref_time();
}

static int kvp_auto(void *ctx, uint32_t index, char *key, size_t key_cap,
                    char *value, size_t value_cap)
{
    (void)ctx;
    return ic_guest_kvp_identity(&identity, index, key, key_cap, value,
                                 value_cap);
}

static void disconnect(void *ctx)
{
    (void)ctx;
    vmbus_disconnect(vb);
}

struct vmbus *partition_vmbus(void)
{
    if (vb)
        return vb;
    int r = winhv_init();
    if (r) {
        printf("partition: no Hyper-V interface (%d)\n", r);
        return NULL;
    }
    plat = winhv_vmbus_platform();
    vb = vmbus_create(plat);
    if (!vb)
        printf("partition: no memory for the VMBus client\n");
    return vb;
}

int partition_connect(uint32_t max_version)
{
    if (!partition_vmbus())
        return -ENODEV;
    const char *name = boot_arg("hostname");
    if (name && *name)
        identity.host_name = name;
    struct ic_guest_config cfg = {
        .ctx = NULL,
        .shutdown = on_shutdown,
        .set_time = on_set_time,
        .ref_time = ref_time,
        .kvp_auto = kvp_auto,
    };
    if (!ics) {
        ics = ic_guest_create(vb, &cfg);
        if (!ics)
            return -ENOMEM;
    }
    int r = winhv_vmbus_attach(vb);
    if (r)
        return r;
    r = vmbus_connect(vb, max_version);
    if (r)
        return r;
    shutdown_register(disconnect, NULL);
    return 0;
}

void partition_wait(uint64_t deadline_ns)
{
    if (!vb) {
        idle_until(deadline_ns);
        return;
    }
    plat->wait(plat->ctx, deadline_ns);
    vmbus_poll(vb);
}

struct ic_guest *partition_ics(void)
{
    return ics;
}

int partition_time_synced(void)
{
    return synced;
}
