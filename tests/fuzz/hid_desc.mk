FUZZ_TARGETS += hid_desc
FUZZ_hid_desc_SRCS := common/hid_desc.c
