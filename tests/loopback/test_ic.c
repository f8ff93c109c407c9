/*
 * Loopback tests of the integration components: the guest ICs (vsc/ic.c)
 * against the root's host ICs (root/vmbus/ic.c) over the VMBus client and
 * server: negotiation, heartbeat, shutdown, time sync, KVP, and malformed
 * IC messages in both directions.
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

#include "common/vmbus_msg.h"
#include "root/vmbus/ic.h"
#include "tests/loopback/shim.h"
#include "vsc/ic.h"

struct fixture {
    struct lb lb;
    struct ic_host *host;
    struct ic_guest *guest;
    /* guest-side observations */
    unsigned shutdowns;
    uint32_t shutdown_flags;
    uint64_t wall_ns;
    uint64_t ref_now;
    unsigned time_sets;
    /* host-side observations */
    unsigned kvp_results;
    uint8_t kvp_op, kvp_pool;
    uint32_t kvp_index, kvp_status;
    char kvp_key[256], kvp_value[1024];
    unsigned shutdown_results;
    uint32_t shutdown_status;
};

static void g_shutdown(void *ctx, uint32_t flags)
{
    struct fixture *f = ctx;
    f->shutdowns++;
    f->shutdown_flags = flags;
}

static void g_set_time(void *ctx, uint64_t ns, uint8_t flags)
{
    struct fixture *f = ctx;
    f->wall_ns = ns;
    f->time_sets++;
}

static uint64_t g_ref_time(void *ctx)
{
    struct fixture *f = ctx;
    return f->ref_now;
}

static int g_kvp_auto(void *ctx, uint32_t index, char *key, size_t kcap,
                      char *value, size_t vcap)
{
    static const char *const kv[][2] = {
        {"FullyQualifiedDomainName", "enlight-test"},
        {"OSName", "Enlight"},
        {"OSVersion", "0.1"},
    };
    if (index >= 3)
        return -ENOENT;
    snprintf(key, kcap, "%s", kv[index][0]);
    snprintf(value, vcap, "%s", kv[index][1]);
    return 0;
}

static void h_kvp(void *ctx, uint8_t op, uint8_t pool, uint32_t index,
                  uint32_t status, const char *key, const char *value)
{
    struct fixture *f = ctx;
    f->kvp_results++;
    f->kvp_op = op;
    f->kvp_pool = pool;
    f->kvp_index = index;
    f->kvp_status = status;
    snprintf(f->kvp_key, sizeof(f->kvp_key), "%s", key);
    snprintf(f->kvp_value, sizeof(f->kvp_value), "%s", value);
}

static void h_shutdown(void *ctx, uint32_t status)
{
    struct fixture *f = ctx;
    f->shutdown_results++;
    f->shutdown_status = status;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct ic_guest_config gc = {0};
    struct ic_host_events ev = {0};

    assert_non_null(f);
    assert_int_equal(lb_init(&f->lb, 256, NULL), 0);
    f->lb.verbose = getenv("LB_VERBOSE") != NULL;
    ev.ctx = f;
    ev.kvp_result = h_kvp;
    ev.shutdown_result = h_shutdown;
    f->host = ic_host_create(f->lb.srv, &ev);
    assert_non_null(f->host);
    gc.ctx = f;
    gc.shutdown = g_shutdown;
    gc.set_time = g_set_time;
    gc.kvp_auto = g_kvp_auto;
    gc.ref_time = g_ref_time;
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

    ic_host_destroy(f->host);
    lb_fini(&f->lb);
    ic_guest_destroy(f->guest);
    free(f);
    return 0;
}

