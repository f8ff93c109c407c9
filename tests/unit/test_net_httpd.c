/*
 * Host tests of the httpd appliance's server (apps/httpd/server.c) on lwIP
 * over an in-memory Ethernet pair with a virtual clock: keep-alive,
 * pipelining, HEAD, 404/405/400, a large file, the idle timeout, and no
 * connection or pool left behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "apps/httpd/httpd.h"
#include "net/net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/ip_addr.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

#define SERVER_IP 0x0a000001u
#define CLIENT_IP 0x0a000002u
#define BIG_LEN (300u * 1024u)

static uint64_t now = 1000000000ull;
static uint64_t vclock(void)
{
    return now;
}

/* ---- wire ---- */

#define QLEN 512
struct side {
    struct net_if *nif;
    struct side *peer;
    struct {
        size_t len;
        uint8_t data[NET_MAX_FRAME];
    } q[QLEN];
    unsigned head, tail;
};
static struct side *sa, *sb;

static int link_send(void *ctx, const void *frame, size_t len)
{
    struct side *s = ctx, *to = s->peer;
    if (to->tail - to->head >= QLEN)
        return -EAGAIN;
    to->q[to->tail % QLEN].len = len;
    memcpy(to->q[to->tail % QLEN].data, frame, len);
    to->tail++;
    return 0;
}

static void pump(void)
{
    bool moved = true;
    while (moved) {
        moved = false;
        struct side *s[2] = {sa, sb};
        for (int i = 0; i < 2; i++)
            while (s[i]->head != s[i]->tail) {
                unsigned h = s[i]->head++ % QLEN;
                net_if_input(s[i]->nif, s[i]->q[h].data, s[i]->q[h].len);
                moved = true;
            }
    }
}

static bool run(uint64_t ms, bool (*done)(void))
{
    uint64_t end = now + ms * 1000000u;
    while (now < end) {
        pump();
        net_poll();
        pump();
        if (done && done())
            return true;
        uint64_t next = net_next_deadline_ns(), step = now + 1000000u;
        now = next > step ? (next < end ? next : end) : step;
    }
    return done ? done() : true;
}

/* ---- content ---- */

static uint8_t big[BIG_LEN];
static const struct http_file files[] = {
    {"/index.html", "<h1>Enlight</h1>\n", 17},
    {"/style.css", "h1{color:red}\n", 14},
    {"/big.bin", big, BIG_LEN},
    {"/docs/a.txt", "a\n", 2},
};
#define NFILES (sizeof(files) / sizeof(files[0]))

/* ---- client ---- */

static struct {
    struct tcp_pcb *pcb;
    char *buf;
    size_t len;
    bool connected, remote_closed;
} cl;

