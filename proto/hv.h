/*
 * Hyper-V hypervisor interface: CPUID leaves, synthetic MSRs, hypercall
 * input/result encoding, HV_STATUS codes, SynIC message and event-flag
 * layouts, reference TSC page, synthetic timer configuration.
 *
 * Source: Hyper-V Hypervisor Top-Level Functional Specification (TLFS) v6.0b
 * and the learn.microsoft.com TLFS pages.  Wire and memory layouts only;
 * shared unchanged by the guest kit and the reference root.
 */
#ifndef PROTO_HV_H
#define PROTO_HV_H

#include <stddef.h>
#include <stdint.h>

/* Little-endian is decided once, here, for every proto/ header. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "Enlight wire formats assume a little-endian machine");

#define HV_PAGE_SIZE 4096u
#define HV_PAGE_SHIFT 12

/* TLFS 2.4: CPUID leaves in the hypervisor range. */
#define HV_CPUID_VENDOR_AND_MAX 0x40000000u /* EBX,ECX,EDX "Microsoft Hv" */
#define HV_CPUID_INTERFACE 0x40000001u      /* EAX "Hv#1" */
#define HV_CPUID_VERSION 0x40000002u
#define HV_CPUID_FEATURES 0x40000003u
#define HV_CPUID_ENLIGHTENMENT_INFO 0x40000004u
#define HV_CPUID_IMPLEMENTATION_LIMITS 0x40000005u
#define HV_CPUID_HARDWARE_FEATURES 0x40000006u
#define HV_CPUID_NESTED_FEATURES 0x4000000Au
#define HV_CPUID_INTERFACE_HV1 0x31237648u /* "Hv#1" little-endian */
#define HV_CPUID_VENDOR_EBX 0x7263694Du    /* "Micr" */
#define HV_CPUID_VENDOR_ECX 0x666F736Fu    /* "osof" */
#define HV_CPUID_VENDOR_EDX 0x76482074u    /* "t Hv" */

