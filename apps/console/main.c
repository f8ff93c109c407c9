/*
 * console: an interactive appliance on the synthetic display, keyboard and
 * mouse, mirrored on the serial console (input from either).  The screen
 * shows a strip of eight colour bars on top (a known pattern for tests)
 * and a text console below it; clicks print the pointer position.
 *
 * Commands: help, devices, ls [PATH], cat FILE (the FAT volume on SCSI
 * LUN 0, when offered), net (address and counters, when a network adapter
 * is offered), kvp, uptime, mode WxH, bench [SECONDS] (full-screen updates
 * per second), echo TEXT, poweroff.
 *
 * Arguments (key=value): mode=WxH (default 1024x768), exit_after=S (stop
 * with status 0 after S seconds; 0 = never), vram=mmio (VRAM in the VMBus
 * MMIO window instead of RAM: a host that maps its frame buffer there
 * shows frames without copies; else RAM after a second).
 *
 * Exit status: 0 poweroff, 2 no Hyper-V interface, 3 VMBus connection
 * failed, 4 no synthetic video, 5 video set-up failed.
 */
#include "boot/kernel.h"
#include "net/net.h"
#include "storage/vfs.h"
#include "vsc/input/kbd.h"
#include "vsc/input/mouse.h"
#include "vsc/netvsc/netvsc.h"
#include "vsc/partition.h"
#include "vsc/storvsc/storvsc.h"
#include "vsc/video/gfx.h"
#include "vsc/video/synthvid.h"
#include "vsc/video/textcon.h"
#include "winhv/winhv.h"
#include "storage/volume.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STRIP_H 32u /* colour bars on top */
/* The start of the VMBus MMIO window of a Generation 1 VM (and of the
 * Enlight root's): where vram=mmio puts the VRAM. */
#define VMBUS_MMIO_VRAM 0xF8000000ull
#define LINE_MAX 160u
#define FG GFX_RGB(0xE0, 0xE0, 0xE0)
#define BG GFX_RGB(0x10, 0x20, 0x40)

/* The pattern tests look for: bar k spans x in [k*w/8, (k+1)*w/8). */
static const uint32_t bars[8] = {
    GFX_RGB(0x00, 0x00, 0x00), GFX_RGB(0xFF, 0x00, 0x00),
    GFX_RGB(0x00, 0xFF, 0x00), GFX_RGB(0x00, 0x00, 0xFF),
    GFX_RGB(0xFF, 0xFF, 0x00), GFX_RGB(0x00, 0xFF, 0xFF),
    GFX_RGB(0xFF, 0x00, 0xFF), GFX_RGB(0xFF, 0xFF, 0xFF),
};

static struct {
    const struct vmbus_platform *plat;
    struct vmbus *vb;
    struct synthvid_vsc *video;
    struct kbd_vsc *kbd;
    struct mouse_vsc *mouse;
    struct storvsc *sv;
    struct netvsc *nv;
    struct net_if *nif;
    int have_volume;
    struct gfx_surface full, text; /* text: below the strip */
    struct gfx_cursor cursor;
    struct psf_font font;
    struct textcon con;
    char line[LINE_MAX];
    unsigned len;
    uint32_t buttons;
    int quit;
} c;

/* ---- output: serial and screen ---- */

static void dirty(const struct gfx_rect *r)
{
    if (!c.video || r->w == 0 || r->h == 0)
        return;
    struct synthvid_rect d = {r->x, r->y, r->x + (int32_t)r->w,
                              r->y + (int32_t)r->h};
    synthvid_vsc_dirty(c.video, &d, 1);
}

static void screen_text(const char *s, size_t n)
{
    struct gfx_rect r;
    int32_t px = c.cursor.x, py = c.cursor.y;
    int shown = c.cursor.visible;
    if (!c.video)
        return;
    if (shown && gfx_cursor_hide(&c.full, &c.cursor, &r))
        dirty(&r);
    textcon_write(&c.con, s, n);
    if (textcon_take_dirty(&c.con, &r)) {
        r.y += (int32_t)STRIP_H;
        dirty(&r);
    }
    if (shown && gfx_cursor_move(&c.full, &c.cursor, px, py, &r))
        dirty(&r);
}

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
    fwrite(buf, 1, (size_t)n, stdout);
    fflush(stdout);
    screen_text(buf, (size_t)n);
}

/* ---- the screen ---- */