static err_t cl_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t e)
{
    (void)arg;
    (void)e;
    if (!p) {
        cl.remote_closed = true;
        tcp_arg(pcb, NULL);
        tcp_recv(pcb, NULL);
        tcp_close(pcb);
        cl.pcb = NULL;
        return ERR_OK;
    }
    assert_true(cl.len + p->tot_len <= BIG_LEN + 4096);
    pbuf_copy_partial(p, cl.buf + cl.len, p->tot_len, 0);
    cl.len += p->tot_len;
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static err_t cl_connected(void *arg, struct tcp_pcb *pcb, err_t e)
{
    (void)arg;
    (void)pcb;
    cl.connected = e == ERR_OK;
    return ERR_OK;
}

static bool is_connected(void)
{
    return cl.connected;
}

static void cl_open(void)
{
    cl.len = 0;
    cl.connected = cl.remote_closed = false;
    cl.pcb = tcp_new();
    assert_non_null(cl.pcb);
    ip_addr_t src, dst;
    ip_addr_set_ip4_u32(&src, lwip_htonl(CLIENT_IP));
    ip_addr_set_ip4_u32(&dst, lwip_htonl(SERVER_IP));
    assert_int_equal(tcp_bind(cl.pcb, &src, 0), ERR_OK);
    tcp_recv(cl.pcb, cl_recv);
    assert_int_equal(tcp_connect(cl.pcb, &dst, 80, cl_connected), ERR_OK);
    assert_true(run(5000, is_connected));
}

static void cl_send(const char *s)
{
    assert_int_equal(
        tcp_write(cl.pcb, s, (u16_t)strlen(s), TCP_WRITE_FLAG_COPY), ERR_OK);
    tcp_output(cl.pcb);
}

static size_t want_len;
static bool have_enough(void)
{
    return cl.len >= want_len;
}
static bool closed_by_server(void)
{
    return cl.remote_closed;
}

/* Waits for n response bytes. */
static void cl_wait(size_t n)
{
    want_len = n;
    assert_true(run(20000, have_enough));
}

static void cl_close(void)
{
    if (cl.pcb) {
        tcp_arg(cl.pcb, NULL);
        tcp_recv(cl.pcb, NULL);
        tcp_close(cl.pcb);
        cl.pcb = NULL;
    }
    run(1000, NULL);
}

/* ---- fixture ---- */

static int teardown(void **state);

static int setup_common(void)
{
    net_set_clock(vclock);
    net_seed_rand(7);
    net_init();
    sa = calloc(1, sizeof(*sa));
    sb = calloc(1, sizeof(*sb));
    sa->peer = sb;
    sb->peer = sa;
    struct net_link la = {
        .ctx = sa, .send = link_send, .mtu = 1500, .mac = {2, 0, 0, 0, 0, 1}};
    struct net_link lb = {
        .ctx = sb, .send = link_send, .mtu = 1500, .mac = {2, 0, 0, 0, 0, 2}};
    struct net_if_config ca = {.addr = SERVER_IP, .netmask = 0xffffff00};
    struct net_if_config cb = {.addr = CLIENT_IP, .netmask = 0xffffff00};
    sa->nif = net_if_create(&la, &ca);
    sb->nif = net_if_create(&lb, &cb);
    net_if_set_link(sa->nif, true);
    net_if_set_link(sb->nif, true);
    for (size_t i = 0; i < BIG_LEN; i++)
        big[i] = (uint8_t)(i * 31 + (i >> 10));
    cl.buf = malloc(BIG_LEN + 4096);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    setup_common();
    assert_int_equal(httpd_start(80, files, NFILES), 0);
    assert_int_equal(httpd_start(80, files, NFILES), -EALREADY);
    return 0;
}

/* ---- an in-memory file system for fs mode ---- */

static int fs_opens, fs_closes, fs_fail_at = -1;

static int fs_open(void *ctx, const char *path, uint64_t *size)
{
    (void)ctx;
    for (size_t i = 0; i < NFILES; i++)
        if (!strcmp(files[i].path, path)) {
            *size = files[i].len;
            fs_opens++;
            return (int)i;
        }
    return http_is_dir(files, NFILES, path) == HTTP_DIR ? -EISDIR : -ENOENT;
}

static int fs_read(void *ctx, int h, uint64_t off, void *buf, uint32_t len)
{
    (void)ctx;
    const struct http_file *f = &files[h];
    if (fs_fail_at >= 0 && off >= (uint64_t)fs_fail_at)
        return -EIO;
    if (off >= f->len)
        return 0;
    uint32_t n = f->len - off < len ? (uint32_t)(f->len - off) : len;
    memcpy(buf, (const uint8_t *)f->data + off, n);
    return (int)n;
}

static void fs_close(void *ctx, int h)
{
    (void)ctx;
    (void)h;
    fs_closes++;
}

static int fs_list(void *ctx, const char *dir, char *out, size_t cap)
{
    (void)ctx;
    if (http_is_dir(files, NFILES, dir) != HTTP_DIR)
        return -ENOENT;
    return http_dir_listing(files, NFILES, dir, out, cap);
}

static int setup_fs(void **state)
{
    (void)state;
    setup_common();
    fs_opens = fs_closes = 0;
    fs_fail_at = -1;
    struct httpd_fs fs = {
        .open = fs_open, .read = fs_read, .close = fs_close, .list = fs_list};
    assert_int_equal(httpd_start_fs(80, &fs), 0);
    return 0;
}

static int teardown_fs(void **state)
{
    int rc = teardown(state);
    assert_int_equal(fs_opens, fs_closes);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    cl_close();
    httpd_stop();
    run(2 * TCP_MSL + 5000, NULL); /* TIME_WAIT */
    assert_int_equal(httpd_get_stats()->open_conns, 0);
    assert_int_equal(lwip_stats.memp[MEMP_TCP_PCB]->used, 0);
    assert_int_equal(lwip_stats.memp[MEMP_TCP_SEG]->used, 0);
    net_if_destroy(sa->nif);
    net_if_destroy(sb->nif);
    free(sa);
    free(sb);
    free(cl.buf);
    return 0;
}

static const char *find(const char *hay, size_t n, const char *needle)
{
    size_t l = strlen(needle);
    for (size_t i = 0; i + l <= n; i++)
        if (!memcmp(hay + i, needle, l))
            return hay + i;
    return NULL;
}

/* ---- tests ---- */

static void test_keep_alive_and_404(void **state)
{
    (void)state;
    cl_open();
    cl_send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    cl_wait(17);
    assert_non_null(find(cl.buf, cl.len, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(
        find(cl.buf, cl.len, "Content-Type: text/html; charset=utf-8\r\n"));
    assert_non_null(find(cl.buf, cl.len, "Connection: keep-alive"));
    const char *b = find(cl.buf, cl.len, "\r\n\r\n");
    assert_non_null(b);
    size_t first = (size_t)(b + 4 - cl.buf) + 17;
    cl_wait(first);
    assert_memory_equal(b + 4, "<h1>Enlight</h1>\n", 17);

    cl_send("GET /nothing.html HTTP/1.1\r\n\r\n");
    cl_wait(first + 100);
    assert_non_null(
        find(cl.buf + first, cl.len - first, "HTTP/1.1 404 Not Found\r\n"));
    assert_false(cl.remote_closed);
    assert_int_equal(httpd_get_stats()->open_conns, 1);
    cl_close();
}

static void test_pipelined_head_and_get(void **state)
{
    (void)state;
    cl_open();
    cl_send("HEAD /style.css HTTP/1.1\r\n\r\nGET /style.css HTTP/1.1\r\n"
            "Connection: close\r\n\r\n");
    assert_true(run(5000, closed_by_server));
    const char *h1 = find(cl.buf, cl.len, "HTTP/1.1 200 OK");
    assert_non_null(h1);
    const char *h2 =
        find(h1 + 1, cl.len - (size_t)(h1 + 1 - cl.buf), "HTTP/1.1 200 OK");
    assert_non_null(h2);
    /* HEAD: the length of the file, no body before the next response. */
    assert_non_null(find(h1, (size_t)(h2 - h1), "Content-Length: 14\r\n"));
    assert_memory_equal(h2 - 4, "\r\n\r\n", 4);
    assert_memory_equal(cl.buf + cl.len - 14, "h1{color:red}\n", 14);
    assert_non_null(
        find(h2, cl.len - (size_t)(h2 - cl.buf), "Content-Type: text/css"));
}

static void test_large_file(void **state)
{
    (void)state;
    cl_open();
    cl_send("GET /big.bin HTTP/1.0\r\n\r\n");
    assert_true(run(60000, closed_by_server));
    const char *b = find(cl.buf, cl.len, "\r\n\r\n");
    assert_non_null(b);
    size_t body = cl.len - (size_t)(b + 4 - cl.buf);
    assert_int_equal(body, BIG_LEN);
    assert_memory_equal(b + 4, big, BIG_LEN);
    assert_non_null(find(cl.buf, (size_t)(b - cl.buf),
                         "Content-Type: application/octet-stream"));
    assert_non_null(find(cl.buf, (size_t)(b - cl.buf), "Connection: close"));
}

static void test_errors_close(void **state)
{
    (void)state;
    cl_open();
    cl_send("POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    assert_true(run(5000, closed_by_server));
    assert_non_null(find(cl.buf, cl.len, "HTTP/1.1 405 Method Not Allowed"));
    assert_non_null(find(cl.buf, cl.len, "Allow: GET, HEAD"));

    cl_open();
    cl_send("BLAH\r\n\r\n");
    assert_true(run(5000, closed_by_server));
    assert_non_null(find(cl.buf, cl.len, "HTTP/1.1 400 Bad Request"));

    cl_open();
    cl_send("GET / HTTP/3.0\r\n\r\n");
    assert_true(run(5000, closed_by_server));
    assert_non_null(find(cl.buf, cl.len, "505"));
    assert_true(httpd_get_stats()->responses_error >= 3);
}

static void test_directory_redirect_and_listing(void **state)
{
    (void)state;
    cl_open();
    cl_send("GET /docs HTTP/1.1\r\n\r\n");
    cl_wait(60);
    assert_non_null(find(cl.buf, cl.len, "HTTP/1.1 301 Moved Permanently"));
    want_len = 0;
    const char *e = find(cl.buf, cl.len, "\r\n\r\n");
    assert_non_null(e);
    assert_non_null(find(cl.buf, (size_t)(e - cl.buf), "Location: /docs/"));
    size_t first = (size_t)(e + 4 - cl.buf);
    cl_send("GET /docs/ HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_true(run(5000, closed_by_server));
    const char *r = cl.buf + first;
    size_t rl = cl.len - first;
    assert_non_null(find(r, rl, "HTTP/1.1 200 OK"));
    assert_non_null(find(r, rl, "<a href=\"a.txt\">a.txt</a>"));
    assert_non_null(find(r, rl, "Index of /docs/"));
}

static void test_idle_timeout(void **state)
{
    (void)state;
    cl_open();
    assert_int_equal(httpd_get_stats()->open_conns, 1);
    assert_false(run(10000, closed_by_server));
    assert_true(run((HTTPD_IDLE_SECONDS + 5) * 1000, closed_by_server));
    assert_int_equal(httpd_get_stats()->open_conns, 0);
}

static void test_fs_files_listing_and_errors(void **state)
{
    (void)state;
    cl_open();
    cl_send("GET / HTTP/1.1\r\n\r\n");
    cl_wait(100);
    assert_non_null(find(cl.buf, cl.len, "<h1>Enlight</h1>"));
    size_t at = cl.len;
    cl_send("HEAD /big.bin HTTP/1.1\r\n\r\n");
    cl_wait(at + 100);
    assert_non_null(find(cl.buf + at, cl.len - at, "Content-Length: 307200"));
    at = cl.len;
    cl_send("GET /docs HTTP/1.1\r\n\r\n");
    cl_wait(at + 60);
    assert_non_null(find(cl.buf + at, cl.len - at, "Location: /docs/"));
    at = cl.len;
    cl_send("GET /docs/ HTTP/1.1\r\n\r\n");
    cl_wait(at + 200);
    assert_non_null(find(cl.buf + at, cl.len - at, "a.txt</a>"));
    at = cl.len;
    cl_send("GET /nope HTTP/1.1\r\n\r\n");
    cl_wait(at + 100);
    assert_non_null(find(cl.buf + at, cl.len - at, "404 Not Found"));
    at = cl.len;
    cl_send("GET /big.bin HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_true(run(60000, closed_by_server));
    const char *b = find(cl.buf + at, cl.len - at, "\r\n\r\n");
    assert_non_null(b);
    assert_int_equal(cl.len - (size_t)(b + 4 - cl.buf), BIG_LEN);
    assert_memory_equal(b + 4, big, BIG_LEN);
}

static void test_fs_read_error_cuts_the_connection(void **state)
{
    (void)state;
    fs_fail_at = 100000;
    cl_open();
    cl_send("GET /big.bin HTTP/1.1\r\n\r\n");
    assert_true(run(60000, closed_by_server));
    const char *b = find(cl.buf, cl.len, "\r\n\r\n");
    assert_non_null(b);
    size_t body = cl.len - (size_t)(b + 4 - cl.buf);
    assert_true(body >= 90000 && body < BIG_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keep_alive_and_404, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_head_and_get, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_large_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory_redirect_and_listing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fs_files_listing_and_errors,
                                        setup_fs, teardown_fs),
        cmocka_unit_test_setup_teardown(test_fs_read_error_cuts_the_connection,
                                        setup_fs, teardown_fs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
