/*
 * Unit tests for storage/fat.c and storage/vfs.c on real FAT32 images:
 * mkfs.fat makes them, mtools fills and reads them, fsck.fat judges what
 * our code wrote.  Images live in a temporary directory made per run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "boot/fd.h"
#include "storage/blk.h"
#include "storage/fat.h"
#include "storage/part.h"
#include "storage/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECTOR 512
#define IMG_KIB 65536 /* 64 MiB: the smallest size mkfs makes FAT32 happily */

static char tmpdir[256];
static char img[300];

/* --- helpers: shell ------------------------------------------------------- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int r = system(cmd);
    return r == -1 ? -1 : WEXITSTATUS(r);
}

/* Output of a command (caller frees), NUL-terminated. */
static char *sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *sh_out(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (cap - n < 2) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[n] = 0;
    pclose(p);
    return buf;
}

static void mkimg(void)
{
    unlink(img);
    assert_int_equal(sh("mkfs.fat -F 32 -C %s %d >/dev/null", img, IMG_KIB), 0);
}

static int fsck_clean(void)
{
    return sh("fsck.fat -n %s >%s/fsck.log 2>&1", img, tmpdir);
}

/* Writes len pattern bytes (seeded) into host file path. */
static void pattern(uint8_t *p, size_t len, uint32_t seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
}

static void host_file(const char *name, size_t len, uint32_t seed)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    uint8_t *b = malloc(len + 1);
    pattern(b, len, seed);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
    free(b);
}

/* --- helpers: a block backend over a host file ---------------------------- */

struct fileblk {
    int fd;
    uint64_t sectors;
    uint64_t flushes;
    uint64_t lo, hi; /* writes outside [lo, hi) are counted */
    uint64_t bad_writes;
};

static int file_rw(void *priv, struct blk_req *req)
{
    struct fileblk *b = priv;
    size_t n = (size_t)req->count * SECTOR;
    off_t off = (off_t)(req->lba * SECTOR);
    ssize_t r;
    if (req->op == BLK_OP_WRITE) {
        if (req->lba < b->lo || req->lba + req->count > b->hi)
            b->bad_writes++;
        r = pwrite(b->fd, req->buf, n, off);
    } else {
        r = pread(b->fd, req->buf, n, off);
        if (r >= 0 && (size_t)r < n) { /* sparse tail */
            memset((uint8_t *)req->buf + r, 0, n - (size_t)r);
            r = (ssize_t)n;
        }
    }
    blk_complete(req, r == (ssize_t)n ? 0 : -EIO);
    return 0;
}

static int file_flush(void *priv, struct blk_req *req)
{
    struct fileblk *b = priv;
    b->flushes++;
    blk_complete(req, 0);
    return 0;
}

static uint64_t file_capacity(void *priv)
{
    return ((struct fileblk *)priv)->sectors;
}

static const struct blk_ops file_ops = {
    .read = file_rw,
    .write = file_rw,
    .flush = file_flush,
    .capacity = file_capacity,
};

struct disk {
    struct fileblk fb;
    struct blk_dev dev;
};

static void disk_open(struct disk *d)
{
    memset(d, 0, sizeof(*d));
    d->fb.fd = open(img, O_RDWR);
    assert_true(d->fb.fd >= 0);
    off_t end = lseek(d->fb.fd, 0, SEEK_END);
    d->fb.sectors = (uint64_t)end / SECTOR;
    d->fb.hi = d->fb.sectors;
    assert_int_equal(blk_init(&d->dev, &file_ops, &d->fb, SECTOR, 64), 0);
}

static void disk_close(struct disk *d)
{
    blk_fini(&d->dev);
    close(d->fb.fd);
}

static struct fat_vol *mount_whole(struct disk *d)
{
    struct fat_vol *v = NULL;
    disk_open(d);
    assert_int_equal(fat_mount(&v, &d->dev, 0, d->dev.capacity, 0), 0);
    return v;
}