static void test_all_negotiated(void **state)
{
    struct fixture *f = *state;
    unsigned i;

    for (i = 0; i < IC_HOST_COUNT; i++)
        assert_true(ic_host_ready(f->host, i));
    assert_int_equal(ic_host_version(f->host, IC_HOST_HEARTBEAT), 0x30000);
    assert_int_equal(ic_host_version(f->host, IC_HOST_SHUTDOWN), 0x30002);
    assert_int_equal(ic_host_version(f->host, IC_HOST_TIMESYNC), 0x40000);
    assert_int_equal(ic_host_version(f->host, IC_HOST_KVP), 0x50000);
    assert_int_equal(ic_guest_get_stats(f->guest)->negotiations, 4);
    assert_int_equal(ic_host_bad_messages(f->host), 0);
}

static void test_heartbeat_counts(void **state)
{
    struct fixture *f = *state;
    uint64_t t = 5000000000ull;

    assert_int_equal(ic_host_tick(f->host, t, 1000000000ull), 1);
    lb_pump(&f->lb);
    assert_int_equal(ic_host_heartbeats(f->host), 1);
    assert_int_equal(ic_host_tick(f->host, t + 10, 1000000000ull), 0);
    assert_int_equal(ic_host_tick(f->host, t + 1000000000ull, 1000000000ull),
                     1);
    lb_pump(&f->lb);
    assert_int_equal(ic_host_heartbeats(f->host), 2);
    assert_int_equal(ic_guest_get_stats(f->guest)->heartbeats, 2);
}

static void test_shutdown(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(ic_host_shutdown(f->host, IC_SHUTDOWN_FLAG_RESTART, 0), 0);
    lb_pump(&f->lb);
    assert_int_equal(f->shutdown_results, 1);
    assert_int_equal(f->shutdown_status, IC_E_NOT_SUPPORTED);
    assert_int_equal(f->shutdowns, 0);

    assert_int_equal(
        ic_host_shutdown(f->host, IC_SHUTDOWN_FLAG_FORCE, 0x80000000u), 0);
    lb_pump(&f->lb);
    assert_int_equal(f->shutdown_results, 2);
    assert_int_equal(f->shutdown_status, IC_S_OK);
    assert_int_equal(f->shutdowns, 1);
    assert_int_equal(f->shutdown_flags, IC_SHUTDOWN_FLAG_FORCE);
    /* The appliance then unloads VMBus and powers off. */
    assert_int_equal(vmbus_disconnect(f->lb.vb), 0);
    assert_false(ic_host_ready(f->host, IC_HOST_SHUTDOWN));
}

static void test_timesync(void **state)
{
    struct fixture *f = *state;
    /* 2026-11-25 00:00:00 UTC = 1795564800 s since 1970. */
    uint64_t unix_s = 1795564800ull;
    uint64_t t100 = unix_s * 10000000ull + IC_EPOCH_DELTA_100NS + 3;

    /* Sampled at reference time 1000; the guest reads 1500 when it
     * applies it, so 500 * 100 ns are added. */
    f->ref_now = 1500;
    assert_int_equal(ic_host_timesync(f->host, t100, 1000, IC_TIMESYNC_SYNC),
                     0);
    lb_pump(&f->lb);
    assert_int_equal(f->time_sets, 1);
    assert_int_equal(f->wall_ns, unix_s * 1000000000ull + 300 + 50000);
    /* A reference time in the future is not applied. */
    assert_int_equal(ic_host_timesync(f->host, t100, 2000, IC_TIMESYNC_SYNC),
                     0);
    lb_pump(&f->lb);
    assert_int_equal(f->wall_ns, unix_s * 1000000000ull + 300);
    /* Probes don't set the clock; times before 1970 are ignored. */
    assert_int_equal(ic_host_timesync(f->host, t100, 0, IC_TIMESYNC_PROBE), 0);
    assert_int_equal(ic_host_timesync(f->host, 5, 0, IC_TIMESYNC_SYNC), 0);
    lb_pump(&f->lb);
    assert_int_equal(f->time_sets, 2);
    assert_int_equal(ic_guest_get_stats(f->guest)->timesyncs, 4);
}

