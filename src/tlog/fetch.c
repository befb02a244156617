/*
 * Reading a published log: files under a directory (openat, no symlinks followed at the last
 * component, no absolute or ".." paths) or HTTP(S) GETs with libcurl (one reused handle, only
 * http/https, no redirects, bounded size and time).  Then tile-level helpers and a tile-backed
 * hash reader for proofs.
 */
#include "tlog/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

struct tlog_src {
	int dirfd;			/* -1 for URLs */
	CURL *curl;
	char base[TLOG_URL_MAX];
	uint64_t requests, bytes;
};

int
tlog_src_is_url(const char *loc)
{
	return strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0;
}

enum tlog_err
tlog_src_open(const char *loc, const struct tlog_src_opts *opts, struct tlog_src **out)
{
	struct tlog_src *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return TLOG_E_NOMEM;
	s->dirfd = -1;
	if (!tlog_src_is_url(loc)) {
		if ((s->dirfd = open(loc, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
			free(s);
			return errno == ENOENT ? TLOG_E_NOTFOUND : TLOG_E_IO;
		}
		*out = s;
		return TLOG_OK;
	}
	size_t n = strlen(loc);
	while (n > 0 && loc[n - 1] == '/')
		n--;
	if (n >= sizeof(s->base) - TLOG_PATH_MAX - 2) {
		free(s);
		return TLOG_E_ARG;
	}
	memcpy(s->base, loc, n);
	s->base[n] = '\0';
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (s->curl = curl_easy_init()) == NULL) {
		free(s);
		return TLOG_E_FETCH;
	}
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT, (long)TLOG_FETCH_TIMEOUT);
	curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "overt-audit");
	if (opts != NULL && opts->cacert != NULL)
		curl_easy_setopt(s->curl, CURLOPT_CAINFO, opts->cacert);
	if (opts != NULL && opts->cert != NULL)
		curl_easy_setopt(s->curl, CURLOPT_SSLCERT, opts->cert);
	if (opts != NULL && opts->key != NULL)
		curl_easy_setopt(s->curl, CURLOPT_SSLKEY, opts->key);
	*out = s;
	return TLOG_OK;
}

void
tlog_src_close(struct tlog_src *s)
{
	if (s == NULL)
		return;
	if (s->dirfd != -1)
		close(s->dirfd);
	if (s->curl != NULL) {
		curl_easy_cleanup(s->curl);
		curl_global_cleanup();
	}
	free(s);
}

void
tlog_src_stats(const struct tlog_src *s, uint64_t *requests, uint64_t *bytes)
{
	*requests = s->requests;
	*bytes = s->bytes;
}

/* Paths are ours ("checkpoint", "tile/..."), but refuse anything that could leave the log. */
static int
path_ok(const char *path)
{
	if (path[0] == '\0' || path[0] == '/' || strstr(path, "..") != NULL)
		return 0;
	for (const char *p = path; *p; p++)
		if (*p <= ' ' || *p > '~')
			return 0;
	return 1;
}