static void write_file(struct fat_vol *v, const char *path, const void *data,
                       size_t len)
{
    struct fat_file *f;
    assert_int_equal(
        fat_open(v, path, FAT_O_WRITE | FAT_O_CREAT | FAT_O_TRUNC, &f), 0);
    assert_int_equal(fat_write(f, data, len), (long)len);
    assert_int_equal(fat_close(f), 0);
}

static uint8_t *read_file(struct fat_vol *v, const char *path, size_t *len)
{
    struct fat_file *f;
    struct fat_stat st;
    assert_int_equal(fat_open(v, path, FAT_O_READ, &f), 0);
    assert_int_equal(fat_fstat(f, &st), 0);
    uint8_t *b = malloc(st.size + 1);
    size_t n = 0;
    long r;
    while ((r = fat_read(f, b + n, 777)) > 0)
        n += (size_t)r;
    assert_int_equal(r, 0);
    assert_int_equal(n, st.size);
    assert_int_equal(fat_close(f), 0);
    *len = n;
    return b;
}

/* mtype output of ::path compared with the bytes expected. */
static void mtools_has(const char *path, const uint8_t *data, size_t len)
{
    char out[512];
    snprintf(out, sizeof(out), "%s/mtype.out", tmpdir);
    assert_int_equal(
        sh("MTOOLS_SKIP_CHECK=1 mcopy -n -o -i %s '::%s' %s", img, path, out),
        0);
    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    uint8_t *b = malloc(len + 16);
    size_t n = fread(b, 1, len + 16, f);
    fclose(f);
    assert_int_equal(n, len);
    assert_memory_equal(b, data, len);
    free(b);
}

/* --- tests ------------------------------------------------------------------
 */

static void test_mount_fresh_volume(void **state)
{
    (void)state;
    struct disk d;
    mkimg();
    struct fat_vol *v = mount_whole(&d);
    struct fat_statfs st;
    assert_int_equal(fat_statfs(v, &st), 0);
    assert_int_equal(st.cluster_size, 512);
    assert_true(st.clusters > 65525);
    assert_int_equal(st.free_clusters, st.clusters - 1);
    struct fat_dir *dir;
    struct fat_dirent e;
    assert_int_equal(fat_opendir(v, "/", &dir), 0);
    assert_int_equal(fat_readdir(dir, &e), 0);
    fat_closedir(dir);
    assert_int_equal(fat_unmount(v), 0);
    disk_close(&d);
    assert_int_equal(fsck_clean(), 0);
}

static void test_reads_files_mtools_wrote(void **state)
{
    (void)state;
    mkimg();
    host_file("small.txt", 100, 1);
    host_file("big.bin", 300000, 2);
    host_file("long.dat", 5000, 3);
    assert_int_equal(sh("cd %s && MTOOLS_SKIP_CHECK=1 mmd -i %s ::sub "
                        "::sub/deeper && "
                        "MTOOLS_SKIP_CHECK=1 mcopy -i %s small.txt ::SMALL.TXT "
                        "&& MTOOLS_SKIP_CHECK=1 mcopy -i %s big.bin "
                        "'::sub/deeper/A rather long file name.bin' && "
                        "MTOOLS_SKIP_CHECK=1 mcopy -i %s long.dat "
                        "'::sub/Mixed Case Name.dat'",
                        tmpdir, img, img, img, img),
                     0);
    struct disk d;
    struct fat_vol *v = mount_whole(&d);
    uint8_t *want = malloc(300000);
    size_t n;
    uint8_t *got = read_file(v, "/SMALL.TXT", &n);
    pattern(want, 100, 1);
    assert_int_equal(n, 100);
    assert_memory_equal(got, want, 100);
    free(got);
    got = read_file(v, "small.txt", &n); /* case-insensitive */
    free(got);
    got = read_file(v, "sub/deeper/a rather long FILE name.bin", &n);
    pattern(want, 300000, 2);
    assert_int_equal(n, 300000);
    assert_memory_equal(got, want, 300000);
    free(got);
    got = read_file(v, "/sub/./deeper/../Mixed Case Name.dat", &n);
    pattern(want, 5000, 3);
    assert_int_equal(n, 5000);
    assert_memory_equal(got, want, 5000);
    free(got);
    free(want);

    struct fat_dir *dir;
    struct fat_dirent e;
    int seen = 0;
    assert_int_equal(fat_opendir(v, "/sub", &dir), 0);
    while (fat_readdir(dir, &e) == 1) {
        if (!strcmp(e.name, "deeper"))
            seen |= 1, assert_true(e.st.is_dir);
        if (!strcmp(e.name, "Mixed Case Name.dat"))
            seen |= 2, assert_int_equal(e.st.size, 5000);
    }
    fat_closedir(dir);
    assert_int_equal(seen, 3);
    struct fat_stat st;
    assert_int_equal(fat_stat(v, "/nope", &st), -ENOENT);
    assert_int_equal(fat_stat(v, "/SMALL.TXT/x", &st), -ENOTDIR);
    assert_int_equal(fat_unmount(v), 0);
    disk_close(&d);
}

