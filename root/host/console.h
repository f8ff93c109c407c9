/*
 * The root console: commands typed on the root's serial port, or given as
 * a script on the root's command line (console="cmd; cmd; ..."), that act
 * on the child partition's VMBus and integration components.  It also
 * drives the ICs over time: a heartbeat every second and a time sample
 * when time sync comes up and every 5 s after.
 *
 * Commands (one per line, or ';'-separated in a script):
 *   help                      list the commands
 *   stats                     exit statistics by reason
 *   vmbus                     VMBus version and message/interrupt counters
 *   ics                       each IC's state, version, heartbeats
 *   shutdown [reboot]         ask the guest to shut down (or reboot)
 *   timesync                  send the host's wall clock now
 *   kvp get POOL KEY          ask the guest for KEY in POOL (0-4)
 *   kvp set POOL KEY VALUE    store KEY=VALUE in the guest's POOL
 *   kvp lookup POOL KEY       find KEY by enumerating POOL (as Hyper-V reads
 *                             the guest's intrinsic pool 2, e.g. the key
 *                             FullyQualifiedDomainName)
 *   kvp enum POOL INDEX       the INDEXth entry of POOL
 *   rescind RELID             withdraw the channel RELID from the guest
 *   hotadd RELID              offer a rescinded device again
 * Script-only:
 *   wait ics [SECONDS]        until all four ICs are up (default 30 s)
 *   wait ic NAME [SECONDS]    until one is (heartbeat, shutdown, timesync,
 *                             kvp)
 *   wait text STRING          until the child prints a line containing
 *                             STRING on its serial port (120 s at most)
 *   sleep MS                  pause the script
 *   measure MS                count the child's exits for MS milliseconds
 *                             and print the rate ("N exits in MS ms: R per
 *                             second")
 * Results arrive asynchronously as lines starting "console: ".
 */
#ifndef ROOT_HOST_CONSOLE_H
#define ROOT_HOST_CONSOLE_H

#include <stdint.h>

struct vmbus_server;
struct ic_host;
struct ic_host_events;
struct root_console;

struct root_console_env {
    void *ctx;
    /* One line of output, no newline. */
    void (*print)(void *ctx, const char *line);
    /* Prints the exit statistics; NULL if there are none. */
    void (*print_stats)(void *ctx);
    /* Monotonic nanoseconds. */
    uint64_t (*now_ns)(void *ctx);
    /* Host wall clock, ns since 1970, or 0 when unknown (no time sync). */
    uint64_t (*wall_ns)(void *ctx);
    /* The child's reference counter (100 ns), for time samples. */
    uint64_t (*child_ref_100ns)(void *ctx);
    /* The child's VM exits so far; NULL if not counted. */
    uint64_t (*exit_count)(void *ctx);
};

#define ROOT_CONSOLE_LINE_MAX 256
#define ROOT_CONSOLE_SCRIPT_MAX 64 /* commands */

/* NULL on no memory.  env is copied. */
struct root_console *root_console_create(const struct root_console_env *env);
void root_console_destroy(struct root_console *c);

/* The events ic_host_create() should get, so answers reach the console. */
const struct ic_host_events *root_console_ic_events(struct root_console *c);
/* What the commands act on; either may be NULL (then they say so). */
void root_console_attach(struct root_console *c, struct vmbus_server *srv,
                         struct ic_host *ic);

/* One typed character; a line runs at CR or LF, backspace edits. */
void root_console_input(struct root_console *c, int ch);
/* Runs one command now.  Returns 0, -EINVAL (unknown or malformed, with a
 * message), or the error of the action (-ENOTCONN, -EAGAIN, ...). */
int root_console_exec(struct root_console *c, const char *line);
/* Queues a ';'-separated script.  Returns 0 or -E2BIG (too many commands,
 * none queued). */
int root_console_script(struct root_console *c, const char *script);
/* Call from the root's loop: IC heartbeats and time samples, script steps. */
void root_console_tick(struct root_console *c);
/*
 * Adds a command another part of the root provides ("disk add", ...):
 * fn gets the words after the command's name and prints through say.
 * Returns 0 or -ENOSPC (8 already).
 */
typedef int (*root_console_cmd_fn)(void *ctx, int argc, char **argv);
int root_console_add_command(struct root_console *c, const char *name,
                             const char *help, root_console_cmd_fn fn,
                             void *ctx);
/* Prints one line on the console (for extension commands). */
void root_console_say(struct root_console *c, const char *line);

/* A byte the child wrote to its serial port (for "wait text"). */
void root_console_child_byte(struct root_console *c, uint8_t byte);
/* True when a script is queued and not finished. */
int root_console_busy(const struct root_console *c);

#endif /* ROOT_HOST_CONSOLE_H */
