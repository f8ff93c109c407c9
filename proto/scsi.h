/*
 * SCSI as a disk behind storvsp speaks it: command descriptor blocks,
 * status, sense data and the parameter data of the commands storvsc sends
 * and storvsp answers.
 *
 * Sources (facts only): T10 SPC-4 (INQUIRY and VPD pages 0x00/0x80/0x83,
 * REQUEST SENSE and fixed-format sense data, MODE SENSE, REPORT LUNS,
 * TEST UNIT READY, status codes, sense keys and ASC/ASCQ table) and SBC-3
 * (READ/WRITE 6/10/12/16, READ CAPACITY 10/16, SYNCHRONIZE CACHE 10/16,
 * UNMAP, WRITE SAME 10/16, START STOP UNIT, VPD pages 0xB0/0xB1/0xB2, the
 * caching mode page); values cross-checked against Linux
 * include/scsi/scsi_proto.h and OpenVMM's scsi_defs.
 *
 * SCSI fields are big-endian, unlike everything else on VMBus; they are
 * byte arrays here, read and written only through scsi_get and scsi_put.
 */
#ifndef PROTO_SCSI_H
#define PROTO_SCSI_H

#include <stddef.h>
#include <stdint.h>

/* Operation codes. */
#define SCSI_TEST_UNIT_READY 0x00u
#define SCSI_REQUEST_SENSE 0x03u
#define SCSI_READ_6 0x08u
#define SCSI_WRITE_6 0x0Au
#define SCSI_INQUIRY 0x12u
#define SCSI_MODE_SELECT_6 0x15u
#define SCSI_MODE_SENSE_6 0x1Au
#define SCSI_START_STOP_UNIT 0x1Bu
#define SCSI_SEND_DIAGNOSTIC 0x1Du
#define SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL 0x1Eu
#define SCSI_READ_CAPACITY_10 0x25u
#define SCSI_READ_10 0x28u
#define SCSI_WRITE_10 0x2Au
#define SCSI_VERIFY_10 0x2Fu
#define SCSI_SYNCHRONIZE_CACHE_10 0x35u
#define SCSI_WRITE_SAME_10 0x41u
#define SCSI_UNMAP 0x42u
#define SCSI_MODE_SELECT_10 0x55u
#define SCSI_MODE_SENSE_10 0x5Au
#define SCSI_READ_16 0x88u
#define SCSI_WRITE_16 0x8Au
#define SCSI_SYNCHRONIZE_CACHE_16 0x91u
#define SCSI_WRITE_SAME_16 0x93u
#define SCSI_SERVICE_ACTION_IN_16 0x9Eu /* READ CAPACITY 16 is SA 0x10 */
#define SCSI_REPORT_LUNS 0xA0u
#define SCSI_READ_12 0xA8u
#define SCSI_WRITE_12 0xAAu

#define SCSI_SAI_READ_CAPACITY_16 0x10u /* service action, CDB byte 1 */

/* Status byte. */
#define SCSI_STATUS_GOOD 0x00u
#define SCSI_STATUS_CHECK_CONDITION 0x02u
#define SCSI_STATUS_CONDITION_MET 0x04u
#define SCSI_STATUS_BUSY 0x08u
#define SCSI_STATUS_RESERVATION_CONFLICT 0x18u
#define SCSI_STATUS_TASK_SET_FULL 0x28u
#define SCSI_STATUS_ACA_ACTIVE 0x30u
#define SCSI_STATUS_TASK_ABORTED 0x40u

/* Sense keys. */
#define SCSI_SENSE_NO_SENSE 0x0u
#define SCSI_SENSE_RECOVERED_ERROR 0x1u
#define SCSI_SENSE_NOT_READY 0x2u
#define SCSI_SENSE_MEDIUM_ERROR 0x3u
#define SCSI_SENSE_HARDWARE_ERROR 0x4u
#define SCSI_SENSE_ILLEGAL_REQUEST 0x5u
#define SCSI_SENSE_UNIT_ATTENTION 0x6u
#define SCSI_SENSE_DATA_PROTECT 0x7u
#define SCSI_SENSE_ABORTED_COMMAND 0xBu
#define SCSI_SENSE_MISCOMPARE 0xEu

