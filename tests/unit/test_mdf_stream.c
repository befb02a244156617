/*
 * One MDF delivery stream against an in-process LEMF over loopback (src/mdf/mdf_stream.c,
 * mdf_link.c): delivery with keep-alive acknowledgements; agency down then up (spooled, then
 * replayed in order); sequence numbers and the recent-set surviving a close without checkpoint
 * (rebuilt from the spool) and with one (from the state database); the spool bound (alarm,
 * counted drops, recovery); a LEMF that never answers keep-alives (timeouts and resends in
 * keep-alive mode, SIOCOUTQ acknowledgements in tcp mode); a LEMF dropping the connection in
 * the middle (resent, nothing missing); mutual TLS, and a LEMF from another CA refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdf/mdf_stream.h"
#include "pki/pki.h"
#include "test_mdf_util.h"

static const uint8_t xid[16] = {1, 2, 3, 4, 5, 6, 0x47, 8, 0x89, 10, 11, 12, 13, 14, 15, 16};

struct fx {
	char dir[64];
	char spool[128];
	struct ev_loop *loop;
	struct mdf_state *state;
	uint8_t key[16];
	struct mdf_stream_env env;	/* the core's part, played by the test */
	struct mdf_seqtab *seq;
	struct hi2_pshdr hdr;
	struct mdf_stream_config sc;
	struct mdf_stream *s;
	struct tm_lemf lemf;
	int events[MDF_SEV_BAD_RECORD + 1];
	uint32_t pdu_seq;		/* X2/X3 sequence numbers we give */
	struct tls_ctx *cli, *srv, *srv_other;
};

static void
on_event(void *arg, struct mdf_stream *s, enum mdf_stream_event ev, const char *detail)
{
	struct fx *f = arg;
	f->events[ev]++;
}

/* The counter of (liid, cin): the test's copy of what the core does. */
static struct mdf_cin *
counter(struct fx *f, const uint8_t *liid, size_t len, uint32_t cin)
{
	struct mdf_cin *e = mdf_seqtab_find(f->seq, liid, len, cin);
	struct hi2_pshdr h = f->hdr;
	enum hi2_err he;
	uint32_t next = 0;
	if (e != NULL)
		return e;
	(void)mdf_state_seq_get(f->state, liid, len, cin, &next);
	h.liid.p = liid;
	h.liid.len = len;
	h.cin = cin;
	h.seq = next;
	return mdf_seqtab_add(f->seq, &h, &he);
}

static int
roll(void *arg, const struct mdf_rec_seq *q)
{
	struct fx *f = arg;
	struct mdf_cin *e = counter(f, q->liid, q->liid_len, q->cin);
	if (e == NULL)
		return -1;
	if ((int32_t)(q->next - e->hs.hdr.seq) > 0)
		e->hs.hdr.seq = q->next;
	return 0;
}

/* The core's commit round, reduced: append, then the epoch is committed (durably: the test
 * spools use fsync batch, and the link also waits for the spool's own durability). */
