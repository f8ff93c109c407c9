# bench/linux: the Linux child's side of the benchmarks, a static Linux
# program for its initramfs (tests/linux/fetch-kernel --bench); never run
# on the host.
BENCH_PROGS += linux_peer
BENCH_linux_peer_SRCS := bench/linux/peer.c common/cmdline.c
BENCH_linux_peer_LDFLAGS := -static
