/*
 * kvstore: a persistent key-value store on the first SCSI disk.
 *
 * Brings up WinHv, VMBus and storvsc, mounts the FAT32 volume (first FAT
 * partition, or the whole disk) and opens the log (kv.h).  Commands, one
 * per line, from the console or from the "script" boot argument
 * (';'-separated, then the appliance exits):
 *
 *   put KEY VALUE   get KEY   del KEY   list   count   compact   stats
 *   quit
 *
 * With tcp=PORT the same commands are served on that TCP port over the
 * synthetic network adapter (DHCP) instead, until exit_after=SECONDS.
 *
 * Each answer is one line starting "OK" or "ERR".  A put/del is answered
 * only once it is durable.  Exit statuses: 0 done, 2 no Hyper-V, 3 no
 * VMBus, 4 no SCSI controller or disk, 5 no FAT volume, 6 log unusable,
 * 7 no network for tcp=.
 */
#include "apps/kvstore/kvstore.h"
#include "boot/kernel.h"
#include "net/up.h"
#include "storage/blk.h"
#include "storage/vfs.h"
#include "storage/volume.h"
#include "vmbus/vmbus.h"
#include "vsc/storvsc/storvsc.h"
#include "winhv/winhv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PATH "/kvstore.log"

void say_line(const struct reply *out, const char *fmt, ...)
{
    char buf[KV_KEY_MAX + KV_VALUE_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    if (n > 0)
        out->write(out->ctx, buf, (size_t)n);
}

static int say_one(void *ctx, const char *key, const void *value, uint32_t len)
{
    say_line(ctx, "%s %.*s\n", key, (int)len, (const char *)value);
    return 0;
}

int kvstore_command(struct kv *kv, char *line, const struct reply *out)
{
    char *save = NULL;
    char *cmd = strtok_r(line, " \t\r\n", &save);
    if (!cmd)
        return 0;
    char *key = strtok_r(NULL, " \t\r\n", &save);
    int r;
    if (!strcmp(cmd, "put") && key) {
        char *value = save ? save + strspn(save, " \t") : NULL;
        size_t n = value ? strcspn(value, "\r\n") : 0;
        r = kv_put(kv, key, value, (uint32_t)n);
        if (r)
            say_line(out, "ERR %d %s\n", r, strerror(-r));
        else
            say_line(out, "OK\n");
    } else if (!strcmp(cmd, "get") && key) {
        const void *v;
        uint32_t len;
        r = kv_get(kv, key, &v, &len);
        if (r)
            say_line(out, "ERR %d %s\n", r, strerror(-r));
        else
            say_line(out, "OK %.*s\n", (int)len, (const char *)v);
    } else if (!strcmp(cmd, "del") && key) {
        r = kv_del(kv, key);
        if (r)
            say_line(out, "ERR %d %s\n", r, strerror(-r));
        else
            say_line(out, "OK\n");
    } else if (!strcmp(cmd, "list")) {
        kv_foreach(kv, say_one, (void *)out);
        say_line(out, "OK %zu\n", kv_count(kv));
    } else if (!strcmp(cmd, "count")) {
        say_line(out, "OK %zu\n", kv_count(kv));
    } else if (!strcmp(cmd, "compact")) {
        r = kv_compact(kv);
        if (r)
            say_line(out, "ERR %d %s\n", r, strerror(-r));
        else
            say_line(out, "OK\n");
    } else if (!strcmp(cmd, "stats")) {
        say_line(out, "OK keys %zu log %llu bytes\n", kv_count(kv),
                 (unsigned long long)kv_log_bytes(kv));
    } else if (!strcmp(cmd, "quit")) {
        say_line(out, "OK\n");
        return 1;
    } else {
        say_line(out, "ERR unknown command\n");
    }
    return 0;
}

static void stdout_write(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    fwrite(s, 1, n, stdout);
    fflush(stdout);
}

static const struct reply console = {stdout_write, NULL};

/*
 * tcp=PORT: serves commands on PORT until exit_after=SECONDS (if given)
 * have passed.  Returns 0, or an error (printed) when the network does not
 * come up.
 */
static int serve_tcp(struct kv *kv, struct vmbus *vb,
                     const struct vmbus_platform *plat, uint16_t port)
{
    struct net_up up;
    int rc = net_up(vb, plat, "enlight-kvstore", &up);
    if (rc == 0)
        rc = kvstore_tcp_start(kv, port);
    if (rc) {
        printf("kvstore: network not available: %d\n", rc);
        return rc;
    }
    const char *ea = boot_arg("exit_after");
    uint64_t start = clock_now_ns();
    uint64_t limit = ea ? strtoull(ea, NULL, 0) * 1000000000ull : 0;
    bool announced = false;
    for (;;) {
        net_up_poll(&up);
        vmbus_poll(vb);
        uint32_t a;
        if (!announced && net_up_address(&up, &a) == 0) {
            printf("kvstore: address %u.%u.%u.%u, commands on TCP port %u\n",
                   a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, port);
            fflush(stdout);
            announced = true;
        }
        uint64_t now = clock_now_ns();
        if (limit && now - start >= limit)
            break;
        uint64_t deadline = net_next_deadline_ns();
        if (deadline > now + 50000000ull)
            deadline = now + 50000000ull;
        plat->wait(plat->ctx, deadline);
    }
    net_up_down(&up);
    return 0;
}

int app_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int rc = winhv_init();
    if (rc) {
        printf("kvstore: no Hyper-V interface: %d\n", rc);
        return 2;
    }
    const struct vmbus_platform *plat = winhv_vmbus_platform();
    struct vmbus *vb = vmbus_create(plat);
    struct storvsc_config sc = {.plat = *plat};
    struct storvsc *sv = vb ? storvsc_create(vb, &sc) : NULL;
    if (!sv || winhv_vmbus_attach(vb) || vmbus_connect(vb, 0)) {
        printf("kvstore: VMBus connection failed\n");
        return 3;
    }
    const char *stage;
    rc = volume_mount(sv, 0, 0, &stage);
    if (rc) {
        int no_disk = !strcmp(stage, "controller") || !strcmp(stage, "disk");
        printf("kvstore: %s (%s: %d)\n",
               no_disk ? "no disk" : "no FAT32 volume", stage, rc);
        vmbus_disconnect(vb);
        return no_disk ? 4 : 5;
    }
    struct kv *kv;
    struct kv_recovery rec;
    rc = kv_open(vfs_volume(), LOG_PATH, &kv, &rec);
    if (rc) {
        printf("kvstore: log unusable: %d\n", rc);
        vmbus_disconnect(vb);
        return 6;
    }
    printf("kvstore: ready: %zu keys, %llu records, %llu bytes kept, "
           "%llu torn bytes dropped%s\n",
           kv_count(kv), (unsigned long long)rec.records,
           (unsigned long long)rec.bytes, (unsigned long long)rec.truncated,
           rec.finished_compaction ? ", compaction finished" : "");
    fflush(stdout);

    const char *tcp = boot_arg("tcp");
    const char *script = boot_arg("script");
    if (tcp) {
        rc = serve_tcp(kv, vb, plat, (uint16_t)strtoul(tcp, NULL, 0));
        if (rc) {
            kv_close(kv);
            volume_unmount();
            vmbus_disconnect(vb);
            return 7;
        }
    } else if (script) {
        char *copy = strdup(script), *save = NULL;
        for (char *c = strtok_r(copy, ";", &save); c;
             c = strtok_r(NULL, ";", &save))
            if (kvstore_command(kv, c, &console))
                break;
        free(copy);
    } else {
        char line[KV_VALUE_MAX + KV_KEY_MAX + 16];
        while (fgets(line, sizeof(line), stdin))
            if (kvstore_command(kv, line, &console))
                break;
    }
    kv_close(kv);
    rc = volume_unmount();
    vmbus_disconnect(vb);
    return rc ? 6 : 0;
}
