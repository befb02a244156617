/*
 * Unit tests for the log writer (src/tlog/store.c) together with the outside verifier
 * (src/tlog/audit.c) and the witness: round trips across tile boundaries with an independent
 * root computed here, recovery after reopening and after a simulated crash, and every kind of
 * tampering the issue lists, each detected with the finding that names it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "tlog/audit.h"
#include "tlog/fetch.h"
#include "tlog/tile.h"
#include "tlog/tlog.h"

#define ORIGIN "test.example/log"

static char root_dir[] = "/tmp/test_tlog_store.XXXXXX";
static struct tlog_signer logkey, otherkey, wkey1, wkey2;
static struct tlog_hasher *H;

static void
make_entry(uint64_t i, struct tlog_entry *e)
{
	memset(e, 0, sizeof(*e));
	switch (i % 3) {
	case 0:
		e->type = TLOG_ENT_ALERT;
		e->u.alert.severity = (uint8_t)(i % 8);
		snprintf(e->u.alert.source, sizeof(e->u.alert.source), "mdf");
		snprintf(e->u.alert.message, sizeof(e->u.alert.message), "event %llu",
		    (unsigned long long)i);
		break;
	case 1:
		e->type = TLOG_ENT_DELIVERY_COUNTERS;
		e->u.counters.xid[15] = (uint8_t)i;
		e->u.counters.start_ms = i * 1000;
		e->u.counters.end_ms = i * 1000 + 999;
		e->u.counters.records = i;
		e->u.counters.bytes = i * 100;
		break;
	default:
		e->type = TLOG_ENT_OPERATOR_LOGIN;
		snprintf(e->u.login.user, sizeof(e->u.login.user), "op%llu",
		    (unsigned long long)(i % 7));
		snprintf(e->u.login.source, sizeof(e->u.login.source), "10.0.0.%llu",
		    (unsigned long long)(i % 250));
		e->u.login.result = (uint8_t)(i & 1);
		break;
	}
}

static void
path_in(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", root_dir, name);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

/* Appends entries until the log has `upto` entries, committing every `batch`. */
static void
fill(struct tlog *t, uint64_t upto, uint64_t batch, uint8_t (*leaves)[32])
{
	struct tlog_entry e;
	uint64_t idx;

	while (tlog_size(t) + tlog_pending(t) < upto) {
		uint64_t want = tlog_size(t) + tlog_pending(t);
		make_entry(want, &e);
		assert_int_equal(tlog_append(t, &e, &idx), TLOG_OK);
		assert_int_equal(idx, want);
		assert_int_equal(e.seq, want);
		if (leaves != NULL) {
			uint8_t buf[TLOG_ENTRY_MAX];
			struct ovt_builder b;
			bld_init_fixed(&b, buf, sizeof(buf));
			assert_int_equal(tlog_entry_encode(&e, &b), TLOG_OK);
			assert_true(tlog_hash_leaf(H, buf, bld_len(&b), leaves[idx]));
		}
		if (tlog_pending(t) >= batch)
			assert_int_equal(tlog_commit(t), TLOG_OK);
	}
	assert_int_equal(tlog_commit(t), TLOG_OK);
	assert_int_equal(tlog_size(t), upto);
}

static void
policy_for(struct tlog_policy *pol, const struct tlog_signer *k)
{
	memset(pol, 0, sizeof(*pol));
	pol->log = k->v;
}

static enum tlog_err
audit_dir(const char *dir, const struct tlog_policy *pol, struct tlog_trust *st,
    struct tlog_audit_report *r)
{
	struct tlog_src *src;
	enum tlog_err e;

	assert_int_equal(tlog_src_open(dir, NULL, &src), TLOG_OK);
	e = tlog_audit(src, pol, st, NULL, r);
	tlog_src_close(src);
	return e;
}

static int
exists(const char *dir, const char *rel)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return stat(p, &st) == 0;
}

/* --- round trips ----------------------------------------------------------------------- */

