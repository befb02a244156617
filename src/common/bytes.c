/*
 * Out-of-line parts of the cursor/builder API: length-prefixed children, heap growth with a hard
 * maximum (curl's dynbuf rule: a growing buffer always has a "too big"), and hex helpers.
 */
#include "common/bytes.h"

#include <stdlib.h>

int
cur_get_u8_prefixed(struct ovt_cursor *c, struct ovt_cursor *out)
{
	struct ovt_cursor save = *c;
	uint8_t n;
	if (!cur_get_u8(c, &n) || !cur_get_sub(c, out, n)) {
		*c = save;
		return 0;
	}
	return 1;
}

int
cur_get_u16_prefixed(struct ovt_cursor *c, struct ovt_cursor *out)
{
	struct ovt_cursor save = *c;
	uint16_t n;
	if (!cur_get_u16(c, &n) || !cur_get_sub(c, out, n)) {
		*c = save;
		return 0;
	}
	return 1;
}

int
cur_get_u32_prefixed(struct ovt_cursor *c, struct ovt_cursor *out)
{
	struct ovt_cursor save = *c;
	uint32_t n;
	if (!cur_get_u32(c, &n) || !cur_get_sub(c, out, n)) {
		*c = save;
		return 0;
	}
	return 1;
}

void
bld_init_fixed(struct ovt_builder *b, void *buf, size_t cap)
{
	b->buf = buf;
	b->len = 0;
	b->cap = cap;
	b->max = cap;
	b->heap = 0;
	b->err = 0;
}

int
bld_init(struct ovt_builder *b, size_t initial, size_t max)
{
	if (initial > max)
		initial = max;
	if (initial == 0)
		initial = 1;
	b->buf = malloc(initial);
	b->len = 0;
	b->cap = b->buf ? initial : 0;
	b->max = max;
	b->heap = 1;
	b->err = b->buf == NULL;
	return !b->err;
}

void
bld_cleanup(struct ovt_builder *b)
{
	if (b->heap)
		free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
	b->err = 1;
}

void
bld_reset(struct ovt_builder *b)
{
	b->len = 0;
	b->err = b->buf == NULL;
}

uint8_t *
bld_reserve(struct ovt_builder *b, size_t n)
{
	if (b->err)
		return NULL;
	if (b->cap - b->len < n) {
		/* Catch size_t overflow before comparing with max. */
		if (!b->heap || n > b->max || b->len > b->max - n) {
			b->err = 1;
			return NULL;
		}
		size_t want = b->len + n, ncap = b->cap ? b->cap : 64;
		while (ncap < want)
			ncap = ncap > b->max / 2 ? b->max : ncap * 2;
		uint8_t *nb = realloc(b->buf, ncap);
		if (nb == NULL) {
			b->err = 1;
			return NULL;
		}
		b->buf = nb;
		b->cap = ncap;
	}
	uint8_t *p = b->buf + b->len;
	b->len += n;
	return p;
}

void
bld_put_u16_at(struct ovt_builder *b, size_t off, uint16_t v)
{
	if (b->err || off > b->len || b->len - off < 2) {
		b->err = 1;
		return;
	}
	b->buf[off] = (uint8_t)(v >> 8);
	b->buf[off + 1] = (uint8_t)v;
}

void
bld_put_u32_at(struct ovt_builder *b, size_t off, uint32_t v)
{
	if (b->err || off > b->len || b->len - off < 4) {
		b->err = 1;
		return;
	}
	b->buf[off] = (uint8_t)(v >> 24);
	b->buf[off + 1] = (uint8_t)(v >> 16);
	b->buf[off + 2] = (uint8_t)(v >> 8);
	b->buf[off + 3] = (uint8_t)v;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
hex_decode(const char *hex, uint8_t *out, size_t outcap)
{
	size_t n = strlen(hex);
	if (n % 2 != 0 || n / 2 > outcap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

void
hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}
