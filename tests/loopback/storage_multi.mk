# Storage sub-channels: storvsc and a raw client asking storvsp for them over
# the VMBus loopback.  Recursive (=): vmbus.mk defines LOOPBACK_VMBUS_SRCS.
LOOPBACK_TESTS += storage_multi
LOOPBACK_storage_multi_SRCS = $(LOOPBACK_VMBUS_SRCS) vsc/storvsc/storvsc.c \
	tests/loopback/held_disk.c \
	root/vsp/storvsp/storvsp.c storage/blk.c