/* 0x40000003 EAX: HV_PARTITION_PRIVILEGE_MASK, access to MSRs (low half). */
#define HV_PRIV_VP_RUNTIME (1u << 0)       /* HV_X64_MSR_VP_RUNTIME */
#define HV_PRIV_TIME_REF_COUNT (1u << 1)   /* reference counter MSR */
#define HV_PRIV_SYNIC (1u << 2)            /* SynIC MSRs */
#define HV_PRIV_SYNTIMERS (1u << 3)        /* stimer MSRs */
#define HV_PRIV_APIC_ACCESS (1u << 4)      /* synthetic EOI/ICR/TPR */
#define HV_PRIV_HYPERCALL (1u << 5)        /* guest OS id, hypercall */
#define HV_PRIV_VP_INDEX (1u << 6)         /* VP index MSR */
#define HV_PRIV_RESET (1u << 7)            /* reset MSR */
#define HV_PRIV_STATS (1u << 8)            /* stats pages */
#define HV_PRIV_REFERENCE_TSC (1u << 9)    /* reference TSC page */
#define HV_PRIV_GUEST_IDLE (1u << 10)      /* guest idle MSR */
#define HV_PRIV_FREQUENCY (1u << 11)       /* TSC/APIC frequency MSRs */
#define HV_PRIV_DEBUG (1u << 12)           /* debug MSRs */
#define HV_PRIV_REENLIGHTENMENT (1u << 13) /* reenlightenment MSRs */
/* 0x40000003 EBX: partition privileges (high half of the mask). */
#define HV_PRIV_CREATE_PARTITIONS (1u << 0)
#define HV_PRIV_ACCESS_PARTITION_ID (1u << 1)
#define HV_PRIV_ACCESS_MEMORY_POOL (1u << 2)
#define HV_PRIV_POST_MESSAGES (1u << 4)
#define HV_PRIV_SIGNAL_EVENTS (1u << 5)
#define HV_PRIV_CREATE_PORT (1u << 6)
#define HV_PRIV_CONNECT_PORT (1u << 7)
#define HV_PRIV_ACCESS_STATS (1u << 8)
#define HV_PRIV_DEBUGGING (1u << 11)
#define HV_PRIV_CPU_MANAGEMENT (1u << 12)
#define HV_PRIV_EXTENDED_HYPERCALLS (1u << 20)
#define HV_PRIV_ISOLATION (1u << 22)
/* 0x40000003 ECX: bits 0..3 deepest power state the guest may request. */
#define HV_FEATURE_MAX_CSTATE(ecx) ((ecx)&0xFu)
/* 0x40000003 EDX: miscellaneous features (HV_X64_HYPERVISOR_FEATURES). */
#define HV_FEATURE_MWAIT (1u << 0)
#define HV_FEATURE_GUEST_DEBUGGING (1u << 1)
#define HV_FEATURE_PERF_MONITOR (1u << 2)
#define HV_FEATURE_CPU_DYNAMIC_PARTITIONING (1u << 3)
#define HV_FEATURE_XMM_HYPERCALL_INPUT (1u << 4)
#define HV_FEATURE_GUEST_IDLE_STATE (1u << 5)
#define HV_FEATURE_HYPERVISOR_SLEEP_STATE (1u << 6)
#define HV_FEATURE_NUMA_DISTANCE_QUERY (1u << 7)
#define HV_FEATURE_FREQUENCY_MSRS (1u << 8)
#define HV_FEATURE_SYNTHETIC_MCE (1u << 9)
#define HV_FEATURE_GUEST_CRASH_MSRS (1u << 10)
#define HV_FEATURE_DEBUG_MSRS (1u << 11)
#define HV_FEATURE_DISABLE_HYPERVISOR (1u << 13)
#define HV_FEATURE_EXT_GVA_RANGES_FLUSH (1u << 14)
#define HV_FEATURE_XMM_HYPERCALL_OUTPUT (1u << 15)
#define HV_FEATURE_SINT_POLLING (1u << 17)
#define HV_FEATURE_HYPERCALL_MSR_LOCK (1u << 18)
#define HV_FEATURE_STIMER_DIRECT (1u << 19)
#define HV_FEATURE_WATCHDOG_TIMER (1u << 22)
/* 0x40000004 EAX: recommendations. */
#define HV_HINT_HYPERCALL_SWITCH (1u << 0)
#define HV_HINT_LOCAL_TLB_FLUSH (1u << 1)
#define HV_HINT_REMOTE_TLB_FLUSH (1u << 2)
#define HV_HINT_MSR_APIC_ACCESS (1u << 3)
#define HV_HINT_MSR_RESET (1u << 4)
#define HV_HINT_RELAXED_TIMING (1u << 5)
#define HV_HINT_X2APIC_MSRS (1u << 8)
#define HV_HINT_DEPRECATE_AUTO_EOI (1u << 9)
#define HV_HINT_SYNTHETIC_CLUSTER_IPI (1u << 10)
#define HV_HINT_EX_PROCESSOR_MASKS (1u << 11)
#define HV_HINT_NESTED (1u << 12)
/* 0x40000004 EBX: spinlock retries before notifying, 0xFFFFFFFF = never. */
#define HV_HINT_SPIN_NEVER 0xFFFFFFFFu
/* 0x40000004 ECX: bits 0..6 implemented guest physical address bits. */
#define HV_HINT_PA_BITS(ecx) ((ecx)&0x7Fu)

/*
 * Plausible range of the 0x40000000 EAX max leaf for an HV#1 hypervisor:
 * "Requirements for Implementing the Microsoft Hypervisor Interface" makes
 * leaves up to 0x40000005 mandatory.
 */
#define HV_CPUID_MAX_LEAF_MIN 0x40000005u
#define HV_CPUID_MAX_LEAF_MAX 0x4000FFFFu
/* 0x40000002 EDX: service branch in 24..31, service number in 0..23. */
#define HV_VERSION_SERVICE_BRANCH(edx) ((edx) >> 24)
#define HV_VERSION_SERVICE_NUMBER(edx) ((edx)&0xFFFFFFu)

