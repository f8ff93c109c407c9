/*
 * FAT32.  Layouts follow Microsoft's "FAT: General Overview of On-Disk
 * Format" (BPB, FSInfo, directory entries, long-name entries).
 *
 * Structure of this file: sector access confined to the volume, the FAT
 * (entries, chains, allocation), directories (iteration with long-name
 * assembly, lookup, entry creation and removal), paths, then the file and
 * directory API.
 */
#include "storage/fat.h"

#include <stdlib.h>
#include <string.h>

#define FAT_EOC 0x0FFFFFFFu
#define FAT_BAD 0x0FFFFFF7u
#define FAT_MASK 0x0FFFFFFFu
#define DIR_MAX_ENTRIES 65536u
#define LFN_MAX_ENTS 20
#define NAME_UNITS 255
#define ATTR_LFN 0x0F

/* BPB and FSInfo byte offsets. */
#define BPB_BYTS_PER_SEC 11
#define BPB_SEC_PER_CLUS 13
#define BPB_RSVD_SEC_CNT 14
#define BPB_NUM_FATS 16
#define BPB_ROOT_ENT_CNT 17
#define BPB_TOT_SEC16 19
#define BPB_FAT_SZ16 22
#define BPB_TOT_SEC32 32
#define BPB_FAT_SZ32 36
#define BPB_EXT_FLAGS 40
#define BPB_FS_VER 42
#define BPB_ROOT_CLUS 44
#define BPB_FS_INFO 48
#define FSI_LEAD 0
#define FSI_STRUC 484
#define FSI_FREE 488
#define FSI_NEXT 492
#define FSI_TRAIL 508

/* Directory entry offsets. */
#define DE_NAME 0
#define DE_ATTR 11
#define DE_NTRES 12
#define DE_CTIME 14
#define DE_CDATE 16
#define DE_ADATE 18
#define DE_CLUS_HI 20
#define DE_MTIME 22
#define DE_MDATE 24
#define DE_CLUS_LO 26
#define DE_SIZE 28

struct dpos {
    uint32_t clu; /* directory cluster holding the entry */
    uint32_t idx; /* entry within that cluster */
};

/* An open file's shared state; one per directory entry. */
struct fat_node {
    struct fat_node *next;
    struct dpos loc; /* short entry; unused for the root */
    uint32_t first, size;
    uint32_t gen; /* bumped when the chain shrinks */
    uint32_t refs;
    uint8_t attr, is_dir, is_root, dirty;
};

struct fat_file {
    struct fat_vol *v;
    struct fat_node *n;
    uint32_t pos;
    unsigned flags;
    uint32_t cur_idx, cur_clu, cur_gen; /* chain cursor */
};

struct fat_dir {
    struct fat_vol *v;
    uint32_t first;
    uint32_t clu, idx, count;
    int ended;
};

struct fat_vol {
    struct blk_dev *dev;
    uint64_t start;
    uint32_t total; /* sectors in the volume */
    uint32_t bps, spc, csize;
    uint32_t rsvd, nfats, fatsz, data_start;
    uint32_t nclusters, root;
    uint32_t fsinfo; /* sector, 0 if none */
    uint32_t free_count, next_free;
    uint32_t active_fat;
    uint8_t mirror, rdonly, fsinfo_dirty;
    fat_clock_fn clock;
    struct fat_node *nodes;
    uint32_t open_dirs;
    uint8_t *sec; /* scratch sector */
};

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    wr16(p, (uint16_t)v);
    wr16(p + 2, (uint16_t)(v >> 16));
}

/* --- sectors, confined to the volume ------------------------------------- */

static int vsec(struct fat_vol *v, uint64_t rel, uint32_t n, void *buf,
                int write)
{
    if (rel >= v->total || n > v->total - rel)
        return -STORAGE_ECORRUPT;
    if (write) {
        if (v->rdonly)
            return -EROFS;
        return blk_write(v->dev, v->start + rel, n, buf);
    }
    return blk_read(v->dev, v->start + rel, n, buf);
}

/* Bytes at (sector rel, byte off); off may run past the first sector. */
static int vbytes(struct fat_vol *v, uint64_t rel, uint64_t off, void *buf,
                  uint32_t len, int write)
{
    uint8_t *p = buf;
    rel += off / v->bps;
    off %= v->bps;
    while (len) {
        int r;
        if (off == 0 && len >= v->bps) {
            uint32_t n = len / v->bps;
            r = vsec(v, rel, n, p, write);
            if (r)
                return r;
            rel += n;
            p += (size_t)n * v->bps;
            len -= n * v->bps;
            continue;
        }
        uint32_t chunk = v->bps - (uint32_t)off;
        if (chunk > len)
            chunk = len;
        r = vsec(v, rel, 1, v->sec, 0);
        if (r)
            return r;
        if (write) {
            memcpy(v->sec + off, p, chunk);
            r = vsec(v, rel, 1, v->sec, 1);
            if (r)
                return r;
        } else {
            memcpy(p, v->sec + off, chunk);
        }
        rel++;
        off = 0;
        p += chunk;
        len -= chunk;
    }
    return 0;
}

static int valid_cluster(const struct fat_vol *v, uint32_t c)
{
    return c >= 2 && c <= v->nclusters + 1;
}

static uint64_t cluster_sector(const struct fat_vol *v, uint32_t c)
{
    return v->data_start + (uint64_t)(c - 2) * v->spc;
}

static int zero_cluster(struct fat_vol *v, uint32_t c)
{
    uint8_t *z = calloc(1, v->csize);
    if (!z)
        return -ENOMEM;
    int r = vsec(v, cluster_sector(v, c), v->spc, z, 1);
    free(z);
    return r;
}

/* --- the FAT -------------------------------------------------------------- */

static int fat_get(struct fat_vol *v, uint32_t c, uint32_t *val)
{
    uint8_t b[4];
    uint64_t fat = v->rsvd + (uint64_t)v->active_fat * v->fatsz;
    int r = vbytes(v, fat, (uint64_t)c * 4, b, 4, 0);
    if (r)
        return r;
    *val = rd32(b) & FAT_MASK;
    return 0;
}

static int fat_put(struct fat_vol *v, uint32_t c, uint32_t val)
{
    for (uint32_t i = 0; i < v->nfats; i++) {
        if (!v->mirror && i != v->active_fat)
            continue;
        uint8_t b[4];
        uint64_t fat = v->rsvd + (uint64_t)i * v->fatsz;
        int r = vbytes(v, fat, (uint64_t)c * 4, b, 4, 0);
        if (r)
            return r;
        wr32(b, (rd32(b) & ~FAT_MASK) | (val & FAT_MASK)); /* keep top 4 */
        r = vbytes(v, fat, (uint64_t)c * 4, b, 4, 1);
        if (r)
            return r;
    }
    return 0;
}

/* The cluster after c in a chain: *next is the cluster, or 0 at the end.
 * Free, bad and out-of-range links are corruption. */
static int chain_next(struct fat_vol *v, uint32_t c, uint32_t *next)
{
    uint32_t val;
    if (!valid_cluster(v, c))
        return -STORAGE_ECORRUPT;
    int r = fat_get(v, c, &val);
    if (r)
        return r;
    if (val >= 0x0FFFFFF8u) {
        *next = 0;
        return 0;
    }
    if (!valid_cluster(v, val))
        return -STORAGE_ECORRUPT;
    *next = val;
    return 0;
}

/* Counts free clusters by reading the whole FAT. */
static int count_free(struct fat_vol *v, uint32_t *out)
{
    uint32_t n = 0, per = v->bps / 4;
    uint64_t fat = v->rsvd + (uint64_t)v->active_fat * v->fatsz;
    for (uint32_t s = 0; s * per < v->nclusters + 2; s++) {
        int r = vsec(v, fat + s, 1, v->sec, 0);
        if (r)
            return r;
        for (uint32_t i = 0; i < per; i++) {
            uint32_t c = s * per + i;
            if (c >= 2 && c <= v->nclusters + 1 &&
                (rd32(v->sec + 4 * i) & FAT_MASK) == 0)
                n++;
        }
    }
    *out = n;
    return 0;
}

