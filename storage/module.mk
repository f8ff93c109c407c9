# storage/: block layer, partitions, FAT32 and the newlib file API (guest).
STORAGE_SRCS := storage/blk.c storage/crc32.c storage/part.c storage/fat.c
KIT_SRCS += $(STORAGE_SRCS) storage/vfs.c storage/volume.c
