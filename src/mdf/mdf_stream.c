/*
 * A delivery stream's state: spool, batch, recent-set, recovery at open, checkpoint and the
 * rule that decides what the spool may forget (contract in mdf_stream.h).
 *
 * Order of events for one PDU copy: PS-PDU encoded straight into the batch buffer's free
 * space with the caller's counter -> recent-set check (a duplicate leaves it unaccepted) ->
 * accepted, recent-set updated -> at the end of the loop iteration (or when the batch is full)
 * one spool append for the batch, tagged with the round's epoch -> the core appends the round's
 * commit to its journal -> the link sends the record once the round is committed (and
 * durable): from memory if it is still held there (memq, appended while the link was up), else
 * read back from the spool.  A crash before the commit leaves records of an uncommitted epoch:
 * at the next open they are void (never sent, never rolled forward), and the POI's resend
 * mediates their PDUs again with the same sequence numbers, since the counters only ever
 * reflect committed records.
 */
#include "mdf/mdf_stream_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REOPEN_EVERY_MS	5000
#define MAX_VOIDS	4096	/* void ranges per stream: one per crash with an open round */

void
mdf_stream_event(struct mdf_stream *s, enum mdf_stream_event ev, const char *detail)
{
	if (s->on_event != NULL)
		s->on_event(s->arg, s, ev, detail != NULL ? detail : "");
}

static void
spool_event(struct mdf_stream *s, enum mdf_stream_event ev)
{
	char buf[256];
	spool_error_format(spool_last_error(s->sp), buf, sizeof(buf));
	mdf_stream_event(s, ev, buf);
}

/* ------------------------------------------------------------------ acknowledgement gating */

/* The spool may forget record r (r <= acked) only when the LEMF holds it, the counters it
 * advanced are in the state database and its fingerprints are not needed to rebuild the
 * recent-set. */
static void
ack_update(struct mdf_stream *s)
{
	uint64_t a = s->delivered;
	if (s->ckpt < a)
		a = s->ckpt;
	if (s->retain_from < a)
		a = s->retain_from;
	if (a <= s->acked || s->sp == NULL || s->st.broken)
		return;
	if (spool_ack(s->sp, a) == SPOOL_OK)
		s->acked = a;
	else
		spool_event(s, MDF_SEV_SPOOL_ERROR);
}

void
mdf_stream_delivered(struct mdf_stream *s, uint64_t recno)
{
	if (recno <= s->delivered)
		return;
	s->delivered = recno;
	ack_update(s);
}

int
mdf_stream_is_void(const struct mdf_stream *s, uint64_t recno)
{
	for (size_t i = 0; i < s->nvoids; i++)
		if (recno >= s->voids[i].first && recno <= s->voids[i].last)
			return 1;
	return 0;
}

/* Retention ring: one entry per record, trimmed so that the records after retain_from hold at
 * least `window` fingerprints (the recent-set's guaranteed memory). */
static void
retain_push(struct mdf_stream *s, uint64_t recno, uint32_t nfp)
{
	if (s->ret_n == s->ret_cap) {
		size_t ncap = s->ret_cap ? s->ret_cap * 2 : 64;
		struct retain *n = malloc(ncap * sizeof(*n));
		if (n == NULL) {
			/* No room to remember it: release the oldest instead, which only weakens
			 * duplicate detection after a restart. */
			s->retain_from = s->ret[s->ret_head].recno;
			s->ret_fps -= s->ret[s->ret_head].nfp;
			s->ret_head = (s->ret_head + 1) % s->ret_cap;
			s->ret_n--;
		} else {
			for (size_t i = 0; i < s->ret_n; i++)
				n[i] = s->ret[(s->ret_head + i) % s->ret_cap];
			free(s->ret);
			s->ret = n;
			s->ret_cap = ncap;
			s->ret_head = 0;
		}
	}
	s->ret[(s->ret_head + s->ret_n) % s->ret_cap] = (struct retain){recno, nfp};
	s->ret_n++;
	s->ret_fps += nfp;
	while (s->ret_n > 1 && s->ret_fps - s->ret[s->ret_head].nfp >= s->window) {
		s->retain_from = s->ret[s->ret_head].recno;
		s->ret_fps -= s->ret[s->ret_head].nfp;
		s->ret_head = (s->ret_head + 1) % s->ret_cap;
		s->ret_n--;
	}
}

