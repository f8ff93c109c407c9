/* Unit tests for hypercall decoding and the port registry (hypercall.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "root/hv/hv.h"
#include "root/hv/testport.h"

#define RAM_SIZE (1u << 20)

static uint8_t ram[RAM_SIZE] __attribute__((aligned(4096)));
static struct vcpu v;
static int msgs, events;
static uint32_t last_conn, last_type, last_size;
static uint16_t last_flag;

void root_log(const char *fmt, ...)
{
    (void)fmt;
}

static uint16_t on_msg(void *ctx, struct vcpu *vc, uint32_t conn, uint32_t type,
                       const void *payload, uint32_t size)
{
    (void)ctx, (void)vc, (void)payload;
    msgs++;
    last_conn = conn, last_type = type, last_size = size;
    return HV_STATUS_SUCCESS;
}

static uint16_t on_event(void *ctx, struct vcpu *vc, uint32_t conn,
                         uint16_t flag)
{
    (void)ctx, (void)vc;
    events++;
    last_conn = conn, last_flag = flag;
    return HV_STATUS_SUCCESS;
}

static int setup(void **state)
{
    (void)state;
    memset(ram, 0, sizeof(ram));
    vcpu_init(&v, ram, RAM_SIZE, 1000000000ull, 0);
    v.cr0 = X86_CR0_PE | X86_CR0_PG;
    v.long_mode = true;
    hv_msr_write(&v, HV_MSR_GUEST_OS_ID, 1);
    hv_msr_write(&v, HV_MSR_HYPERCALL, 0x1000 | 1);
    assert_int_equal(hv_port_add_msg(&v, 1, on_msg, NULL), 0);
    assert_int_equal(hv_port_add_event(&v, 2, on_event, NULL), 0);
    msgs = events = 0;
    return 0;
}

/* Issues a 64-bit call; returns RAX. */
static uint64_t call(uint64_t control, uint64_t in, uint64_t out)
{
    v.gpr[GPR_RCX] = control;
    v.gpr[GPR_RDX] = in;
    v.gpr[GPR_R8] = out;
    assert_int_equal(hv_hypercall(&v), 1);
    return v.gpr[GPR_RAX];
}

static void put_post(uint64_t gpa, uint32_t conn, uint32_t type, uint32_t size)
{
    struct hv_input_post_message m;
    memset(&m, 0, sizeof(m));
    m.connection_id = conn;
    m.message_type = type;
    m.payload_size = size;
    memset(m.payload, 0xAB, sizeof(m.payload));
    memcpy(ram + gpa, &m, sizeof(m));
}

static void test_not_enabled_is_ud(void **state)
{
    (void)state;
    hv_msr_write(&v, HV_MSR_GUEST_OS_ID, 0); /* disables the page */
    assert_int_equal(hv_hypercall(&v), 0);
    assert_true(v.exc.pending);
    assert_int_equal(v.exc.vector, X86_EXC_UD);
}

static void test_cpl3_and_real_mode_are_ud(void **state)
{
    (void)state;
    v.cpl = 3;
    assert_int_equal(hv_hypercall(&v), 0);
    assert_int_equal(v.exc.vector, X86_EXC_UD);
    v.exc.pending = false;
    v.cpl = 0;
    v.cr0 = 0;
    assert_int_equal(hv_hypercall(&v), 0);
}

static void test_unknown_code(void **state)
{
    (void)state;
    assert_int_equal(call(0x0001, 0, 0), HV_STATUS_INVALID_HYPERCALL_CODE);
    assert_int_equal(call(0xFFFF, 0, 0), HV_STATUS_INVALID_HYPERCALL_CODE);
    assert_int_equal(call(0x0099, 0, 0), HV_STATUS_INVALID_HYPERCALL_CODE);
}

static void test_privileged_calls_denied(void **state)
{
    (void)state;
    for (uint16_t code = 0x40; code <= 0x4A; code++)
        assert_int_equal(call(code | (1ull << 32), 0x2000, 0),
                         HV_STATUS_ACCESS_DENIED);
    assert_int_equal(call(0x4B, 0, 0), HV_STATUS_INVALID_HYPERCALL_CODE);
}

