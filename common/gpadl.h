/*
 * GPADL (guest physical address descriptor list) messages: the guest-side
 * builder that splits a page list into GpadlHeader + GpadlBody messages, and
 * the host-side assembler that collects them and validates the result.
 *
 * The range buffer of a GPADL is range_count GPA ranges, each an 8-byte
 * struct vmbus_gpa_range followed by its PFNs; range_buflen counts all of it.
 * The header message carries its first bytes (one range header + up to 26
 * PFNs), each body message up to 28 more 8-byte words.  Pure C, no globals.
 */
#ifndef COMMON_GPADL_H
#define COMMON_GPADL_H

#include <stddef.h>
#include <stdint.h>

#include "proto/vmbus.h"

/* Largest single-range GPADL: range_buflen is 16 bits. */
#define GPADL_MAX_PFNS ((0xFFFFu - 8u) / 8u) /* 8190 pages, ~32 MiB */

/* Messages (header + bodies) a single-range GPADL of npfn pages takes. */
uint32_t gpadl_msg_count(uint32_t npfn);

/*
 * Builds message `index` (0 = GpadlHeader, then bodies) of a single-range
 * GPADL covering byte_count bytes from byte_offset into pfns[0].  The range
 * must span exactly npfn pages.  Writes at most 240 bytes to out.
 * Returns the message length, or -EINVAL (npfn 0 or > GPADL_MAX_PFNS,
 * byte_offset >= 4096, byte_count 0 or not spanning npfn pages, index out of
 * range, handle 0).
 */
int gpadl_build(uint32_t index, uint32_t relid, uint32_t handle,
                uint32_t byte_offset, uint32_t byte_count, const uint64_t *pfns,
                uint32_t npfn, void *out);

/* Host-side assembly of one GPADL. */
struct gpadl_asm {
    uint32_t relid;
    uint32_t handle;
    uint32_t range_count;
    uint32_t buflen; /* bytes of range buffer expected */
    uint32_t have;   /* bytes received so far */
    uint64_t *buf;   /* buflen bytes, supplied by the caller */
};

/*
 * Reads a GpadlHeader (copied out, len bytes) far enough to size the
 * buffer: fills relid, handle, range_count, buflen; have = 0, buf = NULL.
 * Returns 0, -EBADMSG (shorter than 28 bytes or than its own range bytes,
 * longer than 240, range bytes not a multiple of 8, more range bytes than
 * range_buflen, range_count 0, range_buflen < 8 * (1 + range_count)), or
 * -EINVAL (handle 0).
 */
int gpadl_asm_header(struct gpadl_asm *a, const void *msg, size_t len);

/*
 * Copies the header's range bytes into a->buf (buflen bytes, set by the
 * caller after gpadl_asm_header).  Returns 1 when the GPADL is complete,
 * 0 when bodies must follow.
 */
int gpadl_asm_start(struct gpadl_asm *a, const void *msg, size_t len);

/*
 * Appends a GpadlBody's words.  Returns 1 complete, 0 more needed, or
 * -EBADMSG (shorter than 24 bytes, words not a multiple of 8, or more bytes
 * than range_buflen announced).
 */
int gpadl_asm_body(struct gpadl_asm *a, const void *msg, size_t len);

/*
 * Validates the complete range buffer: every range has byte_offset < 4096,
 * byte_count > 0, exactly as many PFNs as it spans, PFNs below max_pfn, and
 * the ranges fill the buffer exactly.  Returns the total page count (> 0) or
 * -EBADMSG.
 */
int64_t gpadl_asm_validate(const struct gpadl_asm *a, uint64_t max_pfn);

/* A range of a validated GPADL: pfns points into a->buf. */
struct gpadl_range {
    uint32_t byte_count;
    uint32_t byte_offset;
    uint32_t npfn;
    const uint64_t *pfns;
};
/* Range i of a validated GPADL.  Returns 0 or -ERANGE. */
int gpadl_get_range(const struct gpadl_asm *a, uint32_t i,
                    struct gpadl_range *out);

#endif /* COMMON_GPADL_H */