/* Additional sense code and qualifier, as (asc << 8 | ascq). */
#define SCSI_ASC_NONE 0x0000u
#define SCSI_ASC_LUN_NOT_READY 0x0400u
#define SCSI_ASC_LUN_NOT_READY_START_REQUIRED 0x0402u
#define SCSI_ASC_WRITE_ERROR 0x0C00u
#define SCSI_ASC_UNRECOVERED_READ_ERROR 0x1100u
#define SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR 0x1A00u
#define SCSI_ASC_INVALID_COMMAND_OPCODE 0x2000u
#define SCSI_ASC_LBA_OUT_OF_RANGE 0x2100u
#define SCSI_ASC_INVALID_FIELD_IN_CDB 0x2400u
#define SCSI_ASC_LUN_NOT_SUPPORTED 0x2500u
#define SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST 0x2600u
#define SCSI_ASC_WRITE_PROTECTED 0x2700u
#define SCSI_ASC_POWER_ON_RESET 0x2900u
#define SCSI_ASC_CAPACITY_DATA_CHANGED 0x2A09u
#define SCSI_ASC_SAVING_PARAMETERS_NOT_SUPPORTED 0x3900u
#define SCSI_ASC_MEDIUM_NOT_PRESENT 0x3A00u
#define SCSI_ASC_REPORTED_LUNS_DATA_CHANGED 0x3F0Eu
#define SCSI_ASC_INTERNAL_TARGET_FAILURE 0x4400u

/* Big-endian field access; n is 1..8 bytes. */
static inline uint64_t scsi_get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static inline void scsi_put(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned i = n; i-- > 0; v >>= 8)
        p[i] = (uint8_t)v;
}

/* --- command descriptor blocks (SBC-3 5.x, SPC-4 6.x) -------------------- */

/* READ(6)/WRITE(6): a 21-bit LBA; length 0 means 256 blocks. */
struct scsi_cdb6 {
    uint8_t opcode;  /* +0 */
    uint8_t lba[3];  /* +1 bits 20..16 in byte 1's low 5 bits */
    uint8_t length;  /* +4 blocks (0 = 256); INQUIRY etc.: allocation */
    uint8_t control; /* +5 */
};
_Static_assert(sizeof(struct scsi_cdb6) == 6, "CDB6");
#define SCSI_CDB6_LBA_MASK 0x1FFFFFu

/* READ(10)/WRITE(10)/SYNCHRONIZE CACHE(10)/WRITE SAME(10)/VERIFY(10). */
struct scsi_cdb10 {
    uint8_t opcode;    /* +0 */
    uint8_t flags;     /* +1 FUA 0x08, WRITE SAME: UNMAP 0x08 */
    uint8_t lba[4];    /* +2 */
    uint8_t group;     /* +6 */
    uint8_t length[2]; /* +7 blocks (0: none, or to the end for SYNC) */
    uint8_t control;   /* +9 */
};
_Static_assert(sizeof(struct scsi_cdb10) == 10, "CDB10");

/* READ(12)/WRITE(12). */
struct scsi_cdb12 {
    uint8_t opcode;    /* +0 */
    uint8_t flags;     /* +1 */
    uint8_t lba[4];    /* +2 */
    uint8_t length[4]; /* +6 blocks */
    uint8_t group;     /* +10 */
    uint8_t control;   /* +11 */
};
_Static_assert(sizeof(struct scsi_cdb12) == 12, "CDB12");

/* READ(16)/WRITE(16)/SYNCHRONIZE CACHE(16)/WRITE SAME(16); READ CAPACITY
 * (16) puts the service action in flags and the allocation length in
 * length. */
