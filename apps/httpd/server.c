/*
 * HTTP server on lwIP's raw TCP API (contract in apps/httpd/httpd.h).
 *
 * One struct conn per connection.  A response is a copied head plus a body:
 * a table file written by reference (its data is static), a generated
 * listing copied, or a file-system file read in chunks and copied.  The
 * body is queued as far as the send buffer allows and continued from the
 * sent callback; the next pipelined request is parsed only when the
 * previous response is fully queued.
 */
#include "apps/httpd/httpd.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/tcp.h"
#include "net/listen.h"

#define POLL_INTERVAL 4 /* lwIP poll ticks (500 ms each): 2 s */
#define LISTING_MAX 16384u
#define CHUNK 8192u /* file read size */

struct conn {
    struct tcp_pcb *pcb;
    char req[HTTP_MAX_HEADER];
    size_t req_len;
    char head[320];
    size_t head_len; /* 0 when written */
    const uint8_t *body;
    size_t body_left;
    char *owned;    /* generated body (listing), freed when queued */
    bool copy_body; /* body is not static: lwIP must copy it */
    int fh;         /* file being sent (fs mode), or -1 */
    uint64_t foff, fleft;
    bool busy;        /* a response is being queued */
    bool close_after; /* close once the response is queued */
    unsigned idle_polls;
};

static struct {
    struct tcp_pcb *listener;
    const struct http_file *files;
    size_t nfiles;
    struct httpd_fs fs;
    bool use_fs;
    uint8_t chunk[CHUNK];
    struct conn *conns[HTTPD_MAX_CONNS];
    struct httpd_stats stats;
} srv;

static const char body_404[] = "<!DOCTYPE html>\n<title>404</title>\n"
                               "<h1>404 Not Found</h1>\n";
static const char body_err[] = "error\n";

static void file_done(struct conn *c)
{
    if (c->fh >= 0)
        srv.fs.close(srv.fs.ctx, c->fh);
    c->fh = -1;
    c->fleft = 0;
}

static void conn_free(struct conn *c)
{
    file_done(c);
    free(c->owned);
    for (size_t i = 0; i < HTTPD_MAX_CONNS; i++)
        if (srv.conns[i] == c)
            srv.conns[i] = NULL;
    srv.stats.open_conns--;
    free(c);
}

/* Set when conn_close() had to abort: the callback must return ERR_ABRT. */
static bool aborted;

static void conn_close(struct conn *c)
{
    struct tcp_pcb *pcb = c->pcb;
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
    conn_free(c);
    if (tcp_close(pcb) != ERR_OK) {
        tcp_abort(pcb);
        aborted = true;
    }
}

static err_t cb_result(void)
{
    bool a = aborted;
    aborted = false;
    return a ? ERR_ABRT : ERR_OK;
}

static void process(struct conn *c);

/* Queues as much of the response as fits; returns false if c was closed. */
static bool pump(struct conn *c)
{
    struct tcp_pcb *pcb = c->pcb;

    if (c->head_len) {
        if (tcp_sndbuf(pcb) < c->head_len)
            return true;
        if (tcp_write(pcb, c->head, (u16_t)c->head_len,
                      TCP_WRITE_FLAG_COPY |
                          (c->body_left ? TCP_WRITE_FLAG_MORE : 0)) != ERR_OK)
            return true;
        srv.stats.bytes_sent += c->head_len;
        c->head_len = 0;
    }
    while (c->body_left) {
        size_t room = tcp_sndbuf(pcb);
        if (room == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 2)
            break;
        size_t n = c->body_left < room ? c->body_left : room;
        if (n > 0xffff)
            n = 0xffff;
        u8_t flags = (n < c->body_left ? TCP_WRITE_FLAG_MORE : 0) |
                     (c->copy_body ? TCP_WRITE_FLAG_COPY : 0);
        if (tcp_write(pcb, c->body, (u16_t)n, flags) != ERR_OK)
            break;
        c->body += n;
        c->body_left -= n;
        srv.stats.bytes_sent += n;
    }
    while (!c->body_left && c->fleft) {
        size_t room = tcp_sndbuf(pcb);
        if (room < (c->fleft < CHUNK ? c->fleft : CHUNK) ||
            tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 8)
            break;
        uint32_t n = c->fleft < CHUNK ? (uint32_t)c->fleft : CHUNK;
        int got = srv.fs.read(srv.fs.ctx, c->fh, c->foff, srv.chunk, n);
        if (got <= 0) {
            /* The head promised more: the client must see a short body. */
            file_done(c);
            conn_close(c);
            return false;
        }
        u8_t flags = TCP_WRITE_FLAG_COPY |
                     ((uint64_t)got < c->fleft ? TCP_WRITE_FLAG_MORE : 0);
        if (tcp_write(pcb, srv.chunk, (u16_t)got, flags) != ERR_OK)
            break; /* read again later; the offset has not moved */
        c->foff += (uint32_t)got;
        c->fleft -= (uint32_t)got;
        srv.stats.bytes_sent += (uint32_t)got;
    }
    tcp_output(pcb);
    if (c->head_len || c->body_left || c->fleft)
        return true;
    file_done(c);
    c->busy = false;
    free(c->owned);
    c->owned = NULL;
    if (c->close_after) {
        conn_close(c);
        return false;
    }
    return true;
}

