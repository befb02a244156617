/*
 * C2SP tlog-tiles storage units (c2sp.org/tlog-tiles):
 *
 *   tile/<L>/<N>[.p/<W>]        hash tile: W (1..255) or 256 SHA-256 hashes of level L,
 *                               hash i of level L = root of leaves [i*256^L, (i+1)*256^L)
 *   tile/entries/<N>[.p/<W>]    entry bundle: W or 256 entries, each a big-endian uint16
 *                               length and that many bytes
 *
 * N is written in zero-padded 3-digit path elements, all but the last prefixed with 'x'
 * (1234067 -> x001/x234/067).  Only the rightmost tile of a level can be partial; a reader that
 * finds no partial tile may use the first W items of the full tile instead.
 *
 * Pure functions over (pointer, length); thread safe.
 */
#ifndef OVERT_TLOG_TILE_H
#define OVERT_TLOG_TILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "tlog/merkle.h"
#include "tlog/tlog_err.h"

#define TLOG_LEVEL_ENTRIES (-1)		/* "level" of entry bundles in tlog_tile_path */
#define TLOG_PATH_MAX	   96		/* longest tile path, with NUL */
#define TLOG_TILE_BYTES	   (TLOG_TILE_WIDTH * TLOG_HASH_LEN)

/* Writes the tile path (width TLOG_TILE_WIDTH = full tile).  Returns its length, or 0 for a
 * bad level/width or a short buffer. */
size_t tlog_tile_path(char *out, size_t cap, int level, uint64_t index, unsigned width);

/* A hash tile of `width` hashes must be exactly width * 32 bytes (TLOG_E_TILE_SIZE). */
enum tlog_err tlog_tile_parse(const uint8_t *p, size_t len, unsigned width,
    const uint8_t (**out)[TLOG_HASH_LEN]);

/*
 * Splits an entry bundle into at most TLOG_TILE_WIDTH entries (child cursors into p).  Every
 * length prefix must be complete and its entry fully present (TLOG_E_BUNDLE_FORMAT: the
 * bundle is truncated or has trailing bytes); more than 256 entries is TLOG_E_BUNDLE_COUNT.
 * The count is returned in *out_n; the caller compares it with the width it expects.
 */
enum tlog_err tlog_bundle_parse(const uint8_t *p, size_t len,
    struct ovt_cursor out[TLOG_TILE_WIDTH], unsigned *out_n);

/* Appends one entry (len <= 65535) to a bundle being built. */
void tlog_bundle_add(struct ovt_builder *b, const uint8_t *entry, size_t len);

#endif