static void
test_round_trip_sizes(void **state)
{
	static const uint64_t sizes[] = { 0, 1, 2, 3, 255, 256, 257, 511, 512, 513, 1000, 65535,
		65536, 65537, 70000 };
	uint8_t (*leaves)[32] = malloc(70000 * 32);
	char dir[256];
	struct tlog *t;
	struct tlog_policy pol;
	struct tlog_trust *st = malloc(sizeof(*st));
	struct tlog_audit_report r;
	uint8_t root[32], want[32], proof[TLOG_MAX_PROOF][32];
	size_t n;
	unsigned seed = 7;

	assert_non_null(leaves);
	assert_non_null(st);
	tlog_trust_init(st);
	path_in(dir, sizeof(dir), "rt");
	assert_int_equal(tlog_create(dir, &logkey), TLOG_OK);
	assert_int_equal(tlog_create(dir, &logkey), TLOG_E_EXISTS);
	assert_int_equal(tlog_open(dir, &logkey, &t), TLOG_OK);
	policy_for(&pol, &logkey);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t s = sizes[i], prev = tlog_size(t);
		/* Batches of uneven sizes so that commits land on and off tile edges. */
		fill(t, s, 1 + (uint64_t)rand_r(&seed) % 3000, leaves);
		tlog_root(t, root);
		assert_int_equal(tlog_root_of(H, (const uint8_t (*)[32])leaves, s, want), TLOG_OK);
		assert_memory_equal(root, want, 32);
		assert_int_equal(audit_dir(dir, &pol, st, &r), TLOG_OK);
		assert_int_equal(r.cp.size, s);
		assert_int_equal(r.entries, s);
		assert_memory_equal(r.cp.root, want, 32);
		if (s > 0) {
			uint64_t idx = (uint64_t)rand_r(&seed) % s;
			assert_int_equal(tlog_prove_inclusion_at(t, idx, s, proof, &n), TLOG_OK);
			assert_int_equal(tlog_verify_inclusion(H, idx, s, leaves[idx],
			    (const uint8_t (*)[32])proof, n, want), TLOG_OK);
		}
		if (prev > 0 && prev < s) {
			uint8_t old[32];
			assert_int_equal(tlog_root_of(H, (const uint8_t (*)[32])leaves, prev, old),
			    TLOG_OK);
			assert_int_equal(tlog_prove_consistency_at(t, prev, s, proof, &n), TLOG_OK);
			assert_int_equal(tlog_verify_consistency(H, prev, s,
			    (const uint8_t (*)[32])proof, n, old, want), TLOG_OK);
		}
		/* Reopen every other size: recovery must rebuild the same state. */
		if (i % 2 == 1) {
			tlog_close(t);
			assert_int_equal(tlog_open(dir, &logkey, &t), TLOG_OK);
			assert_int_equal(tlog_size(t), s);
			tlog_root(t, root);
			assert_memory_equal(root, want, 32);
		}
	}
	/* tlog-tiles layout at 70000 (the spec's example size): 273 full level-0 tiles plus a
	 * partial of 112, one full level-1 tile plus a partial of 17, a level-2 partial of 1;
	 * partials of tiles that became full are gone. */
	assert_true(exists(dir, "tile/0/272"));
	assert_true(exists(dir, "tile/0/273.p/112"));
	assert_true(exists(dir, "tile/1/000"));
	assert_true(exists(dir, "tile/1/001.p/17"));
	assert_true(exists(dir, "tile/2/000.p/1"));
	assert_true(exists(dir, "tile/entries/273.p/112"));
	assert_false(exists(dir, "tile/0/000.p"));
	assert_false(exists(dir, "tile/entries/000.p"));
	assert_false(exists(dir, "checkpoint.tmp"));
	/* A second writer is locked out. */
	struct tlog *t2;
	assert_int_equal(tlog_open(dir, &logkey, &t2), TLOG_E_LOCKED);
	tlog_close(t);
	/* The wrong key cannot open it. */
	assert_int_equal(tlog_open(dir, &otherkey, &t2), TLOG_E_CORRUPT);
	sh("rm -rf %s", dir);
	free(st);
	free(leaves);
}

