/*
 * Block layer: request plumbing, the sector cache, and the RAM disk.
 */
#include "storage/blk.h"

#include <stdlib.h>
#include <string.h>

struct blk_cache_line {
    uint64_t lba;
    uint64_t used; /* LRU tick */
    uint8_t valid, dirty;
    uint8_t *data;
};

int blk_init(struct blk_dev *dev, const struct blk_ops *ops, void *priv,
             uint32_t sector_size, uint32_t cache_lines)
{
    if (!dev || !ops || !ops->read || !ops->write || !ops->capacity)
        return -EINVAL;
    if (sector_size < 512 || sector_size > 4096 ||
        (sector_size & (sector_size - 1)))
        return -EINVAL;
    memset(dev, 0, sizeof(*dev));
    dev->ops = ops;
    dev->priv = priv;
    dev->sector_size = sector_size;
    dev->capacity = ops->capacity(priv);
    dev->nlines = cache_lines ? cache_lines : BLK_CACHE_DEFAULT;
    dev->lines = calloc(dev->nlines, sizeof(*dev->lines));
    dev->cache_mem = malloc((size_t)dev->nlines * sector_size);
    dev->batch = malloc((size_t)BLK_BATCH_SECTORS * sector_size);
    if (!dev->lines || !dev->cache_mem || !dev->batch) {
        free(dev->lines);
        free(dev->cache_mem);
        free(dev->batch);
        dev->lines = NULL;
        dev->cache_mem = NULL;
        dev->batch = NULL;
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < dev->nlines; i++)
        dev->lines[i].data = dev->cache_mem + (size_t)i * sector_size;
    return 0;
}

void blk_fini(struct blk_dev *dev)
{
    if (!dev->lines)
        return;
    (void)blk_flush(dev);
    free(dev->lines);
    free(dev->cache_mem);
    free(dev->batch);
    dev->lines = NULL;
    dev->cache_mem = NULL;
    dev->batch = NULL;
}

static int in_range(const struct blk_dev *dev, uint64_t lba, uint32_t count)
{
    return count != 0 && lba < dev->capacity && count <= dev->capacity - lba;
}

void blk_complete(struct blk_req *req, int status)
{
    req->status = status;
    /* status must be visible before the flag a waiter polls */
    __atomic_store_n(&req->complete, 1, __ATOMIC_RELEASE);
    if (req->done)
        req->done(req);
}

int blk_wait(struct blk_dev *dev, struct blk_req *req)
{
    while (!__atomic_load_n(&req->complete, __ATOMIC_ACQUIRE)) {
        if (!dev->ops->poll)
            return -EIO; /* a synchronous backend that never completed */
        dev->ops->poll(dev->priv);
    }
    return req->status;
}

/* Hands req to the backend, retrying while its queue is full. */
static int start(struct blk_dev *dev, struct blk_req *req)
{
    req->dev = dev;
    req->complete = 0;
    req->status = 0;
    for (;;) {
        int r;
        switch (req->op) {
        case BLK_OP_READ:
            dev->reads++;
            r = dev->ops->read(dev->priv, req);
            break;
        case BLK_OP_WRITE:
            dev->writes++;
            r = dev->ops->write(dev->priv, req);
            break;
        case BLK_OP_FLUSH:
            dev->flushes++;
            if (!dev->ops->flush) {
                blk_complete(req, 0);
                return 0;
            }
            r = dev->ops->flush(dev->priv, req);
            break;
        default:
            return -EINVAL;
        }
        if (r != -EAGAIN || !dev->ops->poll)
            return r;
        dev->ops->poll(dev->priv);
    }
}

/* One synchronous backend transfer, no cache involved. */
static int raw_io(struct blk_dev *dev, uint32_t op, uint64_t lba,
                  uint32_t count, void *buf)
{
    struct blk_req req = {.op = op, .lba = lba, .count = count, .buf = buf};
    int r = start(dev, &req);
    if (r)
        return r;
    return blk_wait(dev, &req);
}

static struct blk_cache_line *lookup(struct blk_dev *dev, uint64_t lba)
{
    for (uint32_t i = 0; i < dev->nlines; i++) {
        struct blk_cache_line *l = &dev->lines[i];
        if (l->valid && l->lba == lba) {
            l->used = ++dev->tick;
            return l;
        }
    }
    return NULL;
}

/* A line to reuse: an invalid one, else the least recently used (written
 * back first if dirty).  NULL and *err set if the write-back failed. */
