/*
 * The ceiling for bench/net: the root transmits full-size frames straight
 * through its virtio-net (no child, no VMBus): UDP datagrams from
 * 10.0.2.15 to the discard port of QEMU user networking's gateway
 * 10.0.2.2, and prints through root_log
 *   "vnet-bench: tx N frames of 1514 bytes in MS ms: F frames/s, X MB/s".
 * Runs before the child starts.
 */
#ifndef ROOT_DEV_VIRTIO_VNET_BENCH_H
#define ROOT_DEV_VIRTIO_VNET_BENCH_H

#include "root/dev/virtio/virtio_net.h"

void vnet_bench_run(struct vnet *n);

#endif /* ROOT_DEV_VIRTIO_VNET_BENCH_H */
