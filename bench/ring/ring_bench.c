/*
 * Ring buffer throughput: one writer thread and one reader thread move
 * packets through a single common/ring.c ring (copy-in, copy-out, indices
 * validated as in production), for 64-byte and 4 KiB payloads; then a plain
 * memcpy of the same number of bytes in the same chunk size, for
 * comparison.  Signals are not modelled: both sides poll, the writer
 * flushes once per batch of up to 32 packets, the reader publishes its
 * index once per drained batch.
 *
 * Usage: ring [seconds-per-case] [ring-bytes]
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ring.h"

struct shared {
    struct vmbus_ring_ctrl *ctrl;
    uint8_t *data;
    uint32_t ring_bytes;
    uint32_t payload;
    uint64_t packets; /* to move */
    uint64_t checksum;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void relax(unsigned *spins)
{
    if (++*spins % 256 == 0)
        sched_yield();
    else
        __builtin_ia32_pause();
}

static void *writer(void *arg)
{
    struct shared *s = arg;
    struct ring w;
    uint8_t *pkt = calloc(1, 16 + s->payload);
    struct vmbus_pkt_desc d = {.type = VMBUS_PKT_DATA_INBAND, .offset8 = 2};
    struct ring_iov iov = {pkt, 16 + s->payload};
    uint64_t i = 0;
    unsigned spins = 0;

    d.len8 = (uint16_t)((16 + s->payload + 7) / 8);
    ring_attach(&w, s->ctrl, s->data, s->ring_bytes);
    while (i < s->packets) {
        unsigned batch = 0;

        while (batch < 32 && i < s->packets) {
            d.trans_id = i;
            memcpy(pkt, &d, sizeof(d));
            if (ring_put(&w, &iov, 1) < 0)
                break;
            i++;
            batch++;
        }
        ring_flush(&w);
        if (batch == 0)
            relax(&spins);
    }
    free(pkt);
    return NULL;
}

static void *reader(void *arg)
{
    struct shared *s = arg;
    struct ring r;
    struct ring_pkt_info info;
    uint8_t *buf = malloc(16 + s->payload + 8);
    uint64_t got = 0, sum = 0;
    unsigned spins = 0;

    ring_attach(&r, s->ctrl, s->data, s->ring_bytes);
    while (got < s->packets) {
        int n = 0;

        while (ring_read(&r, buf, 16 + s->payload + 8, &info) == 0) {
            sum += info.trans_id;
            got++;
            n++;
        }
        ring_read_done(&r);
        if (n == 0)
            relax(&spins);
    }
    s->checksum = sum;
    free(buf);
    return NULL;
}

/* Runs one case for about `secs`; returns packets per second. */
static double run_ring(uint32_t payload, uint32_t ring_bytes, double secs,
                       uint64_t *moved)
{
    struct shared s;
    pthread_t tw, tr;
    uint64_t n = payload <= 64 ? 2000000 : 200000;
    double t0, t;

    /* Calibrate: grow the count until a run takes about `secs`. */
    for (;;) {
        memset(&s, 0, sizeof(s));
        s.ctrl = aligned_alloc(4096, sizeof(*s.ctrl));
        s.data = aligned_alloc(4096, ring_bytes);
        ring_init(&(struct ring){0}, s.ctrl, s.data, ring_bytes);
        s.ring_bytes = ring_bytes;
        s.payload = payload;
        s.packets = n;
        t0 = now_s();
        pthread_create(&tr, NULL, reader, &s);
        pthread_create(&tw, NULL, writer, &s);
        pthread_join(tw, NULL);
        pthread_join(tr, NULL);
        t = now_s() - t0;
        free(s.ctrl);
        free(s.data);
        if (s.checksum != n * (n - 1) / 2) {
            fprintf(stderr, "ring bench: checksum mismatch\n");
            exit(1);
        }
        if (t >= secs * 0.5 || n > (1ull << 34))
            break;
        n = (uint64_t)((double)n * secs / (t > 1e-3 ? t : 1e-3));
    }
    *moved = n;
    return (double)n / t;
}

