/*
 * Outside verification of a published log: checkpoint policy, verifier/witness state, the full
 * audit and witness cosigning (see audit.h).
 *
 * The full audit streams the log once: entry bundles in order, each entry decoded and hashed,
 * compared with the level-0 hash tile at its position, pushed into a struct tlog_tree whose
 * full tiles are compared with the level >= 1 hash tiles; the root at the end must be the
 * signed one, and the root at the previously verified size must be the remembered one.
 *
 * Naming what was tampered with uses two independent witnesses of the original order: the
 * sequence number each entry carries (its index, set by the writer) and the level-0 hash
 * tiles.  A finding is only suspected at one entry and decided by the next one (or the end):
 *   entry carries its own index but hashes differently    -> edited (if the rebuilt root is
 *                                                            wrong; if the root is right the
 *                                                            hash tile was altered instead)
 *   entry p missing: position p holds p+1, p+1 holds p+2   -> removed
 *   entry p+1 before p: its hash is the tile's hash at p+1 -> reordered
 *   an entry at p followed by the entry that carries p     -> inserted
 */
#include "tlog/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATE_LABEL "overt-tlog-state v1"

static void detail(char *d, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
detail(char *d, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL || cap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(d, cap, fmt, ap);
	va_end(ap);
}

/* --- checkpoint policy ----------------------------------------------------------------- */

enum tlog_err
tlog_checkpoint_verify(const char *text, size_t len, const struct tlog_policy *pol,
    struct tlog_checkpoint *out, size_t *witnesses_ok, char *d, size_t dcap)
{
	struct tlog_note *note;
	struct tlog_verifier keys[1 + TLOG_MAX_WITNESSES];
	uint8_t ok[1 + TLOG_MAX_WITNESSES];
	size_t nkeys, bad = 0, nw = 0;
	const char *origin;
	enum tlog_err e;

	if (witnesses_ok != NULL)
		*witnesses_ok = 0;
	if (pol->log.type != TLOG_KEY_ED25519 || pol->nwitnesses > TLOG_MAX_WITNESSES ||
	    pol->quorum > pol->nwitnesses)
		return TLOG_E_ARG;
	if ((note = malloc(sizeof(*note))) == NULL)
		return TLOG_E_NOMEM;
	if ((e = tlog_note_parse(text, len, note)) != TLOG_OK) {
		detail(d, dcap, "checkpoint: %s", tlog_strerror(e));
		goto out;
	}
	keys[0] = pol->log;
	nkeys = 1;
	for (size_t i = 0; i < pol->nwitnesses; i++) {
		if (pol->witnesses[i].type != TLOG_KEY_COSIG) {
			e = TLOG_E_ARG;
			goto out;
		}
		keys[nkeys++] = pol->witnesses[i];
	}
	e = tlog_note_verify(note, keys, nkeys, ok, NULL, &bad);
	if (e == TLOG_E_SIG_BAD) {
		detail(d, dcap, "checkpoint: bad signature by %.*s (signature line %zu)",
		    (int)note->sigs[bad].name_len, note->sigs[bad].name, bad + 1);
		goto out;
	}
	if (e == TLOG_OK && !ok[0])
		e = TLOG_E_SIG_UNKNOWN_KEY;
	if (e == TLOG_E_SIG_UNKNOWN_KEY) {
		detail(d, dcap, "checkpoint: no signature by the log key %s+%08x (unknown key: "
		    "signed by %.*s+%08x)", pol->log.name, pol->log.id,
		    (int)note->sigs[0].name_len, note->sigs[0].name, note->sigs[0].id);
		goto out;
	}
	if ((e = tlog_checkpoint_parse(note->text, note->text_len, out)) != TLOG_OK) {
		detail(d, dcap, "checkpoint: body malformed");
		goto out;
	}
	origin = pol->origin[0] != '\0' ? pol->origin : pol->log.name;
	if (strcmp(out->origin, origin) != 0) {
		detail(d, dcap, "checkpoint: origin \"%s\", expected \"%s\"", out->origin, origin);
		e = TLOG_E_CKPT_ORIGIN;
		goto out;
	}
	for (size_t i = 1; i < nkeys; i++)
		nw += ok[i];
	if (witnesses_ok != NULL)
		*witnesses_ok = nw;
	if (nw < pol->quorum) {
		detail(d, dcap, "checkpoint: %zu valid witness cosignature(s), policy requires %zu "
		    "of %zu", nw, pol->quorum, pol->nwitnesses);
		e = TLOG_E_WITNESS_QUORUM;
		goto out;
	}
	e = TLOG_OK;
out:
	free(note);
	return e;
}

enum tlog_err
tlog_checkpoint_fetch(struct tlog_src *src, const struct tlog_policy *pol,
    struct ovt_builder *note, struct tlog_checkpoint *out, size_t *witnesses_ok, char *d,
    size_t dcap)
{
	enum tlog_err e = tlog_src_get(src, "checkpoint", TLOG_NOTE_MAX, note);

	if (e != TLOG_OK) {
		detail(d, dcap, "checkpoint: %s", tlog_strerror(e));
		return e;
	}
	return tlog_checkpoint_verify((const char *)bld_data(note), bld_len(note), pol, out,
	    witnesses_ok, d, dcap);
}

/* --- trust state ----------------------------------------------------------------------- */

void
tlog_trust_init(struct tlog_trust *t)
{
	t->origin[0] = '\0';
	t->n = 0;
}

enum tlog_err
tlog_trust_parse(const char *buf, size_t len, struct tlog_trust *t)
{
	struct ovt_cursor c, line;

	tlog_trust_init(t);
	if (len > TLOG_TRUST_FILE_MAX)
		return TLOG_E_STATE_FORMAT;
	cur_init(&c, buf, len);
	if (!tlog_cur_get_line(&c, &line) || cur_len(&line) != strlen(STATE_LABEL) ||
	    memcmp(cur_data(&line), STATE_LABEL, cur_len(&line)) != 0)
		return TLOG_E_STATE_FORMAT;
	if (!tlog_cur_get_line(&c, &line) ||
	    !tlog_name_valid((const char *)cur_data(&line), cur_len(&line)))
		return TLOG_E_STATE_FORMAT;
	memcpy(t->origin, cur_data(&line), cur_len(&line));
	t->origin[cur_len(&line)] = '\0';
	while (cur_len(&c) > 0) {
		struct tlog_trust_point *p;
		const uint8_t *sp;
		struct ovt_cursor num;

		if (t->n == TLOG_TRUST_HISTORY || !tlog_cur_get_line(&c, &line) ||
		    (sp = memchr(cur_data(&line), ' ', cur_len(&line))) == NULL)
			return TLOG_E_STATE_FORMAT;
		p = &t->pts[t->n];
		if (!cur_get_sub(&line, &num, (size_t)(sp - cur_data(&line))) ||
		    !cur_skip(&line, 1) || !tlog_parse_u64((const char *)cur_data(&num), cur_len(&num), TLOG_MAX_SIZE,
		    &p->size) || cur_len(&line) != TLOG_B64_LEN(TLOG_HASH_LEN) ||
		    tlog_b64_decode((const char *)cur_data(&line), cur_len(&line), p->root,
		    TLOG_HASH_LEN) != TLOG_HASH_LEN)
			return TLOG_E_STATE_FORMAT;
		if (t->n > 0 && p->size <= t->pts[t->n - 1].size)
			return TLOG_E_STATE_FORMAT;
		t->n++;
	}
	return TLOG_OK;
}

enum tlog_err
tlog_trust_load(const char *path, struct tlog_trust *t)
{
	struct ovt_builder b;
	struct tlog_src *src;
	char dir[4096];
	const char *slash = strrchr(path, '/');
	enum tlog_err e;

	tlog_trust_init(t);
	/* Read through the directory source: same bounds and no-symlink rule. */
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return TLOG_E_ARG;
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if ((e = tlog_src_open(dir, NULL, &src)) != TLOG_OK)
		return e == TLOG_E_NOTFOUND ? TLOG_OK : e;
	if (!bld_init(&b, 4096, TLOG_TRUST_FILE_MAX + 1)) {
		tlog_src_close(src);
		return TLOG_E_NOMEM;
	}
	e = tlog_src_get(src, slash ? slash + 1 : path, TLOG_TRUST_FILE_MAX, &b);
	if (e == TLOG_OK)
		e = tlog_trust_parse((const char *)bld_data(&b), bld_len(&b), t);
	else if (e == TLOG_E_NOTFOUND)
		e = TLOG_OK;
	else if (e == TLOG_E_TOO_BIG)
		e = TLOG_E_STATE_FORMAT;
	bld_cleanup(&b);
	tlog_src_close(src);
	return e;
}

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

enum tlog_err
tlog_trust_save(const char *path, const struct tlog_trust *t)
{
	struct ovt_builder b;
	char tmp[4096], dir[4096], line[96], b64[TLOG_B64_LEN(TLOG_HASH_LEN) + 1];
	const char *slash = strrchr(path, '/');
	int fd, ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return TLOG_E_ARG;
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (!bld_init(&b, 4096, TLOG_TRUST_FILE_MAX))
		return TLOG_E_NOMEM;
	bld_add_bytes(&b, STATE_LABEL "\n", strlen(STATE_LABEL) + 1);
	bld_add_bytes(&b, t->origin, strlen(t->origin));
	bld_add_u8(&b, '\n');
	for (size_t i = 0; i < t->n; i++) {
		tlog_b64_encode(t->pts[i].root, TLOG_HASH_LEN, b64, sizeof(b64));
		int n = snprintf(line, sizeof(line), "%llu %s\n",
		    (unsigned long long)t->pts[i].size, b64);
		bld_add_bytes(&b, line, (size_t)n);
	}
	if (!bld_ok(&b)) {
		bld_cleanup(&b);
		return TLOG_E_NOMEM;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) == -1) {
		bld_cleanup(&b);
		return TLOG_E_IO;
	}
	ok = write_all(fd, bld_data(&b), bld_len(&b)) && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	bld_cleanup(&b);
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return TLOG_E_IO;
	}
	/* The rename is durable only once the directory is. */
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return TLOG_E_IO;
	ok = fsync(fd) == 0;
	close(fd);
	return ok ? TLOG_OK : TLOG_E_IO;
}