/* ------------------------------------------------------------------ batches */

/* Keeps the record just appended for the link: the batch buffer holding it joins the queue
 * and the batch continues in a spare one, the most recently freed (still warm in the caches). */
static void
memq_push(struct mdf_stream *s, uint64_t recno, uint64_t epoch, size_t len)
{
	struct memrec *m;
	uint8_t *spare;

	if (s->ls != L_UP || s->mq_n == MDF_MEMQ)
		return;
	if (s->mq_nfree > 0) {
		spare = s->mq_free[--s->mq_nfree];
	} else {
		if (s->mq_bufs == MDF_MEMQ || (spare = malloc(s->batch.cap)) == NULL)
			return;
		s->mq_bufs++;
	}
	m = &s->memq[(s->mq_head + s->mq_n) % MDF_MEMQ];
	m->buf = mdf_batch_swap_buf(&s->batch, spare);
	m->recno = recno;
	m->epoch = epoch;
	m->len = len;
	m->pdus = mdf_record_pdus_own(m->buf, len);
	s->mq_n++;
}

void
mdf_memq_pop(struct mdf_stream *s)
{
	struct memrec *m = &s->memq[s->mq_head];

	s->mq_free[s->mq_nfree++] = m->buf;
	m->buf = NULL;
	s->mq_head = (s->mq_head + 1) % MDF_MEMQ;
	s->mq_n--;
}

void
mdf_memq_clear(struct mdf_stream *s)
{
	while (s->mq_n > 0)
		mdf_memq_pop(s);
}

static int
batch_append(struct mdf_stream *s)
{
	const uint8_t *p;
	size_t len;
	uint64_t recno = 0;
	uint32_t n = s->batch.npdu;
	enum spool_err e;
	char d[128];

	if (mdf_batch_empty(&s->batch))
		return 0;
	if (s->sp == NULL || s->st.broken) {
		s->st.drops[MDF_DROP_SPOOL_ERROR] += n;
		mdf_batch_reset(&s->batch);
		return 0;
	}
	mdf_batch_seal(&s->batch, s->env->epoch, &p, &len);
	e = spool_append(s->sp, p, len, &recno);
	if (e == SPOOL_E_FULL && s->retain_from < s->delivered && s->retain_from < s->ckpt) {
		/* Full while records are kept only for the recent-set: give those up (a
		 * restart then recognises fewer POI resends) rather than new data. */
		uint64_t a = s->delivered < s->ckpt ? s->delivered : s->ckpt;
		if (a > s->acked && spool_ack(s->sp, a) == SPOOL_OK) {
			s->acked = a;
			s->st.retention_released++;
			e = spool_append(s->sp, p, len, &recno);
		}
	}
	if (e == SPOOL_OK)
		memq_push(s, recno, s->env->epoch, len);
	if (e == SPOOL_OK || (e == SPOOL_E_IO && recno != 0)) {
		s->appended = recno;
		s->st.appends++;
		s->env->round_dirty = 1;
		retain_push(s, recno, n);
		if (s->st.full_alarm) {
			s->st.full_alarm = 0;
			mdf_stream_event(s, MDF_SEV_SPOOL_OK, "appends accepted again");
		}
	}
	if (e == SPOOL_E_FULL) {
		/* Bounded spool: the batch is lost, counted, and the alarm raised once per
		 * episode.  Its sequence numbers were used, so the LEMF sees the gap. */
		s->st.full_events++;
		s->st.drops[MDF_DROP_SPOOL_FULL] += n;
		if (!s->st.full_alarm) {
			s->st.full_alarm = 1;
			snprintf(d, sizeof(d), "%" PRIu64 " records undelivered, %u PDUs dropped",
			    s->appended - s->delivered, n);
			mdf_stream_event(s, MDF_SEV_SPOOL_FULL, d);
		}
	} else if (e != SPOOL_OK) {
		if (recno == 0)
			s->st.drops[MDF_DROP_SPOOL_ERROR] += n;
		spool_event(s, MDF_SEV_SPOOL_ERROR);
		if (e == SPOOL_E_IO || e == SPOOL_E_BROKEN) {
			/* The spool promises nothing after a failed fsync: reopen it later. */
			s->st.broken = 1;
			s->reopen_at = ev_now_ms() + REOPEN_EVERY_MS;
		}
	}
	mdf_batch_reset(&s->batch);
	return recno != 0;
}

