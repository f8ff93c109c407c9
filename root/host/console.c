/* The root console; see console.h. */
#include "root/host/console.h"
#include "common/fmt.h"
#include "proto/ic.h"
#include "root/vmbus/ic.h"
#include "root/vmbus/server.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define HEARTBEAT_NS 1000000000ull
#define TIMESYNC_NS 5000000000ull
#define WAIT_ICS_DEFAULT_S 30
#define MAX_WORDS 6
#define MAX_RESCINDED 8
#define MAX_EXT 8
/* 100 ns units between 1601-01-01 and 1970-01-01. */
#define EPOCH_1601_100NS 116444736000000000ull

struct root_console {
    struct root_console_env env;
    struct ic_host_events ev;
    struct vmbus_server *srv;
    struct ic_host *ic;
    char line[ROOT_CONSOLE_LINE_MAX];
    size_t len;
    /* Script: commands run one after another from tick(). */
    char *script[ROOT_CONSOLE_SCRIPT_MAX];
    unsigned nscript, next;
    uint64_t wait_until;  /* sleep or wait deadline, 0 = none */
    unsigned waiting_ics; /* mask of IC_HOST_* services waited for */
    bool measuring;
    /* "wait text": the string, and the child's current output line. */
    char want_text[64];
    bool text_seen;
    char child_line[160];
    size_t child_len;
    uint64_t measure_start_ns, measure_start_exits;
    /* Time sync. */
    bool ts_sent;
    uint64_t ts_last;
    /* Commands other parts of the root added. */
    struct {
        const char *name, *help;
        root_console_cmd_fn fn;
        void *ctx;
    } ext[MAX_EXT];
    unsigned next_ext;
    /* Devices rescinded from the console, for hotadd. */
    struct {
        uint32_t relid;
        bool used;
        struct vmbus_server_device dev;
    } gone[MAX_RESCINDED];
};

