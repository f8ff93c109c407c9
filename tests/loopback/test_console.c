/*
 * Loopback tests of the root console (root/host/console.c): its commands
 * and scripts drive the root's ICs against the guest's ICs over the VMBus
 * client and server in one process.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "root/host/console.h"
#include "root/vmbus/ic.h"
#include "tests/loopback/shim.h"
#include "vsc/ic.h"

#define MAX_LINES 64

struct fixture {
    struct lb lb;
    struct root_console *con;
    struct ic_host *host;
    struct ic_guest *guest;
    struct ic_guest_identity id;
    char lines[MAX_LINES][320];
    unsigned nlines;
    unsigned stats_calls;
    unsigned shutdowns;
    uint64_t guest_wall_ns;
};

static struct fixture *cur;

static void print(void *ctx, const char *line)
{
    struct fixture *f = ctx;
    if (f->nlines < MAX_LINES)
        snprintf(f->lines[f->nlines++], sizeof(f->lines[0]), "%s", line);
    if (f->lb.verbose)
        printf("%s\n", line);
}

static void print_stats(void *ctx)
{
    struct fixture *f = ctx;
    f->stats_calls++;
}

static uint64_t now_ns(void *ctx)
{
    struct fixture *f = ctx;
    return f->lb.now_ns;
}

/* The host's wall clock: 2026-01-01T00:00:00Z plus virtual time. */
#define WALL_BASE_NS 1767225600000000000ull
static uint64_t wall_ns(void *ctx)
{
    struct fixture *f = ctx;
    return WALL_BASE_NS + f->lb.now_ns;
}

static uint64_t ref_100ns(void *ctx)
{
    struct fixture *f = ctx;
    return f->lb.now_ns / 100;
}

/* Pretend every 10 ms of virtual time costs one exit. */
static uint64_t exit_count(void *ctx)
{
    struct fixture *f = ctx;
    return f->lb.now_ns / 10000000;
}

static void g_shutdown(void *ctx, uint32_t flags)
{
    (void)ctx;
    (void)flags;
    cur->shutdowns++;
}

static void g_set_time(void *ctx, uint64_t ns, uint8_t flags)
{
    (void)ctx;
    (void)flags;
    cur->guest_wall_ns = ns;
}

static int found(struct fixture *f, const char *needle)
{
    for (unsigned i = 0; i < f->nlines; i++)
        if (strstr(f->lines[i], needle))
            return 1;
    return 0;
}

/* Runs the console and the loopback for a while of virtual time. */
static void run(struct fixture *f, unsigned steps)
{
    for (unsigned i = 0; i < steps; i++) {
        root_console_tick(f->con);
        vmbus_poll(f->lb.vb);
        lb_pump(&f->lb);
        f->lb.now_ns += 10000000; /* 10 ms */
    }
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    cur = f;
    assert_int_equal(lb_init(&f->lb, 256, NULL), 0);
    f->lb.verbose = getenv("LB_VERBOSE") != NULL;
    struct root_console_env env = {f,       print,     print_stats, now_ns,
                                   wall_ns, ref_100ns, exit_count};
    f->con = root_console_create(&env);
    assert_non_null(f->con);
    f->host = ic_host_create(f->lb.srv, root_console_ic_events(f->con));
    assert_non_null(f->host);
    root_console_attach(f->con, f->lb.srv, f->host);
    f->id = (struct ic_guest_identity){.host_name = "enlight-console-test",
                                       .os_name = "Enlight"};
    struct ic_guest_config gc = {.ctx = &f->id,
                                 .shutdown = g_shutdown,
                                 .set_time = g_set_time,
                                 .kvp_auto = ic_guest_kvp_identity};
    f->guest = ic_guest_create(f->lb.vb, &gc);
    assert_non_null(f->guest);
    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
    lb_pump(&f->lb);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    ic_guest_destroy(f->guest);
    ic_host_destroy(f->host);
    root_console_destroy(f->con);
    lb_fini(&f->lb);
    free(f);
    return 0;
}

