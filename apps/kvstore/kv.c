/*
 * The key-value log.  The in-memory index is a chained hash table holding
 * copies of the live values; the log is only ever appended to, except for
 * cutting a torn tail when it is opened.
 */
#include "apps/kvstore/kv.h"

#include "storage/crc32.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OP_PUT 1u
#define OP_DEL 2u
#define PATH_MAX_LEN 200u

struct ent {
    struct ent *next;
    uint32_t hash, vlen;
    char *key;
    uint8_t *val;
};

struct kv {
    struct fat_vol *v;
    struct fat_file *f;
    char path[PATH_MAX_LEN], newpath[PATH_MAX_LEN + 8];
    struct ent **tab;
    size_t nbuckets, count;
    uint64_t seq, log_bytes;
    uint8_t rec[KV_HEADER + KV_KEY_MAX + KV_VALUE_MAX];
};

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint32_t hash_key(const char *k, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)k[i]) * 16777619u;
    return h;
}

static int key_ok(const char *k, size_t n)
{
    if (n == 0 || n > KV_KEY_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((uint8_t)k[i] < 0x21 || (uint8_t)k[i] > 0x7E)
            return 0;
    return 1;
}

static struct ent **find(struct kv *kv, const char *k, size_t n, uint32_t h)
{
    struct ent **pp = &kv->tab[h % kv->nbuckets];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->hash == h && strlen((*pp)->key) == n &&
            !memcmp((*pp)->key, k, n))
            return pp;
    return pp;
}

static void ent_free(struct ent *e)
{
    free(e->key);
    free(e->val);
    free(e);
}

static int grow(struct kv *kv)
{
    size_t nb = kv->nbuckets * 2;
    struct ent **t = calloc(nb, sizeof(*t));
    if (!t)
        return -ENOMEM;
    for (size_t i = 0; i < kv->nbuckets; i++) {
        struct ent *e = kv->tab[i];
        while (e) {
            struct ent *next = e->next;
            e->next = t[e->hash % nb];
            t[e->hash % nb] = e;
            e = next;
        }
    }
    free(kv->tab);
    kv->tab = t;
    kv->nbuckets = nb;
    return 0;
}

/* Applies a record to the index. */
static int apply(struct kv *kv, uint8_t op, const char *k, size_t n,
                 const uint8_t *val, uint32_t vlen)
{
    uint32_t h = hash_key(k, n);
    struct ent **pp = find(kv, k, n, h);
    if (op == OP_DEL) {
        if (*pp) {
            struct ent *e = *pp;
            *pp = e->next;
            ent_free(e);
            kv->count--;
        }
        return 0;
    }
    uint8_t *copy = malloc(vlen ? vlen : 1);
    if (!copy)
        return -ENOMEM;
    if (vlen)
        memcpy(copy, val, vlen);
    if (*pp) {
        free((*pp)->val);
        (*pp)->val = copy;
        (*pp)->vlen = vlen;
        return 0;
    }
    struct ent *e = calloc(1, sizeof(*e));
    char *key = malloc(n + 1);
    if (!e || !key) {
        free(e);
        free(key);
        free(copy);
        return -ENOMEM;
    }
    memcpy(key, k, n);
    key[n] = 0;
    e->key = key;
    e->hash = h;
    e->val = copy;
    e->vlen = vlen;
    *pp = e;
    kv->count++;
    if (kv->count > kv->nbuckets * 2)
        (void)grow(kv); /* a longer chain is fine if memory is short */
    return 0;
}

/* Builds a record in kv->rec; its length. */
static uint32_t build(struct kv *kv, uint8_t op, const char *k, size_t n,
                      const void *val, uint32_t vlen)
{
    uint8_t *r = kv->rec;
    uint64_t seq = ++kv->seq;
    put32(r, KV_MAGIC);
    put32(r + 8, (uint32_t)seq);
    put32(r + 12, (uint32_t)(seq >> 32));
    r[16] = op;
    r[17] = 0;
    r[18] = (uint8_t)n;
    r[19] = (uint8_t)(n >> 8);
    put32(r + 20, vlen);
    memcpy(r + KV_HEADER, k, n);
    if (vlen)
        memcpy(r + KV_HEADER + n, val, vlen);
    uint32_t len = KV_HEADER + (uint32_t)n + vlen;
    put32(r + 4, crc32_update(0, r + 8, len - 8));
    return len;
}

