/* Loopback platform (see tests/loopback/shim.h). */
#include "tests/loopback/shim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- guest side ---- */

static void *g_alloc_pages(void *ctx, size_t n)
{
    struct lb *lb = ctx;
    size_t i, run = 0;

    if (n == 0)
        return NULL;
    for (i = 1; i < lb->npages; i++) {
        run = lb->used[i] ? 0 : run + 1;
        if (run == n) {
            size_t first = i + 1 - n;
            memset(lb->used + first, 1, n);
            memset(lb->mem + first * HV_PAGE_SIZE, 0, n * HV_PAGE_SIZE);
            lb->pages_allocated += n;
            return lb->mem + first * HV_PAGE_SIZE;
        }
    }
    return NULL;
}

static void g_free_pages(void *ctx, void *p, size_t n)
{
    struct lb *lb = ctx;
    size_t first = (size_t)((uint8_t *)p - lb->mem) / HV_PAGE_SIZE;

    memset(lb->used + first, 0, n);
    lb->pages_allocated -= n;
}

uint64_t lb_gpa(struct lb *lb, const void *p)
{
    return (uint64_t)((const uint8_t *)p - lb->mem);
}

static uint64_t g_virt_to_phys(void *ctx, const void *p)
{
    return lb_gpa(ctx, p);
}

static int g_post(void *ctx, uint32_t conn, uint32_t type, const void *p,
                  uint32_t len)
{
    struct lb *lb = ctx;
    struct lb_msg *m;

    if (type != HV_MESSAGE_TYPE_VMBUS || len > 240)
        return -EINVAL;
    if (lb->refuse_posts || lb->g2h_count == LB_G2H_QUEUE)
        return -EAGAIN;
    m = &lb->g2h[(lb->g2h_head + lb->g2h_count++) % LB_G2H_QUEUE];
    m->conn_id = conn;
    m->len = len;
    memcpy(m->data, p, len);
    return 0;
}

static int g_signal(void *ctx, uint32_t conn, uint16_t flag)
{
    struct lb *lb = ctx;
    unsigned i;

    (void)flag;
    lb->signals_sent++;
    for (i = 0; i < lb->nsignals; i++)
        if (lb->signals[i] == conn)
            return 0;
    if (lb->nsignals == LB_SIGNALS)
        return -EIO;
    lb->signals[lb->nsignals++] = conn;
    return 0;
}

static void g_wait(void *ctx, uint64_t deadline)
{
    struct lb *lb = ctx;

    if (lb_pump(lb) == 0 && deadline > lb->now_ns)
        lb->now_ns = deadline;
}

static uint64_t g_now(void *ctx)
{
    struct lb *lb = ctx;
    return lb->now_ns;
}

static void do_log(struct lb *lb, const char *who, const char *line)
{
    lb->logs++;
    snprintf(lb->last_log, sizeof(lb->last_log), "%s", line);
    if (lb->verbose)
        fprintf(stderr, "[%s] %s\n", who, line);
}

static void g_log(void *ctx, const char *line)
{
    do_log(ctx, "guest", line);
}

struct vmbus_platform lb_guest_platform(struct lb *lb)
{
    struct vmbus_platform p = {
        .ctx = lb,
        .alloc_pages = g_alloc_pages,
        .free_pages = g_free_pages,
        .virt_to_phys = g_virt_to_phys,
        .post_message = g_post,
        .signal_event = g_signal,
        .wait = g_wait,
        .now_ns = g_now,
        .log = g_log,
    };
    return p;
}

/* ---- host side ---- */

static void *h_gpa_map(void *ctx, uint64_t gpa, uint64_t len)
{
    struct lb *lb = ctx;
    uint64_t size = (uint64_t)lb->npages * HV_PAGE_SIZE;

    if (lb->extra && gpa >= lb->extra_gpa &&
        gpa - lb->extra_gpa <= lb->extra_len &&
        len <= lb->extra_len - (gpa - lb->extra_gpa))
        return lb->extra + (gpa - lb->extra_gpa);
    if (gpa >= size || len > size - gpa)
        return NULL;
    return lb->mem + gpa;
}

static int h_post(void *ctx, uint32_t sint, const void *p, uint32_t len)
{
    struct lb *lb = ctx;

    if (sint != VMBUS_MESSAGE_SINT || lb->drop_to_guest)
        return -ENODEV;
    if (lb->slot.message_type != HV_MESSAGE_TYPE_NONE) {
        lb->slot_pending = true;
        return -EBUSY;
    }
    memset(&lb->slot, 0, sizeof(lb->slot));
    lb->slot.message_type = HV_MESSAGE_TYPE_VMBUS;
    lb->slot.payload_size = (uint8_t)len;
    memcpy(lb->slot.payload, p, len);
    return 0;
}

