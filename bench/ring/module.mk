# bench/ring: VMBus ring throughput on the host (run by bench/ring/run).
BENCH_PROGS += ring
BENCH_ring_SRCS := bench/ring/ring_bench.c common/ring.c