static void test_input_value_checks(void **state)
{
    (void)state;
    put_post(0x2000, 1, 1, 8);
    /* Reserved bits 27-30, 44-47, 60-63. */
    assert_int_equal(call(HVCALL_POST_MESSAGE | (1ull << 27), 0x2000, 0),
                     HV_STATUS_INVALID_HYPERCALL_INPUT);
    assert_int_equal(call(HVCALL_POST_MESSAGE | (1ull << 45), 0x2000, 0),
                     HV_STATUS_INVALID_HYPERCALL_INPUT);
    assert_int_equal(call(HVCALL_POST_MESSAGE | (1ull << 63), 0x2000, 0),
                     HV_STATUS_INVALID_HYPERCALL_INPUT);
    /* A simple call with a rep count or rep start. */
    assert_int_equal(call(HVCALL_POST_MESSAGE | (1ull << 32), 0x2000, 0),
                     HV_STATUS_INVALID_HYPERCALL_INPUT);
    assert_int_equal(call(HVCALL_POST_MESSAGE | (1ull << 48), 0x2000, 0),
                     HV_STATUS_INVALID_HYPERCALL_INPUT);
    /* A variable header nobody takes. */
    assert_int_equal(call(HVCALL_POST_MESSAGE | (1ull << 17), 0x2000, 0),
                     HV_STATUS_INVALID_HYPERCALL_INPUT);
    /* PostMessage cannot be fast; spin-wait notification must be. */
    assert_int_equal(call(HVCALL_POST_MESSAGE | HV_HC_FAST, 0x2000, 0),
                     HV_STATUS_INVALID_HYPERCALL_INPUT);
    assert_int_equal(call(HVCALL_NOTIFY_LONG_SPIN_WAIT, 0, 0),
                     HV_STATUS_INVALID_HYPERCALL_INPUT);
    assert_int_equal(call(HVCALL_NOTIFY_LONG_SPIN_WAIT | HV_HC_FAST, 1, 0),
                     HV_STATUS_SUCCESS);
    assert_int_equal(msgs, 0);
}

static void test_post_message(void **state)
{
    (void)state;
    put_post(0x2000, 1, 1, 240);
    assert_int_equal(call(HVCALL_POST_MESSAGE, 0x2000, 0), HV_STATUS_SUCCESS);
    assert_int_equal(msgs, 1);
    assert_int_equal(last_conn, 1);
    assert_int_equal(last_type, 1);
    assert_int_equal(last_size, 240);
    assert_int_equal(v.hypercalls, 1);
}

