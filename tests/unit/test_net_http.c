/* Unit tests for apps/httpd/http.c: request parsing, lookup, headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "apps/httpd/http.h"

#include <errno.h>
#include <string.h>

static int parse(const char *s, struct http_request *r)
{
    return http_parse_request(s, strlen(s), r);
}

static void test_simple_get(void **state)
{
    (void)state;
    struct http_request r;
    const char *s = "GET /a/b.html?x=1 HTTP/1.1\r\nHost: x\r\n\r\nNEXT";
    assert_int_equal(parse(s, &r), (int)strlen(s) - 4);
    assert_int_equal(r.method, HTTP_GET);
    assert_string_equal(r.path, "/a/b.html");
    assert_int_equal(r.minor_version, 1);
    assert_true(r.keep_alive);
    assert_false(r.has_body);
}

static void test_keep_alive_rules(void **state)
{
    (void)state;
    struct http_request r;
    assert_true(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &r) > 0);
    assert_false(r.keep_alive);
    assert_true(parse("GET / HTTP/1.0\r\n\r\n", &r) > 0);
    assert_false(r.keep_alive);
    assert_true(
        parse("HEAD / HTTP/1.0\r\nconnection: Upgrade, Keep-Alive\r\n\r\n",
              &r) > 0);
    assert_true(r.keep_alive);
    assert_int_equal(r.method, HTTP_HEAD);
}

static void test_incomplete_and_too_long(void **state)
{
    (void)state;
    struct http_request r;
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n", &r), 0);
    assert_int_equal(parse("", &r), 0);
    static char big[HTTP_MAX_HEADER + 10];
    memset(big, 'a', sizeof(big) - 1);
    assert_int_equal(http_parse_request(big, sizeof(big) - 1, &r), -E2BIG);
    char longpath[HTTP_MAX_PATH + 40] = "GET /";
    memset(longpath + 5, 'p', HTTP_MAX_PATH);
    strcpy(longpath + 5 + HTTP_MAX_PATH, " HTTP/1.1\r\n\r\n");
    assert_int_equal(parse(longpath, &r), -E2BIG);
}

static void test_malformed(void **state)
{
    (void)state;
    struct http_request r;
    assert_int_equal(parse("GET\r\n\r\n", &r), -EBADMSG);
    assert_int_equal(parse("GET / \r\n\r\n", &r), -EBADMSG);
    assert_int_equal(parse("GET x HTTP/1.1\r\n\r\n", &r), -EBADMSG);
    assert_int_equal(parse("GET / HTTP/2.0\r\n\r\n", &r), -ENOTSUP);
    assert_int_equal(parse("GET / HTTP/1.9\r\n\r\n", &r), -ENOTSUP);
    assert_int_equal(parse("GET / FTP/1.1\r\n\r\n", &r), -EBADMSG);
    assert_int_equal(parse("GET /%zz HTTP/1.1\r\n\r\n", &r), -EBADMSG);
    assert_int_equal(parse("GET /%00 HTTP/1.1\r\n\r\n", &r), -EBADMSG);
    assert_int_equal(parse("GET / HTTP/1.1\r\nNoColon\r\n\r\n", &r), -EBADMSG);
    assert_int_equal(parse("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", &r),
                     -EBADMSG);
    assert_true(parse("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", &r) > 0);
    assert_int_equal(r.method, HTTP_OTHER);
    assert_true(r.has_body);
    assert_true(parse("GET /%41b HTTP/1.1\r\n\r\n", &r) > 0);
    assert_string_equal(r.path, "/Ab");
}

static const struct http_file files[] = {
    {"/index.html", "<p>hi</p>", 9},
    {"/docs/index.html", "docs", 4},
    {"/style.css", "p{}", 3},
};

static void test_find(void **state)
{
    (void)state;
    assert_ptr_equal(http_find(files, 3, "/"), &files[0]);
    assert_ptr_equal(http_find(files, 3, "/docs/"), &files[1]);
    assert_ptr_equal(http_find(files, 3, "/style.css"), &files[2]);
    assert_null(http_find(files, 3, "/nope"));
    assert_null(http_find(files, 3, "/docs/../index.html"));
    assert_null(http_find(files, 3, "/.."));
    assert_null(http_find(files, 3, "index.html"));
}

static void test_types_and_head(void **state)
{
    (void)state;
    assert_string_equal(http_content_type("/a.HTML"),
                        "text/html; charset=utf-8");
    assert_string_equal(http_content_type("/x.png"), "image/png");
    assert_string_equal(http_content_type("/x"), "application/octet-stream");

    char h[256];
    int n = http_response_head(h, sizeof(h), 404, "text/plain", 10, true, NULL);
    assert_true(n > 0);
    assert_non_null(strstr(h, "HTTP/1.1 404 Not Found\r\n"));
    assert_non_null(strstr(h, "Content-Length: 10\r\n"));
    assert_non_null(strstr(h, "Connection: keep-alive\r\n\r\n"));
    n = http_response_head(h, sizeof(h), 405, "text/plain", 0, false, NULL);
    assert_non_null(strstr(h, "Allow: GET, HEAD\r\n"));
    assert_non_null(strstr(h, "Connection: close\r\n"));
    assert_int_equal(http_response_head(h, 20, 200, "x", 1, true, NULL),
                     -ENOSPC);
    n = http_response_head(h, sizeof(h), 301, "text/plain", 0, true, "/d/");
    assert_non_null(strstr(h, "HTTP/1.1 301 Moved Permanently\r\n"));
    assert_non_null(strstr(h, "Location: /d/\r\n"));
}

static const struct http_file tree[] = {
    {"/index.html", "x", 1},     {"/docs/a.txt", "a", 1},
    {"/docs/b <&>.txt", "b", 1}, {"/docs/sub/c.txt", "c", 1},
    {"/docs/sub/d.txt", "d", 1},
};

static void test_directories(void **state)
{
    (void)state;
    assert_int_equal(http_is_dir(tree, 5, "/docs/"), HTTP_DIR);
    assert_int_equal(http_is_dir(tree, 5, "/docs"), HTTP_DIR);
    assert_int_equal(http_is_dir(tree, 5, "/docs/sub"), HTTP_DIR);
    assert_int_equal(http_is_dir(tree, 5, "/doc"), HTTP_NONE);
    assert_int_equal(http_is_dir(tree, 5, "/docs/a.txt"), HTTP_NONE);
    assert_int_equal(http_is_dir(tree, 5, "/docs/../docs/"), HTTP_NONE);

    char out[2048];
    int n = http_dir_listing(tree, 5, "/docs/", out, sizeof(out) - 1);
    assert_true(n > 0);
    out[n] = '\0';
    assert_non_null(strstr(out, "<title>Index of /docs/</title>"));
    assert_non_null(strstr(out, "<a href=\"a.txt\">a.txt</a>"));
    assert_non_null(
        strstr(out, "<a href=\"b%20%3C%26%3E.txt\">b &lt;&amp;&gt;.txt</a>"));
    assert_non_null(strstr(out, "<a href=\"sub/\">sub/</a>"));
    assert_null(strstr(strstr(out, "sub/</a>") + 1, "sub/</a>")); /* once */
    assert_null(strstr(out, "c.txt"));
    assert_null(strstr(out, "index.html"));
    assert_non_null(strstr(out, "../"));
    assert_int_equal(http_dir_listing(tree, 5, "/docs/", out, 50), -ENOSPC);
}

