UNIT_TESTS += ring
UNIT_ring_SRCS := common/ring.c
