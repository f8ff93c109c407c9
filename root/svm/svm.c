/*
 * SVM core: VMCB set-up, nested page tables, the run loop, event
 * injection and the exit dispatch table.  Everything the child does that
 * needs emulation is handed to root/hv and root/dev as plain C calls on
 * struct vcpu.
 */
#include "root/svm/svm.h"

#include <errno.h>
#include <string.h>

#include "common/x86/cpu.h"
#include "root/hv/hv.h"
#include "root/hv/insn.h"
#include "root/hv/vapic.h"

#define NPT_P (1ull << 0)
#define NPT_RW (1ull << 1)
#define NPT_US (1ull << 2) /* required at every level for NPT (APM 15.25.5) */
#define NPT_PS (1ull << 7)
#define NPT_TABLE (NPT_P | NPT_RW | NPT_US)
#define NPT_2M (1ull << 21)

#define CPUID_SVM_FEATURES 0x8000000Au
#define SVM_FEATURE_NPT (1u << 0)

/* MSRs the child reaches without an exit: VMLOAD/VMSAVE switch them. */
static const uint32_t passthrough_msrs[] = {
    0xC0000081u, /* STAR */
    0xC0000082u, /* LSTAR */
    0xC0000083u, /* CSTAR */
    0xC0000084u, /* SFMASK */
    0xC0000100u, /* FS_BASE */
    0xC0000101u, /* GS_BASE */
    0xC0000102u, /* KERNEL_GS_BASE */
    0x00000174u, /* SYSENTER_CS */
    0x00000175u, /* SYSENTER_ESP */
    0x00000176u, /* SYSENTER_EIP */
};

int svm_enable(svm_page_alloc_fn alloc)
{
    if (!(cpuid(0x80000001u, 0).ecx & (1u << 2)))
        return -ENODEV;
    if (!(cpuid(CPUID_SVM_FEATURES, 0).edx & SVM_FEATURE_NPT))
        return -ENODEV;
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)
        return -EPERM;
    void *hsave = alloc(1);
    if (!hsave)
        return -ENOMEM;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, (uint64_t)(uintptr_t)hsave);
    return 0;
}

/* APM 15.11: two bits per MSR (read, write) in three 2 KiB blocks. */
static void msrpm_clear(uint8_t *pm, uint32_t msr)
{
    uint32_t base;
    if (msr <= 0x1FFFu)
        base = 0;
    else if (msr >= 0xC0000000u && msr <= 0xC0001FFFu)
        base = 0x800 * 8, msr -= 0xC0000000u;
    else if (msr >= 0xC0010000u && msr <= 0xC0011FFFu)
        base = 0x1000 * 8, msr -= 0xC0010000u;
    else
        return;
    uint32_t bit = base + msr * 2;
    pm[bit / 8] &= (uint8_t) ~(3u << (bit % 8));
}

static uint64_t pa(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* Maps GPA [0, size) to host [hpa, hpa + size) by 2 MiB pages. */
static int npt_build(struct svm_vm *vm, uint64_t hpa, uint64_t size,
                     svm_page_alloc_fn alloc)
{
    uint64_t *pml4 = alloc(1);
    if (!pml4)
        return -ENOMEM;
    vm->npt_pml4 = pml4;
    for (uint64_t gpa = 0; gpa < size; gpa += NPT_2M) {
        unsigned i4 = (gpa >> 39) & 511, i3 = (gpa >> 30) & 511,
                 i2 = (gpa >> 21) & 511;
        if (!(pml4[i4] & NPT_P)) {
            void *t = alloc(1);
            if (!t)
                return -ENOMEM;
            pml4[i4] = pa(t) | NPT_TABLE;
        }
        uint64_t *pdpt = (uint64_t *)(uintptr_t)(pml4[i4] & ~0xFFFull);
        if (!(pdpt[i3] & NPT_P)) {
            void *t = alloc(1);
            if (!t)
                return -ENOMEM;
            pdpt[i3] = pa(t) | NPT_TABLE;
        }
        uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[i3] & ~0xFFFull);
        pd[i2] = (hpa + gpa) | NPT_TABLE | NPT_PS;
    }
    return 0;
}

/* The page table (last level) covering gpa, allocated on the way; NULL
 * when out of memory or when a 2 MiB page already covers gpa. */