static void
test_entries_refused_and_time(void **state)
{
	char dir[256];
	struct tlog *t;
	struct tlog_entry e, f;
	uint64_t idx;

	path_in(dir, sizeof(dir), "refuse");
	assert_int_equal(tlog_create(dir, &logkey), TLOG_OK);
	assert_int_equal(tlog_open(dir, &logkey, &t), TLOG_OK);
	make_entry(0, &e);
	e.u.alert.message[0] = '\0';
	assert_int_equal(tlog_append(t, &e, &idx), TLOG_E_ENTRY_STRING);
	assert_int_equal(tlog_pending(t), 0);
	make_entry(0, &e);
	assert_int_equal(tlog_append(t, &e, &idx), TLOG_OK);
	make_entry(1, &f);
	assert_int_equal(tlog_append(t, &f, &idx), TLOG_OK);
	assert_int_equal(idx, 1);
	assert_true(f.time_ms >= e.time_ms);
	assert_int_equal(tlog_size(t), 0);	/* not acknowledged before the commit */
	tlog_close(t);				/* drops the uncommitted two */
	assert_int_equal(tlog_open(dir, &logkey, &t), TLOG_OK);
	assert_int_equal(tlog_size(t), 0);
	tlog_close(t);
	sh("rm -rf %s", dir);
}

static void
test_crash_leftovers(void **state)
{
	char dir[256];
	struct tlog *t;
	struct tlog_policy pol;
	struct tlog_audit_report r;

	path_in(dir, sizeof(dir), "crash");
	assert_int_equal(tlog_create(dir, &logkey), TLOG_OK);
	assert_int_equal(tlog_open(dir, &logkey, &t), TLOG_OK);
	fill(t, 300, 300, NULL);
	tlog_close(t);
	/* What a kill during the next commit can leave: tiles beyond the published size
	 * (half-written), a full tile that was never published, a temporary checkpoint. */
	sh("mkdir -p %s/tile/0/001.p %s/tile/entries/001.p && head -c 100 /dev/urandom > "
	    "%s/tile/0/001.p/99 && head -c 5 /dev/urandom > %s/tile/entries/001.p/99 && "
	    "head -c 8192 /dev/urandom > %s/tile/0/002 && echo junk > %s/checkpoint.tmp",
	    dir, dir, dir, dir, dir, dir);
	policy_for(&pol, &logkey);
	assert_int_equal(audit_dir(dir, &pol, NULL, &r), TLOG_OK);
	assert_int_equal(tlog_open(dir, &logkey, &t), TLOG_OK);
	assert_false(exists(dir, "checkpoint.tmp"));
	fill(t, 355, 1000, NULL);	/* 300 + 55 = 256 + 99: rewrites the junk partials */
	tlog_close(t);
	assert_int_equal(audit_dir(dir, &pol, NULL, &r), TLOG_OK);
	assert_int_equal(r.entries, 355);
	/* A published tile that is damaged makes the writer refuse to open. */
	sh("printf x >> %s/tile/0/001.p/99", dir);
	assert_int_equal(tlog_open(dir, &logkey, &t), TLOG_E_CORRUPT);
	sh("rm -rf %s", dir);
}

/* --- tampering ------------------------------------------------------------------------- */

struct bundle {
	uint8_t raw[TLOG_BUNDLE_MAX];
	size_t len;
	struct ovt_cursor ents[TLOG_TILE_WIDTH];
	unsigned n;
};

static void
read_bundle(const char *dir, const char *rel, struct bundle *b)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	assert_non_null(f = fopen(p, "rb"));
	b->len = fread(b->raw, 1, sizeof(b->raw), f);
	fclose(f);
	assert_int_equal(tlog_bundle_parse(b->raw, b->len, b->ents, &b->n), TLOG_OK);
}

/* Writes the bundle back with entries in the given order (indexes into b->ents; extra may
 * add one more entry at position `at`). */
