/*
 * MDF spool record format: parser and batch builder (layout and contract in mdf_record.h).
 */
#include "mdf/mdf_record.h"

#include <stdlib.h>
#include <string.h>

static const char *const rec_errs[MDF_REC__COUNT] = {
	[MDF_REC_OK] = "ok",
	[MDF_REC_E_SHORT] = "record shorter than its counts and lengths",
	[MDF_REC_E_VERSION] = "unknown record version or flags",
	[MDF_REC_E_KIND] = "record kind is not this stream's",
	[MDF_REC_E_COUNT] = "PDU or sequence entry count out of range",
	[MDF_REC_E_PDU] = "PS-PDU region does not split into the announced PDUs",
	[MDF_REC_E_LIID] = "LIID length out of range",
	[MDF_REC_E_TRAILING] = "bytes after the last sequence entry",
};

const char *
mdf_rec_strerror(enum mdf_rec_err e)
{
	return (unsigned)e < MDF_REC__COUNT ? rec_errs[e] : "unknown record error";
}

enum mdf_rec_err
mdf_record_parse(const uint8_t *p, size_t len, uint8_t kind, struct mdf_record *out)
{
	struct ovt_cursor c, pdus, walk;
	uint8_t version;
	uint16_t flags;
	uint32_t plen;

	cur_init(&c, p, len);
	if (!cur_get_u8(&c, &version) || !cur_get_u8(&c, &out->kind) ||
	    !cur_get_u16(&c, &flags) || !cur_get_u64(&c, &out->epoch) ||
	    !cur_get_u32(&c, &out->npdu) || !cur_get_u32(&c, &plen))
		return MDF_REC_E_SHORT;
	if (version != MDF_REC_VERSION || flags != 0)
		return MDF_REC_E_VERSION;
	if ((out->kind != 1 && out->kind != 2) || (kind != 0 && out->kind != kind))
		return MDF_REC_E_KIND;
	if (out->npdu == 0 || out->npdu > MDF_BATCH_MAX_PDUS)
		return MDF_REC_E_COUNT;
	if (!cur_get_sub(&c, &pdus, plen))
		return MDF_REC_E_SHORT;
	/* The PS-PDU region must be exactly npdu whole PDUs: what the sender will put on the
	 * wire is then a clean sequence of PDU boundaries, whatever the disk held. */
	walk = pdus;
	for (uint32_t i = 0; i < out->npdu; i++) {
		size_t n = 0;
		struct hi2_diag d;
		if (hi2_split(cur_data(&walk), cur_len(&walk), cur_len(&walk), &n, &d) != HI2_OK ||
		    !cur_skip(&walk, n))
			return MDF_REC_E_PDU;
	}
	if (cur_len(&walk) != 0)
		return MDF_REC_E_PDU;
	out->pdus = pdus;
	if (!cur_get_sub(&c, &out->fps, (size_t)out->npdu * 8))
		return MDF_REC_E_SHORT;
	if (!cur_get_u32(&c, &out->nseq))
		return MDF_REC_E_SHORT;
	if (out->nseq > out->npdu)
		return MDF_REC_E_COUNT;
	out->seqs = c;
	for (uint32_t i = 0; i < out->nseq; i++) {
		struct ovt_cursor liid;
		if (!cur_get_u8_prefixed(&c, &liid))
			return MDF_REC_E_SHORT;
		if (cur_len(&liid) < 1 || cur_len(&liid) > HI2_LIID_MAX)
			return MDF_REC_E_LIID;
		if (!cur_skip(&c, 8))
			return MDF_REC_E_SHORT;
	}
	if (cur_len(&c) != 0)
		return MDF_REC_E_TRAILING;
	return MDF_REC_OK;
}

int
mdf_record_next_fp(struct mdf_record *r, uint64_t *out)
{
	return cur_get_u64(&r->fps, out);
}

int
mdf_record_next_seq(struct mdf_record *r, struct mdf_rec_seq *out)
{
	struct ovt_cursor liid;
	if (!cur_get_u8_prefixed(&r->seqs, &liid) || cur_len(&liid) < 1 ||
	    cur_len(&liid) > HI2_LIID_MAX)
		return 0;
	out->liid_len = (uint8_t)cur_len(&liid);
	memcpy(out->liid, cur_data(&liid), cur_len(&liid));
	return cur_get_u32(&r->seqs, &out->cin) && cur_get_u32(&r->seqs, &out->next);
}

/* ------------------------------------------------------------------ batch */

size_t
mdf_batch_capacity(size_t max_pdu)
{
	return MDF_REC_HDR + MDF_BATCH_BYTES + max_pdu + MDF_PSPDU_OVERHEAD + MDF_REC_TRAILER_MAX;
}

