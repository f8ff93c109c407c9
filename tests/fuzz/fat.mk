# libFuzzer: mount a mutated small FAT32 volume from memory and walk it.
FUZZ_TARGETS += fat
FUZZ_fat_SRCS := storage/blk.c storage/crc32.c storage/part.c storage/fat.c
