/* Display, keyboard and pointer of the child; see ui.h. */
#include "root/host/ui.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cmdline.h"
#include "common/x86/cpu.h"
#include "root/boot/root.h"
#include "root/dev/bochs/bochs.h"
#include "root/dev/i8042/i8042.h"
#include "root/dev/vinput/vinput.h"
#include "root/dev/vmmouse/vmmouse.h"
#include "root/svm/svm.h"
#include "root/vsp/input/kbd_vsp.h"
#include "root/vsp/input/mouse_vsp.h"
#include "root/vsp/video/synthvid_vsp.h"

#define MAX_PHYS (4ull << 30) /* the root's identity map */
#define POLL_MIN_NS 1000000ull
#define POLL_IDLE_NS 4000000ull
#define POLL_BATCH 64u
#define APIC_RANGE 0xFEC00000ull /* IOAPIC and local APIC from here */

struct root_ui {
    struct vcpu *child;
    struct bochs bochs;
    bool have_bochs, have_kbd, have_mouse, have_tablet;
    struct vinput tablet;
    struct synthvid_vsp *video;
    struct kbd_vsp *kbd;
    struct mouse_vsp *mouse;
    uint64_t placed_gpa; /* frame buffer mapped into the child here */
    uint64_t poll_gap_tsc, last_poll_tsc;
    uint64_t keys, pointer_events, mode_sets;
};

static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    root_log("%s\n", line);
}

static uint8_t *set_mode(void *ctx, uint32_t width, uint32_t height,
                         uint32_t *pitch)
{
    struct root_ui *u = ctx;
    uint8_t *fb = bochs_set_mode(&u->bochs, width, height, pitch);
    if (fb) {
        u->mode_sets++;
        root_log("ui: display %ux%u, 32 bpp\n", width, height);
    } else {
        root_log("ui: display refused %ux%u\n", width, height);
    }
    return fb;
}

/*
 * The guest's VRAM outside its RAM (the VMBus MMIO window): the frame
 * buffer itself goes there, so frames cost no copy.  Not over the
 * IOAPIC/LAPIC range, which the child reaches through exits.
 */
static int place_vram(void *ctx, uint64_t gpa, uint64_t bytes)
{
    struct root_ui *u = ctx;
    if (!gpa) {
        if (u->placed_gpa && root_child_unmap(u->placed_gpa) == 0)
            root_log("ui: VRAM at 0x%llx unmapped\n",
                     (unsigned long long)u->placed_gpa);
        u->placed_gpa = 0;
        return 0;
    }
    if (u->placed_gpa || bytes == 0 || bytes > u->bochs.fb_bytes ||
        bytes % 4096u || gpa + bytes < gpa || gpa + bytes > APIC_RANGE)
        return -EINVAL;
    int rc = root_child_map(gpa, bytes, u->bochs.fb);
    if (rc) {
        root_log("ui: cannot map the frame buffer at 0x%llx (%d)\n",
                 (unsigned long long)gpa, rc);
        return rc;
    }
    u->placed_gpa = gpa;
    root_log("ui: frame buffer mapped as the guest's VRAM at 0x%llx (%llu "
             "MiB): no copies\n",
             (unsigned long long)gpa, (unsigned long long)(bytes >> 20));
    return 0;
}

static void set_leds(void *ctx, uint16_t led_flags)
{
    (void)ctx;
    if (i8042_set_leds((uint8_t)led_flags))
        root_log("ui: keyboard LEDs not acknowledged\n");
}

static void on_scancode(void *ctx, uint8_t byte)
{
    struct root_ui *u = ctx;
    u->keys++;
    kbd_vsp_scancode(u->kbd, byte);
}

static void on_pointer(void *ctx, const struct vmmouse_event *ev)
{
    struct root_ui *u = ctx;
    u->pointer_events++;
    mouse_vsp_event(u->mouse, ev->x, ev->y, ev->buttons, ev->wheel);
}

static void on_tablet(void *ctx, const struct vinput_pointer *p)
{
    struct root_ui *u = ctx;
    u->pointer_events++;
    mouse_vsp_event(u->mouse, p->x, p->y, p->buttons, p->wheel);
}

static void poll(void *ctx)
{
    struct root_ui *u = ctx;
    uint64_t now = rdtsc();
    if (now - u->last_poll_tsc < u->poll_gap_tsc)
        return;
    u->last_poll_tsc = now;
    if (u->have_kbd)
        i8042_poll(on_scancode, u, POLL_BATCH);
    if (u->have_tablet && vinput_poll(&u->tablet, on_tablet, u, POLL_BATCH) < 0)
        root_log("ui: virtio-tablet returned a bad buffer\n");
    else if (u->have_mouse && !u->have_tablet &&
             vmmouse_poll(on_pointer, u, POLL_BATCH) < 0)
        root_log("ui: pointer device error; reset\n");
}

