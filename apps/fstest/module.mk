# fstest: writes a tree of files on the FAT32 volume (host checks it).
APPS += fstest
APP_fstest_SRCS := apps/fstest/main.c
