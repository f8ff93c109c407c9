/*
 * Fuzzes storvsp with a hostile guest on every channel it serves: a client
 * with the SCSI controller's primary channel open (no storvsc) sends a
 * sequence of [u8 sel][u8 len][bytes] chunks as VSTOR packets.  sel % 4
 * picks the channel (0 the primary, k the k-th sub-channel once offered;
 * the client opens each one the host offers, up to 3); with sel & 0x80 the
 * packet is GPA-direct, its one range taken from the first 8 bytes
 * (u16 page of a 66-page data area in guest memory, u16 byte offset, u32
 * byte count) and the rest the payload.  Replies are read and dropped.  The
 * disk is a 64-sector RAM disk.  Nothing may crash, leak, or reach memory
 * outside the guest's or the disk's.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "root/vsp/storvsp/storvsp.h"
#include "tests/loopback/shim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PAGES 256u
#define DATA_PAGES (STORVSP_MAX_SEGS + 1u)
#define SECTORS 64u

static void drain(struct vmbus_channel *ch, void *ctx)
{
    uint8_t buf[512];
    struct vmbus_pkt_info info;
    int rc;

    (void)ctx;
    do {
        rc = vmbus_chan_recv(ch, buf, sizeof(buf), &info);
        if (rc == -EMSGSIZE) {
            uint8_t *big = malloc(info.len);
            rc = big ? vmbus_chan_recv(ch, big, info.len, &info) : -ENOMEM;
            free(big);
        }
    } while (rc == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct vmbus_guid scsi = VMBUS_CLASS_SCSI;
    static uint8_t disk[SECTORS * 512];
    struct storvsp_mem mem = {.data = disk, .sectors = SECTORS};
    struct vmbus_channel *chans[4] = {0}, *subs[3];
    struct storvsp *vsp;
    struct vmbus_platform plat;
    struct lb lb;
    uint8_t *area;
    size_t pos = 0;

    if (lb_init(&lb, PAGES, NULL) < 0)
        return 0;
    plat = lb_guest_platform(&lb);
    area = plat.alloc_pages(plat.ctx, DATA_PAGES);
    vmbus_set_timeout(lb.vb, 1000000);
    vsp = storvsp_create(lb.srv, NULL);
    if (!area || !vsp ||
        storvsp_add_disk(vsp, 0, &storvsp_mem_ops, &mem, NULL) ||
        vmbus_connect(lb.vb, 0) ||
        !(chans[0] = vmbus_find_channel(lb.vb, &scsi)) ||
        vmbus_chan_open(chans[0], 8192, 8192, NULL, 0, drain, NULL))
        goto out;

    while (pos + 2 <= size) {
        uint8_t sel = data[pos], len = data[pos + 1];
        const uint8_t *p = data + pos + 2;
        struct vmbus_channel *ch;
        size_t n, k;

        pos += 2;
        if (len > size - pos)
            len = (uint8_t)(size - pos);
        pos += len;
        n = vmbus_chan_subchannels(chans[0], subs, 3);
        for (k = 0; k < n && k < 3; k++)
            if (!chans[k + 1] &&
                vmbus_chan_open(subs[k], 8192, 8192, NULL, 0, drain, NULL) == 0)
                chans[k + 1] = subs[k];
        ch = chans[sel % 4] ? chans[sel % 4] : chans[0];
        if ((sel & 0x80) && len >= 8) {
            uint16_t page, off;
            uint32_t count;
            uint64_t pfns[DATA_PAGES];
            struct vmbus_chan_range r;

            memcpy(&page, p, 2);
            memcpy(&off, p + 2, 2);
            memcpy(&count, p + 4, 4);
            r.byte_offset = off % 4096u;
            r.byte_count = count % (STORVSP_MAX_TRANSFER + 4096u);
            for (k = 0; k < sizeof(pfns) / sizeof(pfns[0]); k++)
                pfns[k] = lb_gpa(&lb, area) / 4096u + (page + k) % DATA_PAGES;
            r.pfns = pfns;
            vmbus_chan_send_gpa(ch, &r, 1, VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
                                pos, p + 8, len - 8u);
        } else {
            vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND,
                            VMBUS_PKT_FLAG_COMPLETION_REQUESTED, pos, p, len);
        }
        lb_pump(&lb);
        storvsp_poll(vsp);
        lb_pump(&lb);
    }
    for (size_t k = 4; k-- > 0;)
        if (chans[k])
            vmbus_chan_close(chans[k]);
    lb_pump(&lb);
out:
    vmbus_disconnect(lb.vb);
    lb_pump(&lb);
    storvsp_destroy(vsp);
    lb_fini(&lb);
    return 0;
}