const struct tlog_trust_point *
tlog_trust_latest(const struct tlog_trust *t)
{
	return t->n > 0 ? &t->pts[t->n - 1] : NULL;
}

enum tlog_err
tlog_trust_check(const struct tlog_trust *t, const struct tlog_checkpoint *cp, char *d,
    size_t dcap)
{
	const struct tlog_trust_point *last = tlog_trust_latest(t);

	if (t->origin[0] != '\0' && strcmp(t->origin, cp->origin) != 0) {
		detail(d, dcap, "state is for origin \"%s\", checkpoint is for \"%s\"", t->origin,
		    cp->origin);
		return TLOG_E_CKPT_ORIGIN;
	}
	if (last == NULL || cp->size > last->size)
		return TLOG_OK;
	for (size_t i = t->n; i-- > 0;) {
		if (t->pts[i].size != cp->size)
			continue;
		if (memcmp(t->pts[i].root, cp->root, TLOG_HASH_LEN) != 0) {
			detail(d, dcap, "fork: checkpoint of size %llu has a different root than the "
			    "checkpoint of the same size verified before",
			    (unsigned long long)cp->size);
			return TLOG_E_CKPT_FORK;
		}
		if (i + 1 == t->n)
			return TLOG_OK;		/* the latest again: nothing new */
		detail(d, dcap, "replayed old checkpoint: size %llu was verified before, but a "
		    "newer checkpoint of size %llu has been verified since",
		    (unsigned long long)cp->size, (unsigned long long)last->size);
		return TLOG_E_CKPT_REPLAY;
	}
	detail(d, dcap, "smaller tree: checkpoint size %llu is smaller than the last verified "
	    "size %llu", (unsigned long long)cp->size, (unsigned long long)last->size);
	return TLOG_E_CKPT_SMALLER;
}