static void test_writes_tree_mtools_reads_fsck_clean(void **state)
{
    (void)state;
    mkimg();
    struct disk d;
    struct fat_vol *v = mount_whole(&d);
    uint8_t *big = malloc(200000);
    pattern(big, 200000, 9);
    assert_int_equal(fat_mkdir(v, "/docs"), 0);
    assert_int_equal(fat_mkdir(v, "/docs/A Long Directory Name"), 0);
    assert_int_equal(fat_mkdir(v, "/docs"), -EEXIST);
    write_file(v, "/README.TXT", "hello\n", 6);
    write_file(v, "/docs/notes for later.txt", big, 1000);
    write_file(v, "/docs/A Long Directory Name/big file.bin", big, 200000);
    write_file(v, "/docs/empty", "", 0);
    write_file(v, "/docs/caf\xc3\xa9.txt", "utf8", 4);
    /* enough long names to grow the directory past one cluster */
    char name[64];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "/docs/file number %02d.txt", i);
        write_file(v, name, name, strlen(name));
    }
    assert_int_equal(fat_unmount(v), 0);
    disk_close(&d);
    assert_int_equal(fsck_clean(), 0);

    mtools_has("/README.TXT", (const uint8_t *)"hello\n", 6);
    mtools_has("/docs/notes for later.txt", big, 1000);
    mtools_has("/docs/A Long Directory Name/big file.bin", big, 200000);
    mtools_has("/docs/file number 37.txt",
               (const uint8_t *)"/docs/file number 37.txt", 24);
    char *ls = sh_out("MTOOLS_SKIP_CHECK=1 mdir -i %s ::/docs", img);
    assert_non_null(strstr(ls, "notes for later.txt"));
    assert_non_null(strstr(ls, "A Long Directory Name"));
    assert_non_null(strstr(ls, "caf\xc3\xa9.txt"));
    assert_non_null(strstr(ls, "file number 39.txt"));
    free(ls);
    free(big);
}

