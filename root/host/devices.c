/* The child's devices backed by virtio; see devices.h. */
#include "root/host/devices.h"
#include "root/host/console.h"
#include "root/host/host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cmdline.h"
#include "common/x86/cpu.h"
#include "root/boot/root.h"
#include "root/dev/pci/pci.h"
#include "root/dev/virtio/virtio.h"
#include "root/dev/virtio/virtio_blk.h"
#include "root/dev/virtio/virtio_net.h"
#include "root/dev/virtio/vblk_bench.h"
#include "root/dev/virtio/vnet_bench.h"
#include "root/svm/svm.h"
#include "root/vsp/netvsp/netvsp.h"
#include "root/vsp/storvsp/storvsp.h"

#define MAX_PCI 64u
#define MAX_NICS 4u
#define POLL_NS 1000000ull /* without interrupts: 1 ms */
/* Where BARs the firmware put above 4 GiB go: the top of the 32-bit PCI
 * hole of QEMU's pc and q35 machines, below the I/O APIC. */
#define PCI_HOLE_LO 0xE0000000ull
#define PCI_HOLE_HI 0xFEC00000ull

static struct pci_dev pci[MAX_PCI];
static struct {
    struct vcpu *child;
    bool irq_on; /* device interrupts asked for (the child is halted) */
    struct storvsp *vsp;
    struct vblk *disk[STORVSP_MAX_LUNS];
    unsigned ndisks;
    /* hotplug_disks=N: the last N disks wait for the console's "disk add". */
    struct vblk *spare[STORVSP_MAX_LUNS];
    uint16_t spare_bdf[STORVSP_MAX_LUNS];
    unsigned nspare, hold;   /* hold: how many of the last disks to keep */
    unsigned nblk, seen_blk; /* virtio-blk devices found, and so far */
    struct vnet *nic[MAX_NICS];
    struct netvsp *netvsp[MAX_NICS];
    unsigned nnics;
    bool stats;            /* dev_stats=1 */
    uint64_t stats_tsc;    /* last printed */
    uint64_t stats_frames; /* frames then */
} devs;

/* dev_stats=1: the counters, at most once a second when they moved. */
static void stats_tick(void)
{
    uint64_t now = rdtsc(), frames = 0;
    if (now - devs.stats_tsc < root_tsc_hz())
        return;
    for (unsigned i = 0; i < devs.nnics; i++) {
        const struct vnet_stats *n = vnet_get_stats(devs.nic[i]);
        frames += n->rx_frames + n->tx_frames;
    }
    for (unsigned i = 0; i < devs.ndisks; i++) {
        const struct vblk_stats *b = vblk_get_stats(devs.disk[i]);
        frames += b->reads + b->writes + b->flushes;
    }
    if (frames == devs.stats_frames)
        return;
    devs.stats_tsc = now;
    devs.stats_frames = frames;
    root_devices_print_stats();
}

static void poll_all(void)
{
    for (unsigned i = 0; i < devs.ndisks; i++)
        vblk_poll(devs.disk[i]);
    if (devs.vsp)
        storvsp_poll(devs.vsp);
    for (unsigned i = 0; i < devs.nnics; i++) {
        vnet_poll(devs.nic[i]);
        netvsp_poll(devs.netvsp[i]);
    }
}

static void set_irq(bool on)
{
    devs.irq_on = on;
    for (unsigned i = 0; i < devs.ndisks; i++)
        vblk_set_irq(devs.disk[i], on);
    for (unsigned i = 0; i < devs.nnics; i++)
        vnet_set_irq(devs.nic[i], on);
}

/*
 * Runs before every entry into the child and after every idle wake-up.
 * While the child runs, its own exits bring the root here often enough,
 * so the devices are asked not to interrupt (an interrupt then would be
 * one more exit); only a halted child needs the device to wake the root.
 * Interrupts go back on before the root sleeps, followed by one more
 * poll for what completed while they were off.
 */
static void poll(void *ctx)
{
    (void)ctx;
    if (devs.stats)
        stats_tick();
    poll_all();
    bool halted = devs.child && devs.child->halted;
    if (halted != devs.irq_on) {
        set_irq(halted);
        if (halted)
            poll_all();
    }
}

static bool option_off(const char *cmdline, const char *key)
{
    char val[8];
    return cmdline_get(cmdline, key, val, sizeof(val)) == 1 &&
           strcmp(val, "0") == 0;
}

static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    root_log("netvsp: %s\n", line);
}

static int attach_disk(struct vmbus_server *srv, struct vblk *b, bool irq,
                       unsigned bdf);

