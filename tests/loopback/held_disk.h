/*
 * A storvsp backend for the loopback tests: a RAM disk (storvsp_mem) that
 * can hold I/O back until the test releases it, to keep requests in
 * service (queue depth, aborts, rescinds with I/O in flight).
 */
#ifndef TESTS_LOOPBACK_HELD_DISK_H
#define TESTS_LOOPBACK_HELD_DISK_H

#include "root/vsp/storvsp/storvsp.h"

#define HELD_DISK_MAX 512u

struct held_disk {
    struct storvsp_mem *mem;
    struct storvsp_io *ios[HELD_DISK_MAX]; /* held, oldest first */
    unsigned n;
    int hold; /* while set, I/O is held (past HELD_DISK_MAX it runs) */
};

/* ctx = a struct held_disk. */
extern const struct storvsp_backend_ops held_disk_ops;

/* Clears hold and runs what was held, oldest first. */
void held_disk_release(struct held_disk *h);

#endif /* TESTS_LOOPBACK_HELD_DISK_H */