static void test_rename_unlink_rmdir(void **state)
{
    (void)state;
    mkimg();
    struct disk d;
    struct fat_vol *v = mount_whole(&d);
    assert_int_equal(fat_mkdir(v, "a"), 0);
    assert_int_equal(fat_mkdir(v, "a/b"), 0);
    assert_int_equal(fat_mkdir(v, "c"), 0);
    write_file(v, "a/b/one.txt", "one", 3);
    write_file(v, "a/two.txt", "two", 3);
    write_file(v, "c/three.txt", "three", 5);
    /* file renames: same dir, across dirs, over an existing file */
    assert_int_equal(fat_rename(v, "a/two.txt", "a/Two renamed.txt"), 0);
    assert_int_equal(fat_rename(v, "a/Two renamed.txt", "c/moved.txt"), 0);
    assert_int_equal(fat_rename(v, "c/moved.txt", "c/three.txt"), 0);
    /* directory move: ".." must follow */
    assert_int_equal(fat_rename(v, "a/b", "c/b moved"), 0);
    assert_int_equal(fat_rename(v, "c", "c/b moved/inside"), -EINVAL);
    assert_int_equal(fat_rename(v, "a", "c/three.txt"), -ENOTDIR);
    assert_int_equal(fat_rename(v, "nothing", "x"), -ENOENT);
    struct fat_stat st;
    assert_int_equal(fat_stat(v, "c/b moved/../three.txt", &st), 0);
    assert_int_equal(st.size, 3);
    assert_int_equal(fat_stat(v, "a/two.txt", &st), -ENOENT);
    /* removal */
    assert_int_equal(fat_rmdir(v, "c"), -ENOTEMPTY);
    assert_int_equal(fat_unlink(v, "c"), -EISDIR);
    assert_int_equal(fat_rmdir(v, "c/three.txt"), -ENOTDIR);
    struct fat_file *f;
    assert_int_equal(fat_open(v, "c/three.txt", FAT_O_READ, &f), 0);
    assert_int_equal(fat_unlink(v, "c/three.txt"), -EBUSY);
    assert_int_equal(fat_close(f), 0);
    assert_int_equal(fat_unlink(v, "c/three.txt"), 0);
    assert_int_equal(fat_rmdir(v, "a"), 0);
    assert_int_equal(fat_unmount(v), 0);
    disk_close(&d);
    assert_int_equal(fsck_clean(), 0);
    mtools_has("/c/b moved/one.txt", (const uint8_t *)"one", 3);
    char *ls = sh_out("MTOOLS_SKIP_CHECK=1 mdir -i %s ::/ 2>&1", img);
    assert_null(strstr(ls, " a "));
    free(ls);
}

static void test_seek_truncate_append(void **state)
{
    (void)state;
    mkimg();
    struct disk d;
    struct fat_vol *v = mount_whole(&d);
    struct fat_file *f;
    uint8_t want[5000];
    memset(want, 0, sizeof(want));
    assert_int_equal(
        fat_open(v, "/sparse.bin", FAT_O_READ | FAT_O_WRITE | FAT_O_CREAT, &f),
        0);
    assert_int_equal(fat_write(f, "head", 4), 4);
    memcpy(want, "head", 4);
    assert_int_equal(fat_seek(f, 3000, 0), 3000);
    assert_int_equal(fat_write(f, "tail", 4), 4);
    memcpy(want + 3000, "tail", 4);
    assert_int_equal(fat_truncate(f, 1500), 0);
    assert_int_equal(fat_truncate(f, 2000), 0); /* zeros */
    assert_int_equal(fat_seek(f, 0, 2), 2000);
    assert_int_equal(fat_seek(f, -1, 0), -EINVAL);
    uint8_t buf[16];
    assert_int_equal(fat_seek(f, 1, 0), 1);
    assert_int_equal(fat_read(f, buf, 3), 3);
    assert_memory_equal(buf, "ead", 3);
    assert_int_equal(fat_close(f), 0);
    assert_int_equal(fat_open(v, "/sparse.bin", FAT_O_WRITE | FAT_O_APPEND, &f),
                     0);
    assert_int_equal(fat_write(f, "end", 3), 3);
    memcpy(want + 2000, "end", 3);
    assert_int_equal(fat_read(f, buf, 1), -EBADF);
    assert_int_equal(fat_close(f), 0);
    assert_int_equal(
        fat_open(v, "/sparse.bin", FAT_O_CREAT | FAT_O_EXCL | FAT_O_WRITE, &f),
        -EEXIST);
    assert_int_equal(fat_open(v, "/", FAT_O_WRITE, &f), -EISDIR);
    assert_int_equal(fat_open(v, "/bad:name", FAT_O_WRITE | FAT_O_CREAT, &f),
                     -EINVAL);
    assert_int_equal(fat_open(v, "/trailing.", FAT_O_WRITE | FAT_O_CREAT, &f),
                     -EINVAL);
    assert_int_equal(fat_unmount(v), 0);
    disk_close(&d);
    assert_int_equal(fsck_clean(), 0);
    mtools_has("/sparse.bin", want, 2003);
}