/* Takes a free cluster, marks it end-of-chain, links prev (if any) to it. */
static int alloc_cluster(struct fat_vol *v, uint32_t prev, uint32_t *out)
{
    uint32_t per = v->bps / 4, start = v->next_free;
    uint64_t fat = v->rsvd + (uint64_t)v->active_fat * v->fatsz;
    if (v->rdonly)
        return -EROFS;
    if (!valid_cluster(v, start))
        start = 2;
    for (uint32_t k = 0; k < v->nclusters;) {
        uint32_t c = 2 + (start - 2 + k) % v->nclusters;
        uint32_t s = c / per;
        int r = vsec(v, fat + s, 1, v->sec, 0);
        if (r)
            return r;
        /* scan the rest of this FAT sector */
        for (; k < v->nclusters && c / per == s;
             k++, c = 2 + (start - 2 + k) % v->nclusters) {
            if ((rd32(v->sec + 4 * (c % per)) & FAT_MASK) != 0)
                continue;
            r = fat_put(v, c, FAT_EOC);
            if (!r && prev)
                r = fat_put(v, prev, c);
            if (r)
                return r;
            if (v->free_count != UINT32_MAX && v->free_count)
                v->free_count--;
            v->next_free = c + 1 <= v->nclusters + 1 ? c + 1 : 2;
            v->fsinfo_dirty = 1;
            *out = c;
            return 0;
        }
    }
    return -ENOSPC;
}

/* Frees the chain starting at c (bounded walk). */
static int free_chain(struct fat_vol *v, uint32_t c)
{
    for (uint32_t steps = 0; c; steps++) {
        uint32_t next;
        if (steps > v->nclusters)
            return -STORAGE_ECORRUPT;
        int r = chain_next(v, c, &next);
        if (r)
            return r;
        r = fat_put(v, c, 0);
        if (r)
            return r;
        if (v->free_count != UINT32_MAX)
            v->free_count++;
        v->fsinfo_dirty = 1;
        c = next;
    }
    return 0;
}

/* --- time ----------------------------------------------------------------- */

static void dos_time(struct fat_vol *v, uint16_t *date, uint16_t *tm)
{
    uint64_t t = v->clock ? v->clock() : 0;
    int64_t z = (int64_t)(t / 86400) + 719468;
    uint32_t rem = (uint32_t)(t % 86400);
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    if (y < 1980 || y > 2107) {
        *date = (0 << 9) | (1 << 5) | 1;
        *tm = 0;
        return;
    }
    *date = (uint16_t)((y - 1980) << 9 | m << 5 | d);
    *tm = (uint16_t)((rem / 3600) << 11 | (rem / 60 % 60) << 5 | rem % 60 / 2);
}

static int64_t unix_time(uint16_t date, uint16_t tm)
{
    int64_t y = 1980 + (date >> 9), m = (date >> 5) & 15, d = date & 31;
    if (m < 1 || m > 12 || d < 1)
        return 0;
    y -= m <= 2;
    int64_t era = y / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + (tm >> 11) * 3600 + ((tm >> 5) & 63) * 60 +
           (tm & 31) * 2;
}

/* --- mount ---------------------------------------------------------------- */

int fat_mount(struct fat_vol **out, struct blk_dev *dev, uint64_t start,
              uint64_t sectors, unsigned flags)
{
    if (!out || !dev || start >= dev->capacity ||
        sectors > dev->capacity - start || sectors == 0)
        return -EINVAL;
    struct fat_vol *v = calloc(1, sizeof(*v));
    uint8_t *b = malloc(dev->sector_size);
    if (!v || !b) {
        free(v);
        free(b);
        return -ENOMEM;
    }
    v->dev = dev;
    v->start = start;
    v->total = 1;
    v->bps = dev->sector_size;
    v->sec = malloc(dev->sector_size);
    v->rdonly = (flags & FAT_MOUNT_RDONLY) != 0;
    int r = v->sec ? vsec(v, 0, 1, b, 0) : -ENOMEM;
    if (r)
        goto fail;
    r = -STORAGE_ECORRUPT;
    uint32_t bps = rd16(b + BPB_BYTS_PER_SEC), spc = b[BPB_SEC_PER_CLUS];
    if (b[510] != 0x55 || b[511] != 0xAA)
        goto fail;
    if (bps < 512 || bps > 4096 || (bps & (bps - 1)))
        goto fail;
    if (bps != dev->sector_size) {
        r = -EOPNOTSUPP;
        goto fail;
    }
    if (spc == 0 || (spc & (spc - 1)) || bps * spc > 65536)
        goto fail;
    if (rd16(b + BPB_FAT_SZ16) != 0 || rd16(b + BPB_ROOT_ENT_CNT) != 0) {
        r = -EOPNOTSUPP; /* FAT12/16 */
        goto fail;
    }
    uint32_t total = rd16(b + BPB_TOT_SEC16);
    if (total == 0)
        total = rd32(b + BPB_TOT_SEC32);
    v->rsvd = rd16(b + BPB_RSVD_SEC_CNT);
    v->nfats = b[BPB_NUM_FATS];
    v->fatsz = rd32(b + BPB_FAT_SZ32);
    v->spc = spc;
    v->csize = bps * spc;
    if (total == 0 || total > sectors || v->rsvd == 0 || v->nfats == 0 ||
        v->nfats > 4 || v->fatsz == 0 || rd16(b + BPB_FS_VER) != 0)
        goto fail;
    uint64_t data = v->rsvd + (uint64_t)v->nfats * v->fatsz;
    if (data >= total)
        goto fail;
    v->data_start = (uint32_t)data;
    v->nclusters = (total - v->data_start) / spc;
    if (v->nclusters == 0 || v->nclusters > 0x0FFFFFF5u)
        goto fail;
    if ((uint64_t)v->fatsz * bps / 4 < (uint64_t)v->nclusters + 2)
        goto fail;
    v->total = total;
    uint16_t ext = rd16(b + BPB_EXT_FLAGS);
    v->mirror = !(ext & 0x80);
    v->active_fat = v->mirror ? 0 : (ext & 0x0F);
    if (v->active_fat >= v->nfats)
        goto fail;
    v->root = rd32(b + BPB_ROOT_CLUS);
    if (!valid_cluster(v, v->root))
        goto fail;
    uint32_t rootval;
    r = fat_get(v, v->root, &rootval);
    if (r)
        goto fail;
    r = -STORAGE_ECORRUPT;
    if (rootval == 0 || rootval == 1 || rootval == FAT_BAD)
        goto fail;
    v->free_count = UINT32_MAX;
    v->next_free = 2;
    uint32_t fsi = rd16(b + BPB_FS_INFO);
    if (fsi != 0 && fsi != 0xFFFF && fsi < v->rsvd) {
        r = vsec(v, fsi, 1, b, 0);
        if (r)
            goto fail;
        if (rd32(b + FSI_LEAD) == 0x41615252u &&
            rd32(b + FSI_STRUC) == 0x61417272u &&
            rd32(b + FSI_TRAIL) == 0xAA550000u) {
            v->fsinfo = fsi;
            v->free_count = rd32(b + FSI_FREE);
            v->next_free = rd32(b + FSI_NEXT);
        }
    }
    if (v->free_count > v->nclusters) {
        r = count_free(v, &v->free_count);
        if (r)
            goto fail;
        v->fsinfo_dirty = 1;
    }
    if (!valid_cluster(v, v->next_free))
        v->next_free = 2;
    free(b);
    *out = v;
    return 0;
fail:
    free(b);
    free(v->sec);
    free(v);
    return r;
}

void fat_set_clock(struct fat_vol *v, fat_clock_fn now)
{
    v->clock = now;
}

static int node_flush(struct fat_vol *v, struct fat_node *n);

int fat_sync(struct fat_vol *v)
{
    int r = 0;
    if (v->rdonly)
        return 0;
    for (struct fat_node *n = v->nodes; n && !r; n = n->next)
        r = node_flush(v, n);
    if (!r && v->fsinfo && v->fsinfo_dirty) {
        uint8_t *b = malloc(v->bps);
        if (!b)
            return -ENOMEM;
        r = vsec(v, v->fsinfo, 1, b, 0);
        if (!r) {
            wr32(b + FSI_FREE, v->free_count);
            wr32(b + FSI_NEXT, v->next_free);
            r = vsec(v, v->fsinfo, 1, b, 1);
        }
        free(b);
        if (!r)
            v->fsinfo_dirty = 0;
    }
    if (r)
        return r;
    return blk_flush(v->dev);
}

