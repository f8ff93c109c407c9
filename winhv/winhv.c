/*
 * WinHv bring-up and the hypercall wrappers (guest only).
 */
#include <errno.h>
#include <string.h>

#include "boot/kernel.h"
#include "common/x86/cpu.h"
#include "winhv/winhv_internal.h"

struct winhv_state winhv_state;

const struct winhv_info *winhv_get_info(void)
{
    return winhv_state.detected ? &winhv_state.info : NULL;
}

static bool has_priv(uint32_t bit)
{
    return (winhv_state.info.priv_lo & bit) != 0;
}

/* Pages WinHv may need, allocated before any MSR is touched so that a
 * shortage leaves the partition as it was. */
enum {
    PG_HYPERCALL,
    PG_INPUT,
    PG_OUTPUT,
    PG_SIMP,
    PG_SIEFP,
    PG_TSC,
    PG_CRASH_MSG,
    PG_VP_ASSIST,
    PG_COUNT
};

static void free_pages(void *pg[PG_COUNT])
{
    for (unsigned i = 0; i < PG_COUNT; i++) {
        if (pg[i])
            page_free(pg[i], 1);
        pg[i] = NULL;
    }
}

static int alloc_pages(void *pg[PG_COUNT], const bool want[PG_COUNT])
{
    for (unsigned i = 0; i < PG_COUNT; i++)
        pg[i] = NULL;
    for (unsigned i = 0; i < PG_COUNT; i++) {
        if (want[i] && !(pg[i] = page_alloc(1))) {
            free_pages(pg);
            return -ENOMEM;
        }
    }
    return 0;
}

