/*
 * Guest synthetic video VSC (proto/synthvid.h): opens the video channel,
 * negotiates the newest version both sides speak (3.5, 3.2, 3.0), asks a
 * 3.5 host for its resolutions, puts the VRAM in guest memory and tells
 * the host where (VRAM_LOCATION), sets the mode (SITUATION_UPDATE: 32 bpp
 * from 3.2, 16 bpp on 3.0), hides the hardware pointer, and afterwards
 * reports dirty rectangles and pointer changes.
 *
 * The VRAM is physically contiguous guest memory of the size the offer's
 * mmio_megabytes gives (8 MiB when it is 0; at most 64 MiB); the
 * appliance draws into it directly (synthvid_vsc_fb()).  Its guest-physical
 * address travels in VRAM_LOCATION, as Linux's hyperv_fb does with RAM on
 * Generation 1 VMs; the protocol has no GPADL for it.  Blocking calls
 * wait through the VMBus platform's wait() and time out with a logged
 * message; every host value is validated.
 */
#ifndef VSC_VIDEO_SYNTHVID_H
#define VSC_VIDEO_SYNTHVID_H

#include <stdint.h>

#include "proto/synthvid.h"
#include "vmbus/vmbus.h"

struct synthvid_vsc;

#define SYNTHVID_VSC_RING_BYTES 65536u
#define SYNTHVID_VSC_MAX_VRAM (64u << 20)

struct synthvid_vsc_config {
    const struct vmbus_platform *plat; /* alloc, wait(), now_ns(), log() */
    uint64_t timeout_ns;               /* per request; 0 = 5 s */
    uint32_t max_version;              /* SYNTHVID_VERSION(); 0 = 3.5 */
    uint32_t width, height; /* wanted mode; 0 = the host's default (3.5)
                               or 1024 x 768 */
    /*
     * Optional: VRAM outside guest RAM, at guest-physical vram_gpa in the
     * VMBus MMIO window (page-aligned, the offer's size), reachable by
     * the appliance at vram_mapped.  A host that backs it with its frame
     * buffer (Hyper-V does on Generation 2 VMs) shows frames without
     * copying them.  When the host does not acknowledge the location
     * within a second, the VRAM goes into RAM as usual.  0 = RAM.
     */
    uint64_t vram_gpa;
    void *vram_mapped;
};

/* The frame buffer the appliance draws into. */
struct synthvid_fb {
    void *base; /* VRAM, pixel (x, y) at base + y * pitch + x * bpp */
    uint32_t width, height;
    uint32_t pitch; /* bytes per row */
    uint32_t depth; /* bits per pixel: 32 (XRGB8888) or 16 (RGB565) */
    uint64_t vram_bytes;
};

struct synthvid_vsc_stats {
    uint64_t dirt_msgs, rects, bad_messages, feature_changes, mode_sets;
};

/*
 * Opens and sets up the device; *out gets the VSC.  Returns 0, -ENOMEM
 * (no VRAM), -ENOTSUP (no common version), -ETIMEDOUT (the host did not
 * answer a step; logged with the step), -EPROTO (malformed answer),
 * -EINVAL (mode not offered by the host) or -E2BIG (mode larger than the
 * VRAM), or an error of vmbus_chan_open() or vmbus_chan_send().
 */
int synthvid_vsc_open(struct vmbus_channel *ch,
                      const struct synthvid_vsc_config *cfg,
                      struct synthvid_vsc **out);
/* Closes the channel, then frees the VRAM and the VSC. */
void synthvid_vsc_close(struct synthvid_vsc *v);

uint32_t synthvid_vsc_version(const struct synthvid_vsc *v);
void synthvid_vsc_fb(const struct synthvid_vsc *v, struct synthvid_fb *fb);
/* The host's resolution list (3.5 only; count 0 otherwise) and default. */
uint32_t synthvid_vsc_modes(const struct synthvid_vsc *v,
                            const struct synthvid_screen_info **list,
                            uint32_t *default_index);

/*
 * Switches to width x height (same depth) and waits for the host's ack.
 * Returns 0, -EINVAL (not in the host's list, or zero), -E2BIG (does not
 * fit the VRAM), -ETIMEDOUT, or a send error.
 */
int synthvid_vsc_set_mode(struct synthvid_vsc *v, uint32_t width,
                          uint32_t height);

/*
 * Reports n rectangles as changed (clipped to the screen; empty ones are
 * skipped), in as few DIRT messages as fit.  Nothing is sent while the
 * host says it needs no dirt.  Returns 0, -EAGAIN (ring full: retry) or
 * another send error.
 */
int synthvid_vsc_dirty(struct synthvid_vsc *v, const struct synthvid_rect *r,
                       uint32_t n);
/* Whole-screen dirty rectangle. */
int synthvid_vsc_flush_all(struct synthvid_vsc *v);

/* Sends POINTER_POSITION.  0 or a send error. */
int synthvid_vsc_pointer(struct synthvid_vsc *v, int visible, int32_t x,
                         int32_t y);
/* Hides the hardware pointer with an empty 1x1 ARGB shape, as Linux does. */
int synthvid_vsc_hide_pointer(struct synthvid_vsc *v);

/*
 * Handles host messages (feature changes); call from the main loop.  When
 * the host turns dirt reports back on, this (or the next dirty call)
 * reports the whole screen, as the protocol asks of a VSC.
 */
void synthvid_vsc_poll(struct synthvid_vsc *v);
/* Last FEATURE_CHANGE from the host (all 1 until one arrives). */
struct synthvid_feature_change
synthvid_vsc_features(const struct synthvid_vsc *v);
const struct synthvid_vsc_stats *
synthvid_vsc_get_stats(const struct synthvid_vsc *v);

#endif /* VSC_VIDEO_SYNTHVID_H */
