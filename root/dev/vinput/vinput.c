/* virtio-input absolute pointer; see vinput.h. */
#include "root/dev/vinput/vinput.h"

#include <errno.h>
#include <string.h>

#include "root/boot/root.h"

#define MAX_PCI 32u

static void cfg_select(struct vinput *vi, uint8_t select, uint8_t subsel)
{
    vi->vd.device[VINPUT_CFG_SELECT] = select;
    vi->vd.device[VINPUT_CFG_SUBSEL] = subsel;
}

/* True when the device reports absolute X and Y. */
static int has_abs_xy(struct vinput *vi)
{
    if (!vi->vd.device || vi->vd.device_len < VINPUT_CFG_DATA + 1)
        return 0;
    cfg_select(vi, VINPUT_CFG_EV_BITS, VINPUT_EV_ABS);
    if (virtio_cfg8(&vi->vd, VINPUT_CFG_SIZE) == 0)
        return 0;
    uint8_t bits = virtio_cfg8(&vi->vd, VINPUT_CFG_DATA);
    return (bits & 3u) == 3u; /* ABS_X and ABS_Y */
}

static void abs_range(struct vinput *vi, uint8_t axis, int32_t *min,
                      int32_t *max)
{
    cfg_select(vi, VINPUT_CFG_ABS_INFO, axis);
    if (virtio_cfg8(&vi->vd, VINPUT_CFG_SIZE) < 8) {
        *min = *max = 0;
        return;
    }
    *min = (int32_t)virtio_cfg32(&vi->vd, VINPUT_CFG_DATA);
    *max = (int32_t)virtio_cfg32(&vi->vd, VINPUT_CFG_DATA + 4);
}

static int give(struct vinput *vi, uint16_t slot)
{
    struct virtq_buf b = {(uint64_t)(uintptr_t)&vi->bufs[slot],
                          sizeof(vi->bufs[0]), true};
    uint16_t head;
    int rc = virtq_add(&vi->q, &b, 1, &head);
    if (rc == 0)
        vi->slot_of[head] = slot;
    return rc;
}

static int start(struct vinput *vi)
{
    int32_t xmin, xmax, ymin, ymax;
    abs_range(vi, VINPUT_ABS_X, &xmin, &xmax);
    abs_range(vi, VINPUT_ABS_Y, &ymin, &ymax);
    vinput_state_init(&vi->st, xmin, xmax, ymin, ymax);
    if (virtio_negotiate(&vi->vd, 0))
        return -ENODEV;
    int rc = virtio_queue_setup(&vi->vd, 0, VINPUT_QUEUE, &vi->q);
    if (rc)
        return rc == -ENOMEM ? -ENOMEM : -ENODEV;
    vi->bufs = root_page_alloc(1);
    if (!vi->bufs || vi->q.size * sizeof(vi->bufs[0]) > 4096)
        return -ENOMEM;
    if (vi->q.size > VINPUT_QUEUE)
        return -ENODEV;
    for (uint16_t i = 0; i < vi->q.size; i++)
        if (give(vi, i))
            return -ENODEV;
    virtio_driver_ok(&vi->vd);
    virtio_kick(&vi->vd, &vi->q);
    return 0;
}

int vinput_probe(struct vinput *vi)
{
    static struct pci_dev devs[MAX_PCI];
    memset(vi, 0, sizeof(*vi));
    unsigned n = pci_enumerate(&pci_port_ops, NULL, devs, MAX_PCI);
    for (unsigned i = 0; i < n; i++) {
        if (virtio_pci_type(&devs[i]) != VIRTIO_ID_INPUT)
            continue;
        vi->pci = devs[i];
        if (virtio_pci_probe(&vi->vd, &vi->pci))
            continue;
        if (!has_abs_xy(vi)) {
            virtio_fail(&vi->vd);
            continue;
        }
        int rc = start(vi);
        if (rc == 0)
            return 0;
        virtio_fail(&vi->vd);
        return rc;
    }
    return -ENODEV;
}

int vinput_poll(struct vinput *vi,
                void (*fn)(void *ctx, const struct vinput_pointer *p),
                void *ctx, unsigned max)
{
    int groups = 0, rc = 0;
    unsigned taken = 0;
    uint16_t head;
    uint32_t len;
    int r;
    while (taken < max && (r = virtq_next_used(&vi->q, &head, &len)) != 0) {
        taken++;
        if (r < 0) {
            vi->bad++;
            rc = -EIO;
            if (head == VIRTQ_NO_HEAD)
                continue;
        }
        if (head >= vi->q.size)
            continue;
        uint16_t slot = vi->slot_of[head];
        if (r > 0 && len >= sizeof(vi->bufs[0])) {
            struct vinput_wire_event ev;
            struct vinput_pointer p;
            memcpy(&ev, &vi->bufs[slot], sizeof(ev));
            vi->events++;
            if (vinput_state_feed(&vi->st, &ev, &p)) {
                fn(ctx, &p);
                groups++;
            }
        }
        if (give(vi, slot))
            vi->bad++;
    }
    if (taken)
        virtio_kick(&vi->vd, &vi->q);
    return rc ? rc : groups;
}
