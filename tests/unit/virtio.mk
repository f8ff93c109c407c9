UNIT_TESTS += virtio
UNIT_virtio_SRCS := root/dev/virtio/virtq.c root/dev/virtio/virtio_pci.c \
	root/dev/pci/pci.c
