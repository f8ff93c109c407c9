# storvsc against storvsp (and against a scripted hostile host) over the
# VMBus loopback, with the block layer and FAT32 on top.  Recursive (=):
# vmbus.mk, which defines LOOPBACK_VMBUS_SRCS, is read after this file.
LOOPBACK_TESTS += storage
LOOPBACK_storage_SRCS = $(LOOPBACK_VMBUS_SRCS) vsc/storvsc/storvsc.c \
	tests/loopback/held_disk.c \
	root/vsp/storvsp/storvsp.c storage/blk.c storage/crc32.c \
	storage/part.c storage/fat.c
