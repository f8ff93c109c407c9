/*
 * Hypercall input encoding, HV_STATUS translation and the rep-call
 * continuation loop.  Pure: the call itself is a callback (winhv/hw.c on
 * the guest, a script in the host tests).
 */
#include <errno.h>

#include "winhv/winhv_internal.h"

int winhv_hc_encode(uint16_t code, unsigned flags, unsigned varhead_bytes,
                    unsigned rep_count, unsigned rep_start, uint64_t *input)
{
    uint64_t v = code;

    if (flags & ~WINHV_HC_FAST)
        return -EINVAL;
    if (varhead_bytes % 8 || varhead_bytes / 8 > HV_HC_VARHEAD_MAX)
        return -EINVAL;
    if (rep_count > HV_HC_REP_MAX)
        return -EINVAL;
    if (rep_count ? rep_start >= rep_count : rep_start != 0)
        return -EINVAL;
    if ((flags & WINHV_HC_FAST) && (rep_count || varhead_bytes))
        return -EINVAL;

    if (flags & WINHV_HC_FAST)
        v |= HV_HC_FAST;
    v |= (uint64_t)(varhead_bytes / 8) << HV_HC_VARHEAD_SHIFT;
    v |= (uint64_t)rep_count << HV_HC_REP_COUNT_SHIFT;
    v |= (uint64_t)rep_start << HV_HC_REP_START_SHIFT;
    *input = v;
    return 0;
}

/* Sparse table indexed by status; a zero entry means "not listed": -EIO. */
static const int status_errno[] = {
    [HV_STATUS_INVALID_HYPERCALL_CODE] = ENOSYS,
    [HV_STATUS_INVALID_HYPERCALL_INPUT] = EINVAL,
    [HV_STATUS_INVALID_ALIGNMENT] = EINVAL,
    [HV_STATUS_INVALID_PARAMETER] = EINVAL,
    [HV_STATUS_ACCESS_DENIED] = EACCES,
    [HV_STATUS_INVALID_PARTITION_STATE] = EBUSY,
    [HV_STATUS_OPERATION_DENIED] = EPERM,
    [HV_STATUS_UNKNOWN_PROPERTY] = ENOENT,
    [HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE] = ERANGE,
    [HV_STATUS_INSUFFICIENT_MEMORY] = ENOMEM,
    [HV_STATUS_INVALID_PARTITION_ID] = EINVAL,
    [HV_STATUS_INVALID_VP_INDEX] = EINVAL,
    [HV_STATUS_NOT_FOUND] = ENOENT,
    [HV_STATUS_INVALID_PORT_ID] = ENXIO,
    [HV_STATUS_INVALID_CONNECTION_ID] = ENOTCONN,
    [HV_STATUS_INSUFFICIENT_BUFFERS] = EAGAIN,
    [HV_STATUS_NOT_ACKNOWLEDGED] = EBUSY,
    [HV_STATUS_INVALID_VP_STATE] = EBUSY,
    [HV_STATUS_ACKNOWLEDGED] = EALREADY,
    [HV_STATUS_INVALID_SAVE_RESTORE_STATE] = EINVAL,
    [HV_STATUS_INVALID_SYNIC_STATE] = EBUSY,
    [HV_STATUS_OBJECT_IN_USE] = EBUSY,
    [HV_STATUS_INVALID_PROXIMITY_DOMAIN_INFO] = EINVAL,
    [HV_STATUS_NO_DATA] = ENODATA,
    [HV_STATUS_NO_RESOURCES] = ENOMEM,
    [HV_STATUS_FEATURE_UNAVAILABLE] = EOPNOTSUPP,
    [HV_STATUS_PROCESSOR_FEATURE_NOT_SUPPORTED] = EOPNOTSUPP,
    [HV_STATUS_INSUFFICIENT_BUFFER] = ENOBUFS,
    [HV_STATUS_INVALID_LP_INDEX] = EINVAL,
    [HV_STATUS_INVALID_REGISTER_VALUE] = EINVAL,
    [HV_STATUS_TIMEOUT] = ETIMEDOUT,
    [HV_STATUS_CALL_PENDING] = EINPROGRESS,
};

int winhv_status_to_errno(uint16_t status)
{
    if (status == HV_STATUS_SUCCESS)
        return 0;
    if (status < sizeof(status_errno) / sizeof(status_errno[0]) &&
        status_errno[status] != 0)
        return -status_errno[status];
    return -EIO;
}

int winhv_hc_run(uint64_t input, uint64_t in_gpa, uint64_t out_gpa,
                 winhv_raw_call_fn raw, void *ctx, unsigned *reps_done)
{
    unsigned count =
        (unsigned)((input & HV_HC_REP_COUNT_MASK) >> HV_HC_REP_COUNT_SHIFT);
    unsigned start =
        (unsigned)((input & HV_HC_REP_START_MASK) >> HV_HC_REP_START_SHIFT);

    *reps_done = start;
    for (;;) {
        uint64_t result = raw(input, in_gpa, out_gpa, ctx);
        int err = winhv_status_to_errno(HV_HC_RESULT_STATUS(result));
        unsigned done = HV_HC_RESULT_REPS(result);

        if (count == 0)
            return err;
        /* Reps completed is a total that includes the rep start index. */
        if (done > count)
            return -EPROTO;
        if (done > *reps_done)
            *reps_done = done; /* also on failure: how far it got */
        if (err)
            return err;
        if (done == count)
            return 0;
        /* Success with fewer reps done: the hypervisor paused the call
         * (it bounds the time spent in one hypercall); continue from the
         * first rep not done.  No progress would loop forever. */
        if (done <= start)
            return -EPROTO;
        start = done;
        input = (input & ~HV_HC_REP_START_MASK) |
                ((uint64_t)start << HV_HC_REP_START_SHIFT);
    }
}
