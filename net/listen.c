/* Listening sockets; see listen.h. */
#include "net/listen.h"

#include <errno.h>
#include <stddef.h>

int net_listen(uint16_t port, tcp_accept_fn accept, struct tcp_pcb **out)
{
    struct tcp_pcb *pcb = tcp_new();
    if (!pcb)
        return -ENOMEM;
    if (tcp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK) {
        tcp_close(pcb);
        return -EADDRINUSE;
    }
    struct tcp_pcb *l = tcp_listen(pcb);
    if (!l) {
        tcp_close(pcb);
        return -ENOMEM;
    }
    tcp_accept(l, accept);
    if (out)
        *out = l;
    return 0;
}
