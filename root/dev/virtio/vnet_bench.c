/* The root's own virtio-net transmit benchmark; see vnet_bench.h. */
#include "root/dev/virtio/vnet_bench.h"

#include <errno.h>
#include <string.h>

#include "common/x86/cpu.h"
#include "root/hv/vcpu.h"
#include "root/svm/svm.h"

#define FRAMES 20000u
#define FRAME_LEN 1514u

static uint8_t frame[FRAME_LEN];

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 + UDP to 10.0.2.2:9 (RFC 863 discard). */
static void build(const uint8_t mac[6])
{
    static const uint8_t gw_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};
    memcpy(frame, gw_mac, 6);
    memcpy(frame + 6, mac, 6);
    put16(frame + 12, 0x0800);
    uint8_t *ip = frame + 14;
    ip[0] = 0x45;
    put16(ip + 2, FRAME_LEN - 14);
    ip[8] = 64; /* TTL */
    ip[9] = 17; /* UDP */
    static const uint8_t src[4] = {10, 0, 2, 15}, dst[4] = {10, 0, 2, 2};
    memcpy(ip + 12, src, 4);
    memcpy(ip + 16, dst, 4);
    uint32_t sum = 0;
    for (unsigned i = 0; i < 20; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xFFFFu) + (sum >> 16);
    put16(ip + 10, (uint16_t)~sum);
    uint8_t *udp = ip + 20;
    put16(udp, 40000);
    put16(udp + 2, 9);
    put16(udp + 4, FRAME_LEN - 14 - 20);
    /* checksum 0: none (IPv4) */
}

void vnet_bench_run(struct vnet *n)
{
    uint8_t mac[6];
    vnet_mac(n, mac);
    build(mac);
    uint64_t t0 = rdtsc();
    unsigned sent = 0;
    while (sent < FRAMES) {
        int rc = vnet_netvsp_ops.transmit(n, frame, FRAME_LEN);
        if (rc == 0) {
            sent++;
            if (sent % 64 == 0)
                vnet_poll(n); /* a doorbell per 64 frames */
            continue;
        }
        if (rc != -ENOBUFS)
            break;
        vnet_poll(n);
        cpu_relax();
    }
    vnet_poll(n);
    uint64_t ns = (uint64_t)((unsigned __int128)(rdtsc() - t0) * 1000000000u /
                             root_tsc_hz());
    uint64_t fps = ns ? (uint64_t)sent * 1000000000ull / ns : 0;
    uint64_t mb10 = ns ? (uint64_t)sent * FRAME_LEN * 10000u / ns : 0;
    root_log("vnet-bench: tx %u frames of %u bytes in %llu ms: %llu "
             "frames/s, %llu.%llu MB/s\n",
             sent, FRAME_LEN, (unsigned long long)(ns / 1000000),
             (unsigned long long)fps, (unsigned long long)(mb10 / 10),
             (unsigned long long)(mb10 % 10));
}
