/*
 * The log writer (tlog.h): batching, tile files, the checkpoint, crash recovery.
 *
 * Invariant: every file a published checkpoint refers to was fsynced, with its directory,
 * before the checkpoint was renamed into place; no file that a published checkpoint refers to
 * is ever written again.  A commit from size s0 to s1 writes exactly the tiles whose coverage
 * ends beyond s0 (those that covered <= s0 were written by an earlier commit), so a crash can
 * only leave files beyond the published size, which the next commit overwrites.
 */
#include "tlog/tlog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tlog/audit.h"
#include "tlog/fetch.h"
#include "tlog/tile.h"

#define CKPT	 "checkpoint"
#define CKPT_TMP "checkpoint.tmp"
#define DIRSET_MAX 64		/* directories to fsync, flushed early when full */
#define GC_MAX	   1024		/* full tiles per commit whose partials are removed */

struct gc_tile {
	int level;
	uint64_t index;
};

struct tlog {
	int dirfd;			/* locked with flock(LOCK_EX) */
	const struct tlog_signer *key;
	struct tlog_src *src;		/* reads of our own directory (recovery, proofs) */
	struct tlog_hasher *h;
	struct tlog_tree *tree;		/* published tree, then extended during a commit */
	struct ovt_builder bundle;	/* entries of the rightmost, partial entry bundle */
	unsigned nbundle;
	uint64_t size;			/* published size */
	uint8_t root[TLOG_HASH_LEN];
	uint64_t last_ms;
	struct ovt_builder pending;	/* queued entries, bundle-encoded */
	uint64_t npending;
	struct ovt_builder note;	/* published checkpoint note */
	int failed;

	/* During a commit. */
	uint64_t old_size;
	char dirs[DIRSET_MAX][TLOG_PATH_MAX];
	size_t ndirs;
	char made[TLOG_PATH_MAX];	/* last parent directory known to exist */
	struct gc_tile gc[GC_MAX];
	size_t ngc;
};

/* --- files ----------------------------------------------------------------------------- */

static int
write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		p += w;
		n -= (size_t)w;
	}
	return 1;
}

