APPS += hvinfo
APP_hvinfo_SRCS := apps/hvinfo/main.c
