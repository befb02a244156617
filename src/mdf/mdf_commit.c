/*
 * Commit rounds, the journal, durable points and checkpoints of the MDF core (design in
 * mdf_core.h and docs/mdf.md "Crash recovery").
 *
 * Ordering, all of it about what a crash at any instant may leave behind:
 *   - a round's records are appended to their streams' spools first, then one journal record
 *     commits the round; records are sent only once committed (and durable, mdf_link.c);
 *   - a durable point flushes every stream's spool before the journal, so a durable commit
 *     never names a record that is not durable;
 *   - a checkpoint writes counters only after a durable point, so they never count records a
 *     crash could take back;
 *   - a POI keepalive is acknowledged only after a durable point that followed it.
 */
#include "mdf/mdf_core_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct ckpt_ctx {
	struct mdf_core *c;
	int64_t wall;
	enum mdf_state_err err;
};

static int
ckpt_one(void *arg, struct mdf_cin *e)
{
	struct ckpt_ctx *k = arg;
	if (e->hs.hdr.seq == e->saved)
		return 0;
	k->err = mdf_state_seq_put(k->c->state, e->hs.liid, e->hs.hdr.liid.len, e->hs.hdr.cin,
	    e->hs.hdr.seq, k->wall);
	return k->err != MDF_ST_OK;
}

static int
ckpt_done_one(void *arg, struct mdf_cin *e)
{
	e->saved = e->hs.hdr.seq;
	return 0;
}

/* ------------------------------------------------------------------ the journal */

/* Which commits are on stable storage now (a commit is durable with its journal record). */
static void
journal_durability(struct mdf_core *c)
{
	uint64_t before = c->env.committed_durable;

	if (c->journal == NULL)
		return;
	if (c->env.journal_sync_none) {
		c->env.committed_durable = c->env.committed;
	} else {
		uint64_t d = spool_durable(c->journal);
		while (c->jp_n > 0 && c->jp[c->jp_head].recno <= d) {
			c->env.committed_durable = c->jp[c->jp_head].epoch;
			c->jp_head = (c->jp_head + 1) % DURABLE_RING;
			c->jp_n--;
		}
	}
	if (c->env.committed_durable != before)
		mdf_core_each_stream(c, mdf_stream_kick);
}

static int
journal_parse(const uint8_t *p, size_t len, uint64_t *epoch)
{
	struct ovt_cursor cur;
	const uint8_t *magic;
	uint8_t version;

	cur_init(&cur, p, len);
	return cur_take(&cur, &magic, 4) && memcmp(magic, "OVMJ", 4) == 0 &&
	    cur_get_u8(&cur, &version) && version == 1 && cur_get_u64(&cur, epoch) &&
	    cur_len(&cur) == 0;
}

/* Appends the commit of the open round: every record of an epoch <= env.epoch is committed. */
static void
journal_commit(struct mdf_core *c)
{
	uint8_t rec[JOURNAL_REC];
	struct ovt_builder b;
	uint64_t recno = 0;
	enum spool_err e;
	char d[256];

	bld_init_fixed(&b, rec, sizeof(rec));
	bld_add_bytes(&b, "OVMJ", 4);
	bld_add_u8(&b, 1);
	bld_add_u64(&b, c->env.epoch);
	e = c->journal != NULL ? spool_append(c->journal, rec, bld_len(&b), &recno) :
	    SPOOL_E_BROKEN;
	if (e != SPOOL_OK) {
		/* The round stays open: its records wait (not sent) and the next successful
		 * commit covers them. */
		c->st.journal_errors++;
		if (!c->journal_alarm) {
			c->journal_alarm = 1;
			if (c->journal != NULL)
				spool_error_format(spool_last_error(c->journal), d, sizeof(d));
			else
				snprintf(d, sizeof(d), "not open");
			mdf_core_note(c, 1, "ALARM journal: %s: delivery waits", d);
		}
		return;
	}
	if (c->journal_alarm) {
		c->journal_alarm = 0;
		mdf_core_note(c, 0, "journal accepting commits again");
	}
	c->st.rounds++;
	c->journal_last = recno;
	c->env.committed = c->env.epoch;
	c->env.epoch++;
	c->env.round_dirty = 0;
	if (c->jp_n == DURABLE_RING)
		(void)spool_flush(c->journal);	/* keeps the ring bounded */
	else {
		c->jp[(c->jp_head + c->jp_n) % DURABLE_RING] = (struct jpending){recno,
		    c->env.committed};
		c->jp_n++;
	}
	journal_durability(c);
	mdf_core_each_stream(c, mdf_stream_kick);
}