static void add_disk(struct vmbus_server *srv, struct pci_dev *d, int vector,
                     bool *all_irq)
{
    if (devs.ndisks >= STORVSP_MAX_LUNS)
        return;
    struct vblk *b;
    bool irq;
    int rc = vblk_create(d, vector, &b, &irq);
    if (rc) {
        root_log("root: virtio-blk %02x:%02x.%u not usable (%d)\n", d->bdf >> 8,
                 (d->bdf >> 3) & 31u, d->bdf & 7u, rc);
        return;
    }
    *all_irq &= irq;
    if (devs.seen_blk++ + devs.hold >= devs.nblk) {
        devs.spare_bdf[devs.nspare] = (uint16_t)d->bdf;
        devs.spare[devs.nspare++] = b;
        root_log("root: virtio-blk %02x:%02x.%u: held for \"disk add\"\n",
                 d->bdf >> 8, (d->bdf >> 3) & 31u, d->bdf & 7u);
        return;
    }
    attach_disk(srv, b, irq, d->bdf);
}

/* Offers b as the next LUN; a running guest is told to rescan. */
static int attach_disk(struct vmbus_server *srv, struct vblk *b, bool irq,
                       unsigned bdf)
{
    unsigned lun = devs.ndisks;
    char serial[21];
    snprintf(serial, sizeof(serial), "ENLIGHT-VBLK-%u", lun);
    if (!devs.vsp && !(devs.vsp = storvsp_create(srv, NULL)))
        return -ENOMEM;
    int rc = storvsp_add_disk(devs.vsp, (uint8_t)lun, vblk_storvsp_ops(b), b,
                              serial);
    if (rc) {
        root_log("root: storvsp LUN %u refused (%d)\n", lun, rc);
        return rc;
    }
    devs.disk[devs.ndisks++] = b;
    if (devs.irq_on)
        vblk_set_irq(b, true);
    root_log("root: virtio-blk %02x:%02x.%u: %llu MiB as storvsp LUN %u%s%s\n",
             bdf >> 8, (bdf >> 3) & 31u, bdf & 7u,
             (unsigned long long)(vblk_capacity(b) >> 11), lun,
             irq ? "" : " (polled)",
             vblk_storvsp_ops(b)->unmap ? ", UNMAP as write-zeroes" : "");
    return 0;
}

/* Console: "disk add" offers the next held disk (hot add, ENUMERATE_BUS). */
static int cmd_disk(void *ctx, int argc, char **argv)
{
    struct vmbus_server *srv = ctx;
    struct root_console *con = root_host_console();
    if (argc != 1 || strcmp(argv[0], "add") != 0) {
        root_console_say(con, "console: usage: disk add");
        return -EINVAL;
    }
    if (!devs.nspare) {
        root_console_say(con, "console: disk add: no disk held back "
                              "(root option hotplug_disks=N)");
        return -ENOENT;
    }
    struct vblk *b = devs.spare[0];
    int rc = attach_disk(srv, b, true, devs.spare_bdf[0]);
    if (rc) {
        root_console_say(con, "console: disk add: storvsp refused the disk");
        return rc;
    }
    devs.nspare--;
    for (unsigned i = 0; i < devs.nspare; i++) {
        devs.spare[i] = devs.spare[i + 1];
        devs.spare_bdf[i] = devs.spare_bdf[i + 1];
    }
    root_console_say(con, "console: disk add: offered as the next LUN");
    return 0;
}

static void add_nic(struct vmbus_server *srv, struct pci_dev *d, int vector,
                    bool *all_irq)
{
    if (devs.nnics >= MAX_NICS)
        return;
    struct vnet *n;
    bool irq;
    int rc = vnet_create(d, vector, &n, &irq);
    if (rc) {
        root_log("root: virtio-net %02x:%02x.%u not usable (%d)\n", d->bdf >> 8,
                 (d->bdf >> 3) & 31u, d->bdf & 7u, rc);
        return;
    }
    *all_irq &= irq;
    struct netvsp_config cfg = {0};
    vnet_mac(n, cfg.mac);
    cfg.backend = &vnet_netvsp_ops;
    cfg.backend_ctx = n;
    cfg.log = log_line;
    struct vmbus_guid inst =
        VMBUS_GUID_INIT(0x454e4c4e, 0x4554, 0x0000, 0x8000, 0x000000000000ull);
    inst.data3 = (uint16_t)devs.nnics;
    struct netvsp *vsp;
    rc = netvsp_create(srv, &inst, &cfg, &vsp);
    if (rc) {
        root_log("root: netvsp not offered (%d)\n", rc);
        return;
    }
    vnet_attach(n, vsp);
    devs.nic[devs.nnics] = n;
    devs.netvsp[devs.nnics++] = vsp;
    root_log("root: virtio-net %02x:%02x.%u: MAC "
             "%02x:%02x:%02x:%02x:%02x:%02x as netvsp %u%s\n",
             d->bdf >> 8, (d->bdf >> 3) & 31u, d->bdf & 7u, cfg.mac[0],
             cfg.mac[1], cfg.mac[2], cfg.mac[3], cfg.mac[4], cfg.mac[5],
             devs.nnics - 1, irq ? "" : " (polled)");
}