static struct blk_cache_line *victim(struct blk_dev *dev, int *err)
{
    struct blk_cache_line *best = NULL;
    for (uint32_t i = 0; i < dev->nlines; i++) {
        struct blk_cache_line *l = &dev->lines[i];
        if (!l->valid) {
            best = l;
            break;
        }
        if (!best || l->used < best->used)
            best = l;
    }
    if (best->valid && best->dirty) {
        int r = raw_io(dev, BLK_OP_WRITE, best->lba, 1, best->data);
        if (r) {
            *err = r;
            return NULL;
        }
        best->dirty = 0;
    }
    best->valid = 0;
    return best;
}

/* After a direct write: cached copies take the new data.  clean says the
 * backend already has it. */
static void update_lines(struct blk_dev *dev, uint64_t lba, uint32_t count,
                         const uint8_t *buf, int clean)
{
    for (uint32_t i = 0; i < dev->nlines; i++) {
        struct blk_cache_line *l = &dev->lines[i];
        if (l->valid && l->lba >= lba && l->lba - lba < count) {
            memcpy(l->data, buf + (l->lba - lba) * dev->sector_size,
                   dev->sector_size);
            if (clean)
                l->dirty = 0;
        }
    }
}

/* Writes back dirty lines in [lba, lba+count). */
static int writeback_range(struct blk_dev *dev, uint64_t lba, uint32_t count)
{
    for (uint32_t i = 0; i < dev->nlines; i++) {
        struct blk_cache_line *l = &dev->lines[i];
        if (l->valid && l->dirty && l->lba >= lba && l->lba - lba < count) {
            int r = raw_io(dev, BLK_OP_WRITE, l->lba, 1, l->data);
            if (r)
                return r;
            l->dirty = 0;
        }
    }
    return 0;
}

/*
 * Reads lba and the sectors after it (up to BLK_READAHEAD_SECTORS, stopping
 * at the first one already cached) in one request and caches them.
 */
static int fill(struct blk_dev *dev, uint64_t lba)
{
    uint32_t n = 1;
    while (n < BLK_READAHEAD_SECTORS && lba + n < dev->capacity &&
           n < dev->nlines / 2) {
        int cached = 0;
        for (uint32_t i = 0; i < dev->nlines; i++)
            if (dev->lines[i].valid && dev->lines[i].lba == lba + n)
                cached = 1;
        if (cached)
            break;
        n++;
    }
    int r = raw_io(dev, BLK_OP_READ, lba, n, dev->batch);
    if (r)
        return r;
    for (uint32_t k = 0; k < n; k++) {
        int err = 0;
        struct blk_cache_line *l = victim(dev, &err);
        if (!l)
            return k ? 0 : err;
        memcpy(l->data, dev->batch + (size_t)k * dev->sector_size,
               dev->sector_size);
        l->lba = lba + k;
        l->valid = 1;
        l->dirty = 0;
        /* the sector asked for is the most recent; the rest are older */
        l->used = k == 0 ? dev->tick + n : ++dev->tick;
    }
    dev->tick += n;
    return 0;
}

static int writeback_all(struct blk_dev *dev);

int blk_submit(struct blk_dev *dev, struct blk_req *req)
{
    if (req->op == BLK_OP_FLUSH) {
        int r = writeback_all(dev);
        if (r)
            return r;
        return start(dev, req);
    }
    if (req->op != BLK_OP_READ && req->op != BLK_OP_WRITE)
        return -EINVAL;
    if (!req->buf || req->count == 0)
        return -EINVAL;
    if (!in_range(dev, req->lba, req->count))
        return -ERANGE;
    if (req->op == BLK_OP_READ) {
        int r = writeback_range(dev, req->lba, req->count);
        if (r)
            return r;
    } else {
        update_lines(dev, req->lba, req->count, req->buf, 0);
    }
    return start(dev, req);
}

int blk_read(struct blk_dev *dev, uint64_t lba, uint32_t count, void *buf)
{
    uint8_t *p = buf;
    if (!buf)
        return -EINVAL;
    if (!in_range(dev, lba, count))
        return -ERANGE;
    if (count >= BLK_DIRECT_SECTORS) {
        int r = raw_io(dev, BLK_OP_READ, lba, count, buf);
        if (r)
            return r;
        /* cached sectors are at least as new as the disk */
        for (uint32_t i = 0; i < dev->nlines; i++) {
            struct blk_cache_line *l = &dev->lines[i];
            if (l->valid && l->lba >= lba && l->lba - lba < count)
                memcpy(p + (l->lba - lba) * dev->sector_size, l->data,
                       dev->sector_size);
        }
        return 0;
    }
    for (uint32_t i = 0; i < count; i++, p += dev->sector_size) {
        struct blk_cache_line *l = lookup(dev, lba + i);
        if (l) {
            dev->hits++;
        } else {
            dev->misses++;
            int r = fill(dev, lba + i);
            if (r)
                return r;
            l = lookup(dev, lba + i);
            if (!l)
                return -EIO; /* fill() caches the sector it was asked for */
        }
        memcpy(p, l->data, dev->sector_size);
    }
    return 0;
}