static int
fsync_dir(int dirfd, const char *rel)
{
	int fd, ok;

	if (rel[0] == '\0')
		return fsync(dirfd) == 0;
	if ((fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;
	ok = fsync(fd) == 0;
	close(fd);
	return ok;
}

static int
flush_dirs(struct tlog *t)
{
	for (size_t i = 0; i < t->ndirs; i++)
		if (!fsync_dir(t->dirfd, t->dirs[i]))
			return 0;
	t->ndirs = 0;
	return 1;
}

/* Remembers that directory rel gained an entry and must be fsynced before publishing. */
static int
dirty_dir(struct tlog *t, const char *rel, size_t len)
{
	for (size_t i = 0; i < t->ndirs; i++)
		if (strlen(t->dirs[i]) == len && memcmp(t->dirs[i], rel, len) == 0)
			return 1;
	if (t->ndirs == DIRSET_MAX && !flush_dirs(t))
		return 0;
	memcpy(t->dirs[t->ndirs], rel, len);
	t->dirs[t->ndirs][len] = '\0';
	t->ndirs++;
	return 1;
}

/* mkdir -p of the parent directories of path (relative to the log directory). */
static int
make_parents(struct tlog *t, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t plen = slash ? (size_t)(slash - path) : 0;
	char buf[TLOG_PATH_MAX];

	if (plen == 0)
		return dirty_dir(t, "", 0);
	if (strlen(t->made) == plen && memcmp(t->made, path, plen) == 0)
		return dirty_dir(t, path, plen);
	for (size_t i = 1; i <= plen; i++) {
		if (i < plen && path[i] != '/')
			continue;
		memcpy(buf, path, i);
		buf[i] = '\0';
		if (mkdirat(t->dirfd, buf, 0755) == 0) {
			const char *ps = strrchr(buf, '/');
			if (!dirty_dir(t, buf, ps ? (size_t)(ps - buf) : 0))
				return 0;
		} else if (errno != EEXIST)
			return 0;
	}
	memcpy(t->made, path, plen);
	t->made[plen] = '\0';
	return dirty_dir(t, path, plen);
}

static int
put_file(struct tlog *t, const char *path, const uint8_t *p, size_t n)
{
	int fd, ok;

	if (!make_parents(t, path))
		return 0;
	fd = openat(t->dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		return 0;
	ok = write_all(fd, p, n) && fsync(fd) == 0;
	return close(fd) == 0 && ok;
}

/* Atomically replaces DIR/checkpoint: temporary file, fsync, rename, fsync of DIR. */
static enum tlog_err
put_checkpoint(int dirfd, const uint8_t *p, size_t n)
{
	int fd, ok;

	fd = openat(dirfd, CKPT_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		return TLOG_E_IO;
	ok = write_all(fd, p, n) && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || renameat(dirfd, CKPT_TMP, dirfd, CKPT) != 0) {
		unlinkat(dirfd, CKPT_TMP, 0);
		return TLOG_E_IO;
	}
	return fsync(dirfd) == 0 ? TLOG_OK : TLOG_E_IO;
}

/* Best effort: partial tiles are redundant once the full tile is published. */
static void
remove_partials(int dirfd, int level, uint64_t index)
{
	char path[TLOG_PATH_MAX + 4];
	struct dirent *de;
	size_t n;
	DIR *d;
	int fd;

	if ((n = tlog_tile_path(path, TLOG_PATH_MAX, level, index, TLOG_TILE_WIDTH)) == 0)
		return;
	memcpy(path + n, ".p", 3);	/* fits: n < TLOG_PATH_MAX */
	if ((fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			unlinkat(fd, de->d_name, 0);
	closedir(d);
	unlinkat(dirfd, path, AT_REMOVEDIR);
}

/* --- checkpoint ------------------------------------------------------------------------ */

static enum tlog_err
sign_checkpoint(const struct tlog_signer *key, uint64_t size, const uint8_t root[TLOG_HASH_LEN],
    struct ovt_builder *note)
{
	struct tlog_checkpoint cp;
	size_t body;

	memcpy(cp.origin, key->v.name, sizeof(cp.origin));
	cp.size = size;
	memcpy(cp.root, root, TLOG_HASH_LEN);
	bld_reset(note);
	tlog_checkpoint_format(&cp, note);
	body = bld_len(note);
	bld_add_u8(note, '\n');
	if (!bld_ok(note))
		return TLOG_E_NOMEM;
	return tlog_note_sign(key, (const char *)bld_data(note), body, 0, note);
}

static enum tlog_err
check_key(const struct tlog_signer *key)
{
	if (key == NULL || key->pkey == NULL || key->v.type != TLOG_KEY_ED25519)
		return TLOG_E_ARG;
	return TLOG_OK;
}

static int
dir_empty(int dirfd)
{
	struct dirent *de;
	int fd = dup(dirfd), empty = 1;
	DIR *d;

	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

enum tlog_err
tlog_create(const char *dir, const struct tlog_signer *key)
{
	struct ovt_builder note;
	uint8_t root[TLOG_HASH_LEN];
	struct stat st;
	int dirfd;
	enum tlog_err e;

	if ((e = check_key(key)) != TLOG_OK)
		return e;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return TLOG_E_IO;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return TLOG_E_IO;
	if (flock(dirfd, LOCK_EX | LOCK_NB) != 0) {
		close(dirfd);
		return errno == EWOULDBLOCK ? TLOG_E_LOCKED : TLOG_E_IO;
	}
	if (fstatat(dirfd, CKPT, &st, AT_SYMLINK_NOFOLLOW) == 0 || !dir_empty(dirfd)) {
		/* A directory with tiles but no checkpoint may be a log whose checkpoint was
		 * lost: starting a new tree there would silently fork it. */
		close(dirfd);
		return TLOG_E_EXISTS;
	}
	tlog_hash_empty(root);
	if (!bld_init(&note, 512, TLOG_NOTE_MAX)) {
		close(dirfd);
		return TLOG_E_NOMEM;
	}
	if ((e = sign_checkpoint(key, 0, root, &note)) == TLOG_OK)
		e = put_checkpoint(dirfd, bld_data(&note), bld_len(&note));
	bld_cleanup(&note);
	close(dirfd);
	return e;
}

/* --- open and recovery ----------------------------------------------------------------- */

static enum tlog_err
recover(struct tlog *t)
{
	struct tlog_policy pol;
	struct tlog_checkpoint cp;
	struct ovt_builder buf;
	struct ovt_cursor ents[TLOG_TILE_WIDTH];
	const uint8_t (*hashes)[TLOG_HASH_LEN];
	char path[TLOG_PATH_MAX];
	uint8_t root[TLOG_HASH_LEN], leaf[TLOG_HASH_LEN];
	struct tlog_entry last;
	unsigned n, w;
	enum tlog_err e;

	memset(&pol, 0, sizeof(pol));
	pol.log = t->key->v;
	/* Our own checkpoint, under our own key: anything else means the wrong key or a
	 * tampered directory. */
	if ((e = tlog_checkpoint_fetch(t->src, &pol, &t->note, &cp, NULL, NULL, 0)) != TLOG_OK)
		return e == TLOG_E_NOTFOUND || e == TLOG_E_IO || e == TLOG_E_NOMEM ? e :
		    TLOG_E_CORRUPT;
	t->size = cp.size;
	memcpy(t->root, cp.root, TLOG_HASH_LEN);
	tlog_tree_init(t->tree);
	if (!bld_init(&buf, TLOG_TILE_BYTES, TLOG_BUNDLE_MAX + 1))
		return TLOG_E_NOMEM;
	/* The rightmost tile of every level is all a writer needs to extend the tree. */
	for (unsigned l = 0; l < TLOG_MAX_LEVELS; l++) {
		if ((w = tlog_tree_width(cp.size, l)) == 0)
			continue;
		e = tlog_fetch_hash_tile(t->src, (int)l, tlog_tree_tile_index(cp.size, l), w,
		    &buf, &hashes, path);
		if (e != TLOG_OK)
			goto out;
		memcpy(t->tree->hash[l], hashes, (size_t)w * TLOG_HASH_LEN);
		t->tree->count[l] = (uint16_t)w;
	}
	t->tree->size = cp.size;
	if ((e = tlog_tree_root(t->h, t->tree, root)) != TLOG_OK)
		goto out;
	if (memcmp(root, cp.root, TLOG_HASH_LEN) != 0) {
		e = TLOG_E_CORRUPT;
		goto out;
	}
	bld_reset(&t->bundle);
	t->nbundle = 0;
	if (cp.size > 0) {
		/* The last entry gives the time floor; the partial bundle is kept to be
		 * extended.  Its entries must be the leaves of the level-0 tile. */
		uint64_t k = (cp.size - 1) / TLOG_TILE_WIDTH;
		w = (unsigned)(cp.size - k * TLOG_TILE_WIDTH);
		e = tlog_fetch_bundle(t->src, k, w, &buf, ents, &n, path);
		if (e != TLOG_OK || n != w)
			goto bad;
		if (w < TLOG_TILE_WIDTH)
			for (unsigned j = 0; j < n; j++) {
				if (!tlog_hash_leaf(t->h, cur_data(&ents[j]), cur_len(&ents[j]), leaf))
					goto bad;
				if (memcmp(leaf, t->tree->hash[0][j], TLOG_HASH_LEN) != 0)
					goto bad;
				tlog_bundle_add(&t->bundle, cur_data(&ents[j]), cur_len(&ents[j]));
			}
		t->nbundle = w % TLOG_TILE_WIDTH;
		if (tlog_entry_decode(cur_data(&ents[n - 1]), cur_len(&ents[n - 1]), &last) !=
		    TLOG_OK || last.seq != cp.size - 1 || !bld_ok(&t->bundle))
			goto bad;
		t->last_ms = last.time_ms;
	}
	e = TLOG_OK;
	goto out;
bad:
	e = e == TLOG_E_NOMEM || e == TLOG_E_IO ? e : TLOG_E_CORRUPT;
out:
	bld_cleanup(&buf);
	return e == TLOG_E_NOTFOUND || e == TLOG_E_TILE_SIZE || e == TLOG_E_BUNDLE_FORMAT ?
	    TLOG_E_CORRUPT : e;
}

enum tlog_err
tlog_open(const char *dir, const struct tlog_signer *key, struct tlog **out)
{
	struct tlog *t;
	enum tlog_err e;

	*out = NULL;
	if ((e = check_key(key)) != TLOG_OK)
		return e;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return TLOG_E_NOMEM;
	t->key = key;
	t->dirfd = -1;
	if ((t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		e = errno == ENOENT ? TLOG_E_NOTFOUND : TLOG_E_IO;
		goto fail;
	}
	if (flock(t->dirfd, LOCK_EX | LOCK_NB) != 0) {
		e = errno == EWOULDBLOCK ? TLOG_E_LOCKED : TLOG_E_IO;
		goto fail;
	}
	if ((t->h = tlog_hasher_new()) == NULL || (t->tree = malloc(sizeof(*t->tree))) == NULL ||
	    !bld_init(&t->bundle, 4096, TLOG_BUNDLE_MAX) ||
	    !bld_init(&t->pending, 64 * 1024, TLOG_BATCH_BYTES + 2 + TLOG_ENTRY_MAX) ||
	    !bld_init(&t->note, 1024, TLOG_NOTE_MAX + 1)) {
		e = TLOG_E_NOMEM;
		goto fail;
	}
	if ((e = tlog_src_open(dir, NULL, &t->src)) != TLOG_OK || (e = recover(t)) != TLOG_OK)
		goto fail;
	unlinkat(t->dirfd, CKPT_TMP, 0);	/* left by a crash before its rename */
	*out = t;
	return TLOG_OK;
fail:
	tlog_close(t);
	return e;
}

void
tlog_close(struct tlog *t)
{
	if (t == NULL)
		return;
	tlog_src_close(t->src);
	if (t->dirfd != -1)
		close(t->dirfd);	/* releases the flock */
	tlog_hasher_free(t->h);
	free(t->tree);
	if (t->bundle.heap)
		bld_cleanup(&t->bundle);
	if (t->pending.heap)
		bld_cleanup(&t->pending);
	if (t->note.heap)
		bld_cleanup(&t->note);
	free(t);
}

uint64_t
tlog_size(const struct tlog *t)
{
	return t->size;
}

uint64_t
tlog_pending(const struct tlog *t)
{
	return t->npending;
}

void
tlog_root(const struct tlog *t, uint8_t out[TLOG_HASH_LEN])
{
	memcpy(out, t->root, TLOG_HASH_LEN);
}

enum tlog_err
tlog_checkpoint_note(const struct tlog *t, struct ovt_builder *out)
{
	bld_add_bytes(out, bld_data(&t->note), bld_len(&t->note));
	return bld_ok(out) ? TLOG_OK : TLOG_E_NOMEM;
}

/* --- append and commit ----------------------------------------------------------------- */

static uint64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

enum tlog_err
tlog_append(struct tlog *t, struct tlog_entry *e, uint64_t *out_index)
{
	uint8_t buf[TLOG_ENTRY_MAX];
	struct ovt_builder b;
	uint64_t now = now_ms();
	enum tlog_err r;

	if (t->failed)
		return TLOG_E_FAILED;
	if (t->size + t->npending >= TLOG_MAX_SIZE)
		return TLOG_E_FULL;
	e->seq = t->size + t->npending;
	e->time_ms = now > t->last_ms ? now : t->last_ms;	/* never backwards */
	bld_init_fixed(&b, buf, sizeof(buf));
	if ((r = tlog_entry_encode(e, &b)) != TLOG_OK)
		return r;
	tlog_bundle_add(&t->pending, bld_data(&b), bld_len(&b));
	if (!bld_ok(&t->pending)) {
		t->failed = 1;
		return TLOG_E_NOMEM;
	}
	t->npending++;
	t->last_ms = e->time_ms;
	*out_index = e->seq;
	if (t->npending >= TLOG_BATCH_MAX || bld_len(&t->pending) >= TLOG_BATCH_BYTES)
		return tlog_commit(t);
	return TLOG_OK;
}

/* Tile sink of a commit: full hash tiles are written as they complete. */
static enum tlog_err
write_full_tile(void *arg, unsigned level, uint64_t index, const uint8_t (*hashes)[TLOG_HASH_LEN])
{
	struct tlog *t = arg;
	char path[TLOG_PATH_MAX];

	tlog_tile_path(path, sizeof(path), (int)level, index, TLOG_TILE_WIDTH);
	if (!put_file(t, path, (const uint8_t *)hashes, TLOG_TILE_BYTES))
		return TLOG_E_IO;
	if (t->ngc < GC_MAX) {
		t->gc[t->ngc].level = (int)level;
		t->gc[t->ngc].index = index;
		t->ngc++;
	}
	return TLOG_OK;
}

static enum tlog_err
commit_tiles(struct tlog *t)
{
	const struct tlog_tile_sink sink = { write_full_tile, t };
	struct ovt_cursor c, ent;
	uint8_t leaf[TLOG_HASH_LEN];
	char path[TLOG_PATH_MAX];
	enum tlog_err e;

	cur_init(&c, bld_data(&t->pending), bld_len(&t->pending));
	while (cur_len(&c) > 0) {
		if (!cur_get_u16_prefixed(&c, &ent))
			return TLOG_E_CORRUPT;	/* our own queue: cannot happen */
		if (!tlog_hash_leaf(t->h, cur_data(&ent), cur_len(&ent), leaf))
			return TLOG_E_CRYPTO;
		tlog_bundle_add(&t->bundle, cur_data(&ent), cur_len(&ent));
		if (!bld_ok(&t->bundle))
			return TLOG_E_NOMEM;
		if (++t->nbundle == TLOG_TILE_WIDTH) {
			uint64_t k = t->tree->size / TLOG_TILE_WIDTH;
			tlog_tile_path(path, sizeof(path), TLOG_LEVEL_ENTRIES, k, TLOG_TILE_WIDTH);
			if (!put_file(t, path, bld_data(&t->bundle), bld_len(&t->bundle)))
				return TLOG_E_IO;
			if (t->ngc < GC_MAX) {
				t->gc[t->ngc].level = TLOG_LEVEL_ENTRIES;
				t->gc[t->ngc].index = k;
				t->ngc++;
			}
			bld_reset(&t->bundle);
			t->nbundle = 0;
		}
		if ((e = tlog_tree_push(t->h, t->tree, leaf, &sink)) != TLOG_OK)
			return e;
	}
	/* Rightmost partial tiles, for the levels whose coverage grew beyond the old size. */
	uint64_t size = t->tree->size;
	if (t->nbundle > 0) {
		tlog_tile_path(path, sizeof(path), TLOG_LEVEL_ENTRIES, size / TLOG_TILE_WIDTH,
		    t->nbundle);
		if (!put_file(t, path, bld_data(&t->bundle), bld_len(&t->bundle)))
			return TLOG_E_IO;
	}
	for (unsigned l = 0; l < TLOG_MAX_LEVELS; l++) {
		unsigned w = t->tree->count[l];
		if (w == 0)
			continue;
		/* Leaves covered by this partial tile: (N*256 + w) * 256^l, the size rounded
		 * down to a multiple of 256^l. */
		uint64_t end = (size >> (TLOG_TILE_HEIGHT * l)) << (TLOG_TILE_HEIGHT * l);
		if (end <= t->old_size)
			continue;	/* published before, identical: never rewrite */
		tlog_tile_path(path, sizeof(path), (int)l, tlog_tree_tile_index(size, l), w);
		if (!put_file(t, path, (const uint8_t *)t->tree->hash[l],
		    (size_t)w * TLOG_HASH_LEN))
			return TLOG_E_IO;
	}
	return flush_dirs(t) ? TLOG_OK : TLOG_E_IO;
}

enum tlog_err
tlog_commit(struct tlog *t)
{
	uint8_t root[TLOG_HASH_LEN];
	enum tlog_err e;

	if (t->failed)
		return TLOG_E_FAILED;
	if (t->npending == 0)
		return TLOG_OK;
	t->old_size = t->size;
	t->ndirs = 0;
	t->ngc = 0;
	t->made[0] = '\0';
	if ((e = commit_tiles(t)) != TLOG_OK ||
	    (e = tlog_tree_root(t->h, t->tree, root)) != TLOG_OK ||
	    (e = sign_checkpoint(t->key, t->tree->size, root, &t->note)) != TLOG_OK ||
	    (e = put_checkpoint(t->dirfd, bld_data(&t->note), bld_len(&t->note))) != TLOG_OK) {
		/* The in-memory tree may be ahead of the published one: stop here. */
		t->failed = 1;
		return e;
	}
	t->size = t->tree->size;
	memcpy(t->root, root, TLOG_HASH_LEN);
	bld_reset(&t->pending);
	t->npending = 0;
	for (size_t i = 0; i < t->ngc; i++)
		remove_partials(t->dirfd, t->gc[i].level, t->gc[i].index);
	return TLOG_OK;
}

/* --- proofs ---------------------------------------------------------------------------- */

static enum tlog_err
prove(struct tlog *t, int consistency, uint64_t a, uint64_t b, uint8_t (*out)[TLOG_HASH_LEN],
    size_t *out_n)
{
	struct tlog_tiles *tiles;
	enum tlog_err e;

	*out_n = 0;
	if (b > t->size)
		return TLOG_E_PROOF_RANGE;
	if ((e = tlog_tiles_new(t->src, t->h, b, &tiles)) != TLOG_OK)
		return e;
	e = consistency ? tlog_prove_consistency(t->h, tlog_tiles_reader(tiles), a, b, out, out_n) :
	    tlog_prove_inclusion(t->h, tlog_tiles_reader(tiles), a, b, out, out_n);
	tlog_tiles_free(tiles);
	return e;
}

enum tlog_err
tlog_prove_inclusion_at(struct tlog *t, uint64_t index, uint64_t size,
    uint8_t (*out)[TLOG_HASH_LEN], size_t *out_n)
{
	return prove(t, 0, index, size, out, out_n);
}

enum tlog_err
tlog_prove_consistency_at(struct tlog *t, uint64_t size1, uint64_t size2,
    uint8_t (*out)[TLOG_HASH_LEN], size_t *out_n)
{
	return prove(t, 1, size1, size2, out, out_n);
}

/* --- cosignatures ---------------------------------------------------------------------- */

static int
same_key(const struct tlog_note_sig *a, const struct tlog_note_sig *b)
{
	return a->id == b->id && a->name_len == b->name_len &&
	    memcmp(a->name, b->name, a->name_len) == 0;
}

static void
add_sig_line(struct ovt_builder *b, const struct tlog_note_sig *s)
{
	bld_add_bytes(b, "\xe2\x80\x94 ", 4);
	bld_add_bytes(b, s->name, s->name_len);
	bld_add_u8(b, ' ');
	bld_add_bytes(b, s->b64, s->b64_len);
	bld_add_u8(b, '\n');
}

/* Merges verified cosignature lines into the note in cur; the result goes to out. */
static enum tlog_err
merge_cosigs(const struct ovt_builder *cur, const char *lines, size_t len,
    const struct tlog_verifier *wit, size_t nw, struct ovt_builder *out)
{
	struct tlog_note *old = NULL, *add = NULL;
	struct ovt_builder cand;
	enum tlog_err e;

	if (nw == 0 || nw > TLOG_MAX_WITNESSES)
		return TLOG_E_ARG;
	for (size_t i = 0; i < nw; i++)
		if (wit[i].type != TLOG_KEY_COSIG)
			return TLOG_E_ARG;
	if (!bld_init(&cand, bld_len(cur) + len + 1, TLOG_NOTE_MAX + len + 1))
		return TLOG_E_NOMEM;
	if ((old = malloc(sizeof(*old))) == NULL || (add = malloc(sizeof(*add))) == NULL) {
		e = TLOG_E_NOMEM;
		goto out;
	}
	if ((e = tlog_note_parse((const char *)bld_data(cur), bld_len(cur), old)) != TLOG_OK)
		goto out;
	/* Candidate note: our text and only the new lines, so that every line is checked. */
	bld_add_bytes(&cand, old->text, old->text_len);
	bld_add_u8(&cand, '\n');
	bld_add_bytes(&cand, lines, len);
	if (!bld_ok(&cand)) {
		e = TLOG_E_NOTE_SIZE;
		goto out;
	}
	if ((e = tlog_note_parse((const char *)bld_data(&cand), bld_len(&cand), add)) != TLOG_OK)
		goto out;
	for (size_t i = 0; i < add->nsigs; i++) {
		size_t k;
		for (k = 0; k < nw; k++)
			if (wit[k].id == add->sigs[i].id &&
			    strlen(wit[k].name) == add->sigs[i].name_len &&
			    memcmp(wit[k].name, add->sigs[i].name, add->sigs[i].name_len) == 0)
				break;
		if (k == nw) {
			e = TLOG_E_SIG_UNKNOWN_KEY;
			goto out;
		}
	}
	if ((e = tlog_note_verify(add, wit, nw, NULL, NULL, NULL)) != TLOG_OK)
		goto out;
	bld_reset(out);
	bld_add_bytes(out, old->text, old->text_len);
	bld_add_u8(out, '\n');
	for (size_t i = 0; i < old->nsigs; i++) {
		int replaced = 0;
		for (size_t j = 0; j < add->nsigs; j++)
			replaced |= same_key(&old->sigs[i], &add->sigs[j]);
		if (!replaced)
			add_sig_line(out, &old->sigs[i]);
	}
	for (size_t j = 0; j < add->nsigs; j++)
		add_sig_line(out, &add->sigs[j]);
	if (!bld_ok(out) || bld_len(out) > TLOG_NOTE_MAX) {
		e = TLOG_E_NOTE_SIZE;
		goto out;
	}
	/* Never publish a note our own readers would refuse (e.g. too many signatures). */
	e = tlog_note_parse((const char *)bld_data(out), bld_len(out), old);
out:
	free(old);
	free(add);
	bld_cleanup(&cand);
	return e;
}

enum tlog_err
tlog_add_cosignatures(struct tlog *t, const char *lines, size_t len,
    const struct tlog_verifier *wit, size_t nw)
{
	struct ovt_builder out;
	enum tlog_err e;

	if (t->failed)
		return TLOG_E_FAILED;
	if (!bld_init(&out, bld_len(&t->note) + len, TLOG_NOTE_MAX + len + 1))
		return TLOG_E_NOMEM;
	if ((e = merge_cosigs(&t->note, lines, len, wit, nw, &out)) == TLOG_OK &&
	    (e = put_checkpoint(t->dirfd, bld_data(&out), bld_len(&out))) == TLOG_OK) {
		bld_reset(&t->note);
		bld_add_bytes(&t->note, bld_data(&out), bld_len(&out));
		if (!bld_ok(&t->note))
			t->failed = 1;
	}
	bld_cleanup(&out);
	return e;
}

enum tlog_err
tlog_dir_add_cosignatures(const char *dir, const char *lines, size_t len,
    const struct tlog_verifier *wit, size_t nw)
{
	struct tlog_src *src = NULL;
	struct ovt_builder cur, out;
	int dirfd;
	enum tlog_err e;

	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? TLOG_E_NOTFOUND : TLOG_E_IO;
	if (flock(dirfd, LOCK_EX | LOCK_NB) != 0) {
		close(dirfd);
		return errno == EWOULDBLOCK ? TLOG_E_LOCKED : TLOG_E_IO;
	}
	bld_init(&cur, 1024, TLOG_NOTE_MAX + 1);
	bld_init(&out, 1024, TLOG_NOTE_MAX + len + 1);
	if (!bld_ok(&cur) || !bld_ok(&out))
		e = TLOG_E_NOMEM;
	else if ((e = tlog_src_open(dir, NULL, &src)) == TLOG_OK &&
	    (e = tlog_src_get(src, CKPT, TLOG_NOTE_MAX, &cur)) == TLOG_OK &&
	    (e = merge_cosigs(&cur, lines, len, wit, nw, &out)) == TLOG_OK)
		e = put_checkpoint(dirfd, bld_data(&out), bld_len(&out));
	tlog_src_close(src);
	bld_cleanup(&cur);
	bld_cleanup(&out);
	close(dirfd);
	return e;
}