struct scsi_cdb16 {
    uint8_t opcode;    /* +0 */
    uint8_t flags;     /* +1 */
    uint8_t lba[8];    /* +2 */
    uint8_t length[4]; /* +10 */
    uint8_t group;     /* +14 */
    uint8_t control;   /* +15 */
};
_Static_assert(sizeof(struct scsi_cdb16) == 16, "CDB16");
#define SCSI_CDB_FUA 0x08u          /* flags: force unit access */
#define SCSI_WRITE_SAME_UNMAP 0x08u /* flags: deallocate instead of writing */
#define SCSI_WRITE_SAME_NDOB 0x01u  /* flags (16 only): no data-out buffer */

/* INQUIRY (SPC-4 6.6). */
struct scsi_cdb_inquiry {
    uint8_t opcode;   /* +0 SCSI_INQUIRY */
    uint8_t flags;    /* +1 EVPD 0x01 */
    uint8_t page;     /* +2 VPD page when EVPD */
    uint8_t alloc[2]; /* +3 allocation length */
    uint8_t control;  /* +5 */
};
_Static_assert(sizeof(struct scsi_cdb_inquiry) == 6, "INQUIRY CDB");
#define SCSI_INQUIRY_EVPD 0x01u

/* MODE SENSE(6) (SPC-4 6.11); MODE SENSE(10) has alloc[2] at +7. */
struct scsi_cdb_mode_sense6 {
    uint8_t opcode;  /* +0 */
    uint8_t flags;   /* +1 DBD 0x08 */
    uint8_t page;    /* +2 PC in bits 7..6, page code in 5..0 */
    uint8_t subpage; /* +3 */
    uint8_t alloc;   /* +4 */
    uint8_t control; /* +5 */
};
_Static_assert(sizeof(struct scsi_cdb_mode_sense6) == 6, "MODE SENSE 6");
struct scsi_cdb_mode_sense10 {
    uint8_t opcode;      /* +0 */
    uint8_t flags;       /* +1 DBD 0x08, LLBAA 0x10 */
    uint8_t page;        /* +2 */
    uint8_t subpage;     /* +3 */
    uint8_t reserved[3]; /* +4 */
    uint8_t alloc[2];    /* +7 */
    uint8_t control;     /* +9 */
};
_Static_assert(sizeof(struct scsi_cdb_mode_sense10) == 10, "MODE SENSE 10");
#define SCSI_MODE_SENSE_DBD 0x08u
#define SCSI_MODE_PC_MASK 0xC0u  /* 0 current, 1 changeable, 2 default */
#define SCSI_MODE_PC_SAVED 0xC0u /* saved values: not supported */
#define SCSI_MODE_PAGE_MASK 0x3Fu
#define SCSI_MODE_PAGE_CACHING 0x08u
#define SCSI_MODE_PAGE_CONTROL 0x0Au
#define SCSI_MODE_PAGE_ALL 0x3Fu

/* REQUEST SENSE (SPC-4 6.39). */
struct scsi_cdb_request_sense {
    uint8_t opcode;      /* +0 */
    uint8_t flags;       /* +1 DESC 0x01 (descriptor format wanted) */
    uint8_t reserved[2]; /* +2 */
    uint8_t alloc;       /* +4 */
    uint8_t control;     /* +5 */
};
_Static_assert(sizeof(struct scsi_cdb_request_sense) == 6, "REQUEST SENSE");

/* START STOP UNIT (SBC-3 5.25). */
struct scsi_cdb_start_stop {
    uint8_t opcode;    /* +0 */
    uint8_t flags;     /* +1 IMMED 0x01 */
    uint8_t reserved;  /* +2 */
    uint8_t condition; /* +3 power condition modifier */
    uint8_t start;     /* +4 START 0x01, LOEJ 0x02, condition 7..4 */
    uint8_t control;   /* +5 */
};
_Static_assert(sizeof(struct scsi_cdb_start_stop) == 6, "START STOP");
#define SCSI_START_STOP_START 0x01u
#define SCSI_START_STOP_LOEJ 0x02u

/* REPORT LUNS (SPC-4 6.33). */
struct scsi_cdb_report_luns {
    uint8_t opcode;       /* +0 */
    uint8_t reserved;     /* +1 */
    uint8_t select;       /* +2 select report, 0 all */
    uint8_t reserved2[3]; /* +3 */
    uint8_t alloc[4];     /* +6 at least 16 */
    uint8_t reserved3;    /* +10 */
    uint8_t control;      /* +11 */
};
_Static_assert(sizeof(struct scsi_cdb_report_luns) == 12, "REPORT LUNS");

