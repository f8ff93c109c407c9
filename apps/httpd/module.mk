# httpd: static web server over netvsc and lwIP.
APPS += httpd
APP_httpd_SRCS := apps/httpd/main.c apps/httpd/server.c apps/httpd/http.c \
	apps/httpd/discard.c
APP_httpd_LIBS += $(LWIP_GUEST_LIB)
# Recursive (=): LWIP_INC is defined by net/module.mk, included later.
CFLAGS_apps/httpd/server.c = $(LWIP_INC)
CFLAGS_apps/httpd/main.c = $(LWIP_INC)
CFLAGS_apps/httpd/discard.c = $(LWIP_INC)
