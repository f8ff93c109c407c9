# root/dev/virtio/: virtio 1.x modern PCI transport and split virtqueues,
# the virtio-blk (storvsp) and virtio-net (netvsp) backends, and the
# wiring that offers them to the child (root/host/devices.c).
ROOT_VIRTIO_SRCS := root/dev/virtio/virtq.c root/dev/virtio/virtio_pci.c
ROOT_SRCS += $(ROOT_VIRTIO_SRCS) root/dev/virtio/virtio.c \
	root/dev/virtio/virtio_blk.c root/dev/virtio/virtio_net.c \
	root/dev/virtio/vblk_bench.c root/dev/virtio/vnet_bench.c \
	root/host/devices.c