/* UNMAP (SBC-3 5.28). */
struct scsi_cdb_unmap {
    uint8_t opcode;       /* +0 */
    uint8_t flags;        /* +1 ANCHOR 0x01 */
    uint8_t reserved[4];  /* +2 */
    uint8_t group;        /* +6 */
    uint8_t param_len[2]; /* +7 parameter list length */
    uint8_t control;      /* +9 */
};
_Static_assert(sizeof(struct scsi_cdb_unmap) == 10, "UNMAP CDB");

/* --- parameter data ---------------------------------------------------------
 */

/* Standard INQUIRY data, the first 36 bytes (SPC-4 6.6.2). */
struct scsi_inquiry_data {
    uint8_t device_type;  /* +0 qualifier 7..5, type 4..0 */
    uint8_t rmb;          /* +1 removable 0x80 */
    uint8_t version;      /* +2 SCSI_VERSION_* */
    uint8_t response_fmt; /* +3 HISUP 0x10, format 2 */
    uint8_t additional;   /* +4 bytes after this one (n - 5) */
    uint8_t flags5;       /* +5 TPGS 5..4, 3PC, PROTECT */
    uint8_t flags6;       /* +6 */
    uint8_t flags7;       /* +7 CMDQUE 0x02 */
    uint8_t vendor[8];    /* +8 ASCII, space padded */
    uint8_t product[16];  /* +16 */
    uint8_t revision[4];  /* +32 */
};
_Static_assert(sizeof(struct scsi_inquiry_data) == 36, "INQUIRY data");
#define SCSI_TYPE_DISK 0x00u
#define SCSI_TYPE_NO_LUN 0x7Fu /* qualifier 3 + type 0x1F: no such LUN */
#define SCSI_VERSION_SPC4 0x06u
#define SCSI_INQUIRY_RESPONSE_FMT 0x02u
#define SCSI_INQUIRY_HISUP 0x10u
#define SCSI_INQUIRY_CMDQUE 0x02u

/* VPD page header (SPC-4 7.8.1); the page body follows. */
struct scsi_vpd_header {
    uint8_t device_type; /* +0 */
    uint8_t page;        /* +1 SCSI_VPD_* */
    uint8_t length[2];   /* +2 bytes after the header */
};
_Static_assert(sizeof(struct scsi_vpd_header) == 4, "VPD header");
#define SCSI_VPD_SUPPORTED 0x00u
#define SCSI_VPD_SERIAL 0x80u
#define SCSI_VPD_DEVICE_ID 0x83u
#define SCSI_VPD_BLOCK_LIMITS 0xB0u
#define SCSI_VPD_BLOCK_CHARACTERISTICS 0xB1u
#define SCSI_VPD_LB_PROVISIONING 0xB2u

/* Designation descriptor header in page 0x83 (SPC-4 7.8.6). */
struct scsi_designator {
    uint8_t code_set; /* +0 protocol 7..4, code set 3..0 (1 binary 2 ASCII) */
    uint8_t type;     /* +1 PIV 0x80, association 5..4, type 3..0 */
    uint8_t reserved; /* +2 */
    uint8_t length;   /* +3 bytes of identifier that follow */
};
_Static_assert(sizeof(struct scsi_designator) == 4, "designator");
#define SCSI_DESIG_CODE_BINARY 0x01u
#define SCSI_DESIG_CODE_ASCII 0x02u
#define SCSI_DESIG_TYPE_VENDOR 0x00u
#define SCSI_DESIG_TYPE_T10 0x01u
#define SCSI_DESIG_TYPE_NAA 0x03u

