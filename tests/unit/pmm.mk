UNIT_TESTS += pmm
UNIT_pmm_SRCS := common/pmm.c
