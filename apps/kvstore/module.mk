# kvstore: persistent key-value store (append-only log on FAT32 over storvsc).
APPS += kvstore
APP_kvstore_SRCS := apps/kvstore/main.c apps/kvstore/kv.c apps/kvstore/tcp.c
APP_kvstore_LIBS += $(LWIP_GUEST_LIB)
# Recursive (=): LWIP_INC is defined by net/module.mk, included later.
CFLAGS_apps/kvstore/tcp.c = $(LWIP_INC)
CFLAGS_apps/kvstore/main.c = $(LWIP_INC)
