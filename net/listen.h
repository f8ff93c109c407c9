/*
 * A listening TCP socket on lwIP's raw API in one call, for the
 * appliances' servers (httpd, its discard service, kvstore).
 */
#ifndef NET_LISTEN_H
#define NET_LISTEN_H

#include <stdint.h>

#include "lwip/tcp.h"

/*
 * Binds port on every address, listens and installs accept (its arg is
 * NULL).  Returns 0 and the listening pcb in *out (may be NULL), -ENOMEM
 * or -EADDRINUSE.
 */
int net_listen(uint16_t port, tcp_accept_fn accept, struct tcp_pcb **out);

#endif /* NET_LISTEN_H */