static void
commit(struct fx *f)
{
	mdf_stream_commit(f->s);
	if (f->env.round_dirty) {
		f->env.committed = f->env.committed_durable = f->env.epoch++;
		f->env.round_dirty = 0;
		mdf_stream_kick(f->s);
	}
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[160];
	static const char *const roles[] = {"mdf", "lemf"};

	signal(SIGPIPE, SIG_IGN);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_mdf_stream.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->spool, sizeof(f->spool), "%s/stream-hi3", f->dir);
	snprintf(path, sizeof(path), "%s/mdf-state.db", f->dir);
	assert_int_equal(mdf_state_open(path, &f->state), MDF_ST_OK);
	mdf_state_key(f->state, f->key);
	f->env.state = f->state;
	memcpy(f->env.key, f->key, 16);
	f->env.epoch = 1;
	f->env.roll = roll;
	f->env.roll_arg = f;
	assert_non_null(f->seq = mdf_seqtab_new(1000));
	f->loop = ev_new();
	f->hdr.operator_id.p = (const uint8_t *)"operator-x";
	f->hdr.operator_id.len = 10;
	f->hdr.has_tsq = 1;
	f->hdr.tsq = 1;
	memset(&f->sc, 0, sizeof(f->sc));
	f->sc.id = "stream-hi3";
	f->sc.kind = MDF_HI3;
	f->sc.spool_dir = f->spool;
	spool_cfg_default(&f->sc.spool);
	f->sc.spool.segment_bytes = 1 << 20;
	f->sc.spool.max_bytes = 64 << 20;
	f->sc.max_pdu = X2X3_MAX_PDU_DEFAULT;
	f->sc.dedup_window = 4096;
	f->sc.hdr = &f->hdr;
	f->sc.keepalive_liid = "KEEPALIVE";
	f->sc.addr = "127.0.0.1";
	f->sc.insecure_plaintext = 1;
	f->sc.ack = MDF_ACK_KEEPALIVE;
	f->sc.keepalive_ms = 1000;
	f->sc.keepalive_timeout_ms = 1000;
	f->sc.ack_interval_ms = 20;
	f->sc.connect_timeout_ms = 1000;
	f->sc.backoff_min_ms = 20;
	f->sc.backoff_max_ms = 100;
	f->sc.on_event = on_event;
	f->sc.arg = f;
	f->lemf.answer = 1;
	f->lemf.lfd = -1;
	/* Two PKIs: ours, and a foreign one for the refusal test. */
	snprintf(path, sizeof(path), "%s/pki", f->dir);
	assert_int_equal(pki_init(path, roles, 2, 1), PKI_OK);
	char ca[200], crt[200], key[200];
	snprintf(ca, sizeof(ca), "%s/pki/ca.pem", f->dir);
	snprintf(crt, sizeof(crt), "%s/pki/mdf.pem", f->dir);
	snprintf(key, sizeof(key), "%s/pki/mdf.key", f->dir);
	struct tls_config tc = {ca, crt, key};
	enum tls_err te;
	assert_non_null(f->cli = tls_ctx_new(TLS_CLIENT, &tc, &te));
	snprintf(crt, sizeof(crt), "%s/pki/lemf.pem", f->dir);
	snprintf(key, sizeof(key), "%s/pki/lemf.key", f->dir);
	assert_non_null(f->srv = tls_ctx_new(TLS_SERVER, &tc, &te));
	snprintf(path, sizeof(path), "%s/pki2", f->dir);
	assert_int_equal(pki_init(path, roles, 2, 1), PKI_OK);
	snprintf(ca, sizeof(ca), "%s/pki2/ca.pem", f->dir);
	snprintf(crt, sizeof(crt), "%s/pki2/lemf.pem", f->dir);
	snprintf(key, sizeof(key), "%s/pki2/lemf.key", f->dir);
	struct tls_config tc2 = {ca, crt, key};
	assert_non_null(f->srv_other = tls_ctx_new(TLS_SERVER, &tc2, &te));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	mdf_stream_close(f->s);
	tm_lemf_free(&f->lemf);
	mdf_seqtab_free(f->seq);
	mdf_state_close(f->state);
	ev_free(f->loop);
	tls_ctx_free(f->cli);
	tls_ctx_free(f->srv);
	tls_ctx_free(f->srv_other);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
open_stream(struct fx *f, uint16_t port)
{
	char err[256];
	f->sc.port = port;
	f->s = mdf_stream_open(f->loop, &f->env, &f->sc, err, sizeof(err));
	if (f->s == NULL)
		fail_msg("open: %s", err);
}

/* One PDU copy into the stream with the LIID's counter, as the core does. */
static enum mdf_drop
put1(struct fx *f, uint32_t cin, struct mdf_item *it, uint64_t fp)
{
	struct mdf_cin *e = counter(f, (const uint8_t *)"LIID-A", 6, cin);
	uint32_t seq;
	enum mdf_drop r;
	assert_non_null(e);
	seq = e->hs.hdr.seq;
	r = mdf_stream_put(f->s, e, seq, it, fp, ev_now_ms());
	e->hs.hdr.seq = r == MDF_DROP_NONE ? seq + 1 : seq;
	return r;
}

