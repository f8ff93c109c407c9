/*
 * Block layer: one interface between the filesystem and whatever holds the
 * sectors (storvsc, a RAM disk, a host file in the tests).
 *
 * A backend fills struct blk_ops and hands it to blk_init().  Requests are
 * asynchronous: a backend starts one in read/write/flush and later calls
 * blk_complete() exactly once; it may do so before its start function
 * returns.  The synchronous calls below (blk_read, blk_write, blk_flush)
 * wait by calling the backend's poll hook until the request is complete.
 *
 * Above the backend sits a small write-back cache of single sectors:
 * transfers shorter than BLK_DIRECT_SECTORS go through it (a miss reads
 * ahead), longer ones go straight to the backend and keep the cached copies
 * coherent.  Dirty sectors reach the backend on eviction and on
 * blk_flush() (runs of consecutive sectors in one request, in ascending
 * order), which then asks the backend to make everything durable
 * (SYNCHRONIZE CACHE on storvsc).
 *
 * Every request is checked against the capacity: nothing is read or
 * written outside [0, capacity).
 */
#ifndef STORAGE_BLK_H
#define STORAGE_BLK_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/* The error every storage module returns for on-disk structures that make
 * no sense (a corrupt volume). */
#ifdef EUCLEAN
#define STORAGE_ECORRUPT EUCLEAN
#else
#define STORAGE_ECORRUPT EBADMSG
#endif

#define BLK_OP_READ 1
#define BLK_OP_WRITE 2
#define BLK_OP_FLUSH 3

struct blk_dev;
struct blk_req;

typedef void (*blk_done_fn)(struct blk_req *req);

/*
 * One request.  The submitter fills op, lba, count, buf and optionally done
 * and ctx; the block layer owns the rest until completion.  count and lba
 * are in sectors of the device; buf holds count * sector_size bytes (unused
 * for BLK_OP_FLUSH).  status is 0 or a negative errno once complete.
 */
struct blk_req {
    uint32_t op; /* BLK_OP_* */
    uint32_t count;
    uint64_t lba;
    void *buf;
    blk_done_fn done; /* NULL: nobody is called, poll ->complete */
    void *ctx;        /* for the submitter */
    int status;
    volatile int complete; /* set by blk_complete(), after status */
    struct blk_dev *dev;
    void *backend_priv; /* free for the backend while in flight */
};

/*
 * Backend operations.  read, write and flush start a request and return 0
 * (blk_complete() follows, possibly already done), or a negative errno
 * when the request could not be started (-EAGAIN: queue full, try after
 * a poll; others are final).  capacity is in sectors and must not change
 * while the device is in use.  poll drives completions (process the ring,
 * wait for an interrupt); it may be NULL only for a backend that completes
 * every request before its start function returns.
 */
struct blk_ops {
    int (*read)(void *priv, struct blk_req *req);
    int (*write)(void *priv, struct blk_req *req);
    int (*flush)(void *priv, struct blk_req *req);
    uint64_t (*capacity)(void *priv);
    void (*poll)(void *priv);
};

/* Cache lines (sectors) blk_init() allocates when given 0. */
#define BLK_CACHE_DEFAULT 128
/* Transfers of at least this many sectors bypass the cache. */
#define BLK_DIRECT_SECTORS 8
/* A cache miss reads up to this many sectors ahead in the same request;
 * write-back sends up to BLK_BATCH_SECTORS consecutive dirty sectors in
 * one request. */
#define BLK_READAHEAD_SECTORS 8
#define BLK_BATCH_SECTORS 32

struct blk_cache_line;

struct blk_dev {
    const struct blk_ops *ops;
    void *priv;
    uint32_t sector_size; /* 512 or 4096 */
    uint64_t capacity;    /* sectors */
    /* cache */
    struct blk_cache_line *lines;
    uint8_t *cache_mem;
    uint8_t *batch; /* BLK_BATCH_SECTORS sectors for readahead/write-back */
    uint32_t nlines;
    uint64_t tick; /* LRU clock */
    /* statistics */
    uint64_t reads, writes, flushes, hits, misses;
};

/*
 * Sets up dev over a backend.  sector_size must be a power of two in
 * 512..4096; cache_lines 0 selects BLK_CACHE_DEFAULT.
 * Returns 0, -EINVAL (bad sector size, no ops), -ENOMEM.
 */
int blk_init(struct blk_dev *dev, const struct blk_ops *ops, void *priv,
             uint32_t sector_size, uint32_t cache_lines);
/* Writes back dirty sectors (errors ignored) and frees the cache. */
void blk_fini(struct blk_dev *dev);

/*
 * Starts req without the cache (dirty cached sectors in the range are
 * written back first for a read; cached copies are updated for a write).
 * Returns 0 (completion follows), -EINVAL (bad op, count 0), -ERANGE (past
 * the capacity), or the backend's refusal.
 */
int blk_submit(struct blk_dev *dev, struct blk_req *req);
/* Called by a backend, once per request, with 0 or a negative errno. */
void blk_complete(struct blk_req *req, int status);
/* Polls until req is complete; returns req->status. */
int blk_wait(struct blk_dev *dev, struct blk_req *req);

/*
 * Synchronous sector transfers through the cache.  Return 0, -ERANGE
 * (outside the device), -EINVAL, or the backend's error (-EIO, ...).
 */
int blk_read(struct blk_dev *dev, uint64_t lba, uint32_t count, void *buf);
int blk_write(struct blk_dev *dev, uint64_t lba, uint32_t count,
              const void *buf);
/* Writes every dirty sector back, then flushes the backend's cache.
 * Returns 0 or the first error. */
int blk_flush(struct blk_dev *dev);
/* Forgets cached sectors without writing them (after a backend reset). */
void blk_invalidate(struct blk_dev *dev);

/* A RAM disk backend over caller memory (size = sectors * sector_size). */
struct blk_mem {
    uint8_t *data;
    uint64_t sectors;
    uint32_t sector_size;
    uint64_t flushes; /* counted, for tests */
};
extern const struct blk_ops blk_mem_ops;

#endif /* STORAGE_BLK_H */
