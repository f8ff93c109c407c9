/*
 * A persistent key-value store: an append-only log of checksummed records
 * in one file on a FAT volume, replayed into memory when opened.
 *
 * Durability: kv_put() and kv_del() return only after fat_fsync() has
 * made the record durable, so every acknowledged write survives a crash.
 * A crash can leave a torn record at the end of the log; kv_open() stops
 * at the first record whose header, lengths or CRC-32 do not check out,
 * truncates the log there and carries on.  Compaction writes the live
 * records to "<path>.new", makes it durable and renames it over the log;
 * kv_open() finishes or discards an interrupted compaction.
 *
 * Record (little-endian): magic "KVR1" (u32 0x3152564B), crc32 of the
 * bytes after this field, u64 sequence, u8 op (1 put, 2 delete), u8 zero,
 * u16 key length, u32 value length, then key and value.
 *
 * Returns: 0 or a negative errno: -EINVAL (key empty, longer than
 * KV_KEY_MAX or with bytes outside 0x21..0x7E; value longer than
 * KV_VALUE_MAX), -ENOENT (no such key), -ENOMEM, and the FAT errors.
 */
#ifndef APPS_KVSTORE_KV_H
#define APPS_KVSTORE_KV_H

#include <stddef.h>
#include <stdint.h>

#include "storage/fat.h"

#define KV_KEY_MAX 128u
#define KV_VALUE_MAX 4096u
#define KV_MAGIC 0x3152564Bu
#define KV_HEADER 24u

struct kv;

struct kv_recovery {
    uint64_t records;        /* valid records replayed */
    uint64_t bytes;          /* log bytes kept */
    uint64_t truncated;      /* bytes of torn tail dropped */
    int finished_compaction; /* a compacted log was moved into place */
};

int kv_open(struct fat_vol *v, const char *path, struct kv **out,
            struct kv_recovery *rec);
/* Closes the log (its last records are already durable). */
void kv_close(struct kv *kv);

int kv_put(struct kv *kv, const char *key, const void *value, uint32_t len);
/* *value stays valid until the key is next changed. */
int kv_get(struct kv *kv, const char *key, const void **value, uint32_t *len);
int kv_del(struct kv *kv, const char *key);
/* Rewrites the log with only the live records. */
int kv_compact(struct kv *kv);

size_t kv_count(const struct kv *kv);
uint64_t kv_log_bytes(const struct kv *kv);
/* Calls fn for each live key (unspecified order); stops when fn != 0. */
int kv_foreach(struct kv *kv,
               int (*fn)(void *ctx, const char *key, const void *value,
                         uint32_t len),
               void *ctx);

#endif /* APPS_KVSTORE_KV_H */