/* Puts n CC PDUs over `cins` CINs of one LIID; fingerprints from our own X2/X3 sequence. */
static void
put(struct fx *f, int n, int cins, uint64_t poi)
{
	uint8_t ip[32];
	struct x2x3_pdu pdu;
	struct mdf_item it;
	struct hi2_diag d;
	struct timespec now = {0, 0};

	for (int i = 0; i < n; i++) {
		uint64_t corr = (uint64_t)(i % cins) + 1;
		tm_ipv4(ip, f->pdu_seq);
		tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_IPV4, xid, corr, f->pdu_seq++, 1700000000,
		    (uint32_t)i, ip, sizeof(ip));
		assert_int_equal(mdf_item_prepare(&it, &pdu, &now, 3, &d), MDF_DROP_NONE);
		enum mdf_drop r = put1(f, mdf_cin(f->key, corr), &it,
		    mdf_fingerprint(f->key, poi, &pdu));
		assert_int_equal(r, MDF_DROP_NONE);
		if (i % 50 == 49)
			commit(f);	/* a loop iteration's worth */
	}
	commit(f);
}

/* Closes the stream as a crash would leave it: what is appended stays, nothing is saved. */
static void
crash(struct fx *f)
{
	mdf_stream_close(f->s);
	f->s = NULL;
	mdf_seqtab_free(f->seq);
	assert_non_null(f->seq = mdf_seqtab_new(1000));
}

static int
ckpt_one(void *arg, struct mdf_cin *e)
{
	struct fx *f = arg;
	assert_int_equal(mdf_state_seq_put(f->state, e->hs.liid, e->hs.hdr.liid.len,
	    e->hs.hdr.cin, e->hs.hdr.seq, 1700000000), MDF_ST_OK);
	e->saved = e->hs.hdr.seq;
	return 0;
}

static void
checkpoint(struct fx *f)
{
	commit(f);
	assert_int_equal(mdf_stream_flush(f->s), SPOOL_OK);
	assert_int_equal(mdf_state_begin(f->state), MDF_ST_OK);
	mdf_seqtab_foreach(f->seq, ckpt_one, f);
	assert_int_equal(mdf_stream_checkpoint(f->s), MDF_ST_OK);
	assert_int_equal(mdf_state_commit(f->state), MDF_ST_OK);
	mdf_stream_checkpoint_done(f->s, 1);
}

static int
all_delivered(void *arg)
{
	struct fx *f = arg;
	return mdf_stream_pending(f->s) == 0;
}

/* Checks the LEMF's PDUs: every (CIN, seq) from 0 up to its count, in order per CIN the first
 * time it appears; returns the number of distinct PDUs and counts duplicates. */
static size_t
check_lemf(struct fx *f, size_t *dups, int in_order)
{
	struct ovt_cursor c;
	enum { MAXC = 16, MAXS = 20000 };
	static uint8_t seen[MAXC][MAXS];
	uint32_t cins[MAXC];
	uint32_t last[MAXC];
	int ncin = 0;
	size_t distinct = 0;

	memset(seen, 0, sizeof(seen));
	*dups = 0;
	cur_init(&c, f->lemf.pdus, f->lemf.pdus_len);
	while (cur_len(&c) > 0) {
		size_t n;
		struct hi2_diag d;
		struct hi2_pdu pdu;
		assert_int_equal(hi2_split(cur_data(&c), cur_len(&c), cur_len(&c), &n, &d), HI2_OK);
		assert_int_equal(hi2_decode(cur_data(&c), n, &pdu, &d), HI2_OK);
		assert_int_equal(pdu.liid.len, 6);
		assert_memory_equal(pdu.liid.p, "LIID-A", 6);
		int k;
		for (k = 0; k < ncin && cins[k] != pdu.cin; k++)
			;
		if (k == ncin) {
			assert_true(ncin < MAXC);
			cins[ncin] = pdu.cin;
			last[ncin++] = UINT32_MAX;
		}
		assert_true(pdu.seq < MAXS);
		if (seen[k][pdu.seq]) {
			(*dups)++;
		} else {
			/* New PDUs of one CIN arrive in sequence order. */
			if (in_order)
				assert_int_equal(pdu.seq, last[k] + 1);
			last[k] = pdu.seq;
			seen[k][pdu.seq] = 1;
			distinct++;
		}
		cur_skip(&c, n);
	}
	/* No gaps: every CIN's numbers are 0..max. */
	for (int k = 0; k < ncin; k++)
		for (uint32_t s = 0; s <= last[k]; s++)
			assert_true(seen[k][s]);
	return distinct;
}