/* Version 3 time sync bodies, through the message handler directly. */
static void test_timesync_v3_direct(void **state)
{
    struct fixture *f = *state;
    uint8_t msg[IC_BODY_OFFSET + sizeof(struct ic_timesync_v3)];
    struct ic_hdr h;
    struct ic_timesync_v3 t;
    uint32_t out;

    memset(msg, 0, sizeof(msg));
    memset(&h, 0, sizeof(h));
    h.msgtype = IC_MSG_TIMESYNC;
    h.msgver.major = 3;
    h.flags = IC_FLAG_TRANSACTION | IC_FLAG_REQUEST;
    memcpy(msg + 8, &h, sizeof(h));
    memset(&t, 0, sizeof(t));
    t.parent_time = IC_EPOCH_DELTA_100NS + 10;
    t.flags = IC_TIMESYNC_SAMPLE;
    memcpy(msg + IC_BODY_OFFSET, &t, sizeof(t));
    assert_int_equal(
        ic_guest_handle(f->guest, IC_SVC_TIMESYNC, msg, 53, sizeof(msg), &out),
        1);
    assert_int_equal(f->wall_ns, 1000);
    memcpy(&h, msg + 8, sizeof(h));
    assert_int_equal(h.flags, IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE);
    /* One byte short of the flags field. */
    assert_int_equal(
        ic_guest_handle(f->guest, IC_SVC_TIMESYNC, msg, 52, sizeof(msg), &out),
        -EBADMSG);
}

static void test_kvp(void **state)
{
    struct fixture *f = *state;
    uint32_t i;

    /* Enumerate the intrinsic pool until the guest says no more. */
    for (i = 0;; i++) {
        assert_int_equal(ic_host_kvp_enumerate(f->host, IC_KVP_POOL_AUTO, i),
                         0);
        lb_pump(&f->lb);
        assert_int_equal(f->kvp_results, i + 1);
        assert_int_equal(f->kvp_index, i);
        if (f->kvp_status != IC_S_OK)
            break;
        if (i == 0) {
            assert_string_equal(f->kvp_key, "FullyQualifiedDomainName");
            assert_string_equal(f->kvp_value, "enlight-test");
        }
    }
    assert_int_equal(i, 3);
    assert_int_equal(ic_host_kvp_get(f->host, IC_KVP_POOL_AUTO, "OSName"), 0);
    lb_pump(&f->lb);
    assert_int_equal(f->kvp_status, IC_S_OK);
    assert_string_equal(f->kvp_value, "Enlight");
    assert_int_equal(ic_host_kvp_get(f->host, IC_KVP_POOL_AUTO, "Nope"), 0);
    lb_pump(&f->lb);
    assert_int_not_equal(f->kvp_status, IC_S_OK);

    /* Set, read back, enumerate, delete in the external pool. */
    assert_int_equal(
        ic_host_kvp_set(f->host, IC_KVP_POOL_EXTERNAL, "Color", "blue"), 0);
    lb_pump(&f->lb);
    assert_int_equal(f->kvp_status, IC_S_OK);
    assert_int_equal(
        ic_host_kvp_set(f->host, IC_KVP_POOL_EXTERNAL, "Color", "green"), 0);
    lb_pump(&f->lb);
    assert_int_equal(ic_host_kvp_get(f->host, IC_KVP_POOL_EXTERNAL, "Color"),
                     0);
    lb_pump(&f->lb);
    assert_int_equal(f->kvp_status, IC_S_OK);
    assert_string_equal(f->kvp_value, "green");
    assert_int_equal(ic_host_kvp_enumerate(f->host, IC_KVP_POOL_EXTERNAL, 0),
                     0);
    lb_pump(&f->lb);
    assert_string_equal(f->kvp_key, "Color");
    assert_int_equal(ic_host_kvp_delete(f->host, IC_KVP_POOL_EXTERNAL, "Color"),
                     0);
    lb_pump(&f->lb);
    assert_int_equal(f->kvp_status, IC_S_OK);
    assert_int_equal(ic_host_kvp_get(f->host, IC_KVP_POOL_EXTERNAL, "Color"),
                     0);
    lb_pump(&f->lb);
    assert_int_not_equal(f->kvp_status, IC_S_OK);
    /* The intrinsic pool is read-only. */
    assert_int_equal(ic_host_kvp_set(f->host, IC_KVP_POOL_AUTO, "OSName", "x"),
                     0);
    lb_pump(&f->lb);
    assert_int_not_equal(f->kvp_status, IC_S_OK);
    assert_int_equal(ic_host_kvp_enumerate(f->host, 9, 0), -EINVAL);
    assert_int_equal(ic_host_bad_messages(f->host), 0);
}