/* TLFS appendix: synthetic MSRs. */
#define HV_MSR_GUEST_OS_ID 0x40000000u
#define HV_MSR_HYPERCALL 0x40000001u
#define HV_MSR_VP_INDEX 0x40000002u
#define HV_MSR_RESET 0x40000003u
#define HV_MSR_VP_RUNTIME 0x40000010u
#define HV_MSR_TIME_REF_COUNT 0x40000020u
#define HV_MSR_REFERENCE_TSC 0x40000021u
#define HV_MSR_TSC_FREQUENCY 0x40000022u
#define HV_MSR_APIC_FREQUENCY 0x40000023u
#define HV_MSR_EOI 0x40000070u
#define HV_MSR_ICR 0x40000071u
#define HV_MSR_TPR 0x40000072u
#define HV_MSR_VP_ASSIST_PAGE 0x40000073u
#define HV_MSR_SCONTROL 0x40000080u
#define HV_MSR_SVERSION 0x40000081u
#define HV_MSR_SIEFP 0x40000082u
#define HV_MSR_SIMP 0x40000083u
#define HV_MSR_EOM 0x40000084u
#define HV_MSR_SINT0 0x40000090u          /* SINTn = SINT0 + n, n < 16 */
#define HV_MSR_STIMER0_CONFIG 0x400000B0u /* config = B0 + 2n */
#define HV_MSR_STIMER0_COUNT 0x400000B1u  /* count  = B1 + 2n */
#define HV_MSR_CRASH_P0 0x40000100u       /* P0..P4 = 100..104 */
#define HV_MSR_CRASH_CTL 0x40000105u
#define HV_MSR_STIME_UNHALTED_TIMER_CONFIG 0x40000114u
#define HV_MSR_REENLIGHTENMENT_CONTROL 0x40000106u
#define HV_MSR_TSC_EMULATION_CONTROL 0x40000107u
#define HV_MSR_TSC_EMULATION_STATUS 0x40000108u
#define HV_MSR_TSC_INVARIANT_CONTROL 0x40000118u

#define HV_SINT_COUNT 16u
#define HV_STIMER_COUNT 4u
#define HV_CRASH_PARAMS 5u

/* HV_X64_MSR_HYPERCALL fields; bits 2..11 reserved, preserve on write. */
#define HV_HYPERCALL_ENABLE (1ull << 0)
#define HV_HYPERCALL_LOCKED (1ull << 1)
/*
 * Reference TSC, SIMP, SIEFP, VP assist: enable bit 0, GPA page in 12..63,
 * bits 1..11 reserved (preserve them on write).
 */
#define HV_MSR_PAGE_ENABLE (1ull << 0)
#define HV_MSR_PAGE_PFN(v) ((v) >> 12)
#define HV_MSR_PAGE_RSVD_MASK 0xFFEull
#define HV_MSR_PAGE_GPA_MASK (~0xFFFull)
/* SCONTROL */
#define HV_SCONTROL_ENABLE (1ull << 0)
/* HV_SYNIC_SINT: vector 0..7, masked 16, auto-EOI 17, polling 18. */
#define HV_SINT_VECTOR(v) ((uint32_t)((v)&0xFF))
#define HV_SINT_MASKED (1ull << 16)
#define HV_SINT_AUTO_EOI (1ull << 17)
#define HV_SINT_POLLING (1ull << 18)
/* Every SINT field above; the other bits are reserved (preserve them). */
#define HV_SINT_FIELDS_MASK                                                    \
    (0xFFull | HV_SINT_MASKED | HV_SINT_AUTO_EOI | HV_SINT_POLLING)
#define HV_SINT_VECTOR_MIN 16u /* lower vectors are refused */
/* HV_X64_MSR_STIMER_CONFIG fields. */
#define HV_STIMER_ENABLE (1ull << 0)
#define HV_STIMER_PERIODIC (1ull << 1)
#define HV_STIMER_LAZY (1ull << 2)
#define HV_STIMER_AUTO_ENABLE (1ull << 3)
#define HV_STIMER_APIC_VECTOR(v) (((v) >> 4) & 0xFF) /* direct mode */
#define HV_STIMER_DIRECT (1ull << 12)
#define HV_STIMER_SINT(v) (((v) >> 16) & 0xF) /* message mode */
/* Builders for the two fields above. */
#define HV_STIMER_CONFIG_VECTOR(vec) ((uint64_t)((vec)&0xFF) << 4)
#define HV_STIMER_CONFIG_SINT(sint) ((uint64_t)((sint)&0xF) << 16)
/*
 * HV_X64_MSR_STIMERn_COUNT: in one-shot mode, the absolute expiration time
 * in reference time (100 ns units); writing 0 stops the timer, writing a
 * non-zero value with AUTO_ENABLE in the config sets ENABLE.
 */