static void
test_deliver(void **state)
{
	struct fx *f = *state;
	struct mdf_stream_stats st;
	size_t dups;

	assert_int_equal(tm_lemf_start(&f->lemf, f->loop, NULL, 0), 0);
	open_stream(f, f->lemf.port);
	put(f, 1000, 3, 1);
	assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
	assert_int_equal(check_lemf(f, &dups, 1), 1000);
	assert_int_equal(dups, 0);
	mdf_stream_stats(f->s, &st);
	assert_int_equal(st.pdus, 1000);
	assert_true(st.ka_acked > 0);
	assert_int_equal(st.delivered, st.appended);
	assert_int_equal(st.connects, 1);
	/* Idle: no keep-alive before keepalive_ms (1 s) has passed since the last one. */
	uint64_t ka = st.ka_sent, end = ev_now_ms() + 600;
	while (ev_now_ms() < end)
		ev_run_once(f->loop);
	mdf_stream_stats(f->s, &st);
	fprintf(stderr, "ka %llu -> %llu\n", (unsigned long long)ka, (unsigned long long)st.ka_sent);
	assert_true(st.ka_sent <= ka + 1);
	/* The spool forgets only what is delivered, checkpointed and outside the recent-set
	 * window (4096 > 1000 PDUs: nothing yet). */
	checkpoint(f);
	mdf_stream_stats(f->s, &st);
	assert_int_equal(st.acked, 0);
	assert_int_equal(f->events[MDF_SEV_CONNECTED], 1);
}

static int
stream_up(void *arg)
{
	struct fx *f = arg;
	struct mdf_stream_stats st;
	mdf_stream_stats(f->s, &st);
	return st.up && st.ka_acked > 0;
}

/* Records appended while the link is up are sent from memory (no read-back); more than it
 * holds at once go through the spool; both interleave in record order. */
static void
test_deliver_memory(void **state)
{
	struct fx *f = *state;
	struct mdf_stream_stats st;
	size_t dups;

	assert_int_equal(tm_lemf_start(&f->lemf, f->loop, NULL, 0), 0);
	open_stream(f, f->lemf.port);
	assert_true(tm_run_until(f->loop, stream_up, f, 10000));
	/* One record per commit, the loop running in between: all from memory. */
	for (int r = 0; r < 20; r++) {
		put(f, 30, 3, 1);
		for (int i = 0; i < 3; i++)
			ev_run_once(f->loop);
	}
	assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
	mdf_stream_stats(f->s, &st);
	assert_int_equal(st.appended, st.delivered);
	assert_true(st.mem_records > 0);
	uint64_t mem1 = st.mem_records, sent1 = st.sent_records;
	/* 60 records at once: more than memory holds, the rest read back from the spool. */
	put(f, 3000, 3, 1);
	assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
	mdf_stream_stats(f->s, &st);
	assert_true(st.mem_records > mem1);
	assert_true(st.sent_records - sent1 > st.mem_records - mem1);
	assert_int_equal(st.resent_records, 0);
	assert_int_equal(check_lemf(f, &dups, 1), 3600);
	assert_int_equal(dups, 0);
}

static void
test_down_then_up(void **state)
{
	struct fx *f = *state;
	struct mdf_stream_stats st;
	size_t dups;

	/* Find a free port, then keep it closed while the MDF spools. */
	assert_int_equal(tm_lemf_start(&f->lemf, f->loop, NULL, 0), 0);
	uint16_t port = f->lemf.port;
	tm_lemf_stop(&f->lemf);
	open_stream(f, port);
	put(f, 600, 4, 1);
	for (int i = 0; i < 30; i++)
		ev_run_once(f->loop);
	mdf_stream_stats(f->s, &st);
	assert_int_equal(st.delivered, 0);
	assert_true(st.appended > 0);
	assert_int_equal(mdf_stream_pending(f->s), st.appended);
	/* The agency comes back: everything replayed, in order. */
	assert_int_equal(tm_lemf_start(&f->lemf, f->loop, NULL, port), 0);
	assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
	assert_int_equal(check_lemf(f, &dups, 1), 600);
	assert_int_equal(dups, 0);
	mdf_stream_stats(f->s, &st);
	assert_true(st.connect_failures > 0);
	assert_int_equal(st.mem_records, 0);	/* appended while down: from the spool */
}

