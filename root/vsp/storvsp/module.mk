# root/vsp/storvsp/: the SCSI controller VSP (VSTOR) over abstract disks.
ROOT_SRCS += root/vsp/storvsp/storvsp.c
