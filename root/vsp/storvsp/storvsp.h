/*
 * storvsp: the root's SCSI controller VSP.  One VMBus channel (the SCSI
 * class) plus the sub-channels a guest asks for with CREATE_SUB_CHANNELS
 * (VSTOR 5.1+, after QUERY_PROPERTIES, once per handshake, up to
 * cfg.max_subchannels; requests are taken on every open channel and each
 * is answered on the channel it came on), VSTOR 2.0 to 6.2
 * (proto/vstor.h), up to STORVSP_MAX_LUNS disks,
 * each over an abstract block backend; the commands of proto/scsi.h are
 * answered here and reads, writes, flushes and unmaps go to the backend,
 * asynchronously: a request is completed to the guest only when its
 * backend I/O has completed (a write only after the device accepted it).
 *
 * Usage: storvsp_create() offers the controller on a VMBus server;
 * storvsp_add_disk() attaches a backend at a LUN (after the guest has
 * initialised, as a hot add that tells the guest to rescan);
 * storvsp_poll() from the root's loop retries completions the guest's full
 * ring held back.  Every guest value (packet lengths, page lists, CDB
 * fields, UNMAP lists) is validated: a bad request gets an error status,
 * never a crash, and never a backend access outside the disk.
 */
#ifndef ROOT_VSP_STORVSP_STORVSP_H
#define ROOT_VSP_STORVSP_STORVSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/vmbus.h"
#include "root/vmbus/server.h"

#define STORVSP_SECTOR 512u
#define STORVSP_MAX_LUNS 8u
#define STORVSP_MAX_TRANSFER (256u * 1024u) /* default max_transfer_bytes */
#define STORVSP_QUEUE_DEPTH 256u            /* default requests in service */
#define STORVSP_MAX_SEGS (STORVSP_MAX_TRANSFER / 4096u + 1u)
#define STORVSP_MAX_SUBCHANNELS 4u /* default max_sub_channels offered */

#define STORVSP_IO_READ 1u
#define STORVSP_IO_WRITE 2u
#define STORVSP_IO_FLUSH 3u
#define STORVSP_IO_UNMAP 4u /* deallocate; reads return zeros after */

/* A piece of the data buffer (guest memory mapped for the root). */
struct storvsp_seg {
    void *p;
    uint32_t len;
};

/*
 * One backend request.  READ/WRITE move count sectors from lba through
 * segs (their lengths add up to count * 512); UNMAP uses lba and count;
 * FLUSH neither.  fua asks a WRITE to be durable before completion.
 */
struct storvsp_io {
    uint32_t op; /* STORVSP_IO_* */
    uint32_t count;
    uint64_t lba;
    const struct storvsp_seg *segs;
    uint32_t nsegs;
    uint8_t fua;
    void *backend_priv; /* free for the backend */
    void *owner;        /* storvsp's; do not touch */
};

/*
 * Backend: each start function returns 0 and later calls storvsp_io_done()
 * exactly once (possibly before returning), or returns a negative errno
 * without calling it.  The range is always inside [0, capacity).  flush
 * may be NULL (no volatile cache); unmap may be NULL (UNMAP and WRITE SAME
 * with the unmap bit are then refused / written as data).
 */
struct storvsp_backend_ops {
    int (*read)(void *ctx, struct storvsp_io *io);
    int (*write)(void *ctx, struct storvsp_io *io);
    int (*flush)(void *ctx, struct storvsp_io *io);
    int (*unmap)(void *ctx, struct storvsp_io *io);
    uint64_t (*capacity)(void *ctx); /* sectors of 512 bytes */
};
/* status: 0 or a negative errno (-EIO: medium error). */
void storvsp_io_done(struct storvsp_io *io, int status);

struct storvsp_config {
    uint32_t max_transfer_bytes; /* 0 = STORVSP_MAX_TRANSFER (the most) */
    uint32_t queue_depth;        /* 0 = STORVSP_QUEUE_DEPTH */
    uint16_t max_version;        /* 0 = VSTOR_VERSION_WIN10 */
    /* Sub-channels a guest may ask for (QUERY_PROPERTIES' max_sub_channels
     * and the multi-channel flag, VSTOR 5.1+): 0 = STORVSP_MAX_SUBCHANNELS,
     * -1 = none (no multi-channel), else 1..STORVSP_MAX_SUBCHANNELS. */
    int32_t max_subchannels;
    struct vmbus_guid instance; /* all zero: a fixed default */
};

struct storvsp;

/* Offers the controller.  NULL on bad config or no memory. */
struct storvsp *storvsp_create(struct vmbus_server *srv,
                               const struct storvsp_config *cfg);
/* Rescinds the channel and frees everything; backend I/O must be idle. */
void storvsp_destroy(struct storvsp *s);

/*
 * Attaches a disk at lun (< STORVSP_MAX_LUNS).  serial (<= 20 characters,
 * may be NULL) shows in VPD page 0x80.  If the guest has finished
 * initialising, it is told to rescan (ENUMERATE_BUS).  Returns 0, -EEXIST,
 * -EINVAL (lun, ops, zero capacity).
 */
int storvsp_add_disk(struct storvsp *s, uint8_t lun,
                     const struct storvsp_backend_ops *ops, void *ctx,
                     const char *serial);
/* Detaches lun; rescan as above.  Returns 0, -ENOENT, or -EBUSY while
 * requests for it are in service. */
int storvsp_remove_disk(struct storvsp *s, uint8_t lun);

/* Retries held-back completions and resumes a stalled ring. */
void storvsp_poll(struct storvsp *s);

struct storvsp_stats {
    uint16_t version; /* negotiated, 0 before */
    bool ready;       /* END_INITIALIZATION done */
    uint64_t packets; /* received */
    uint64_t srbs;    /* EXECUTE_SRB received */
    uint64_t check_conditions;
    uint64_t bad_packets; /* malformed, answered or dropped */
    uint64_t backend_errors;
    uint32_t in_flight, max_in_flight;
    uint64_t held_completions; /* ring full at completion time */
    uint16_t subchannels;      /* live sub-channels made for the guest */
};
const struct storvsp_stats *storvsp_get_stats(const struct storvsp *s);

/* A RAM disk backend over caller memory (sectors * 512 bytes); unmap
 * zeroes.  flushes counts flush requests. */
struct storvsp_mem {
    uint8_t *data;
    uint64_t sectors;
    uint64_t flushes, unmaps;
    int fail_next; /* tests: the next I/O fails with -EIO */
};
extern const struct storvsp_backend_ops storvsp_mem_ops;

#endif /* ROOT_VSP_STORVSP_STORVSP_H */
