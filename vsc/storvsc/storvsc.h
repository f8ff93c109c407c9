/*
 * storvsc: the guest's SCSI controller client over VMBus (VSTOR,
 * proto/vstor.h), and a block-layer backend (storage/blk.h) per disk.
 *
 * Usage: storvsc_create() before vmbus_connect() (it registers the driver;
 * probe opens the channel), storvsc_start() after it (the VSTOR handshake:
 * version 6.2, 6.0, 5.1, 4.2, 2.0 tried in turn, properties), then
 * storvsc_disk_open() per LUN and blk_init(&dev, &storvsc_blk_ops, disk,
 * storvsc_disk_sector_size(disk), 0).
 *
 * Commands are asynchronous: up to STORVSC_MAX_INFLIGHT at once, each
 * identified to the host by a transaction id that names its slot and the
 * slot's generation; a reply whose id names no outstanding request, that
 * comes on another channel than its request, or whose lengths or fields
 * are out of bounds, is counted and dropped.  A command that outlives its
 * timeout completes with -ETIMEDOUT and its slot stays reserved until the
 * host answers (its memory may still be written); the first timeout also
 * sends RESET_BUS.  Data moves in GPA-direct packets (one range, the
 * buffer's page list); with cfg.bounce it is staged in pages from the
 * platform's allocator instead (for host tests, whose buffers are not
 * "guest memory").  Single-threaded, like vmbus/.
 */
#ifndef VSC_STORVSC_STORVSC_H
#define VSC_STORVSC_STORVSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/blk.h"
#include "vmbus/vmbus.h"

#define STORVSC_MAX_INFLIGHT 256u
#define STORVSC_MAX_TRANSFER (256u * 1024u) /* our ceiling per command */
#define STORVSC_RING_BYTES (128u * 1024u)
#define STORVSC_TIMEOUT_NS 30000000000ull
#define STORVSC_MAX_CHANNELS 5u /* the primary and up to 4 sub-channels */

struct storvsc;
struct storvsc_disk;

struct storvsc_config {
    struct vmbus_platform plat; /* wait, now_ns, log, pages; copied */
    uint32_t ring_bytes;        /* each direction; 0 = STORVSC_RING_BYTES */
    uint64_t timeout_ns;        /* per command; 0 = STORVSC_TIMEOUT_NS */
    uint16_t max_version;       /* 0 = VSTOR_VERSION_WIN10 */
    bool bounce;                /* stage data in platform pages */
    /* Sub-channels to ask for when the host offers multi-channel (VSTOR
     * 5.1+), at most STORVSC_MAX_CHANNELS - 1 and the host's maximum.
     * 0, the default, asks for none: sub-channels are per-vCPU queues
     * (Linux asks for one per vCPU beyond the first) and cost the single
     * vCPU here exits, one signal per channel per burst. */
    uint32_t subchannels;
};

/* Registers the driver on vb.  NULL on no memory. */
struct storvsc *storvsc_create(struct vmbus *vb,
                               const struct storvsc_config *cfg);
/* Closes the channel and frees everything (no command may be pending). */
void storvsc_destroy(struct storvsc *s);

/*
 * The handshake (BEGIN_INITIALIZATION, versions, QUERY_PROPERTIES,
 * END_INITIALIZATION), then, if the host offers multi-channel, the
 * sub-channels of cfg.subchannels: CREATE_SUB_CHANNELS, wait for their
 * offers, open them (a refusal or a missing offer leaves fewer channels,
 * not an error).  Commands then go round-robin over the open channels
 * (past one whose ring is full or
 * that the host has rescinded) and each reply is taken only on the
 * channel its request went out on.  Returns 0, -ENODEV (no SCSI controller
 * offered), -EPROTONOSUPPORT (the host accepted none of our versions),
 * -ETIMEDOUT, -EIO (a failed status or a malformed reply).
 */
int storvsc_start(struct storvsc *s);
uint16_t storvsc_version(const struct storvsc *s);
/* Bytes per command: the host's max_transfer_bytes, capped by ours. */
uint32_t storvsc_max_transfer(const struct storvsc *s);

/* Direction of a command's data. */
#define STORVSC_DIR_NONE 0u
#define STORVSC_DIR_IN 1u  /* device to memory */
#define STORVSC_DIR_OUT 2u /* memory to device */

struct storvsc_cmd;
typedef void (*storvsc_done_fn)(struct storvsc_cmd *c);

