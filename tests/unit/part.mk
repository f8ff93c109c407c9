# MBR and GPT partition parsing.
UNIT_TESTS += part
UNIT_part_SRCS := storage/blk.c storage/crc32.c storage/part.c