/* Opens the journal and finds the last committed epoch. */
int
mdf_journal_open(struct mdf_core *c, char *err, size_t errlen)
{
	struct spool_cfg jc = c->cfg->spool;
	struct spool_error se;
	char path[MDF_PATH_MAX + 16], d[256];
	uint8_t buf[64];
	size_t len;
	uint64_t recno, epoch, n = 0;

	jc.segment_bytes = JOURNAL_SEG;
	jc.max_bytes = JOURNAL_MAX;
	snprintf(path, sizeof(path), "%s/journal", c->cfg->spool_dir);
	if ((c->journal = spool_open(path, &jc, &se)) == NULL) {
		spool_error_format(&se, d, sizeof(d));
		snprintf(err, errlen, "journal: %s", d);
		return -1;
	}
	c->env.journal_sync_none = jc.sync == SPOOL_SYNC_NONE;
	c->env.committed = 0;
	for (;;) {
		enum spool_err e = spool_read_next(c->journal, buf, sizeof(buf), &len, &recno);
		if (e == SPOOL_E_EMPTY)
			break;
		if (e != SPOOL_OK || !journal_parse(buf, len, &epoch)) {
			/* A journal we cannot read leaves us unable to tell committed records from
			 * uncommitted ones: stop, an operator must look (docs/mdf.md). */
			spool_error_format(spool_last_error(c->journal), d, sizeof(d));
			snprintf(err, errlen, "journal: record %" PRIu64 ": %s", recno,
			    e != SPOOL_OK ? d : "not a commit record");
			return -1;
		}
		if (epoch > c->env.committed)
			c->env.committed = epoch;
		c->journal_last = recno;
		n++;
	}
	if (n == 0) {
		/* A fresh MDF; or a journal that was removed: then no record can be told
		 * uncommitted, and all are taken as committed (UINT64_MAX while streams open). */
		c->env.committed = UINT64_MAX;
	}
	return 0;
}

