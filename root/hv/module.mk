# Hyper-V interface emulation and the virtual local APIC (pure C).
ROOT_HV_SRCS := root/hv/vcpu.c root/hv/cpuid.c root/hv/msr.c \
	root/hv/hypercall.c root/hv/synic.c root/hv/vapic.c root/hv/insn.c \
	root/hv/testport.c
ROOT_SRCS += $(ROOT_HV_SRCS)
ROOT_SRCS += root/hv/vmbus_host.c