static void draw_pattern(void)
{
    uint32_t w = c.full.width;
    for (uint32_t k = 0; k < 8; k++) {
        struct gfx_rect r = {(int32_t)(k * w / 8), 0,
                             (k + 1) * w / 8 - k * w / 8, STRIP_H};
        gfx_fill(&c.full, r, bars[k]);
    }
    struct gfx_rect all = {0, 0, c.full.width, c.full.height};
    dirty(&all);
}

/* Surfaces, pattern and console for the current mode. */
static int attach(void)
{
    struct synthvid_fb fb;
    synthvid_vsc_fb(c.video, &fb);
    int rc =
        gfx_init(&c.full, fb.base, fb.width, fb.height, fb.pitch, fb.depth);
    if (rc == 0)
        rc = gfx_init(&c.text, (uint8_t *)fb.base + STRIP_H * fb.pitch,
                      fb.width, fb.height - STRIP_H, fb.pitch, fb.depth);
    if (rc == 0)
        rc = textcon_init(&c.con, &c.text, &c.font, FG, BG);
    if (rc)
        return rc;
    gfx_cursor_init(&c.cursor);
    struct gfx_rect r;
    (void)textcon_take_dirty(&c.con, &r);
    draw_pattern();
    if (c.mouse)
        mouse_vsc_set_screen(c.mouse, fb.width, fb.height);
    return 0;
}

static int parse_mode(const char *s, uint32_t *w, uint32_t *h)
{
    char *end;
    unsigned long a = strtoul(s, &end, 10);
    if (*end != 'x')
        return -EINVAL;
    unsigned long b = strtoul(end + 1, &end, 10);
    if (*end || !a || !b || a > 8192 || b > 8192)
        return -EINVAL;
    *w = (uint32_t)a;
    *h = (uint32_t)b;
    return 0;
}

/* ---- commands ---- */

static const char *class_name(const struct vmbus_guid *g)
{
    static const struct {
        struct vmbus_guid id;
        const char *name;
    } classes[] = {
        {VMBUS_CLASS_SCSI, "scsi"},
        {VMBUS_CLASS_IDE, "ide"},
        {VMBUS_CLASS_NETWORK, "network"},
        {VMBUS_CLASS_KEYBOARD, "keyboard"},
        {VMBUS_CLASS_MOUSE, "mouse"},
        {VMBUS_CLASS_SYNTHVID, "video"},
        {VMBUS_CLASS_HEARTBEAT, "heartbeat"},
        {VMBUS_CLASS_SHUTDOWN, "shutdown"},
        {VMBUS_CLASS_TIMESYNC, "timesync"},
        {VMBUS_CLASS_KVP, "kvp"},
        {VMBUS_CLASS_VSS, "vss"},
    };
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
        if (!memcmp(g, &classes[i].id, sizeof(*g)))
            return classes[i].name;
    return "unknown";
}

static void version_of(const char *name, char *buf, size_t cap)
{
    if (!strcmp(name, "video") && c.video) {
        uint32_t v = synthvid_vsc_version(c.video);
        snprintf(buf, cap, "synthvid %u.%u", SYNTHVID_VERSION_MAJOR(v),
                 SYNTHVID_VERSION_MINOR(v));
    } else if (!strcmp(name, "keyboard") && c.kbd) {
        snprintf(buf, cap, "synthkbd 1.0");
    } else if (!strcmp(name, "mouse") && c.mouse) {
        snprintf(buf, cap, "synthhid 2.0");
    } else if (!strcmp(name, "scsi") && c.sv && storvsc_version(c.sv)) {
        uint16_t v = storvsc_version(c.sv);
        snprintf(buf, cap, "vstor %u.%u", v >> 8, v & 0xFF);
    } else if (!strcmp(name, "network") && c.nv) {
        snprintf(buf, cap, "nvsp 0x%x", (unsigned)netvsc_nvsp_version(c.nv));
    } else if (!strcmp(name, "heartbeat") || !strcmp(name, "shutdown") ||
               !strcmp(name, "timesync") || !strcmp(name, "kvp")) {
        snprintf(buf, cap, "ic (framework 3.0)");
    } else {
        snprintf(buf, cap, "not opened");
    }
}