static void respond(struct conn *c, int status, const char *ctype,
                    const void *body, size_t len, bool send_body,
                    bool keep_alive, const char *location)
{
    int n = http_response_head(c->head, sizeof(c->head), status, ctype, len,
                               keep_alive, location);
    if (n < 0) {
        n = http_response_head(c->head, sizeof(c->head), 500, "text/plain", 0,
                               false, NULL);
        len = 0;
        keep_alive = false;
    }
    c->head_len = (size_t)n;
    c->body = body;
    c->body_left = send_body ? len : 0;
    c->copy_body = c->owned != NULL;
    c->busy = true;
    c->close_after = !keep_alive;
    if (status == 200)
        srv.stats.responses_200++;
    else if (status == 404)
        srv.stats.responses_404++;
    else
        srv.stats.responses_error++;
}

static void error_response(struct conn *c, int status)
{
    respond(c, status, "text/plain; charset=utf-8", body_err,
            sizeof(body_err) - 1, true, false, NULL);
    c->req_len = 0; /* the rest of the stream is not trusted */
}

/* Characters a redirect target may hold without encoding. */
static bool plain_path(const char *p)
{
    for (; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || strchr("-._~/", *p)))
            return false;
    return true;
}

static void redirect_to_dir(struct conn *c, const struct http_request *r)
{
    char loc[HTTP_MAX_PATH + 1];
    size_t len = strlen(r->path);
    memcpy(loc, r->path, len);
    loc[len] = '/';
    loc[len + 1] = '\0';
    respond(c, 301, "text/plain; charset=utf-8", body_err, 0,
            r->method == HTTP_GET, r->keep_alive, loc);
}

static void not_found(struct conn *c, const struct http_request *r)
{
    respond(c, 404, "text/html; charset=utf-8", body_404, sizeof(body_404) - 1,
            r->method == HTTP_GET, r->keep_alive, NULL);
}

/* fs mode: a file (or dir/index.html), a listing, a redirect, or 404. */
static void answer_fs(struct conn *c, const struct http_request *r)
{
    bool body = r->method == HTTP_GET;
    size_t len = strlen(r->path);
    bool dir = r->path[len - 1] == '/';
    char path[HTTP_MAX_PATH + 16];
    memcpy(path, r->path, len + 1);
    if (dir)
        memcpy(path + len, "index.html", sizeof("index.html"));

    uint64_t size = 0;
    int h = srv.fs.open(srv.fs.ctx, path, &size);
    if (h >= 0) {
        /* The head carries the size; the body comes from the file. */
        respond(c, 200, http_content_type(path), NULL, (size_t)size, false,
                r->keep_alive, NULL);
        if (body && size) {
            c->fh = h;
            c->foff = 0;
            c->fleft = size;
        } else {
            srv.fs.close(srv.fs.ctx, h);
        }
        return;
    }
    if (h == -EISDIR && !dir && plain_path(r->path)) {
        redirect_to_dir(c, r);
        return;
    }
    if (dir && srv.fs.list) {
        c->owned = malloc(LISTING_MAX);
        int n = c->owned
                    ? srv.fs.list(srv.fs.ctx, r->path, c->owned, LISTING_MAX)
                    : -ENOMEM;
        if (n >= 0) {
            respond(c, 200, "text/html; charset=utf-8", c->owned, (size_t)n,
                    body, r->keep_alive, NULL);
            return;
        }
        free(c->owned);
        c->owned = NULL;
    }
    not_found(c, r);
}

/* A GET or HEAD: a file, a directory listing, a redirect, or 404. */
static void answer(struct conn *c, const struct http_request *r)
{
    if (srv.use_fs) {
        answer_fs(c, r);
        return;
    }
    bool body = r->method == HTTP_GET;
    const struct http_file *f = http_find(srv.files, srv.nfiles, r->path);
    if (f) {
        respond(c, 200, http_content_type(f->path), f->data, f->len, body,
                r->keep_alive, NULL);
        return;
    }
    if (http_is_dir(srv.files, srv.nfiles, r->path) == HTTP_DIR) {
        size_t len = strlen(r->path);
        if (r->path[len - 1] == '/') {
            c->owned = malloc(LISTING_MAX);
            int n = c->owned ? http_dir_listing(srv.files, srv.nfiles, r->path,
                                                c->owned, LISTING_MAX)
                             : -ENOMEM;
            if (n >= 0) {
                respond(c, 200, "text/html; charset=utf-8", c->owned, (size_t)n,
                        body, r->keep_alive, NULL);
                return;
            }
            free(c->owned);
            c->owned = NULL;
        } else if (plain_path(r->path)) {
            char loc[HTTP_MAX_PATH + 1];
            memcpy(loc, r->path, len);
            loc[len] = '/';
            loc[len + 1] = '\0';
            respond(c, 301, "text/plain; charset=utf-8", body_err, 0, body,
                    r->keep_alive, loc);
            return;
        }
    }
    respond(c, 404, "text/html; charset=utf-8", body_404, sizeof(body_404) - 1,
            body, r->keep_alive, NULL);
}

