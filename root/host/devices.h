/*
 * The root's real devices offered to the child: every virtio-blk disk on
 * the PCI bus becomes a LUN of one storvsp SCSI controller (LUN order =
 * PCI order), every virtio-net NIC a netvsp adapter with that NIC's MAC.
 * No such device: nothing is offered.  Completions and received frames
 * are taken by one root poller, which runs after every child exit; the
 * devices interrupt the root (MSI-X) only while the child is halted, so a
 * waiting child is woken without a polling period and a running one takes
 * no extra exits.  Devices without MSI-X are polled at least every 1 ms
 * while the child is halted.
 *
 * Root command line:
 *   storvsp=0   offer no SCSI controller (the disks stay unused)
 *   netvsp=0    offer no network adapter
 *   virtio_irq=0  no MSI-X: poll every 1 ms instead (for comparison)
 *   vblk_bench=1  before the child starts, benchmark the first disk
 *                 straight through virtio-blk (vblk_bench.h; bench/storage)
 *   vnet_bench=1  before the child starts, transmit frames straight through
 *                 the first virtio-net (vnet_bench.h; bench/net)
 *   dev_stats=1   the device counters (root_devices_print_stats), at most
 *                 once a second while they change
 */
#ifndef ROOT_HOST_DEVICES_H
#define ROOT_HOST_DEVICES_H

#include "root/hv/vcpu.h"
#include "root/vmbus/server.h"

/* Enumerates PCI, claims the devices and offers them on srv.  Returns
 * the number of devices offered (0 is not an error). */
int root_devices_start(struct vcpu *child, struct vmbus_server *srv,
                       const char *root_cmdline);

/* One line per device with its counters, through root_log. */
void root_devices_print_stats(void);

#endif /* ROOT_HOST_DEVICES_H */