static long read_exact(struct fat_file *f, void *buf, uint32_t len)
{
    uint32_t got = 0;
    while (got < len) {
        long r = fat_read(f, (uint8_t *)buf + got, len - got);
        if (r < 0)
            return r;
        if (r == 0)
            break;
        got += (uint32_t)r;
    }
    return (long)got;
}

/* Replays the log; returns the offset after the last valid record. */
static uint64_t replay(struct kv *kv, struct kv_recovery *rec)
{
    uint64_t pos = 0;
    uint8_t *r = kv->rec;
    for (;;) {
        if (read_exact(kv->f, r, KV_HEADER) != KV_HEADER)
            break;
        uint32_t klen = (uint32_t)(r[18] | r[19] << 8), vlen = get32(r + 20);
        if (get32(r) != KV_MAGIC || (r[16] != OP_PUT && r[16] != OP_DEL) ||
            r[17] != 0 || klen == 0 || klen > KV_KEY_MAX ||
            vlen > KV_VALUE_MAX || (r[16] == OP_DEL && vlen))
            break;
        if (read_exact(kv->f, r + KV_HEADER, klen + vlen) !=
            (long)(klen + vlen))
            break;
        uint32_t len = KV_HEADER + klen + vlen;
        if (crc32_update(0, r + 8, len - 8) != get32(r + 4) ||
            !key_ok((const char *)r + KV_HEADER, klen))
            break;
        uint64_t seq = get32(r + 8) | (uint64_t)get32(r + 12) << 32;
        if (seq > kv->seq)
            kv->seq = seq;
        if (apply(kv, r[16], (const char *)r + KV_HEADER, klen,
                  r + KV_HEADER + klen, vlen))
            break;
        pos += len;
        rec->records++;
    }
    return pos;
}

static int open_log(struct kv *kv, struct kv_recovery *rec)
{
    struct fat_stat st;
    int r = fat_open(kv->v, kv->path, FAT_O_READ | FAT_O_WRITE | FAT_O_CREAT,
                     &kv->f);
    if (r)
        return r;
    uint64_t good = replay(kv, rec);
    r = fat_fstat(kv->f, &st);
    if (r)
        return r;
    if (good < st.size) {
        rec->truncated = st.size - good;
        r = fat_truncate(kv->f, (uint32_t)good);
        if (!r)
            r = fat_fsync(kv->f);
        if (r)
            return r;
    }
    rec->bytes = good;
    kv->log_bytes = good;
    return fat_seek(kv->f, 0, 2) < 0 ? -EIO : 0;
}

int kv_open(struct fat_vol *v, const char *path, struct kv **out,
            struct kv_recovery *rec)
{
    struct kv_recovery dummy;
    struct fat_stat st;
    if (!rec)
        rec = &dummy;
    memset(rec, 0, sizeof(*rec));
    if (strlen(path) >= PATH_MAX_LEN)
        return -ENAMETOOLONG;
    struct kv *kv = calloc(1, sizeof(*kv));
    if (!kv)
        return -ENOMEM;
    kv->v = v;
    snprintf(kv->path, sizeof(kv->path), "%s", path);
    snprintf(kv->newpath, sizeof(kv->newpath), "%s.new", path);
    kv->nbuckets = 64;
    kv->tab = calloc(kv->nbuckets, sizeof(*kv->tab));
    int r = kv->tab ? 0 : -ENOMEM;
    /* an interrupted compaction: the new log is complete only if the old
     * one is already gone (it is removed only after the new one is durable) */
    int have_log = !r && fat_stat(v, path, &st) == 0;
    int have_new = !r && fat_stat(v, kv->newpath, &st) == 0;
    if (!r && have_new && !have_log) {
        r = fat_rename(v, kv->newpath, path);
        if (!r)
            r = fat_sync(v);
        rec->finished_compaction = 1;
    } else if (!r && have_new) {
        r = fat_unlink(v, kv->newpath);
    }
    if (!r)
        r = open_log(kv, rec);
    if (r) {
        kv_close(kv);
        return r;
    }
    *out = kv;
    return 0;
}

