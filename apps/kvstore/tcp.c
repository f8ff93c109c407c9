/*
 * kvstore over TCP: the console's line commands on a listening port (lwIP
 * raw API).  Each connection sends lines and gets the same one-line
 * answers; "quit" closes it.  Commands run inside lwIP's receive callback:
 * the appliance's loop polls netvsc itself (net/up.h), so no frame enters
 * lwIP while a put waits for its disk write.
 */
#include "apps/kvstore/kvstore.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/tcp.h"
#include "net/listen.h"

#define LINE_MAX_BYTES (KV_KEY_MAX + KV_VALUE_MAX + 16)

struct conn {
    struct tcp_pcb *pcb;
    struct kv *kv;
    size_t len;
    bool overflow; /* line too long: skip to its end */
    bool closing;
    bool short_answer; /* an answer did not fit the send buffer */
    char line[LINE_MAX_BYTES];
};

static struct kv *store;
static struct tcp_pcb *listener;

static void tcp_out(void *ctx, const char *s, size_t n)
{
    struct conn *c = ctx;
    if (c->short_answer || n > tcp_sndbuf(c->pcb) ||
        tcp_write(c->pcb, s, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
        c->short_answer = true;
}

static void conn_close(struct conn *c)
{
    tcp_arg(c->pcb, NULL);
    tcp_recv(c->pcb, NULL);
    tcp_err(c->pcb, NULL);
    if (tcp_close(c->pcb) != ERR_OK)
        tcp_abort(c->pcb);
    free(c);
}

static void run_line(struct conn *c)
{
    const struct reply out = {tcp_out, c};
    c->line[c->len] = '\0';
    c->short_answer = false;
    if (kvstore_command(c->kv, c->line, &out))
        c->closing = true;
    if (c->short_answer) {
        static const char msg[] = "ERR answer longer than the send buffer\n";
        if (tcp_sndbuf(c->pcb) >= sizeof(msg) - 1)
            tcp_write(c->pcb, msg, sizeof(msg) - 1, TCP_WRITE_FLAG_COPY);
    }
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct conn *c = arg;
    if (!c) {
        if (p)
            pbuf_free(p);
        return ERR_OK;
    }
    if (!p || err != ERR_OK) {
        if (p)
            pbuf_free(p);
        conn_close(c);
        return ERR_OK;
    }
    for (struct pbuf *q = p; q && !c->closing; q = q->next) {
        const char *d = q->payload;
        for (u16_t i = 0; i < q->len && !c->closing; i++) {
            if (d[i] == '\n') {
                if (c->overflow) {
                    const struct reply out = {tcp_out, c};
                    say_line(&out, "ERR line too long\n");
                } else {
                    run_line(c);
                }
                c->len = 0;
                c->overflow = false;
            } else if (c->len + 1 < sizeof(c->line)) {
                c->line[c->len++] = d[i];
            } else {
                c->overflow = true;
            }
        }
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    tcp_output(pcb);
    if (c->closing)
        conn_close(c);
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    (void)err;
    free(arg); /* the pcb is already gone */
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    c->pcb = pcb;
    c->kv = store;
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_err(pcb, on_err);
    return ERR_OK;
}

int kvstore_tcp_start(struct kv *kv, uint16_t port)
{
    store = kv;
    return net_listen(port, on_accept, &listener);
}
