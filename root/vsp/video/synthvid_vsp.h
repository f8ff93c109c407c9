/*
 * Root synthetic video VSP (proto/synthvid.h): offers a video channel as
 * Hyper-V does (class VMBUS_CLASS_SYNTHVID, instance
 * SYNTHVID_INSTANCE_GUID, mmio_megabytes = the VRAM size), accepts
 * versions 3.0, 3.2 and 3.5 up to a configured maximum, lists the modes
 * its frame buffer backend can hold in the resolution response (3.5), maps
 * the guest's VRAM through the server's checked accessor, switches the
 * backend's mode on each situation update, copies dirty rectangles from
 * the VRAM into the backend frame buffer (32 bpp; 16 bpp guests are
 * converted) or, where the backend can show the VRAM in place
 * (map_vram), only reports them, and passes pointer messages on.
 *
 * A message the VSP cannot honour (VRAM outside guest memory, a mode the
 * backend cannot hold) is dropped without an ack, so the guest times out
 * with its own message rather than drawing into nowhere.  Single-threaded.
 */
#ifndef ROOT_VSP_VIDEO_SYNTHVID_VSP_H
#define ROOT_VSP_VIDEO_SYNTHVID_VSP_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/synthvid.h"
#include "root/vmbus/server.h"

struct synthvid_vsp;

/* The display: a Bochs VBE / bochs-display driver, or a test buffer. */
struct synthvid_vsp_backend {
    void *ctx;
    uint64_t fb_bytes; /* frame buffer size: a mode fits if w * h * 4 fits */
    /*
     * Switches to width x height, 32 bpp XRGB8888.  Returns the frame
     * buffer (at least pitch * height bytes) and stores its pitch
     * (>= width * 4), or NULL if the mode is not possible.
     */
    uint8_t *(*set_mode)(void *ctx, uint32_t width, uint32_t height,
                         uint32_t *pitch);
    /* A rectangle of the frame buffer was rewritten.  Optional. */
    void (*updated)(void *ctx, uint32_t x, uint32_t y, uint32_t w, uint32_t h);
    /*
     * Optional, for frames without copies: put the frame buffer at guest
     * physical gpa (bytes long) in the child's nested page tables, so the
     * guest's VRAM writes land on the display.  Called after a mode whose
     * format equals the frame buffer's (32 bpp, same pitch, VRAM offset 0)
     * and after the VRAM was copied once; returns 0 when mapped.  Called
     * with gpa 0 to undo it (mode change, VRAM moved, channel closed);
     * undoing copies the frame buffer back into the guest's pages first,
     * so the VRAM keeps what the guest drew while it was mapped.
     */
    int (*map_vram)(void *ctx, uint64_t gpa, uint64_t bytes);
    /*
     * Optional: the guest put its VRAM at gpa outside its RAM, in the
     * VMBus MMIO window (Linux's hyperv_drm and hyperv_fb do on a VM
     * without a legacy VGA device; Generation 2 guests always).  Map the
     * frame buffer there (bytes long, through the child's nested page
     * tables) and return 0: the guest then draws straight onto the display
     * and dirty rectangles cost no copy.  Any other value: the location is
     * refused.  Called with gpa 0 to remove the mapping (VRAM moved,
     * channel closed).  Mode changes must keep the frame buffer's
     * contents (the guest's pixels).
     */
    int (*place_vram)(void *ctx, uint64_t gpa, uint64_t bytes);
    /* Pointer position and visibility from the guest.  Optional. */
    void (*pointer)(void *ctx, int visible, int32_t x, int32_t y);
    void (*log)(void *ctx, const char *line); /* optional */
};

struct synthvid_vsp_config {
    uint32_t max_version;    /* SYNTHVID_VERSION(); 0 = 3.5 */
    uint16_t vram_megabytes; /* offered mmio_megabytes; 0 = 8 */
};

struct synthvid_vsp_stats {
    uint64_t negotiations, refusals, vram_maps, mode_sets, dirt_msgs;
    uint64_t rects, pixels, pointer_msgs, shape_msgs, bad_messages;
    uint64_t zero_copy_rects, vram_direct_maps; /* map_vram in use */
    uint64_t vram_placed;                       /* place_vram mappings */
};

/* The mode the guest last set (active 0 before any). */
struct synthvid_vsp_mode {
    uint8_t active;
    uint32_t width, height, pitch, depth;
};

/*
 * Creates the VSP and adds its device to srv.  cfg may be NULL; be is
 * copied and must have set_mode.  Returns 0, -EINVAL, -ENOMEM or an error
 * of vmbus_server_add_device().
 */
int synthvid_vsp_create(struct vmbus_server *srv,
                        const struct synthvid_vsp_config *cfg,
                        const struct synthvid_vsp_backend *be,
                        struct synthvid_vsp **out);
void synthvid_vsp_destroy(struct synthvid_vsp *v);

/* Negotiated version word, 0 before. */
uint32_t synthvid_vsp_version(const struct synthvid_vsp *v);
struct synthvid_vsp_mode synthvid_vsp_mode(const struct synthvid_vsp *v);
/* The modes the resolution response lists; *default_index the default. */
uint32_t synthvid_vsp_modes(const struct synthvid_vsp *v,
                            const struct synthvid_screen_info **list,
                            uint32_t *default_index);
/* Sends FEATURE_CHANGE (after the VRAM is mapped).  0 or a send error. */
int synthvid_vsp_feature_change(struct synthvid_vsp *v,
                                const struct synthvid_feature_change *fc);
const struct synthvid_vsp_stats *
synthvid_vsp_get_stats(const struct synthvid_vsp *v);

#endif /* ROOT_VSP_VIDEO_SYNTHVID_VSP_H */