static void cmd_devices(void)
{
    uint32_t v = vmbus_version(c.vb);
    out("VMBus %u.%u\n", (unsigned)(v >> 16), (unsigned)(v & 0xFFFF));
    for (size_t i = 0;; i++) {
        struct vmbus_channel *ch = vmbus_channel_at(c.vb, i);
        if (!ch)
            break;
        const char *name = class_name(vmbus_chan_class(ch));
        char ver[48];
        version_of(name, ver, sizeof(ver));
        out("  relid %-3u %-10s %s%s\n", (unsigned)vmbus_chan_relid(ch), name,
            ver, vmbus_chan_rescinded(ch) ? " (rescinded)" : "");
    }
}

static void cmd_ls(const char *path)
{
    struct vfs_dir *d;
    struct vfs_dirent e;
    if (!c.have_volume) {
        out("ls: no FAT volume\n");
        return;
    }
    int rc = vfs_opendir(path && *path ? path : "/", &d);
    if (rc) {
        out("ls: %s: %s\n", path, strerror(-rc));
        return;
    }
    while (vfs_readdir(d, &e) == 1)
        out("  %s%s\n", e.d_name, e.d_type == VFS_DT_DIR ? "/" : "");
    vfs_closedir(d);
}

static void cmd_cat(const char *path)
{
    char buf[256];
    if (!c.have_volume) {
        out("cat: no FAT volume\n");
        return;
    }
    int fd = vfs_open(path, O_RDONLY, 0);
    if (fd < 0) {
        out("cat: %s: %s\n", path, strerror(-fd));
        return;
    }
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
        buf[n] = 0;
        out("%s", buf);
    }
    close(fd);
}

static void cmd_net(void)
{
    uint32_t a, m, g;
    if (!c.nif) {
        out("net: no network adapter\n");
        return;
    }
    if (net_if_ipv4(c.nif, &a, &m, &g) == 0)
        out("net: address %u.%u.%u.%u/%u.%u.%u.%u gateway %u.%u.%u.%u\n",
            a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, m >> 24,
            m >> 16 & 255, m >> 8 & 255, m & 255, g >> 24, g >> 16 & 255,
            g >> 8 & 255, g & 255);
    else
        out("net: no address yet\n");
    const struct net_if_stats *s = net_if_get_stats(c.nif);
    out("net: rx %llu frames %llu bytes, tx %llu frames %llu bytes\n",
        (unsigned long long)s->rx_frames, (unsigned long long)s->rx_bytes,
        (unsigned long long)s->tx_frames, (unsigned long long)s->tx_bytes);
}

static void cmd_kvp(void)
{
    const struct ic_guest_stats *s = ic_guest_get_stats(partition_ics());
    const char *h = boot_arg("hostname");
    out("kvp: host name %s, %llu host requests answered\n", h ? h : "enlight",
        (unsigned long long)s->kvp_requests);
}

static void cmd_mode(const char *arg)
{
    uint32_t w, h;
    if (!arg || parse_mode(arg, &w, &h)) {
        out("mode: WIDTHxHEIGHT\n");
        return;
    }
    int rc = synthvid_vsc_set_mode(c.video, w, h);
    if (rc == 0)
        rc = attach();
    if (rc)
        out("mode: %ux%u: error %d\n", w, h, rc);
    else
        out("mode: %ux%u\n", w, h);
}

/*
 * bench SECONDS: full-screen updates (fill, one whole-screen dirty
 * rectangle) for that long; a mode set with the same mode at the end is
 * acknowledged only after the host took every earlier rectangle, so the
 * rate counts frames the host finished.
 */
static void cmd_bench(const char *arg)
{
    uint64_t secs = arg ? strtoull(arg, NULL, 0) : 5;
    if (!secs || secs > 600)
        secs = 5;
    struct gfx_rect all = {0, 0, c.full.width, c.full.height};
    struct synthvid_rect d = {0, 0, (int32_t)c.full.width,
                              (int32_t)c.full.height};
    uint64_t start = clock_now_ns(), end = start + secs * 1000000000ull;
    uint64_t frames = 0, retries = 0;
    while (clock_now_ns() < end) {
        gfx_fill(&c.full, all, frames & 1 ? BG : GFX_RGB(0x40, 0x20, 0x10));
        int rc;
        while ((rc = synthvid_vsc_dirty(c.video, &d, 1)) == -EAGAIN) {
            retries++;
            partition_wait(clock_now_ns() + 1000000ull);
        }
        if (rc) {
            out("bench: dirty failed: %d\n", rc);
            break;
        }
        frames++;
    }
    int rc = synthvid_vsc_set_mode(c.video, c.full.width, c.full.height);
    uint64_t ns = clock_now_ns() - start;
    if (rc == 0)
        rc = attach();
    out("bench: %llu full-screen frames (%ux%u) in %llu ms: %llu.%llu per "
        "second, %llu ring-full waits%s\n",
        (unsigned long long)frames, c.full.width, c.full.height,
        (unsigned long long)(ns / 1000000u),
        (unsigned long long)(frames * 1000000000ull / ns),
        (unsigned long long)(frames * 10000000000ull / ns % 10),
        (unsigned long long)retries, rc ? " (mode set failed)" : "");
}