/* One thread writes a batch of 32 packets then reads them back: the ring's
 * own cost (two copies + checks) without cross-core traffic. */
static double run_same_thread(uint32_t payload, uint32_t ring_bytes, uint64_t n)
{
    struct vmbus_ring_ctrl *ctrl = aligned_alloc(4096, sizeof(*ctrl));
    uint8_t *data = aligned_alloc(4096, ring_bytes);
    uint8_t *pkt = calloc(1, 16 + payload), *buf = malloc(16 + payload + 8);
    struct vmbus_pkt_desc d = {.type = VMBUS_PKT_DATA_INBAND, .offset8 = 2};
    struct ring_iov iov = {pkt, 16 + payload};
    struct ring_pkt_info info;
    struct ring w, r;
    uint64_t i = 0, sum = 0;
    double t0, t;

    ring_init(&w, ctrl, data, ring_bytes);
    ring_attach(&r, ctrl, data, ring_bytes);
    d.len8 = (uint16_t)((16 + payload + 7) / 8);
    t0 = now_s();
    while (i < n) {
        unsigned k;

        for (k = 0; k < 32 && i + k < n; k++) {
            d.trans_id = i + k;
            memcpy(pkt, &d, sizeof(d));
            if (ring_put(&w, &iov, 1) < 0)
                break;
        }
        ring_flush(&w);
        while (ring_read(&r, buf, 16 + payload + 8, &info) == 0) {
            sum += info.trans_id;
            i++;
        }
        ring_read_done(&r);
    }
    t = now_s() - t0;
    if (sum != n * (n - 1) / 2)
        fprintf(stderr, "ring bench: same-thread checksum mismatch\n");
    free(ctrl);
    free(data);
    free(pkt);
    free(buf);
    return (double)n / t;
}

static double run_memcpy(uint32_t chunk, uint32_t ring_bytes, uint64_t n)
{
    uint8_t *src = calloc(1, chunk + 16), *dst = malloc(ring_bytes);
    volatile uint8_t sink = 0;
    uint64_t i, off = 0;
    double t0, t;

    t0 = now_s();
    for (i = 0; i < n; i++) {
        if (off + chunk > ring_bytes)
            off = 0;
        memcpy(dst + off, src, chunk);
        off += chunk;
        __asm__ volatile("" ::: "memory");
    }
    t = now_s() - t0;
    sink = dst[0];
    (void)sink;
    free(src);
    free(dst);
    return (double)n / t;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    uint32_t ring_bytes = argc > 2 ? (uint32_t)atoi(argv[2]) : 256u * 1024u;
    static const uint32_t sizes[] = {64, 4096};
    size_t i;

    if (secs <= 0 || ring_bytes < 16384 || ring_bytes % 4096) {
        fprintf(stderr, "usage: %s [seconds-per-case] [ring-bytes]\n", argv[0]);
        return 2;
    }
    printf("ring: %u-byte ring, writer and reader threads, %.1f s per case\n",
           ring_bytes, secs);
    for (i = 0; i < 2; i++) {
        uint64_t moved;
        uint32_t p = sizes[i];
        double pps = run_ring(p, ring_bytes, secs, &moved);
        double mps = run_memcpy(p, ring_bytes, moved);
        double sps = run_same_thread(p, ring_bytes, moved);

        printf("  %4u B payload: %12.0f packets/s %8.1f MB/s payload   "
               "memcpy %8.1f MB/s   ring/memcpy %.2fx slower\n",
               p, pps, pps * p / 1e6, mps * p / 1e6, mps / pps);
        printf("  %4u B payload, one thread (ring cost only): %12.0f "
               "packets/s %8.1f MB/s\n",
               p, sps, sps * p / 1e6);
    }
    return 0;
}