static void
test_restart(void **state)
{
	struct fx *f = *state;
	struct mdf_stream_stats st;
	size_t dups;

	assert_int_equal(tm_lemf_start(&f->lemf, f->loop, NULL, 0), 0);
	open_stream(f, f->lemf.port);
	put(f, 300, 2, 1);
	assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
	/* 1. Close without a checkpoint: as after kill -9 (the spool has every record; the
	 * state database nothing).  Counters and the recent-set come back from the spool. */
	crash(f);
	open_stream(f, f->lemf.port);
	mdf_stream_stats(f->s, &st);
	assert_int_equal(st.recovered_records, st.appended);
	/* The same X2/X3 PDUs again (a POI resending): all duplicates. */
	uint32_t saved = f->pdu_seq;
	f->pdu_seq = 0;
	{
		uint8_t ip[32];
		struct x2x3_pdu pdu;
		struct mdf_item it;
		struct hi2_diag d;
		struct timespec now = {0, 0};
		for (int i = 0; i < 300; i++) {
			uint64_t corr = (uint64_t)(i % 2) + 1;
			tm_ipv4(ip, f->pdu_seq);
			tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_IPV4, xid, corr, f->pdu_seq++,
			    1700000000, (uint32_t)i, ip, sizeof(ip));
			assert_int_equal(mdf_item_prepare(&it, &pdu, &now, 3, &d), MDF_DROP_NONE);
			assert_int_equal(put1(f, mdf_cin(f->key, corr), &it,
			    mdf_fingerprint(f->key, 1, &pdu)), MDF_DROP_DUPLICATE);
		}
	}
	f->pdu_seq = saved;
	/* New PDUs continue the sequence numbers (the LEMF would drop reused ones). */
	put(f, 100, 2, 1);
	assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
	/* Without a checkpoint the delivered mark was not saved either: the 300 records went
	 * out again (at-least-once), and are duplicates at the LEMF. */
	assert_int_equal(check_lemf(f, &dups, 0), 400);
	assert_int_equal(dups, 300);
	/* 2. With a checkpoint and a clean close; then a spool that lost nothing, reopened. */
	checkpoint(f);
	crash(f);
	open_stream(f, f->lemf.port);
	put(f, 100, 2, 1);
	assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
	/* Delivered records are not sent again after this restart (the delivered mark was
	 * checkpointed): no new duplicates. */
	assert_int_equal(check_lemf(f, &dups, 0), 500);
	assert_int_equal(dups, 300);
	mdf_stream_stats(f->s, &st);
	assert_int_equal(st.resent_records, 0);
}

static void
test_uncommitted(void **state)
{
	struct fx *f = *state;
	struct mdf_stream_stats st;
	size_t dups;
	uint8_t ip[32];
	struct x2x3_pdu pdu;
	struct mdf_item it;
	struct hi2_diag d;
	struct timespec now = {0, 0};

	assert_int_equal(tm_lemf_start(&f->lemf, f->loop, NULL, 0), 0);
	open_stream(f, f->lemf.port);
	put(f, 100, 2, 1);
	assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
	checkpoint(f);
	/* A round whose commit never happens: appended, never sent. */
	uint32_t first = f->pdu_seq;
	for (int i = 0; i < 50; i++) {
		tm_ipv4(ip, f->pdu_seq);
		tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_IPV4, xid, (uint64_t)(i % 2) + 1, f->pdu_seq++,
		    1700000000, (uint32_t)i, ip, sizeof(ip));
		mdf_item_prepare(&it, &pdu, &now, 3, &d);
		assert_int_equal(put1(f, mdf_cin(f->key, (uint64_t)(i % 2) + 1), &it,
		    mdf_fingerprint(f->key, 1, &pdu)), MDF_DROP_NONE);
	}
	assert_int_equal(mdf_stream_commit(f->s), 1);
	f->env.round_dirty = 0;
	for (int i = 0; i < 20; i++)
		ev_run_once(f->loop);
	assert_int_equal(f->lemf.npdus, 100);
	/* Crash.  At open those records are void: not rolled forward, not in the recent-set,
	 * never sent; the POI's resend mediates them again with the same numbers. */
	crash(f);
	open_stream(f, f->lemf.port);
	mdf_stream_stats(f->s, &st);
	assert_int_equal(st.void_records, 1);
	f->pdu_seq = first;
	put(f, 50, 2, 1);
	assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
	assert_int_equal(check_lemf(f, &dups, 1), 150);
	assert_int_equal(dups, 0);
	checkpoint(f);
	/* Another crash after more commits: the void range is remembered (state database),
	 * whatever the journal says now. */
	f->env.committed = f->env.committed_durable = f->env.epoch + 10;
	f->env.epoch += 11;
	crash(f);
	open_stream(f, f->lemf.port);
	put(f, 10, 2, 1);
	assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
	assert_int_equal(check_lemf(f, &dups, 1), 160);
	assert_int_equal(dups, 0);
}

