/*
 * Host tests of the lwIP port (net/): two interfaces joined by an
 * in-memory Ethernet link, a virtual clock, and a tiny DHCP and DNS server
 * on one side.  Checks DHCP, DNS, a TCP echo exchange, frame validation,
 * and that every lwIP pool is back to its starting level afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "net/net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/dns.h"
#include "lwip/ip_addr.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/prot/dhcp.h"
#include "lwip/prot/iana.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#define IP(a, b, c, d)                                                         \
    (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))
#define SERVER_IP IP(10, 0, 0, 1)
#define LEASE_IP IP(10, 0, 0, 50)

/* ---- virtual clock ---- */

static uint64_t now;
static uint64_t vclock(void)
{
    return now;
}

/* ---- the wire: one FIFO per direction ---- */

#define QLEN 256
struct frame {
    size_t len;
    uint8_t data[NET_MAX_FRAME];
};
struct side {
    struct net_if *nif;
    struct side *peer;
    struct frame q[QLEN]; /* frames on their way to this side */
    unsigned head, tail;
    int fail_sends; /* make the next n sends fail with -EAGAIN */
};
static struct side *sa, *sb;

static int link_send(void *ctx, const void *frame, size_t len)
{
    struct side *s = ctx;
    struct side *to = s->peer;
    if (s->fail_sends > 0) {
        s->fail_sends--;
        return -EAGAIN;
    }
    assert_true(len >= 14 && len <= NET_MAX_FRAME);
    assert_true(to->tail - to->head < QLEN);
    struct frame *f = &to->q[to->tail++ % QLEN];
    f->len = len;
    memcpy(f->data, frame, len);
    return 0;
}

/* Delivers queued frames until the wire is quiet; returns how many. */
static int pump(void)
{
    int n = 0;
    bool moved = true;
    while (moved) {
        moved = false;
        struct side *sides[2] = {sa, sb};
        for (int i = 0; i < 2; i++) {
            struct side *s = sides[i];
            while (s->head != s->tail) {
                struct frame *f = &s->q[s->head++ % QLEN];
                if (s->nif)
                    assert_int_equal(net_if_input(s->nif, f->data, f->len), 0);
                moved = true;
                n++;
            }
        }
    }
    return n;
}

/* Runs the network for ms of virtual time or until done() holds. */
static bool run(uint64_t ms, bool (*done)(void))
{
    uint64_t end = now + ms * 1000000u;
    while (now < end) {
        pump();
        net_poll();
        pump();
        if (done && done())
            return true;
        uint64_t next = net_next_deadline_ns();
        uint64_t step = now + 1000000u;
        now = next > step ? (next < end ? next : end) : step;
    }
    return done ? done() : true;
}

static const struct net_link link_a = {
    .send = link_send, .mac = {0x02, 0, 0, 0, 0, 0xaa}, .mtu = 1500};
static const struct net_link link_b = {
    .send = link_send, .mac = {0x02, 0, 0, 0, 0, 0xbb}, .mtu = 1500};

/* ---- leak accounting ---- */

static uint16_t pool_base[MEMP_MAX];
static mem_size_t heap_base;

static void snapshot(void)
{
    for (int i = 0; i < MEMP_MAX; i++)
        pool_base[i] = lwip_stats.memp[i]->used;
    heap_base = lwip_stats.mem.used;
}

static void check_no_leaks(void)
{
    for (int i = 0; i < MEMP_MAX; i++) {
        if (i == MEMP_SYS_TIMEOUT)
            continue; /* timers come and go with activity */
        if (lwip_stats.memp[i]->used != pool_base[i])
            fail_msg("pool %s: %u used, %u at start", lwip_stats.memp[i]->name,
                     lwip_stats.memp[i]->used, pool_base[i]);
    }
    assert_int_equal(lwip_stats.mem.used, heap_base);
}

/* ---- fixture: A is the server (static), B the client ---- */

static int setup(void **state)
{
    (void)state;
    net_set_clock(vclock);
    net_seed_rand(12345);
    net_init();
    snapshot();
    sa = calloc(1, sizeof(*sa));
    sb = calloc(1, sizeof(*sb));
    sa->peer = sb;
    sb->peer = sa;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    net_if_destroy(sa->nif);
    net_if_destroy(sb->nif);
    pump();
    free(sa);
    free(sb);
    return 0;
}

static struct net_if *make_if(struct side *s, const struct net_link *tmpl,
                              const struct net_if_config *cfg)
{
    struct net_link l = *tmpl;
    l.ctx = s;
    s->nif = net_if_create(&l, cfg);
    assert_non_null(s->nif);
    net_if_set_link(s->nif, true);
    return s->nif;
}

