UNIT_TESTS += mbinfo
UNIT_mbinfo_SRCS := common/mbinfo.c common/mbinfo_mb1.c common/mbinfo_mb2.c
