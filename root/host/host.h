/*
 * Wiring of the root's host-side services for one child: the integration
 * components with the root console driving them, the RTC wall clock for
 * time sync, and the console script from the root's command line
 * (console="cmd; cmd").  Called by root/boot once the VMBus server exists.
 */
#ifndef ROOT_HOST_HOST_H
#define ROOT_HOST_HOST_H

#include "root/host/console.h"
#include "root/hv/vcpu.h"
#include "root/vmbus/server.h"

/*
 * Creates the console and the ICs on srv, queues the command line's
 * console= script, and registers a poller (heartbeats, time samples,
 * script steps; the root wakes at least every 100 ms for it).  print_stats
 * prints the exit statistics, exit_count returns the child's exits so far.
 * Returns the console, or NULL (no memory; the VMBus server then runs
 * without ICs).
 */
struct root_console *root_host_start(struct vcpu *child,
                                     struct vmbus_server *srv,
                                     const char *root_cmdline,
                                     void (*print_stats)(void),
                                     uint64_t (*exit_count)(void));

/* The console root_host_start() made, or NULL. */
struct root_console *root_host_console(void);

#endif /* ROOT_HOST_HOST_H */
