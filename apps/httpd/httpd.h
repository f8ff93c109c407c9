/*
 * The httpd appliance's HTTP server on lwIP's raw TCP API: static files
 * from a table, GET and HEAD, 404/405/400/413/431/505, HTTP/1.1
 * keep-alive with pipelining, idle connections closed after a timeout.
 * Runs in the lwIP thread (the main loop); no blocking.
 */
#ifndef APPS_HTTPD_HTTPD_H
#define APPS_HTTPD_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "apps/httpd/http.h"

#define HTTPD_MAX_CONNS 32u
#define HTTPD_IDLE_SECONDS 30u

struct httpd_stats {
    uint64_t connections, requests, responses_200, responses_404;
    uint64_t responses_error, bytes_sent;
    uint32_t open_conns;
};

/*
 * Listens on port (all addresses) and serves files (kept by pointer; the
 * data must stay valid while the server runs).  Returns 0, -EADDRINUSE,
 * -ENOMEM, -EALREADY.
 */
int httpd_start(uint16_t port, const struct http_file *files, size_t nfiles);
/*
 * A document root on a file system (the FAT volume through storage/vfs.h
 * in the appliance, an in-memory double in tests).  Paths are absolute,
 * decoded and free of ".." segments.
 */
struct httpd_fs {
    void *ctx;
    /* Opens a regular file: a handle >= 0 and *size, or -ENOENT, -EISDIR
     * (a directory: the server redirects to or lists "path/"), other
     * negative errno values (answered with 404). */
    int (*open)(void *ctx, const char *path, uint64_t *size);
    /* Reads up to len bytes at off: the count, or a negative errno. */
    int (*read)(void *ctx, int handle, uint64_t off, void *buf, uint32_t len);
    void (*close)(void *ctx, int handle);
    /* Optional: an HTML listing of directory dir ("/.../") into out; its
     * length or a negative errno (-ENOENT: no such directory). */
    int (*list)(void *ctx, const char *dir, char *out, size_t cap);
};

/*
 * Like httpd_start(), serving from fs (copied).  Directories get their
 * index.html, else fs->list's listing, else 404.  A read error after the
 * head was sent closes the connection.
 */
int httpd_start_fs(uint16_t port, const struct httpd_fs *fs);

/* Closes the listener and aborts open connections. */
void httpd_stop(void);
const struct httpd_stats *httpd_get_stats(void);

/*
 * Discard service (RFC 863) for upload measurements: counts and drops
 * what each connection sends.  Returns 0, -ENOMEM or -EADDRINUSE.
 */
int discard_start(uint16_t port);
/* Bytes the discard service has received so far. */
uint64_t discard_received(void);

#endif /* APPS_HTTPD_HTTPD_H */
