# FAT32 and the file API against real images made by dosfstools/mtools.
UNIT_TESTS += fat
UNIT_fat_SRCS := storage/blk.c storage/crc32.c storage/part.c storage/fat.c \
	storage/vfs.c
