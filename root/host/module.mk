# The root's host-side services: console and script, RTC wall clock.
ROOT_HOST_SRCS := root/host/console.c root/host/rtc_conv.c
ROOT_SRCS += $(ROOT_HOST_SRCS) root/host/rtc.c root/host/host.c root/host/ui.c
