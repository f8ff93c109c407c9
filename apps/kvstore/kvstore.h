/* Interfaces between the files of the kvstore appliance. */
#ifndef APPS_KVSTORE_KVSTORE_H
#define APPS_KVSTORE_KVSTORE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "apps/kvstore/kv.h"

/* Where a command's answer goes: the console, or a TCP connection. */
struct reply {
    void (*write)(void *ctx, const char *s, size_t n);
    void *ctx;
};

/* Formats one answer into out. */
void say_line(const struct reply *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Runs one command line (put/get/del/list/count/compact/stats/quit);
 * answers through out.  Returns 1 after "quit", else 0. */
int kvstore_command(struct kv *kv, char *line, const struct reply *out);

/* Listens for command connections on port.  Returns 0, -ENOMEM or
 * -EADDRINUSE. */
int kvstore_tcp_start(struct kv *kv, uint16_t port);

#endif /* APPS_KVSTORE_KVSTORE_H */
