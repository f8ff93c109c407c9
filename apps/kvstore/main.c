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
 * Each answer is one line starting "OK" or "ERR".  A put/del is answered
 * only once it is durable.  Exit statuses: 0 done, 2 no Hyper-V, 3 no
 * VMBus, 4 no SCSI controller or disk, 5 no FAT volume, 6 log unusable.
 */
#include "apps/kvstore/kv.h"
#include "boot/kernel.h"
#include "storage/blk.h"
#include "storage/vfs.h"
#include "storage/volume.h"
#include "vmbus/vmbus.h"
#include "vsc/storvsc/storvsc.h"
#include "winhv/winhv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_PATH "/kvstore.log"

static int print_one(void *ctx, const char *key, const void *value,
                     uint32_t len)
{
    (void)ctx;
    printf("%s %.*s\n", key, (int)len, (const char *)value);
    return 0;
}

/* One command line; returns 1 to quit. */
static int command(struct kv *kv, char *line)
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
        printf(r ? "ERR %d %s\n" : "OK\n", r, strerror(-r));
    } else if (!strcmp(cmd, "get") && key) {
        const void *v;
        uint32_t len;
        r = kv_get(kv, key, &v, &len);
        if (r)
            printf("ERR %d %s\n", r, strerror(-r));
        else
            printf("OK %.*s\n", (int)len, (const char *)v);
    } else if (!strcmp(cmd, "del") && key) {
        r = kv_del(kv, key);
        printf(r ? "ERR %d %s\n" : "OK\n", r, strerror(-r));
    } else if (!strcmp(cmd, "list")) {
        kv_foreach(kv, print_one, NULL);
        printf("OK %zu\n", kv_count(kv));
    } else if (!strcmp(cmd, "count")) {
        printf("OK %zu\n", kv_count(kv));
    } else if (!strcmp(cmd, "compact")) {
        r = kv_compact(kv);
        printf(r ? "ERR %d %s\n" : "OK\n", r, strerror(-r));
    } else if (!strcmp(cmd, "stats")) {
        printf("OK keys %zu log %llu bytes\n", kv_count(kv),
               (unsigned long long)kv_log_bytes(kv));
    } else if (!strcmp(cmd, "quit")) {
        printf("OK\n");
        return 1;
    } else {
        printf("ERR unknown command\n");
    }
    fflush(stdout);
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

    const char *script = boot_arg("script");
    if (script) {
        char *copy = strdup(script), *save = NULL;
        for (char *c = strtok_r(copy, ";", &save); c;
             c = strtok_r(NULL, ";", &save))
            if (command(kv, c))
                break;
        free(copy);
    } else {
        char line[KV_VALUE_MAX + KV_KEY_MAX + 16];
        while (fgets(line, sizeof(line), stdin))
            if (command(kv, line))
                break;
    }
    kv_close(kv);
    rc = volume_unmount();
    vmbus_disconnect(vb);
    return rc ? 6 : 0;
}