static void test_kvp_lookup_and_identity(void **state)
{
    struct fixture *f = *state;
    struct ic_guest_identity id = {
        .host_name = "appliance-7", .os_name = "Enlight", .ipv4 = "10.0.2.15"};
    char k[64], v[64];

    /* The identity provider lists what is set, in Hyper-V's order. */
    assert_int_equal(ic_guest_kvp_identity(&id, 0, k, sizeof(k), v, sizeof(v)),
                     0);
    assert_string_equal(k, "FullyQualifiedDomainName");
    assert_string_equal(v, "appliance-7");
    assert_int_equal(ic_guest_kvp_identity(&id, 1, k, sizeof(k), v, sizeof(v)),
                     0);
    assert_string_equal(k, "NetworkAddressIPv4");
    assert_int_equal(ic_guest_kvp_identity(&id, 2, k, sizeof(k), v, sizeof(v)),
                     0);
    assert_string_equal(k, "OSName");
    assert_int_equal(ic_guest_kvp_identity(&id, 3, k, sizeof(k), v, sizeof(v)),
                     -ENOENT);
    assert_int_equal(ic_guest_kvp_identity(&id, 0, k, 8, v, sizeof(v)),
                     -ENOENT);

    /* The host finds a key by enumerating; only the answer is reported. */
    assert_int_equal(ic_host_kvp_lookup(f->host, IC_KVP_POOL_AUTO, "OSName"),
                     0);
    assert_int_equal(ic_host_kvp_lookup(f->host, IC_KVP_POOL_AUTO, "OSName"),
                     -EBUSY);
    lb_pump(&f->lb);
    assert_int_equal(f->kvp_results, 1);
    assert_int_equal(f->kvp_status, IC_S_OK);
    assert_int_equal(f->kvp_index, 1);
    assert_string_equal(f->kvp_key, "OSName");
    assert_string_equal(f->kvp_value, "Enlight");
    assert_int_equal(ic_host_kvp_lookup(f->host, IC_KVP_POOL_AUTO, "Missing"),
                     0);
    lb_pump(&f->lb);
    assert_int_equal(f->kvp_results, 2);
    assert_int_equal(f->kvp_status, IC_E_FAIL);
    assert_string_equal(f->kvp_key, "Missing");
    assert_string_equal(f->kvp_value, "");
}

