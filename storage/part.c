/*
 * MBR and GPT parsing.  Layouts: the MBR partition table at byte 446 (four
 * 16-byte entries, signature 0x55AA at 510); UEFI 2.x section 5.3 for the
 * GPT header (92 bytes at LBA 1) and its entry array.
 */
#include "storage/part.h"

#include "storage/crc32.h"

#include <stdlib.h>
#include <string.h>

#define MBR_TABLE 446
#define MBR_EXT_MAX                                                            \
    128 /* logical partitions we follow before calling it a loop */
#define GPT_ENTRIES_MAX 1024

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

struct scan {
    struct blk_dev *dev;
    struct part *out;
    size_t max, n;
};

static int add(struct scan *s, const struct part *p)
{
    if (p->count == 0 || p->start >= s->dev->capacity ||
        p->count > s->dev->capacity - p->start)
        return -STORAGE_ECORRUPT;
    if (s->n < s->max)
        s->out[s->n] = *p;
    s->n++;
    return 0;
}

static int is_extended(uint8_t type)
{
    return type == 0x05 || type == 0x0F || type == 0x85;
}

/* Sector 0 of a whole-disk FAT volume also ends in 0x55AA. */
static int looks_like_vbr(const uint8_t *s)
{
    if (s[0] != 0xEB && s[0] != 0xE9)
        return 0;
    return !memcmp(s + 0x52, "FAT32   ", 8) || !memcmp(s + 0x36, "FAT", 3);
}

static int scan_extended(struct scan *s, uint8_t *sec, uint64_t ext_start,
                         uint64_t ext_count)
{
    uint64_t ebr = ext_start;
    uint32_t index = 5;
    for (int hops = 0; hops < MBR_EXT_MAX; hops++) {
        int r = blk_read(s->dev, ebr, 1, sec);
        if (r)
            return r;
        if (sec[510] != 0x55 || sec[511] != 0xAA)
            return -STORAGE_ECORRUPT;
        const uint8_t *e = sec + MBR_TABLE;
        if (e[4] != 0) {
            struct part p = {.scheme = PART_SCHEME_MBR,
                             .mbr_type = e[4],
                             .index = index++,
                             .start = ebr + le32(e + 8),
                             .count = le32(e + 12)};
            if (p.start < ext_start || p.start - ext_start >= ext_count ||
                p.count > ext_count - (p.start - ext_start))
                return -STORAGE_ECORRUPT;
            r = add(s, &p);
            if (r)
                return r;
        }
        const uint8_t *next = e + 16;
        if (next[4] == 0)
            return 0;
        uint64_t off = le32(next + 8);
        if (off == 0 || off >= ext_count)
            return -STORAGE_ECORRUPT;
        ebr = ext_start + off;
    }
    return -STORAGE_ECORRUPT;
}

static int scan_mbr(struct scan *s, uint8_t *sec)
{
    uint8_t tbl[64];
    memcpy(tbl, sec + MBR_TABLE, sizeof(tbl));
    for (int i = 0; i < 4; i++) {
        const uint8_t *e = tbl + 16 * i;
        if (e[0] != 0 && e[0] != 0x80)
            return 0; /* not a partition table */
    }
    int exts = 0;
    for (int i = 0; i < 4; i++) {
        const uint8_t *e = tbl + 16 * i;
        if (e[4] == 0)
            continue;
        struct part p = {.scheme = PART_SCHEME_MBR,
                         .mbr_type = e[4],
                         .index = (uint32_t)i + 1,
                         .start = le32(e + 8),
                         .count = le32(e + 12)};
        if (p.start == 0)
            return -STORAGE_ECORRUPT;
        if (is_extended(e[4])) {
            if (exts++)
                return -STORAGE_ECORRUPT;
            if (p.count == 0 || p.start >= s->dev->capacity ||
                p.count > s->dev->capacity - p.start)
                return -STORAGE_ECORRUPT;
            int r = scan_extended(s, sec, p.start, p.count);
            if (r)
                return r;
            continue;
        }
        int r = add(s, &p);
        if (r)
            return r;
    }
    return 0;
}

/* Checks a GPT header read from lba; 0 if usable. */
static int gpt_header_ok(struct blk_dev *dev, uint8_t *h, uint64_t lba)
{
    if (memcmp(h, "EFI PART", 8))
        return -STORAGE_ECORRUPT;
    uint32_t hsize = le32(h + 12);
    if (hsize < 92 || hsize > dev->sector_size)
        return -STORAGE_ECORRUPT;
    uint32_t crc = le32(h + 16);
    memset(h + 16, 0, 4);
    uint32_t calc = crc32_update(0, h, hsize);
    h[16] = (uint8_t)crc;
    h[17] = (uint8_t)(crc >> 8);
    h[18] = (uint8_t)(crc >> 16);
    h[19] = (uint8_t)(crc >> 24);
    if (calc != crc || le64(h + 24) != lba)
        return -STORAGE_ECORRUPT;
    uint64_t first = le64(h + 40), last = le64(h + 48);
    uint64_t entries = le64(h + 72);
    uint32_t num = le32(h + 80), esize = le32(h + 84);
    if (first > last || last >= dev->capacity)
        return -STORAGE_ECORRUPT;
    if (esize < 128 || esize > 1024 || (esize & (esize - 1)) ||
        num > GPT_ENTRIES_MAX)
        return -STORAGE_ECORRUPT;
    uint64_t bytes = (uint64_t)num * esize;
    uint64_t secs = (bytes + dev->sector_size - 1) / dev->sector_size;
    if (entries < 2 || entries >= dev->capacity ||
        secs > dev->capacity - entries)
        return -STORAGE_ECORRUPT;
    return 0;
}