int fat_unmount(struct fat_vol *v)
{
    if (v->nodes || v->open_dirs)
        return -EBUSY;
    int r = fat_sync(v);
    free(v->sec);
    free(v);
    return r;
}

int fat_statfs(struct fat_vol *v, struct fat_statfs *st)
{
    if (v->free_count == UINT32_MAX) {
        int r = count_free(v, &v->free_count);
        if (r)
            return r;
    }
    st->cluster_size = v->csize;
    st->clusters = v->nclusters;
    st->free_clusters = v->free_count;
    return 0;
}

/* --- directories ---------------------------------------------------------- */

struct dent {
    uint8_t raw[32];
    struct dpos pos;   /* the short entry */
    struct dpos first; /* its first long-name entry, or pos */
    uint32_t nent;     /* entries in the set */
    uint16_t lname[NAME_UNITS + 1];
    uint32_t llen; /* 0: no long name */
};

static uint64_t dpos_sector(const struct fat_vol *v, struct dpos p,
                            uint32_t *off)
{
    uint64_t byte = (uint64_t)p.idx * 32;
    *off = (uint32_t)(byte % v->bps);
    return cluster_sector(v, p.clu) + byte / v->bps;
}

static int dent_io(struct fat_vol *v, struct dpos p, uint8_t *raw, int write)
{
    uint32_t off;
    uint64_t s = dpos_sector(v, p, &off);
    return vbytes(v, s, off, raw, 32, write);
}

static void dir_start(struct fat_dir *d, struct fat_vol *v, uint32_t first)
{
    memset(d, 0, sizeof(*d));
    d->v = v;
    d->first = first;
    d->clu = first;
}

/* The next raw entry: 1 (raw and pos filled), 0 past the chain's end. */
static int dir_raw(struct fat_dir *d, uint8_t *raw, struct dpos *pos)
{
    struct fat_vol *v = d->v;
    if (d->ended)
        return 0;
    if (d->idx == v->csize / 32) {
        uint32_t next;
        int r = chain_next(v, d->clu, &next);
        if (r)
            return r;
        if (!next) {
            d->ended = 1;
            return 0;
        }
        d->clu = next;
        d->idx = 0;
    }
    if (++d->count > DIR_MAX_ENTRIES)
        return -STORAGE_ECORRUPT;
    pos->clu = d->clu;
    pos->idx = d->idx++;
    int r = dent_io(v, *pos, raw, 0);
    return r ? r : 1;
}

static uint8_t lfn_sum(const uint8_t *name11)
{
    uint8_t s = 0;
    for (int i = 0; i < 11; i++)
        s = (uint8_t)(((s & 1) << 7) + (s >> 1) + name11[i]);
    return s;
}

static const uint8_t lfn_off[13] = {1,  3,  5,  7,  9,  14, 16,
                                    18, 20, 22, 24, 28, 30};

/* The next live entry with its long name: 1, 0 at the end, or an error.
 * Deleted entries, volume labels and orphaned long-name parts are skipped. */
static int dir_next(struct fat_dir *d, struct dent *e)
{
    uint8_t raw[32];
    struct dpos pos;
    int expect = 0, nparts = 0;
    uint8_t sum = 0;
    for (;;) {
        int r = dir_raw(d, raw, &pos);
        if (r <= 0)
            return r;
        if (raw[0] == 0) {
            d->ended = 1;
            return 0;
        }
        if (raw[0] == 0xE5) {
            expect = 0;
            continue;
        }
        if ((raw[DE_ATTR] & 0x3F) == ATTR_LFN) {
            int ord = raw[0] & 0x1F;
            if (raw[0] & 0x40) {
                if (ord < 1 || ord > LFN_MAX_ENTS) {
                    expect = 0;
                    continue;
                }
                nparts = ord;
                sum = raw[13];
                e->first = pos;
                e->llen = 0;
                for (int i = 0; i <= NAME_UNITS; i++)
                    e->lname[i] = 0;
            } else if (!expect || ord != expect || raw[13] != sum) {
                expect = 0;
                continue;
            }
            for (int i = 0; i < 13; i++) {
                int at = (ord - 1) * 13 + i;
                if (at < NAME_UNITS)
                    e->lname[at] = rd16(raw + lfn_off[i]);
            }
            expect = ord - 1;
            if (expect == 0)
                expect = -1; /* complete, a short entry must follow */
            continue;
        }
        if (raw[DE_ATTR] & FAT_ATTR_VOLUME) {
            expect = 0;
            continue;
        }
        memcpy(e->raw, raw, 32);
        e->pos = pos;
        e->llen = 0;
        e->nent = 1;
        if (expect == -1 && lfn_sum(raw) == sum) {
            uint32_t n = 0;
            while (n < (uint32_t)nparts * 13 && n < NAME_UNITS &&
                   e->lname[n] != 0 && e->lname[n] != 0xFFFF)
                n++;
            e->llen = n;
            e->nent = (uint32_t)nparts + 1;
        }
        if (!e->llen)
            e->first = pos;
        return 1;
    }
}

static uint32_t dent_cluster(const uint8_t *raw)
{
    return (uint32_t)rd16(raw + DE_CLUS_HI) << 16 | rd16(raw + DE_CLUS_LO);
}

/* The 8.3 name as UCS-2 (lower-cased per the NT flags); its length. */
static uint32_t short_name(const uint8_t *raw, uint16_t *out, char *ascii)
{
    uint32_t n = 0, a = 0;
    int bl = raw[DE_NTRES] & 0x08, el = raw[DE_NTRES] & 0x10;
    int blen = 8, elen = 3;
    while (blen > 0 && raw[blen - 1] == ' ')
        blen--;
    while (elen > 0 && raw[8 + elen - 1] == ' ')
        elen--;
    for (int i = 0; i < blen; i++) {
        uint8_t c = (i == 0 && raw[0] == 0x05) ? 0xE5 : raw[i];
        if (ascii)
            ascii[a++] = c < 0x80 ? (char)c : '_';
        out[n++] = (bl && c >= 'A' && c <= 'Z') ? c + 32 : c;
    }
    if (elen) {
        if (ascii)
            ascii[a++] = '.';
        out[n++] = '.';
        for (int i = 0; i < elen; i++) {
            uint8_t c = raw[8 + i];
            if (ascii)
                ascii[a++] = c < 0x80 ? (char)c : '_';
            out[n++] = (el && c >= 'A' && c <= 'Z') ? c + 32 : c;
        }
    }
    if (ascii)
        ascii[a] = 0;
    return n;
}

static uint16_t fold(uint16_t c)
{
    return c >= 'a' && c <= 'z' ? c - 32 : c;
}

static int name_eq(const uint16_t *a, uint32_t alen, const uint16_t *b,
                   uint32_t blen)
{
    if (alen != blen)
        return 0;
    for (uint32_t i = 0; i < alen; i++)
        if (fold(a[i]) != fold(b[i]))
            return 0;
    return 1;
}

static int dent_matches(const struct dent *e, const uint16_t *name,
                        uint32_t len)
{
    uint16_t sn[12];
    if (e->llen && name_eq(e->lname, e->llen, name, len))
        return 1;
    uint32_t sl = short_name(e->raw, sn, NULL);
    return name_eq(sn, sl, name, len);
}

/* Finds name in the directory at cluster dir: 1 and *e, 0 if absent. */
static int dir_find(struct fat_vol *v, uint32_t dir, const uint16_t *name,
                    uint32_t len, struct dent *e)
{
    struct fat_dir d;
    dir_start(&d, v, dir);
    for (;;) {
        int r = dir_next(&d, e);
        if (r <= 0)
            return r;
        if (dent_matches(e, name, len))
            return 1;
    }
}

/* UTF-8 to UCS-2.  -EINVAL for malformed input or characters beyond the
 * BMP, -ENAMETOOLONG past 255 units. */