/*
 * HV_X64_MSR_CRASH_CTL (HV_CRASH_CTL_REG_CONTENTS).  Read: the capabilities
 * the hypervisor supports.  Write NOTIFY: log P0..P4 and record the crash;
 * with CRASH_MESSAGE, P3 is the GPA of a message and P4 its length in bytes.
 */
#define HV_CRASH_CTL_NOTIFY (1ull << 63)
#define HV_CRASH_CTL_CRASH_MESSAGE (1ull << 62)
#define HV_CRASH_CTL_NO_CRASH_DUMP (1ull << 61)

/*
 * Guest OS identity, open-source encoding (TLFS 2.6): bit 63 set, OS type in
 * 56..62, OS id in 48..55, version in 16..47, build number in 0..15.
 */
#define HV_GUEST_OS_OPENSOURCE (1ull << 63)
#define HV_GUEST_OS_ID_OPEN(type, os_id, version, build)                       \
    (HV_GUEST_OS_OPENSOURCE | ((uint64_t)((type)&0x7F) << 56) |                \
     ((uint64_t)((os_id)&0xFF) << 48) |                                        \
     ((uint64_t)((version)&0xFFFFFFFFu) << 16) | ((uint64_t)(build)&0xFFFF))

/* TLFS 3.7: hypercall input value (RCX on x64). */
#define HV_HC_CODE_MASK 0xFFFFull
#define HV_HC_FAST (1ull << 16)
#define HV_HC_VARHEAD_SHIFT 17 /* variable header size, in 8 bytes */
#define HV_HC_VARHEAD_MASK (0x3FFull << HV_HC_VARHEAD_SHIFT)
#define HV_HC_NESTED (1ull << 31)
#define HV_HC_REP_COUNT_SHIFT 32
#define HV_HC_REP_COUNT_MASK (0xFFFull << HV_HC_REP_COUNT_SHIFT)
#define HV_HC_REP_START_SHIFT 48
#define HV_HC_REP_START_MASK (0xFFFull << HV_HC_REP_START_SHIFT)
/* Bits that must be zero in the input value. */
#define HV_HC_RSVD_MASK                                                        \
    (~(HV_HC_CODE_MASK | HV_HC_FAST | HV_HC_VARHEAD_MASK | HV_HC_NESTED |      \
       HV_HC_REP_COUNT_MASK | HV_HC_REP_START_MASK))
/* Limits of the input value's fields. */
#define HV_HC_VARHEAD_MAX 0x3FFu /* in 8 bytes */
#define HV_HC_REP_MAX 0xFFFu
/* TLFS 3.8: hypercall result value (RAX). */
#define HV_HC_RESULT_STATUS(r) ((uint16_t)((r)&0xFFFF))
#define HV_HC_RESULT_REPS(r) ((uint32_t)(((r) >> 32) & 0xFFF))

/* Hypercall codes used by Enlight and by the guests it hosts. */
#define HVCALL_SWITCH_VIRTUAL_ADDRESS_SPACE 0x0001u
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE 0x0002u
#define HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST 0x0003u
#define HVCALL_NOTIFY_LONG_SPIN_WAIT 0x0008u
#define HVCALL_SEND_SYNTHETIC_CLUSTER_IPI 0x000Bu
#define HVCALL_POST_MESSAGE 0x005Cu
#define HVCALL_SIGNAL_EVENT 0x005Du