static void test_fills_volume_enospc_then_recovers(void **state)
{
    (void)state;
    mkimg();
    struct disk d;
    struct fat_vol *v = mount_whole(&d);
    struct fat_statfs st;
    assert_int_equal(fat_statfs(v, &st), 0);
    size_t chunk = 1 << 20;
    uint8_t *b = calloc(1, chunk);
    struct fat_file *f;
    assert_int_equal(fat_open(v, "/fill", FAT_O_WRITE | FAT_O_CREAT, &f), 0);
    long r;
    while ((r = fat_write(f, b, chunk)) == (long)chunk)
        ;
    assert_int_equal(r, -ENOSPC);
    assert_int_equal(fat_close(f), 0);
    assert_int_equal(fat_unmount(v), 0);
    disk_close(&d);
    assert_int_equal(fsck_clean(), 0);
    v = mount_whole(&d);
    assert_int_equal(fat_unlink(v, "/fill"), 0);
    assert_int_equal(fat_statfs(v, &st), 0);
    assert_int_equal(st.free_clusters, st.clusters - 1);
    assert_int_equal(fat_unmount(v), 0);
    disk_close(&d);
    assert_int_equal(fsck_clean(), 0);
    free(b);
}

/* Sector 0 of the volume (BPB) patched at off. */
static void patch(uint64_t off, const void *bytes, size_t n)
{
    int fd = open(img, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, bytes, n, (off_t)off), (ssize_t)n);
    close(fd);
}

static void expect_mount_error(int err)
{
    struct disk d;
    struct fat_vol *v = NULL;
    disk_open(&d);
    assert_int_equal(fat_mount(&v, &d.dev, 0, d.dev.capacity, 0), err);
    disk_close(&d);
}

static void test_corrupt_bpb_is_refused(void **state)
{
    (void)state;
    uint8_t z2[2] = {0, 0}, b;
    mkimg();
    patch(11, z2, 2); /* bytes per sector 0 */
    expect_mount_error(-EUCLEAN);
    mkimg();
    b = 3;
    patch(13, &b, 1); /* sectors per cluster not a power of two */
    expect_mount_error(-EUCLEAN);
    mkimg();
    uint8_t big[4] = {0xff, 0xff, 0xff, 0x0f};
    patch(32, big, 4); /* more sectors than the disk */
    expect_mount_error(-EUCLEAN);
    mkimg();
    uint8_t root[4] = {0xff, 0xff, 0xff, 0x00};
    patch(44, root, 4); /* root cluster out of range */
    expect_mount_error(-EUCLEAN);
    mkimg();
    patch(510, z2, 2); /* no signature */
    expect_mount_error(-EUCLEAN);
    mkimg();
    uint8_t fat16[2] = {0x20, 0};
    patch(22, fat16, 2);
    expect_mount_error(-EOPNOTSUPP);
}

/* Geometry of a fresh image: first FAT byte offset and data offset. */
struct geo {
    uint64_t fat, data;
    uint32_t csize;
};

static struct geo geometry(void)
{
    uint8_t s[512];
    int fd = open(img, O_RDONLY);
    assert_int_equal(pread(fd, s, 512, 0), 512);
    close(fd);
    struct geo g;
    uint32_t rsvd = (uint32_t)(s[14] | s[15] << 8);
    uint32_t fatsz =
        (uint32_t)(s[36] | s[37] << 8 | s[38] << 16 | (uint32_t)s[39] << 24);
    g.fat = (uint64_t)rsvd * 512;
    g.data = g.fat + (uint64_t)s[16] * fatsz * 512;
    g.csize = s[13] * 512u;
    return g;
}

