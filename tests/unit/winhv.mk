# Host unit tests for winhv/: only the pure files are linked.
UNIT_TESTS += winhv_detect winhv_hypercall winhv_tsc winhv_synic winhv_regs
UNIT_winhv_detect_SRCS := winhv/detect.c
UNIT_winhv_hypercall_SRCS := winhv/hcall.c
UNIT_winhv_tsc_SRCS := winhv/tsc.c
UNIT_winhv_synic_SRCS := winhv/synic_msg.c
UNIT_winhv_regs_SRCS := winhv/regs.c winhv/tsc.c
