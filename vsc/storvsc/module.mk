# vsc/storvsc/: the SCSI controller client (VSTOR) and its block backend.
KIT_SRCS += vsc/storvsc/storvsc.c