static int utf8_to_ucs2(const char *s, size_t slen, uint16_t *out,
                        uint32_t *olen)
{
    uint32_t n = 0;
    size_t i = 0;
    while (i < slen) {
        uint8_t c = (uint8_t)s[i];
        uint32_t cp;
        int more;
        if (c < 0x80) {
            cp = c;
            more = 0;
        } else if ((c & 0xE0) == 0xC0) {
            cp = c & 0x1F;
            more = 1;
        } else if ((c & 0xF0) == 0xE0) {
            cp = c & 0x0F;
            more = 2;
        } else {
            return -EINVAL;
        }
        if (more && i + (size_t)more >= slen)
            return -EINVAL;
        for (int k = 1; k <= more; k++) {
            uint8_t cc = (uint8_t)s[i + (size_t)k];
            if ((cc & 0xC0) != 0x80)
                return -EINVAL;
            cp = cp << 6 | (cc & 0x3F);
        }
        if ((more == 1 && cp < 0x80) || (more == 2 && cp < 0x800) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return -EINVAL;
        i += (size_t)more + 1;
        if (n == NAME_UNITS)
            return -ENAMETOOLONG;
        out[n++] = (uint16_t)cp;
    }
    *olen = n;
    return 0;
}

static void ucs2_to_utf8(const uint16_t *in, uint32_t len, char *out,
                         size_t cap)
{
    size_t n = 0;
    for (uint32_t i = 0; i < len; i++) {
        uint32_t cp = in[i];
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < len &&
            in[i + 1] >= 0xDC00 && in[i + 1] <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (in[i + 1] - 0xDC00);
            i++;
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = '?';
        }
        uint8_t buf[4];
        int k;
        if (cp < 0x80) {
            buf[0] = (uint8_t)cp;
            k = 1;
        } else if (cp < 0x800) {
            buf[0] = (uint8_t)(0xC0 | cp >> 6);
            buf[1] = (uint8_t)(0x80 | (cp & 0x3F));
            k = 2;
        } else if (cp < 0x10000) {
            buf[0] = (uint8_t)(0xE0 | cp >> 12);
            buf[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
            buf[2] = (uint8_t)(0x80 | (cp & 0x3F));
            k = 3;
        } else {
            buf[0] = (uint8_t)(0xF0 | cp >> 18);
            buf[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
            buf[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
            buf[3] = (uint8_t)(0x80 | (cp & 0x3F));
            k = 4;
        }
        if (n + (size_t)k >= cap)
            break;
        memcpy(out + n, buf, (size_t)k);
        n += (size_t)k;
    }
    out[n] = 0;
}

/* A name we may create: no forbidden characters, not "." or "..", no
 * trailing dot or space. */
static int name_ok(const uint16_t *u, uint32_t n)
{
    if (n == 0)
        return 0;
    if (u[n - 1] == '.' || u[n - 1] == ' ')
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        uint16_t c = u[i];
        if (c < 0x20 || c == '"' || c == '*' || c == '/' || c == ':' ||
            c == '<' || c == '>' || c == '?' || c == '\\' || c == '|' ||
            c == 0x7F)
            return 0;
    }
    return 1;
}

static int short_char_ok(uint16_t c)
{
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c && strchr("!#$%&'()-@^_`{}~", (int)c) != NULL && c < 0x80;
}

/* If the name is already a valid upper-case 8.3 name, its 11 bytes. */
static int exact_short(const uint16_t *u, uint32_t n, uint8_t *out11)
{
    uint32_t dot = n, i;
    memset(out11, ' ', 11);
    for (i = 0; i < n; i++)
        if (u[i] == '.') {
            if (dot != n)
                return 0;
            dot = i;
        }
    if (dot == 0 || dot > 8 ||
        (dot < n && (n - dot - 1 == 0 || n - dot - 1 > 3)))
        return 0;
    for (i = 0; i < n; i++) {
        if (i == dot)
            continue;
        if (!short_char_ok(u[i]))
            return 0;
        out11[i < dot ? i : 8 + (i - dot - 1)] = (uint8_t)u[i];
    }
    return 1;
}

/* Does any entry in dir carry this 8.3 name? */
static int short_exists(struct fat_vol *v, uint32_t dir, const uint8_t *n11)
{
    struct fat_dir d;
    struct dent *e = malloc(sizeof(*e));
    if (!e)
        return -ENOMEM;
    dir_start(&d, v, dir);
    int r;
    while ((r = dir_next(&d, e)) == 1)
        if (!memcmp(e->raw, n11, 11))
            break;
    free(e);
    return r;
}

/* Builds a unique "BASIS~N.EXT" for a long name. */
static int make_alias(struct fat_vol *v, uint32_t dir, const uint16_t *u,
                      uint32_t n, uint8_t *out11)
{
    uint8_t base[8], ext[3];
    uint32_t bl = 0, el = 0, last_dot = n;
    for (uint32_t i = 0; i < n; i++)
        if (u[i] == '.')
            last_dot = i;
    for (uint32_t i = 0; i < n && bl < 8; i++) {
        if (i == last_dot)
            break;
        uint16_t c = fold(u[i]);
        if (c == ' ' || c == '.')
            continue;
        base[bl++] = short_char_ok(c) ? (uint8_t)c : '_';
    }
    for (uint32_t i = last_dot + 1; i < n && el < 3; i++) {
        uint16_t c = fold(u[i]);
        if (c == ' ' || c == '.')
            continue;
        ext[el++] = short_char_ok(c) ? (uint8_t)c : '_';
    }
    if (bl == 0)
        base[bl++] = '_';
    for (uint32_t num = 1; num < 1000000; num++) {
        char tail[8];
        int tl = 0;
        uint32_t x = num;
        char digits[7];
        int nd = 0;
        while (x) {
            digits[nd++] = (char)('0' + x % 10);
            x /= 10;
        }
        tail[tl++] = '~';
        while (nd)
            tail[tl++] = digits[--nd];
        uint32_t keep = bl;
        if (keep + (uint32_t)tl > 8)
            keep = 8 - (uint32_t)tl;
        memset(out11, ' ', 11);
        memcpy(out11, base, keep);
        memcpy(out11 + keep, tail, (size_t)tl);
        memcpy(out11 + 8, ext, el);
        int r = short_exists(v, dir, out11);
        if (r < 0)
            return r;
        if (r == 0)
            return 0;
    }
    return -EEXIST;
}

/* Appends a zeroed cluster to the directory whose last cluster is last. */
static int dir_grow(struct fat_vol *v, uint32_t last, uint32_t *out)
{
    uint32_t c;
    int r = alloc_cluster(v, 0, &c);
    if (r)
        return r;
    r = zero_cluster(v, c);
    if (!r)
        r = fat_put(v, last, c);
    if (r) {
        (void)free_chain(v, c);
        return r;
    }
    *out = c;
    return 0;
}

/*
 * Finds (or makes, by growing the directory) nent consecutive free slots.
 * Everything after the end marker (a 0x00 entry) counts as free; when the
 * slots end inside that region and the entry after them is not zero,
 * *clear names it, to become the new end marker (else clear->clu is 0).
 */
static int dir_slots(struct fat_vol *v, uint32_t dir, uint32_t nent,
                     struct dpos *slots, struct dpos *clear)
{
    struct fat_dir d;
    uint8_t raw[32];
    struct dpos pos;
    uint32_t run = 0;
    int tail = 0;
    clear->clu = 0;
    dir_start(&d, v, dir);
    for (;;) {
        int r = dir_raw(&d, raw, &pos);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        if (raw[0] == 0)
            tail = 1;
        if (tail || raw[0] == 0xE5) {
            slots[run++] = pos;
            if (run == nent) {
                if (tail && dir_raw(&d, raw, &pos) == 1 && raw[0] != 0)
                    *clear = pos;
                return 0;
            }
        } else {
            run = 0;
        }
    }
    /* d.clu is the last cluster; grow until the run is long enough */
    uint32_t last = d.clu;
    while (run < nent) {
        if (d.count + v->csize / 32 > DIR_MAX_ENTRIES)
            return -ENOSPC;
        uint32_t c;
        int r = dir_grow(v, last, &c);
        if (r)
            return r;
        d.count += v->csize / 32;
        for (uint32_t i = 0; i < v->csize / 32 && run < nent; i++)
            slots[run++] = (struct dpos){c, i};
        last = c;
    }
    return 0;
}

/* Writes a long-name set plus its short entry (raw, whose first 11 bytes are
 * the 8.3 name).  *pos gets the short entry's place. */
static int dir_add(struct fat_vol *v, uint32_t dir, const uint16_t *u,
                   uint32_t n, uint8_t *raw, struct dpos *pos)
{
    uint8_t n11[11];
    int r;
    uint32_t nl = 0;
    if (exact_short(u, n, n11)) {
        r = short_exists(v, dir, n11);
        if (r < 0)
            return r;
        if (r)
            return -EEXIST;
    } else {
        r = make_alias(v, dir, u, n, n11);
        if (r)
            return r;
        nl = (n + 12) / 13;
    }
    memcpy(raw, n11, 11);
    raw[DE_NTRES] = 0;
    struct dpos slots[LFN_MAX_ENTS + 1], clear;
    r = dir_slots(v, dir, nl + 1, slots, &clear);
    if (r)
        return r;
    uint8_t sum = lfn_sum(n11);
    for (uint32_t k = 0; k < nl; k++) {
        uint32_t ord = nl - k; /* entries are stored last part first */
        uint8_t l[32];
        memset(l, 0, sizeof(l));
        l[0] = (uint8_t)(ord | (k == 0 ? 0x40 : 0));
        l[DE_ATTR] = ATTR_LFN;
        l[13] = sum;
        for (int i = 0; i < 13; i++) {
            uint32_t at = (ord - 1) * 13 + (uint32_t)i;
            uint16_t c = at < n ? u[at] : at == n ? 0 : 0xFFFF;
            wr16(l + lfn_off[i], c);
        }
        r = dent_io(v, slots[k], l, 1);
        if (r)
            return r;
    }
    r = dent_io(v, slots[nl], raw, 1);
    if (r)
        return r;
    if (clear.clu) {
        uint8_t zero[32] = {0};
        r = dent_io(v, clear, zero, 1);
        if (r)
            return r;
    }
    *pos = slots[nl];
    return 0;
}

/* Marks an entry set deleted. */
static int dir_remove(struct fat_vol *v, const struct dent *e)
{
    struct fat_dir d;
    uint8_t raw[32];
    struct dpos pos;
    if (e->nent == 1) {
        uint8_t b[32];
        memcpy(b, e->raw, 32);
        b[0] = 0xE5;
        return dent_io(v, e->pos, b, 1);
    }
    /* walk from the first long-name part to the short entry */
    d = (struct fat_dir){.v = v, .clu = e->first.clu, .idx = e->first.idx};
    for (uint32_t i = 0; i < e->nent; i++) {
        int r = dir_raw(&d, raw, &pos);
        if (r == 0)
            r = -STORAGE_ECORRUPT;
        if (r < 0)
            return r;
        raw[0] = 0xE5;
        r = dent_io(v, pos, raw, 1);
        if (r)
            return r;
    }
    return 0;
}

/* 1 if the directory holds nothing but "." and "..", 0 if not. */
static int dir_empty(struct fat_vol *v, uint32_t dir)
{
    struct fat_dir d;
    struct dent *e = malloc(sizeof(*e));
    if (!e)
        return -ENOMEM;
    dir_start(&d, v, dir);
    int r;
    while ((r = dir_next(&d, e)) == 1)
        if (memcmp(e->raw, ".          ", 11) &&
            memcmp(e->raw, "..         ", 11))
            break;
    free(e);
    return r < 0 ? r : r == 0;
}

/* --- paths ---------------------------------------------------------------- */

/* What a path names: the root, or an entry in directory parent. */
struct node_ref {
    int is_root;
    uint32_t parent; /* cluster of the containing directory */
    struct dent e;
};

static uint32_t ref_cluster(const struct fat_vol *v, const struct node_ref *n)
{
    return n->is_root ? v->root : dent_cluster(n->e.raw);
}

static int ref_is_dir(const struct node_ref *n)
{
    return n->is_root || (n->e.raw[DE_ATTR] & FAT_ATTR_DIR);
}

/* Takes the next component off *p: its start and length (0 at the end). */
static size_t next_comp(const char **p, const char **comp)
{
    while (**p == '/')
        (*p)++;
    *comp = *p;
    while (**p && **p != '/')
        (*p)++;
    return (size_t)(*p - *comp);
}

/* The directory cluster a ".." entry points at (0 means the root). */
static int parent_of(struct fat_vol *v, uint32_t dir, uint32_t *out)
{
    uint8_t raw[32];
    if (dir == v->root) {
        *out = v->root;
        return 0;
    }
    int r = dent_io(v, (struct dpos){dir, 1}, raw, 0);
    if (r)
        return r;
    if (memcmp(raw, "..         ", 11))
        return -STORAGE_ECORRUPT;
    uint32_t c = dent_cluster(raw);
    if (c == 0)
        c = v->root;
    if (!valid_cluster(v, c))
        return -STORAGE_ECORRUPT;
    *out = c;
    return 0;
}

/*
 * Resolves path.  With want_parent, stops before the last component and
 * returns its name in name/nlen (UCS-2) and the directory in *dir; the
 * last component then must not be "." or "..".  Otherwise fills *ref.
 */
static int resolve(struct fat_vol *v, const char *path, int want_parent,
                   struct node_ref *ref, uint32_t *dir, uint16_t *name,
                   uint32_t *nlen)
{
    uint32_t cur = v->root;
    int cur_root = 1;
    const char *p = path, *comp;
    uint16_t *u = name;
    uint16_t tmp[NAME_UNITS + 1];
    if (!u)
        u = tmp;
    if (ref) {
        ref->is_root = 1;
        ref->parent = v->root;
    }
    for (;;) {
        size_t len = next_comp(&p, &comp);
        if (len == 0) {
            if (want_parent)
                return -EINVAL; /* no final name */
            return 0;
        }
        const char *rest = p;
        const char *dummy;
        int last = next_comp(&rest, &dummy) == 0;
        if (want_parent && last) {
            if ((len == 1 && comp[0] == '.') ||
                (len == 2 && comp[0] == '.' && comp[1] == '.'))
                return -EINVAL;
            int r = utf8_to_ucs2(comp, len, u, nlen);
            if (r)
                return r;
            *dir = cur;
            return 0;
        }
        if (len == 1 && comp[0] == '.')
            continue;
        if (len == 2 && comp[0] == '.' && comp[1] == '.') {
            int r = parent_of(v, cur, &cur);
            if (r)
                return r;
            cur_root = cur == v->root;
            if (ref && cur_root)
                ref->is_root = 1;
            if (ref && !cur_root) {
                /* find the entry naming cur in its parent */
                uint32_t pp;
                r = parent_of(v, cur, &pp);
                if (r)
                    return r;
                struct fat_dir d;
                dir_start(&d, v, pp);
                while ((r = dir_next(&d, &ref->e)) == 1)
                    if (dent_cluster(ref->e.raw) == cur &&
                        (ref->e.raw[DE_ATTR] & FAT_ATTR_DIR) &&
                        ref->e.raw[0] != '.')
                        break;
                if (r < 0)
                    return r;
                if (r == 0)
                    return -STORAGE_ECORRUPT;
                ref->is_root = 0;
                ref->parent = pp;
            }
            continue;
        }
        uint32_t n;
        int r = utf8_to_ucs2(comp, len, u, &n);
        if (r)
            return r == -EINVAL ? -ENOENT : r;
        struct node_ref found = {.parent = cur};
        r = dir_find(v, cur, u, n, &found.e);
        if (r < 0)
            return r;
        if (r == 0)
            return -ENOENT;
        if (!last && !(found.e.raw[DE_ATTR] & FAT_ATTR_DIR))
            return -ENOTDIR;
        if (found.e.raw[DE_ATTR] & FAT_ATTR_DIR) {
            uint32_t c = dent_cluster(found.e.raw);
            if (c == 0)
                c = v->root; /* ".." style entries to the root */
            if (!valid_cluster(v, c))
                return -STORAGE_ECORRUPT;
            cur = c;
            cur_root = c == v->root;
        }
        if (ref) {
            *ref = found;
            ref->is_root = 0;
        }
    }
}

/* --- open nodes ----------------------------------------------------------- */

static struct fat_node *node_find(struct fat_vol *v, struct dpos loc)
{
    for (struct fat_node *n = v->nodes; n; n = n->next)
        if (!n->is_root && n->loc.clu == loc.clu && n->loc.idx == loc.idx)
            return n;
    return NULL;
}

static int node_flush(struct fat_vol *v, struct fat_node *n)
{
    uint8_t raw[32];
    if (!n->dirty || n->is_root)
        return 0;
    int r = dent_io(v, n->loc, raw, 0);
    if (r)
        return r;
    uint16_t date, tm;
    dos_time(v, &date, &tm);
    wr16(raw + DE_CLUS_HI, (uint16_t)(n->first >> 16));
    wr16(raw + DE_CLUS_LO, (uint16_t)n->first);
    wr32(raw + DE_SIZE, n->is_dir ? 0 : n->size);
    wr16(raw + DE_MTIME, tm);
    wr16(raw + DE_MDATE, date);
    wr16(raw + DE_ADATE, date);
    raw[DE_ATTR] |= FAT_ATTR_ARCHIVE;
    r = dent_io(v, n->loc, raw, 1);
    if (!r)
        n->dirty = 0;
    return r;
}

/* Checks a file's chain against its size (bounded walk). */
static int chain_fits(struct fat_vol *v, uint32_t first, uint32_t size)
{
    uint64_t need = ((uint64_t)size + v->csize - 1) / v->csize;
    if (first == 0)
        return need == 0 ? 0 : -STORAGE_ECORRUPT;
    if (!valid_cluster(v, first) || need > v->nclusters)
        return -STORAGE_ECORRUPT;
    return 0;
}

/* The cluster holding file cluster index idx (walking from the cursor). */
static int seek_cluster(struct fat_file *f, uint32_t idx, uint32_t *out)
{
    struct fat_vol *v = f->v;
    uint32_t c, at;
    if (f->cur_clu && f->cur_gen == f->n->gen && f->cur_idx <= idx) {
        c = f->cur_clu;
        at = f->cur_idx;
    } else {
        c = f->n->first;
        at = 0;
        if (!valid_cluster(v, c))
            return -STORAGE_ECORRUPT;
    }
    if (idx - at > v->nclusters)
        return -STORAGE_ECORRUPT;
    while (at < idx) {
        uint32_t next;
        int r = chain_next(v, c, &next);
        if (r)
            return r;
        if (!next)
            return -STORAGE_ECORRUPT; /* chain shorter than the size */
        c = next;
        at++;
    }
    f->cur_clu = c;
    f->cur_idx = at;
    f->cur_gen = f->n->gen;
    *out = c;
    return 0;
}

static int open_ref(struct fat_vol *v, const struct node_ref *ref,
                    unsigned flags, struct fat_file **out)
{
    struct fat_node *n = ref->is_root ? NULL : node_find(v, ref->e.pos);
    if (!n) {
        n = calloc(1, sizeof(*n));
        if (!n)
            return -ENOMEM;
        n->is_root = (uint8_t)ref->is_root;
        n->is_dir = (uint8_t)ref_is_dir(ref);
        n->first = ref_cluster(v, ref);
        if (!ref->is_root) {
            n->loc = ref->e.pos;
            n->size = n->is_dir ? 0 : rd32(ref->e.raw + DE_SIZE);
            n->attr = ref->e.raw[DE_ATTR];
            int r = n->is_dir
                        ? (valid_cluster(v, n->first) ? 0 : -STORAGE_ECORRUPT)
                        : chain_fits(v, n->first, n->size);
            if (r) {
                free(n);
                return r;
            }
        } else {
            n->attr = FAT_ATTR_DIR;
        }
        n->next = v->nodes;
        v->nodes = n;
    }
    struct fat_file *f = calloc(1, sizeof(*f));
    if (!f) {
        if (!n->refs) {
            v->nodes = n->next;
            free(n);
        }
        return -ENOMEM;
    }
    n->refs++;
    f->v = v;
    f->n = n;
    f->flags = flags;
    *out = f;
    return 0;
}

static void node_put(struct fat_vol *v, struct fat_node *n)
{
    if (--n->refs)
        return;
    for (struct fat_node **pp = &v->nodes; *pp; pp = &(*pp)->next)
        if (*pp == n) {
            *pp = n->next;
            break;
        }
    free(n);
}

static void new_entry(struct fat_vol *v, uint8_t *raw, uint8_t attr,
                      uint32_t first)
{
    uint16_t date, tm;
    memset(raw, 0, 32);
    dos_time(v, &date, &tm);
    raw[DE_ATTR] = attr;
    wr16(raw + DE_CTIME, tm);
    wr16(raw + DE_CDATE, date);
    wr16(raw + DE_ADATE, date);
    wr16(raw + DE_MTIME, tm);
    wr16(raw + DE_MDATE, date);
    wr16(raw + DE_CLUS_HI, (uint16_t)(first >> 16));
    wr16(raw + DE_CLUS_LO, (uint16_t)first);
}

/* --- files ---------------------------------------------------------------- */

static int truncate_node(struct fat_file *f, uint32_t size);

int fat_open(struct fat_vol *v, const char *path, unsigned flags,
             struct fat_file **out)
{
    struct node_ref *ref = malloc(sizeof(*ref));
    if (!ref)
        return -ENOMEM;
    int r = resolve(v, path, 0, ref, NULL, NULL, NULL);
    int writing = (flags & (FAT_O_WRITE | FAT_O_TRUNC | FAT_O_APPEND)) != 0;
    if (r == -ENOENT && (flags & FAT_O_CREAT)) {
        uint16_t name[NAME_UNITS + 1];
        uint32_t nlen, dir;
        if (v->rdonly) {
            r = -EROFS;
            goto out;
        }
        r = resolve(v, path, 1, NULL, &dir, name, &nlen);
        if (r)
            goto out;
        if (!name_ok(name, nlen)) {
            r = -EINVAL;
            goto out;
        }
        memset(ref, 0, sizeof(*ref));
        new_entry(v, ref->e.raw, FAT_ATTR_ARCHIVE, 0);
        r = dir_add(v, dir, name, nlen, ref->e.raw, &ref->e.pos);
        if (r)
            goto out;
        ref->parent = dir;
        ref->e.first = ref->e.pos;
        ref->e.nent = 1;
    } else if (r) {
        goto out;
    } else if ((flags & FAT_O_CREAT) && (flags & FAT_O_EXCL)) {
        r = -EEXIST;
        goto out;
    }
    if (ref_is_dir(ref) && writing) {
        r = -EISDIR;
        goto out;
    }
    if (writing && v->rdonly) {
        r = -EROFS;
        goto out;
    }
    struct fat_file *f;
    r = open_ref(v, ref, flags, &f);
    if (r)
        goto out;
    if ((flags & FAT_O_TRUNC) && f->n->size) {
        r = truncate_node(f, 0);
        if (r) {
            (void)fat_close(f);
            goto out;
        }
    }
    *out = f;
out:
    free(ref);
    return r;
}

/* Ensures the chain covers size bytes, allocating (zeroed when zero is
 * set); on failure the clusters added are released again. */
static int grow_chain(struct fat_file *f, uint32_t size)
{
    struct fat_vol *v = f->v;
    struct fat_node *n = f->n;
    uint32_t have = (uint32_t)(((uint64_t)n->size + v->csize - 1) / v->csize);
    uint32_t need = (uint32_t)(((uint64_t)size + v->csize - 1) / v->csize);
    if (need <= have)
        return 0;
    if (v->rdonly)
        return -EROFS;
    uint32_t last = 0, added_first = 0;
    int r = 0;
    if (have) {
        r = seek_cluster(f, have - 1, &last);
        if (r)
            return r;
    }
    for (uint32_t i = have; i < need; i++) {
        uint32_t c;
        r = alloc_cluster(v, last, &c);
        if (r)
            break;
        if (!added_first)
            added_first = c;
        last = c;
    }
    if (r) {
        if (added_first) {
            if (have) {
                uint32_t tail;
                (void)seek_cluster(f, have - 1, &tail);
                (void)fat_put(v, tail, FAT_EOC);
            }
            (void)free_chain(v, added_first);
        }
        return r;
    }
    if (!have) {
        n->first = added_first;
        n->dirty = 1;
    }
    return 0;
}

/* Data transfer at the file position; the chain already covers it. */
static int data_io(struct fat_file *f, uint32_t pos, uint8_t *buf, uint32_t len,
                   int write)
{
    struct fat_vol *v = f->v;
    while (len) {
        uint32_t c;
        int r = seek_cluster(f, pos / v->csize, &c);
        if (r)
            return r;
        uint32_t off = pos % v->csize;
        uint32_t chunk = v->csize - off;
        /* extend over physically consecutive clusters */
        while (chunk < len) {
            uint32_t next;
            r = chain_next(v, c, &next);
            if (r)
                return r;
            if (next != c + 1)
                break;
            c = next;
            f->cur_clu = c;
            f->cur_idx++;
            chunk += v->csize;
        }
        if (chunk > len)
            chunk = len;
        uint64_t s = cluster_sector(v, f->cur_clu) -
                     (uint64_t)(f->cur_idx - pos / v->csize) * v->spc;
        r = vbytes(v, s, off, buf, chunk, write);
        if (r)
            return r;
        pos += chunk;
        buf += chunk;
        len -= chunk;
    }
    return 0;
}

long fat_read(struct fat_file *f, void *buf, size_t len)
{
    struct fat_node *n = f->n;
    if (n->is_dir)
        return -EISDIR;
    if (!(f->flags & FAT_O_READ))
        return -EBADF;
    if (f->pos >= n->size || len == 0)
        return 0;
    uint32_t avail = n->size - f->pos;
    uint32_t cnt = len < avail ? (uint32_t)len : avail;
    if (cnt > 0x40000000u)
        cnt = 0x40000000u;
    int r = data_io(f, f->pos, buf, cnt, 0);
    if (r)
        return r;
    f->pos += cnt;
    return (long)cnt;
}

long fat_write(struct fat_file *f, const void *buf, size_t len)
{
    struct fat_vol *v = f->v;
    struct fat_node *n = f->n;
    if (n->is_dir)
        return -EISDIR;
    if (!(f->flags & FAT_O_WRITE))
        return -EBADF;
    if (v->rdonly)
        return -EROFS;
    if (f->flags & FAT_O_APPEND)
        f->pos = n->size;
    if (len == 0)
        return 0;
    if (len > 0x40000000u || (uint64_t)f->pos + len > 0xFFFFFFFFu)
        return -EFBIG;
    uint32_t end = f->pos + (uint32_t)len;
    if (f->pos > n->size) {
        int r = truncate_node(f, f->pos); /* zero-fill the gap */
        if (r)
            return r;
    }
    int r = grow_chain(f, end);
    if (r)
        return r;
    r = data_io(f, f->pos, (uint8_t *)buf, (uint32_t)len, 1);
    if (r)
        return r;
    f->pos = end;
    if (end > n->size)
        n->size = end;
    n->dirty = 1;
    return (long)len;
}

static int truncate_node(struct fat_file *f, uint32_t size)
{
    struct fat_vol *v = f->v;
    struct fat_node *n = f->n;
    if (v->rdonly)
        return -EROFS;
    if (size > n->size) {
        uint32_t old = n->size;
        int r = grow_chain(f, size);
        if (r)
            return r;
        /* zeros from the old end to the new one */
        uint8_t *z = calloc(1, v->csize);
        if (!z)
            return -ENOMEM;
        for (uint32_t p = old; p < size && !r;) {
            uint32_t chunk = size - p < v->csize ? size - p : v->csize;
            r = data_io(f, p, z, chunk, 1);
            p += chunk;
        }
        free(z);
        if (r)
            return r;
        n->size = size;
        n->dirty = 1;
        return 0;
    }
    uint32_t keep = (uint32_t)(((uint64_t)size + v->csize - 1) / v->csize);
    uint32_t have = (uint32_t)(((uint64_t)n->size + v->csize - 1) / v->csize);
    if (keep < have) {
        int r;
        if (keep == 0) {
            r = free_chain(v, n->first);
            n->first = 0;
        } else {
            uint32_t last, rest;
            r = seek_cluster(f, keep - 1, &last);
            if (!r)
                r = chain_next(v, last, &rest);
            if (!r)
                r = fat_put(v, last, FAT_EOC);
            if (!r && rest)
                r = free_chain(v, rest);
        }
        n->gen++;
        if (r)
            return r;
    }
    n->size = size;
    n->dirty = 1;
    return 0;
}

int fat_truncate(struct fat_file *f, uint32_t size)
{
    if (f->n->is_dir)
        return -EISDIR;
    if (!(f->flags & FAT_O_WRITE))
        return -EBADF;
    return truncate_node(f, size);
}

int64_t fat_seek(struct fat_file *f, int64_t off, int whence)
{
    int64_t base = whence == 0   ? 0
                   : whence == 1 ? (int64_t)f->pos
                   : whence == 2 ? (int64_t)f->n->size
                                 : -1;
    if (base < 0 || off > 0xFFFFFFFFll || off < -0xFFFFFFFFll)
        return -EINVAL;
    int64_t np = base + off;
    if (np < 0 || np > 0xFFFFFFFFll)
        return -EINVAL;
    f->pos = (uint32_t)np;
    return np;
}

static void fill_stat(const uint8_t *raw, struct fat_stat *st)
{
    st->attr = raw[DE_ATTR];
    st->is_dir = (raw[DE_ATTR] & FAT_ATTR_DIR) != 0;
    st->cluster = dent_cluster(raw);
    st->size = st->is_dir ? 0 : rd32(raw + DE_SIZE);
    st->mtime = unix_time(rd16(raw + DE_MDATE), rd16(raw + DE_MTIME));
}

int fat_fstat(struct fat_file *f, struct fat_stat *st)
{
    struct fat_node *n = f->n;
    memset(st, 0, sizeof(*st));
    if (!n->is_root) {
        uint8_t raw[32];
        int r = dent_io(f->v, n->loc, raw, 0);
        if (r)
            return r;
        fill_stat(raw, st);
    }
    st->attr = n->is_root ? FAT_ATTR_DIR : st->attr;
    st->is_dir = n->is_dir;
    st->size = n->is_dir ? 0 : n->size;
    st->cluster = n->first;
    return 0;
}

int fat_fsync(struct fat_file *f)
{
    if (f->v->rdonly)
        return 0;
    /* data and cluster chain first, the size that exposes them after:
     * a crash between the two flushes never leaves a size past valid data */
    int r = blk_flush(f->v->dev);
    if (!r)
        r = node_flush(f->v, f->n);
    if (r)
        return r;
    return fat_sync(f->v);
}

int fat_close(struct fat_file *f)
{
    struct fat_vol *v = f->v;
    int r = v->rdonly ? 0 : node_flush(v, f->n);
    node_put(v, f->n);
    free(f);
    return r;
}

/* --- namespace operations ------------------------------------------------- */

int fat_stat(struct fat_vol *v, const char *path, struct fat_stat *st)
{
    struct node_ref *ref = malloc(sizeof(*ref));
    if (!ref)
        return -ENOMEM;
    int r = resolve(v, path, 0, ref, NULL, NULL, NULL);
    if (!r) {
        memset(st, 0, sizeof(*st));
        if (ref->is_root) {
            st->attr = FAT_ATTR_DIR;
            st->is_dir = 1;
            st->cluster = v->root;
        } else {
            fill_stat(ref->e.raw, st);
            struct fat_node *n = node_find(v, ref->e.pos);
            if (n && !n->is_dir) {
                st->size = n->size;
                st->cluster = n->first;
            }
        }
    }
    free(ref);
    return r;
}

/* Removes the entry ref names and frees its clusters. */
static int remove_ref(struct fat_vol *v, const struct node_ref *ref)
{
    int r = dir_remove(v, &ref->e);
    if (r)
        return r;
    uint32_t c = dent_cluster(ref->e.raw);
    return c ? free_chain(v, c) : 0;
}

int fat_unlink(struct fat_vol *v, const char *path)
{
    if (v->rdonly)
        return -EROFS;
    struct node_ref *ref = malloc(sizeof(*ref));
    if (!ref)
        return -ENOMEM;
    int r = resolve(v, path, 0, ref, NULL, NULL, NULL);
    if (!r && ref_is_dir(ref))
        r = -EISDIR;
    if (!r && node_find(v, ref->e.pos))
        r = -EBUSY;
    if (!r)
        r = remove_ref(v, ref);
    free(ref);
    return r;
}

int fat_rmdir(struct fat_vol *v, const char *path)
{
    if (v->rdonly)
        return -EROFS;
    struct node_ref *ref = malloc(sizeof(*ref));
    if (!ref)
        return -ENOMEM;
    int r = resolve(v, path, 0, ref, NULL, NULL, NULL);
    if (!r && ref->is_root)
        r = -EBUSY;
    if (!r && !ref_is_dir(ref))
        r = -ENOTDIR;
    if (!r && node_find(v, ref->e.pos))
        r = -EBUSY;
    if (!r) {
        uint32_t c = ref_cluster(v, ref);
        r = valid_cluster(v, c) ? dir_empty(v, c) : -STORAGE_ECORRUPT;
        if (r == 0)
            r = -ENOTEMPTY;
        else if (r == 1)
            r = remove_ref(v, ref);
    }
    free(ref);
    return r;
}

int fat_mkdir(struct fat_vol *v, const char *path)
{
    uint16_t name[NAME_UNITS + 1];
    uint32_t nlen, dir, c;
    uint8_t raw[32];
    struct dpos pos;
    if (v->rdonly)
        return -EROFS;
    int r = resolve(v, path, 1, NULL, &dir, name, &nlen);
    if (r)
        return r;
    if (!name_ok(name, nlen))
        return -EINVAL;
    struct dent *e = malloc(sizeof(*e));
    if (!e)
        return -ENOMEM;
    r = dir_find(v, dir, name, nlen, e);
    free(e);
    if (r < 0)
        return r;
    if (r)
        return -EEXIST;
    r = alloc_cluster(v, 0, &c);
    if (r)
        return r;
    r = zero_cluster(v, c);
    if (!r) {
        new_entry(v, raw, FAT_ATTR_DIR, c);
        memcpy(raw, ".          ", 11);
        r = dent_io(v, (struct dpos){c, 0}, raw, 1);
    }
    if (!r) {
        new_entry(v, raw, FAT_ATTR_DIR, dir == v->root ? 0 : dir);
        memcpy(raw, "..         ", 11);
        r = dent_io(v, (struct dpos){c, 1}, raw, 1);
    }
    if (!r) {
        new_entry(v, raw, FAT_ATTR_DIR, c);
        r = dir_add(v, dir, name, nlen, raw, &pos);
    }
    if (r)
        (void)free_chain(v, c);
    return r;
}

/* Is dir (a directory cluster) anc or below it? */
static int is_below(struct fat_vol *v, uint32_t dir, uint32_t anc)
{
    for (uint32_t steps = 0; steps <= v->nclusters; steps++) {
        if (dir == anc)
            return 1;
        if (dir == v->root)
            return 0;
        int r = parent_of(v, dir, &dir);
        if (r)
            return r;
    }
    return -STORAGE_ECORRUPT;
}

int fat_rename(struct fat_vol *v, const char *from, const char *to)
{
    uint16_t name[NAME_UNITS + 1];
    uint32_t nlen, dir;
    if (v->rdonly)
        return -EROFS;
    struct node_ref *src = malloc(sizeof(*src));
    struct node_ref *dst = malloc(sizeof(*dst));
    int r = src && dst ? 0 : -ENOMEM;
    if (!r)
        r = resolve(v, from, 0, src, NULL, NULL, NULL);
    if (!r && src->is_root)
        r = -EBUSY;
    if (!r)
        r = resolve(v, to, 1, NULL, &dir, name, &nlen);
    if (!r && !name_ok(name, nlen))
        r = -EINVAL;
    if (r)
        goto out;
    int src_dir = ref_is_dir(src);
    if (src_dir) {
        r = is_below(v, dir, dent_cluster(src->e.raw));
        if (r) {
            r = r < 0 ? r : -EINVAL;
            goto out;
        }
    }
    r = dir_find(v, dir, name, nlen, &dst->e);
    if (r < 0)
        goto out;
    if (r == 1) {
        int same = dst->e.pos.clu == src->e.pos.clu &&
                   dst->e.pos.idx == src->e.pos.idx;
        if (same && dst->e.llen == nlen &&
            !memcmp(dst->e.lname, name, nlen * sizeof(uint16_t))) {
            r = 0;
            goto out;
        }
        if (!same) {
            dst->is_root = 0;
            dst->parent = dir;
            int dst_dir = ref_is_dir(dst);
            if (src_dir && !dst_dir)
                r = -ENOTDIR;
            else if (!src_dir && dst_dir)
                r = -EISDIR;
            else if (node_find(v, dst->e.pos))
                r = -EBUSY;
            else if (dst_dir) {
                r = dir_empty(v, dent_cluster(dst->e.raw));
                r = r < 0 ? r : r ? 0 : -ENOTEMPTY;
            } else {
                r = 0;
            }
            if (!r)
                r = remove_ref(v, dst);
            if (r)
                goto out;
        }
    }
    /* the new entry first, then the old one goes */
    uint8_t raw[32];
    struct dpos pos;
    memcpy(raw, src->e.raw, 32);
    r = dir_add(v, dir, name, nlen, raw, &pos);
    if (r)
        goto out;
    /* a same-directory add may have moved nothing; re-read the source set */
    r = dir_remove(v, &src->e);
    if (r)
        goto out;
    struct fat_node *n = node_find(v, src->e.pos);
    if (n)
        n->loc = pos;
    if (src_dir && src->parent != dir) {
        uint32_t c = dent_cluster(src->e.raw);
        uint8_t dd[32];
        r = dent_io(v, (struct dpos){c, 1}, dd, 0);
        if (!r && memcmp(dd, "..         ", 11))
            r = -STORAGE_ECORRUPT;
        if (!r) {
            uint32_t pc = dir == v->root ? 0 : dir;
            wr16(dd + DE_CLUS_HI, (uint16_t)(pc >> 16));
            wr16(dd + DE_CLUS_LO, (uint16_t)pc);
            r = dent_io(v, (struct dpos){c, 1}, dd, 1);
        }
    }
out:
    free(src);
    free(dst);
    return r;
}

/* --- directory listing ---------------------------------------------------- */

int fat_opendir(struct fat_vol *v, const char *path, struct fat_dir **out)
{
    struct node_ref *ref = malloc(sizeof(*ref));
    if (!ref)
        return -ENOMEM;
    int r = resolve(v, path, 0, ref, NULL, NULL, NULL);
    if (!r && !ref_is_dir(ref))
        r = -ENOTDIR;
    uint32_t c = r ? 0 : ref_cluster(v, ref);
    if (!r && !valid_cluster(v, c))
        r = -STORAGE_ECORRUPT;
    free(ref);
    if (r)
        return r;
    struct fat_dir *d = malloc(sizeof(*d));
    if (!d)
        return -ENOMEM;
    dir_start(d, v, c);
    v->open_dirs++;
    *out = d;
    return 0;
}

int fat_readdir(struct fat_dir *d, struct fat_dirent *out)
{
    struct dent *e = malloc(sizeof(*e));
    if (!e)
        return -ENOMEM;
    int r;
    while ((r = dir_next(d, e)) == 1) {
        if (!memcmp(e->raw, ".          ", 11) ||
            !memcmp(e->raw, "..         ", 11))
            continue;
        uint16_t sn[12];
        uint32_t sl = short_name(e->raw, sn, out->short_name);
        if (e->llen)
            ucs2_to_utf8(e->lname, e->llen, out->name, sizeof(out->name));
        else
            ucs2_to_utf8(sn, sl, out->name, sizeof(out->name));
        fill_stat(e->raw, &out->st);
        struct fat_node *n = node_find(d->v, e->pos);
        if (n && !n->is_dir)
            out->st.size = n->size;
        break;
    }
    free(e);
    return r;
}

void fat_closedir(struct fat_dir *d)
{
    d->v->open_dirs--;
    free(d);
}
