# Host unit tests for the root's pure emulation layers (root/hv, root/dev,
# the child loader).  Each links the pure files only.
ROOT_UNIT_HV := root/hv/vcpu.c root/hv/cpuid.c root/hv/msr.c \
	root/hv/hypercall.c root/hv/synic.c root/hv/vapic.c root/hv/insn.c \
	root/hv/testport.c
UNIT_TESTS += root_hv_msr root_hypercall root_synic root_vapic root_insn \
	root_loader root_uart
UNIT_root_hv_msr_SRCS := $(ROOT_UNIT_HV)
UNIT_root_hypercall_SRCS := $(ROOT_UNIT_HV)
UNIT_root_synic_SRCS := $(ROOT_UNIT_HV)
UNIT_root_vapic_SRCS := $(ROOT_UNIT_HV)
UNIT_root_insn_SRCS := $(ROOT_UNIT_HV)
UNIT_root_loader_SRCS := $(ROOT_UNIT_HV) root/boot/loader.c \
	root/boot/loader_mb1.c root/boot/loader_mb2.c
UNIT_root_uart_SRCS := $(ROOT_UNIT_HV) root/dev/uart16550.c root/dev/pio.c