static void start_video(struct root_ui *u, struct vmbus_server *srv)
{
    int rc = bochs_probe(&u->bochs, MAX_PHYS);
    if (rc) {
        root_log("ui: no Bochs VBE display (%d): no synthetic video\n", rc);
        return;
    }
    const struct synthvid_vsp_backend be = {
        .ctx = u,
        .fb_bytes = u->bochs.fb_bytes,
        .set_mode = set_mode,
        .place_vram = place_vram,
        .log = log_line,
    };
    rc = synthvid_vsp_create(srv, NULL, &be, &u->video);
    if (rc) {
        root_log("ui: synthetic video not offered (%d)\n", rc);
        return;
    }
    u->have_bochs = true;
    root_log("ui: %s at %02x.%x: DISPI %04x, %llu MiB frame buffer at "
             "0x%llx\n",
             u->bochs.is_vga ? "VGA" : "bochs-display", u->bochs.dev,
             u->bochs.fn, u->bochs.id,
             (unsigned long long)(u->bochs.fb_bytes >> 20),
             (unsigned long long)bochs_fb_phys(&u->bochs));
}

static void start_keyboard(struct root_ui *u, struct vmbus_server *srv)
{
    int rc = i8042_init();
    if (rc) {
        root_log("ui: no PS/2 keyboard controller (%d)\n", rc);
        return;
    }
    const struct kbd_vsp_backend be = {
        .ctx = u, .set_leds = set_leds, .log = log_line};
    rc = kbd_vsp_create(srv, &be, &u->kbd);
    if (rc) {
        root_log("ui: synthetic keyboard not offered (%d)\n", rc);
        return;
    }
    u->have_kbd = true;
    root_log("ui: PS/2 keyboard (set 1 by translation)\n");
}

/* virtio-tablet when there is one, else QEMU's vmmouse. */
static void start_pointer(struct root_ui *u, struct vmbus_server *srv)
{
    int rc = vinput_probe(&u->tablet);
    if (rc == 0) {
        const struct mouse_vsp_backend be = {.ctx = u, .log = log_line};
        rc = mouse_vsp_create(srv, &be, &u->mouse);
        if (rc) {
            virtio_fail(&u->tablet.vd);
            root_log("ui: synthetic mouse not offered (%d)\n", rc);
            return;
        }
        u->have_tablet = u->have_mouse = true;
        root_log("ui: absolute pointer (virtio-tablet at %02x:%02x.%x)\n",
                 u->tablet.pci.bdf >> 8, u->tablet.pci.bdf >> 3 & 31,
                 u->tablet.pci.bdf & 7);
        return;
    }
    rc = vmmouse_init();
    if (rc) {
        root_log("ui: no absolute pointer (virtio-tablet, vmmouse) (%d)\n", rc);
        return;
    }
    const struct mouse_vsp_backend be = {.ctx = u, .log = log_line};
    rc = mouse_vsp_create(srv, &be, &u->mouse);
    if (rc) {
        vmmouse_disable();
        root_log("ui: synthetic mouse not offered (%d)\n", rc);
        return;
    }
    u->have_mouse = true;
    root_log("ui: absolute pointer (vmmouse)\n");
}

struct root_ui *root_ui_start(struct vcpu *child, struct vmbus_server *srv,
                              const char *root_cmdline)
{
    char val[8];
    if (cmdline_get(root_cmdline, "ui", val, sizeof(val)) == 1 &&
        strcmp(val, "0") == 0) {
        root_log("ui: off (ui=0)\n");
        return NULL;
    }
    struct root_ui *u = calloc(1, sizeof(*u));
    if (!u) {
        root_log("ui: no memory\n");
        return NULL;
    }
    u->child = child;
    u->poll_gap_tsc = (uint64_t)((unsigned __int128)POLL_MIN_NS *
                                 root_tsc_hz() / 1000000000u);
    start_video(u, srv);
    start_keyboard(u, srv);
    start_pointer(u, srv);
    if (!u->have_bochs && !u->have_kbd && !u->have_mouse) {
        free(u);
        return NULL;
    }
    if ((u->have_kbd || u->have_mouse) &&
        root_poller_add(poll, u, POLL_IDLE_NS))
        root_log("ui: no poller slot: keyboard and pointer stay silent\n");
    return u;
}