enum mdf_drop
mdf_stream_put(struct mdf_stream *s, struct mdf_cin *e, uint32_t seq, struct mdf_item *it,
    uint64_t fp, uint64_t now_ms)
{
	enum mdf_drop why = MDF_DROP_NONE;
	struct ovt_builder b;
	struct hi2_diag diag;

	if (s->sp == NULL || s->st.broken) {
		if (fp != 0 && mdf_dedup_seen(&s->dedup, fp)) {
			s->st.duplicates++;
			return MDF_DROP_DUPLICATE;
		}
		why = s->sp == NULL ? MDF_DROP_NO_SPOOL : MDF_DROP_SPOOL_ERROR;
		goto drop;
	}
	if (mdf_batch_full(&s->batch))
		batch_append(s);
	/* The PS-PDU is encoded into the batch's free space first and only accepted below
	 * (mdf_batch_add): the recent-set lookup comes after the encoding, so that the cache
	 * miss it usually takes (the core prefetched its line) overlaps the encoding work.  A
	 * duplicate leaves nothing behind: free space is overwritten by the next PDU. */
	for (int attempt = 0;; attempt++) {
		enum hi2_err he;
		mdf_batch_space(&s->batch, &b);
		e->hs.hdr.seq = seq;
		if ((he = mdf_item_encode(it, &e->hs, &b, &diag)) == HI2_OK)
			break;
		/* Out of room in a non-empty batch: seal it and try once more in a new one.
		 * (Cannot happen either: a batch below MDF_BATCH_BYTES has room for a PS-PDU of
		 * the largest X2/X3 PDU the receiver accepts.) */
		e->hs.hdr.seq = seq;
		if (he != HI2_E_SPACE || attempt > 0 || mdf_batch_empty(&s->batch)) {
			why = MDF_DROP_ENCODE;
			goto drop;
		}
		batch_append(s);
	}
	if (fp != 0 && mdf_dedup_seen(&s->dedup, fp)) {
		e->hs.hdr.seq = seq;	/* the number stays free */
		s->st.duplicates++;
		return MDF_DROP_DUPLICATE;
	}
	/* The batch's sequence entry for this counter.  Cannot fail: the batch has fewer than
	 * MDF_BATCH_MAX_PDUS PDUs (a PDU takes at most one entry) and routes' LIIDs are valid. */
	if (mdf_batch_seq(&s->batch, e->hs.liid, e->hs.hdr.liid.len, e->hs.hdr.cin,
	    &e->batch_gen, &e->batch_slot) != 0) {
		e->hs.hdr.seq = seq;
		why = MDF_DROP_ENCODE;
		goto drop;
	}
	mdf_batch_add(&s->batch, bld_len(&b), fp, e->batch_slot, e->hs.hdr.seq);
	if (fp != 0)
		mdf_dedup_add_new(&s->dedup, fp);	/* seen() said absent, above */
	s->st.pdus++;
	(void)now_ms;
	if (mdf_batch_full(&s->batch))
		batch_append(s);
	return MDF_DROP_NONE;
drop:
	s->st.drops[why]++;
	return why;
}

void
mdf_stream_prefetch(const struct mdf_stream *s, uint64_t fp)
{
	mdf_dedup_prefetch(&s->dedup, fp);
}

int
mdf_stream_commit(struct mdf_stream *s)
{
	return batch_append(s);
}

