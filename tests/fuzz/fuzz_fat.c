/*
 * Fuzz target for storage/fat.c and storage/part.c.  A 512 KiB FAT32 volume
 * is built once (BPB by hand, contents with the FAT code itself); each input
 * is a list of 4-byte patches {offset: 3 bytes, value} applied to a copy.
 * The mutated volume is scanned for partitions, mounted, walked (every
 * directory listed, every file read) and written to.  The RAM disk is
 * exactly the volume, so the block layer refuses any access outside it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/blk.h"
#include "storage/fat.h"
#include "storage/part.h"

#define SECTORS 1024
#define IMG (SECTORS * 512)

static uint8_t base[IMG];
static uint8_t work[IMG];
static int budget;

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void format(uint8_t *d)
{
    memset(d, 0, IMG);
    uint8_t *b = d;
    b[0] = 0xEB;
    b[1] = 0x58;
    b[2] = 0x90;
    memcpy(b + 3, "ENLIGHT ", 8);
    b[11] = 0x00;
    b[12] = 0x02; /* 512 bytes per sector */
    b[13] = 1;    /* sector per cluster */
    b[14] = 32;   /* reserved */
    b[16] = 2;    /* FATs */
    b[21] = 0xF8;
    put32(b + 32, SECTORS);
    put32(b + 36, 8); /* FAT size */
    put32(b + 44, 2); /* root cluster */
    b[48] = 1;        /* FSInfo */
    b[50] = 6;        /* backup boot sector */
    b[66] = 0x29;
    memcpy(b + 82, "FAT32   ", 8);
    b[510] = 0x55;
    b[511] = 0xAA;
    uint8_t *fsi = d + 512;
    put32(fsi, 0x41615252);
    put32(fsi + 484, 0x61417272);
    put32(fsi + 488, 0xFFFFFFFF);
    put32(fsi + 492, 3);
    put32(fsi + 508, 0xAA550000);
    for (int f = 0; f < 2; f++) {
        uint8_t *fat = d + (32 + 8 * f) * 512;
        put32(fat, 0x0FFFFFF8);
        put32(fat + 4, 0x0FFFFFFF);
        put32(fat + 8, 0x0FFFFFFF);
    }
}

static void populate(uint8_t *d)
{
    struct blk_mem m = {.data = d, .sectors = SECTORS, .sector_size = 512};
    struct blk_dev dev;
    struct fat_vol *v;
    struct fat_file *f;
    char buf[3000];
    memset(buf, 'x', sizeof(buf));
    if (blk_init(&dev, &blk_mem_ops, &m, 512, 16) ||
        fat_mount(&v, &dev, 0, SECTORS, 0))
        abort();
    fat_mkdir(v, "dir");
    fat_mkdir(v, "dir/A longer directory name");
    if (!fat_open(v, "dir/file with a long name.txt", FAT_O_WRITE | FAT_O_CREAT,
                  &f)) {
        fat_write(f, buf, sizeof(buf));
        fat_close(f);
    }
    if (!fat_open(v, "SHORT.TXT", FAT_O_WRITE | FAT_O_CREAT, &f)) {
        fat_write(f, "short", 5);
        fat_close(f);
    }
    fat_unmount(v);
    blk_fini(&dev);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    format(base);
    populate(base);
    return 0;
}

static void walk(struct fat_vol *v, const char *path, int depth)
{
    struct fat_dir *d;
    struct fat_dirent *e;
    if (depth > 4 || fat_opendir(v, path, &d))
        return;
    e = malloc(sizeof(*e));
    while (budget-- > 0 && fat_readdir(d, e) == 1) {
        char sub[1024];
        size_t n = strlen(path);
        if (n + strlen(e->name) + 2 > sizeof(sub))
            continue;
        memcpy(sub, path, n);
        sub[n] = '/';
        strcpy(sub + n + 1, e->name);
        if (e->st.is_dir) {
            walk(v, sub, depth + 1);
        } else {
            struct fat_file *f;
            char buf[1024];
            if (!fat_open(v, sub, FAT_O_READ, &f)) {
                while (fat_read(f, buf, sizeof(buf)) > 0)
                    ;
                fat_close(f);
            }
        }
    }
    free(e);
    fat_closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct blk_mem m = {.data = work, .sectors = SECTORS, .sector_size = 512};
    struct blk_dev dev;
    struct fat_vol *v;
    struct part parts[4];
    memcpy(work, base, IMG);
    for (size_t i = 0; i + 4 <= size; i += 4) {
        uint32_t off =
            (uint32_t)(data[i] | data[i + 1] << 8 | data[i + 2] << 16);
        /* most patches land in the metadata: boot, FATs, first clusters */
        off %= (data[i + 2] & 0x80) ? IMG : 64 * 512;
        work[off] = data[i + 3];
    }
    if (blk_init(&dev, &blk_mem_ops, &m, 512, 8))
        return 0;
    (void)part_scan(&dev, parts, 4);
    if (fat_mount(&v, &dev, 0, SECTORS, 0) == 0) {
        budget = 500;
        walk(v, "", 0);
        struct fat_file *f;
        if (!fat_open(v, "dir/new file.bin", FAT_O_WRITE | FAT_O_CREAT, &f)) {
            static const char junk[1500];
            fat_write(f, junk, sizeof(junk));
            fat_truncate(f, 100);
            fat_close(f);
        }
        fat_mkdir(v, "made");
        fat_rename(v, "SHORT.TXT", "made/moved.txt");
        fat_rename(v, "dir/A longer directory name", "made/d");
        fat_unlink(v, "dir/file with a long name.txt");
        fat_rmdir(v, "made/d");
        struct fat_statfs st;
        fat_statfs(v, &st);
        fat_unmount(v);
    }
    blk_fini(&dev);
    return 0;
}