int
mdf_batch_init(struct mdf_batch *b, uint8_t kind, size_t max_pdu, uint32_t *gens)
{
	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->gens = gens;
	b->cap = mdf_batch_capacity(max_pdu);
	b->buf = malloc(b->cap);
	b->fps = calloc(MDF_BATCH_MAX_PDUS, sizeof(*b->fps));
	b->seqs = calloc(MDF_BATCH_MAX_PDUS, sizeof(*b->seqs));
	if (b->buf == NULL || b->fps == NULL || b->seqs == NULL) {
		mdf_batch_cleanup(b);
		return -1;
	}
	mdf_batch_reset(b);
	return 0;
}

void
mdf_batch_cleanup(struct mdf_batch *b)
{
	free(b->buf);
	free(b->fps);
	free(b->seqs);
	b->buf = NULL;
	b->fps = NULL;
	b->seqs = NULL;
}

void
mdf_batch_reset(struct mdf_batch *b)
{
	b->len = MDF_REC_HDR;
	b->npdu = 0;
	b->nseq = 0;
	b->sealed = 0;
	if (++*b->gens == 0)	/* 0 is "never in a batch" for the counters */
		*b->gens = 1;
	b->gen = *b->gens;
}

void
mdf_batch_space(struct mdf_batch *b, struct ovt_builder *out)
{
	size_t room = b->cap - MDF_REC_TRAILER_MAX - b->len;
	bld_init_fixed(out, b->buf + b->len, b->sealed ? 0 : room);
}

int
mdf_batch_seq(struct mdf_batch *b, const uint8_t *liid, size_t liid_len, uint32_t cin,
	      uint32_t *slot_gen, uint32_t *slot)
{
	if (*slot_gen == b->gen)
		return 0;
	if (b->nseq == MDF_BATCH_MAX_PDUS || liid_len < 1 || liid_len > HI2_LIID_MAX)
		return -1;
	struct mdf_rec_seq *s = &b->seqs[b->nseq];
	s->liid_len = (uint8_t)liid_len;
	memcpy(s->liid, liid, liid_len);
	s->cin = cin;
	s->next = 0;
	*slot = b->nseq++;
	*slot_gen = b->gen;
	return 0;
}

void
mdf_batch_add(struct mdf_batch *b, size_t len, uint64_t fp, uint32_t slot, uint32_t next)
{
	b->len += len;
	b->fps[b->npdu++] = fp;
	b->seqs[slot].next = next;
}

int
mdf_batch_full(const struct mdf_batch *b)
{
	return b->npdu == MDF_BATCH_MAX_PDUS || b->len - MDF_REC_HDR >= MDF_BATCH_BYTES;
}

void
mdf_batch_seal(struct mdf_batch *b, uint64_t epoch, const uint8_t **p, size_t *len)
{
	struct ovt_builder h, t;
	size_t plen = b->len - MDF_REC_HDR;

	if (!b->sealed) {
		bld_init_fixed(&t, b->buf + b->len, b->cap - b->len);
		for (uint32_t i = 0; i < b->npdu; i++)
			bld_add_u64(&t, b->fps[i]);
		bld_add_u32(&t, b->nseq);
		for (uint32_t i = 0; i < b->nseq; i++) {
			bld_add_u8(&t, b->seqs[i].liid_len);
			bld_add_bytes(&t, b->seqs[i].liid, b->seqs[i].liid_len);
			bld_add_u32(&t, b->seqs[i].cin);
			bld_add_u32(&t, b->seqs[i].next);
		}
		/* MDF_REC_TRAILER_MAX octets were kept free for this. */
		b->len += bld_len(&t);
		bld_init_fixed(&h, b->buf, MDF_REC_HDR);
		bld_add_u8(&h, MDF_REC_VERSION);
		bld_add_u8(&h, b->kind);
		bld_add_u16(&h, 0);
		bld_add_u64(&h, epoch);
		bld_add_u32(&h, b->npdu);
		bld_add_u32(&h, (uint32_t)plen);
		b->sealed = 1;
	}
	*p = b->buf;
	*len = b->len;
}

uint8_t *
mdf_batch_swap_buf(struct mdf_batch *b, uint8_t *buf)
{
	uint8_t *old = b->buf;
	b->buf = buf;
	mdf_batch_reset(b);
	return old;
}

struct ovt_cursor
mdf_record_pdus_own(const uint8_t *p, size_t len)
{
	struct ovt_cursor c, pdus;
	uint32_t plen;

	cur_init(&c, p, len);
	if (!cur_skip(&c, MDF_REC_HDR - 4) || !cur_get_u32(&c, &plen) ||
	    !cur_get_sub(&c, &pdus, plen))
		cur_init(&pdus, p, 0);
	return pdus;
}