static void run_line(char *line)
{
    char *cmd = strtok(line, " ");
    char *arg = strtok(NULL, "");
    if (!cmd)
        return;
    if (!strcmp(cmd, "help")) {
        out("commands: help devices ls [PATH] cat FILE net kvp uptime "
            "mode WxH bench [SECONDS] echo TEXT poweroff\n");
    } else if (!strcmp(cmd, "devices")) {
        cmd_devices();
    } else if (!strcmp(cmd, "ls")) {
        cmd_ls(arg);
    } else if (!strcmp(cmd, "cat")) {
        if (arg)
            cmd_cat(arg);
        else
            out("cat: FILE\n");
    } else if (!strcmp(cmd, "net")) {
        cmd_net();
    } else if (!strcmp(cmd, "kvp")) {
        cmd_kvp();
    } else if (!strcmp(cmd, "uptime")) {
        uint64_t ms = clock_now_ns() / 1000000u;
        out("up %llu.%03llu s\n", (unsigned long long)(ms / 1000),
            (unsigned long long)(ms % 1000));
    } else if (!strcmp(cmd, "mode")) {
        cmd_mode(arg);
    } else if (!strcmp(cmd, "bench")) {
        cmd_bench(arg);
    } else if (!strcmp(cmd, "echo")) {
        out("%s\n", arg ? arg : "");
    } else if (!strcmp(cmd, "poweroff")) {
        out("console: powering off\n");
        c.quit = 1;
    } else {
        out("%s: unknown command (try help)\n", cmd);
    }
}

/* One character typed on the keyboard or the serial line. */
static void typed(uint32_t ch)
{
    if (ch == '\r' || ch == '\n') {
        out("\n");
        c.line[c.len] = 0;
        c.len = 0;
        run_line(c.line);
        if (!c.quit)
            out("console> ");
    } else if (ch == '\b' || ch == 0x7F) {
        if (c.len) {
            c.len--;
            out("\b \b");
        }
    } else if (ch >= 0x20 && ch < 0x7F && c.len + 1 < LINE_MAX) {
        c.line[c.len++] = (char)ch;
        out("%c", (char)ch);
    }
}

static void on_mouse(const struct mouse_event *ev)
{
    struct gfx_rect r;
    if (gfx_cursor_move(&c.full, &c.cursor, (int32_t)ev->x, (int32_t)ev->y, &r))
        dirty(&r);
    uint32_t pressed = ev->buttons & ~c.buttons;
    c.buttons = ev->buttons;
    static const char *const names[3] = {"left", "right", "middle"};
    for (unsigned b = 0; b < 3; b++)
        if (pressed & (1u << b))
            out("\nclick: %s at %u,%u\nconsole> %.*s", names[b],
                (unsigned)ev->x, (unsigned)ev->y, (int)c.len, c.line);
}

/* ---- bring-up ---- */

static void open_volume(void)
{
    if (!c.sv ||
        !vmbus_find_channel(c.vb, &(struct vmbus_guid)VMBUS_CLASS_SCSI))
        return;
    if (volume_mount(c.sv, 0, VFS_MOUNT_RDONLY, NULL) == 0)
        c.have_volume = 1;
}

static void on_rx(void *ctx, const void *frame, uint32_t len)
{
    (void)ctx;
    net_if_input(c.nif, frame, len);
}

static void on_link(void *ctx, bool up)
{
    (void)ctx;
    net_if_set_link(c.nif, up);
}

static void open_network(void)
{
    struct vmbus_channel *ch =
        vmbus_find_channel(c.vb, &(struct vmbus_guid)VMBUS_CLASS_NETWORK);
    if (!ch || netvsc_open(ch, c.plat, NULL, &c.nv))
        return;
    net_init();
    struct net_link link;
    netvsc_net_link(c.nv, &link);
    struct net_if_config cfg = {
        .dhcp = true, .hostname = "enlight-console", .make_default = true};
    c.nif = net_if_create(&link, &cfg);
    if (!c.nif) {
        netvsc_close(c.nv);
        c.nv = NULL;
        return;
    }
    netvsc_set_callback_poll(c.nv, false);
    netvsc_set_handlers(c.nv, on_rx, on_link, NULL);
    net_if_set_link(c.nif, netvsc_link_up(c.nv));
}