enum spool_err
mdf_stream_flush(struct mdf_stream *s)
{
	enum spool_err e;

	if (s->sp == NULL || s->st.broken)
		return SPOOL_E_BROKEN;
	if (spool_durable(s->sp) >= s->appended)
		return SPOOL_OK;
	if ((e = spool_flush(s->sp)) != SPOOL_OK)
		spool_event(s, MDF_SEV_SPOOL_ERROR);
	return e;
}

void
mdf_stream_kick(struct mdf_stream *s)
{
	mdf_link_kick(s);
}

/* ------------------------------------------------------------------ checkpoint */

enum mdf_state_err
mdf_stream_checkpoint(struct mdf_stream *s)
{
	/* The core wrote every counter (all of them cover what is appended now). */
	s->ckpt_pending = s->appended;
	return mdf_state_stream_put(s->env->state, s->id, s->ckpt_pending, s->delivered);
}

void
mdf_stream_checkpoint_done(struct mdf_stream *s, int committed)
{
	if (!committed)
		return;
	if (s->ckpt_pending > s->ckpt)
		s->ckpt = s->ckpt_pending;
	ack_update(s);
	/* Void ranges the spool has forgotten are of no further interest. */
	if (s->nvoids > 0 && s->voids[0].last <= s->acked) {
		size_t k = 0;
		for (size_t i = 0; i < s->nvoids; i++)
			if (s->voids[i].last > s->acked)
				s->voids[k++] = s->voids[i];
		s->nvoids = k;
		(void)mdf_state_void_trim(s->env->state, s->id, s->acked);
	}
}

/* ------------------------------------------------------------------ open and recovery */

static int
void_push(struct mdf_stream *s, uint64_t first, uint64_t last)
{
	if (s->nvoids > 0 && s->voids[s->nvoids - 1].last + 1 == first) {
		s->voids[s->nvoids - 1].last = last;
		return 0;
	}
	if (s->nvoids == MAX_VOIDS)
		return -1;
	if (s->voids == NULL && (s->voids = calloc(MAX_VOIDS, sizeof(*s->voids))) == NULL)
		return -1;
	s->voids[s->nvoids++] = (struct void_range){first, last};
	return 0;
}

static int
void_load(void *arg, uint64_t first, uint64_t last)
{
	return void_push(arg, first, last);
}

/* Applies one committed record's trailer to the counters and the recent-set. */
static int
recover_record(struct mdf_stream *s, uint64_t recno, const struct mdf_record *rec)
{
	struct mdf_record r = *rec;
	struct mdf_rec_seq q;
	uint64_t fp;

	while (mdf_record_next_fp(&r, &fp))
		if (fp != 0)
			mdf_dedup_add(&s->dedup, fp);
	while (mdf_record_next_seq(&r, &q))
		if (s->env->roll(s->env->roll_arg, &q) != 0)
			return -1;
	retain_push(s, recno, r.npdu);
	return 0;
}

/* Reads every record the spool still holds (from the first unacknowledged one), then rewinds
 * the reader for the link.  Records of an epoch the journal did not commit become void. */
