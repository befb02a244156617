/*
 * Encoders and parsers of the spool's three on-disk structures (layouts in spool_fmt.h and
 * docs/spool.md).  A version or reserved field that is not what this code writes is refused:
 * a spool written by a future format must not be half-understood.
 */
#include "spool/spool_fmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "spool/spool.h"
#include "spool/spool_crc.h"

static const uint8_t seg_magic[4] = {'O', 'V', 'S', 'P'};
static const uint8_t cur_magic[4] = {'O', 'V', 'S', 'C'};

void
spool_fmt_seghdr_build(struct ovt_builder *b, uint64_t first)
{
	size_t start = bld_len(b);

	bld_add_bytes(b, seg_magic, sizeof(seg_magic));
	bld_add_u16(b, SPOOL_FMT_VERSION);
	bld_add_u16(b, SPOOL_SEG_HDRLEN);
	bld_add_u64(b, first);
	bld_add_u32(b, 0);
	if (bld_ok(b))
		bld_add_u32(b, spool_crc32c(0, bld_data(b) + start, SPOOL_SEG_HDRLEN - 4));
}

const char *
spool_fmt_seghdr_parse(struct ovt_cursor *c, uint64_t *out_first)
{
	struct ovt_cursor h;
	const uint8_t *magic;
	uint16_t version, hdrlen;
	uint32_t reserved, crc;
	uint64_t first;

	if (!cur_get_sub(c, &h, SPOOL_SEG_HDRLEN))
		return "segment header truncated";
	/* The checksum covers the 20 bytes before it; check it first so that a torn or
	 * overwritten header is reported as such rather than as a bad magic. */
	struct ovt_cursor body = h;
	const uint8_t *covered;
	if (!cur_take(&body, &covered, SPOOL_SEG_HDRLEN - 4) || !cur_get_u32(&body, &crc))
		return "segment header truncated";
	if (spool_crc32c(0, covered, SPOOL_SEG_HDRLEN - 4) != crc)
		return "segment header checksum mismatch";
	if (!cur_take(&h, &magic, 4) || memcmp(magic, seg_magic, 4) != 0)
		return "segment header magic is not OVSP";
	if (!cur_get_u16(&h, &version) || version != SPOOL_FMT_VERSION)
		return "segment format version unknown";
	if (!cur_get_u16(&h, &hdrlen) || hdrlen != SPOOL_SEG_HDRLEN)
		return "segment header length unknown";
	if (!cur_get_u64(&h, &first) || first == 0)
		return "segment first record number is 0";
	if (!cur_get_u32(&h, &reserved) || reserved != 0)
		return "segment header reserved field not zero";
	*out_first = first;
	return NULL;
}

void
spool_fmt_rechdr_build(uint8_t out[SPOOL_REC_HDRLEN], const void *payload, uint32_t len,
    uint64_t recno)
{
	struct ovt_builder b;

	bld_init_fixed(&b, out, SPOOL_REC_HDRLEN);
	bld_add_u32(&b, len);
	bld_add_u64(&b, recno);
	uint32_t crc = spool_crc32c(0, out, SPOOL_REC_HDRLEN - 4);
	crc = spool_crc32c(crc, payload, len);
	bld_add_u32(&b, crc);
}

const char *
spool_fmt_rechdr_parse(struct ovt_cursor *c, struct spool_rechdr *h)
{
	struct ovt_cursor save = *c;
	const uint8_t *covered;
	struct ovt_cursor f;

	if (!cur_get_sub(c, &f, SPOOL_REC_HDRLEN)) {
		*c = save;
		return "record header truncated";
	}
	struct ovt_cursor cov = f;
	if (!cur_take(&cov, &covered, SPOOL_REC_HDRLEN - 4) ||
	    !cur_get_u32(&f, &h->len) || !cur_get_u64(&f, &h->recno) ||
	    !cur_get_u32(&f, &h->crc)) {
		*c = save;
		return "record header truncated";
	}
	h->crc_hdr = spool_crc32c(0, covered, SPOOL_REC_HDRLEN - 4);
	if (h->len == 0 || h->len > SPOOL_RECORD_MAX)
		return "record length out of range";
	return NULL;
}

void
spool_fmt_cursor_build(struct ovt_builder *b, uint64_t acked)
{
	size_t start = bld_len(b);

	bld_add_bytes(b, cur_magic, sizeof(cur_magic));
	bld_add_u16(b, SPOOL_FMT_VERSION);
	bld_add_u16(b, 0);
	bld_add_u64(b, acked);
	if (bld_ok(b))
		bld_add_u32(b, spool_crc32c(0, bld_data(b) + start, SPOOL_CUR_LEN - 4));
}

const char *
spool_fmt_cursor_parse(struct ovt_cursor *c, uint64_t *out_acked)
{
	const uint8_t *covered, *magic;
	uint16_t version, reserved;
	uint32_t crc;
	uint64_t acked;

	if (cur_len(c) != SPOOL_CUR_LEN)
		return "cursor file is not 20 bytes";
	struct ovt_cursor cov = *c;
	if (!cur_take(&cov, &covered, SPOOL_CUR_LEN - 4) || !cur_get_u32(&cov, &crc))
		return "cursor file truncated";
	if (spool_crc32c(0, covered, SPOOL_CUR_LEN - 4) != crc)
		return "cursor file checksum mismatch";
	if (!cur_take(c, &magic, 4) || memcmp(magic, cur_magic, 4) != 0)
		return "cursor file magic is not OVSC";
	if (!cur_get_u16(c, &version) || version != SPOOL_FMT_VERSION)
		return "cursor format version unknown";
	if (!cur_get_u16(c, &reserved) || reserved != 0)
		return "cursor reserved field not zero";
	if (!cur_get_u64(c, &acked) || !cur_skip(c, 4) || cur_len(c) != 0)
		return "cursor file truncated";
	*out_acked = acked;
	return NULL;
}

void
spool_fmt_segname(char out[SPOOL_SEGNAME_LEN + 1], uint64_t first)
{
	snprintf(out, SPOOL_SEGNAME_LEN + 1, "seg-%016" PRIx64 ".spl", first);
}

int
spool_fmt_segname_parse(const char *name, uint64_t *out_first)
{
	uint64_t v = 0;

	if (strlen(name) != SPOOL_SEGNAME_LEN || strncmp(name, "seg-", 4) != 0 ||
	    strcmp(name + 20, ".spl") != 0)
		return 0;
	for (int i = 4; i < 20; i++) {
		char ch = name[i];
		unsigned d;
		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else
			return 0;
		v = (v << 4) | d;
	}
	if (v == 0)
		return 0;
	*out_first = v;
	return 1;
}