/* TLFS appendix B: HV_STATUS. */
#define HV_STATUS_SUCCESS 0x0000u
#define HV_STATUS_INVALID_HYPERCALL_CODE 0x0002u
#define HV_STATUS_INVALID_HYPERCALL_INPUT 0x0003u
#define HV_STATUS_INVALID_ALIGNMENT 0x0004u
#define HV_STATUS_INVALID_PARAMETER 0x0005u
#define HV_STATUS_ACCESS_DENIED 0x0006u
#define HV_STATUS_INVALID_PARTITION_STATE 0x0007u
#define HV_STATUS_OPERATION_DENIED 0x0008u
#define HV_STATUS_UNKNOWN_PROPERTY 0x0009u
#define HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE 0x000Au
#define HV_STATUS_INSUFFICIENT_MEMORY 0x000Bu
#define HV_STATUS_INVALID_PARTITION_ID 0x000Du
#define HV_STATUS_INVALID_VP_INDEX 0x000Eu
#define HV_STATUS_NOT_FOUND 0x0010u
#define HV_STATUS_INVALID_PORT_ID 0x0011u
#define HV_STATUS_INVALID_CONNECTION_ID 0x0012u
#define HV_STATUS_INSUFFICIENT_BUFFERS 0x0013u
#define HV_STATUS_NOT_ACKNOWLEDGED 0x0014u
#define HV_STATUS_INVALID_VP_STATE 0x0015u
#define HV_STATUS_ACKNOWLEDGED 0x0016u
#define HV_STATUS_INVALID_SAVE_RESTORE_STATE 0x0017u
#define HV_STATUS_INVALID_SYNIC_STATE 0x0018u
#define HV_STATUS_OBJECT_IN_USE 0x0019u
#define HV_STATUS_INVALID_PROXIMITY_DOMAIN_INFO 0x001Au
#define HV_STATUS_NO_DATA 0x001Bu
#define HV_STATUS_INACTIVE 0x001Cu
#define HV_STATUS_NO_RESOURCES 0x001Du
#define HV_STATUS_FEATURE_UNAVAILABLE 0x001Eu
#define HV_STATUS_PARTIAL_PACKET 0x001Fu
#define HV_STATUS_PROCESSOR_FEATURE_NOT_SUPPORTED 0x0020u
#define HV_STATUS_INSUFFICIENT_BUFFER 0x0033u
#define HV_STATUS_INVALID_LP_INDEX 0x0041u
#define HV_STATUS_INVALID_REGISTER_VALUE 0x0050u
#define HV_STATUS_OPERATION_FAILED 0x0071u
#define HV_STATUS_TIMEOUT 0x0078u
#define HV_STATUS_CALL_PENDING 0x0079u

/* TLFS 11.10.3: message types (HV_MESSAGE_TYPE). */
#define HV_MESSAGE_TYPE_NONE 0x00000000u
#define HV_MESSAGE_TYPE_VMBUS 0x00000001u /* what guests post: "type 1" */
#define HV_MESSAGE_TIMER_EXPIRED 0x80000010u

#define HV_MESSAGE_PAYLOAD_BYTES 240u
#define HV_MESSAGE_FLAG_PENDING 0x01u

/* TLFS 11.10.3: HV_MESSAGE_HEADER + payload, one SynIC message slot. */
struct hv_message {
    uint32_t message_type; /* +0x00 HV_MESSAGE_TYPE_* */
    uint8_t payload_size;  /* +0x04 bytes, <= 240 */
    uint8_t message_flags; /* +0x05 HV_MESSAGE_FLAG_* */
    uint8_t reserved[2];   /* +0x06 */
    uint64_t sender;       /* +0x08 port id or partition id */
    uint8_t payload[HV_MESSAGE_PAYLOAD_BYTES]; /* +0x10 */
};
_Static_assert(sizeof(struct hv_message) == 256, "HV_MESSAGE is 256 bytes");
_Static_assert(offsetof(struct hv_message, message_flags) == 5, "flags");
_Static_assert(offsetof(struct hv_message, payload) == 16, "payload");

/* TLFS 11.9: the SIMP page holds one message slot per SINT. */
struct hv_message_page {
    struct hv_message sint_message[HV_SINT_COUNT];
};
_Static_assert(sizeof(struct hv_message_page) == HV_PAGE_SIZE, "SIMP page");