static uint64_t *npt_pt(struct svm_vm *vm, uint64_t gpa,
                        svm_page_alloc_fn alloc)
{
    uint64_t *table = vm->npt_pml4;
    for (unsigned shift = 39; shift >= 21; shift -= 9) {
        uint64_t *e = &table[(gpa >> shift) & 511];
        if (!(*e & NPT_P)) {
            if (!alloc)
                return NULL;
            void *t = alloc(1);
            if (!t)
                return NULL;
            *e = pa(t) | NPT_TABLE;
        } else if (*e & NPT_PS) {
            return NULL;
        }
        table = (uint64_t *)(uintptr_t)(*e & 0x000FFFFFFFFFF000ull);
    }
    return table;
}

static void npt_clear(struct svm_vm *vm, uint64_t gpa, uint64_t size)
{
    for (uint64_t off = 0; off < size; off += 4096) {
        uint64_t *pt = npt_pt(vm, gpa + off, NULL);
        if (pt)
            pt[((gpa + off) >> 12) & 511] = 0;
    }
    vm->vmcb->control.tlb_control = SVM_TLB_FLUSH_ALL;
}

int svm_vm_map(struct svm_vm *vm, uint64_t gpa, uint64_t size, void *host,
               svm_page_alloc_fn alloc)
{
    if ((uintptr_t)host & 0xFFF)
        return -EINVAL;
    int rc = vcpu_add_region(vm->v, gpa, size, host);
    if (rc)
        return rc;
    for (uint64_t off = 0; off < size; off += 4096) {
        uint64_t *pt = npt_pt(vm, gpa + off, alloc);
        if (!pt) {
            npt_clear(vm, gpa, off);
            vcpu_remove_region(vm->v, gpa);
            return -ENOMEM;
        }
        pt[((gpa + off) >> 12) & 511] = (pa(host) + off) | NPT_TABLE;
    }
    /* Mappings changed: drop cached translations (APM 15.16.1). */
    vm->vmcb->control.tlb_control = SVM_TLB_FLUSH_ALL;
    return 0;
}

int svm_vm_unmap(struct svm_vm *vm, uint64_t gpa)
{
    const struct vcpu *v = vm->v;
    for (unsigned i = 0; i < v->nregions; i++) {
        if (v->region[i].gpa != gpa)
            continue;
        npt_clear(vm, gpa, v->region[i].size);
        return vcpu_remove_region(vm->v, gpa);
    }
    return -ENOENT;
}

int svm_vm_create(struct svm_vm *vm, struct vcpu *v, struct pio_bus *pio,
                  svm_page_alloc_fn alloc)
{
    memset(vm, 0, sizeof(*vm));
    vm->v = v;
    vm->pio = pio;
    vm->vmcb = alloc(1);
    vm->host_save = alloc(1);
    vm->msrpm = alloc(2);
    vm->iopm = alloc(3);
    vm->run = alloc(1);
    if (!vm->vmcb || !vm->host_save || !vm->msrpm || !vm->iopm || !vm->run)
        return -ENOMEM;
    if (npt_build(vm, pa(v->mem.base), v->mem.size, alloc))
        return -ENOMEM;

    memset(vm->msrpm, 0xFF, 2 * 4096);
    for (size_t i = 0; i < sizeof(passthrough_msrs) / 4; i++)
        msrpm_clear(vm->msrpm, passthrough_msrs[i]);
    memset(vm->iopm, 0xFF, 3 * 4096);

    struct vmcb_control *c = &vm->vmcb->control;
    c->intercept_misc1 =
        SVM_INTERCEPT1_INTR | SVM_INTERCEPT1_NMI | SVM_INTERCEPT1_SMI |
        SVM_INTERCEPT1_INIT | SVM_INTERCEPT1_CPUID | SVM_INTERCEPT1_INVD |
        SVM_INTERCEPT1_HLT | SVM_INTERCEPT1_INVLPGA | SVM_INTERCEPT1_IOIO |
        SVM_INTERCEPT1_MSR | SVM_INTERCEPT1_SHUTDOWN;
    c->intercept_misc2 = SVM_INTERCEPT2_VMRUN | SVM_INTERCEPT2_VMMCALL |
                         SVM_INTERCEPT2_VMLOAD | SVM_INTERCEPT2_VMSAVE |
                         SVM_INTERCEPT2_STGI | SVM_INTERCEPT2_CLGI |
                         SVM_INTERCEPT2_SKINIT | SVM_INTERCEPT2_MONITOR |
                         SVM_INTERCEPT2_MWAIT | SVM_INTERCEPT2_XSETBV;
    c->iopm_base_pa = pa(vm->iopm);
    c->msrpm_base_pa = pa(vm->msrpm);
    c->guest_asid = 1;
    c->tlb_control = SVM_TLB_FLUSH_ALL;
    c->vintr = SVM_VINTR_MASKING;
    c->np_control = 1;
    c->n_cr3 = pa(vm->npt_pml4);

    /* FXSAVE image of a freshly reset FPU: FCW 0x37F, MXCSR 0x1F80. */
    uint16_t fcw = 0x37F;
    uint32_t mxcsr = 0x1F80;
    memcpy(vm->run->guest_fx, &fcw, 2);
    memcpy(vm->run->guest_fx + 24, &mxcsr, 4);
    vm->run->vmcb_pa = pa(vm->vmcb);
    vm->run->host_save_pa = pa(vm->host_save);
    return 0;
}

