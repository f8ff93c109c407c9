# vspcheck: a conformance suite for a host's storage VSP (SCSI over VMBus).
APPS += vspcheck
APP_vspcheck_SRCS := apps/vspcheck/main.c
