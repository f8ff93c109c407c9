/* The root's own virtio-blk benchmark; see vblk_bench.h. */
#include "root/dev/virtio/vblk_bench.h"

#include "common/x86/cpu.h"
#include "root/boot/root.h"
#include "root/hv/vcpu.h"
#include "root/svm/svm.h"

#define MAX_QD 32u
#define MAX_BS (1u << 20)
#define DEEP_QD 16u                        /* "4 MiB" in flight */
#define BUF_BYTES (DEEP_QD * (MAX_BS / 4)) /* the largest job's */
_Static_assert(BUF_BYTES >= MAX_QD * 4096u, "buffer for the 4 KiB jobs");

struct slot {
    struct storvsp_io io;
    struct storvsp_seg seg;
    int busy;
};

static struct slot slots[MAX_QD];
static uint64_t done_ios;
static int failed;

static void on_done(struct storvsp_io *io, int status)
{
    struct slot *s = (struct slot *)io;
    s->busy = 0;
    done_ios++;
    if (status)
        failed = status;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Takes completions; with MSI-X sleeps until one arrives (a spinning
 * vCPU would take host time from QEMU's I/O threads). */
static void wait(struct vblk *b)
{
    uint64_t before = done_ios;
    vblk_poll(b);
    if (done_ios != before || !vblk_has_irq(b))
        return;
    cpu_idle(); /* sti; hlt: a completion pending since is taken here */
    irq_disable();
    vblk_poll(b);
}

static void one(struct vblk *b, uint8_t *buf, bool write, bool rand,
                uint32_t bs, unsigned qd, uint64_t total)
{
    uint64_t span = vblk_capacity(b) * STORVSP_SECTOR / bs;
    uint64_t n = total / bs, next = 0;
    if (!span || !n)
        return;
    done_ios = 0;
    failed = 0;
    uint64_t t0 = rdtsc();
    while (done_ios < n && !failed) {
        for (unsigned i = 0; i < qd && next < n; i++) {
            struct slot *s = &slots[i];
            if (s->busy)
                continue;
            uint64_t at = rand ? rnd() % span : next % span;
            s->seg = (struct storvsp_seg){buf + (size_t)i * bs, bs};
            s->io = (struct storvsp_io){.op = write ? STORVSP_IO_WRITE
                                                    : STORVSP_IO_READ,
                                        .count = bs / STORVSP_SECTOR,
                                        .lba = at * (bs / STORVSP_SECTOR),
                                        .segs = &s->seg,
                                        .nsegs = 1};
            s->busy = 1;
            if (vblk_submit(b, &s->io)) {
                s->busy = 0;
                failed = -1;
                break;
            }
            next++;
        }
        wait(b);
    }
    while (done_ios < next)
        wait(b);
    uint64_t ns = (uint64_t)((unsigned __int128)(rdtsc() - t0) * 1000000000u /
                             root_tsc_hz());
    uint64_t mb10 = ns ? done_ios * bs * 10000u / ns : 0;
    root_log("vblk-bench: %s %s bs=%u qd=%u: %llu ios in %llu ms: "
             "%llu.%llu MB/s, %llu IOPS%s\n",
             write ? "write" : "read", rand ? "rand" : "seq", bs, qd,
             (unsigned long long)done_ios, (unsigned long long)(ns / 1000000),
             (unsigned long long)(mb10 / 10), (unsigned long long)(mb10 % 10),
             (unsigned long long)(ns ? done_ios * 1000000000ull / ns : 0),
             failed ? " (I/O error)" : "");
}

void vblk_bench_run(struct vblk *b)
{
    uint8_t *buf = root_page_alloc(BUF_BYTES / 4096u);
    if (!buf) {
        root_log("vblk-bench: no memory\n");
        return;
    }
    vblk_set_done(b, on_done);
    /* Twice: the first pass also warms QEMU's and the host's caches, as
     * the storvsc runs after it find them. */
    for (int pass = 0; pass < 2; pass++) {
        for (int w = 0; w < 2; w++) {
            /* 1 MiB in flight as storvsc sends it: 4 x 256 KiB. */
            one(b, buf, w, false, MAX_BS / 4, 4, 64u << 20);
            one(b, buf, w, false, MAX_BS / 4, DEEP_QD, 128u << 20);
            one(b, buf, w, true, 4096, 1, 4u << 20);
            one(b, buf, w, true, 4096, MAX_QD, 16u << 20);
        }
    }
    vblk_set_done(b, NULL);
}