static int h_set_flag(void *ctx, uint32_t sint, uint32_t flag)
{
    struct lb *lb = ctx;

    if (sint != VMBUS_MESSAGE_SINT || flag >= HV_EVENT_FLAGS_COUNT)
        return -ENODEV;
    lb->siefp[flag / 64] |= 1ull << (flag % 64);
    return 0;
}

static void h_raise(void *ctx, uint32_t sint)
{
    struct lb *lb = ctx;

    (void)sint;
    lb->sint_raised = true;
    lb->sints_raised++;
}

static void *h_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return calloc(1, n);
}

static void h_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static void h_log(void *ctx, const char *line)
{
    do_log(ctx, "host", line);
}

struct vmbus_server_platform lb_host_platform(struct lb *lb)
{
    struct vmbus_server_platform p = {
        .ctx = lb,
        .gpa_map = h_gpa_map,
        .post_message = h_post,
        .set_event_flag = h_set_flag,
        .raise_sint = h_raise,
        .alloc = h_alloc,
        .free = h_free,
        .now_ns = g_now,
        .log = h_log,
    };
    return p;
}

/* ---- wiring ---- */

unsigned lb_pump(struct lb *lb)
{
    unsigned steps = 0;
    bool progress = true;

    while (progress) {
        progress = false;
        /* As the root's loop does after every exit: queued messages are
         * retried and masked rings read. */
        vmbus_server_poll(lb->srv);
        if (lb->slot.message_type != HV_MESSAGE_TYPE_NONE) {
            struct hv_message m = lb->slot;
            bool pending = lb->slot_pending;

            /* The guest copies the slot, frees it, then EOMs. */
            lb->slot.message_type = HV_MESSAGE_TYPE_NONE;
            lb->slot_pending = false;
            if (lb->vb)
                vmbus_on_message(lb->vb, &m);
            if (pending)
                vmbus_server_on_eom(lb->srv);
            progress = true;
        }
        if (lb->sint_raised) {
            lb->sint_raised = false;
            if (lb->vb)
                vmbus_on_events(lb->vb, lb->siefp,
                                sizeof(lb->siefp) / sizeof(lb->siefp[0]));
            progress = true;
        }
        if (lb->g2h_count) {
            struct lb_msg m = lb->g2h[lb->g2h_head];

            lb->g2h_head = (lb->g2h_head + 1) % LB_G2H_QUEUE;
            lb->g2h_count--;
            vmbus_server_on_post_message(lb->srv, m.conn_id,
                                         HV_MESSAGE_TYPE_VMBUS, m.data, m.len);
            progress = true;
        }
        if (lb->nsignals) {
            uint32_t conn = lb->signals[0];

            memmove(lb->signals, lb->signals + 1,
                    (lb->nsignals - 1) * sizeof(lb->signals[0]));
            lb->nsignals--;
            vmbus_server_on_signal_event(lb->srv, conn, 0);
            progress = true;
        }
        if (progress)
            steps++;
    }
    return steps;
}

void lb_inject_to_guest(struct lb *lb, const void *payload, uint32_t len)
{
    struct hv_message m;

    memset(&m, 0, sizeof(m));
    m.message_type = HV_MESSAGE_TYPE_VMBUS;
    m.payload_size = (uint8_t)(len > 240 ? 240 : len);
    memcpy(m.payload, payload, m.payload_size);
    vmbus_on_message(lb->vb, &m);
}

int lb_init(struct lb *lb, size_t npages, const struct vmbus_server_config *cfg)
{
    struct vmbus_platform gp;
    struct vmbus_server_platform hp;

    memset(lb, 0, sizeof(*lb));
    lb->npages = npages;
    lb->mem = aligned_alloc(HV_PAGE_SIZE, npages * HV_PAGE_SIZE);
    lb->used = calloc(npages, 1);
    if (!lb->mem || !lb->used)
        goto fail;
    memset(lb->mem, 0, npages * HV_PAGE_SIZE);
    lb->now_ns = 1000000000ull;
    hp = lb_host_platform(lb);
    lb->srv = vmbus_server_create(&hp, cfg);
    gp = lb_guest_platform(lb);
    lb->vb = vmbus_create(&gp);
    if (!lb->srv || !lb->vb)
        goto fail;
    return 0;
fail:
    lb_fini(lb);
    return -ENOMEM;
}

void lb_fini(struct lb *lb)
{
    if (lb->vb)
        vmbus_destroy(lb->vb);
    if (lb->srv)
        vmbus_server_destroy(lb->srv);
    free(lb->mem);
    free(lb->used);
    memset(lb, 0, sizeof(*lb));
}
