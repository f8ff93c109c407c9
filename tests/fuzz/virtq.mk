FUZZ_TARGETS += virtq
FUZZ_virtq_SRCS := root/dev/virtio/virtq.c