static void open_input(void)
{
    struct vmbus_channel *ch =
        vmbus_find_channel(c.vb, &(struct vmbus_guid)VMBUS_CLASS_KEYBOARD);
    struct kbd_vsc_config kc = {.plat = c.plat};
    int rc;
    if (ch && (rc = kbd_vsc_open(ch, &kc, &c.kbd)))
        printf("console: keyboard: error %d\n", rc);
    ch = vmbus_find_channel(c.vb, &(struct vmbus_guid)VMBUS_CLASS_MOUSE);
    struct mouse_vsc_config mc = {
        .plat = c.plat, .width = c.full.width, .height = c.full.height};
    if (ch && (rc = mouse_vsc_open(ch, &mc, &c.mouse)))
        printf("console: mouse: error %d\n", rc);
}

int app_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uint32_t w = 1024, h = 768;
    const char *m = boot_arg("mode");
    if (m && parse_mode(m, &w, &h))
        printf("console: ignoring mode=%s\n", m);
    const char *ea = boot_arg("exit_after");
    uint64_t exit_after = ea ? strtoull(ea, NULL, 0) * 1000000000ull : 0;

    c.vb = partition_vmbus();
    if (!c.vb)
        return 2;
    c.plat = winhv_vmbus_platform();
    struct storvsc_config sc = {.plat = *c.plat};
    c.sv = storvsc_create(c.vb, &sc);
    if (partition_connect(0)) {
        printf("console: VMBus connection failed\n");
        return 3;
    }
    struct vmbus_channel *vch =
        vmbus_find_channel(c.vb, &(struct vmbus_guid)VMBUS_CLASS_SYNTHVID);
    if (!vch) {
        printf("console: no synthetic video offered\n");
        return 4;
    }
    struct synthvid_vsc_config vc = {.plat = c.plat, .width = w, .height = h};
    const char *vram = boot_arg("vram");
    if (vram && !strcmp(vram, "mmio")) {
        vc.vram_gpa = VMBUS_MMIO_VRAM;
        vc.vram_mapped = phys_to_virt(VMBUS_MMIO_VRAM);
    }
    int rc = textcon_builtin_font(&c.font);
    if (rc == 0)
        rc = synthvid_vsc_open(vch, &vc, &c.video);
    if (rc == 0 && (rc = attach()) != 0)
        synthvid_vsc_close(c.video);
    if (rc) {
        c.video = NULL;
        printf("console: video set-up failed: %d\n", rc);
        return 5;
    }
    open_input();
    open_volume();
    open_network();
    out("Enlight console: %ux%u, synthvid %u.%u, keyboard %s, mouse %s, "
        "volume %s, network %s, VRAM at 0x%llx\n",
        c.full.width, c.full.height,
        SYNTHVID_VERSION_MAJOR(synthvid_vsc_version(c.video)),
        SYNTHVID_VERSION_MINOR(synthvid_vsc_version(c.video)),
        c.kbd ? "yes" : "no", c.mouse ? "yes" : "no",
        c.have_volume ? "yes" : "no", c.nv ? "yes" : "no",
        (unsigned long long)virt_to_phys(c.full.base));
    out("console> ");

    uint64_t start = clock_now_ns();
    while (!c.quit) {
        struct key_event kev;
        struct mouse_event mev;
        int ch;
        while (c.kbd && kbd_vsc_read(c.kbd, &kev) == 0)
            if (kev.pressed && kev.ch)
                typed(kev.ch);
        while (c.mouse && mouse_vsc_read(c.mouse, &mev) == 0)
            on_mouse(&mev);
        while (!c.quit && (ch = console_getc()) >= 0)
            typed((uint32_t)ch);
        if (c.video)
            synthvid_vsc_poll(c.video);
        if (c.nv) {
            netvsc_poll(c.nv);
            net_poll();
        }
        uint64_t now = clock_now_ns();
        if (exit_after && now - start >= exit_after)
            break;
        partition_wait(now + 50000000ull);
    }
    if (c.nif)
        net_if_destroy(c.nif);
    if (c.nv)
        netvsc_close(c.nv);
    return 0;
}
