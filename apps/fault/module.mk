APPS += fault
APP_fault_SRCS := apps/fault/main.c
