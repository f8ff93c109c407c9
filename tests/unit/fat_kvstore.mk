# apps/kvstore's log on FAT32: replay, torn tails, crashes at every write.
UNIT_TESTS += fat_kvstore
UNIT_fat_kvstore_SRCS := apps/kvstore/kv.c storage/blk.c storage/crc32.c \
	storage/part.c storage/fat.c
