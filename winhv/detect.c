/*
 * Hypervisor detection from CPUID.  Pure: the CPUID source is a callback so
 * the host tests can feed tables of real and made-up hypervisors.
 */
#include <errno.h>
#include <string.h>

#include "winhv/winhv.h"

#define CPUID_1_ECX_HYPERVISOR (1u << 31)

static void leaf(winhv_cpuid_fn fn, void *ctx, uint32_t max, uint32_t nr,
                 struct winhv_cpuid *r)
{
    /* Leaves past the max are undefined (Intel answers them with the
     * highest basic leaf): treat them as absent. */
    memset(r, 0, sizeof(*r));
    if (nr <= max)
        fn(nr, 0, r, ctx);
}

int winhv_detect(winhv_cpuid_fn fn, void *ctx, struct winhv_info *out)
{
    struct winhv_cpuid r;

    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    fn(1, 0, &r, ctx);
    if (!(r.ecx & CPUID_1_ECX_HYPERVISOR))
        return -ENODEV;

    memset(&r, 0, sizeof(r));
    fn(HV_CPUID_VENDOR_AND_MAX, 0, &r, ctx);
    out->max_leaf = r.eax;
    memcpy(out->vendor + 0, &r.ebx, 4);
    memcpy(out->vendor + 4, &r.ecx, 4);
    memcpy(out->vendor + 8, &r.edx, 4);
    out->vendor[12] = '\0';
    out->vendor_is_ms = r.ebx == HV_CPUID_VENDOR_EBX &&
                        r.ecx == HV_CPUID_VENDOR_ECX &&
                        r.edx == HV_CPUID_VENDOR_EDX;
    if (r.eax < HV_CPUID_MAX_LEAF_MIN || r.eax > HV_CPUID_MAX_LEAF_MAX)
        return -ENODEV;

    leaf(fn, ctx, out->max_leaf, HV_CPUID_INTERFACE, &r);
    out->interface = r.eax;
    if (r.eax != HV_CPUID_INTERFACE_HV1)
        return -ENODEV;

    leaf(fn, ctx, out->max_leaf, HV_CPUID_VERSION, &r);
    out->build = r.eax;
    out->major = (uint16_t)(r.ebx >> 16);
    out->minor = (uint16_t)r.ebx;
    out->service_pack = r.ecx;
    out->service_branch = (uint8_t)HV_VERSION_SERVICE_BRANCH(r.edx);
    out->service_number = HV_VERSION_SERVICE_NUMBER(r.edx);

    leaf(fn, ctx, out->max_leaf, HV_CPUID_FEATURES, &r);
    out->priv_lo = r.eax;
    out->priv_hi = r.ebx;
    out->features_ecx = r.ecx;
    out->features = r.edx;

    leaf(fn, ctx, out->max_leaf, HV_CPUID_ENLIGHTENMENT_INFO, &r);
    out->hints = r.eax;
    out->spin_retries = r.ebx;
    out->pa_bits = (uint8_t)HV_HINT_PA_BITS(r.ecx);

    leaf(fn, ctx, out->max_leaf, HV_CPUID_IMPLEMENTATION_LIMITS, &r);
    out->max_vps = r.eax;
    out->max_lps = r.ebx;
    out->max_irq_mappings = r.ecx;

    leaf(fn, ctx, out->max_leaf, HV_CPUID_HARDWARE_FEATURES, &r);
    out->hw_features = r.eax;
    return 0;
}