static void make_server(void)
{
    struct net_if_config c = {.addr = SERVER_IP,
                              .netmask = IP(255, 255, 255, 0),
                              .gateway = SERVER_IP};
    make_if(sa, &link_a, &c);
}

static void make_static_client(void)
{
    struct net_if_config c = {.addr = LEASE_IP,
                              .netmask = IP(255, 255, 255, 0),
                              .gateway = SERVER_IP,
                              .make_default = true};
    make_if(sb, &link_b, &c);
}

/* ---- a minimal DHCP server (RFC 2131 OFFER/ACK, nothing else) ---- */

static int dhcp_replies;

static uint8_t dhcp_msg_type(const struct dhcp_msg *m, size_t len)
{
    size_t n = len - offsetof(struct dhcp_msg, options);
    for (size_t i = 0; i + 1 < n;) {
        uint8_t code = m->options[i];
        if (code == 255)
            break;
        if (code == 0) {
            i++;
            continue;
        }
        uint8_t l = m->options[i + 1];
        if (code == DHCP_OPTION_MESSAGE_TYPE && l == 1 && i + 2 < n)
            return m->options[i + 2];
        i += 2u + l;
    }
    return 0;
}

static size_t put_opt(uint8_t *o, size_t at, uint8_t code, uint32_t v,
                      uint8_t len)
{
    o[at++] = code;
    o[at++] = len;
    for (int i = len - 1; i >= 0; i--) /* network order */
        o[at++] = (uint8_t)(v >> (8 * i));
    return at;
}

static void dhcp_server_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
                             const ip_addr_t *addr, u16_t port)
{
    (void)arg;
    (void)addr;
    (void)port;
    struct dhcp_msg req;
    memset(&req, 0, sizeof(req));
    size_t len = p->tot_len < sizeof(req) ? p->tot_len : sizeof(req);
    pbuf_copy_partial(p, &req, (u16_t)len, 0);
    pbuf_free(p);
    if (len <= offsetof(struct dhcp_msg, options) || req.op != DHCP_BOOTREQUEST)
        return;
    uint8_t t = dhcp_msg_type(&req, len);
    uint8_t reply_type = t == DHCP_DISCOVER  ? DHCP_OFFER
                         : t == DHCP_REQUEST ? DHCP_ACK
                                             : 0;
    if (!reply_type)
        return;

    struct pbuf *r =
        pbuf_alloc(PBUF_TRANSPORT, sizeof(struct dhcp_msg), PBUF_RAM);
    assert_non_null(r);
    struct dhcp_msg *m = r->payload;
    memset(m, 0, sizeof(*m));
    m->op = DHCP_BOOTREPLY;
    m->htype = 1;
    m->hlen = 6;
    m->xid = req.xid;
    memcpy(m->chaddr, req.chaddr, sizeof(m->chaddr));
    m->yiaddr.addr = lwip_htonl(LEASE_IP);
    m->cookie = PP_HTONL(DHCP_MAGIC_COOKIE);
    size_t at = 0;
    at = put_opt(m->options, at, DHCP_OPTION_MESSAGE_TYPE, reply_type, 1);
    at = put_opt(m->options, at, DHCP_OPTION_SERVER_ID, SERVER_IP, 4);
    at = put_opt(m->options, at, DHCP_OPTION_LEASE_TIME, 3600, 4);
    at = put_opt(m->options, at, DHCP_OPTION_SUBNET_MASK, IP(255, 255, 255, 0),
                 4);
    at = put_opt(m->options, at, DHCP_OPTION_ROUTER, SERVER_IP, 4);
    at = put_opt(m->options, at, DHCP_OPTION_DNS_SERVER, SERVER_IP, 4);
    m->options[at] = 255;
    assert_int_equal(udp_sendto_if(pcb, r, IP_ADDR_BROADCAST,
                                   LWIP_IANA_PORT_DHCP_CLIENT,
                                   net_if_netif(sa->nif)),
                     ERR_OK);
    pbuf_free(r);
    dhcp_replies++;
}

/* ---- a minimal DNS server: every A query gets SERVER_IP ---- */

static void dns_server_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
                            const ip_addr_t *addr, u16_t port)
{
    (void)arg;
    uint8_t q[512];
    u16_t len = p->tot_len < sizeof(q) - 16 ? p->tot_len : sizeof(q) - 16;
    pbuf_copy_partial(p, q, len, 0);
    pbuf_free(p);
    if (len < 12 + 5)
        return;
    q[2] = 0x81; /* response, recursion desired */
    q[3] = 0x80; /* recursion available, no error */
    q[6] = 0;
    q[7] = 1; /* one answer */
    static const uint8_t ans[16] = {0xc0, 0x0c, 0, 1, 0,  1, 0, 0,
                                    0,    60,   0, 4, 10, 0, 0, 1};
    memcpy(q + len, ans, sizeof(ans));
    struct pbuf *r = pbuf_alloc(PBUF_TRANSPORT, len + 16, PBUF_RAM);
    pbuf_take(r, q, len + 16);
    udp_sendto(pcb, r, addr, port);
    pbuf_free(r);
}