static void put_fat(struct geo g, uint32_t c, uint32_t val)
{
    uint8_t b[4] = {(uint8_t)val, (uint8_t)(val >> 8), (uint8_t)(val >> 16),
                    (uint8_t)(val >> 24)};
    patch(g.fat + 4ull * c, b, 4);
}

static void test_corrupt_chains_give_errors(void **state)
{
    (void)state;
    mkimg();
    host_file("f.bin", 4000, 5);
    assert_int_equal(sh("cd %s && MTOOLS_SKIP_CHECK=1 mcopy -i %s f.bin "
                        "::F.BIN && MTOOLS_SKIP_CHECK=1 mmd -i %s ::D",
                        tmpdir, img, img),
                     0);
    struct geo g = geometry();
    /* F.BIN starts at cluster 3 (root is 2): make its chain loop */
    put_fat(g, 5, 3);
    struct disk d;
    struct fat_vol *v = mount_whole(&d);
    struct fat_file *f;
    uint8_t *buf = malloc(4000);
    assert_int_equal(fat_open(v, "F.BIN", FAT_O_READ, &f), 0);
    long r = fat_read(f, buf, 4000);
    /* 8 clusters needed; the loop yields clusters forever, so the size
     * check, not the loop, ends it: reading must not crash */
    assert_true(r == 4000 || r == -EUCLEAN);
    assert_int_equal(fat_close(f), 0);
    /* a free cluster in the middle of a chain */
    assert_int_equal(fat_unmount(v), 0);
    disk_close(&d);
    put_fat(g, 5, 0);
    v = mount_whole(&d);
    assert_int_equal(fat_open(v, "F.BIN", FAT_O_READ, &f), 0);
    assert_int_equal(fat_read(f, buf, 4000), -EUCLEAN);
    assert_int_equal(fat_close(f), 0);
    /* an out-of-range link */
    assert_int_equal(fat_unmount(v), 0);
    disk_close(&d);
    put_fat(g, 5, 0x0ffffff0);
    v = mount_whole(&d);
    assert_int_equal(fat_open(v, "F.BIN", FAT_O_READ, &f), 0);
    assert_int_equal(fat_read(f, buf, 4000), -EUCLEAN);
    assert_int_equal(fat_close(f), 0);
    assert_int_equal(fat_unmount(v), 0);
    disk_close(&d);
    /* a directory entry pointing past the end of the volume */
    uint8_t root[512];
    int fd = open(img, O_RDWR);
    assert_int_equal(pread(fd, root, 512, (off_t)g.data), 512);
    int patched = 0;
    for (int i = 0; i < 16; i++) {
        uint8_t *e = root + 32 * i;
        if (!memcmp(e, "F       BIN", 11)) {
            e[20] = 0xff;
            e[21] = 0x0f; /* cluster high word */
            patched++;
        }
        if (!memcmp(e, "D          ", 11)) {
            e[26] = 0xff;
            e[27] = 0xff;
            e[20] = 0xff;
            e[21] = 0x0f;
            patched++;
        }
    }
    assert_int_equal(patched, 2);
    assert_int_equal(pwrite(fd, root, 512, (off_t)g.data), 512);
    close(fd);
    v = mount_whole(&d);
    assert_int_equal(fat_open(v, "F.BIN", FAT_O_READ, &f), -EUCLEAN);
    struct fat_dir *dir;
    assert_int_equal(fat_opendir(v, "D", &dir), -EUCLEAN);
    assert_int_equal(fat_mkdir(v, "D/x"), -EUCLEAN);
    assert_int_equal(fat_unmount(v), 0);
    disk_close(&d);
    free(buf);
}

