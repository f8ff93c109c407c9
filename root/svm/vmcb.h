/*
 * Virtual machine control block (AMD64 APM vol 2, appendix B, "Layout of
 * VMCB"): a 4 KiB page, control area at 0x000-0x3FF, state save area from
 * 0x400.  Offsets in the column are from the start of the VMCB; reserved
 * runs are sized as offset differences.
 */
#ifndef ROOT_SVM_VMCB_H
#define ROOT_SVM_VMCB_H

#include <stddef.h>
#include <stdint.h>

/* APM table B-2: segment register in the state save area. */
struct vmcb_seg {
    uint16_t selector; /* +0x0 */
    uint16_t attrib;   /* +0x2 descriptor bits 40-47 | bits 52-55 << 8 */
    uint32_t limit;    /* +0x4 */
    uint64_t base;     /* +0x8 */
};
_Static_assert(sizeof(struct vmcb_seg) == 16, "VMCB segment");

/* APM table B-1: control area. */
struct vmcb_control {
    uint16_t intercept_cr_read;  /* +0x000 */
    uint16_t intercept_cr_write; /* +0x002 */
    uint16_t intercept_dr_read;  /* +0x004 */
    uint16_t intercept_dr_write; /* +0x006 */
    uint32_t intercept_exc;      /* +0x008 one bit per vector */
    uint32_t intercept_misc1;    /* +0x00C SVM_INTERCEPT1_* */
    uint32_t intercept_misc2;    /* +0x010 SVM_INTERCEPT2_* */
    uint32_t intercept_misc3;    /* +0x014 */
    uint8_t reserved_018[0x03C - 0x018];
    uint16_t pause_filter_thresh; /* +0x03C */
    uint16_t pause_filter_count;  /* +0x03E */
    uint64_t iopm_base_pa;        /* +0x040 */
    uint64_t msrpm_base_pa;       /* +0x048 */
    uint64_t tsc_offset;          /* +0x050 */
    uint32_t guest_asid;          /* +0x058 */
    uint8_t tlb_control;          /* +0x05C SVM_TLB_* */
    uint8_t reserved_05d[0x060 - 0x05D];
    uint64_t vintr;         /* +0x060 SVM_VINTR_* */
    uint64_t int_state;     /* +0x068 bit 0 interrupt shadow */
    uint64_t exit_code;     /* +0x070 SVM_EXIT_* */
    uint64_t exit_info1;    /* +0x078 */
    uint64_t exit_info2;    /* +0x080 */
    uint64_t exit_int_info; /* +0x088 event being delivered at exit */
    uint64_t np_control;    /* +0x090 bit 0 nested paging */
    uint64_t avic_apic_bar; /* +0x098 */
    uint64_t ghcb_pa;       /* +0x0A0 */
    uint64_t event_inj;     /* +0x0A8 SVM_EVTINJ_* */
    uint64_t n_cr3;         /* +0x0B0 nested page table root */
    uint64_t virt_ext;      /* +0x0B8 LBR virtualization, VMSAVE */
    uint32_t clean_bits;    /* +0x0C0 */
    uint32_t reserved_0c4;  /* +0x0C4 */
    uint64_t next_rip;      /* +0x0C8 only with NRIP save */
    uint8_t insn_len;       /* +0x0D0 only with decode assists */
    uint8_t insn_bytes[15]; /* +0x0D1 */
    uint8_t reserved_0e0[0x400 - 0x0E0];
};
_Static_assert(sizeof(struct vmcb_control) == 0x400, "VMCB control area");
_Static_assert(offsetof(struct vmcb_control, vintr) == 0x060, "vintr");
_Static_assert(offsetof(struct vmcb_control, exit_code) == 0x070, "exit");
_Static_assert(offsetof(struct vmcb_control, event_inj) == 0x0A8, "evtinj");
_Static_assert(offsetof(struct vmcb_control, n_cr3) == 0x0B0, "n_cr3");