/* Bound to the server's address so replies leave through its interface
 * (both interfaces share one lwIP stack and one subnet). */
static struct udp_pcb *udp_server(u16_t port, udp_recv_fn fn)
{
    struct udp_pcb *pcb = udp_new();
    ip_addr_t a;
    assert_non_null(pcb);
    ip_addr_set_ip4_u32(&a, lwip_htonl(SERVER_IP));
    assert_int_equal(
        udp_bind(pcb, port == LWIP_IANA_PORT_DHCP_SERVER ? IP4_ADDR_ANY : &a,
                 port),
        ERR_OK);
    udp_recv(pcb, fn, NULL);
    return pcb;
}

static bool client_bound(void)
{
    return net_if_dhcp_bound(sb->nif);
}

static void test_dhcp_lease(void **state)
{
    (void)state;
    make_server();
    struct udp_pcb *srv =
        udp_server(LWIP_IANA_PORT_DHCP_SERVER, dhcp_server_recv);
    struct net_if_config c = {.dhcp = true, .hostname = "enlight"};
    make_if(sb, &link_b, &c);
    uint32_t addr;
    assert_int_equal(net_if_ipv4(sb->nif, &addr, NULL, NULL), -EAGAIN);

    assert_true(run(30000, client_bound));
    assert_int_equal(dhcp_replies >= 2, 1);
    uint32_t mask, gw;
    assert_int_equal(net_if_ipv4(sb->nif, &addr, &mask, &gw), 0);
    assert_int_equal(addr, LEASE_IP);
    assert_int_equal(mask, IP(255, 255, 255, 0));
    assert_int_equal(gw, SERVER_IP);
    const ip_addr_t *dns = dns_getserver(0);
    assert_int_equal(lwip_ntohl(ip_addr_get_ip4_u32(dns)), SERVER_IP);

    udp_remove(srv);
    net_if_destroy(sb->nif);
    net_if_destroy(sa->nif);
    sa->nif = sb->nif = NULL;
    pump();
    check_no_leaks();
}

static bool dns_done;
static uint32_t dns_answer;
static void dns_found(const char *name, const ip_addr_t *ip, void *arg)
{
    (void)name;
    (void)arg;
    dns_done = true;
    dns_answer = ip ? lwip_ntohl(ip_addr_get_ip4_u32(ip)) : 0;
}
static bool dns_finished(void)
{
    return dns_done;
}

static void test_dns_lookup(void **state)
{
    (void)state;
    make_server();
    struct net_if_config c = {.addr = LEASE_IP,
                              .netmask = IP(255, 255, 255, 0),
                              .gateway = SERVER_IP,
                              .dns = SERVER_IP,
                              .make_default = true};
    make_if(sb, &link_b, &c);
    struct udp_pcb *srv = udp_server(53, dns_server_recv);

    ip_addr_t a;
    err_t e = dns_gethostbyname("www.example.test", &a, dns_found, NULL);
    assert_int_equal(e, ERR_INPROGRESS);
    assert_true(run(10000, dns_finished));
    assert_int_equal(dns_answer, SERVER_IP);
    /* Cached now. */
    assert_int_equal(dns_gethostbyname("www.example.test", &a, dns_found, NULL),
                     ERR_OK);

    udp_remove(srv);
    net_if_destroy(sb->nif);
    net_if_destroy(sa->nif);
    sa->nif = sb->nif = NULL;
    pump();
    check_no_leaks();
}

/* ---- TCP echo: A echoes, B sends TOTAL bytes and checks them ---- */

#define TOTAL (200u * 1024u)
static uint8_t pattern(size_t i)
{
    return (uint8_t)(i * 7u + (i >> 8));
}
static size_t sent_bytes, echoed_bytes;
static bool client_closed, server_closed, verify_ok = true;
static struct tcp_pcb *client;

static err_t echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
                       err_t err)
{
    (void)arg;
    (void)err;
    if (!p) {
        tcp_arg(pcb, NULL);
        tcp_recv(pcb, NULL);
        assert_int_equal(tcp_close(pcb), ERR_OK);
        server_closed = true;
        return ERR_OK;
    }
    if (tcp_sndbuf(pcb) < p->tot_len)
        return ERR_MEM; /* lwIP keeps the data and offers it again */
    for (struct pbuf *q = p; q; q = q->next)
        assert_int_equal(
            tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY), ERR_OK);
    tcp_output(pcb);
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static err_t echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    assert_int_equal(err, ERR_OK);
    tcp_recv(pcb, echo_recv);
    return ERR_OK;
}

