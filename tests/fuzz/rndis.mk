FUZZ_TARGETS += rndis
FUZZ_rndis_SRCS := common/rndis.c
