/*
 * Partition tables: MBR (with extended/logical partitions) and GPT (primary
 * header, falling back to the backup at the last LBA).  Tables are peer
 * data: every header, CRC, LBA and count is checked against the device.
 */
#ifndef STORAGE_PART_H
#define STORAGE_PART_H

#include <stddef.h>
#include <stdint.h>

#include "storage/blk.h"

#define PART_SCHEME_MBR 1
#define PART_SCHEME_GPT 2

struct part {
    uint64_t start;   /* first sector */
    uint64_t count;   /* sectors, >= 1, start + count <= capacity */
    uint32_t index;   /* 1-based: MBR 1-4 primary, 5.. logical; GPT slot+1 */
    uint8_t scheme;   /* PART_SCHEME_* */
    uint8_t mbr_type; /* MBR system id (0 for GPT) */
    uint8_t type_guid[16]; /* GPT, on-disk (mixed-endian) byte order */
    uint8_t guid[16];
    char name[73]; /* GPT name, UTF-8 (non-ASCII as '?'), NUL-terminated */
};

/*
 * Reads the partition table of dev into out[0..max).  Returns the number of
 * partitions found (0 when the disk has no table, e.g. a filesystem on the
 * whole disk), -STORAGE_ECORRUPT for a table that is there but broken (bad
 * CRCs in both GPT headers, a partition past the end of the disk, an
 * extended chain that loops), or the device's error.  Partitions beyond max
 * are counted but not stored.
 */
int part_scan(struct blk_dev *dev, struct part *out, size_t max);

/* 1 if p's type says FAT (MBR 0x01/0x04/0x06/0x0B/0x0C/0x0E/0xEF, GPT basic
 * data or EFI system), else 0. */
int part_is_fat(const struct part *p);

#endif /* STORAGE_PART_H */