static void client_push(struct tcp_pcb *pcb)
{
    uint8_t chunk[1000];
    while (sent_bytes < TOTAL) {
        size_t n = TOTAL - sent_bytes < sizeof(chunk) ? TOTAL - sent_bytes
                                                      : sizeof(chunk);
        if (tcp_sndbuf(pcb) < n || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 4)
            break;
        for (size_t i = 0; i < n; i++)
            chunk[i] = pattern(sent_bytes + i);
        if (tcp_write(pcb, chunk, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
            break;
        sent_bytes += n;
    }
    tcp_output(pcb);
}

static err_t client_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)arg;
    (void)len;
    client_push(pcb);
    return ERR_OK;
}

static err_t client_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
                         err_t err)
{
    (void)arg;
    (void)err;
    if (!p)
        return ERR_OK;
    for (struct pbuf *q = p; q; q = q->next) {
        const uint8_t *d = q->payload;
        for (u16_t i = 0; i < q->len; i++)
            if (d[i] != pattern(echoed_bytes + i))
                verify_ok = false;
        echoed_bytes += q->len;
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (echoed_bytes == TOTAL) {
        tcp_arg(pcb, NULL);
        tcp_recv(pcb, NULL);
        tcp_sent(pcb, NULL);
        assert_int_equal(tcp_close(pcb), ERR_OK);
        client_closed = true;
    }
    return ERR_OK;
}

static err_t client_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    assert_int_equal(err, ERR_OK);
    client_push(pcb);
    return ERR_OK;
}

static bool echo_finished(void)
{
    return client_closed && server_closed;
}

static void test_tcp_echo_and_no_leaks(void **state)
{
    (void)state;
    make_server();
    make_static_client();

    struct tcp_pcb *l = tcp_new();
    assert_non_null(l);
    ip_addr_t la;
    ip_addr_set_ip4_u32(&la, lwip_htonl(SERVER_IP));
    assert_int_equal(tcp_bind(l, &la, 7), ERR_OK);
    l = tcp_listen(l);
    assert_non_null(l);
    tcp_accept(l, echo_accept);

    client = tcp_new();
    assert_non_null(client);
    tcp_recv(client, client_recv);
    tcp_sent(client, client_sent);
    ip_addr_t dst;
    ip_addr_set_ip4_u32(&dst, lwip_htonl(SERVER_IP));
    /* The first frames are lost: ARP and SYN are retried. */
    sb->fail_sends = 2;
    assert_int_equal(tcp_connect(client, &dst, 7, client_connected), ERR_OK);

    assert_true(run(60000, echo_finished));
    assert_true(verify_ok);
    assert_int_equal(echoed_bytes, TOTAL);
    assert_true(net_if_get_stats(sb->nif)->tx_dropped >= 1);
    assert_true(net_if_get_stats(sa->nif)->rx_frames > TOTAL / 1460);

    tcp_close(l);
    /* TIME_WAIT lasts 2 * MSL; let it expire. */
    run(2 * TCP_MSL + 5000, NULL);
    net_if_destroy(sb->nif);
    net_if_destroy(sa->nif);
    sa->nif = sb->nif = NULL;
    pump();
    check_no_leaks();
}

static void test_frame_validation(void **state)
{
    (void)state;
    make_server();
    uint8_t f[NET_MAX_FRAME + 1];
    memset(f, 0, sizeof(f));
    assert_int_equal(net_if_input(sa->nif, f, 13), -EMSGSIZE);
    assert_int_equal(net_if_input(sa->nif, f, sizeof(f)), -EMSGSIZE);
    /* A runt with an unknown ethertype is taken and dropped by lwIP. */
    assert_int_equal(net_if_input(sa->nif, f, 60), 0);
    assert_int_equal(net_if_get_stats(sa->nif)->rx_dropped, 2);

    struct net_link bad = link_a;
    struct net_if_config c = {.addr = 1};
    bad.mtu = 100;
    assert_null(net_if_create(&bad, &c));
    bad = link_a;
    bad.send = NULL;
    assert_null(net_if_create(&bad, &c));

    net_if_destroy(sa->nif);
    sa->nif = NULL;
    check_no_leaks();
}

static void test_deadline_follows_timers(void **state)
{
    (void)state;
    uint64_t d = net_next_deadline_ns();
    assert_true(d != UINT64_MAX); /* ARP, DHCP and DNS timers are cyclic */
    assert_true(d >= now);
    assert_true(d - now <= 60ull * 1000000000ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dhcp_lease, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dns_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_echo_and_no_leaks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_frame_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadline_follows_timers, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
