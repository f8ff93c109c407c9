/*
 * HTTP/1.x pieces of the httpd appliance that need no network: request
 * parsing, path to file lookup, content types and response headers.  Pure
 * C, tested on the host (tests/unit/test_net_http.c).
 */
#ifndef APPS_HTTPD_HTTP_H
#define APPS_HTTPD_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_HEADER 4096u /* request line + headers */
#define HTTP_MAX_PATH 256u

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

struct http_request {
    enum http_method method;
    char path[HTTP_MAX_PATH]; /* decoded, query string removed */
    int minor_version;        /* HTTP/1.<minor> */
    bool keep_alive;          /* what the client asked for, per version */
    bool has_body;            /* Content-Length > 0 or chunked: refused */
};

/*
 * Parses the request head at the start of buf (len bytes).  Returns the
 * head's length (through the blank line) when complete, 0 when more bytes
 * are needed, -EBADMSG for a malformed request, -E2BIG when the head
 * exceeds HTTP_MAX_HEADER or the path HTTP_MAX_PATH, -ENOTSUP for a
 * version other than HTTP/1.0 and 1.1.
 */
int http_parse_request(const char *buf, size_t len, struct http_request *req);

/* A file served by the appliance. */
struct http_file {
    const char *path; /* "/index.html" */
    const void *data;
    size_t len;
};

/*
 * The file for a request path: "/" and paths ending in "/" get
 * "index.html" appended; paths with ".." segments or NUL are refused.
 * Returns the entry or NULL.
 */
const struct http_file *http_find(const struct http_file *files, size_t n,
                                  const char *path);

/*
 * What a path without a file names: HTTP_DIR when files exist below
 * "path/" (path ends in '/': list it; otherwise redirect to path + "/"),
 * HTTP_NONE otherwise.  Refuses ".." segments like http_find().
 */
enum http_dir { HTTP_NONE, HTTP_DIR };
enum http_dir http_is_dir(const struct http_file *files, size_t n,
                          const char *path);

/*
 * An HTML index of the directory `dir` (ends in '/'): one link per entry
 * directly below it (subdirectories once, with a trailing '/'), names
 * HTML-escaped and links percent-encoded.  Returns the length written to
 * out (not NUL-terminated) or -ENOSPC.
 */
int http_dir_listing(const struct http_file *files, size_t n, const char *dir,
                     char *out, size_t cap);

/* Content type by extension (text/html; charset=utf-8, ...), never NULL. */
const char *http_content_type(const char *path);

/* Reason phrase of a status code ("OK", "Not Found", ...). */
const char *http_reason(int status);

/*
 * Response head into out (cap bytes): status line, Server, Content-Type,
 * Content-Length, Connection, and Location when location is not NULL
 * (redirects).  Returns its length, or -ENOSPC.
 */
int http_response_head(char *out, size_t cap, int status, const char *ctype,
                       size_t content_len, bool keep_alive,
                       const char *location);

#endif /* APPS_HTTPD_HTTP_H */
