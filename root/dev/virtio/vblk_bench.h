/*
 * The ceiling for bench/storage: the root drives its virtio-blk disk
 * directly (no child, no VMBus) with the workloads blkbench runs through
 * storvsc, and prints one line per workload through root_log:
 *   "vblk-bench: OP PATTERN bs=B qd=N: IOS ios in MS ms: X MB/s, Y IOPS".
 * The disk's contents are overwritten.  Runs to completion, sleeping
 * between completions when the disk has MSI-X, else polling.
 */
#ifndef ROOT_DEV_VIRTIO_VBLK_BENCH_H
#define ROOT_DEV_VIRTIO_VBLK_BENCH_H

#include "root/dev/virtio/virtio_blk.h"

void vblk_bench_run(struct vblk *b);

#endif /* ROOT_DEV_VIRTIO_VBLK_BENCH_H */