static void
write_bundle(const char *dir, const char *rel, const struct bundle *b, const unsigned *order,
    unsigned n)
{
	struct ovt_builder out;
	char p[512];
	FILE *f;

	assert_true(bld_init(&out, 4096, TLOG_BUNDLE_MAX));
	for (unsigned i = 0; i < n; i++)
		tlog_bundle_add(&out, cur_data(&b->ents[order[i]]), cur_len(&b->ents[order[i]]));
	assert_true(bld_ok(&out));
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	assert_non_null(f = fopen(p, "wb"));
	assert_int_equal(fwrite(bld_data(&out), 1, bld_len(&out), f), bld_len(&out));
	fclose(f);
	bld_cleanup(&out);
}

static char base[256];		/* a 600-entry log: bundles 000, 001 full, 002.p/88 */

static void
fresh_copy(char *dir, size_t cap, const char *name)
{
	path_in(dir, cap, name);
	sh("rm -rf %s && cp -a %s %s", dir, base, dir);
}

static void
expect(const char *dir, enum tlog_err want, uint64_t index, const char *words)
{
	struct tlog_policy pol;
	struct tlog_audit_report r;
	enum tlog_err e;

	policy_for(&pol, &logkey);
	e = audit_dir(dir, &pol, NULL, &r);
	if (e != want || (words != NULL && strstr(r.detail, words) == NULL) ||
	    (index != UINT64_MAX && r.index != index))
		fail_msg("%s: got %s at %llu (\"%s\"), want %s at %llu with \"%s\"", dir,
		    tlog_strerror(e), (unsigned long long)r.index, r.detail, tlog_strerror(want),
		    (unsigned long long)index, words ? words : "");
	print_message("  %-9s -> %s\n", strrchr(dir, '/') + 1, r.detail);
}