/* Block Limits VPD page 0xB0 (SBC-3 6.6.4), 64 bytes with its header. */
struct scsi_vpd_block_limits {
    struct scsi_vpd_header hdr;       /* +0 length 0x3C */
    uint8_t wsnz;                     /* +4 */
    uint8_t max_compare_write;        /* +5 */
    uint8_t opt_granularity[2];       /* +6 blocks */
    uint8_t max_transfer[4];          /* +8 blocks, 0 unlimited */
    uint8_t opt_transfer[4];          /* +12 blocks */
    uint8_t max_prefetch[4];          /* +16 */
    uint8_t max_unmap_lba_count[4];   /* +20 */
    uint8_t max_unmap_descriptors[4]; /* +24 */
    uint8_t unmap_granularity[4];     /* +28 */
    uint8_t unmap_alignment[4];       /* +32 UGAVALID 0x80000000 */
    uint8_t max_write_same[8];        /* +36 blocks */
    uint8_t reserved[20];             /* +44 */
};
_Static_assert(sizeof(struct scsi_vpd_block_limits) == 64, "VPD B0");
_Static_assert(offsetof(struct scsi_vpd_block_limits, max_write_same) == 36,
               "max write same");

/* Block Device Characteristics VPD page 0xB1 (SBC-3 6.6.2). */
struct scsi_vpd_block_chars {
    struct scsi_vpd_header hdr; /* +0 length 0x3C */
    uint8_t rotation[2];        /* +4 1: non-rotating (solid state) */
    uint8_t product_type;       /* +6 */
    uint8_t form_factor;        /* +7 */
    uint8_t reserved[56];       /* +8 */
};
_Static_assert(sizeof(struct scsi_vpd_block_chars) == 64, "VPD B1");

/* Logical Block Provisioning VPD page 0xB2 (SBC-3 6.6.5). */
struct scsi_vpd_lb_provisioning {
    struct scsi_vpd_header hdr; /* +0 length 4 */
    uint8_t threshold_exp;      /* +4 */
    uint8_t flags;              /* +5 LBPU 0x80, LBPWS 0x40, LBPWS10 0x20,
                                   LBPRZ 0x04 */
    uint8_t type;               /* +6 provisioning type 2..0 (2 thin) */
    uint8_t reserved;           /* +7 */
};
_Static_assert(sizeof(struct scsi_vpd_lb_provisioning) == 8, "VPD B2");
#define SCSI_LBP_UNMAP 0x80u
#define SCSI_LBP_WS16 0x40u
#define SCSI_LBP_WS10 0x20u
#define SCSI_LBP_RZ 0x04u
#define SCSI_LBP_THIN 0x02u

/* READ CAPACITY(10) data (SBC-3 5.16.2). */
struct scsi_read_capacity10 {
    uint8_t last_lba[4];   /* +0 0xFFFFFFFF: use READ CAPACITY(16) */
    uint8_t block_size[4]; /* +4 bytes */
};
_Static_assert(sizeof(struct scsi_read_capacity10) == 8, "RC10 data");

/* READ CAPACITY(16) data (SBC-3 5.17.2). */
struct scsi_read_capacity16 {
    uint8_t last_lba[8];     /* +0 */
    uint8_t block_size[4];   /* +8 */
    uint8_t protection;      /* +12 */
    uint8_t phys_exp;        /* +13 log2(physical/logical) in 3..0 */
    uint8_t lowest_align[2]; /* +14 LBPME 0x8000, LBPRZ 0x4000 */
    uint8_t reserved[16];    /* +16 */
};
_Static_assert(sizeof(struct scsi_read_capacity16) == 32, "RC16 data");
#define SCSI_RC16_LBPME 0x80u /* in lowest_align[0] */
#define SCSI_RC16_LBPRZ 0x40u