static void
test_spool_full(void **state)
{
	struct fx *f = *state;
	struct mdf_stream_stats st;
	size_t dups;

	assert_int_equal(tm_lemf_start(&f->lemf, f->loop, NULL, 0), 0);
	uint16_t port = f->lemf.port;
	tm_lemf_stop(&f->lemf);
	f->sc.spool.segment_bytes = 64 << 10;
	f->sc.spool.max_bytes = 256 << 10;
	f->sc.dedup_window = 16;
	open_stream(f, port);
	/* About 130 octets per PS-PDU: 256 KiB holds about 2000. */
	uint8_t ip[32];
	struct x2x3_pdu pdu;
	struct mdf_item it;
	struct hi2_diag d;
	struct timespec now = {0, 0};
	int full = 0;
	for (int i = 0; i < 5000; i++) {
		tm_ipv4(ip, (uint32_t)i);
		tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_IPV4, xid, 1, f->pdu_seq++, 1700000000, 0, ip,
		    sizeof(ip));
		mdf_item_prepare(&it, &pdu, &now, 3, &d);
		put1(f, 7, &it, mdf_fingerprint(f->key, 1, &pdu));
		if (i % 50 == 49)
			commit(f);
	}
	commit(f);
	mdf_stream_stats(f->s, &st);
	full = st.full_alarm;
	assert_true(full);
	assert_true(st.full_events > 0);
	assert_true(st.drops[MDF_DROP_SPOOL_FULL] > 0);
	assert_int_equal(f->events[MDF_SEV_SPOOL_FULL], 1);	/* once per episode */
	assert_true(st.spool_bytes <= 256 << 10);
	/* The agency comes back: what the spool holds is delivered, the LEMF sees the gap of
	 * the dropped PDUs, and once delivered + checkpointed the spool has room again. */
	assert_int_equal(tm_lemf_start(&f->lemf, f->loop, NULL, port), 0);
	assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
	checkpoint(f);
	assert_int_equal(f->lemf.npdus, st.pdus - st.drops[MDF_DROP_SPOOL_FULL]);
	put(f, 100, 1, 2);
	mdf_stream_stats(f->s, &st);
	assert_false(st.full_alarm);
	assert_int_equal(f->events[MDF_SEV_SPOOL_OK], 1);
	(void)dups;
}

static void
test_retention_release(void **state)
{
	struct fx *f = *state;
	struct mdf_stream_stats st;
	size_t dups;

	/* A recent-set window larger than the spool: records delivered and checkpointed but
	 * kept for the recent-set are given up for room; nothing new is refused. */
	assert_int_equal(tm_lemf_start(&f->lemf, f->loop, NULL, 0), 0);
	f->sc.spool.segment_bytes = 64 << 10;
	f->sc.spool.max_bytes = 256 << 10;
	f->sc.dedup_window = 100000;
	open_stream(f, f->lemf.port);
	for (int round = 0; round < 12; round++) {
		put(f, 500, 2, 1);
		assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
		checkpoint(f);
	}
	mdf_stream_stats(f->s, &st);
	assert_int_equal(st.full_events, 0);
	assert_int_equal(st.drops[MDF_DROP_SPOOL_FULL], 0);
	assert_true(st.retention_released > 0);
	assert_int_equal(check_lemf(f, &dups, 1), 6000);
	assert_int_equal(dups, 0);
}