static void
test_tamper_entries(void **state)
{
	char dir[256];
	struct bundle *b = malloc(sizeof(*b));
	unsigned order[TLOG_TILE_WIDTH + 1];

	assert_non_null(b);
	expect(base, TLOG_OK, UINT64_MAX, NULL);

	/* Edited: one byte of entry 300's alert message (entry 300 = bundle 1, slot 44). */
	fresh_copy(dir, sizeof(dir), "edited");
	read_bundle(dir, "tile/entries/001", b);
	b->raw[(size_t)(cur_data(&b->ents[44]) - b->raw) + cur_len(&b->ents[44]) - 1] ^= 1;
	for (unsigned i = 0; i < 256; i++)
		order[i] = i;
	write_bundle(dir, "tile/entries/001", b, order, 256);
	expect(dir, TLOG_E_ENTRY_EDITED, 300, "entry 300 edited");

	/* Removed: entry 300 left out. */
	fresh_copy(dir, sizeof(dir), "removed");
	read_bundle(dir, "tile/entries/001", b);
	for (unsigned i = 0, j = 0; i < 256; i++)
		if (i != 44)
			order[j++] = i;
	write_bundle(dir, "tile/entries/001", b, order, 255);
	expect(dir, TLOG_E_ENTRY_REMOVED, 300, "entry 300 removed");

	/* Removed: the last entry of the log. */
	fresh_copy(dir, sizeof(dir), "removedlast");
	read_bundle(dir, "tile/entries/002.p/88", b);
	for (unsigned i = 0; i < 87; i++)
		order[i] = i;
	write_bundle(dir, "tile/entries/002.p/88", b, order, 87);
	expect(dir, TLOG_E_ENTRY_REMOVED, 599, "removed");

	/* Reordered: entries 300 and 301 swapped. */
	fresh_copy(dir, sizeof(dir), "reordered");
	read_bundle(dir, "tile/entries/001", b);
	for (unsigned i = 0; i < 256; i++)
		order[i] = i;
	order[44] = 45;
	order[45] = 44;
	write_bundle(dir, "tile/entries/001", b, order, 256);
	expect(dir, TLOG_E_ENTRY_REORDERED, 300, "reordered");

	/* Reordered across a distance: entry 300 moved after 303. */
	fresh_copy(dir, sizeof(dir), "moved");
	read_bundle(dir, "tile/entries/001", b);
	for (unsigned i = 0; i < 256; i++)
		order[i] = i;
	order[44] = 45;
	order[45] = 46;
	order[46] = 47;
	order[47] = 44;
	write_bundle(dir, "tile/entries/001", b, order, 256);
	expect(dir, TLOG_E_ENTRY_REORDERED, 300, "reordered");

	/* Inserted: a made-up entry carrying sequence number 300, before the real 300. */
	fresh_copy(dir, sizeof(dir), "inserted");
	{
		struct tlog_entry e;
		uint8_t enc[TLOG_ENTRY_MAX];
		struct ovt_builder eb;
		struct ovt_builder out;
		char p[512];
		FILE *f;

		read_bundle(dir, "tile/entries/002.p/88", b);
		make_entry(9999, &e);
		e.seq = 512 + 10;
		e.time_ms = 1;
		bld_init_fixed(&eb, enc, sizeof(enc));
		assert_int_equal(tlog_entry_encode(&e, &eb), TLOG_OK);
		assert_true(bld_init(&out, 4096, TLOG_BUNDLE_MAX));
		for (unsigned i = 0; i < b->n; i++) {
			if (i == 10)
				tlog_bundle_add(&out, enc, bld_len(&eb));
			tlog_bundle_add(&out, cur_data(&b->ents[i]), cur_len(&b->ents[i]));
		}
		snprintf(p, sizeof(p), "%s/tile/entries/002.p/88", dir);
		assert_non_null(f = fopen(p, "wb"));
		fwrite(bld_data(&out), 1, bld_len(&out), f);
		fclose(f);
		bld_cleanup(&out);
	}
	expect(dir, TLOG_E_ENTRY_INSERTED, 522, "inserted");

	/* Inserted: a copy of entry 100 appended after the last entry. */
	fresh_copy(dir, sizeof(dir), "appended");
	{
		struct bundle *b0 = malloc(sizeof(*b0));
		struct ovt_builder out;
		char p[512];
		FILE *f;
		assert_non_null(b0);
		read_bundle(dir, "tile/entries/000", b0);
		read_bundle(dir, "tile/entries/002.p/88", b);
		assert_true(bld_init(&out, 4096, TLOG_BUNDLE_MAX));
		for (unsigned i = 0; i < b->n; i++)
			tlog_bundle_add(&out, cur_data(&b->ents[i]), cur_len(&b->ents[i]));
		tlog_bundle_add(&out, cur_data(&b0->ents[100]), cur_len(&b0->ents[100]));
		snprintf(p, sizeof(p), "%s/tile/entries/002.p/88", dir);
		assert_non_null(f = fopen(p, "wb"));
		fwrite(bld_data(&out), 1, bld_len(&out), f);
		fclose(f);
		bld_cleanup(&out);
		free(b0);
	}
	expect(dir, TLOG_E_ENTRY_INSERTED, 600, "inserted");
	free(b);
}

/* Flips the low bit of one byte of a file. */
static void
flip(const char *dir, const char *rel, long off)
{
	char p[512];
	FILE *f;
	int c;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	assert_non_null(f = fopen(p, "r+b"));
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	assert_int_not_equal(c = fgetc(f), EOF);
	assert_int_equal(fseek(f, off, SEEK_SET), 0);
	assert_int_equal(fputc(c ^ 1, f), c ^ 1);
	assert_int_equal(fclose(f), 0);
}

