# kvstore: persistent key-value store (append-only log on FAT32 over storvsc).
APPS += kvstore
APP_kvstore_SRCS := apps/kvstore/main.c apps/kvstore/kv.c
