/* Host-side services for the child; see host.h. */
#include "root/host/host.h"
#include "common/cmdline.h"
#include "common/x86/cpu.h"
#include "root/boot/root.h"
#include "root/host/rtc.h"
#include "root/svm/svm.h"
#include "root/vmbus/ic.h"

#include <errno.h>
#include <stdlib.h>

#define POLL_NS 100000000ull /* 100 ms: script steps and heartbeats */

struct host {
    struct vcpu *child;
    uint64_t rtc_phase_ns; /* host sub-second when the RTC was set */
    void (*print_stats)(void);
    uint64_t (*exit_count)(void);
    struct root_console *con;
};

static void print(void *ctx, const char *line)
{
    (void)ctx;
    root_log("%s\n", line);
}

static void print_stats(void *ctx)
{
    struct host *h = ctx;
    if (h->print_stats)
        h->print_stats();
}

static uint64_t now_ns(void *ctx)
{
    (void)ctx;
    return root_now_ns();
}

/*
 * The RTC is read on first use: the seconds edge costs up to a second.
 * QEMU sets its RTC from the host clock truncated to a second; the
 * launcher passes the truncated fraction as rtc_phase_ms.
 */
static uint64_t wall_ns(void *ctx)
{
    struct host *h = ctx;
    if (rtc_sync(root_now_ns))
        return 0;
    return rtc_wall_ns(root_now_ns()) + h->rtc_phase_ns;
}

static uint64_t child_ref(void *ctx)
{
    struct host *h = ctx;
    return vcpu_ref_time_at(h->child, rdtsc());
}

static uint64_t exits(void *ctx)
{
    struct host *h = ctx;
    return h->exit_count ? h->exit_count() : 0;
}

static void poll(void *ctx)
{
    struct host *h = ctx;
    root_console_tick(h->con);
}

static struct root_console *the_console;

struct root_console *root_host_console(void)
{
    return the_console;
}

struct root_console *root_host_start(struct vcpu *child,
                                     struct vmbus_server *srv,
                                     const char *root_cmdline,
                                     void (*print_stats_fn)(void),
                                     uint64_t (*exit_count)(void))
{
    struct host *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->child = child;
    h->print_stats = print_stats_fn;
    h->exit_count = exit_count;
    struct root_console_env env = {h,       print,     print_stats, now_ns,
                                   wall_ns, child_ref, exits};
    h->con = root_console_create(&env);
    if (!h->con) {
        free(h);
        return NULL;
    }
    struct ic_host *ic = ic_host_create(srv, root_console_ic_events(h->con));
    if (!ic)
        root_log("root: integration components not available\n");
    root_console_attach(h->con, srv, ic);

    char val[16];
    uint64_t phase;
    if (cmdline_get(root_cmdline, "rtc_phase_ms", val, sizeof(val)) == 1 &&
        cmdline_parse_size(val, &phase) == 0 && phase < 1000)
        h->rtc_phase_ns = phase * 1000000ull;

    static char script[1024];
    int r = cmdline_get(root_cmdline, "console", script, sizeof(script));
    if (r == 1 && root_console_script(h->con, script))
        root_log("root: console script not accepted\n");
    else if (r == -ENOSPC)
        root_log("root: console script longer than %zu bytes\n",
                 sizeof(script) - 1);
    if (root_poller_add(poll, h, POLL_NS))
        root_log("root: no poller slot for the console\n");
    the_console = h->con;
    return h->con;
}