static void seg(struct vmcb_seg *s, uint16_t sel, uint16_t attr, uint32_t limit)
{
    s->selector = sel;
    s->attrib = attr;
    s->limit = limit;
    s->base = 0;
}

void svm_vm_multiboot_state(struct svm_vm *vm, uint32_t entry, uint32_t magic,
                            uint32_t info)
{
    struct vmcb_save *s = &vm->vmcb->save;
    struct vcpu *v = vm->v;
    /* Multiboot 3.2 / Multiboot2 3.3: flat 32-bit segments, PE on,
     * paging off, interrupts off, A20 on (no A20 gate exists here). */
    seg(&s->cs, 0x08, SVM_ATTR_CODE32, 0xFFFFFFFFu);
    seg(&s->ds, 0x10, SVM_ATTR_DATA32, 0xFFFFFFFFu);
    s->es = s->ss = s->fs = s->gs = s->ds;
    seg(&s->gdtr, 0, 0, 0);
    seg(&s->idtr, 0, 0, 0x3FF);
    seg(&s->ldtr, 0, SVM_ATTR_LDT, 0xFFFF);
    seg(&s->tr, 0, SVM_ATTR_TSS32_BUSY, 0xFFFF);
    s->cpl = 0;
    s->dr6 = 0xFFFF0FF0ull;
    s->dr7 = 0x400;
    v->cr0 = X86_CR0_PE | (1ull << 4); /* PE, ET */
    v->cr3 = 0;
    v->cr4 = 0;
    v->efer = 0;
    v->rflags = 0x2;
    v->rip = entry;
    memset(v->gpr, 0, sizeof(v->gpr));
    v->gpr[GPR_RAX] = magic;
    v->gpr[GPR_RBX] = info;
    s->cr0 = v->cr0;
    s->cr3 = 0;
    s->cr4 = 0;
    s->efer = EFER_SVME; /* VMRUN requires it; the child never sees it */
    s->rflags = v->rflags;
    s->rip = v->rip;
    s->rax = magic;
    s->rsp = 0;
    s->g_pat = v->pat;
}

void svm_vm_long_mode_state(struct svm_vm *vm, uint64_t rip, uint64_t rsi,
                            uint64_t cr3, uint64_t gdt_base, uint16_t gdt_limit,
                            uint16_t cs, uint16_t ds)
{
    struct vmcb_save *s = &vm->vmcb->save;
    struct vcpu *v = vm->v;
    /* 64-bit code, flat data, paging on through the loader's tables. */
    seg(&s->cs, cs, SVM_ATTR_CODE64, 0xFFFFFFFFu);
    seg(&s->ds, ds, SVM_ATTR_DATA32, 0xFFFFFFFFu);
    s->es = s->ss = s->fs = s->gs = s->ds;
    seg(&s->gdtr, 0, 0, gdt_limit);
    s->gdtr.base = gdt_base;
    seg(&s->idtr, 0, 0, 0);
    seg(&s->ldtr, 0, SVM_ATTR_LDT, 0xFFFF);
    seg(&s->tr, 0, SVM_ATTR_TSS64_BUSY, 0xFFFF);
    s->cpl = 0;
    s->dr6 = 0xFFFF0FF0ull;
    s->dr7 = 0x400;
    v->cr0 = X86_CR0_PE | X86_CR0_PG | (1ull << 4) | (1ull << 5); /* ET NE */
    v->cr3 = cr3;
    v->cr4 = 1ull << 5; /* PAE */
    v->efer = EFER_LME | EFER_LMA;
    v->rflags = 0x2;
    v->rip = rip;
    memset(v->gpr, 0, sizeof(v->gpr));
    v->gpr[GPR_RSI] = rsi;
    s->cr0 = v->cr0;
    s->cr3 = cr3;
    s->cr4 = v->cr4;
    s->efer = v->efer | EFER_SVME;
    s->rflags = v->rflags;
    s->rip = rip;
    s->rax = 0;
    s->rsp = 0;
    s->g_pat = v->pat;
}