static void say(struct root_console *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(struct root_console *c, const char *fmt, ...)
{
    char buf[ROOT_CONSOLE_LINE_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    c->env.print(c->env.ctx, buf);
}

static const char *const ic_names[IC_HOST_COUNT] = {"heartbeat", "shutdown",
                                                    "timesync", "kvp"};

static void on_kvp(void *ctx, uint8_t op, uint8_t pool, uint32_t index,
                   uint32_t status, const char *key, const char *value)
{
    static const char *const ops[] = {"get", "set", "delete", "enum"};
    struct root_console *c = ctx;
    if (status == IC_S_OK)
        say(c, "console: kvp %s pool %u [%u] %s = \"%s\"",
            op < 4 ? ops[op] : "?", pool, (unsigned)index, key, value);
    else
        say(c, "console: kvp %s pool %u [%u] %s: status 0x%08x",
            op < 4 ? ops[op] : "?", pool, (unsigned)index, key,
            (unsigned)status);
}

static void on_shutdown(void *ctx, uint32_t status)
{
    say(ctx, "console: guest answered shutdown: status 0x%08x",
        (unsigned)status);
}

struct root_console *root_console_create(const struct root_console_env *env)
{
    struct root_console *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->env = *env;
    c->ev = (struct ic_host_events){c, on_kvp, on_shutdown};
    return c;
}

void root_console_destroy(struct root_console *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->nscript; i++)
        free(c->script[i]);
    free(c);
}

const struct ic_host_events *root_console_ic_events(struct root_console *c)
{
    return &c->ev;
}

void root_console_attach(struct root_console *c, struct vmbus_server *srv,
                         struct ic_host *ic)
{
    c->srv = srv;
    c->ic = ic;
}

static bool ics_ready(const struct root_console *c, unsigned mask)
{
    if (!c->ic)
        return false;
    for (unsigned s = 0; s < IC_HOST_COUNT; s++)
        if ((mask & (1u << s)) && !ic_host_ready(c->ic, s))
            return false;
    return true;
}

static int send_time(struct root_console *c, uint8_t flags)
{
    uint64_t wall = c->env.wall_ns ? c->env.wall_ns(c->env.ctx) : 0;
    if (!wall)
        return -ENODATA;
    uint64_t ref =
        c->env.child_ref_100ns ? c->env.child_ref_100ns(c->env.ctx) : 0;
    return ic_host_timesync(c->ic, wall / 100 + EPOCH_1601_100NS, ref, flags);
}

static int parse_u32(const char *s, uint32_t *out)
{
    char *end;
    if (!s || !*s)
        return -EINVAL;
    unsigned long v = strtoul(s, &end, 0);
    if (*end || v > 0xFFFFFFFFul)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

static int result(struct root_console *c, const char *what, int r)
{
    if (r == 0)
        say(c, "console: %s: sent", what);
    else
        say(c, "console: %s: error %d", what, r);
    return r;
}

int root_console_add_command(struct root_console *c, const char *name,
                             const char *help, root_console_cmd_fn fn,
                             void *ctx)
{
    if (c->next_ext >= MAX_EXT)
        return -ENOSPC;
    c->ext[c->next_ext].name = name;
    c->ext[c->next_ext].help = help;
    c->ext[c->next_ext].fn = fn;
    c->ext[c->next_ext].ctx = ctx;
    c->next_ext++;
    return 0;
}

void root_console_say(struct root_console *c, const char *line)
{
    c->env.print(c->env.ctx, line);
}

static int cmd_help(struct root_console *c)
{
    say(c, "console: commands: help, stats, vmbus, ics, shutdown [reboot], "
           "timesync, kvp get|set|lookup|enum POOL ..., rescind RELID, "
           "hotadd RELID; in scripts also: wait ics [S], wait ic NAME [S], "
           "sleep MS, measure MS");
    for (unsigned i = 0; i < c->next_ext; i++)
        say(c, "console: %s", c->ext[i].help);
    return 0;
}

static int cmd_vmbus(struct root_console *c)
{
    if (!c->srv) {
        say(c, "console: no VMBus server");
        return -ENODEV;
    }
    uint32_t v = vmbus_server_version(c->srv);
    const struct vmbus_server_stats *st = vmbus_server_get_stats(c->srv);
    say(c,
        "console: vmbus %s, version %u.%u, messages in %llu out %llu "
        "dropped %llu, signals in %llu, interrupts out %llu",
        vmbus_server_connected(c->srv) ? "connected" : "not connected",
        (unsigned)(v >> 16), (unsigned)(v & 0xFFFF),
        (unsigned long long)st->msgs_in, (unsigned long long)st->msgs_out,
        (unsigned long long)st->msgs_dropped,
        (unsigned long long)st->signals_in,
        (unsigned long long)st->interrupts_out);
    for (uint32_t relid = 1; relid <= VMBUS_MAX_RELID; relid++) {
        struct vmbus_server_channel *ch = vmbus_server_channel(c->srv, relid);
        if (!ch)
            continue;
        const char *name = vmbus_server_chan_device(ch)->name;
        uint16_t sub = vmbus_server_chan_sub_index(ch);
        struct vmbus_server_channel *p = vmbus_server_chan_primary(ch);
        if (sub)
            say(c, "console: relid %u %s %s, sub-channel %u of relid %u",
                (unsigned)relid, name ? name : "?",
                vmbus_server_chan_is_open(ch) ? "open" : "closed",
                (unsigned)sub, p ? (unsigned)vmbus_server_chan_relid(p) : 0u);
        else
            say(c, "console: relid %u %s %s", (unsigned)relid,
                name ? name : "?",
                vmbus_server_chan_is_open(ch) ? "open" : "closed");
    }
    return 0;
}

static int cmd_ics(struct root_console *c)
{
    if (!c->ic) {
        say(c, "console: no integration components");
        return -ENODEV;
    }
    for (unsigned s = 0; s < IC_HOST_COUNT; s++) {
        uint32_t v = ic_host_version(c->ic, s);
        say(c, "console: ic %s %s version %u.%u", ic_names[s],
            ic_host_ready(c->ic, s) ? "up" : "down", (unsigned)(v >> 16),
            (unsigned)(v & 0xFFFF));
    }
    say(c, "console: heartbeats %llu, bad messages %llu",
        (unsigned long long)ic_host_heartbeats(c->ic),
        (unsigned long long)ic_host_bad_messages(c->ic));
    return 0;
}

static int cmd_kvp(struct root_console *c, char **w, int n)
{
    uint32_t pool;
    if (n < 4 || parse_u32(w[2], &pool) || pool >= IC_KVP_POOL_COUNT) {
        say(c, "console: usage: kvp get|set|lookup POOL KEY [VALUE], "
               "kvp enum POOL INDEX (POOL 0-4)");
        return -EINVAL;
    }
    if (!c->ic)
        return result(c, "kvp", -ENODEV);
    if (strcmp(w[1], "get") == 0 && n == 4)
        return result(c, "kvp get",
                      ic_host_kvp_get(c->ic, (uint8_t)pool, w[3]));
    if (strcmp(w[1], "lookup") == 0 && n == 4)
        return result(c, "kvp lookup",
                      ic_host_kvp_lookup(c->ic, (uint8_t)pool, w[3]));
    if (strcmp(w[1], "set") == 0 && n == 5)
        return result(c, "kvp set",
                      ic_host_kvp_set(c->ic, (uint8_t)pool, w[3], w[4]));
    uint32_t index;
    if (strcmp(w[1], "enum") == 0 && n == 4 && parse_u32(w[3], &index) == 0)
        return result(c, "kvp enum",
                      ic_host_kvp_enumerate(c->ic, (uint8_t)pool, index));
    say(c, "console: unknown kvp command '%s'", w[1]);
    return -EINVAL;
}

static int cmd_rescind(struct root_console *c, const char *arg)
{
    uint32_t relid;
    if (parse_u32(arg, &relid)) {
        say(c, "console: usage: rescind RELID");
        return -EINVAL;
    }
    struct vmbus_server_channel *ch =
        c->srv ? vmbus_server_channel(c->srv, relid) : NULL;
    if (!ch) {
        say(c, "console: no channel %u", (unsigned)relid);
        return -ENOENT;
    }
    unsigned slot = 0;
    while (slot < MAX_RESCINDED && c->gone[slot].used)
        slot++;
    if (slot == MAX_RESCINDED) {
        say(c, "console: too many rescinded devices");
        return -ENOSPC;
    }
    struct vmbus_server_device dev = *vmbus_server_chan_device(ch);
    bool sub = vmbus_server_chan_sub_index(ch) != 0;
    int r = vmbus_server_rescind(c->srv, ch);
    if (r == 0 && sub) {
        /* its device offers it again only at the guest's request */
        say(c, "console: rescinded a sub-channel of %s (relid %u)",
            dev.name ? dev.name : "?", (unsigned)relid);
        return 0;
    }
    if (r == 0) {
        c->gone[slot].used = true;
        c->gone[slot].relid = relid;
        c->gone[slot].dev = dev;
        say(c, "console: rescinded %s (relid %u)", dev.name ? dev.name : "?",
            (unsigned)relid);
        return 0;
    }
    return result(c, "rescind", r);
}

static int cmd_hotadd(struct root_console *c, const char *arg)
{
    uint32_t relid;
    if (parse_u32(arg, &relid)) {
        say(c, "console: usage: hotadd RELID (of a rescinded device)");
        return -EINVAL;
    }
    for (unsigned i = 0; i < MAX_RESCINDED; i++) {
        if (!c->gone[i].used || c->gone[i].relid != relid)
            continue;
        struct vmbus_server_channel *ch;
        int r = vmbus_server_add_device(c->srv, &c->gone[i].dev, &ch);
        if (r)
            return result(c, "hotadd", r);
        c->gone[i].used = false;
        say(c, "console: offered %s again as relid %u",
            c->gone[i].dev.name ? c->gone[i].dev.name : "?",
            (unsigned)vmbus_server_chan_relid(ch));
        return 0;
    }
    say(c, "console: relid %u was not rescinded here", (unsigned)relid);
    return -ENOENT;
}

/* Splits line into at most MAX_WORDS words in buf. */
static int split(char *buf, char **w)
{
    int n = 0;
    for (char *p = buf; *p;) {
        while (*p == ' ' || *p == '\t')
            *p++ = '\0';
        if (!*p)
            break;
        if (n == MAX_WORDS)
            return -E2BIG;
        w[n++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
    return n;
}

int root_console_exec(struct root_console *c, const char *line)
{
    char buf[ROOT_CONSOLE_LINE_MAX];
    char *w[MAX_WORDS];
    size_t len = strlen(line);

    if (len >= sizeof(buf)) {
        say(c, "console: line too long");
        return -EINVAL;
    }
    memcpy(buf, line, len + 1);
    int n = split(buf, w);
    if (n < 0) {
        say(c, "console: too many words");
        return -EINVAL;
    }
    if (n == 0)
        return 0;
    if (strcmp(w[0], "help") == 0)
        return cmd_help(c);
    if (strcmp(w[0], "stats") == 0) {
        if (c->env.print_stats)
            c->env.print_stats(c->env.ctx);
        return 0;
    }
    if (strcmp(w[0], "vmbus") == 0)
        return cmd_vmbus(c);
    if (strcmp(w[0], "ics") == 0)
        return cmd_ics(c);
    if (strcmp(w[0], "shutdown") == 0) {
        uint32_t flags = 0;
        if (n > 1 && strcmp(w[1], "reboot") == 0)
            flags = IC_SHUTDOWN_FLAG_RESTART;
        else if (n > 1) {
            say(c, "console: usage: shutdown [reboot]");
            return -EINVAL;
        }
        if (!c->ic)
            return result(c, "shutdown", -ENODEV);
        return result(c, "shutdown", ic_host_shutdown(c->ic, flags, 0));
    }
    if (strcmp(w[0], "timesync") == 0)
        return result(c, "timesync",
                      c->ic ? send_time(c, IC_TIMESYNC_SYNC) : -ENODEV);
    if (strcmp(w[0], "kvp") == 0)
        return cmd_kvp(c, w, n);
    if (strcmp(w[0], "rescind") == 0)
        return cmd_rescind(c, n > 1 ? w[1] : NULL);
    if (strcmp(w[0], "hotadd") == 0)
        return cmd_hotadd(c, n > 1 ? w[1] : NULL);
    for (unsigned i = 0; i < c->next_ext; i++)
        if (strcmp(w[0], c->ext[i].name) == 0)
            return c->ext[i].fn(c->ext[i].ctx, n - 1, w + 1);
    if (strcmp(w[0], "wait") == 0 || strcmp(w[0], "sleep") == 0 ||
        strcmp(w[0], "measure") == 0) {
        say(c, "console: '%s' works in scripts only", w[0]);
        return -EINVAL;
    }
    say(c, "console: unknown command '%s' (try help)", w[0]);
    return -EINVAL;
}

void root_console_child_byte(struct root_console *c, uint8_t byte)
{
    if (!c->want_text[0])
        return;
    if (byte == '\n' || byte == '\r' ||
        c->child_len + 1 >= sizeof(c->child_line)) {
        c->child_line[c->child_len] = '\0';
        if (strstr(c->child_line, c->want_text))
            c->text_seen = true;
        c->child_len = 0;
        if (byte == '\n' || byte == '\r')
            return;
    }
    c->child_line[c->child_len++] = (char)byte;
}

void root_console_input(struct root_console *c, int ch)
{
    if (ch == '\r' || ch == '\n') {
        c->line[c->len] = '\0';
        c->len = 0;
        if (c->line[0])
            root_console_exec(c, c->line);
        return;
    }
    if ((ch == 0x7F || ch == 0x08) && c->len) {
        c->len--;
        return;
    }
    if (ch >= 0x20 && ch < 0x7F && c->len + 1 < sizeof(c->line))
        c->line[c->len++] = (char)ch;
}

int root_console_script(struct root_console *c, const char *script)
{
    char *copy[ROOT_CONSOLE_SCRIPT_MAX];
    unsigned n = 0;
    const char *p = script;

    while (*p) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (*p == ' '))
            p++, len--;
        if (len) {
            if (n + c->nscript >= ROOT_CONSOLE_SCRIPT_MAX ||
                len >= ROOT_CONSOLE_LINE_MAX) {
                for (unsigned i = 0; i < n; i++)
                    free(copy[i]);
                say(c, "console: script too long");
                return -E2BIG;
            }
            copy[n] = malloc(len + 1);
            if (!copy[n]) {
                for (unsigned i = 0; i < n; i++)
                    free(copy[i]);
                return -ENOMEM;
            }
            memcpy(copy[n], p, len);
            copy[n][len] = '\0';
            n++;
        }
        if (!end)
            break;
        p = end + 1;
    }
    for (unsigned i = 0; i < n; i++)
        c->script[c->nscript++] = copy[i];
    return 0;
}

int root_console_busy(const struct root_console *c)
{
    return c->next < c->nscript || c->wait_until || c->want_text[0] ||
           c->waiting_ics;
}

static void script_step(struct root_console *c, uint64_t now)
{
    for (;;) {
        if (c->want_text[0]) {
            if (c->text_seen || now >= c->wait_until) {
                say(c,
                    c->text_seen ? "console: the child printed \"%s\""
                                 : "console: wait text \"%s\": timed out",
                    c->want_text);
                c->want_text[0] = '\0';
                c->wait_until = 0;
            } else {
                return;
            }
        } else if (c->waiting_ics) {
            if (ics_ready(c, c->waiting_ics)) {
                say(c, "console: %s up",
                    c->waiting_ics == (1u << IC_HOST_COUNT) - 1
                        ? "all integration components are"
                        : "the integration component is");
                c->waiting_ics = 0;
                c->wait_until = 0;
            } else if (now >= c->wait_until) {
                c->waiting_ics = 0;
                c->wait_until = 0;
                say(c, "console: wait: timed out");
            } else {
                return;
            }
        } else if (c->wait_until) {
            if (now < c->wait_until)
                return;
            c->wait_until = 0;
            if (c->measuring) {
                c->measuring = false;
                uint64_t n =
                    c->env.exit_count(c->env.ctx) - c->measure_start_exits;
                uint64_t ms = (now - c->measure_start_ns) / 1000000;
                say(c, "console: %llu exits in %llu ms: %llu per second",
                    (unsigned long long)n, (unsigned long long)ms,
                    (unsigned long long)(ms ? n * 1000 / ms : 0));
            }
        }
        if (c->next >= c->nscript)
            return;
        char *cmd = c->script[c->next++];
        char buf[ROOT_CONSOLE_LINE_MAX];
        char *w[MAX_WORDS];
        memcpy(buf, cmd, strlen(cmd) + 1);
        int n = split(buf, w);
        uint32_t arg;
        if (strncmp(cmd, "wait text ", 10) == 0 && cmd[10]) {
            size_t l = strlen(cmd + 10);
            if (l >= sizeof(c->want_text))
                l = sizeof(c->want_text) - 1;
            memcpy(c->want_text, cmd + 10, l);
            c->want_text[l] = '\0';
            c->text_seen = false;
            c->child_len = 0;
            c->wait_until = now + 120000000000ull;
            continue;
        }
        unsigned mask = 0;
        int sec_word = 2;
        if (n >= 2 && strcmp(w[0], "wait") == 0 && strcmp(w[1], "ics") == 0) {
            mask = (1u << IC_HOST_COUNT) - 1;
        } else if (n >= 3 && strcmp(w[0], "wait") == 0 &&
                   strcmp(w[1], "ic") == 0) {
            for (unsigned i = 0; i < IC_HOST_COUNT; i++)
                if (strcmp(w[2], ic_names[i]) == 0)
                    mask = 1u << i;
            if (!mask)
                say(c, "console: wait ic: unknown service '%s'", w[2]);
            sec_word = 3;
        }
        if (mask) {
            uint32_t s = WAIT_ICS_DEFAULT_S;
            if (n > sec_word && parse_u32(w[sec_word], &s))
                say(c, "console: wait: bad seconds '%s'", w[sec_word]);
            c->waiting_ics = mask;
            c->wait_until = now + (uint64_t)s * 1000000000ull;
        } else if (n >= 1 && strcmp(w[0], "wait") == 0) {
            if (!(n >= 3 && strcmp(w[1], "ic") == 0)) /* else said above */
                say(c, "console: usage: wait ics [S] | wait ic NAME [S]");
        } else if (n == 2 && strcmp(w[0], "sleep") == 0 &&
                   parse_u32(w[1], &arg) == 0) {
            c->wait_until = now + (uint64_t)arg * 1000000ull;
        } else if (n == 2 && strcmp(w[0], "measure") == 0 &&
                   parse_u32(w[1], &arg) == 0 && arg && c->env.exit_count) {
            c->measuring = true;
            c->measure_start_ns = now;
            c->measure_start_exits = c->env.exit_count(c->env.ctx);
            c->wait_until = now + (uint64_t)arg * 1000000ull;
        } else {
            say(c, "console> %s", cmd);
            root_console_exec(c, cmd);
        }
    }
}

void root_console_tick(struct root_console *c)
{
    uint64_t now = c->env.now_ns(c->env.ctx);

    if (c->ic) {
        ic_host_tick(c->ic, now, HEARTBEAT_NS);
        if (ic_host_ready(c->ic, IC_HOST_TIMESYNC) &&
            (!c->ts_sent || now - c->ts_last >= TIMESYNC_NS)) {
            uint8_t flags = c->ts_sent ? IC_TIMESYNC_SAMPLE : IC_TIMESYNC_SYNC;
            if (send_time(c, flags) == 0) {
                if (!c->ts_sent)
                    say(c, "console: time sync sent");
                c->ts_sent = true;
            }
            c->ts_last = now;
        }
    }
    script_step(c, now);
}
