/*
 * HTTP request parsing and response heads (contract in apps/httpd/http.h).
 * Requests come from the network: every length is checked before use and
 * nothing is written past the caller's buffers.
 */
#include "apps/httpd/http.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive: does [s, s + n) equal the lowercase word w? */
static bool word_is(const char *s, size_t n, const char *w)
{
    size_t i = 0;
    for (; i < n && w[i]; i++)
        if (lower(s[i]) != w[i])
            return false;
    return i == n && !w[i];
}

/* Case-insensitive: does the lowercase token t occur in [s, s + n) as a
 * comma-separated element? */
static bool has_token(const char *s, size_t n, const char *t)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
            i++;
        size_t start = i;
        while (i < n && s[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
            end--;
        if (end > start && word_is(s + start, end - start, t))
            return true;
    }
    return false;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int parse_target(const char *s, size_t n, char *out)
{
    size_t o = 0;
    if (n == 0 || s[0] != '/')
        return -EBADMSG;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '?' || c == '#')
            break;
        if (c == '%') {
            if (i + 2 >= n)
                return -EBADMSG;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi | lo) == 0)
                return -EBADMSG;
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if ((unsigned char)c <= ' ' || c == 0x7f) {
            return -EBADMSG;
        }
        if (o + 1 >= HTTP_MAX_PATH)
            return -E2BIG;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

int http_parse_request(const char *buf, size_t len, struct http_request *req)
{
    size_t scan = len < HTTP_MAX_HEADER ? len : HTTP_MAX_HEADER;
    size_t head = 0;

    for (size_t i = 0; i + 3 < scan; i++) {
        if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' &&
            buf[i + 3] == '\n') {
            head = i + 4;
            break;
        }
    }
    if (!head)
        return len >= HTTP_MAX_HEADER ? -E2BIG : 0;

    memset(req, 0, sizeof(*req));
    /* Request line. */
    const char *eol = memchr(buf, '\r', head);
    const char *sp1 = memchr(buf, ' ', (size_t)(eol - buf));
    if (!sp1)
        return -EBADMSG;
    const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
    if (!sp2)
        return -EBADMSG;
    size_t mlen = (size_t)(sp1 - buf);
    if (mlen == 3 && !memcmp(buf, "GET", 3))
        req->method = HTTP_GET;
    else if (mlen == 4 && !memcmp(buf, "HEAD", 4))
        req->method = HTTP_HEAD;
    else if (mlen > 0)
        req->method = HTTP_OTHER;
    else
        return -EBADMSG;
    int rc = parse_target(sp1 + 1, (size_t)(sp2 - sp1 - 1), req->path);
    if (rc)
        return rc;
    size_t vlen = (size_t)(eol - sp2 - 1);
    if (vlen != 8 || memcmp(sp2 + 1, "HTTP/1.", 7))
        return vlen >= 5 && !memcmp(sp2 + 1, "HTTP/", 5) ? -ENOTSUP : -EBADMSG;
    if (sp2[8] != '0' && sp2[8] != '1')
        return -ENOTSUP;
    req->minor_version = sp2[8] - '0';
    req->keep_alive = req->minor_version == 1;

    /* Header lines up to the blank line. */
    const char *p = eol + 2;
    const char *end = buf + head - 2;
    while (p < end) {
        const char *le = memchr(p, '\r', (size_t)(end - p));
        if (!le || le[1] != '\n')
            return -EBADMSG;
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (!colon || colon == p)
            return -EBADMSG;
        const char *v = colon + 1;
        while (v < le && (*v == ' ' || *v == '\t'))
            v++;
        size_t nlen = (size_t)(colon - p), vl = (size_t)(le - v);
        if (word_is(p, nlen, "connection")) {
            if (has_token(v, vl, "close"))
                req->keep_alive = false;
            else if (has_token(v, vl, "keep-alive"))
                req->keep_alive = true;
        } else if (word_is(p, nlen, "content-length")) {
            for (size_t i = 0; i < vl; i++) {
                if (v[i] < '0' || v[i] > '9')
                    return -EBADMSG;
                if (v[i] != '0')
                    req->has_body = true;
            }
        } else if (word_is(p, nlen, "transfer-encoding")) {
            req->has_body = true;
        }
        p = le + 2;
    }
    return (int)head;
}

/* An absolute path of sane length without ".." segments. */
static bool path_ok(const char *path)
{
    size_t len = strlen(path);
    if (len == 0 || path[0] != '/' || len >= HTTP_MAX_PATH)
        return false;
    for (const char *s = path; (s = strstr(s, "..")) != NULL; s += 2)
        if (s[-1] == '/' && (s[2] == '/' || s[2] == '\0'))
            return false;
    return true;
}