/* --- state between the VMCB and struct vcpu --------------------------------
 */

static void vcpu_load(struct svm_vm *vm)
{
    struct vcpu *v = vm->v;
    const struct vmcb_save *s = &vm->vmcb->save;
    memcpy(v->gpr, vm->run->gpr, sizeof(v->gpr));
    v->gpr[GPR_RAX] = s->rax;
    v->gpr[GPR_RSP] = s->rsp;
    v->rip = s->rip;
    v->rflags = s->rflags;
    v->cr0 = s->cr0;
    v->cr3 = s->cr3;
    v->cr4 = s->cr4;
    v->efer = s->efer & ~EFER_SVME;
    v->pat = s->g_pat;
    v->cpl = s->cpl;
    v->cs_base = s->cs.base;
    v->long_mode = (s->efer & EFER_LMA) && (s->cs.attrib & SVM_ATTR_L);
    v->cs_db = s->cs.attrib & SVM_ATTR_DB;
    v->int_shadow = vm->vmcb->control.int_state & 1;
}

static void vcpu_store(struct svm_vm *vm)
{
    const struct vcpu *v = vm->v;
    struct vmcb_save *s = &vm->vmcb->save;
    memcpy(vm->run->gpr, v->gpr, sizeof(v->gpr));
    s->rax = v->gpr[GPR_RAX];
    s->rsp = v->gpr[GPR_RSP];
    s->rip = v->rip;
    s->rflags = v->rflags;
    s->efer = v->efer | EFER_SVME;
    s->g_pat = v->pat;
}

/* --- crash report ----------------------------------------------------------
 */

static void crash_report(struct svm_vm *vm, const char *why)
{
    const struct vmcb *b = vm->vmcb;
    const struct vcpu *v = vm->v;
    const uint64_t *r = v->gpr;
    root_log("\n*** child stopped: %s ***\n", why);
    root_log("exit code 0x%llx info1 0x%llx info2 0x%llx intinfo 0x%llx\n",
             (unsigned long long)b->control.exit_code,
             (unsigned long long)b->control.exit_info1,
             (unsigned long long)b->control.exit_info2,
             (unsigned long long)b->control.exit_int_info);
    root_log("rip %016llx rsp %016llx rflags %016llx cpl %u\n",
             (unsigned long long)b->save.rip, (unsigned long long)b->save.rsp,
             (unsigned long long)b->save.rflags, b->save.cpl);
    root_log("rax %016llx rbx %016llx rcx %016llx rdx %016llx\n",
             (unsigned long long)b->save.rax, (unsigned long long)r[GPR_RBX],
             (unsigned long long)r[GPR_RCX], (unsigned long long)r[GPR_RDX]);
    root_log("rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n",
             (unsigned long long)r[GPR_RSI], (unsigned long long)r[GPR_RDI],
             (unsigned long long)r[GPR_RBP], (unsigned long long)r[GPR_R8]);
    root_log("r9  %016llx r10 %016llx r11 %016llx r12 %016llx\n",
             (unsigned long long)r[GPR_R9], (unsigned long long)r[GPR_R10],
             (unsigned long long)r[GPR_R11], (unsigned long long)r[GPR_R12]);
    root_log("r13 %016llx r14 %016llx r15 %016llx\n",
             (unsigned long long)r[GPR_R13], (unsigned long long)r[GPR_R14],
             (unsigned long long)r[GPR_R15]);
    root_log("cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx\n",
             (unsigned long long)b->save.cr0, (unsigned long long)b->save.cr2,
             (unsigned long long)b->save.cr3, (unsigned long long)b->save.cr4);
    root_log("efer %016llx cs %04x/%04x base %llx idtr %llx/%x gdtr %llx/%x\n",
             (unsigned long long)b->save.efer, b->save.cs.selector,
             b->save.cs.attrib, (unsigned long long)b->save.cs.base,
             (unsigned long long)b->save.idtr.base, b->save.idtr.limit,
             (unsigned long long)b->save.gdtr.base, b->save.gdtr.limit);
}