static enum tlog_err
get_file(struct tlog_src *s, const char *path, size_t max, struct ovt_builder *out)
{
	struct stat st;
	int fd;

	if ((fd = openat(s->dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? TLOG_E_NOTFOUND : TLOG_E_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return TLOG_E_IO;
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return TLOG_E_TOO_BIG;
	}
	/* Published files never change size: read st_size bytes into reserved builder space
	 * (the unused tail of the reservation is given back by lowering len).  A file that
	 * shrank meanwhile gives fewer bytes, which the caller's length checks catch. */
	size_t want = (size_t)st.st_size, got = 0;
	uint8_t *p = want > 0 ? bld_reserve(out, want) : NULL;
	if (want > 0 && p == NULL) {
		close(fd);
		return TLOG_E_NOMEM;
	}
	while (got < want) {
		ssize_t n = read(fd, p + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return TLOG_E_IO;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	out->len -= want - got;
	close(fd);
	return TLOG_OK;
}

struct sink {
	struct ovt_builder *b;
	size_t max;
	int too_big;
};

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *k = arg;
	size_t n = size * nmemb;	/* curl guarantees size == 1 */

	if (bld_len(k->b) + n > k->max) {
		k->too_big = 1;
		return 0;		/* aborts the transfer */
	}
	bld_add_bytes(k->b, data, n);
	return bld_ok(k->b) ? n : 0;
}

static enum tlog_err
get_url(struct tlog_src *s, const char *path, size_t max, struct ovt_builder *out)
{
	char url[TLOG_URL_MAX];
	struct sink k = { out, max, 0 };
	long code = 0;
	CURLcode rc;

	if ((size_t)snprintf(url, sizeof(url), "%s/%s", s->base, path) >= sizeof(url))
		return TLOG_E_ARG;
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &k);
	rc = curl_easy_perform(s->curl);
	if (k.too_big)
		return TLOG_E_TOO_BIG;
	if (!bld_ok(out))
		return TLOG_E_NOMEM;
	if (rc != CURLE_OK)
		return TLOG_E_FETCH;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code == 404 || code == 410)
		return TLOG_E_NOTFOUND;
	return code == 200 ? TLOG_OK : TLOG_E_FETCH;
}

enum tlog_err
tlog_src_get(struct tlog_src *s, const char *path, size_t max, struct ovt_builder *out)
{
	enum tlog_err e;

	if (!path_ok(path) || !out->heap)
		return TLOG_E_ARG;
	bld_reset(out);
	s->requests++;
	e = s->dirfd != -1 ? get_file(s, path, max, out) : get_url(s, path, max, out);
	if (e == TLOG_OK)
		s->bytes += bld_len(out);
	return e;
}

/* --- tiles ----------------------------------------------------------------------------- */

enum tlog_err
tlog_fetch_hash_tile(struct tlog_src *s, int level, uint64_t index, unsigned width,
    struct ovt_builder *buf, const uint8_t (**out)[TLOG_HASH_LEN], char path[TLOG_PATH_MAX])
{
	enum tlog_err e;

	if (tlog_tile_path(path, TLOG_PATH_MAX, level, index, width) == 0)
		return TLOG_E_ARG;
	e = tlog_src_get(s, path, TLOG_TILE_BYTES, buf);
	if (e == TLOG_E_NOTFOUND && width < TLOG_TILE_WIDTH) {
		char full[TLOG_PATH_MAX];
		tlog_tile_path(full, sizeof(full), level, index, TLOG_TILE_WIDTH);
		if (tlog_src_get(s, full, TLOG_TILE_BYTES, buf) == TLOG_OK) {
			memcpy(path, full, sizeof(full));
			if ((e = tlog_tile_parse(bld_data(buf), bld_len(buf), TLOG_TILE_WIDTH,
			    out)) != TLOG_OK)
				return e;
			buf->len = (size_t)width * TLOG_HASH_LEN;
			return TLOG_OK;
		}
	}
	if (e == TLOG_E_TOO_BIG)
		return TLOG_E_TILE_SIZE;
	if (e != TLOG_OK)
		return e;
	return tlog_tile_parse(bld_data(buf), bld_len(buf), width, out);
}

enum tlog_err
tlog_fetch_bundle(struct tlog_src *s, uint64_t index, unsigned width, struct ovt_builder *buf,
    struct ovt_cursor entries[TLOG_TILE_WIDTH], unsigned *out_n, char path[TLOG_PATH_MAX])
{
	enum tlog_err e;

	*out_n = 0;
	if (tlog_tile_path(path, TLOG_PATH_MAX, TLOG_LEVEL_ENTRIES, index, width) == 0)
		return TLOG_E_ARG;
	e = tlog_src_get(s, path, TLOG_BUNDLE_MAX, buf);
	if (e == TLOG_E_NOTFOUND && width < TLOG_TILE_WIDTH) {
		char full[TLOG_PATH_MAX];
		tlog_tile_path(full, sizeof(full), TLOG_LEVEL_ENTRIES, index, TLOG_TILE_WIDTH);
		if (tlog_src_get(s, full, TLOG_BUNDLE_MAX, buf) == TLOG_OK) {
			memcpy(path, full, sizeof(full));
			if ((e = tlog_bundle_parse(bld_data(buf), bld_len(buf), entries,
			    out_n)) != TLOG_OK)
				return e;
			if (*out_n > width)
				*out_n = width;
			return TLOG_OK;
		}
	}
	if (e == TLOG_E_TOO_BIG)
		return TLOG_E_BUNDLE_FORMAT;
	if (e != TLOG_OK)
		return e;
	return tlog_bundle_parse(bld_data(buf), bld_len(buf), entries, out_n);
}

/* Width of tile `index` at `level` in a tree of `size`: full below the rightmost tile. */
static unsigned
width_at(uint64_t size, unsigned level, uint64_t index)
{
	uint64_t last = tlog_tree_tile_index(size, level);
	if (index < last)
		return TLOG_TILE_WIDTH;
	if (index == last)
		return tlog_tree_width(size, level);
	return 0;
}

enum tlog_err
tlog_fetch_entry(struct tlog_src *s, uint64_t size, uint64_t index, uint8_t out[TLOG_ENTRY_MAX],
    size_t *out_len)
{
	struct ovt_cursor ents[TLOG_TILE_WIDTH];
	struct ovt_builder buf;
	char path[TLOG_PATH_MAX];
	unsigned n, w, j = (unsigned)(index % TLOG_TILE_WIDTH);
	enum tlog_err e;

	if (index >= size)
		return TLOG_E_ARG;
	w = width_at(size, 0, index / TLOG_TILE_WIDTH);
	if (!bld_init(&buf, 4096, TLOG_BUNDLE_MAX + 1))
		return TLOG_E_NOMEM;
	e = tlog_fetch_bundle(s, index / TLOG_TILE_WIDTH, w, &buf, ents, &n, path);
	if (e == TLOG_OK && (n != w || cur_len(&ents[j]) > TLOG_ENTRY_MAX))
		e = n != w ? TLOG_E_BUNDLE_COUNT : TLOG_E_ENTRY_TOO_BIG;
	if (e == TLOG_OK) {
		*out_len = cur_len(&ents[j]);
		memcpy(out, cur_data(&ents[j]), *out_len);
	}
	bld_cleanup(&buf);
	return e;
}

/* --- tile-backed hash reader ----------------------------------------------------------- */

struct cached_tile {
	int level;
	uint64_t index;
	unsigned width;			/* 0: slot empty */
	uint8_t hash[TLOG_TILE_WIDTH][TLOG_HASH_LEN];
};

struct tlog_tiles {
	struct tlog_src *src;
	struct tlog_hasher *h;
	uint64_t size;
	struct tlog_hash_reader rd;
	struct ovt_builder buf;
	struct cached_tile cache[TLOG_TILES_CACHE];
	unsigned next;			/* round-robin victim */
	char path[TLOG_PATH_MAX];
};

static enum tlog_err
tiles_get(void *arg, unsigned height, uint64_t index, uint8_t out[TLOG_HASH_LEN])
{
	struct tlog_tiles *t = arg;
	unsigned level = height / TLOG_TILE_HEIGHT, r = height % TLOG_TILE_HEIGHT;
	struct cached_tile *c = NULL;
	const uint8_t (*hashes)[TLOG_HASH_LEN];
	enum tlog_err e;

	if (level >= TLOG_MAX_LEVELS || index > (TLOG_MAX_SIZE >> height))
		return TLOG_E_ARG;
	/* The subtree is 2^r consecutive hashes of tile level `level`, inside one tile. */
	uint64_t first = index << r;
	uint64_t tile = first / TLOG_TILE_WIDTH;
	unsigned off = (unsigned)(first % TLOG_TILE_WIDTH), w = width_at(t->size, level, tile);
	if (w == 0 || off + (1u << r) > w)
		return TLOG_E_ARG;	/* beyond the tree */
	for (unsigned i = 0; i < TLOG_TILES_CACHE; i++)
		if (t->cache[i].width == w && t->cache[i].level == (int)level &&
		    t->cache[i].index == tile)
			c = &t->cache[i];
	if (c == NULL) {
		c = &t->cache[t->next];
		t->next = (t->next + 1) % TLOG_TILES_CACHE;
		c->width = 0;
		if ((e = tlog_fetch_hash_tile(t->src, (int)level, tile, w, &t->buf, &hashes,
		    t->path)) != TLOG_OK)
			return e;
		memcpy(c->hash, hashes, (size_t)w * TLOG_HASH_LEN);
		c->level = (int)level;
		c->index = tile;
		c->width = w;
	}
	return tlog_root_of(t->h, (const uint8_t (*)[TLOG_HASH_LEN])c->hash + off,
	    (size_t)1 << r, out);
}

enum tlog_err
tlog_tiles_new(struct tlog_src *src, struct tlog_hasher *h, uint64_t size,
    struct tlog_tiles **out)
{
	struct tlog_tiles *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (t == NULL)
		return TLOG_E_NOMEM;
	if (!bld_init(&t->buf, TLOG_TILE_BYTES, TLOG_TILE_BYTES + 1)) {
		free(t);
		return TLOG_E_NOMEM;
	}
	t->src = src;
	t->h = h;
	t->size = size;
	t->rd.get = tiles_get;
	t->rd.arg = t;
	*out = t;
	return TLOG_OK;
}

const struct tlog_hash_reader *
tlog_tiles_reader(struct tlog_tiles *t)
{
	return &t->rd;
}

const char *
tlog_tiles_last_path(const struct tlog_tiles *t)
{
	return t->path;
}

void
tlog_tiles_free(struct tlog_tiles *t)
{
	if (t == NULL)
		return;
	bld_cleanup(&t->buf);
	free(t);
}