static void test_post_message_bad_input(void **state)
{
    (void)state;
    put_post(0x2000, 1, 1, 8);
    assert_int_equal(call(HVCALL_POST_MESSAGE, 0x2004, 0),
                     HV_STATUS_INVALID_ALIGNMENT);
    put_post(0x2F80, 1, 1, 8); /* crosses into the next page */
    assert_int_equal(call(HVCALL_POST_MESSAGE, 0x2F80, 0),
                     HV_STATUS_INVALID_ALIGNMENT);
    assert_int_equal(call(HVCALL_POST_MESSAGE, RAM_SIZE, 0),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(call(HVCALL_POST_MESSAGE, 0xFFFFFFFFFFFFF000ull, 0),
                     HV_STATUS_INVALID_PARAMETER);
    put_post(0x2000, 1, 1, 241);
    assert_int_equal(call(HVCALL_POST_MESSAGE, 0x2000, 0),
                     HV_STATUS_INVALID_PARAMETER);
    put_post(0x2000, 1, 0, 8);
    assert_int_equal(call(HVCALL_POST_MESSAGE, 0x2000, 0),
                     HV_STATUS_INVALID_PARAMETER);
    put_post(0x2000, 1, 0x80000001u, 8);
    assert_int_equal(call(HVCALL_POST_MESSAGE, 0x2000, 0),
                     HV_STATUS_INVALID_PARAMETER);
    put_post(0x2000, 1, 1, 8);
    ram[0x2004] = 1; /* reserved */
    assert_int_equal(call(HVCALL_POST_MESSAGE, 0x2000, 0),
                     HV_STATUS_INVALID_PARAMETER);
    put_post(0x2000, 99, 1, 8);
    assert_int_equal(call(HVCALL_POST_MESSAGE, 0x2000, 0),
                     HV_STATUS_INVALID_CONNECTION_ID);
    put_post(0x2000, 2, 1, 8); /* an event connection, not a message one */
    assert_int_equal(call(HVCALL_POST_MESSAGE, 0x2000, 0),
                     HV_STATUS_INVALID_CONNECTION_ID);
    assert_int_equal(msgs, 0);
}

static void test_signal_event(void **state)
{
    (void)state;
    assert_int_equal(
        call(HVCALL_SIGNAL_EVENT | HV_HC_FAST, 2 | (7ull << 32), 0),
        HV_STATUS_SUCCESS);
    assert_int_equal(events, 1);
    assert_int_equal(last_flag, 7);
    /* Memory form. */
    uint32_t in[2] = {2, 9};
    memcpy(ram + 0x2000, in, 8);
    assert_int_equal(call(HVCALL_SIGNAL_EVENT, 0x2000, 0), HV_STATUS_SUCCESS);
    assert_int_equal(last_flag, 9);
    assert_int_equal(call(HVCALL_SIGNAL_EVENT, 0x2001, 0),
                     HV_STATUS_INVALID_ALIGNMENT);
    assert_int_equal(
        call(HVCALL_SIGNAL_EVENT | HV_HC_FAST, 2 | (1ull << 48), 0),
        HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(call(HVCALL_SIGNAL_EVENT | HV_HC_FAST, 1, 0),
                     HV_STATUS_INVALID_CONNECTION_ID);
    assert_int_equal(events, 2);
}

static void test_32bit_convention(void **state)
{
    (void)state;
    v.long_mode = false;
    put_post(0x2000, 1, 1, 4);
    v.gpr[GPR_RDX] = 0;
    v.gpr[GPR_RAX] = HVCALL_POST_MESSAGE;
    v.gpr[GPR_RBX] = 0;
    v.gpr[GPR_RCX] = 0x2000;
    v.gpr[GPR_RDI] = 0;
    v.gpr[GPR_RSI] = 0;
    assert_int_equal(hv_hypercall(&v), 1);
    assert_int_equal(v.gpr[GPR_RAX], HV_STATUS_SUCCESS);
    assert_int_equal(v.gpr[GPR_RDX], 0);
    assert_int_equal(msgs, 1);
    /* Input GPA above 4 GiB in EBX:ECX is outside RAM. */
    v.gpr[GPR_RAX] = HVCALL_POST_MESSAGE;
    v.gpr[GPR_RBX] = 1;
    v.gpr[GPR_RCX] = 0x2000;
    assert_int_equal(hv_hypercall(&v), 1);
    assert_int_equal(v.gpr[GPR_RAX], HV_STATUS_INVALID_PARAMETER);
}

static void test_port_registry(void **state)
{
    (void)state;
    assert_int_equal(hv_port_add_msg(&v, 1, on_msg, NULL), -EEXIST);
    assert_int_equal(hv_port_add_event(&v, 1, on_event, NULL), 0);
    assert_int_equal(hv_port_add_msg(&v, 5, NULL, NULL), -EINVAL);
    unsigned added = 0;
    while (hv_port_add_msg(&v, 100 + added, on_msg, NULL) == 0)
        added++;
    assert_int_equal(hv_port_add_msg(&v, 1000, on_msg, NULL), -ENOSPC);
    assert_int_equal(added + 3, HV_PORTS_MAX);
    assert_non_null(hv_port_find(&v, 100, false));
    assert_null(hv_port_find(&v, 100, true));
}

static void test_event_range(void **state)
{
    (void)state;
    assert_int_equal(
        hv_port_add_event_range(&v, 0x2000, 0x2FFF, on_event, NULL), 0);
    assert_int_equal(
        hv_port_add_event_range(&v, 0x2FFF, 0x3000, on_event, NULL), -EEXIST);
    assert_int_equal(hv_port_add_event_range(&v, 0x10, 0x5, on_event, NULL),
                     -EINVAL);
    assert_int_equal(hv_port_add_event(&v, 0x2800, on_event, NULL), -EEXIST);
    assert_int_equal(hv_port_add_msg(&v, 0x2800, on_msg, NULL), 0);
    assert_int_equal(
        call(HVCALL_SIGNAL_EVENT | HV_HC_FAST, 0x2ABC | (3ull << 32), 0),
        HV_STATUS_SUCCESS);
    assert_int_equal(last_conn, 0x2ABC);
    assert_int_equal(call(HVCALL_SIGNAL_EVENT | HV_HC_FAST, 0x3000, 0),
                     HV_STATUS_INVALID_CONNECTION_ID);
}

static void test_echo_port(void **state)
{
    (void)state;
    assert_int_equal(root_test_ports_add(&v, NULL), 0);
    /* SynIC off: the echo cannot be delivered. */
    put_post(0x2000, ROOT_TEST_MSG_CONN, 5, 4);
    ram[0x2010] = 2; /* SINT 2 */
    assert_int_equal(call(HVCALL_POST_MESSAGE, 0x2000, 0),
                     HV_STATUS_INVALID_SYNIC_STATE);
    hv_msr_write(&v, HV_MSR_SIMP, 0x5000 | 1);
    hv_msr_write(&v, HV_MSR_SCONTROL, 1);
    assert_int_equal(call(HVCALL_POST_MESSAGE, 0x2000, 0), HV_STATUS_SUCCESS);
    const struct hv_message *m = (const struct hv_message *)(ram + 0x5000) + 2;
    assert_int_equal(m->message_type, 5);
    assert_int_equal(m->sender, ROOT_TEST_MSG_CONN);
    assert_int_equal(m->payload_size, 4);
    ram[0x2010] = 16;
    assert_int_equal(call(HVCALL_POST_MESSAGE, 0x2000, 0),
                     HV_STATUS_INVALID_PARAMETER);
    assert_int_equal(call(HVCALL_SIGNAL_EVENT | HV_HC_FAST,
                          ROOT_TEST_EVENT_CONN | (3ull << 32), 0),
                     HV_STATUS_INVALID_SYNIC_STATE);
    hv_msr_write(&v, HV_MSR_SIEFP, 0x6000 | 1);
    assert_int_equal(call(HVCALL_SIGNAL_EVENT | HV_HC_FAST,
                          ROOT_TEST_EVENT_CONN | (3ull << 32), 0),
                     HV_STATUS_SUCCESS);
    assert_int_equal(ram[0x6000 + ROOT_TEST_EVENT_SINT * 256], 1u << 3);
    assert_int_equal(call(HVCALL_SIGNAL_EVENT | HV_HC_FAST,
                          ROOT_TEST_EVENT_CONN | (2048ull << 32), 0),
                     HV_STATUS_INVALID_PARAMETER);
}

/* Random control words, parameters and guest memory: only known status
 * values come back, nothing reads outside RAM (ASan). */
static void test_random_calls(void **state)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    (void)state;
    assert_int_equal(root_test_ports_add(&v, NULL), 0);
    hv_msr_write(&v, HV_MSR_SIMP, 0x5000 | 1);
    hv_msr_write(&v, HV_MSR_SIEFP, 0x6000 | 1);
    hv_msr_write(&v, HV_MSR_SCONTROL, 1);
    for (int iter = 0; iter < 20000; iter++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        for (int i = 0; i < 8; i++)
            ram[0x2000 + ((x >> (i * 8)) & 0xFF)] = (uint8_t)(x >> i);
        uint64_t control = x;
        if (iter % 2)
            control = (x & ~0xFFFFull) |
                      ((iter % 4) ? HVCALL_POST_MESSAGE : HVCALL_SIGNAL_EVENT);
        if (iter % 3 == 0)
            control &= 0xFFFFFFFFull; /* no reps, fewer reserved bits */
        uint64_t in = (iter % 5) ? 0x2000 + (x % 0x1000) : x * 31;
        if (iter % 7 == 0)
            in = (x & 0xFFF0) | ROOT_TEST_MSG_CONN; /* fast forms */
        uint64_t r = call(control, in, x >> 3);
        uint16_t st = HV_HC_RESULT_STATUS(r);
        assert_true(st == HV_STATUS_SUCCESS ||
                    st == HV_STATUS_INVALID_HYPERCALL_CODE ||
                    st == HV_STATUS_INVALID_HYPERCALL_INPUT ||
                    st == HV_STATUS_INVALID_ALIGNMENT ||
                    st == HV_STATUS_INVALID_PARAMETER ||
                    st == HV_STATUS_ACCESS_DENIED ||
                    st == HV_STATUS_INVALID_CONNECTION_ID ||
                    st == HV_STATUS_INSUFFICIENT_BUFFERS ||
                    st == HV_STATUS_INVALID_SYNIC_STATE);
        assert_int_equal(r >> 16, 0); /* no reps, reserved bits clear */
        /* The child consumes echoes now and then. */
        if (iter % 16 == 0) {
            memset(ram + 0x5000, 0, 4096);
            hv_msr_write(&v, HV_MSR_EOM, 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_not_enabled_is_ud, setup),
        cmocka_unit_test_setup(test_cpl3_and_real_mode_are_ud, setup),
        cmocka_unit_test_setup(test_unknown_code, setup),
        cmocka_unit_test_setup(test_privileged_calls_denied, setup),
        cmocka_unit_test_setup(test_input_value_checks, setup),
        cmocka_unit_test_setup(test_post_message, setup),
        cmocka_unit_test_setup(test_post_message_bad_input, setup),
        cmocka_unit_test_setup(test_signal_event, setup),
        cmocka_unit_test_setup(test_32bit_convention, setup),
        cmocka_unit_test_setup(test_port_registry, setup),
        cmocka_unit_test_setup(test_event_range, setup),
        cmocka_unit_test_setup(test_echo_port, setup),
        cmocka_unit_test_setup(test_random_calls, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