const struct http_file *http_find(const struct http_file *files, size_t n,
                                  const char *path)
{
    char full[HTTP_MAX_PATH + 16];
    size_t len = strlen(path);

    if (!path_ok(path))
        return NULL;
    memcpy(full, path, len + 1);
    if (path[len - 1] == '/')
        memcpy(full + len, "index.html", sizeof("index.html"));
    for (size_t i = 0; i < n; i++)
        if (!strcmp(files[i].path, full))
            return &files[i];
    return NULL;
}

enum http_dir http_is_dir(const struct http_file *files, size_t n,
                          const char *path)
{
    size_t len = strlen(path);
    if (!path_ok(path))
        return HTTP_NONE;
    bool slash = path[len - 1] == '/';
    for (size_t i = 0; i < n; i++) {
        const char *f = files[i].path;
        if (!strncmp(f, path, len) && (slash ? f[len] != '\0' : f[len] == '/'))
            return HTTP_DIR;
    }
    return HTTP_NONE;
}

struct out {
    char *p;
    size_t cap, len;
    bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->len + n > o->cap) {
        o->full = true;
        return;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_html(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '<':
            puts_(o, "&lt;");
            break;
        case '>':
            puts_(o, "&gt;");
            break;
        case '&':
            puts_(o, "&amp;");
            break;
        case '"':
            puts_(o, "&quot;");
            break;
        default:
            put(o, &s[i], 1);
        }
    }
}

static void put_url(struct out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("-._~/", c)) {
            put(o, &s[i], 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            put(o, e, 3);
        }
    }
}

int http_dir_listing(const struct http_file *files, size_t n, const char *dir,
                     char *out, size_t cap)
{
    struct out o = {out, cap, 0, false};
    size_t dlen = strlen(dir);

    puts_(&o, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
              "<title>Index of ");
    put_html(&o, dir, dlen);
    puts_(&o, "</title></head>\n<body><h1>Index of ");
    put_html(&o, dir, dlen);
    puts_(&o, "</h1>\n<ul>\n");
    if (dlen > 1)
        puts_(&o, "<li><a href=\"../\">../</a></li>\n");
    for (size_t i = 0; i < n; i++) {
        const char *f = files[i].path;
        if (strncmp(f, dir, dlen) || f[dlen] == '\0')
            continue;
        const char *name = f + dlen;
        const char *slash = strchr(name, '/');
        size_t nlen = slash ? (size_t)(slash - name) + 1 : strlen(name);
        /* A subdirectory is listed once: at its first file. */
        bool seen = false;
        for (size_t j = 0; j < i && slash; j++)
            if (!strncmp(files[j].path, f, dlen + nlen))
                seen = true;
        if (seen)
            continue;
        puts_(&o, "<li><a href=\"");
        put_url(&o, name, nlen);
        puts_(&o, "\">");
        put_html(&o, name, nlen);
        puts_(&o, "</a></li>\n");
    }
    puts_(&o, "</ul></body></html>\n");
    return o.full ? -ENOSPC : (int)o.len;
}

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".htm", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".ico", "image/x-icon"},
    {".wasm", "application/wasm"},
    {".pdf", "application/pdf"},
};

const char *http_content_type(const char *path)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t el = strlen(types[i].ext);
        if (len >= el) {
            bool match = true;
            for (size_t j = 0; j < el; j++)
                if (lower(path[len - el + j]) != types[i].ext[j])
                    match = false;
            if (match)
                return types[i].type;
        }
    }
    return "application/octet-stream";
}

const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 301:
        return "Moved Permanently";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Internal Server Error";
    }
}

int http_response_head(char *out, size_t cap, int status, const char *ctype,
                       size_t content_len, bool keep_alive,
                       const char *location)
{
    int n =
        snprintf(out, cap,
                 "HTTP/1.1 %d %s\r\n"
                 "Server: Enlight httpd\r\n"
                 "Content-Type: %s\r\n"
                 "Content-Length: %zu\r\n"
                 "%s%s%s%s"
                 "Connection: %s\r\n"
                 "\r\n",
                 status, http_reason(status), ctype, content_len,
                 status == 405 ? "Allow: GET, HEAD\r\n" : "",
                 location ? "Location: " : "", location ? location : "",
                 location ? "\r\n" : "", keep_alive ? "keep-alive" : "close");
    if (n < 0 || (size_t)n >= cap)
        return -ENOSPC;
    return n;
}
