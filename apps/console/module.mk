# console: interactive appliance on the synthetic display and keyboard.
APPS += console
APP_console_SRCS := apps/console/main.c
APP_console_LIBS += $(LWIP_GUEST_LIB)
CFLAGS_apps/console/main.c = $(LWIP_INC)