static void utf16_name(char *out, const uint8_t *in)
{
    size_t n = 0;
    for (int i = 0; i < 36; i++) {
        uint16_t c = (uint16_t)(in[2 * i] | in[2 * i + 1] << 8);
        if (c == 0)
            break;
        out[n++] = c < 0x80 && c >= 0x20 ? (char)c : '?';
    }
    out[n] = 0;
}

static int scan_gpt_at(struct scan *s, uint8_t *sec, uint64_t lba)
{
    struct blk_dev *dev = s->dev;
    int r = blk_read(dev, lba, 1, sec);
    if (r)
        return r;
    r = gpt_header_ok(dev, sec, lba);
    if (r)
        return r;
    uint64_t first = le64(sec + 40), last = le64(sec + 48);
    uint64_t elba = le64(sec + 72);
    uint32_t num = le32(sec + 80), esize = le32(sec + 84);
    uint32_t ecrc = le32(sec + 88);
    size_t bytes = (size_t)num * esize;
    uint32_t secs =
        (uint32_t)((bytes + dev->sector_size - 1) / dev->sector_size);
    if (secs == 0)
        return 0;
    uint8_t *tbl = malloc((size_t)secs * dev->sector_size);
    if (!tbl)
        return -ENOMEM;
    r = blk_read(dev, elba, secs, tbl);
    if (!r && crc32_update(0, tbl, bytes) != ecrc)
        r = -STORAGE_ECORRUPT;
    for (uint32_t i = 0; !r && i < num; i++) {
        const uint8_t *e = tbl + (size_t)i * esize;
        static const uint8_t zero[16];
        if (!memcmp(e, zero, 16))
            continue;
        uint64_t pf = le64(e + 32), pl = le64(e + 40);
        if (pf > pl || pf < first || pl > last) {
            r = -STORAGE_ECORRUPT;
            break;
        }
        struct part p = {.scheme = PART_SCHEME_GPT,
                         .index = i + 1,
                         .start = pf,
                         .count = pl - pf + 1};
        memcpy(p.type_guid, e, 16);
        memcpy(p.guid, e + 16, 16);
        utf16_name(p.name, e + 56);
        r = add(s, &p);
    }
    free(tbl);
    return r;
}

static int scan_gpt(struct scan *s, uint8_t *sec)
{
    size_t keep = s->n;
    int r = scan_gpt_at(s, sec, 1);
    if (r == 0)
        return 0;
    if (r != -STORAGE_ECORRUPT)
        return r;
    s->n = keep;
    return scan_gpt_at(s, sec, s->dev->capacity - 1);
}

int part_scan(struct blk_dev *dev, struct part *out, size_t max)
{
    if (dev->capacity < 2)
        return 0;
    uint8_t *sec = malloc(dev->sector_size);
    if (!sec)
        return -ENOMEM;
    struct scan s = {.dev = dev, .out = out, .max = max};
    int r = blk_read(dev, 0, 1, sec);
    if (r)
        goto out;
    if (sec[510] != 0x55 || sec[511] != 0xAA || looks_like_vbr(sec))
        goto out;
    int gpt = 0;
    for (int i = 0; i < 4; i++)
        if (sec[MBR_TABLE + 16 * i + 4] == 0xEE)
            gpt = 1;
    r = gpt ? scan_gpt(&s, sec) : scan_mbr(&s, sec);
out:
    free(sec);
    if (r)
        return r;
    return (int)s.n;
}

int part_is_fat(const struct part *p)
{
    /* EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 and
     * C12A7328-F81F-11D2-BA4B-00A0C93EC93B as stored on disk */
    static const uint8_t basic[16] = {0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9,
                                      0x33, 0x44, 0x87, 0xC0, 0x68, 0xB6,
                                      0xB7, 0x26, 0x99, 0xC7};
    static const uint8_t esp[16] = {0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8,
                                    0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0,
                                    0xC9, 0x3E, 0xC9, 0x3B};
    if (p->scheme == PART_SCHEME_GPT)
        return !memcmp(p->type_guid, basic, 16) ||
               !memcmp(p->type_guid, esp, 16);
    switch (p->mbr_type) {
    case 0x01:
    case 0x04:
    case 0x06:
    case 0x0B:
    case 0x0C:
    case 0x0E:
    case 0xEF:
        return 1;
    default:
        return 0;
    }
}