static void stop_crash(struct svm_vm *vm, const char *why)
{
    crash_report(vm, why);
    vcpu_stop(vm->v, VCPU_STOP_CRASH, ROOT_EXIT_CHILD_CRASH);
}

/* --- exit handlers ---------------------------------------------------------
 * Each returns after updating struct vcpu: RIP advanced for completed
 * instructions, an exception queued, or the child stopped.
 */
typedef void (*exit_fn)(struct svm_vm *vm);

static void exit_nop(struct svm_vm *vm) {}

static void exit_intr(struct svm_vm *vm)
{
    /* The root's own interrupt: take it now that GIF is set again. */
    irq_enable();
    __asm__ volatile("nop");
    irq_disable();
}

static void exit_vintr(struct svm_vm *vm)
{
    /* The interrupt window opened: injection happens on the way in. */
    vm->vmcb->control.vintr &= ~SVM_VINTR_IRQ;
    vm->vmcb->control.intercept_misc1 &= ~SVM_INTERCEPT1_VINTR;
}

static void exit_cpuid(struct svm_vm *vm)
{
    struct vcpu *v = vm->v;
    uint32_t out[4];
    hv_cpuid(v, (uint32_t)v->gpr[GPR_RAX], (uint32_t)v->gpr[GPR_RCX], out);
    v->gpr[GPR_RAX] = out[0];
    v->gpr[GPR_RBX] = out[1];
    v->gpr[GPR_RCX] = out[2];
    v->gpr[GPR_RDX] = out[3];
    v->rip += 2;
}

static void exit_msr(struct svm_vm *vm)
{
    struct vcpu *v = vm->v;
    uint32_t msr = (uint32_t)v->gpr[GPR_RCX];
    if (vm->vmcb->control.exit_info1 == 0) {
        uint64_t val;
        if (hv_msr_read(v, msr, &val)) {
            vcpu_inject_gp(v);
            return;
        }
        v->gpr[GPR_RAX] = (uint32_t)val;
        v->gpr[GPR_RDX] = val >> 32;
    } else {
        uint64_t val = (v->gpr[GPR_RDX] << 32) | (uint32_t)v->gpr[GPR_RAX];
        if (hv_msr_write(v, msr, val)) {
            vcpu_inject_gp(v);
            return;
        }
    }
    v->rip += 2;
}

static void exit_ioio(struct svm_vm *vm)
{
    struct vcpu *v = vm->v;
    uint32_t info = (uint32_t)vm->vmcb->control.exit_info1;
    uint16_t port = (uint16_t)(info >> SVM_IOIO_PORT_SHIFT);
    unsigned size = (info & SVM_IOIO_SZ32) ? 4 : (info & SVM_IOIO_SZ16) ? 2 : 1;
    if (info & (SVM_IOIO_STR | SVM_IOIO_REP)) {
        stop_crash(vm, "string port I/O is not emulated");
        return;
    }
    if (info & SVM_IOIO_IN) {
        uint32_t val = pio_in(vm->pio, v, port, size);
        uint64_t mask = size == 4 ? 0xFFFFFFFFull : (1ull << (8 * size)) - 1;
        if (size == 4)
            v->gpr[GPR_RAX] = val; /* 32-bit results zero-extend */
        else
            v->gpr[GPR_RAX] = (v->gpr[GPR_RAX] & ~mask) | (val & mask);
    } else {
        pio_out(vm->pio, v, port, size, (uint32_t)v->gpr[GPR_RAX]);
    }
    v->rip = vm->vmcb->control.exit_info2; /* next RIP (APM 15.10.2) */
}

static void exit_hlt(struct svm_vm *vm)
{
    struct vcpu *v = vm->v;
    v->rip += 1;
    if (!(v->rflags & RFLAGS_IF)) {
        crash_report(vm, "halted with interrupts disabled");
        vcpu_stop(v, VCPU_STOP_HALT_DEAD, ROOT_EXIT_CHILD_HALTED);
        return;
    }
    v->halted = true;
}

static void exit_vmmcall(struct svm_vm *vm)
{
    if (hv_hypercall(vm->v))
        vm->v->rip += 3;
}

static void exit_invd(struct svm_vm *vm)
{
    vm->v->rip += 2; /* INVD would drop dirty lines: treat as a no-op */
}

static void exit_ud(struct svm_vm *vm)
{
    vcpu_inject_ud(vm->v);
}

static void exit_shutdown(struct svm_vm *vm)
{
    stop_crash(vm, "shutdown (triple fault)");
}

