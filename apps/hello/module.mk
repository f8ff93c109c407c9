APPS += hello
APP_hello_SRCS := apps/hello/main.c
