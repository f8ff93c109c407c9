/*
 * The root's side of the VMBus platform seam (root/vmbus/platform.h) for
 * one child: guest memory through gmem_ptr(), messages and event flags
 * through the SynIC emulation, and the hypercall connection ids the server
 * owns (messages 1 and 4, events VMBUS_SERVER_CONN_BASE and up) routed to
 * it.  The EOM and poll hooks of struct vcpu drive its retries.
 */
#ifndef ROOT_HV_VMBUS_HOST_H
#define ROOT_HV_VMBUS_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "root/hv/vcpu.h"
#include "root/vmbus/server.h"

/* Event connection ids routed to the server (relids up to 0xFFF). */
#define ROOT_VMBUS_EVENT_CONNS 0x1000u

struct root_vmbus_env {
    void *(*alloc)(size_t bytes); /* zeroed */
    void (*free)(void *p);
    uint64_t (*now_ns)(void);
};

/*
 * Creates the server for v and plugs it in.  Returns the server, or NULL
 * when memory ran out or a connection id is already taken (nothing is left
 * registered then... except ids registered before the failure; the child
 * should not be started).
 */
struct vmbus_server *root_vmbus_attach(struct vcpu *v,
                                       const struct root_vmbus_env *env);

#endif /* ROOT_HV_VMBUS_HOST_H */