/* Random requests built from plausible pieces: no crash, sane results. */
static void test_random_requests(void **state)
{
    (void)state;
    static const char *pieces[] = {"GET ",
                                   "HEAD ",
                                   "POST ",
                                   "/",
                                   "/a",
                                   "%41",
                                   "%",
                                   "%zz",
                                   "?q=1",
                                   " HTTP/1.1",
                                   " HTTP/1.0",
                                   " HTTP/2",
                                   "\r\n",
                                   "\r",
                                   "\n",
                                   "Connection: close",
                                   "Content-Length: 12",
                                   ": ",
                                   "x",
                                   "..",
                                   "\t",
                                   "\r\n\r\n",
                                   "\0",
                                   "\x80\xff"};
    uint32_t rng = 12345;
    char buf[HTTP_MAX_HEADER + 64];
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = 0;
        int n = (int)(rng % 24);
        for (int i = 0; i < n; i++) {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            const char *p = pieces[rng % (sizeof(pieces) / sizeof(pieces[0]))];
            size_t pl = strlen(p) ? strlen(p) : 1; /* "\0" is one byte */
            if (len + pl > sizeof(buf))
                break;
            memcpy(buf + len, p, pl);
            len += pl;
        }
        struct http_request r;
        int rc = http_parse_request(buf, len, &r);
        assert_true(rc <= (int)len);
        if (rc > 0) {
            assert_true(strlen(r.path) < HTTP_MAX_PATH);
            assert_int_equal(r.path[0], '/');
            (void)http_find(files, 3, r.path);
            (void)http_is_dir(files, 3, r.path);
            char out[512];
            if (r.path[strlen(r.path) - 1] == '/')
                (void)http_dir_listing(files, 3, r.path, out, sizeof(out));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_get),
        cmocka_unit_test(test_keep_alive_rules),
        cmocka_unit_test(test_incomplete_and_too_long),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_types_and_head),
        cmocka_unit_test(test_directories),
        cmocka_unit_test(test_random_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
