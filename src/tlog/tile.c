/*
 * C2SP tlog-tiles paths, hash tiles and entry bundles.
 */
#include "tlog/tile.h"

#include <stdio.h>

size_t
tlog_tile_path(char *out, size_t cap, int level, uint64_t index, unsigned width)
{
	char lvl[16], n[64];
	size_t o = 0;
	int r;

	if (width == 0 || width > TLOG_TILE_WIDTH || level < TLOG_LEVEL_ENTRIES ||
	    level >= TLOG_MAX_LEVELS)
		return 0;
	if (level == TLOG_LEVEL_ENTRIES)
		snprintf(lvl, sizeof(lvl), "entries");
	else
		snprintf(lvl, sizeof(lvl), "%d", level);
	/* 3-digit groups from the most significant, all but the last with an 'x'. */
	uint64_t div = 1;
	while (index / div >= 1000)
		div *= 1000;
	for (; div > 1; div /= 1000) {
		r = snprintf(n + o, sizeof(n) - o, "x%03u/", (unsigned)(index / div % 1000));
		o += (size_t)r;
	}
	snprintf(n + o, sizeof(n) - o, "%03u", (unsigned)(index % 1000));
	if (width == TLOG_TILE_WIDTH)
		r = snprintf(out, cap, "tile/%s/%s", lvl, n);
	else
		r = snprintf(out, cap, "tile/%s/%s.p/%u", lvl, n, width);
	if (r < 0 || (size_t)r >= cap)
		return 0;
	return (size_t)r;
}

enum tlog_err
tlog_tile_parse(const uint8_t *p, size_t len, unsigned width,
    const uint8_t (**out)[TLOG_HASH_LEN])
{
	if (width == 0 || width > TLOG_TILE_WIDTH)
		return TLOG_E_ARG;
	if (len != (size_t)width * TLOG_HASH_LEN)
		return TLOG_E_TILE_SIZE;
	*out = (const uint8_t (*)[TLOG_HASH_LEN])p;
	return TLOG_OK;
}

enum tlog_err
tlog_bundle_parse(const uint8_t *p, size_t len, struct ovt_cursor out[TLOG_TILE_WIDTH],
    unsigned *out_n)
{
	struct ovt_cursor c;
	unsigned n = 0;

	*out_n = 0;
	cur_init(&c, p, len);
	while (cur_len(&c) > 0) {
		if (n == TLOG_TILE_WIDTH)
			return TLOG_E_BUNDLE_COUNT;
		/* tlog-tiles: each entry is a big-endian uint16 length and its bytes. */
		if (!cur_get_u16_prefixed(&c, &out[n]))
			return TLOG_E_BUNDLE_FORMAT;
		n++;
		*out_n = n;
	}
	return TLOG_OK;
}

void
tlog_bundle_add(struct ovt_builder *b, const uint8_t *entry, size_t len)
{
	if (len > UINT16_MAX) {
		b->err = 1;
		return;
	}
	bld_add_u16(b, (uint16_t)len);
	bld_add_bytes(b, entry, len);
}