static int
recover(struct mdf_stream *s, char *err, size_t errlen)
{
	struct spool_stats ss;
	struct mdf_record r;
	size_t len;
	uint64_t recno, first, last, vfirst = 0, vlast = 0;
	char d[256];

	for (;;) {
		enum spool_err e = spool_read_next(s->sp, s->rbuf, SPOOL_RECORD_MAX, &len, &recno);
		if (e == SPOOL_E_EMPTY)
			break;
		if (e == SPOOL_E_CORRUPT || e == SPOOL_E_GAP || e == SPOOL_E_ORDER) {
			spool_event(s, MDF_SEV_SPOOL_ERROR);
			if (spool_skip_damaged(s->sp, &first, &last) != SPOOL_OK) {
				snprintf(err, errlen, "spool %s: cannot skip damaged records", s->id);
				return -1;
			}
			if (first <= last) {
				s->st.lost_records += last - first + 1;
				snprintf(d, sizeof(d), "records %" PRIu64 "..%" PRIu64 " given up",
				    first, last);
				mdf_stream_event(s, MDF_SEV_LOST, d);
			}
			continue;
		}
		if (e != SPOOL_OK) {
			spool_error_format(spool_last_error(s->sp), d, sizeof(d));
			snprintf(err, errlen, "spool %s: %s", s->id, d);
			return -1;
		}
		s->st.recovered_records++;
		if (mdf_record_parse(s->rbuf, len, (uint8_t)s->kind, &r) != MDF_REC_OK) {
			s->st.bad_records++;
			mdf_stream_event(s, MDF_SEV_BAD_RECORD, "unreadable record at open");
			continue;
		}
		if (r.epoch > s->env->max_epoch)
			s->env->max_epoch = r.epoch;
		if (mdf_stream_is_void(s, recno))
			continue;
		if (r.epoch > s->env->committed) {
			/* Written in a round whose commit never reached the journal. */
			if (vfirst == 0)
				vfirst = recno;
			vlast = recno;
			s->st.void_records++;
			continue;
		}
		if (recover_record(s, recno, &r) != 0) {
			snprintf(err, errlen, "stream %s: counters cannot be rebuilt (state "
			    "database or memory)", s->id);
			return -1;
		}
	}
	if (vfirst != 0) {
		/* Saved before anything new is appended, so that the next open (whatever the
		 * journal says by then) never takes them for committed records. */
		if (mdf_state_void_add(s->env->state, s->id, vfirst, vlast) != MDF_ST_OK ||
		    void_push(s, vfirst, vlast) != 0) {
			snprintf(err, errlen, "stream %s: cannot record uncommitted records", s->id);
			return -1;
		}
	}
	spool_rewind(s->sp);
	spool_stats(s->sp, &ss);
	s->appended = ss.next_recno - 1;
	s->acked = ss.acked;
	/* A delivered mark beyond what the spool holds cannot be trusted for records numbered
	 * from now on (records are sent only once durable, so this means a damaged spool). */
	if (s->delivered > s->appended)
		s->delivered = s->appended;
	if (s->ckpt > s->appended)
		s->ckpt = s->appended;
	if (s->retain_from < s->acked)
		s->retain_from = s->acked;
	return 0;
}

static int
spool_start(struct mdf_stream *s, char *err, size_t errlen)
{
	struct spool_error se;
	char d[256];

	s->sp = spool_open(s->spool_dir, &s->spool_cfg, &se);
	if (s->sp == NULL) {
		spool_error_format(&se, d, sizeof(d));
		snprintf(err, errlen, "spool %s: %s", s->id, d);
		return -1;
	}
	s->ret_n = 0;
	s->ret_fps = 0;
	s->retain_from = 0;
	if (recover(s, err, errlen) != 0) {
		spool_close(s->sp);
		s->sp = NULL;
		return -1;
	}
	return 0;
}