static void test_script_ics_kvp_shutdown(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(root_console_script(f->con,
                                         "wait ics 5; ics; kvp lookup 2 "
                                         "FullyQualifiedDomainName; sleep 200; "
                                         "measure 500; vmbus; shutdown"),
                     0);
    assert_true(root_console_busy(f->con));
    run(f, 300);
    assert_false(root_console_busy(f->con));
    assert_true(found(f, "all integration components are up"));
    assert_true(found(f, "ic heartbeat up"));
    assert_true(found(f, "ic kvp up"));
    assert_true(
        found(f, "FullyQualifiedDomainName = \"enlight-console-test\""));
    assert_true(found(f, "vmbus connected"));
    assert_true(found(f, "exits in 500 ms: 100 per second"));
    assert_true(found(f, "guest answered shutdown: status 0x00000000"));
    assert_int_equal(f->shutdowns, 1);
    /* Heartbeats flowed once a second and time sync reached the guest. */
    assert_true(ic_host_heartbeats(f->host) >= 2);
    assert_true(found(f, "time sync sent"));
    assert_true(f->guest_wall_ns >= WALL_BASE_NS);
    assert_true(f->guest_wall_ns < WALL_BASE_NS + 10000000000ull);
}

static void test_commands_and_errors(void **state)
{
    struct fixture *f = *state;
    run(f, 50);
    assert_int_equal(root_console_exec(f->con, "stats"), 0);
    assert_int_equal(f->stats_calls, 1);
    assert_int_equal(root_console_exec(f->con, "help"), 0);
    assert_int_equal(root_console_exec(f->con, "frobnicate"), -EINVAL);
    assert_true(found(f, "unknown command 'frobnicate'"));
    assert_int_equal(root_console_exec(f->con, "kvp get 9 x"), -EINVAL);
    assert_int_equal(root_console_exec(f->con, "kvp"), -EINVAL);
    assert_int_equal(root_console_exec(f->con, "shutdown now"), -EINVAL);
    assert_int_equal(root_console_exec(f->con, "rescind"), -EINVAL);
    assert_int_equal(root_console_exec(f->con, "rescind 999"), -ENOENT);
    assert_int_equal(root_console_exec(f->con, "hotadd 5"), -ENOENT);
    assert_int_equal(root_console_exec(f->con, "sleep 5"), -EINVAL);
    assert_int_equal(root_console_exec(f->con, "a b c d e f g h"), -EINVAL);
    char longline[400];
    memset(longline, 'x', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    assert_int_equal(root_console_exec(f->con, longline), -EINVAL);
    assert_int_equal(root_console_exec(f->con, ""), 0);
}

static void test_typed_input_and_kvp_set(void **state)
{
    struct fixture *f = *state;
    run(f, 50);
    const char *typed = "kvp set 0 color blux\x7F"
                        "e\r";
    for (const char *p = typed; *p; p++)
        root_console_input(f->con, *p);
    run(f, 10);
    assert_true(found(f, "kvp set: sent"));
    assert_true(found(f, "kvp set pool 0 [0] color = \"blue\""));
}

static void test_rescind_and_hotadd(void **state)
{
    struct fixture *f = *state;
    run(f, 50);
    assert_true(ic_host_ready(f->host, IC_HOST_HEARTBEAT));
    /* The heartbeat IC's channel: find its relid by trying the first ones. */
    uint32_t relid = 0;
    for (uint32_t r = 1; r < 16 && !relid; r++) {
        struct vmbus_server_channel *ch = vmbus_server_channel(f->lb.srv, r);
        if (ch && strstr(vmbus_server_chan_device(ch)->name, "heartbeat"))
            relid = r;
    }
    assert_int_not_equal(relid, 0);
    char cmd[32];
    snprintf(cmd, sizeof(cmd), "rescind %u", (unsigned)relid);
    assert_int_equal(root_console_exec(f->con, cmd), 0);
    run(f, 20);
    assert_true(found(f, "rescinded"));
    snprintf(cmd, sizeof(cmd), "hotadd %u", (unsigned)relid);
    assert_int_equal(root_console_exec(f->con, cmd), 0);
    run(f, 20);
    assert_true(found(f, "offered"));
    /* The guest binds the offer again and the service comes back. */
    run(f, 100);
    assert_true(ic_host_ready(f->host, IC_HOST_HEARTBEAT));
}

/* 'vmbus' lists channels, sub-channels with their index and primary;
 * 'rescind' of a sub-channel is not kept for 'hotadd', and one the guest
 * never opened comes and goes while its primary's service carries on. */
static void test_vmbus_lists_subchannels(void **state)
{
    struct fixture *f = *state;
    run(f, 50);
    uint32_t relid = 0;
    for (uint32_t r = 1; r < 16 && !relid; r++) {
        struct vmbus_server_channel *ch = vmbus_server_channel(f->lb.srv, r);
        if (ch && strstr(vmbus_server_chan_device(ch)->name, "heartbeat"))
            relid = r;
    }
    assert_int_not_equal(relid, 0);
    struct vmbus_server_channel *sub;
    assert_int_equal(
        vmbus_server_offer_subchannels(
            f->lb.srv, vmbus_server_channel(f->lb.srv, relid), 1, &sub),
        0);
    uint32_t sub_relid = vmbus_server_chan_relid(sub);
    run(f, 20);
    assert_int_equal(root_console_exec(f->con, "vmbus"), 0);
    char line[96];
    snprintf(line, sizeof(line), "relid %u ", (unsigned)relid);
    assert_true(found(f, line));
    snprintf(line, sizeof(line),
             "relid %u %s closed, sub-channel 1 of relid %u",
             (unsigned)sub_relid, vmbus_server_chan_device(sub)->name,
             (unsigned)relid);
    assert_true(found(f, line));
    char cmd[32];
    snprintf(cmd, sizeof(cmd), "rescind %u", (unsigned)sub_relid);
    assert_int_equal(root_console_exec(f->con, cmd), 0);
    assert_true(found(f, "rescinded a sub-channel"));
    snprintf(cmd, sizeof(cmd), "hotadd %u", (unsigned)sub_relid);
    assert_int_equal(root_console_exec(f->con, cmd), -ENOENT);
    run(f, 100);
    assert_null(vmbus_server_channel(f->lb.srv, sub_relid));
    uint64_t beats = ic_host_heartbeats(f->host);
    run(f, 300);
    assert_true(ic_host_ready(f->host, IC_HOST_HEARTBEAT));
    assert_true(ic_host_heartbeats(f->host) > beats);
}

static int ext_calls;
static int ext_cmd(void *ctx, int argc, char **argv)
{
    ext_calls++;
    root_console_say(ctx, argc == 1 && !strcmp(argv[0], "go")
                              ? "console: ext ran"
                              : "console: ext usage");
    return argc == 1 ? 0 : -EINVAL;
}

static void test_extension_commands(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(root_console_add_command(f->con, "ext", "ext go: test",
                                              ext_cmd, f->con),
                     0);
    assert_int_equal(root_console_exec(f->con, "ext go"), 0);
    assert_int_equal(root_console_exec(f->con, "ext"), -EINVAL);
    assert_int_equal(ext_calls, 2);
    assert_true(found(f, "console: ext ran"));
    assert_int_equal(root_console_exec(f->con, "help"), 0);
    assert_true(found(f, "console: ext go: test"));
    for (int i = 1; i < 8; i++)
        assert_int_equal(
            root_console_add_command(f->con, "x", "x", ext_cmd, f->con), 0);
    assert_int_equal(
        root_console_add_command(f->con, "y", "y", ext_cmd, f->con), -ENOSPC);
}

static void test_script_limits(void **state)
{
    struct fixture *f = *state;
    char big[ROOT_CONSOLE_SCRIPT_MAX * 4 + 8] = "";
    for (unsigned i = 0; i <= ROOT_CONSOLE_SCRIPT_MAX; i++)
        strcat(big, "ics;");
    assert_int_equal(root_console_script(f->con, big), -E2BIG);
    assert_false(root_console_busy(f->con));
    assert_int_equal(root_console_script(f->con, " ; ;"), 0);
    assert_false(root_console_busy(f->con));
    assert_int_equal(root_console_script(f->con,
                                         "wait ic bogus; wait ic kvp 1; "
                                         "wait ics 1"),
                     0);
    f->lb.drop_to_guest = false;
    run(f, 200);
    assert_false(root_console_busy(f->con));
    assert_true(found(f, "unknown service 'bogus'"));
    /* wait text: matched within a line of the child's serial output. */
    assert_int_equal(root_console_script(f->con, "wait text ready now; ics"),
                     0);
    run(f, 5);
    assert_true(root_console_busy(f->con));
    for (const char *p = "boot...\nall ready now!\n"; *p; p++)
        root_console_child_byte(f->con, (uint8_t)*p);
    run(f, 5);
    assert_false(root_console_busy(f->con));
    assert_true(found(f, "the child printed \"ready now\""));
    /* A timed step as the script's last command still completes. */
    assert_int_equal(root_console_script(f->con, "measure 100"), 0);
    run(f, 5);
    assert_true(root_console_busy(f->con));
    run(f, 20);
    assert_false(root_console_busy(f->con));
    assert_true(found(f, "exits in 1"));
    assert_true(found(f, "the integration component is up"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_script_ics_kvp_shutdown, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_commands_and_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_typed_input_and_kvp_set, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rescind_and_hotadd, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_vmbus_lists_subchannels, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_script_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extension_commands, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
