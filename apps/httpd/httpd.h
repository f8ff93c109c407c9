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
/* Closes the listener and aborts open connections. */
void httpd_stop(void);
const struct httpd_stats *httpd_get_stats(void);

#endif /* APPS_HTTPD_HTTPD_H */