struct mdf_stream *
mdf_stream_open(struct ev_loop *loop, struct mdf_stream_env *env,
    const struct mdf_stream_config *cfg, char *err, size_t errlen)
{
	struct mdf_stream *s;
	enum mdf_state_err se;
	uint64_t ckpt, delivered;

	if (cfg->id == NULL || strlen(cfg->id) >= MDF_STREAM_ID_MAX || cfg->hdr == NULL ||
	    (cfg->kind != MDF_HI2 && cfg->kind != MDF_HI3) || cfg->spool_dir == NULL ||
	    env->roll == NULL) {
		snprintf(err, errlen, "stream: invalid configuration");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "stream %s: out of memory", cfg->id);
		return NULL;
	}
	s->loop = loop;
	s->env = env;
	s->fd = -1;
	snprintf(s->id, sizeof(s->id), "%s", cfg->id);
	s->kind = cfg->kind;
	s->spool_cfg = cfg->spool;
	s->max_pdu = cfg->max_pdu;
	s->window = cfg->dedup_window;
	s->on_event = cfg->on_event;
	s->arg = cfg->arg;
	s->hdr = *cfg->hdr;
	if ((s->spool_dir = strdup(cfg->spool_dir)) == NULL ||
	    (s->rbuf = malloc(SPOOL_RECORD_MAX)) == NULL ||
	    mdf_batch_init(&s->batch, (uint8_t)cfg->kind, cfg->max_pdu, &env->gens) != 0 ||
	    mdf_dedup_init(&s->dedup, cfg->dedup_window) != 0) {
		snprintf(err, errlen, "stream %s: out of memory", cfg->id);
		goto fail;
	}
	se = mdf_state_stream_get(env->state, s->id, &ckpt, &delivered);
	if (se != MDF_ST_OK && se != MDF_ST_NOT_FOUND) {
		snprintf(err, errlen, "stream %s: state database: %s", s->id,
		    mdf_state_strerror(se));
		goto fail;
	}
	s->ckpt = ckpt;
	s->delivered = delivered;
	if ((se = mdf_state_void_list(env->state, s->id, void_load, s)) != MDF_ST_OK) {
		snprintf(err, errlen, "stream %s: state database: %s", s->id,
		    mdf_state_strerror(se));
		goto fail;
	}
	if (mdf_link_init(s, cfg, err, errlen) != 0)
		goto fail;
	if (spool_start(s, err, errlen) != 0)
		goto fail;
	mdf_link_restart(s);
	return s;
fail:
	mdf_stream_close(s);
	return NULL;
}

void
mdf_stream_close(struct mdf_stream *s)
{
	if (s == NULL)
		return;
	mdf_link_cleanup(s);
	if (s->sp != NULL) {
		ack_update(s);
		spool_close(s->sp);
	}
	mdf_batch_cleanup(&s->batch);
	mdf_dedup_cleanup(&s->dedup);
	mdf_memq_clear(s);
	for (size_t i = 0; i < s->mq_nfree; i++)
		free(s->mq_free[i]);
	free(s->voids);
	free(s->ret);
	free(s->rbuf);
	free(s->spool_dir);
	free(s);
}

const char *
mdf_stream_id(const struct mdf_stream *s)
{
	return s->id;
}

enum mdf_kind
mdf_stream_kind(const struct mdf_stream *s)
{
	return s->kind;
}

void
mdf_stream_tick(struct mdf_stream *s, uint64_t now)
{
	char err[256];

	if (s->sp != NULL && !s->st.broken)
		(void)spool_poll(s->sp, NULL);	/* time-based batch sync; errors show on append */
	if (s->st.broken && now >= s->reopen_at) {
		/* Reopen: recovery re-reads the records, which only raises counters and re-adds
		 * fingerprints (both idempotent), and the link resends from the first record not
		 * delivered. */
		mdf_link_restart(s);
		if (s->sp != NULL)
			spool_close(s->sp);
		s->sp = NULL;
		if (spool_start(s, err, sizeof(err)) == 0) {
			s->st.broken = 0;
			mdf_stream_event(s, MDF_SEV_SPOOL_OK, "spool reopened");
		} else {
			mdf_stream_event(s, MDF_SEV_SPOOL_ERROR, err);
			s->reopen_at = now + REOPEN_EVERY_MS;
		}
	}
}

uint64_t
mdf_stream_pending(const struct mdf_stream *s)
{
	return s->appended - s->delivered + (mdf_batch_empty(&s->batch) ? 0 : 1);
}

void
mdf_stream_stats(const struct mdf_stream *s, struct mdf_stream_stats *out)
{
	struct spool_stats ss;

	*out = s->st;
	out->appended = s->appended;
	out->delivered = s->delivered;
	out->acked = s->acked;
	out->ckpt = s->ckpt;
	out->dedup_size = mdf_dedup_count(&s->dedup);
	out->up = s->ls == L_UP;
	if (s->sp != NULL) {
		spool_stats(s->sp, &ss);
		out->spool_bytes = ss.bytes;
		out->spool_segments = ss.segments;
	}
}