static void set_reg(struct vcpu *v, unsigned reg, unsigned size, uint64_t val)
{
    if (size >= 4) {
        v->gpr[reg] = size == 4 ? (uint32_t)val : val;
        return;
    }
    uint64_t mask = (1ull << (8 * size)) - 1;
    v->gpr[reg] = (v->gpr[reg] & ~mask) | (val & mask);
}

static void exit_npf(struct svm_vm *vm)
{
    struct vcpu *v = vm->v;
    uint64_t gpa = vm->vmcb->control.exit_info2;
    uint64_t apic = vapic_mmio_base(v);
    uint8_t bytes[15];
    struct mmio_insn mi;

    if (gpa < v->mem.size) {
        stop_crash(vm, "nested page fault inside child RAM");
        return;
    }
    int n = insn_fetch(v, bytes, sizeof(bytes));
    if (n < 0 ||
        insn_decode_mov(bytes, (unsigned)n, v->long_mode, v->cs_db, &mi)) {
        stop_crash(vm, "MMIO access by an instruction the root cannot "
                       "emulate");
        return;
    }
    uint64_t wval = mi.has_imm ? mi.imm : v->gpr[mi.reg];
    if (apic && gpa >= apic && gpa < apic + 0x1000) {
        uint32_t off = (uint32_t)(gpa - apic);
        if (mi.is_write) {
            if (mi.size == 4)
                vapic_mmio_write(v, off, (uint32_t)wval);
        } else {
            uint32_t val = 0;
            if (vapic_mmio_read(v, off & ~3u, &val)) {
                stop_crash(vm, "bad xAPIC access");
                return;
            }
            val >>= 8 * (off & 3);
            set_reg(v, mi.reg, mi.dst_size, val);
        }
    } else {
        /* Unbacked physical address: reads float high, writes vanish. */
        v->mmio_unbacked++;
        if (!mi.is_write)
            set_reg(v, mi.reg, mi.dst_size, ~0ull >> (64 - 8 * mi.size));
    }
    v->rip += mi.len;
}

static void exit_invalid(struct svm_vm *vm)
{
    stop_crash(vm, "VMRUN refused the child state (VMEXIT_INVALID)");
}

/* APM appendix C, the exits the root intercepts.  Bounds-checked. */
static const struct exit_desc {
    exit_fn fn;
    const char *name;
} exit_table[SVM_EXIT_MAX + 1] = {
    [SVM_EXIT_INTR] = {exit_intr, "INTR"},
    [SVM_EXIT_NMI] = {exit_nop, "NMI"},
    [SVM_EXIT_SMI] = {exit_nop, "SMI"},
    [SVM_EXIT_INIT] = {exit_nop, "INIT"},
    [SVM_EXIT_VINTR] = {exit_vintr, "VINTR"},
    [SVM_EXIT_CPUID] = {exit_cpuid, "CPUID"},
    [SVM_EXIT_INVD] = {exit_invd, "INVD"},
    [SVM_EXIT_HLT] = {exit_hlt, "HLT"},
    [SVM_EXIT_INVLPGA] = {exit_ud, "INVLPGA"},
    [SVM_EXIT_IOIO] = {exit_ioio, "IOIO"},
    [SVM_EXIT_MSR] = {exit_msr, "MSR"},
    [SVM_EXIT_SHUTDOWN] = {exit_shutdown, "SHUTDOWN"},
    [SVM_EXIT_VMRUN] = {exit_ud, "VMRUN"},
    [SVM_EXIT_VMMCALL] = {exit_vmmcall, "VMMCALL"},
    [SVM_EXIT_VMLOAD] = {exit_ud, "VMLOAD"},
    [SVM_EXIT_VMSAVE] = {exit_ud, "VMSAVE"},
    [SVM_EXIT_STGI] = {exit_ud, "STGI"},
    [SVM_EXIT_CLGI] = {exit_ud, "CLGI"},
    [SVM_EXIT_SKINIT] = {exit_ud, "SKINIT"},
    [SVM_EXIT_MONITOR] = {exit_ud, "MONITOR"},
    [SVM_EXIT_MWAIT] = {exit_ud, "MWAIT"},
    /* XCR0 is not switched by VMRUN and XSAVE is hidden from the child. */
    [SVM_EXIT_XSETBV] = {exit_ud, "XSETBV"},
    [SVM_EXIT_NPF] = {exit_npf, "NPF"},
};