/*
 * One SCSI command.  The caller fills lun, cdb, cdb_len, dir, buf, len
 * (len <= storvsc_max_transfer()) and optionally done/ctx; the rest is
 * written at completion.  status: 0 (GOOD), -EIO (CHECK CONDITION: see
 * sense, or a host failure), -EBUSY (BUSY, TASK SET FULL, SRB busy),
 * -ENODEV (no such LUN or device), -EINVAL (the host refused the request),
 * -ECANCELED (aborted, bus reset), -ETIMEDOUT, -EPROTO (malformed reply).
 */
struct storvsc_cmd {
    uint8_t lun;
    uint8_t cdb_len;
    uint8_t dir; /* STORVSC_DIR_* */
    uint8_t cdb[16];
    void *buf;
    uint32_t len;
    storvsc_done_fn done;
    void *ctx;
    /* results */
    int status;
    uint8_t srb_status, scsi_status;
    uint8_t sense_len;
    uint8_t sense[20];
    uint32_t transferred; /* bytes the host reports moved */
    volatile int complete;
};

/*
 * Sends c.  Returns 0 (done() follows, from storvsc_poll() or a VMBus
 * callback), -EAGAIN (every slot busy or the ring full: poll and retry),
 * -EINVAL (bad cdb_len/len/dir), -ENOTCONN (not started).
 */
int storvsc_submit(struct storvsc *s, struct storvsc_cmd *c);
/*
 * Queues c in the ring like storvsc_submit() without telling the host yet:
 * a burst of storvsc_queue() calls followed by one storvsc_flush() costs
 * the host at most one signal.  storvsc_wait(), storvsc_exec() and the
 * block backend flush too.  Returns as storvsc_submit().
 */
int storvsc_queue(struct storvsc *s, struct storvsc_cmd *c);
/* Publishes queued commands; signals the host if it needs it. */
void storvsc_flush(struct storvsc *s);
/* storvsc_submit() and wait; returns c->status (or the submit error). */
int storvsc_exec(struct storvsc *s, struct storvsc_cmd *c);
/* Expires timed-out commands; never blocks. */
void storvsc_poll(struct storvsc *s);
/* Flushes, waits (platform wait) until something happens or deadline,
 * then polls. */
void storvsc_wait(struct storvsc *s, uint64_t deadline_ns);
/* Returns true once after the host asked for a rescan (ENUMERATE_BUS). */
bool storvsc_take_rescan(struct storvsc *s);

/* Sense data, fixed (0x70/0x71) or descriptor (0x72/0x73) format. */
struct storvsc_sense {
    uint8_t key, asc, ascq;
};
/* 0 and *out, or -EINVAL for data that is not sense data. */
int storvsc_sense_decode(const uint8_t *sense, uint32_t len,
                         struct storvsc_sense *out);

/*
 * Opens the disk at lun: TEST UNIT READY (past a unit attention), INQUIRY
 * (a direct-access device), READ CAPACITY (16 when 10 overflows).  Returns
 * 0 and *out, -ENODEV (no disk there), -EOPNOTSUPP (block size not 512 or
 * 4096), -ENOMEM, or a command's error.
 */
int storvsc_disk_open(struct storvsc *s, uint8_t lun,
                      struct storvsc_disk **out);
void storvsc_disk_close(struct storvsc_disk *d);
uint64_t storvsc_disk_sectors(const struct storvsc_disk *d);
uint32_t storvsc_disk_sector_size(const struct storvsc_disk *d);

/* Block backend; priv is a struct storvsc_disk.  Large requests are split
 * at storvsc_max_transfer(); flush is SYNCHRONIZE CACHE(10). */
extern const struct blk_ops storvsc_blk_ops;

struct storvsc_stats {
    uint64_t commands, completions;
    uint64_t timeouts, resets, rescans;
    uint64_t bad_replies; /* dropped: unknown id, bad length or field */
    uint64_t check_conditions;
    uint32_t in_flight, max_in_flight;
    /* commands sent per channel: [0] the primary, [k] the k-th open
     * sub-channel place */
    uint64_t chan_commands[STORVSC_MAX_CHANNELS];
};
const struct storvsc_stats *storvsc_get_stats(const struct storvsc *s);
/* Open channels: 1 (the primary) + sub-channels; 0 before probe. */
uint32_t storvsc_channels(const struct storvsc *s);

#endif /* VSC_STORVSC_STORVSC_H */
