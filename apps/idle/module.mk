APPS += idle
APP_idle_SRCS := apps/idle/main.c