int blk_write(struct blk_dev *dev, uint64_t lba, uint32_t count,
              const void *buf)
{
    const uint8_t *p = buf;
    if (!buf)
        return -EINVAL;
    if (!in_range(dev, lba, count))
        return -ERANGE;
    if (count >= BLK_DIRECT_SECTORS) {
        int r = raw_io(dev, BLK_OP_WRITE, lba, count, (void *)buf);
        if (r)
            return r;
        update_lines(dev, lba, count, p, 1);
        return 0;
    }
    for (uint32_t i = 0; i < count; i++, p += dev->sector_size) {
        struct blk_cache_line *l = lookup(dev, lba + i);
        if (!l) {
            int err = 0;
            l = victim(dev, &err);
            if (!l)
                return err;
            l->lba = lba + i;
            l->valid = 1;
            l->used = ++dev->tick;
        }
        memcpy(l->data, p, dev->sector_size);
        l->dirty = 1;
    }
    return 0;
}

/* Every dirty line, in ascending LBA order (kinder to the device), runs of
 * consecutive sectors in one request. */
static int writeback_all(struct blk_dev *dev)
{
    for (;;) {
        struct blk_cache_line *next = NULL;
        for (uint32_t i = 0; i < dev->nlines; i++) {
            struct blk_cache_line *l = &dev->lines[i];
            if (l->valid && l->dirty && (!next || l->lba < next->lba))
                next = l;
        }
        if (!next)
            break;
        struct blk_cache_line *run[BLK_BATCH_SECTORS];
        uint32_t n = 0;
        run[n++] = next;
        while (n < BLK_BATCH_SECTORS) {
            struct blk_cache_line *f = NULL;
            for (uint32_t i = 0; i < dev->nlines && !f; i++) {
                struct blk_cache_line *l = &dev->lines[i];
                if (l->valid && l->dirty && l->lba == next->lba + n)
                    f = l;
            }
            if (!f)
                break;
            run[n++] = f;
        }
        for (uint32_t k = 0; k < n; k++)
            memcpy(dev->batch + (size_t)k * dev->sector_size, run[k]->data,
                   dev->sector_size);
        int r = raw_io(dev, BLK_OP_WRITE, next->lba, n, dev->batch);
        if (r)
            return r;
        for (uint32_t k = 0; k < n; k++)
            run[k]->dirty = 0;
    }
    return 0;
}

int blk_flush(struct blk_dev *dev)
{
    int r = writeback_all(dev);
    if (r)
        return r;
    return raw_io(dev, BLK_OP_FLUSH, 0, 0, NULL);
}

void blk_invalidate(struct blk_dev *dev)
{
    for (uint32_t i = 0; i < dev->nlines; i++)
        dev->lines[i].valid = dev->lines[i].dirty = 0;
}

/* --- RAM disk ------------------------------------------------------------ */

static int mem_rw(void *priv, struct blk_req *req)
{
    struct blk_mem *m = priv;
    if (req->lba >= m->sectors || req->count > m->sectors - req->lba) {
        blk_complete(req, -EIO);
        return 0;
    }
    uint8_t *p = m->data + req->lba * m->sector_size;
    size_t n = (size_t)req->count * m->sector_size;
    if (req->op == BLK_OP_READ)
        memcpy(req->buf, p, n);
    else
        memcpy(p, req->buf, n);
    blk_complete(req, 0);
    return 0;
}

static int mem_flush(void *priv, struct blk_req *req)
{
    struct blk_mem *m = priv;
    m->flushes++;
    blk_complete(req, 0);
    return 0;
}

static uint64_t mem_capacity(void *priv)
{
    return ((struct blk_mem *)priv)->sectors;
}

const struct blk_ops blk_mem_ops = {
    .read = mem_rw,
    .write = mem_rw,
    .flush = mem_flush,
    .capacity = mem_capacity,
};