/* TLFS 11.9: the SIEFP page holds 2048 event flags per SINT. */
#define HV_EVENT_FLAGS_BYTES 256u
#define HV_EVENT_FLAGS_COUNT (HV_EVENT_FLAGS_BYTES * 8u)
struct hv_event_flags_page {
    uint8_t sint_flags[HV_SINT_COUNT][HV_EVENT_FLAGS_BYTES];
};
_Static_assert(sizeof(struct hv_event_flags_page) == HV_PAGE_SIZE, "SIEFP");

/* TLFS 11.11.3: HvCallPostMessage input (HV_INPUT_POST_MESSAGE). */
struct hv_input_post_message {
    uint32_t connection_id; /* +0x00 HV_CONNECTION_ID */
    uint32_t reserved;      /* +0x04 must be zero */
    uint32_t message_type;  /* +0x08 HV_MESSAGE_TYPE_*, bit 31 clear */
    uint32_t payload_size;  /* +0x0C bytes, <= 240 */
    uint8_t payload[HV_MESSAGE_PAYLOAD_BYTES]; /* +0x10 */
};
_Static_assert(sizeof(struct hv_input_post_message) == 256, "post msg");
_Static_assert(offsetof(struct hv_input_post_message, payload) == 16, "pl");

/*
 * TLFS 11.11.4: HvCallSignalEvent input (HV_INPUT_SIGNAL_EVENT), passed as a
 * fast call: RDX holds connection_id | flag_number << 32.
 */
struct hv_input_signal_event {
    uint32_t connection_id; /* +0x00 */
    uint16_t flag_number;   /* +0x04 relative to the port's base flag */
    uint16_t reserved;      /* +0x06 */
};
_Static_assert(sizeof(struct hv_input_signal_event) == 8, "signal event");

/*
 * TLFS 12.7.2: reference TSC page (HV_REFERENCE_TSC_PAGE), a full 4 KiB page.
 * time = ((tsc * scale) >> 64) + offset, in 100 ns units; sequence 0 means
 * invalid: use HV_MSR_TIME_REF_COUNT instead.  Written only by the root.
 */
struct hv_reference_tsc_page {
    uint32_t tsc_sequence; /* +0x00 */
    uint32_t reserved1;    /* +0x04 */
    uint64_t tsc_scale;    /* +0x08 */
    int64_t tsc_offset;    /* +0x10 */
    uint8_t reserved2[HV_PAGE_SIZE - 0x18];
};
_Static_assert(sizeof(struct hv_reference_tsc_page) == HV_PAGE_SIZE, "tsc");
_Static_assert(offsetof(struct hv_reference_tsc_page, tsc_offset) == 0x10,
               "tsc_offset");

/* TLFS 12.10: payload of HV_MESSAGE_TIMER_EXPIRED (HV_TIMER_MESSAGE_PAYLOAD).
 */
struct hv_timer_message_payload {
    uint32_t timer_index;     /* +0x00 */
    uint32_t reserved;        /* +0x04 */
    uint64_t expiration_time; /* +0x08 100 ns reference time */
    uint64_t delivery_time;   /* +0x10 100 ns reference time */
};
_Static_assert(sizeof(struct hv_timer_message_payload) == 24, "timer msg");

/*
 * TLFS 7.8.7: the first bytes of the VP assist page (HV_VP_ASSIST_PAGE).
 * apic_assist is HV_VIRTUAL_APIC_ASSIST (TLFS "EOI Assist"): the
 * hypervisor sets NO_EOI when it delivers an interrupt whose EOI the guest
 * may skip; the guest swaps in 0 and writes the EOI MSR only when the bit
 * it took was clear.
 */
#define HV_APIC_ASSIST_NO_EOI (1u << 0)
struct hv_vp_assist_page {
    uint32_t apic_assist; /* +0x00 HV_APIC_ASSIST_*, written by both */
    uint32_t reserved;    /* +0x04 */
    uint8_t rest[HV_PAGE_SIZE - 8];
};
_Static_assert(sizeof(struct hv_vp_assist_page) == HV_PAGE_SIZE, "vp assist");

#endif /* PROTO_HV_H */