void kv_close(struct kv *kv)
{
    if (!kv)
        return;
    if (kv->f)
        (void)fat_close(kv->f);
    for (size_t i = 0; kv->tab && i < kv->nbuckets; i++) {
        struct ent *e = kv->tab[i];
        while (e) {
            struct ent *next = e->next;
            ent_free(e);
            e = next;
        }
    }
    free(kv->tab);
    free(kv);
}

/* Appends a record durably; on failure the log is cut back. */
static int append(struct kv *kv, uint32_t len)
{
    long w = fat_write(kv->f, kv->rec, len);
    int r = w == (long)len ? 0 : w < 0 ? (int)w : -EIO;
    if (!r)
        r = fat_fsync(kv->f);
    if (r) {
        (void)fat_truncate(kv->f, (uint32_t)kv->log_bytes);
        (void)fat_seek(kv->f, 0, 2);
        return r;
    }
    kv->log_bytes += len;
    return 0;
}

int kv_put(struct kv *kv, const char *key, const void *value, uint32_t len)
{
    size_t n = strlen(key);
    if (!key_ok(key, n) || len > KV_VALUE_MAX || (len && !value))
        return -EINVAL;
    int r = append(kv, build(kv, OP_PUT, key, n, value, len));
    if (r)
        return r;
    return apply(kv, OP_PUT, key, n, value, len);
}

int kv_get(struct kv *kv, const char *key, const void **value, uint32_t *len)
{
    size_t n = strlen(key);
    if (!key_ok(key, n))
        return -EINVAL;
    struct ent **pp = find(kv, key, n, hash_key(key, n));
    if (!*pp)
        return -ENOENT;
    *value = (*pp)->val;
    *len = (*pp)->vlen;
    return 0;
}

int kv_del(struct kv *kv, const char *key)
{
    size_t n = strlen(key);
    if (!key_ok(key, n))
        return -EINVAL;
    if (!*find(kv, key, n, hash_key(key, n)))
        return -ENOENT;
    int r = append(kv, build(kv, OP_DEL, key, n, NULL, 0));
    if (r)
        return r;
    return apply(kv, OP_DEL, key, n, NULL, 0);
}

int kv_compact(struct kv *kv)
{
    struct fat_file *nf;
    int r = fat_open(kv->v, kv->newpath,
                     FAT_O_WRITE | FAT_O_CREAT | FAT_O_TRUNC, &nf);
    if (r)
        return r;
    for (size_t i = 0; i < kv->nbuckets && !r; i++)
        for (struct ent *e = kv->tab[i]; e && !r; e = e->next) {
            uint32_t len =
                build(kv, OP_PUT, e->key, strlen(e->key), e->val, e->vlen);
            long w = fat_write(nf, kv->rec, len);
            r = w == (long)len ? 0 : w < 0 ? (int)w : -EIO;
        }
    if (!r)
        r = fat_fsync(nf);
    int c = fat_close(nf);
    if (!r)
        r = c;
    if (r) {
        (void)fat_unlink(kv->v, kv->newpath);
        return r;
    }
    /* the old log goes only now that the new one is durable */
    (void)fat_close(kv->f);
    kv->f = NULL;
    r = fat_rename(kv->v, kv->newpath, kv->path);
    if (!r)
        r = fat_sync(kv->v);
    int o = fat_open(kv->v, kv->path, FAT_O_READ | FAT_O_WRITE, &kv->f);
    if (o)
        return o;
    if (fat_seek(kv->f, 0, 2) < 0)
        return -EIO;
    struct fat_stat st;
    if (fat_fstat(kv->f, &st) == 0)
        kv->log_bytes = st.size;
    return r;
}

size_t kv_count(const struct kv *kv)
{
    return kv->count;
}

uint64_t kv_log_bytes(const struct kv *kv)
{
    return kv->log_bytes;
}

int kv_foreach(struct kv *kv,
               int (*fn)(void *ctx, const char *key, const void *value,
                         uint32_t len),
               void *ctx)
{
    for (size_t i = 0; i < kv->nbuckets; i++)
        for (struct ent *e = kv->tab[i]; e; e = e->next) {
            int r = fn(ctx, e->key, e->val, e->vlen);
            if (r)
                return r;
        }
    return 0;
}