static void test_entries_after_end_marker_stay_hidden(void **state)
{
    (void)state;
    mkimg();
    host_file("a.txt", 10, 7);
    assert_int_equal(sh("cd %s && MTOOLS_SKIP_CHECK=1 mcopy -i %s a.txt "
                        "::A.TXT",
                        tmpdir, img),
                     0);
    struct geo g = geometry();
    /* stale entries after the end marker (slot 1 is 0x00) */
    uint8_t junk[32];
    memset(junk, 0, sizeof(junk));
    memcpy(junk, "JUNK    TXT", 11);
    junk[11] = 0x20;
    patch(g.data + 2 * 32, junk, 32);
    patch(g.data + 3 * 32, junk, 32);
    struct disk d;
    struct fat_vol *v = mount_whole(&d);
    write_file(v, "/B.TXT", "b", 1);
    struct fat_dir *dir;
    struct fat_dirent e;
    int n = 0;
    assert_int_equal(fat_opendir(v, "/", &dir), 0);
    while (fat_readdir(dir, &e) == 1) {
        assert_true(!strcmp(e.name, "A.TXT") || !strcmp(e.name, "B.TXT"));
        n++;
    }
    fat_closedir(dir);
    assert_int_equal(n, 2);
    assert_int_equal(fat_unmount(v), 0);
    disk_close(&d);
    assert_int_equal(fsck_clean(), 0);
    char *ls = sh_out("MTOOLS_SKIP_CHECK=1 mdir -i %s ::/", img);
    assert_null(strstr(ls, "JUNK"));
    free(ls);
}

static void test_partitioned_disk_stays_in_bounds(void **state)
{
    (void)state;
    /* 1 MiB gap, a 64 MiB partition, 1 MiB tail guard */
    const uint64_t start = 2048, count = 131072;
    unlink(img);
    assert_int_equal(sh("truncate -s %llu %s",
                        (unsigned long long)((start + count + 2048) * 512),
                        img),
                     0);
    assert_int_equal(sh("mkfs.fat -F 32 --offset %llu %s %llu >/dev/null 2>&1",
                        (unsigned long long)start, img,
                        (unsigned long long)(count / 2)),
                     0);
    uint8_t mbr[512];
    memset(mbr, 0, sizeof(mbr));
    uint8_t *e = mbr + 446;
    e[4] = 0x0C;
    e[8] = (uint8_t)start;
    e[9] = (uint8_t)(start >> 8);
    e[12] = (uint8_t)count;
    e[13] = (uint8_t)(count >> 8);
    e[14] = (uint8_t)(count >> 16);
    mbr[510] = 0x55;
    mbr[511] = 0xAA;
    patch(0, mbr, 512);

    struct disk d;
    disk_open(&d);
    d.fb.lo = start;
    d.fb.hi = start + count;
    assert_int_equal(vfs_mount(&d.dev, 0), 0);
    struct fat_vol *v = vfs_volume();
    uint8_t *b = calloc(1, 1 << 20);
    struct fat_file *f;
    assert_int_equal(fat_open(v, "/fill", FAT_O_WRITE | FAT_O_CREAT, &f), 0);
    while (fat_write(f, b, 1 << 20) == 1 << 20)
        ;
    assert_int_equal(fat_close(f), 0);
    assert_int_equal(vfs_unmount(), 0);
    assert_int_equal(d.fb.bad_writes, 0);
    disk_close(&d);
    free(b);
    assert_int_equal(sh("dd if=%s of=%s/part.img bs=512 skip=%llu count=%llu "
                        "status=none && fsck.fat -n %s/part.img >/dev/null",
                        img, tmpdir, (unsigned long long)start,
                        (unsigned long long)count, tmpdir),
                     0);
}

/* --- the newlib file API (with a stand-in descriptor table) -------------- */

static const struct fd_ops *fake_ops[64];
static void *fake_priv[64];
static int (*fake_open)(const char *path, int flags, int mode);

int fd_install(const struct fd_ops *ops, void *priv)
{
    for (int i = 3; i < 64; i++)
        if (!fake_ops[i]) {
            fake_ops[i] = ops;
            fake_priv[i] = priv;
            return i;
        }
    return -EMFILE;
}