/* After the streams have opened: epochs continue above everything seen. */
int
mdf_journal_start(struct mdf_core *c)
{
	if (c->env.committed == UINT64_MAX) {
		if (c->env.max_epoch > 0)
			mdf_core_note(c, 1, "ALARM journal empty while spools hold records: all of them "
			    "are taken as committed");
		c->env.committed = c->env.max_epoch;
	}
	c->env.epoch = (c->env.max_epoch > c->env.committed ? c->env.max_epoch :
	    c->env.committed) + 1;
	c->env.committed_durable = c->env.committed;
	/* Record where we are, so that an empty journal never means anything but "fresh". */
	if (spool_flush(c->journal) != SPOOL_OK)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ rounds and durable points */

void
mdf_core_each_stream(struct mdf_core *c, void (*fn)(struct mdf_stream *))
{
	for (size_t i = 0; i < c->ndests; i++)
		for (int k = 0; k < 2; k++)
			if (c->dests[i]->stream[k] != NULL)
				fn(c->dests[i]->stream[k]);
}

void
mdf_core_commit(struct mdf_core *c)
{
	c->now_ms = ev_now_ms();
	for (size_t i = 0; i < c->ndests; i++)
		for (int k = 0; k < 2; k++)
			if (c->dests[i]->stream[k] != NULL)
				(void)mdf_stream_commit(c->dests[i]->stream[k]);
	if (c->env.round_dirty)
		journal_commit(c);
}

/* Everything received so far is in a committed round on stable storage when this returns 0:
 * the spools first, then the journal (a durable commit never names records that are not).
 * *journal_ok (may be NULL) tells whether the journal part succeeded: a stream whose spool
 * failed is broken (alarm raised, reopened later) and must not stall the others' checkpoint. */
int
mdf_core_durable_point(struct mdf_core *c, int *journal_ok)
{
	int rc = 0, jok = 1;

	mdf_core_commit(c);
	if (c->env.round_dirty)
		jok = 0;	/* the journal refused the commit */
	for (size_t i = 0; i < c->ndests; i++)
		for (int k = 0; k < 2; k++)
			if (c->dests[i]->stream[k] != NULL &&
			    mdf_stream_flush(c->dests[i]->stream[k]) != SPOOL_OK)
				rc = -1;
	if (c->journal == NULL || spool_flush(c->journal) != SPOOL_OK)
		jok = 0;
	journal_durability(c);
	c->st.durable_points++;
	if (!jok)
		rc = -1;
	if (rc != 0)
		c->st.flush_errors++;
	if (journal_ok != NULL)
		*journal_ok = jok;
	return rc;
}

/* Acknowledges the POI keepalives that wait, once everything before them is durable. */
void
mdf_core_poi_acks(struct mdf_core *c)
{
	if (!c->acks_pending)
		return;
	if (mdf_core_durable_point(c, NULL) != 0)
		return;		/* retried at the next tick; the POIs keep their PDUs meanwhile */
	c->acks_pending = 0;
	for (size_t i = 0; i < c->nconns; i++) {
		struct conninfo *ci = &c->conns[i];
		if (!ci->ka_pending)
			continue;
		ci->ka_pending = 0;
		if (c->rx != NULL && x2x3_receiver_ack(c->rx, ci->id, ci->ka_seq) == X2X3_OK)
			c->st.poi_acks++;
	}
}

/* ------------------------------------------------------------------ checkpoint */

int
mdf_core_sync(struct mdf_core *c)
{
	struct timespec wall;
	struct ckpt_ctx k;
	enum mdf_state_err e;
	int ok;

	/* Counters may only ever be ahead of nothing: what they count is committed and on
	 * stable storage first (a broken stream raised its own alarm and is reopened). */
	int jok;
	(void)mdf_core_durable_point(c, &jok);
	if (!jok)
		return -1;
	clock_gettime(CLOCK_REALTIME, &wall);
	k.c = c;
	k.wall = wall.tv_sec;
	k.err = MDF_ST_OK;
	if ((e = mdf_state_begin(c->state)) == MDF_ST_OK) {
		if (mdf_seqtab_foreach(c->seq, ckpt_one, &k) != 0)
			e = k.err;
		for (size_t i = 0; i < c->ndests && e == MDF_ST_OK; i++)
			for (int j = 0; j < 2 && e == MDF_ST_OK; j++)
				if (c->dests[i]->stream[j] != NULL)
					e = mdf_stream_checkpoint(c->dests[i]->stream[j]);
		if (e == MDF_ST_OK)
			e = mdf_state_commit(c->state);
		if (e != MDF_ST_OK)
			mdf_state_rollback(c->state);
	}
	ok = e == MDF_ST_OK;
	if (ok)
		mdf_seqtab_foreach(c->seq, ckpt_done_one, NULL);
	for (size_t i = 0; i < c->ndests; i++)
		for (int j = 0; j < 2; j++)
			if (c->dests[i]->stream[j] != NULL)
				mdf_stream_checkpoint_done(c->dests[i]->stream[j], ok);
	if (!ok) {
		c->st.checkpoint_errors++;
		mdf_core_note(c, 1, "ALARM state checkpoint failed: %s (%s)", mdf_state_strerror(e),
		    mdf_state_errmsg(c->state));
		return -1;
	}
	c->st.checkpoints++;
	/* The journal needs only its last commit. */
	if (c->journal_last > 1)
		(void)spool_ack(c->journal, c->journal_last - 1);
	if (ev_now_ms() - c->last_evict >= 1000) {
		c->last_evict = ev_now_ms();
		c->st.cin_evictions += mdf_seqtab_evict(c->seq, ev_now_ms(),
		    (uint64_t)c->cfg->cin_idle_s * 1000);
	}
	if (ev_now_ms() - c->last_prune >= PRUNE_EVERY_MS) {
		uint64_t n = 0;
		c->last_prune = ev_now_ms();
		if (mdf_state_prune(c->state, wall.tv_sec - (int64_t)c->cfg->retention_days * 86400,
		    &n) == MDF_ST_OK && n > 0)
			mdf_core_note(c, 0, "%" PRIu64 " sequence counters unused for %u days deleted", n,
			    c->cfg->retention_days);
	}
	return 0;
}

void
mdf_core_ckpt_cb(struct ev_loop *loop, void *arg)
{
	struct mdf_core *c = arg;
	c->ckpt_timer = ev_timer_add(loop, c->cfg->checkpoint_ms, mdf_core_ckpt_cb, c);
	(void)mdf_core_sync(c);
}

void
mdf_core_sync_cb(struct ev_loop *loop, void *arg)
{
	struct mdf_core *c = arg;
	c->sync_timer = ev_timer_add(loop, SYNC_TICK_MS, mdf_core_sync_cb, c);
	if (c->journal != NULL)
		(void)spool_poll(c->journal, NULL);
	journal_durability(c);
	mdf_core_poi_acks(c);
}