int root_devices_start(struct vcpu *child, struct vmbus_server *srv,
                       const char *root_cmdline)
{
    devs.child = child;
    devs.irq_on = true;
    bool want_blk = !option_off(root_cmdline, "storvsp");
    char hold[8];
    if (cmdline_get(root_cmdline, "hotplug_disks", hold, sizeof(hold)) == 1)
        devs.hold = (unsigned)strtoul(hold, NULL, 0);
    bool want_net = !option_off(root_cmdline, "netvsp");
    int vector = -1;
    if (!option_off(root_cmdline, "virtio_irq"))
        vector = pci_irq_alloc(NULL, NULL);
    unsigned n = pci_enumerate(&pci_port_ops, NULL, pci, MAX_PCI);
    int moved = pci_place_high_bars(pci, n, PCI_HOLE_LO, PCI_HOLE_HI);
    if (moved)
        root_log("root: %d PCI BARs above 4 GiB %s\n",
                 moved < 0 ? -moved : moved,
                 moved < 0 ? "did not fit below it" : "moved below it");
    bool all_irq = vector >= 0;
    for (unsigned i = 0; i < n; i++)
        if (virtio_pci_type(&pci[i]) == VIRTIO_ID_BLOCK)
            devs.nblk++;
    for (unsigned i = 0; i < n; i++) {
        unsigned type = virtio_pci_type(&pci[i]);
        if (type == VIRTIO_ID_BLOCK && want_blk)
            add_disk(srv, &pci[i], vector, &all_irq);
        else if (type == VIRTIO_ID_NET && want_net)
            add_nic(srv, &pci[i], vector, &all_irq);
    }
    if (devs.ndisks && !option_off(root_cmdline, "vblk_bench") &&
        cmdline_get(root_cmdline, "vblk_bench", NULL, 0) >= 0)
        vblk_bench_run(devs.disk[0]);
    if (devs.nnics && !option_off(root_cmdline, "vnet_bench") &&
        cmdline_get(root_cmdline, "vnet_bench", NULL, 0) >= 0)
        vnet_bench_run(devs.nic[0]);
    devs.stats = cmdline_get(root_cmdline, "dev_stats", NULL, 0) >= 0 &&
                 !option_off(root_cmdline, "dev_stats");
    if (!devs.ndisks && !devs.nnics)
        return 0;
    if (devs.nspare && root_host_console())
        root_console_add_command(root_host_console(), "disk",
                                 "disk add: offer a disk held back by "
                                 "hotplug_disks=N as the next LUN",
                                 cmd_disk, srv);
    if (root_poller_add(poll, NULL, all_irq ? 0 : POLL_NS))
        root_log("root: no poller slot for the devices\n");
    return (int)(devs.ndisks + devs.nnics);
}

void root_devices_print_stats(void)
{
    for (unsigned i = 0; i < devs.ndisks; i++) {
        const struct vblk_stats *s = vblk_get_stats(devs.disk[i]);
        root_log("virtio-blk %u: %llu reads %llu writes %llu flushes, "
                 "%llu errors, %llu kicks, max in flight %u\n",
                 i, (unsigned long long)s->reads, (unsigned long long)s->writes,
                 (unsigned long long)s->flushes, (unsigned long long)s->errors,
                 (unsigned long long)s->kicks, s->max_in_flight);
    }
    for (unsigned i = 0; i < devs.nnics; i++) {
        const struct vnet_stats *s = vnet_get_stats(devs.nic[i]);
        root_log(
            "virtio-net %u: rx %llu frames (%llu dropped), tx %llu "
            "frames (%llu full), kicks rx %llu tx %llu\n",
            i, (unsigned long long)s->rx_frames,
            (unsigned long long)s->rx_dropped, (unsigned long long)s->tx_frames,
            (unsigned long long)s->tx_full, (unsigned long long)s->rx_kicks,
            (unsigned long long)s->tx_kicks);
    }
}