/* APM table B-2: state save area (offsets from the VMCB start). */
struct vmcb_save {
    struct vmcb_seg es;   /* +0x400 */
    struct vmcb_seg cs;   /* +0x410 */
    struct vmcb_seg ss;   /* +0x420 */
    struct vmcb_seg ds;   /* +0x430 */
    struct vmcb_seg fs;   /* +0x440 */
    struct vmcb_seg gs;   /* +0x450 */
    struct vmcb_seg gdtr; /* +0x460 */
    struct vmcb_seg ldtr; /* +0x470 */
    struct vmcb_seg idtr; /* +0x480 */
    struct vmcb_seg tr;   /* +0x490 */
    uint8_t reserved_4a0[0x4CB - 0x4A0];
    uint8_t cpl;           /* +0x4CB */
    uint32_t reserved_4cc; /* +0x4CC */
    uint64_t efer;         /* +0x4D0 */
    uint8_t reserved_4d8[0x548 - 0x4D8];
    uint64_t cr4;    /* +0x548 */
    uint64_t cr3;    /* +0x550 */
    uint64_t cr0;    /* +0x558 */
    uint64_t dr7;    /* +0x560 */
    uint64_t dr6;    /* +0x568 */
    uint64_t rflags; /* +0x570 */
    uint64_t rip;    /* +0x578 */
    uint8_t reserved_580[0x5D8 - 0x580];
    uint64_t rsp;            /* +0x5D8 */
    uint64_t s_cet;          /* +0x5E0 */
    uint64_t ssp;            /* +0x5E8 */
    uint64_t isst_addr;      /* +0x5F0 */
    uint64_t rax;            /* +0x5F8 */
    uint64_t star;           /* +0x600 */
    uint64_t lstar;          /* +0x608 */
    uint64_t cstar;          /* +0x610 */
    uint64_t sfmask;         /* +0x618 */
    uint64_t kernel_gs_base; /* +0x620 */
    uint64_t sysenter_cs;    /* +0x628 */
    uint64_t sysenter_esp;   /* +0x630 */
    uint64_t sysenter_eip;   /* +0x638 */
    uint64_t cr2;            /* +0x640 */
    uint8_t reserved_648[0x668 - 0x648];
    uint64_t g_pat;          /* +0x668 */
    uint64_t dbgctl;         /* +0x670 */
    uint64_t br_from;        /* +0x678 */
    uint64_t br_to;          /* +0x680 */
    uint64_t last_excp_from; /* +0x688 */
    uint64_t last_excp_to;   /* +0x690 */
    uint8_t reserved_698[0x1000 - 0x698];
};

struct vmcb {
    struct vmcb_control control; /* +0x000 */
    struct vmcb_save save;       /* +0x400 */
};
_Static_assert(sizeof(struct vmcb) == 0x1000, "VMCB is one page");
_Static_assert(offsetof(struct vmcb, save.cpl) == 0x4CB, "cpl");
_Static_assert(offsetof(struct vmcb, save.efer) == 0x4D0, "efer");
_Static_assert(offsetof(struct vmcb, save.cr4) == 0x548, "cr4");
_Static_assert(offsetof(struct vmcb, save.rip) == 0x578, "rip");
_Static_assert(offsetof(struct vmcb, save.rsp) == 0x5D8, "rsp");
_Static_assert(offsetof(struct vmcb, save.rax) == 0x5F8, "rax");
_Static_assert(offsetof(struct vmcb, save.cr2) == 0x640, "cr2");
_Static_assert(offsetof(struct vmcb, save.g_pat) == 0x668, "g_pat");

/* APM 15.9: intercept vector 3 (offset 0x00C). */
#define SVM_INTERCEPT1_INTR (1u << 0)
#define SVM_INTERCEPT1_NMI (1u << 1)
#define SVM_INTERCEPT1_SMI (1u << 2)
#define SVM_INTERCEPT1_INIT (1u << 3)
#define SVM_INTERCEPT1_VINTR (1u << 4)
#define SVM_INTERCEPT1_RDTSC (1u << 14)
#define SVM_INTERCEPT1_CPUID (1u << 18)
#define SVM_INTERCEPT1_INVD (1u << 22)
#define SVM_INTERCEPT1_HLT (1u << 24)
#define SVM_INTERCEPT1_INVLPGA (1u << 26)
#define SVM_INTERCEPT1_IOIO (1u << 27)
#define SVM_INTERCEPT1_MSR (1u << 28)
#define SVM_INTERCEPT1_SHUTDOWN (1u << 31)
/* Intercept vector 4 (offset 0x010). */
#define SVM_INTERCEPT2_VMRUN (1u << 0)
#define SVM_INTERCEPT2_VMMCALL (1u << 1)
#define SVM_INTERCEPT2_VMLOAD (1u << 2)
#define SVM_INTERCEPT2_VMSAVE (1u << 3)
#define SVM_INTERCEPT2_STGI (1u << 4)
#define SVM_INTERCEPT2_CLGI (1u << 5)
#define SVM_INTERCEPT2_SKINIT (1u << 6)
#define SVM_INTERCEPT2_MONITOR (1u << 10)
#define SVM_INTERCEPT2_MWAIT (1u << 11)
#define SVM_INTERCEPT2_XSETBV (1u << 13)