/* Statistics slots for exits outside the table. */
#define STAT_SLOT_INVALID 0x3FFu
#define STAT_SLOT_UNKNOWN 0x3FEu

static const char *exit_name(unsigned slot)
{
    if (slot == STAT_SLOT_INVALID)
        return "INVALID";
    if (slot <= SVM_EXIT_MAX && exit_table[slot].name)
        return exit_table[slot].name;
    return "other";
}

/* --- entry -----------------------------------------------------------------
 */

static void inject_event(struct svm_vm *vm)
{
    struct vcpu *v = vm->v;
    struct vmcb_control *c = &vm->vmcb->control;
    c->event_inj = 0;
    c->vintr &= ~SVM_VINTR_IRQ;
    c->intercept_misc1 &= ~SVM_INTERCEPT1_VINTR;
    if (vm->pending_reinject) {
        c->event_inj = vm->pending_reinject;
        vm->pending_reinject = 0;
    } else if (v->exc.pending) {
        c->event_inj = v->exc.vector | SVM_EVTINJ_TYPE_EXC | SVM_EVTINJ_VALID;
        /* Real mode pushes no error codes; VMRUN refuses one there. */
        if (v->exc.has_err && (v->cr0 & X86_CR0_PE))
            c->event_inj |= SVM_EVTINJ_EV | ((uint64_t)v->exc.err << 32);
        v->exc.pending = false;
    }
    int vec = vapic_pending(v);
    if (vec < 0)
        return;
    if (!c->event_inj && (v->rflags & RFLAGS_IF) && !v->int_shadow) {
        c->event_inj = (uint64_t)vec | SVM_EVTINJ_TYPE_INTR | SVM_EVTINJ_VALID;
        vapic_ack(v, (uint8_t)vec);
        vapic_assist_offer(v, (uint8_t)vec);
        return;
    }
    /* Ask for an exit as soon as the child can take it (APM 15.21.4). */
    c->vintr |=
        SVM_VINTR_IRQ | (0xFull << SVM_VINTR_PRIO_SHIFT) | SVM_VINTR_IGN_TPR;
    c->intercept_misc1 |= SVM_INTERCEPT1_VINTR;
}

/*
 * The root's LAPIC timer bounds how long the child runs (or the root
 * idles) before the root looks at its timers and pollers again.  Writing
 * it costs about as much as an exit under emulation, and the pollers'
 * bound is "now + bound", new at every entry.  Re-arming at every entry
 * pays a write per exit; never moving an armed deadline pays an INTR exit
 * per bound while the child exits often anyway (the display's 4 ms poll:
 * 250 exits/s during a video run).  So an armed deadline no later than the
 * wanted one is kept while at least half the wanted wait is left before
 * it, and pushed out to the wanted one when it is closer: a child that
 * exits more often than every half bound takes one write per ~half bound
 * and no timer exits.  Nobody relies on the timer firing exactly when
 * asked (pollers want at most a bound, the child's timers are checked
 * against their own deadlines).
 */
static void arm_root_timer(struct svm_vm *vm)
{
    uint64_t now = rdtsc();
    uint64_t d = vcpu_next_deadline(vm->v);
    uint64_t p = root_pollers_deadline(vm->v->now_tsc);
    if (p && (!d || p < d))
        d = p;
    if (!d)
        return; /* an armed timer only costs one early exit */
    /* The LAPIC count is 32 bits: a far deadline is approached in steps
     * of at most a second, so the armed one is always reached exactly. */
    uint64_t step = root_tsc_hz();
    if (d > now && d - now > step)
        d = now + step;
    /* The timer may have fired before the TSC reached its deadline (the
     * LAPIC's rate is calibrated, its count rounded down): a deadline
     * still ahead says nothing once its interrupt has been taken. */
    uint64_t armed = vm->armed_deadline;
    if (armed && root_timer_armed() && armed > now && armed <= d &&
        armed - now >= (d - now) / 2)
        return;
    uint64_t t0 = rdtsc();
    root_timer_arm(d);
    vm->timer_arms++;
    vm->timer_arm_tsc += rdtsc() - t0;
    vm->armed_deadline = d;
}

static void idle(struct svm_vm *vm)
{
    uint64_t t0 = rdtsc();
    arm_root_timer(vm);
    cpu_idle();    /* sti; hlt: any interrupt ends it */
    irq_disable(); /* a timer still armed stays armed: it fires later */
    vm->idle_tsc += rdtsc() - t0;
    root_console_poll(vm);
}