void
tlog_trust_update(struct tlog_trust *t, const struct tlog_checkpoint *cp)
{
	const struct tlog_trust_point *last = tlog_trust_latest(t);

	if (t->origin[0] == '\0')
		memcpy(t->origin, cp->origin, sizeof(t->origin));
	if (last != NULL && cp->size <= last->size)
		return;
	if (t->n == TLOG_TRUST_HISTORY) {
		memmove(&t->pts[0], &t->pts[1], (t->n - 1) * sizeof(t->pts[0]));
		t->n--;
	}
	t->pts[t->n].size = cp->size;
	memcpy(t->pts[t->n].root, cp->root, TLOG_HASH_LEN);
	t->n++;
}

/* --- full audit ------------------------------------------------------------------------ */

enum suspect { S_NONE, S_PENDING, S_REMOVED };

struct audit {
	struct tlog_src *src;
	struct tlog_hasher *h;
	struct tlog_tree *tree;
	struct tlog_audit_report *r;
	const struct tlog_audit_cb *cb;
	uint64_t size;
	uint64_t pos;			/* entries read so far */

	struct ovt_builder l0buf;	/* level-0 tile at the current position */
	const uint8_t (*l0)[TLOG_HASH_LEN];
	uint64_t l0_index;		/* UINT64_MAX: none loaded */
	char l0path[TLOG_PATH_MAX];
	struct ovt_builder tbuf;	/* any other tile */