/* TLB_CONTROL */
#define SVM_TLB_NOTHING 0
#define SVM_TLB_FLUSH_ALL 1

/* V_INTR fields (offset 0x060). */
#define SVM_VINTR_TPR_MASK 0xFFull
#define SVM_VINTR_IRQ (1ull << 8)
#define SVM_VINTR_PRIO_SHIFT 16
#define SVM_VINTR_IGN_TPR (1ull << 20)
#define SVM_VINTR_MASKING (1ull << 24)

/* EVENTINJ / EXITINTINFO (APM 15.20). */
#define SVM_EVTINJ_VEC_MASK 0xFFull
#define SVM_EVTINJ_TYPE_INTR (0ull << 8)
#define SVM_EVTINJ_TYPE_NMI (2ull << 8)
#define SVM_EVTINJ_TYPE_EXC (3ull << 8)
#define SVM_EVTINJ_TYPE_SOFT (4ull << 8)
#define SVM_EVTINJ_EV (1ull << 11) /* error code valid */
#define SVM_EVTINJ_VALID (1ull << 31)

/* APM appendix C: exit codes. */
#define SVM_EXIT_EXC_BASE 0x040u /* + vector */
#define SVM_EXIT_INTR 0x060u
#define SVM_EXIT_NMI 0x061u
#define SVM_EXIT_SMI 0x062u
#define SVM_EXIT_INIT 0x063u
#define SVM_EXIT_VINTR 0x064u
#define SVM_EXIT_RDTSC 0x06Eu
#define SVM_EXIT_CPUID 0x072u
#define SVM_EXIT_INVD 0x076u
#define SVM_EXIT_PAUSE 0x077u
#define SVM_EXIT_HLT 0x078u
#define SVM_EXIT_INVLPGA 0x07Au
#define SVM_EXIT_IOIO 0x07Bu
#define SVM_EXIT_MSR 0x07Cu
#define SVM_EXIT_SHUTDOWN 0x07Fu
#define SVM_EXIT_VMRUN 0x080u
#define SVM_EXIT_VMMCALL 0x081u
#define SVM_EXIT_VMLOAD 0x082u
#define SVM_EXIT_VMSAVE 0x083u
#define SVM_EXIT_STGI 0x084u
#define SVM_EXIT_CLGI 0x085u
#define SVM_EXIT_SKINIT 0x086u
#define SVM_EXIT_MONITOR 0x08Au
#define SVM_EXIT_MWAIT 0x08Bu
#define SVM_EXIT_XSETBV 0x08Du
#define SVM_EXIT_NPF 0x400u
#define SVM_EXIT_MAX SVM_EXIT_NPF
/* VMEXIT_INVALID is -1; QEMU stores it as 0x00000000FFFFFFFF. */
#define SVM_EXIT_INVALID32 0xFFFFFFFFu

/* IOIO EXITINFO1 (APM 15.10.2). */
#define SVM_IOIO_IN (1u << 0)
#define SVM_IOIO_STR (1u << 2)
#define SVM_IOIO_REP (1u << 3)
#define SVM_IOIO_SZ8 (1u << 4)
#define SVM_IOIO_SZ16 (1u << 5)
#define SVM_IOIO_SZ32 (1u << 6)
#define SVM_IOIO_PORT_SHIFT 16

/* Segment attributes for the Multiboot entry state. */
#define SVM_ATTR_CODE32 0x0C9Bu /* G D P S type=exec/read/accessed */
#define SVM_ATTR_DATA32 0x0C93u /* G B P S type=read/write/accessed */
#define SVM_ATTR_CODE64 0x0A9Bu /* G L P S type=exec/read/accessed */
#define SVM_ATTR_TSS32_BUSY 0x008Bu
#define SVM_ATTR_TSS64_BUSY 0x008Bu /* same type value in long mode */
#define SVM_ATTR_LDT 0x0082u
#define SVM_ATTR_L (1u << 9)   /* descriptor bit 53 */
#define SVM_ATTR_DB (1u << 10) /* descriptor bit 54 */

#define MSR_VM_CR 0xC0010114u
#define MSR_VM_HSAVE_PA 0xC0010117u
#define VM_CR_SVMDIS (1ull << 4)

#endif /* ROOT_SVM_VMCB_H */
