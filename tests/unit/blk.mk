# Block layer: cache, write-back, flush, asynchronous requests.
UNIT_TESTS += blk
UNIT_blk_SRCS := storage/blk.c
