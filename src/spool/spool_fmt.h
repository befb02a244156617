/*
 * The spool's on-disk formats, as pure functions over cursors and builders (no I/O), so that the
 * recovery code and the fuzz target share one parser.  All integers are big-endian.
 *
 *   segment header (SPOOL_SEG_HDRLEN = 24 bytes, at offset 0 of seg-<first>.spl)
 *     "OVSP" | u16 version = 1 | u16 header length = 24 | u64 first record number |
 *     u32 reserved = 0 | u32 CRC-32C of the preceding 20 bytes
 *   record (SPOOL_REC_HDRLEN = 16 bytes + payload, back to back after the segment header)
 *     u32 payload length (1..SPOOL_RECORD_MAX) | u64 record number |
 *     u32 CRC-32C of (the 12 bytes before it || payload) | payload
 *   cursor file (SPOOL_CUR_LEN = 20 bytes, exactly)
 *     "OVSC" | u16 version = 1 | u16 reserved = 0 | u64 acknowledged record number |
 *     u32 CRC-32C of the preceding 16 bytes
 *
 * Parsers return NULL on success or a static string naming the first check that failed.
 * Thread safety: pure functions.
 */
#ifndef OVERT_SPOOL_SPOOL_FMT_H
#define OVERT_SPOOL_SPOOL_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"

#define SPOOL_FMT_VERSION	1
#define SPOOL_SEG_HDRLEN	24
#define SPOOL_REC_HDRLEN	16
#define SPOOL_CUR_LEN		20
#define SPOOL_SEGNAME_LEN	24	/* "seg-" + 16 hex + ".spl" */
#define SPOOL_CURSOR_NAME	"cursor"
#define SPOOL_CURSOR_TMP	"cursor.tmp"

struct spool_rechdr {
	uint32_t len;
	uint64_t recno;
	uint32_t crc;		/* as stored */
	uint32_t crc_hdr;	/* CRC-32C of the 12 bytes before the crc field: extend over the
				 * payload and compare with crc */
};

/* Segment header: 24 bytes into b. */
void spool_fmt_seghdr_build(struct ovt_builder *b, uint64_t first);
/* Consumes exactly 24 bytes from c; *out_first gets the first record number. */
const char *spool_fmt_seghdr_parse(struct ovt_cursor *c, uint64_t *out_first);

/* Record header for a payload of len bytes: 16 bytes into out, checksum included. */
void spool_fmt_rechdr_build(uint8_t out[SPOOL_REC_HDRLEN], const void *payload, uint32_t len,
    uint64_t recno);
/* Consumes 16 bytes from c; refuses a length of 0 or above SPOOL_RECORD_MAX.  The payload
 * checksum is the caller's: spool_crc32c(h->crc_hdr, payload, len) == h->crc. */
const char *spool_fmt_rechdr_parse(struct ovt_cursor *c, struct spool_rechdr *h);

/* Cursor file: 20 bytes into b; the parser wants c to hold exactly 20 bytes. */
void spool_fmt_cursor_build(struct ovt_builder *b, uint64_t acked);
const char *spool_fmt_cursor_parse(struct ovt_cursor *c, uint64_t *out_acked);

/* "seg-%016x.spl" (lowercase) into out. */
void spool_fmt_segname(char out[SPOOL_SEGNAME_LEN + 1], uint64_t first);
/* 1 and *out_first if name is exactly a segment name (lowercase hex, first >= 1), else 0. */
int spool_fmt_segname_parse(const char *name, uint64_t *out_first);

#endif
