/*
 * httpd: a web server appliance.  Brings up WinHv, VMBus and netvsc, gets
 * an address by DHCP through lwIP and serves files over HTTP until powered
 * off: from the FAT volume on the first SCSI disk when there is one (under
 * docroot=), else the built-in pages.
 *
 * Arguments (key=value):
 *   port=N          TCP port (default 80)
 *   docroot=PATH    directory on the volume served as "/" (default "/")
 *   exit_after=S    stop cleanly after S seconds (tests); 0 = never
 *   discard=N       also a discard service on TCP port N (upload benchmark)
 *
 * Exit status: 0 after exit_after, 2 no Hyper-V interface, 3 WinHv error,
 * 4 VMBus connection failed, 5 no network adapter offered, 6 netvsc
 * bring-up failed, 7 lwIP or server start failed.
 */
#include "apps/httpd/httpd.h"
#include "boot/kernel.h"
#include "net/net.h"
#include "net/up.h"
#include "storage/vfs.h"
#include "storage/volume.h"
#include "vmbus/vmbus.h"
#include "vsc/netvsc/netvsc.h"
#include "vsc/storvsc/storvsc.h"
#include "winhv/winhv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIG_BYTES (1024u * 1024u)

static struct net_if *nif;

static const char index_html[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>Enlight</title>\n"
    "<link rel=\"stylesheet\" href=\"/style.css\"></head>\n"
    "<body><h1>Hello from an Enlight appliance</h1>\n"
    "<p>This page was served by lwIP over netvsc, the Hyper-V synthetic\n"
    "network adapter, from a unikernel running as a child partition.</p>\n"
    "<ul><li><a href=\"/hello.txt\">hello.txt</a></li>\n"
    "<li><a href=\"/big.bin\">big.bin</a> (1 MiB test pattern)</li></ul>\n"
    "</body></html>\n";
static const char style_css[] =
    "body{font-family:sans-serif;max-width:40em;margin:2em auto}\n"
    "h1{color:#0063b1}\n";
static const char hello_txt[] = "Hello from Enlight httpd.\n";

static struct http_file files[] = {
    {"/index.html", index_html, sizeof(index_html) - 1},
    {"/style.css", style_css, sizeof(style_css) - 1},
    {"/hello.txt", hello_txt, sizeof(hello_txt) - 1},
    {"/big.bin", NULL, 0},
};

/* ---- the FAT volume as an httpd_fs ---- */

static char docroot[128] = "";

static int full_path(const char *path, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%s", docroot, path);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int vol_open(void *ctx, const char *path, uint64_t *size)
{
    char p[HTTP_MAX_PATH + 160];
    struct stat st;
    (void)ctx;
    int rc = full_path(path, p, sizeof(p));
    if (!rc)
        rc = vfs_stat(p, &st);
    if (rc)
        return rc;
    if (S_ISDIR(st.st_mode))
        return -EISDIR;
    int fd = vfs_open(p, O_RDONLY, 0);
    if (fd >= 0)
        *size = (uint64_t)st.st_size;
    return fd;
}

static int vol_read(void *ctx, int fd, uint64_t off, void *buf, uint32_t len)
{
    (void)ctx;
    if (lseek(fd, (off_t)off, SEEK_SET) < 0)
        return -EIO;
    ssize_t n = read(fd, buf, len);
    return n < 0 ? -EIO : (int)n;
}

static void vol_close(void *ctx, int fd)
{
    (void)ctx;
    close(fd);
}

#define LIST_MAX 256u
static int vol_list(void *ctx, const char *dir, char *out, size_t cap)
{
    char p[HTTP_MAX_PATH + 160];
    struct vfs_dir *d;
    (void)ctx;
    int rc = full_path(dir, p, sizeof(p));
    if (!rc)
        rc = vfs_opendir(p, &d);
    if (rc)
        return rc;
    /* A table of this directory's entries for http_dir_listing(). */
    struct http_file *t = calloc(LIST_MAX, sizeof(*t));
    char *names = malloc(LIST_MAX * (HTTP_MAX_PATH + 4));
    size_t n = 0;
    struct vfs_dirent e;
    while (t && names && n < LIST_MAX && vfs_readdir(d, &e) == 1) {
        if (!strcmp(e.d_name, ".") || !strcmp(e.d_name, ".."))
            continue;
        char *slot = names + n * (HTTP_MAX_PATH + 4);
        int w = snprintf(slot, HTTP_MAX_PATH + 4, "%s%s%s", dir, e.d_name,
                         e.d_type == VFS_DT_DIR ? "/." : "");
        if (w < 0 || (size_t)w >= HTTP_MAX_PATH + 4)
            continue;
        t[n].path = slot;
        n++;
    }
    vfs_closedir(d);
    rc = t && names ? http_dir_listing(t, n, dir, out, cap) : -ENOMEM;
    free(t);
    free(names);
    return rc;
}

static const struct httpd_fs volume_fs = {
    .open = vol_open,
    .read = vol_read,
    .close = vol_close,
    .list = vol_list,
};

/* Mounts the FAT volume of SCSI LUN 0, read-only.  True when mounted. */
static bool mount_volume(struct storvsc *sv)
{
    const char *stage = "controller";
    if (!sv || volume_mount(sv, 0, VFS_MOUNT_RDONLY, &stage)) {
        if (!strcmp(stage, "cache") || !strcmp(stage, "volume"))
            printf("httpd: disk without a FAT volume; serving built-in "
                   "pages\n");
        return false;
    }
    const char *root = boot_arg("docroot");
    if (root && strcmp(root, "/"))
        snprintf(docroot, sizeof(docroot), "%s", root);
    printf("httpd: serving the FAT volume from %s\n", root ? root : "/");
    return true;
}

static unsigned long arg_ul(const char *key, unsigned long def)
{
    const char *v = boot_arg(key);
    return v ? strtoul(v, NULL, 0) : def;
}

static void print_ip(const char *what, uint32_t a)
{
    printf("%s%u.%u.%u.%u", what, a >> 24, (a >> 16) & 255, (a >> 8) & 255,
           a & 255);
}

int app_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    unsigned long port = arg_ul("port", 80);
    unsigned long exit_after = arg_ul("exit_after", 0);
    unsigned long discard = arg_ul("discard", 0);

    int rc = winhv_init();
    if (rc) {
        printf("httpd: no Hyper-V interface: %d (%s)\n", rc, strerror(-rc));
        return rc == -ENODEV ? 2 : 3;
    }
    const struct vmbus_platform *plat = winhv_vmbus_platform();
    struct vmbus *vb = vmbus_create(plat);
    struct storvsc_config sc = {.plat = *plat};
    struct storvsc *sv = vb ? storvsc_create(vb, &sc) : NULL;
    if (!vb || winhv_vmbus_attach(vb) || vmbus_connect(vb, 0)) {
        printf("httpd: VMBus connection failed\n");
        return 4;
    }
    struct net_up up;
    rc = net_up(vb, plat, "enlight-httpd", &up);
    if (rc) {
        if (rc == -ENODEV)
            printf("httpd: no network adapter offered\n");
        else
            printf("httpd: network bring-up failed: %d\n", rc);
        vmbus_disconnect(vb);
        return rc == -ENODEV ? 5 : 6;
    }
    struct netvsc *nv = up.nv;
    nif = up.nif;
    const uint8_t *mac = netvsc_mac(nv);
    printf("httpd: netvsc up: NVSP 0x%x, MAC "
           "%02x:%02x:%02x:%02x:%02x:%02x, MTU %u, link %s\n",
           (unsigned)netvsc_nvsp_version(nv), mac[0], mac[1], mac[2], mac[3],
           mac[4], mac[5], netvsc_mtu(nv), netvsc_link_up(nv) ? "up" : "down");

    uint8_t *big = malloc(BIG_BYTES);
    if (big) {
        for (uint32_t i = 0; i < BIG_BYTES; i++)
            big[i] = (uint8_t)(i * 31u + (i >> 10));
        files[3].data = big;
        files[3].len = BIG_BYTES;
    }

    bool on_disk = mount_volume(sv);
    if (on_disk ? httpd_start_fs((uint16_t)port, &volume_fs)
                : httpd_start((uint16_t)port, files, big ? 4 : 3)) {
        printf("httpd: network stack start failed\n");
        net_up_down(&up);
        vmbus_disconnect(vb);
        return 7;
    }
    if (discard && discard_start((uint16_t)discard))
        printf("httpd: discard service on port %lu failed\n", discard);

    bool announced = false;
    uint64_t start = clock_now_ns();
    for (;;) {
        net_up_poll(&up); /* disk reads block in lwIP callbacks: we poll */
        vmbus_poll(vb);
        uint32_t addr, mask, gw;
        if (!announced && net_if_ipv4(nif, &addr, &mask, &gw) == 0) {
            print_ip("httpd: address ", addr);
            print_ip(", gateway ", gw);
            printf(", serving on port %lu\n", port);
            announced = true;
        }
        uint64_t now = clock_now_ns();
        if (exit_after && now - start >= exit_after * 1000000000ull)
            break;
        uint64_t deadline = net_next_deadline_ns();
        if (deadline > now + 50000000ull)
            deadline = now + 50000000ull;
        plat->wait(plat->ctx, deadline);
    }

    const struct httpd_stats *s = httpd_get_stats();
    printf("httpd: %llu connections, %llu requests, %llu bytes sent\n",
           (unsigned long long)s->connections, (unsigned long long)s->requests,
           (unsigned long long)s->bytes_sent);
    if (discard)
        printf("httpd: discard service received %llu bytes\n",
               (unsigned long long)discard_received());
    httpd_stop();
    net_up_down(&up);
    vmbus_disconnect(vb);
    printf("httpd: done\n");
    return 0;
}