void fd_set_fs(const struct fd_fs_ops *ops)
{
    fake_open = ops ? ops->open : NULL;
}

static int fake_close(int fd)
{
    int r = fake_ops[fd]->close(fake_priv[fd]);
    fake_ops[fd] = NULL;
    return r;
}

static void test_vfs_files_and_fsync(void **state)
{
    (void)state;
    mkimg();
    struct disk d;
    disk_open(&d);
    assert_int_equal(vfs_mount(&d.dev, 0), 0);
    assert_int_equal(vfs_mount(&d.dev, 0), -EBUSY);
    assert_ptr_equal(fake_open, vfs_open);
    assert_int_equal(vfs_mkdir("/logs", 0755), 0);
    int fd = fake_open("/logs/app.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 3);
    assert_int_equal(fake_ops[fd]->write(fake_priv[fd], "line 1\n", 7), 7);
    uint64_t before = d.fb.flushes;
    assert_int_equal(vfs_fsync(fd), 0);
    assert_true(d.fb.flushes > before);
    assert_int_equal(vfs_fsync(99), -EBADF);
    struct stat st;
    assert_int_equal(fake_ops[fd]->fstat(fake_priv[fd], &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 7);
    assert_int_equal(fake_ops[fd]->lseek(fake_priv[fd], 0, SEEK_END), 7);
    assert_int_equal(vfs_unmount(), -EBUSY);
    assert_int_equal(fake_close(fd), 0);
    assert_int_equal(vfs_stat("/logs", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    fd = fake_open("/logs", O_RDONLY, 0);
    assert_true(fd >= 3);
    assert_int_equal(fake_ops[fd]->fstat(fake_priv[fd], &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(fake_close(fd), 0);
    assert_int_equal(fake_open("/logs", O_RDWR, 0), -EISDIR);
    assert_int_equal(vfs_rename("/logs/app.log", "/logs/old.log"), 0);
    struct vfs_dir *dir;
    struct vfs_dirent de;
    assert_int_equal(vfs_opendir("/logs", &dir), 0);
    assert_int_equal(vfs_readdir(dir, &de), 1);
    assert_string_equal(de.d_name, "old.log");
    assert_int_equal(de.d_type, VFS_DT_REG);
    assert_int_equal(de.d_size, 7);
    assert_int_equal(vfs_readdir(dir, &de), 0);
    vfs_closedir(dir);
    assert_int_equal(vfs_unlink("/logs/old.log"), 0);
    assert_int_equal(vfs_rmdir("/logs"), 0);
    assert_int_equal(vfs_unmount(), 0);
    assert_null(fake_open);
    assert_int_equal(vfs_open("/x", O_RDONLY, 0), -ENODEV);
    disk_close(&d);
    assert_int_equal(fsck_clean(), 0);
}

static int setup(void **state)
{
    (void)state;
    /* mkfs.fat and fsck.fat live in /usr/sbin, often not on a user's PATH */
    char path[4096];
    snprintf(path, sizeof(path), "%s:/usr/sbin:/sbin",
             getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", path, 1);
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/enlight-fat-XXXXXX", t ? t : "/tmp");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(img, sizeof(img), "%s/disk.img", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return sh("rm -rf %s", tmpdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mount_fresh_volume),
        cmocka_unit_test(test_reads_files_mtools_wrote),
        cmocka_unit_test(test_writes_tree_mtools_reads_fsck_clean),
        cmocka_unit_test(test_rename_unlink_rmdir),
        cmocka_unit_test(test_seek_truncate_append),
        cmocka_unit_test(test_fills_volume_enospc_then_recovers),
        cmocka_unit_test(test_corrupt_bpb_is_refused),
        cmocka_unit_test(test_corrupt_chains_give_errors),
        cmocka_unit_test(test_entries_after_end_marker_stay_hidden),
        cmocka_unit_test(test_partitioned_disk_stays_in_bounds),
        cmocka_unit_test(test_vfs_files_and_fsync),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