/* Fixed-format sense data (SPC-4 4.5.3), 18 bytes. */
struct scsi_sense_fixed {
    uint8_t response;    /* +0 VALID 0x80, 0x70 current / 0x71 deferred */
    uint8_t obsolete;    /* +1 */
    uint8_t key;         /* +2 sense key 3..0, ILI 0x20, EOM, FILEMARK */
    uint8_t info[4];     /* +3 e.g. the failing LBA */
    uint8_t additional;  /* +7 bytes after this one (10) */
    uint8_t cmd_info[4]; /* +8 */
    uint8_t asc;         /* +12 */
    uint8_t ascq;        /* +13 */
    uint8_t fru;         /* +14 */
    uint8_t sks[3];      /* +15 sense-key specific, SKSV 0x80 */
};
_Static_assert(sizeof(struct scsi_sense_fixed) == 18, "fixed sense");
#define SCSI_SENSE_CURRENT 0x70u
#define SCSI_SENSE_DEFERRED 0x71u
#define SCSI_SENSE_DESC_CURRENT 0x72u /* descriptor format */
#define SCSI_SENSE_DESC_DEFERRED 0x73u
#define SCSI_SENSE_VALID 0x80u
#define SCSI_SENSE_KEY_MASK 0x0Fu

/* Mode parameter headers (SPC-4 7.5.5). */
struct scsi_mode_header6 {
    uint8_t length;       /* +0 bytes after this one */
    uint8_t medium;       /* +1 */
    uint8_t dev_specific; /* +2 WP 0x80, DPOFUA 0x10 */
    uint8_t bd_length;    /* +3 block descriptor bytes (8 or 0) */
};
_Static_assert(sizeof(struct scsi_mode_header6) == 4, "mode header 6");
struct scsi_mode_header10 {
    uint8_t length[2];    /* +0 bytes after this field */
    uint8_t medium;       /* +2 */
    uint8_t dev_specific; /* +3 */
    uint8_t longlba;      /* +4 */
    uint8_t reserved;     /* +5 */
    uint8_t bd_length[2]; /* +6 */
};
_Static_assert(sizeof(struct scsi_mode_header10) == 8, "mode header 10");
#define SCSI_MODE_WP 0x80u
#define SCSI_MODE_DPOFUA 0x10u

/* Short block descriptor (SBC-3 6.4.2). */
struct scsi_block_desc {
    uint8_t blocks[4];     /* +0 0xFFFFFFFF if more */
    uint8_t reserved;      /* +4 */
    uint8_t block_size[3]; /* +5 */
};
_Static_assert(sizeof(struct scsi_block_desc) == 8, "block descriptor");

/* Caching mode page 0x08 (SBC-3 6.4.5), 20 bytes. */
struct scsi_mode_caching {
    uint8_t page;     /* +0 0x08 (PS 0x80) */
    uint8_t length;   /* +1 0x12 */
    uint8_t flags;    /* +2 WCE 0x04, RCD 0x01 */
    uint8_t rest[17]; /* +3 */
};
_Static_assert(sizeof(struct scsi_mode_caching) == 20, "caching page");
#define SCSI_CACHING_WCE 0x04u
#define SCSI_CACHING_RCD 0x01u

/* Control mode page 0x0A (SPC-4 7.5.8), 12 bytes. */
struct scsi_mode_control {
    uint8_t page;      /* +0 0x0A */
    uint8_t length;    /* +1 0x0A */
    uint8_t flags[10]; /* +2 */
};
_Static_assert(sizeof(struct scsi_mode_control) == 12, "control page");

/* REPORT LUNS data: this header, then 8-byte LUNs (SPC-4 6.33). */
struct scsi_report_luns_header {
    uint8_t list_length[4]; /* +0 bytes of LUN list */
    uint8_t reserved[4];    /* +4 */
};
_Static_assert(sizeof(struct scsi_report_luns_header) == 8, "REPORT LUNS");

/* UNMAP parameter list: this header, then descriptors (SBC-3 5.28.2). */
struct scsi_unmap_header {
    uint8_t data_length[2]; /* +0 bytes after this field */
    uint8_t desc_length[2]; /* +2 bytes of descriptors */
    uint8_t reserved[4];    /* +4 */
};
_Static_assert(sizeof(struct scsi_unmap_header) == 8, "UNMAP header");
struct scsi_unmap_desc {
    uint8_t lba[8];      /* +0 */
    uint8_t blocks[4];   /* +8 */
    uint8_t reserved[4]; /* +12 */
};
_Static_assert(sizeof(struct scsi_unmap_desc) == 16, "UNMAP descriptor");

#endif /* PROTO_SCSI_H */