static int enable_hypercalls(void)
{
    /* The guest OS id must be non-zero before the hypercall page can be
     * enabled (TLFS "Establishing the hypercall interface"). */
    winhv_hw_wrmsr(HV_MSR_GUEST_OS_ID, WINHV_GUEST_OS_ID);

    uint64_t v = winhv_hw_rdmsr(HV_MSR_HYPERCALL);
    if ((v & HV_HYPERCALL_ENABLE) && (v & HV_HYPERCALL_LOCKED)) {
        /* Someone before us enabled and locked it: it cannot move, so use
         * it where it is if our identity map covers it. */
        uint64_t gpa = v & HV_MSR_PAGE_GPA_MASK;
        if (gpa >= (4ull << 30)) {
            kprintf("winhv: locked hypercall page at 0x%llx is not mapped\n",
                    (unsigned long long)gpa);
            return -EIO;
        }
        page_free(winhv_state.hypercall_page, 1);
        winhv_state.hypercall_page = phys_to_virt(gpa);
        return 0;
    }
    /* Enabled but not locked (firmware, a previous kernel): move it onto
     * our page, whose RAM nobody else will use; the overlay would hide
     * whatever the allocator later hands out at the old address. */
    winhv_hw_wrmsr(
        HV_MSR_HYPERCALL,
        winhv_hypercall_msr_value(v, virt_to_phys(winhv_state.hypercall_page)));
    if (!(winhv_hw_rdmsr(HV_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE)) {
        kprintf("winhv: the hypervisor did not enable the hypercall page\n");
        winhv_hw_wrmsr(HV_MSR_GUEST_OS_ID, 0);
        return -EIO;
    }
    return 0;
}

int winhv_init(void)
{
    struct winhv_state *s = &winhv_state;
    int rc;

    if (s->ready)
        return -EALREADY;
    rc = winhv_detect(winhv_hw_cpuid, NULL, &s->info);
    if (rc) {
        if (s->info.vendor[0])
            kprintf("winhv: hypervisor \"%s\" does not offer the Hyper-V "
                    "interface (Hv#1)\n",
                    s->info.vendor);
        else
            kprintf("winhv: no hypervisor present\n");
        return rc;
    }
    s->detected = true;
    if (!has_priv(HV_PRIV_HYPERCALL)) {
        kprintf("winhv: hypercall MSRs not granted to this partition\n");
        return -ENOTSUP;
    }

    bool synic = has_priv(HV_PRIV_SYNIC);
    bool tsc =
        has_priv(HV_PRIV_TIME_REF_COUNT) && has_priv(HV_PRIV_REFERENCE_TSC);
    bool crash_msg = false;
    if (s->info.features & HV_FEATURE_GUEST_CRASH_MSRS)
        crash_msg = (winhv_hw_rdmsr(HV_MSR_CRASH_CTL) &
                     HV_CRASH_CTL_CRASH_MESSAGE) != 0;
    const bool want[PG_COUNT] = {
        [PG_HYPERCALL] = true,
        [PG_INPUT] = true,
        [PG_OUTPUT] = true,
        [PG_SIMP] = synic,
        [PG_SIEFP] = synic,
        [PG_TSC] = tsc,
        [PG_CRASH_MSG] = crash_msg,
        [PG_VP_ASSIST] = winhv_eoi_assist_offered(&s->info),
    };
    void *pg[PG_COUNT];
    rc = alloc_pages(pg, want);
    if (rc) {
        kprintf("winhv: out of pages\n");
        return rc;
    }
    s->hypercall_page = pg[PG_HYPERCALL];
    s->input_page = pg[PG_INPUT];
    s->output_page = pg[PG_OUTPUT];
    s->simp = pg[PG_SIMP];
    s->siefp = pg[PG_SIEFP];
    s->tsc_page = pg[PG_TSC];
    s->crash_msg_page = pg[PG_CRASH_MSG];
    s->vp_assist = pg[PG_VP_ASSIST];

    rc = enable_hypercalls();
    if (rc) {
        free_pages(pg); /* every failure comes before the page swap */
        s->hypercall_page = s->input_page = s->output_page = NULL;
        s->simp = NULL;
        s->siefp = NULL;
        s->tsc_page = NULL;
        s->crash_msg_page = NULL;
        s->vp_assist = NULL;
        return rc;
    }
    s->ready = true;
    if (synic) {
        rc = winhv_synic_enable();
        if (rc)
            return rc;
    }
    rc = winhv_clock_enable();
    if (rc)
        return rc;
    winhv_crash_enable();
    winhv_eoi_enable();
    return 0;
}

static uint64_t raw_call(uint64_t input, uint64_t in_gpa, uint64_t out_gpa,
                         void *ctx)
{
    return winhv_hw_hypercall(input, in_gpa, out_gpa, ctx);
}

int winhv_call(uint16_t code, const void *in, size_t in_len,
               unsigned varhead_bytes, unsigned rep_count, void *out,
               size_t out_len, unsigned *reps_done)
{
    struct winhv_state *s = &winhv_state;
    unsigned done = 0;
    uint64_t input;
    int rc;

    if (reps_done)
        *reps_done = 0;
    if (!s->ready)
        return -ENODEV;
    if (in_len > HV_PAGE_SIZE || out_len > HV_PAGE_SIZE || (in_len && !in) ||
        (out_len && !out) || varhead_bytes > in_len)
        return -EINVAL;
    rc = winhv_hc_encode(code, 0, varhead_bytes, rep_count, 0, &input);
    if (rc)
        return rc;

    /* One set of pages per CPU: an interrupt handler posting a message
     * must not overwrite them while a call is being set up or issued. */
    uint64_t flags = irq_save();
    if (in_len)
        memcpy(s->input_page, in, in_len);
    rc = winhv_hc_run(input, virt_to_phys(s->input_page),
                      out_len ? virt_to_phys(s->output_page) : 0, raw_call,
                      s->hypercall_page, &done);
    if (out_len)
        memcpy(out, s->output_page, out_len);
    irq_restore(flags);

    if (reps_done)
        *reps_done = done;
    return rc;
}

int winhv_call_fast(uint16_t code, uint64_t in0, uint64_t in1)
{
    uint64_t input;
    int rc;

    if (!winhv_state.ready)
        return -ENODEV;
    rc = winhv_hc_encode(code, WINHV_HC_FAST, 0, 0, 0, &input);
    if (rc)
        return rc;
    uint64_t result =
        winhv_hw_hypercall(input, in0, in1, winhv_state.hypercall_page);
    return winhv_status_to_errno(HV_HC_RESULT_STATUS(result));
}

int winhv_post_message(uint32_t conn_id, uint32_t type, const void *payload,
                       size_t len)
{
    struct hv_input_post_message m;

    if (len > HV_MESSAGE_PAYLOAD_BYTES || type == HV_MESSAGE_TYPE_NONE ||
        (type & 0x80000000u) || (len && !payload))
        return -EINVAL;
    /* Zeroed whole: the unused payload tail must not carry stack bytes to
     * the host. */
    memset(&m, 0, sizeof(m));
    m.connection_id = conn_id;
    m.message_type = type;
    m.payload_size = (uint32_t)len;
    if (len)
        memcpy(m.payload, payload, len);
    return winhv_call(HVCALL_POST_MESSAGE, &m, sizeof(m), 0, 0, NULL, 0, NULL);
}

int winhv_signal_event(uint32_t conn_id, uint16_t flag)
{
    return winhv_call_fast(HVCALL_SIGNAL_EVENT,
                           (uint64_t)conn_id | (uint64_t)flag << 32, 0);
}
