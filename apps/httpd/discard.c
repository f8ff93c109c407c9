/*
 * A discard service (RFC 863) beside httpd, for measuring host-to-appliance
 * TCP throughput: every connection's bytes are counted and dropped; the
 * connection is closed when the peer has sent everything (its FIN).
 */
#include "apps/httpd/httpd.h"

#include <errno.h>

#include "lwip/tcp.h"
#include "net/listen.h"

static uint64_t received;

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    if (!p || err != ERR_OK) {
        if (p)
            pbuf_free(p);
        tcp_recv(pcb, NULL);
        if (tcp_close(pcb) != ERR_OK)
            tcp_abort(pcb);
        return ERR_OK;
    }
    received += p->tot_len;
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    tcp_recv(pcb, on_recv);
    return ERR_OK;
}

int discard_start(uint16_t port)
{
    return net_listen(port, on_accept, NULL);
}

uint64_t discard_received(void)
{
    return received;
}
