/*
 * Where a log is read from: a directory (the writer's own, or a copy) or an HTTP(S) URL that
 * serves the same C2SP tlog-tiles tree (libcurl).  Everything fetched is outside input and is
 * bounded by the caller's maximum; nothing fetched is trusted until hashes and signatures say
 * so.  Also a hash reader over the tiles (struct tlog_tiles) for proof generation.
 *
 * Memory: a source holds one curl handle; a tile reader caches TLOG_TILES_CACHE hash tiles
 * (8 KiB each).
 * Thread safety: a source and its readers belong to one thread at a time.
 */
#ifndef OVERT_TLOG_FETCH_H
#define OVERT_TLOG_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "tlog/entry.h"
#include "tlog/merkle.h"
#include "tlog/tile.h"
#include "tlog/tlog_err.h"

#define TLOG_URL_MAX	    2048
#define TLOG_FETCH_TIMEOUT  60		/* seconds per HTTP request */
#define TLOG_BUNDLE_MAX	    (TLOG_TILE_WIDTH * (2 + TLOG_ENTRY_MAX))
#define TLOG_TILES_CACHE    8

struct tlog_src;

/* TLS options for https:// sources (all optional): CA bundle to trust instead of the system
 * store, and a client certificate and key when the log is served behind mutual TLS. */
struct tlog_src_opts {
	const char *cacert;
	const char *cert;
	const char *key;
};

/* 1 if loc is an http:// or https:// URL, else it is a directory. */
int tlog_src_is_url(const char *loc);
/* Opens a directory (must exist) or prepares an URL; opts may be NULL. */
enum tlog_err tlog_src_open(const char *loc, const struct tlog_src_opts *opts,
    struct tlog_src **out);
void tlog_src_close(struct tlog_src *);

/*
 * Reads `path` (relative: "checkpoint", "tile/0/000") into out, replacing its contents.
 * out must be a heap builder whose maximum is at least max + 1 (one byte more tells a file of
 * exactly max bytes from a larger one); more than max bytes is TLOG_E_TOO_BIG.  TLOG_E_NOTFOUND for a
 * missing file or HTTP 404/410; TLOG_E_IO or TLOG_E_FETCH for other failures.
 */
enum tlog_err tlog_src_get(struct tlog_src *, const char *path, size_t max,
    struct ovt_builder *out);
/* Requests made and bytes received so far. */
void tlog_src_stats(const struct tlog_src *, uint64_t *requests, uint64_t *bytes);

/*
 * Hash tile (level, index) as seen in a tree whose rightmost tile at that level holds `width`
 * hashes (TLOG_TILE_WIDTH for a full tile).  If a partial tile is absent, the first `width`
 * hashes of the full tile are used (tlog-tiles lets logs drop partial tiles once full).  The
 * length is checked (TLOG_E_TILE_SIZE); *out points into buf; path receives the path read.
 */
enum tlog_err tlog_fetch_hash_tile(struct tlog_src *, int level, uint64_t index,
    unsigned width, struct ovt_builder *buf, const uint8_t (**out)[TLOG_HASH_LEN],
    char path[TLOG_PATH_MAX]);
/* Entry bundle `index` of `width` entries, same fallback; *out_n is the count found (the
 * caller compares it with width).  Entry cursors point into buf. */
enum tlog_err tlog_fetch_bundle(struct tlog_src *, uint64_t index, unsigned width,
    struct ovt_builder *buf, struct ovt_cursor entries[TLOG_TILE_WIDTH], unsigned *out_n,
    char path[TLOG_PATH_MAX]);
/* Entry `index` of a tree of `size`, copied into out (<= TLOG_ENTRY_MAX bytes). */
enum tlog_err tlog_fetch_entry(struct tlog_src *, uint64_t size, uint64_t index,
    uint8_t out[TLOG_ENTRY_MAX], size_t *out_len);

/* Hash reader over the tiles of a tree of `size` leaves, for tlog_prove_*. */
struct tlog_tiles;
enum tlog_err tlog_tiles_new(struct tlog_src *, struct tlog_hasher *, uint64_t size,
    struct tlog_tiles **out);
const struct tlog_hash_reader *tlog_tiles_reader(struct tlog_tiles *);
/* Path of the tile that failed last (for messages), or "". */
const char *tlog_tiles_last_path(const struct tlog_tiles *);
void tlog_tiles_free(struct tlog_tiles *);

#endif