	int check_prev;
	uint64_t prev_size;
	uint8_t prev_root[TLOG_HASH_LEN];

	enum suspect sus;
	uint64_t s_pos, s_seq;		/* S_PENDING: position and sequence number */
	uint8_t s_leaf[TLOG_HASH_LEN];
	char s_path[TLOG_PATH_MAX];	/* level-0 tile holding s_pos */
	uint64_t shift;			/* S_REMOVED: entries missing at s_pos */
	uint64_t last_ms;

	/* Findings decided only at the end, first of each kind. */
	int edited, forked, tile_bad, count_bad;
	uint64_t edit_pos;
	char edit_path[TLOG_PATH_MAX], tile_path[TLOG_PATH_MAX], count_path[TLOG_PATH_MAX];
	unsigned count_n, count_w;
};

static unsigned
width_at(uint64_t size, unsigned level, uint64_t index)
{
	return index < tlog_tree_tile_index(size, level) ? TLOG_TILE_WIDTH :
	    tlog_tree_width(size, level);
}

static enum tlog_err
tile_error(struct audit *a, enum tlog_err e, const char *path, unsigned width,
    const struct ovt_builder *buf)
{
	if (e == TLOG_E_TILE_SIZE)
		detail(a->r->detail, sizeof(a->r->detail), "tile truncated: %s has %zu bytes, "
		    "want %u", path, bld_len(buf), width * TLOG_HASH_LEN);
	else
		detail(a->r->detail, sizeof(a->r->detail), "%s: %s", path, tlog_strerror(e));
	return e;
}

/* The level-0 hash the log published for entry `index` (authentic if the tiles are). */
static enum tlog_err
l0_hash(struct audit *a, uint64_t index, const uint8_t **out)
{
	uint64_t t = index / TLOG_TILE_WIDTH;
	enum tlog_err e;

	if (a->l0_index != t) {
		unsigned w = width_at(a->size, 0, t);
		a->l0_index = UINT64_MAX;
		if ((e = tlog_fetch_hash_tile(a->src, 0, t, w, &a->l0buf, &a->l0,
		    a->l0path)) != TLOG_OK)
			return tile_error(a, e, a->l0path, w, &a->l0buf);
		a->l0_index = t;
	}
	*out = a->l0[index % TLOG_TILE_WIDTH];
	return TLOG_OK;
}

