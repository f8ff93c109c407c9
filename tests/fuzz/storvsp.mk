# storvsp against a hostile guest on its primary channel and sub-channels.
FUZZ_TARGETS += storvsp
FUZZ_storvsp_SRCS = $(FUZZ_VMBUS_SRCS) root/vsp/storvsp/storvsp.c
