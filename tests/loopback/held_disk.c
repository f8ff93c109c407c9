/* A RAM disk backend that can hold I/O; see held_disk.h. */
#include "tests/loopback/held_disk.h"

static int start(void *ctx, struct storvsp_io *io)
{
    struct held_disk *h = ctx;
    if (h->hold && h->n < HELD_DISK_MAX) {
        h->ios[h->n++] = io;
        return 0;
    }
    switch (io->op) {
    case STORVSP_IO_READ:
        return storvsp_mem_ops.read(h->mem, io);
    case STORVSP_IO_WRITE:
        return storvsp_mem_ops.write(h->mem, io);
    case STORVSP_IO_FLUSH:
        return storvsp_mem_ops.flush(h->mem, io);
    default:
        return storvsp_mem_ops.unmap(h->mem, io);
    }
}

static uint64_t capacity(void *ctx)
{
    return ((struct held_disk *)ctx)->mem->sectors;
}

const struct storvsp_backend_ops held_disk_ops = {
    .read = start,
    .write = start,
    .flush = start,
    .unmap = start,
    .capacity = capacity,
};

void held_disk_release(struct held_disk *h)
{
    h->hold = 0;
    for (unsigned i = 0; i < h->n; i++)
        start(h, h->ios[i]);
    h->n = 0;
}