static enum tlog_err
finding(struct audit *a, enum tlog_err e, uint64_t index, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum tlog_err
finding(struct audit *a, enum tlog_err e, uint64_t index, const char *fmt, ...)
{
	va_list ap;

	a->r->index = index;
	va_start(ap, fmt);
	vsnprintf(a->r->detail, sizeof(a->r->detail), fmt, ap);
	va_end(ap);
	return e;
}

/* Compares a level >= 1 tile the tree completed (or holds at the end) with the published one. */
static enum tlog_err
check_tile(struct audit *a, unsigned level, uint64_t index, unsigned width,
    const uint8_t (*hashes)[TLOG_HASH_LEN])
{
	const uint8_t (*pub)[TLOG_HASH_LEN];
	char path[TLOG_PATH_MAX];
	enum tlog_err e;

	if ((e = tlog_fetch_hash_tile(a->src, (int)level, index, width, &a->tbuf, &pub,
	    path)) != TLOG_OK)
		return tile_error(a, e, path, width, &a->tbuf);
	if (memcmp(pub, hashes, (size_t)width * TLOG_HASH_LEN) != 0 && !a->tile_bad) {
		a->tile_bad = 1;
		memcpy(a->tile_path, path, sizeof(path));
	}
	return TLOG_OK;
}

static enum tlog_err
sink_full(void *arg, unsigned level, uint64_t index, const uint8_t (*hashes)[TLOG_HASH_LEN])
{
	struct audit *a = arg;

	/* Level 0 was compared entry by entry. */
	if (level == 0)
		return TLOG_OK;
	return check_tile(a, level, index, TLOG_TILE_WIDTH, hashes);
}

/* Decides a suspicion at s_pos using the entry that follows it (sequence number q1). */
static enum tlog_err
resolve(struct audit *a, uint64_t q1)
{
	uint64_t p = a->s_pos, q0 = a->s_seq;
	const uint8_t *pub;
	enum tlog_err e;

	a->sus = S_NONE;
	if (q0 == p) {
		if (q1 == p)
			return finding(a, TLOG_E_ENTRY_INSERTED, p, "entry inserted at %llu: the "
			    "entry after it carries sequence number %llu", (unsigned long long)p,
			    (unsigned long long)p);
		if (!a->edited) {
			a->edited = 1;
			a->edit_pos = p;
			memcpy(a->edit_path, a->s_path, sizeof(a->edit_path));
		}
		return TLOG_OK;
	}
	if (q1 == p) {
		/* Entry p comes one late.  Was the entry before it moved, or made up?  If its
		 * hash is the published hash at the place its sequence number says, it moved. */
		if (q0 < a->size) {
			if ((e = l0_hash(a, q0, &pub)) != TLOG_OK)
				return e;
			if (memcmp(pub, a->s_leaf, TLOG_HASH_LEN) == 0)
				return finding(a, TLOG_E_ENTRY_REORDERED, p, "entries reordered: "
				    "position %llu holds entry %llu, entry %llu follows it",
				    (unsigned long long)p, (unsigned long long)q0,
				    (unsigned long long)p);
		}
		return finding(a, TLOG_E_ENTRY_INSERTED, p, "entry inserted at %llu (it carries "
		    "sequence number %llu, the entry after it %llu)", (unsigned long long)p,
		    (unsigned long long)q0, (unsigned long long)p);
	}
	if (q0 > p && q1 == q0 + 1) {
		a->sus = S_REMOVED;	/* confirmed at the end, unless the missing ones show up */
		a->shift = q0 - p;
		return TLOG_OK;
	}
	return finding(a, TLOG_E_ENTRY_SEQ, p, "entry at position %llu carries sequence number "
	    "%llu", (unsigned long long)p, (unsigned long long)q0);
}

static enum tlog_err
removed(struct audit *a)
{
	uint64_t p = a->s_pos;
	if (a->shift == 1)
		return finding(a, TLOG_E_ENTRY_REMOVED, p, "entry %llu removed: position %llu "
		    "holds entry %llu", (unsigned long long)p, (unsigned long long)p,
		    (unsigned long long)(p + 1));
	return finding(a, TLOG_E_ENTRY_REMOVED, p, "entries %llu..%llu removed",
	    (unsigned long long)p, (unsigned long long)(p + a->shift - 1));
}

static enum tlog_err
on_entry(struct audit *a, const uint8_t *p, size_t len)
{
	struct tlog_entry e;
	uint8_t leaf[TLOG_HASH_LEN], root[TLOG_HASH_LEN];
	const uint8_t *pub;
	const struct tlog_tile_sink sink = { sink_full, a };
	uint64_t pos = a->pos++;
	enum tlog_err err;
	int hash_ok;

	if (pos >= a->size)
		return finding(a, TLOG_E_ENTRY_INSERTED, pos, "entry inserted: the bundles hold "
		    "more entries than the checkpoint's %llu", (unsigned long long)a->size);
	if ((err = tlog_entry_decode(p, len, &e)) != TLOG_OK)
		return finding(a, err, pos, "entry %llu: %s", (unsigned long long)pos,
		    tlog_strerror(err));
	if (!tlog_hash_leaf(a->h, p, len, leaf))
		return TLOG_E_CRYPTO;
	if (a->sus == S_REMOVED) {
		/* Everything after a removal is shifted; a missing entry showing up means the
		 * entries were moved, not removed. */
		if (e.seq >= a->s_pos && e.seq < a->s_pos + a->shift)
			return finding(a, TLOG_E_ENTRY_REORDERED, a->s_pos, "entries reordered: "
			    "entry %llu found at position %llu", (unsigned long long)e.seq,
			    (unsigned long long)pos);
		if (e.seq != pos + a->shift)
			return removed(a);
		return TLOG_OK;
	}
	if ((err = l0_hash(a, pos, &pub)) != TLOG_OK)
		return err;
	hash_ok = memcmp(pub, leaf, TLOG_HASH_LEN) == 0;
	if (a->sus == S_PENDING && (err = resolve(a, e.seq)) != TLOG_OK)
		return err;
	if (a->sus == S_REMOVED)
		return TLOG_OK;
	if (e.seq != pos || !hash_ok) {
		a->sus = S_PENDING;
		a->s_pos = pos;
		a->s_seq = e.seq;
		memcpy(a->s_leaf, leaf, TLOG_HASH_LEN);
		memcpy(a->s_path, a->l0path, sizeof(a->s_path));
	} else if (pos > 0 && e.time_ms < a->last_ms)
		return finding(a, TLOG_E_ENTRY_TIME, pos, "entry %llu: time %llu ms is before the "
		    "previous entry's %llu ms", (unsigned long long)pos,
		    (unsigned long long)e.time_ms, (unsigned long long)a->last_ms);
	if (e.seq == pos)
		a->last_ms = e.time_ms;
	if ((err = tlog_tree_push(a->h, a->tree, leaf, &sink)) != TLOG_OK)
		return err;
	if (a->check_prev && pos + 1 == a->prev_size && !a->forked) {
		if ((err = tlog_tree_root(a->h, a->tree, root)) != TLOG_OK)
			return err;
		a->forked = memcmp(root, a->prev_root, TLOG_HASH_LEN) != 0;
	}
	if (pos == 0)
		a->r->first_ms = e.time_ms;
	a->r->last_ms = e.time_ms;
	a->r->per_type[e.type]++;
	a->r->entries++;
	if (a->cb != NULL && a->cb->entry != NULL)
		a->cb->entry(a->cb->arg, pos, &e);
	return TLOG_OK;
}

static enum tlog_err
read_entries(struct audit *a, struct ovt_builder *bbuf)
{
	struct ovt_cursor ents[TLOG_TILE_WIDTH];
	char path[TLOG_PATH_MAX];
	uint64_t nb = (a->size + TLOG_TILE_WIDTH - 1) / TLOG_TILE_WIDTH;
	unsigned n;
	enum tlog_err e;

	for (uint64_t k = 0; k < nb; k++) {
		unsigned w = width_at(a->size, 0, k);
		e = tlog_fetch_bundle(a->src, k, w, bbuf, ents, &n, path);
		if (e == TLOG_E_BUNDLE_FORMAT)
			return finding(a, e, k * TLOG_TILE_WIDTH + n, "tile truncated: %s ends "
			    "inside entry %u", path, n);
		if (e == TLOG_E_BUNDLE_COUNT)
			return finding(a, TLOG_E_ENTRY_INSERTED, k * TLOG_TILE_WIDTH, "entry "
			    "inserted: %s holds more than %u entries", path, TLOG_TILE_WIDTH);
		if (e != TLOG_OK)
			return finding(a, e, k * TLOG_TILE_WIDTH, "%s: %s", path, tlog_strerror(e));
		if (n != w && !a->count_bad) {
			a->count_bad = 1;
			a->count_n = n;
			a->count_w = w;
			memcpy(a->count_path, path, sizeof(path));
		}
		for (unsigned j = 0; j < n; j++)
			if ((e = on_entry(a, cur_data(&ents[j]), cur_len(&ents[j]))) != TLOG_OK)
				return e;
	}
	return TLOG_OK;
}

static enum tlog_err
finish(struct audit *a, const uint8_t want_root[TLOG_HASH_LEN])
{
	uint8_t root[TLOG_HASH_LEN];
	enum tlog_err e;
	int root_ok;

	if (a->sus == S_PENDING) {
		a->sus = S_NONE;
		if (a->s_seq != a->s_pos)
			return finding(a, TLOG_E_ENTRY_SEQ, a->s_pos, "entry at position %llu "
			    "carries sequence number %llu", (unsigned long long)a->s_pos,
			    (unsigned long long)a->s_seq);
		if (!a->edited) {
			a->edited = 1;
			a->edit_pos = a->s_pos;
			memcpy(a->edit_path, a->s_path, sizeof(a->edit_path));
		}
	}
	if (a->sus == S_REMOVED)
		return removed(a);
	if (a->pos + 1 == a->size)
		return finding(a, TLOG_E_ENTRY_REMOVED, a->pos, "entry %llu removed: the bundles "
		    "end early", (unsigned long long)a->pos);
	if (a->pos < a->size)
		return finding(a, TLOG_E_ENTRY_REMOVED, a->pos, "entries %llu..%llu removed: the "
		    "bundles end early", (unsigned long long)a->pos,
		    (unsigned long long)(a->size - 1));
	/* The rightmost tiles of levels >= 1 (level 0 was compared entry by entry). */
	for (unsigned l = 1; l < TLOG_MAX_LEVELS; l++)
		if (a->tree->count[l] > 0 && (e = check_tile(a, l,
		    tlog_tree_tile_index(a->size, l), a->tree->count[l],
		    (const uint8_t (*)[TLOG_HASH_LEN])a->tree->hash[l])) != TLOG_OK)
			return e;
	if ((e = tlog_tree_root(a->h, a->tree, root)) != TLOG_OK)
		return e;
	root_ok = memcmp(root, want_root, TLOG_HASH_LEN) == 0;
	if (a->edited && !root_ok)
		return finding(a, TLOG_E_ENTRY_EDITED, a->edit_pos, "entry %llu edited: its hash "
		    "differs from the published leaf hash and the rebuilt tree differs from the "
		    "signed root", (unsigned long long)a->edit_pos);
	if (a->forked)
		return finding(a, TLOG_E_CKPT_FORK, a->prev_size, "fork: the first %llu entries "
		    "do not hash to the root of the checkpoint verified before",
		    (unsigned long long)a->prev_size);
	if (!root_ok)
		return finding(a, TLOG_E_ROOT_MISMATCH, a->size, "the tree rebuilt from the "
		    "entries does not match the signed checkpoint root");
	if (a->edited)
		return finding(a, TLOG_E_TILE_HASH, a->edit_pos, "%s: hash of entry %llu altered "
		    "(the entries match the signed root)", a->edit_path,
		    (unsigned long long)a->edit_pos);
	if (a->tile_bad)
		return finding(a, TLOG_E_TILE_HASH, 0, "%s: hashes differ from those rebuilt from "
		    "the entries", a->tile_path);
	if (a->count_bad)
		return finding(a, TLOG_E_BUNDLE_COUNT, 0, "%s holds %u entries, want %u",
		    a->count_path, a->count_n, a->count_w);
	return TLOG_OK;
}

enum tlog_err
tlog_audit(struct tlog_src *src, const struct tlog_policy *pol, struct tlog_trust *state,
    const struct tlog_audit_cb *cb, struct tlog_audit_report *r)
{
	struct audit a;
	struct ovt_builder note, bbuf;
	const struct tlog_trust_point *last;
	enum tlog_err e;

	memset(r, 0, sizeof(*r));
	memset(&a, 0, sizeof(a));
	a.src = src;
	a.r = r;
	a.cb = cb;
	a.l0_index = UINT64_MAX;
	if ((a.h = tlog_hasher_new()) == NULL || (a.tree = malloc(sizeof(*a.tree))) == NULL) {
		tlog_hasher_free(a.h);
		return TLOG_E_NOMEM;
	}
	tlog_tree_init(a.tree);
	bld_init(&note, 4096, TLOG_NOTE_MAX + 1);
	bld_init(&bbuf, 64 * 1024, TLOG_BUNDLE_MAX + 1);
	bld_init(&a.l0buf, TLOG_TILE_BYTES, TLOG_TILE_BYTES + 1);
	bld_init(&a.tbuf, TLOG_TILE_BYTES, TLOG_TILE_BYTES + 1);
	if (!bld_ok(&note) || !bld_ok(&bbuf) || !bld_ok(&a.l0buf) || !bld_ok(&a.tbuf)) {
		e = TLOG_E_NOMEM;
		goto out;
	}
	if ((e = tlog_checkpoint_fetch(src, pol, &note, &r->cp, &r->witnesses_ok, r->detail,
	    sizeof(r->detail))) != TLOG_OK)
		goto out;
	a.size = r->cp.size;
	if (state != NULL) {
		if ((e = tlog_trust_check(state, &r->cp, r->detail, sizeof(r->detail))) != TLOG_OK)
			goto out;
		if ((last = tlog_trust_latest(state)) != NULL) {
			r->had_state = 1;
			r->prev_size = last->size;
			a.check_prev = last->size > 0;
			a.prev_size = last->size;
			memcpy(a.prev_root, last->root, TLOG_HASH_LEN);
		}
	}
	if ((e = read_entries(&a, &bbuf)) == TLOG_OK)
		e = finish(&a, r->cp.root);
	if (e == TLOG_OK && state != NULL)
		tlog_trust_update(state, &r->cp);
out:
	tlog_src_stats(src, &r->requests, &r->bytes);
	bld_cleanup(&note);
	bld_cleanup(&bbuf);
	bld_cleanup(&a.l0buf);
	bld_cleanup(&a.tbuf);
	free(a.tree);
	tlog_hasher_free(a.h);
	return e;
}

/* --- witness --------------------------------------------------------------------------- */

enum tlog_err
tlog_witness_cosign(struct tlog_src *src, const struct tlog_verifier *log_key,
    const struct tlog_signer *w, struct tlog_trust *state, uint64_t t,
    struct ovt_builder *note_out, struct ovt_builder *line_out, char *d, size_t dcap)
{
	struct tlog_policy *pol;
	struct tlog_checkpoint cp;
	struct tlog_note *note = NULL;
	struct tlog_hasher *h = NULL;
	struct tlog_tiles *tiles = NULL;
	const struct tlog_trust_point *last;
	uint8_t proof[TLOG_MAX_PROOF][TLOG_HASH_LEN];
	size_t n;
	enum tlog_err e;

	if (w->v.type != TLOG_KEY_COSIG)
		return TLOG_E_ARG;
	if ((pol = calloc(1, sizeof(*pol))) == NULL)
		return TLOG_E_NOMEM;
	pol->log = *log_key;
	if ((e = tlog_checkpoint_fetch(src, pol, note_out, &cp, NULL, d, dcap)) != TLOG_OK)
		goto out;
	if ((e = tlog_trust_check(state, &cp, d, dcap)) != TLOG_OK)
		goto out;
	last = tlog_trust_latest(state);
	/* tlog-witness: the empty tree is consistent with every tree, so no proof from 0. */
	if (last != NULL && last->size > 0 && cp.size > last->size) {
		if ((h = tlog_hasher_new()) == NULL) {
			e = TLOG_E_NOMEM;
			goto out;
		}
		if ((e = tlog_tiles_new(src, h, cp.size, &tiles)) != TLOG_OK)
			goto out;
		e = tlog_prove_consistency(h, tlog_tiles_reader(tiles), last->size, cp.size,
		    proof, &n);
		if (e != TLOG_OK) {
			detail(d, dcap, "cannot build consistency proof %llu -> %llu from the "
			    "log's tiles: %s%s%s", (unsigned long long)last->size,
			    (unsigned long long)cp.size, tlog_strerror(e),
			    tlog_tiles_last_path(tiles)[0] ? " at " : "",
			    tlog_tiles_last_path(tiles));
			goto out;
		}
		if (tlog_verify_consistency(h, last->size, cp.size,
		    (const uint8_t (*)[TLOG_HASH_LEN])proof, n, last->root, cp.root) != TLOG_OK) {
			detail(d, dcap, "fork: checkpoint %llu is not consistent with the "
			    "checkpoint %llu cosigned before", (unsigned long long)cp.size,
			    (unsigned long long)last->size);
			e = TLOG_E_CKPT_FORK;
			goto out;
		}
	}
	if ((note = malloc(sizeof(*note))) == NULL) {
		e = TLOG_E_NOMEM;
		goto out;
	}
	if ((e = tlog_note_parse((const char *)bld_data(note_out), bld_len(note_out),
	    note)) != TLOG_OK)
		goto out;
	if ((e = tlog_note_sign(w, note->text, note->text_len, t, line_out)) != TLOG_OK)
		goto out;
	tlog_trust_update(state, &cp);
out:
	tlog_tiles_free(tiles);
	tlog_hasher_free(h);
	free(note);
	free(pol);
	return e;
}
