UNIT_TESTS += hid_desc
UNIT_hid_desc_SRCS := common/hid_desc.c
