# blkbench: raw SCSI throughput through storvsc (bench/storage drives it).
APPS += blkbench
APP_blkbench_SRCS := apps/blkbench/main.c
