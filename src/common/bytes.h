/*
 * Bounded byte cursors (read) and builders (write), after BoringSSL's CBS/CBB.
 *
 * Every byte that comes from outside (packets, X2/X3 streams, BER, proofs) is read through a
 * struct ovt_cursor: a pointer plus the bytes that remain.  One helper does the only bounds
 * check; every getter goes through it, returns 1 on success and 0 (cursor untouched) when fewer
 * bytes remain than asked, so calls chain with && / ||.  A length field only ever becomes a child
 * cursor (cur_get_sub), never a copy size or allocation size.
 *
 * struct ovt_builder writes into caller memory (bld_init_fixed) or into a heap buffer that grows
 * up to a mandatory maximum (bld_init).  Errors are sticky: after the first failure every call
 * is a no-op, and the caller checks once with bld_ok() or bld_finish().
 *
 * Integers are big-endian (network order) unless the name says otherwise.  Hot-path getters are
 * inline.  Nothing here allocates except bld_init/bld_reserve on a heap builder.
 * Thread safety: a cursor or builder belongs to one thread at a time.
 */
#ifndef OVERT_COMMON_BYTES_H
#define OVERT_COMMON_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ovt_cursor {
	const uint8_t *p;
	size_t len;
};

static inline void
cur_init(struct ovt_cursor *c, const void *p, size_t len)
{
	c->p = p;
	c->len = len;
}

static inline size_t cur_len(const struct ovt_cursor *c) { return c->len; }
static inline const uint8_t *cur_data(const struct ovt_cursor *c) { return c->p; }

/* The only bounds check: hands out n bytes and advances, or fails leaving c unchanged. */
static inline int
cur_take(struct ovt_cursor *c, const uint8_t **out, size_t n)
{
	if (c->len < n)
		return 0;
	*out = c->p;
	c->p += n;
	c->len -= n;
	return 1;
}

static inline int
cur_skip(struct ovt_cursor *c, size_t n)
{
	const uint8_t *p;
	return cur_take(c, &p, n);
}

static inline int
cur_get_u8(struct ovt_cursor *c, uint8_t *out)
{
	const uint8_t *p;
	if (!cur_take(c, &p, 1))
		return 0;
	*out = p[0];
	return 1;
}

static inline int
cur_get_u16(struct ovt_cursor *c, uint16_t *out)
{
	const uint8_t *p;
	if (!cur_take(c, &p, 2))
		return 0;
	*out = (uint16_t)((p[0] << 8) | p[1]);
	return 1;
}

static inline int
cur_get_u24(struct ovt_cursor *c, uint32_t *out)
{
	const uint8_t *p;
	if (!cur_take(c, &p, 3))
		return 0;
	*out = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
	return 1;
}

static inline int
cur_get_u32(struct ovt_cursor *c, uint32_t *out)
{
	const uint8_t *p;
	if (!cur_take(c, &p, 4))
		return 0;
	*out = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
	return 1;
}

static inline int
cur_get_u64(struct ovt_cursor *c, uint64_t *out)
{
	uint32_t hi, lo;
	struct ovt_cursor save = *c;
	if (!cur_get_u32(c, &hi) || !cur_get_u32(c, &lo)) {
		*c = save;
		return 0;
	}
	*out = ((uint64_t)hi << 32) | lo;
	return 1;
}

/* Child cursor over the next n bytes (n usually a length field just read). */
static inline int
cur_get_sub(struct ovt_cursor *c, struct ovt_cursor *out, size_t n)
{
	const uint8_t *p;
	if (!cur_take(c, &p, n))
		return 0;
	cur_init(out, p, n);
	return 1;
}

/* Copies exactly n bytes into out. */
static inline int
cur_copy(struct ovt_cursor *c, void *out, size_t n)
{
	const uint8_t *p;
	if (!cur_take(c, &p, n))
		return 0;
	if (n)
		memcpy(out, p, n);
	return 1;
}

/* u8/u16-length-prefixed child cursors. */
int cur_get_u8_prefixed(struct ovt_cursor *c, struct ovt_cursor *out);
int cur_get_u16_prefixed(struct ovt_cursor *c, struct ovt_cursor *out);
int cur_get_u32_prefixed(struct ovt_cursor *c, struct ovt_cursor *out);

/* Peek without consuming. */
static inline int
cur_peek_u8(const struct ovt_cursor *c, uint8_t *out)
{
	if (c->len < 1)
		return 0;
	*out = c->p[0];
	return 1;
}

struct ovt_builder {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t max;	/* heap builders never grow past this */
	int heap;	/* buf is ours to realloc/free */
	int err;	/* sticky */
};

/* Writes into caller memory of cap bytes; never allocates. */
void bld_init_fixed(struct ovt_builder *b, void *buf, size_t cap);
/* Heap buffer of initial capacity, growing up to max bytes.  Returns 0 on allocation failure
 * (the builder is then in the error state). */
int bld_init(struct ovt_builder *b, size_t initial, size_t max);
/* Frees a heap builder's buffer; harmless on fixed builders. */
void bld_cleanup(struct ovt_builder *b);
/* Empties the builder (keeps its memory) and clears the error bit. */
void bld_reset(struct ovt_builder *b);

/* Reserves n bytes at the end and returns a pointer to them (or NULL, setting err). */
uint8_t *bld_reserve(struct ovt_builder *b, size_t n);

static inline int bld_ok(const struct ovt_builder *b) { return !b->err; }
static inline size_t bld_len(const struct ovt_builder *b) { return b->len; }
static inline uint8_t *bld_data(const struct ovt_builder *b) { return b->buf; }

static inline void
bld_add_bytes(struct ovt_builder *b, const void *p, size_t n)
{
	uint8_t *d;
	if (b->err)
		return;
	if (b->cap - b->len >= n) {
		if (n)
			memcpy(b->buf + b->len, p, n);
		b->len += n;
		return;
	}
	if ((d = bld_reserve(b, n)) != NULL && n)
		memcpy(d, p, n);
}

static inline void
bld_add_u8(struct ovt_builder *b, uint8_t v)
{
	bld_add_bytes(b, &v, 1);
}

static inline void
bld_add_u16(struct ovt_builder *b, uint16_t v)
{
	uint8_t t[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	bld_add_bytes(b, t, 2);
}

static inline void
bld_add_u24(struct ovt_builder *b, uint32_t v)
{
	uint8_t t[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	bld_add_bytes(b, t, 3);
}

static inline void
bld_add_u32(struct ovt_builder *b, uint32_t v)
{
	uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	bld_add_bytes(b, t, 4);
}

static inline void
bld_add_u64(struct ovt_builder *b, uint64_t v)
{
	bld_add_u32(b, (uint32_t)(v >> 32));
	bld_add_u32(b, (uint32_t)v);
}

/* Overwrites an already-written u16/u32 at offset off (length back-patching). */
void bld_put_u16_at(struct ovt_builder *b, size_t off, uint16_t v);
void bld_put_u32_at(struct ovt_builder *b, size_t off, uint32_t v);

/* Hex helpers for tests, tools and logs of non-secret data.  hex_decode returns the number of
 * bytes written, or -1 on odd length, bad digit or overflow of outcap. */
long hex_decode(const char *hex, uint8_t *out, size_t outcap);
/* Writes 2*n+1 bytes (NUL-terminated) into out. */
void hex_encode(const uint8_t *p, size_t n, char *out);

#endif
