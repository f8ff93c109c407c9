# root/dev/vinput/: virtio-input absolute pointer (virtio-tablet-pci).
ROOT_SRCS += root/dev/vinput/vinput.c root/dev/vinput/vinput_state.c
