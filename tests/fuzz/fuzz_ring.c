/*
 * Fuzzes the ring reader and writer against a peer that wrote arbitrary
 * indices and bytes: nothing may be read or written outside the control
 * page and the data area, and every packet reported must be consistent.
 * Input: u32 write_index, u32 read_index, u32 pending_send_sz, u16 size
 * selector, then the data area contents.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vmbus_ring_ctrl *ctrl;
    struct ring r, w;
    struct ring_pkt_info info;
    uint32_t ring_size, i;
    uint16_t sel;
    uint8_t *area, *buf;

    if (size < 14)
        return 0;
    memcpy(&sel, data + 12, 2);
    ring_size = 8u * (1u + sel % 1024u);
    ctrl = calloc(1, sizeof(*ctrl));
    area = calloc(1, ring_size);
    buf = malloc(ring_size);
    memcpy(&ctrl->write_index, data, 4);
    memcpy(&ctrl->read_index, data + 4, 4);
    memcpy(&ctrl->pending_send_sz, data + 8, 4);
    ctrl->feature_bits = VMBUS_RING_FEATURE_PENDING_SEND_SZ;
    memcpy(area, data + 14, size - 14 < ring_size ? size - 14 : ring_size);

    if (ring_attach(&r, ctrl, area, ring_size) == 0) {
        for (i = 0; i < 64; i++) {
            int rc = ring_read(&r, buf, ring_size, &info);
            if (rc < 0)
                break;
            if (info.offset < 16 || info.len < info.offset ||
                info.len + 8u > ring_size)
                abort();
            ring_read_done(&r);
        }
        ring_mask(&r);
        ring_unmask(&r);
    }
    if (ring_attach(&w, ctrl, area, ring_size) == 0) {
        for (i = 0; i < 8; i++) {
            struct ring_iov iov = {data, (uint32_t)(size < 600 ? size : 600)};
            if (ring_put(&w, &iov, 1) < 0)
                break;
        }
        ring_flush(&w);
        ring_want_space(&w, 100);
    }
    free(buf);
    free(area);
    free(ctrl);
    return 0;
}