void svm_vm_run(struct svm_vm *vm)
{
    struct vcpu *v = vm->v;
    vm->start_tsc = rdtsc();
    irq_disable();
    while (v->stop == VCPU_RUNNING) {
        v->now_tsc = rdtsc();
        vcpu_poll_timers(v);
        root_pollers_run();
        vapic_assist_sync(v); /* before anything new is offered */
        if (v->halted) {
            if (vapic_pending(v) >= 0 || v->exc.pending)
                v->halted = false;
            else {
                idle(vm);
                continue;
            }
        }
        inject_event(vm);
        arm_root_timer(vm);
        vcpu_store(vm);

        svm_vmrun(vm->run);

        uint64_t t0 = rdtsc();
        struct vmcb_control *c = &vm->vmcb->control;
        c->tlb_control = SVM_TLB_NOTHING;
        if (c->exit_int_info & SVM_EVTINJ_VALID)
            vm->pending_reinject = c->exit_int_info;
        vcpu_load(vm);
        v->now_tsc = t0;
        vapic_assist_sync(v); /* an EOI the child skipped, before its reads */

        uint32_t code32 = (uint32_t)c->exit_code;
        unsigned slot;
        if (code32 == SVM_EXIT_INVALID32) {
            slot = STAT_SLOT_INVALID;
            exit_invalid(vm);
        } else if (c->exit_code <= SVM_EXIT_MAX &&
                   exit_table[c->exit_code].fn) {
            slot = (unsigned)c->exit_code;
            exit_table[slot].fn(vm);
        } else {
            slot = c->exit_code <= SVM_EXIT_MAX ? (unsigned)c->exit_code
                                                : STAT_SLOT_UNKNOWN;
            stop_crash(vm, "unexpected exit");
        }
        if (v->rip != vm->vmcb->save.rip) {
            /* An emulated instruction completed: its STI/MOV SS shadow
             * (e.g. "sti; hlt") is over. */
            c->int_state &= ~1ull;
            v->int_shadow = false;
        }
        if (slot == SVM_EXIT_INTR || slot == SVM_EXIT_IOIO)
            root_console_poll(vm);
        vm->stat[slot].count++;
        vm->total_exits++;
        vm->stat[slot].tsc += rdtsc() - t0;
    }
    root_timer_arm(0);
    vcpu_store(vm);
}

void svm_vm_print_stats(const struct svm_vm *vm)
{
    uint64_t hz = root_tsc_hz();
    uint64_t span = rdtsc() - vm->start_tsc;
    uint64_t ms = hz ? span / (hz / 1000) : 0;
    root_log("child exits: %llu in %llu ms (idle %llu ms)\n",
             (unsigned long long)vm->total_exits, (unsigned long long)ms,
             (unsigned long long)(hz ? vm->idle_tsc / (hz / 1000) : 0));
    for (unsigned i = 0; i < SVM_STAT_SLOTS; i++) {
        if (!vm->stat[i].count)
            continue;
        uint64_t ns = hz ? (uint64_t)((unsigned __int128)vm->stat[i].tsc *
                                      1000000000u / hz / vm->stat[i].count)
                         : 0;
        root_log("  %-8s 0x%03x %10llu  handler %llu ns avg\n", exit_name(i), i,
                 (unsigned long long)vm->stat[i].count, (unsigned long long)ns);
    }
    const struct vcpu *v = vm->v;
    root_log(
        "  unknown MSR reads %llu writes %llu, unknown port reads %llu "
        "writes %llu, unbacked MMIO %llu, hypercalls %llu, interrupts "
        "%llu, lazy EOIs %llu, com1 bytes %llu\n",
        (unsigned long long)v->unknown_msr_reads,
        (unsigned long long)v->unknown_msr_writes,
        (unsigned long long)v->io_unknown_reads,
        (unsigned long long)v->io_unknown_writes,
        (unsigned long long)v->mmio_unbacked, (unsigned long long)v->hypercalls,
        (unsigned long long)v->injected_irqs, (unsigned long long)v->lazy_eois,
        (unsigned long long)vm->pio->com1.tx_bytes);
    uint64_t arm_ns = hz && vm->timer_arms
                          ? (uint64_t)((unsigned __int128)vm->timer_arm_tsc *
                                       1000000000u / hz / vm->timer_arms)
                          : 0;
    root_log("  root timer arms %llu, %llu ns avg\n",
             (unsigned long long)vm->timer_arms, (unsigned long long)arm_ns);
}