static void
test_no_keepalive_answers(void **state)
{
	struct fx *f = *state;
	struct mdf_stream_stats st;
	size_t dups;

	f->lemf.answer = 0;
	assert_int_equal(tm_lemf_start(&f->lemf, f->loop, NULL, 0), 0);
	open_stream(f, f->lemf.port);
	put(f, 200, 1, 1);
	/* keep-alive mode: nothing counts as delivered; the timeout reconnects and resends. */
	uint64_t end = ev_now_ms() + 2600;
	while (ev_now_ms() < end)
		ev_run_once(f->loop);
	mdf_stream_stats(f->s, &st);
	assert_int_equal(st.delivered, 0);
	assert_true(st.ka_timeouts >= 1);
	assert_true(st.resent_records >= 1);
	assert_true(f->lemf.npdus >= 400);
	assert_int_equal(check_lemf(f, &dups, 0), 200);
	assert_true(dups >= 200);
	/* tcp mode: the peer's TCP acknowledgements (SIOCOUTQ) make it delivered. */
	assert_int_equal(mdf_stream_set_peer(f->s, "127.0.0.1", f->lemf.port, 1, NULL, NULL,
	    MDF_ACK_TCP), 0);
	assert_true(tm_run_until(f->loop, all_delivered, f, 5000));
	mdf_stream_stats(f->s, &st);
	assert_int_equal(st.delivered, st.appended);
	/* Bad peer settings are refused. */
	assert_int_equal(mdf_stream_set_peer(f->s, "not-an-address", 1, 1, NULL, NULL,
	    MDF_ACK_TCP), -1);
	assert_int_equal(mdf_stream_set_peer(f->s, "127.0.0.1", 1, 0, NULL, NULL, MDF_ACK_TCP),
	    -1);
}

static void
test_lemf_drops_connection(void **state)
{
	struct fx *f = *state;
	struct mdf_stream_stats st;
	size_t dups;

	assert_int_equal(tm_lemf_start(&f->lemf, f->loop, NULL, 0), 0);
	f->lemf.close_after = 700;
	open_stream(f, f->lemf.port);
	put(f, 2000, 5, 1);
	assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
	mdf_stream_stats(f->s, &st);
	assert_true(st.disconnects >= 1);
	/* Everything arrived at least once; the resent part shows as duplicates only. */
	assert_int_equal(check_lemf(f, &dups, 0), 2000);
	assert_true(st.connects >= 2);
}

static void
test_tls(void **state)
{
	struct fx *f = *state;
	struct mdf_stream_stats st;
	size_t dups;

	/* A LEMF whose certificate is from another CA: refused, nothing counts as sent. */
	assert_int_equal(tm_lemf_start(&f->lemf, f->loop, f->srv_other, 0), 0);
	f->sc.insecure_plaintext = 0;
	f->sc.tls = f->cli;
	open_stream(f, f->lemf.port);
	put(f, 50, 1, 1);
	uint64_t end = ev_now_ms() + 500;
	while (ev_now_ms() < end)
		ev_run_once(f->loop);
	mdf_stream_stats(f->s, &st);
	assert_int_equal(st.connects, 0);
	assert_true(st.connect_failures >= 1);
	assert_int_equal(f->lemf.npdus, 0);
	/* Our CA's LEMF: delivered over mutual TLS. */
	tm_lemf_stop(&f->lemf);
	assert_int_equal(tm_lemf_start(&f->lemf, f->loop, f->srv, 0), 0);
	assert_int_equal(mdf_stream_set_peer(f->s, "127.0.0.1", f->lemf.port, 0, f->cli, NULL,
	    MDF_ACK_KEEPALIVE), 0);
	assert_true(tm_run_until(f->loop, all_delivered, f, 10000));
	assert_int_equal(check_lemf(f, &dups, 1), 50);
	mdf_stream_stats(f->s, &st);
	assert_int_equal(st.connects, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deliver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deliver_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_down_then_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uncommitted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spool_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_keepalive_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lemf_drops_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tls, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
