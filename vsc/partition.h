/*
 * An appliance's partition services in a few calls: WinHv, the VMBus
 * client and the four integration components with the kit's standard
 * behaviour:
 *   - heartbeat answered;
 *   - shutdown: the host's request runs the shutdown hooks (VMBus Unload
 *     among them) and powers off with status 0 (restart: also status 0,
 *     the host decides what follows);
 *   - time sync: sets the wall clock (clock_set_wall_ns);
 *   - KVP: the intrinsic pool answers the host name (hostname=NAME on the
 *     command line, default "enlight"), OS name and version, architecture.
 *
 * Usage:
 *   struct vmbus *vb = partition_vmbus();   // NULL: not under Hyper-V
 *   ... create VSC drivers on vb (storvsc_create, ...) ...
 *   partition_connect(0);                   // negotiate, offers, ICs
 *   for (;;) partition_wait(deadline);      // sleep, deliver, poll
 */
#ifndef VSC_PARTITION_H
#define VSC_PARTITION_H

#include <stdint.h>

#include "vmbus/vmbus.h"
#include "vsc/ic.h"

/*
 * Brings up WinHv and creates the VMBus client (once; later calls return
 * the same client).  NULL when there is no Hyper-V interface or no memory;
 * the reason is printed.
 */
struct vmbus *partition_vmbus(void);

/*
 * Starts the ICs and connects at the highest version both sides speak
 * (max_version caps it; 0 = no cap).  Registers vmbus_disconnect() as a
 * shutdown hook.  Returns 0, or the error of winhv_vmbus_attach(),
 * ic_guest_create() (-ENOMEM) or vmbus_connect().
 */
int partition_connect(uint32_t max_version);

/* Sleeps until deadline_ns (clock_now_ns()) or until the host sends
 * something, delivers it, and runs the client's deferred work. */
void partition_wait(uint64_t deadline_ns);

/* The ICs (NULL before partition_connect()). */
struct ic_guest *partition_ics(void);

/* True once the host has set the wall clock through time sync. */
int partition_time_synced(void);

#endif /* VSC_PARTITION_H */