static void
test_tamper_tiles(void **state)
{
	char dir[256];

	fresh_copy(dir, sizeof(dir), "l0trunc");
	sh("truncate -s 8000 %s/tile/0/001", dir);
	expect(dir, TLOG_E_TILE_SIZE, UINT64_MAX, "tile truncated: tile/0/001");

	fresh_copy(dir, sizeof(dir), "l1trunc");
	sh("truncate -s 32 %s/tile/1/000.p/2", dir);
	expect(dir, TLOG_E_TILE_SIZE, UINT64_MAX, "tile truncated: tile/1/000.p/2");

	fresh_copy(dir, sizeof(dir), "btrunc");
	sh("truncate -s 1000 %s/tile/entries/001", dir);
	expect(dir, TLOG_E_BUNDLE_FORMAT, UINT64_MAX, "tile truncated: tile/entries/001");

	fresh_copy(dir, sizeof(dir), "missing");
	sh("rm %s/tile/entries/001", dir);
	expect(dir, TLOG_E_NOTFOUND, UINT64_MAX, "tile/entries/001");

	/* A hash in a level-0 tile altered, entries intact: the root still matches, so it is
	 * the tile that is wrong. */
	fresh_copy(dir, sizeof(dir), "l0hash");
	flip(dir, "tile/0/001", 100);
	expect(dir, TLOG_E_TILE_HASH, UINT64_MAX, "tile/0/001");

	/* The same for the last hash of a tile: the finding names that tile, not the next. */
	fresh_copy(dir, sizeof(dir), "l0last");
	flip(dir, "tile/0/001", 8160);
	expect(dir, TLOG_E_TILE_HASH, 511, "tile/0/001: hash of entry 511 altered");

	fresh_copy(dir, sizeof(dir), "l1hash");
	flip(dir, "tile/1/000.p/2", 40);
	expect(dir, TLOG_E_TILE_HASH, UINT64_MAX, "tile/1/000.p/2");
}

static void
test_tamper_checkpoint(void **state)
{
	char dir[256], other[256];
	struct tlog_policy pol;
	struct tlog_audit_report r;
	struct tlog_trust *st = malloc(sizeof(*st));
	struct tlog *t;

	assert_non_null(st);
	/* Bad signature: the size line changed from 600 to 599. */
	fresh_copy(dir, sizeof(dir), "badsig");
	sh("sed -i 's/^600$/599/' %s/checkpoint", dir);
	expect(dir, TLOG_E_SIG_BAD, UINT64_MAX, "bad signature");

	/* Unknown key: a checkpoint signed by another key with the same name. */
	fresh_copy(dir, sizeof(dir), "unknown");
	path_in(other, sizeof(other), "otherlog");
	sh("rm -rf %s", other);
	assert_int_equal(tlog_create(other, &otherkey), TLOG_OK);
	sh("cp %s/checkpoint %s/checkpoint", other, dir);
	expect(dir, TLOG_E_SIG_UNKNOWN_KEY, UINT64_MAX, "unknown key");

	/* State: the base log verified at 500 and at 600. */
	policy_for(&pol, &logkey);
	tlog_trust_init(st);
	path_in(dir, sizeof(dir), "at500");
	assert_int_equal(audit_dir(dir, &pol, st, &r), TLOG_OK);
	assert_int_equal(r.cp.size, 500);
	assert_int_equal(audit_dir(base, &pol, st, &r), TLOG_OK);
	assert_int_equal(r.prev_size, 500);
	/* Replayed old checkpoint: the 500 one, verified before, served again. */
	assert_int_equal(audit_dir(dir, &pol, st, &r), TLOG_E_CKPT_REPLAY);
	assert_non_null(strstr(r.detail, "replayed old checkpoint"));
	/* Smaller tree never seen: the 400 copy. */
	path_in(dir, sizeof(dir), "at400");
	assert_int_equal(audit_dir(dir, &pol, st, &r), TLOG_E_CKPT_SMALLER);
	assert_non_null(strstr(r.detail, "smaller tree"));
	/* Fork: a log with the same key and size but other entries. */
	path_in(other, sizeof(other), "fork600");
	sh("rm -rf %s", other);
	assert_int_equal(tlog_create(other, &logkey), TLOG_OK);
	assert_int_equal(tlog_open(other, &logkey, &t), TLOG_OK);
	{
		struct tlog_entry e;
		uint64_t idx;
		make_entry(1, &e);	/* a different first entry */
		assert_int_equal(tlog_append(t, &e, &idx), TLOG_OK);
	}
	fill(t, 600, 600, NULL);
	assert_int_equal(audit_dir(other, &pol, st, &r), TLOG_E_CKPT_FORK);
	assert_non_null(strstr(r.detail, "fork"));
	/* Fork of the prefix: the same other log grown to 700. */
	fill(t, 700, 700, NULL);
	tlog_close(t);
	assert_int_equal(audit_dir(other, &pol, st, &r), TLOG_E_CKPT_FORK);
	assert_non_null(strstr(r.detail, "fork: the first 600 entries"));
	sh("rm -rf %s", other);
	free(st);
}

