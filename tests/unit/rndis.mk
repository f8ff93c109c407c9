UNIT_TESTS += rndis
UNIT_rndis_SRCS := common/rndis.c
