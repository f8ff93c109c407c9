# WinHv: the guest's hypervisor interface library.
# Pure files (no hardware, no kernel calls) are also built into host tests.
WINHV_PURE_SRCS := winhv/detect.c winhv/hcall.c winhv/tsc.c winhv/synic_msg.c \
	winhv/regs.c
KIT_SRCS += $(WINHV_PURE_SRCS) winhv/hw.c winhv/winhv.c winhv/synic.c \
	winhv/clock.c winhv/crash.c winhv/describe.c winhv/eoi.c
# The VMBus platform seam, once the VMBus client (vmbus/platform.h) exists.
ifneq ($(wildcard vmbus/platform.h),)
KIT_SRCS += winhv/vmbus_glue.c
endif