static void
test_witness(void **state)
{
	char dir[256], tmp[256];
	struct tlog *t;
	struct tlog_src *src;
	struct tlog_trust *ws = malloc(sizeof(*ws)), *ws2 = malloc(sizeof(*ws2));
	struct tlog_policy pol;
	struct tlog_audit_report r;
	struct ovt_builder note, line, line2;
	struct tlog_verifier wv[2] = { wkey1.v, wkey2.v };

	assert_non_null(ws);
	assert_non_null(ws2);
	tlog_trust_init(ws);
	tlog_trust_init(ws2);
	assert_true(bld_init(&note, 1024, TLOG_NOTE_MAX + 1));
	assert_true(bld_init(&line, 256, 4096));
	assert_true(bld_init(&line2, 256, 4096));
	fresh_copy(dir, sizeof(dir), "witnessed");
	assert_int_equal(tlog_src_open(dir, NULL, &src), TLOG_OK);
	/* First sight (empty state): cosign. */
	assert_int_equal(tlog_witness_cosign(src, &logkey.v, &wkey1, ws, 1735689600, &note, &line,
	    NULL, 0), TLOG_OK);
	assert_int_equal(tlog_trust_latest(ws)->size, 600);
	assert_int_equal(tlog_witness_cosign(src, &logkey.v, &wkey2, ws2, 1735689601, &note,
	    &line2, NULL, 0), TLOG_OK);
	/* Publish witness 1 only; policy 2 of 2 fails, 1 of 2 passes. */
	policy_for(&pol, &logkey);
	pol.witnesses[0] = wkey1.v;
	pol.witnesses[1] = wkey2.v;
	pol.nwitnesses = 2;
	pol.quorum = 2;
	assert_int_equal(tlog_dir_add_cosignatures(dir, (const char *)bld_data(&line),
	    bld_len(&line), wv, 2), TLOG_OK);
	assert_int_equal(audit_dir(dir, &pol, NULL, &r), TLOG_E_WITNESS_QUORUM);
	assert_non_null(strstr(r.detail, "1 valid witness cosignature(s), policy requires 2"));
	pol.quorum = 1;
	assert_int_equal(audit_dir(dir, &pol, NULL, &r), TLOG_OK);
	assert_int_equal(r.witnesses_ok, 1);
	/* Both published: 2 of 2.  Publishing the same witness again replaces its line. */
	assert_int_equal(tlog_dir_add_cosignatures(dir, (const char *)bld_data(&line2),
	    bld_len(&line2), wv, 2), TLOG_OK);
	assert_int_equal(tlog_dir_add_cosignatures(dir, (const char *)bld_data(&line),
	    bld_len(&line), wv, 2), TLOG_OK);
	pol.quorum = 2;
	assert_int_equal(audit_dir(dir, &pol, NULL, &r), TLOG_OK);
	assert_int_equal(r.witnesses_ok, 2);
	/* A cosignature from a witness the log does not know is refused. */
	assert_int_equal(tlog_dir_add_cosignatures(dir, (const char *)bld_data(&line),
	    bld_len(&line), &wv[1], 1), TLOG_E_SIG_UNKNOWN_KEY);

	/* The log grows: old cosignatures are gone with the old checkpoint; a stale one cannot
	 * be published; the witness checks consistency 600 -> 900 and cosigns again. */
	assert_int_equal(tlog_open(dir, &logkey, &t), TLOG_OK);
	fill(t, 900, 100, NULL);
	assert_int_equal(tlog_add_cosignatures(t, (const char *)bld_data(&line), bld_len(&line),
	    wv, 2), TLOG_E_SIG_BAD);
	assert_int_equal(audit_dir(dir, &pol, NULL, &r), TLOG_E_WITNESS_QUORUM);
	bld_reset(&line);
	assert_int_equal(tlog_witness_cosign(src, &logkey.v, &wkey1, ws, 1735689700, &note, &line,
	    NULL, 0), TLOG_OK);
	assert_int_equal(tlog_trust_latest(ws)->size, 900);
	assert_int_equal(tlog_add_cosignatures(t, (const char *)bld_data(&line), bld_len(&line),
	    wv, 2), TLOG_OK);
	tlog_close(t);
	pol.quorum = 1;
	assert_int_equal(audit_dir(dir, &pol, NULL, &r), TLOG_OK);
	tlog_src_close(src);

	/* The witness refuses a smaller tree and a fork. */
	char msg[TLOG_DETAIL_MAX];
	path_in(tmp, sizeof(tmp), "at500");
	assert_int_equal(tlog_src_open(tmp, NULL, &src), TLOG_OK);
	bld_reset(&line);
	assert_int_equal(tlog_witness_cosign(src, &logkey.v, &wkey1, ws, 1735689800, &note, &line,
	    msg, sizeof(msg)), TLOG_E_CKPT_SMALLER);
	assert_non_null(strstr(msg, "smaller tree"));
	tlog_src_close(src);
	path_in(tmp, sizeof(tmp), "wfork");
	sh("rm -rf %s", tmp);
	assert_int_equal(tlog_create(tmp, &logkey), TLOG_OK);
	assert_int_equal(tlog_open(tmp, &logkey, &t), TLOG_OK);
	{
		struct tlog_entry e;
		uint64_t idx;
		make_entry(5, &e);
		assert_int_equal(tlog_append(t, &e, &idx), TLOG_OK);
	}
	fill(t, 1000, 1000, NULL);
	tlog_close(t);
	assert_int_equal(tlog_src_open(tmp, NULL, &src), TLOG_OK);
	assert_int_equal(tlog_witness_cosign(src, &logkey.v, &wkey1, ws, 1735689900, &note, &line,
	    msg, sizeof(msg)), TLOG_E_CKPT_FORK);
	assert_non_null(strstr(msg, "not consistent"));
	assert_int_equal(tlog_trust_latest(ws)->size, 900);	/* unchanged */
	tlog_src_close(src);
	sh("rm -rf %s %s", tmp, dir);
	bld_cleanup(&note);
	bld_cleanup(&line);
	bld_cleanup(&line2);
	free(ws);
	free(ws2);
}