/* Parses and answers requests until one is incomplete or in progress. */
static void process(struct conn *c)
{
    while (!c->busy && c->req_len) {
        struct http_request r;
        int n = http_parse_request(c->req, c->req_len, &r);
        if (n == 0)
            return;
        srv.stats.requests++;
        if (n < 0) {
            error_response(c, n == -E2BIG ? 431 : n == -ENOTSUP ? 505 : 400);
        } else {
            memmove(c->req, c->req + n, c->req_len - (size_t)n);
            c->req_len -= (size_t)n;
            if (r.method == HTTP_OTHER) {
                error_response(c, 405);
            } else if (r.has_body) {
                error_response(c, 413);
            } else {
                answer(c, &r);
            }
        }
        if (!pump(c))
            return;
    }
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    struct conn *c = arg;
    (void)pcb;
    (void)len;
    if (!c)
        return ERR_OK;
    c->idle_polls = 0;
    if (!c->busy || pump(c))
        process(c);
    return cb_result();
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct conn *c = arg;
    (void)err;
    if (!c) {
        if (p)
            pbuf_free(p);
        return ERR_OK;
    }
    if (!p) {
        /* The client is done sending; finish what is queued, then close. */
        if (c->busy)
            c->close_after = true;
        else
            conn_close(c);
        return cb_result();
    }
    c->idle_polls = 0;
    size_t room = sizeof(c->req) - c->req_len;
    size_t n = p->tot_len < room ? p->tot_len : room;
    pbuf_copy_partial(p, c->req + c->req_len, (u16_t)n, 0);
    c->req_len += n;
    tcp_recved(pcb, p->tot_len);
    bool overflow = n < p->tot_len;
    pbuf_free(p);
    if (overflow && !c->busy) {
        srv.stats.requests++;
        error_response(c, 431);
        pump(c);
        return cb_result();
    }
    process(c);
    return cb_result();
}

static void on_err(void *arg, err_t err)
{
    (void)err;
    if (arg)
        conn_free(arg); /* lwIP has already freed the pcb */
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
    struct conn *c = arg;
    (void)pcb;
    if (!c)
        return ERR_OK;
    if (c->busy)
        pump(c);
    else if (++c->idle_polls * POLL_INTERVAL / 2 >= HTTPD_IDLE_SECONDS)
        conn_close(c);
    return cb_result();
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    size_t slot = HTTPD_MAX_CONNS;
    for (size_t i = 0; i < HTTPD_MAX_CONNS; i++)
        if (!srv.conns[i]) {
            slot = i;
            break;
        }
    struct conn *c = slot < HTTPD_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
    if (!c) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    c->pcb = pcb;
    c->fh = -1;
    srv.conns[slot] = c;
    srv.stats.connections++;
    srv.stats.open_conns++;
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_poll(pcb, on_poll, POLL_INTERVAL);
    tcp_nagle_disable(pcb);
    return ERR_OK;
}

static int start(uint16_t port);

int httpd_start(uint16_t port, const struct http_file *files, size_t nfiles)
{
    if (srv.listener)
        return -EALREADY;
    srv.files = files;
    srv.nfiles = nfiles;
    srv.use_fs = false;
    return start(port);
}

int httpd_start_fs(uint16_t port, const struct httpd_fs *fs)
{
    if (srv.listener)
        return -EALREADY;
    if (!fs || !fs->open || !fs->read || !fs->close)
        return -EINVAL;
    srv.fs = *fs;
    srv.use_fs = true;
    return start(port);
}

static int start(uint16_t port)
{
    return net_listen(port, on_accept, &srv.listener);
}

void httpd_stop(void)
{
    for (size_t i = 0; i < HTTPD_MAX_CONNS; i++) {
        struct conn *c = srv.conns[i];
        if (c) {
            struct tcp_pcb *pcb = c->pcb;
            tcp_arg(pcb, NULL);
            tcp_err(pcb, NULL);
            conn_free(c);
            tcp_abort(pcb);
        }
    }
    if (srv.listener)
        tcp_close(srv.listener);
    srv.listener = NULL;
}

const struct httpd_stats *httpd_get_stats(void)
{
    return &srv.stats;
}