static void test_malformed_ic_to_guest(void **state)
{
    struct fixture *f = *state;
    uint8_t msg[IC_MAX_PACKET];
    struct ic_hdr h;
    struct ic_negotiate n;
    struct ic_kvp_hdr kh = {.operation = IC_KVP_OP_GET, .pool = 0};
    uint32_t out, len;
    unsigned svc;

    memset(msg, 0, sizeof(msg));
    for (svc = 0; svc < IC_SVC_COUNT; svc++)
        for (len = 0; len < 40; len++)
            assert_true(ic_guest_handle(f->guest, svc, msg, len, sizeof(msg),
                                        &out) <= 1);
    memset(&h, 0, sizeof(h));
    h.msgtype = IC_MSG_NEGOTIATE;
    memcpy(msg + 8, &h, sizeof(h));
    memset(&n, 0, sizeof(n));
    n.framework_count = 60000;
    n.message_count = 60000;
    memcpy(msg + IC_BODY_OFFSET, &n, sizeof(n));
    assert_int_equal(ic_guest_handle(f->guest, 0, msg, 200, sizeof(msg), &out),
                     -EBADMSG);
    /* A response where a request belongs, and the wrong service. */
    h.flags = IC_FLAG_RESPONSE;
    memcpy(msg + 8, &h, sizeof(h));
    assert_int_equal(ic_guest_handle(f->guest, 0, msg, 60, sizeof(msg), &out),
                     -EBADMSG);
    h.flags = IC_FLAG_REQUEST;
    h.msgtype = IC_MSG_KVP;
    memcpy(msg + 8, &h, sizeof(h));
    assert_int_equal(ic_guest_handle(f->guest, 0, msg, 60, sizeof(msg), &out),
                     -EBADMSG);
    /* KVP with a key size past the field: answered with a failure. */
    {
        struct ic_kvp_value v;
        memset(&v, 0, sizeof(v));
        v.key_size = 100000;
        memcpy(msg + IC_BODY_OFFSET, &kh, sizeof(kh));
        memcpy(msg + IC_BODY_OFFSET + 4, &v, sizeof(v));
        assert_int_equal(ic_guest_handle(f->guest, IC_SVC_KVP, msg,
                                         IC_BODY_OFFSET + 2580, sizeof(msg),
                                         &out),
                         1);
        memcpy(&h, msg + 8, sizeof(h));
        assert_int_equal(h.status, IC_E_FAIL);
        /* Key without a terminating NUL. */
        v.key_size = 4;
        memset(v.key, 'A', 4);
        memcpy(msg + IC_BODY_OFFSET + 4, &v, sizeof(v));
        h.flags = IC_FLAG_REQUEST;
        memcpy(msg + 8, &h, sizeof(h));
        assert_int_equal(ic_guest_handle(f->guest, IC_SVC_KVP, msg,
                                         IC_BODY_OFFSET + 2580, sizeof(msg),
                                         &out),
                         1);
        memcpy(&h, msg + 8, sizeof(h));
        assert_int_equal(h.status, IC_E_FAIL);
    }
    assert_true(ic_guest_get_stats(f->guest)->bad_messages > 0);
    /* Still answering. */
    assert_int_equal(ic_host_tick(f->host, 1, 1), 1);
    lb_pump(&f->lb);
    assert_int_equal(ic_host_heartbeats(f->host), 1);
}

static void test_malformed_ic_to_host(void **state)
{
    struct fixture *f = *state;
    uint8_t msg[IC_MAX_PACKET];
    struct ic_hdr h;
    uint32_t len;
    unsigned svc;

    memset(msg, 0xEE, sizeof(msg));
    for (svc = 0; svc < IC_HOST_COUNT + 1; svc++)
        for (len = 0; len < 64; len += 5)
            ic_host_handle(f->host, svc, msg, len);
    memset(&h, 0, sizeof(h));
    h.flags = IC_FLAG_RESPONSE;
    h.msgtype = IC_MSG_NEGOTIATE;
    memset(msg, 0, sizeof(msg));
    memcpy(msg + 8, &h, sizeof(h));
    msg[IC_BODY_OFFSET] = 2; /* two framework versions in an answer */
    msg[IC_BODY_OFFSET + 2] = 1;
    assert_int_equal(ic_host_handle(f->host, 0, msg, 60), -EBADMSG);
    h.msgtype = IC_MSG_KVP;
    h.status = IC_S_OK;
    memcpy(msg + 8, &h, sizeof(h));
    msg[IC_BODY_OFFSET] = IC_KVP_OP_GET;
    memset(msg + IC_BODY_OFFSET + 4, 0xFF, 12); /* huge key/value sizes */
    assert_int_equal(
        ic_host_handle(f->host, IC_HOST_KVP, msg, IC_BODY_OFFSET + 2580),
        -EBADMSG);
    assert_true(ic_host_bad_messages(f->host) > 0);
    assert_true(ic_host_ready(f->host, IC_HOST_HEARTBEAT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_negotiated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timesync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timesync_v3_direct, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kvp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kvp_lookup_and_identity, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed_ic_to_guest, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed_ic_to_host, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