static int
setup(void **state)
{
	struct tlog *t;
	char p[256];

	if (mkdtemp(root_dir) == NULL || (H = tlog_hasher_new()) == NULL)
		return -1;
	if (tlog_signer_generate(ORIGIN, TLOG_KEY_ED25519, &logkey) != TLOG_OK ||
	    tlog_signer_generate(ORIGIN, TLOG_KEY_ED25519, &otherkey) != TLOG_OK ||
	    tlog_signer_generate("w1.example", TLOG_KEY_COSIG, &wkey1) != TLOG_OK ||
	    tlog_signer_generate("w2.example", TLOG_KEY_COSIG, &wkey2) != TLOG_OK)
		return -1;
	/* The base log, with copies of it at 400 and 500 entries. */
	path_in(base, sizeof(base), "base");
	if (tlog_create(base, &logkey) != TLOG_OK || tlog_open(base, &logkey, &t) != TLOG_OK)
		return -1;
	fill(t, 400, 150, NULL);
	path_in(p, sizeof(p), "at400");
	sh("cp -a %s %s", base, p);
	fill(t, 500, 150, NULL);
	path_in(p, sizeof(p), "at500");
	sh("cp -a %s %s", base, p);
	fill(t, 600, 150, NULL);
	tlog_close(t);
	return 0;
}

static int
teardown(void **state)
{
	sh("rm -rf %s", root_dir);
	tlog_signer_cleanup(&logkey);
	tlog_signer_cleanup(&otherkey);
	tlog_signer_cleanup(&wkey1);
	tlog_signer_cleanup(&wkey2);
	tlog_hasher_free(H);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_sizes),
		cmocka_unit_test(test_entries_refused_and_time),
		cmocka_unit_test(test_crash_leftovers),
		cmocka_unit_test(test_tamper_entries),
		cmocka_unit_test(test_tamper_tiles),
		cmocka_unit_test(test_tamper_checkpoint),
		cmocka_unit_test(test_witness),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
