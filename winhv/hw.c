/*
 * The only WinHv file that executes privileged or hypervisor-specific
 * instructions; everything else is plain C.
 */
#include "common/x86/cpu.h"
#include "winhv/winhv_internal.h"

void winhv_hw_cpuid(uint32_t leaf, uint32_t subleaf, struct winhv_cpuid *out,
                    void *ctx)
{
    struct cpuid_regs r = cpuid(leaf, subleaf);
    out->eax = r.eax;
    out->ebx = r.ebx;
    out->ecx = r.ecx;
    out->edx = r.edx;
}

uint64_t winhv_hw_rdmsr(uint32_t msr)
{
    return rdmsr(msr);
}

void winhv_hw_wrmsr(uint32_t msr, uint64_t value)
{
    wrmsr(msr, value);
}

uint64_t winhv_hw_rdtsc(void *ctx)
{
    uint32_t lo, hi;
    /* LFENCE keeps RDTSC from executing before the TSC page loads that
     * precede it (the sequence protocol depends on that order). */
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return ((uint64_t)hi << 32) | lo;
}

uint64_t winhv_hw_hypercall(uint64_t input, uint64_t in_gpa, uint64_t out_gpa,
                            void *page)
{
    uint64_t result;
    register uint64_t r8 __asm__("r8") = out_gpa;

    /*
     * The page holds VMMCALL (or VMCALL); RET written by the hypervisor.
     * The TLFS preserves every register but RAX (and RCX/RDX/R8 for
     * rep-continuing calls); we treat the call like a C call all the same
     * and let the compiler assume the caller-saved registers are gone.
     * The CALL pushes below RSP: guest code is built with -mno-red-zone.
     * "memory": the hypervisor reads the input page and writes the output
     * page behind the compiler's back.
     */
    __asm__ volatile("call *%[page]"
                     : "=a"(result), "+c"(input), "+d"(in_gpa), "+r"(r8)
                     : [page] "r"(page)
                     : "r9", "r10", "r11", "cc", "memory");
    return result;
}
