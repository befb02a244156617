/*
 * The MDF core (src/mdf/mdf_core.c) against an in-process LEMF: X1 mediation details -> routes
 * (two LIIDs, two destinations, HI2/HI3 by the destination's and the mediation's delivery
 * types); one sequence space per LIID + CIN shared by IRI and CC and the same number on every
 * copy; refusals, each counted (POI not accepted, unknown XID, payload format, mediation
 * period, LIID too long for a PS-PDU); POI resends recognised; sequence numbers continuing
 * after the core is closed and opened again on the same state.
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
#include <sys/stat.h>

#include "common/uuid.h"
#include "mdf/mdf_core.h"
#include "test_mdf_util.h"

static const uint8_t xid[16] = {0x29, 0xf2, 0x8e, 0x1c, 0xf2, 0x30, 0x48, 0x6a, 0xa8, 0x60,
    0xf5, 0xa7, 0x84, 0xab, 0x91, 0x72};

struct fx {
	char dir[64];
	struct ev_loop *loop;
	struct mdf_config cfg;
	struct x1_store *store;
	struct mdf_state *state;
	struct mdf_core *core;
	struct x1_hooks hooks;
	struct tm_lemf lemf1, lemf2;
	int alarms;
};

static void
on_alarm(void *arg, const char *msg)
{
	struct fx *f = arg;
	f->alarms++;
}

static void
dest(struct x1_dest *d, const char *did, enum x1_delivery del, uint16_t port)
{
	memset(d, 0, sizeof(*d));
	assert_int_equal(uuid_parse(did, d->did), 0);
	d->delivery = del;
	d->family = X1_AF_IPV4;
	d->addr[0] = 127;
	d->addr[3] = 1;
	d->proto = X1_PORT_TCP;
	d->port = port;
}

#define D1 "d1d1d1d1-0000-4000-8000-000000000001"
#define D2 "d2d2d2d2-0000-4000-8000-000000000002"

static void
task(struct x1_task *t, const char *end1)
{
	memset(t, 0, sizeof(*t));
	memcpy(t->xid, xid, 16);
	t->ntargets = 1;
	t->targets[0].type = X1_TGT_IMSI;
	snprintf(t->targets[0].value, sizeof(t->targets[0].value), "001010123456789");
	t->delivery = X1_X2_AND_X3;
	t->has_mediation = 1;
	t->nmed = 2;
	snprintf(t->med[0].liid, sizeof(t->med[0].liid), "LIID-A");
	t->med[0].delivery = X1_X2_AND_X3;
	t->med[0].ndids = 1;
	uuid_parse(D1, t->med[0].dids[0]);
	snprintf(t->med[1].liid, sizeof(t->med[1].liid), "LIID-B");
	t->med[1].delivery = X1_X2_AND_X3;
	t->med[1].ndids = 1;
	uuid_parse(D2, t->med[1].dids[0]);
	if (end1 != NULL)
		snprintf(t->med[1].end, sizeof(t->med[1].end), "%s", end1);
	t->implicit_deactivation = -1;
}

static void
core_open(struct fx *f)
{
	char err[256];
	struct mdf_core_log lg = {NULL, on_alarm, f};
	f->core = mdf_core_new(&f->cfg, f->loop, NULL, f->store, f->state, &lg, err, sizeof(err));
	if (f->core == NULL)
		fail_msg("core: %s", err);
	mdf_core_x1_hooks(f->core, &f->hooks);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char path[128], now[X1_TS_LEN + 1];
	struct x1_dest d1, d2;
	struct x1_task t;

	signal(SIGPIPE, SIG_IGN);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_mdf_core.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->loop = ev_new();
	f->lemf1.answer = f->lemf2.answer = 1;
	assert_int_equal(tm_lemf_start(&f->lemf1, f->loop, NULL, 0), 0);
	assert_int_equal(tm_lemf_start(&f->lemf2, f->loop, NULL, 0), 0);
	struct mdf_config *c = &f->cfg;
	char yaml[2048], err[256];
	snprintf(yaml, sizeof(yaml),
	    "ne_identifier: mdf-t\nstate_dir: %s/state\noperator_id: ovt\n"
	    "x1: {listen: '127.0.0.1:0', cert: c, key: k, ca: a, db: d, admf_identifiers: [a]}\n"
	    "x2x3: {listen: '127.0.0.1:0', cert: c, key: k, ca: a, accepted_pois: [poi-1]}\n"
	    "hi: {cert: c, key: k, ca: a, ack_interval_ms: 10, destinations: [\n"
	    "  {address: '127.0.0.1:%u', insecure_plaintext: true},\n"
	    "  {address: '127.0.0.1:%u', insecure_plaintext: true}]}\n"
	    "spool: {fsync: always, max_bytes: 16MiB, segment_bytes: 4MiB}\n",
	    f->dir, f->lemf1.port, f->lemf2.port);
	assert_int_equal(mdf_config_parse(yaml, strlen(yaml), c, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/state", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/state/mdf.db", f->dir);
	assert_int_equal(mdf_state_open(path, &f->state), MDF_ST_OK);
	assert_int_equal(x1_store_open(":memory:", &f->store), X1S_OK);
	x1_timestamp_now(now);
	dest(&d1, D1, X1_X2_AND_X3, f->lemf1.port);
	dest(&d2, D2, X1_X2_ONLY, f->lemf2.port);
	task(&t, NULL);
	assert_int_equal(x1_store_begin(f->store), X1S_OK);
	assert_int_equal(x1_store_dest_insert(f->store, &d1, "a", now), X1S_OK);
	assert_int_equal(x1_store_dest_insert(f->store, &d2, "a", now), X1S_OK);
	assert_int_equal(x1_store_task_insert(f->store, &t, "a", now), X1S_OK);
	assert_int_equal(x1_store_commit(f->store), X1S_OK);
	core_open(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	mdf_core_free(f->core);
	tm_lemf_free(&f->lemf1);
	tm_lemf_free(&f->lemf2);
	x1_store_close(f->store);
	mdf_state_close(f->state);
	ev_free(f->loop);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
conn_up(struct fx *f, uint64_t id, const char *cn, int tls)
{
	struct x2x3_peer p;
	memset(&p, 0, sizeof(p));
	p.id = id;
	p.tls = tls;
	snprintf(p.cn, sizeof(p.cn), "%s", cn);
	snprintf(p.addr, sizeof(p.addr), "127.0.0.1");
	mdf_core_on_conn(f->core, &p, X2X3_CONN_UP, X2X3_OK, "TLSv1.3");
}

static void
send_pdu(struct fx *f, uint64_t conn, uint16_t type, uint32_t seq, uint64_t corr, uint32_t ts)
{
	static uint8_t pl[1024];
	struct x2x3_pdu pdu;
	struct x2x3_peer p;
	struct ovt_cursor raw = {NULL, 0};
	uint8_t c8[8] = {0};
	size_t n;

	c8[7] = (uint8_t)corr;
	if (type == X2X3_TYPE_X2) {
		n = tm_iri_payload(pl, sizeof(pl), HI2_EV_BEARER_ACTIVATION, "001010123456789", ts,
		    c8);
		tm_pdu(&pdu, type, X2X3_FMT_EPS_IRI, xid, corr, seq, ts, 0, pl, n);
	} else {
		n = tm_ipv4(pl, seq);
		tm_pdu(&pdu, type, X2X3_FMT_IPV4, xid, corr, seq, ts, 0, pl, n);
	}
	memset(&p, 0, sizeof(p));
	p.id = conn;
	mdf_core_on_pdu(f->core, &p, &pdu, raw);
}

static int
delivered(void *arg)
{
	struct fx *f = arg;
	mdf_core_commit(f->core);
	return mdf_core_pending(f->core) == 0;
}

/* PS-PDUs one LEMF got: kind, LIID and sequence number of each, in order. */
struct seen {
	int n;
	char kind[64];
	char liid[64][8];
	uint32_t seq[64], cin[64];
};

static void
collect(const struct tm_lemf *l, struct seen *s)
{
	struct ovt_cursor c;
	memset(s, 0, sizeof(*s));
	cur_init(&c, l->pdus, l->pdus_len);
	while (cur_len(&c) > 0 && s->n < 64) {
		size_t n;
		struct hi2_diag d;
		struct hi2_pdu pdu;
		assert_int_equal(hi2_split(cur_data(&c), cur_len(&c), cur_len(&c), &n, &d), HI2_OK);
		assert_int_equal(hi2_decode(cur_data(&c), n, &pdu, &d), HI2_OK);
		s->kind[s->n] = pdu.kind == HI2_KIND_IRI ? 'I' : 'C';
		memcpy(s->liid[s->n], pdu.liid.p, pdu.liid.len < 7 ? pdu.liid.len : 7);
		s->seq[s->n] = pdu.seq;
		s->cin[s->n] = pdu.cin;
		s->n++;
		cur_skip(&c, n);
	}
}

static void
test_routes_and_numbers(void **state)
{
	struct fx *f = *state;
	const struct mdf_core_stats *st = mdf_core_stats(f->core);
	struct seen a, b;

	assert_int_equal(mdf_core_ntasks(f->core), 1);
	assert_int_equal(mdf_core_nstreams(f->core), 3);	/* D1: HI2 + HI3, D2: HI2 */
	conn_up(f, 1, "poi-1", 1);
	send_pdu(f, 1, X2X3_TYPE_X2, 0, 7, 1735689600);
	send_pdu(f, 1, X2X3_TYPE_X3, 1, 7, 1735689601);
	send_pdu(f, 1, X2X3_TYPE_X3, 2, 7, 1735689602);
	send_pdu(f, 1, X2X3_TYPE_X2, 3, 7, 1735689603);
	assert_true(tm_run_until(f->loop, delivered, f, 5000));
	assert_int_equal(st->mediated, 4);
	assert_int_equal(st->copies, 6);	/* X2 to A and B, X3 to A only */
	collect(&f->lemf1, &a);
	collect(&f->lemf2, &b);
	assert_int_equal(a.n, 4);
	assert_int_equal(b.n, 2);
	/* LIID-A: IRI and CC numbered together (the LEMF's (LIID, CIN) space), 0..3 in
	 * mediation order, arriving per stream in order. */
	uint8_t seen_a[4] = {0};
	for (int i = 0; i < a.n; i++) {
		assert_string_equal(a.liid[i], "LIID-A");
		assert_true(a.seq[i] < 4);
		seen_a[a.seq[i]]++;
		assert_int_equal(a.kind[i], a.seq[i] == 0 || a.seq[i] == 3 ? 'I' : 'C');
		assert_int_equal(a.cin[i], a.cin[0]);
	}
	assert_memory_equal(seen_a, "\1\1\1\1", 4);
	/* LIID-B: only IRI goes there, numbered 0, 1; same CIN as LIID-A (same correlation). */
	assert_string_equal(b.liid[0], "LIID-B");
	assert_int_equal(b.seq[0], 0);
	assert_int_equal(b.seq[1], 1);
	assert_int_equal(b.cin[0], a.cin[0]);
	/* A POI resend (same XID, sequence number, timestamp): recognised, nothing sent. */
	send_pdu(f, 1, X2X3_TYPE_X3, 2, 7, 1735689602);
	assert_int_equal(st->duplicates, 1);
	/* Another correlation ID: another CIN, numbered from 0. */
	send_pdu(f, 1, X2X3_TYPE_X3, 4, 8, 1735689604);
	assert_true(tm_run_until(f->loop, delivered, f, 5000));
	collect(&f->lemf1, &a);
	assert_int_equal(a.n, 5);
	assert_int_not_equal(a.cin[4], a.cin[0]);
	assert_int_equal(a.seq[4], 0);
}

static void
test_refusals(void **state)
{
	struct fx *f = *state;
	const struct mdf_core_stats *st = mdf_core_stats(f->core);
	struct x2x3_peer p;
	struct x2x3_pdu pdu;
	struct ovt_cursor raw = {NULL, 0};
	uint8_t pl[64];
	char desc[256];

	/* A POI whose certificate CN is not accepted: alarm, PDUs discarded. */
	conn_up(f, 2, "intruder", 1);
	assert_int_equal(f->alarms, 1);
	send_pdu(f, 2, X2X3_TYPE_X3, 0, 7, 1735689600);
	assert_int_equal(st->drops[MDF_DROP_UNAUTHORISED], 1);
	assert_int_equal(st->poi_conns_refused, 1);
	/* A connection never announced (no on_conn): refused as well. */
	send_pdu(f, 99, X2X3_TYPE_X3, 0, 7, 1735689600);
	assert_int_equal(st->drops[MDF_DROP_UNAUTHORISED], 2);
	/* Plaintext peers have no identity: refused when accepted_pois names any. */
	conn_up(f, 3, "", 0);
	send_pdu(f, 3, X2X3_TYPE_X3, 0, 7, 1735689600);
	assert_int_equal(st->drops[MDF_DROP_UNAUTHORISED], 3);
	/* Unknown XID, unknown format. */
	conn_up(f, 1, "poi-1", 1);
	memset(&p, 0, sizeof(p));
	p.id = 1;
	tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_IPV4, xid, 7, 5, 1735689600, 0, pl, tm_ipv4(pl, 1));
	pdu.xid[0] ^= 1;
	mdf_core_on_pdu(f->core, &p, &pdu, raw);
	assert_int_equal(st->drops[MDF_DROP_NO_TASK], 1);
	tm_pdu(&pdu, X2X3_TYPE_X3, X2X3_FMT_RTP, xid, 7, 6, 1735689600, 0, pl, 12);
	mdf_core_on_pdu(f->core, &p, &pdu, raw);
	assert_int_equal(st->drops[MDF_DROP_FORMAT], 1);
	/* The LIID rule for X1 (TS 103 280 allows 26..50 hex digits, a PS-PDU 25 octets). */
	struct x1_task t;
	task(&t, NULL);
	snprintf(t.med[0].liid, sizeof(t.med[0].liid), "0123456789abcdef0123456789");
	assert_int_equal(f->hooks.check_task(f->hooks.arg, X1_ACTIVATE_TASK, &t, desc,
	    sizeof(desc)), X1_C_ACTIVATE_FAILED);
	assert_non_null(strstr(desc, "25"));
	task(&t, NULL);
	assert_int_equal(f->hooks.check_task(f->hooks.arg, X1_MODIFY_TASK, &t, desc, sizeof(desc)),
	    0);
	/* A POI keepalive is counted and waits for the next durable point. */
	tm_pdu(&pdu, X2X3_TYPE_KEEPALIVE, 0, xid, 0, 3, 0, 0, pl, 0);
	mdf_core_on_pdu(f->core, &p, &pdu, raw);
	assert_int_equal(st->poi_keepalives, 1);
	uint64_t dp = st->durable_points;
	uint64_t end = ev_now_ms() + 100;
	while (ev_now_ms() < end)
		ev_run_once(f->loop);
	assert_true(st->durable_points > dp);
	/* The status document is one JSON line. */
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	mdf_core_status_json(f->core, m);
	fclose(m);
	assert_non_null(strstr(buf, "\"unauthorised_poi\":3"));
	assert_int_equal(buf[len - 1], '\n');
	free(buf);
}

static void
test_period_and_changes(void **state)
{
	struct fx *f = *state;
	const struct mdf_core_stats *st = mdf_core_stats(f->core);
	struct x1_event ev;
	struct x1_task t;
	char now[X1_TS_LEN + 1];
	struct seen b;

	/* ModifyTask: LIID-B's mediation ended (endTime in the past): its copies stop. */
	task(&t, "2025-01-01T00:00:30.000000+00:00");
	x1_timestamp_now(now);
	assert_int_equal(x1_store_begin(f->store), X1S_OK);
	assert_int_equal(x1_store_task_replace(f->store, &t, "a", now), X1S_OK);
	assert_int_equal(x1_store_commit(f->store), X1S_OK);
	memset(&ev, 0, sizeof(ev));
	ev.type = X1_EV_TASK_MODIFIED;
	ev.task = &t;
	f->hooks.changed(f->hooks.arg, &ev);
	conn_up(f, 1, "poi-1", 1);
	send_pdu(f, 1, X2X3_TYPE_X2, 0, 7, 1735689600 + 10);	/* before the end */
	send_pdu(f, 1, X2X3_TYPE_X2, 1, 7, 1735689600 + 30);	/* at the end: not delivered */
	assert_true(tm_run_until(f->loop, delivered, f, 5000));
	collect(&f->lemf2, &b);
	assert_int_equal(b.n, 1);
	assert_int_equal(st->route_drops[MDF_DROP_PERIOD], 1);
	assert_int_equal(st->mediated, 2);	/* LIID-A still got both */
	/* DeactivateTask: nothing is mediated any more. */
	ev.type = X1_EV_TASK_DEACTIVATED;
	f->hooks.changed(f->hooks.arg, &ev);
	assert_int_equal(mdf_core_ntasks(f->core), 0);
	send_pdu(f, 1, X2X3_TYPE_X2, 2, 7, 1735689600 + 5);
	assert_int_equal(st->drops[MDF_DROP_NO_TASK], 1);
}

/* Two mediation details of one task (two LIIDs) to the same destination: each LIID gets its
 * own copy on the shared stream, and a POI resend is still a duplicate for both. */
static void
test_two_liids_one_destination(void **state)
{
	struct fx *f = *state;
	const struct mdf_core_stats *st = mdf_core_stats(f->core);
	struct x1_event ev;
	struct x1_task t;
	char now[X1_TS_LEN + 1];
	struct seen a;
	int na = 0, nb = 0;

	task(&t, NULL);
	uuid_parse(D1, t.med[1].dids[0]);	/* LIID-B to D1 as well */
	x1_timestamp_now(now);
	assert_int_equal(x1_store_begin(f->store), X1S_OK);
	assert_int_equal(x1_store_task_replace(f->store, &t, "a", now), X1S_OK);
	assert_int_equal(x1_store_commit(f->store), X1S_OK);
	memset(&ev, 0, sizeof(ev));
	ev.type = X1_EV_TASK_MODIFIED;
	ev.task = &t;
	f->hooks.changed(f->hooks.arg, &ev);
	conn_up(f, 1, "poi-1", 1);
	send_pdu(f, 1, X2X3_TYPE_X2, 0, 7, 1735689600);
	send_pdu(f, 1, X2X3_TYPE_X3, 1, 7, 1735689601);
	assert_true(tm_run_until(f->loop, delivered, f, 5000));
	assert_int_equal(st->mediated, 2);
	assert_int_equal(st->copies, 4);
	assert_int_equal(st->duplicates, 0);
	collect(&f->lemf1, &a);
	assert_int_equal(a.n, 4);
	for (int i = 0; i < a.n; i++) {
		if (strcmp(a.liid[i], "LIID-A") == 0)
			na++;
		else if (strcmp(a.liid[i], "LIID-B") == 0)
			nb++;
	}
	assert_int_equal(na, 2);
	assert_int_equal(nb, 2);
	send_pdu(f, 1, X2X3_TYPE_X3, 1, 7, 1735689601);	/* the POI resends */
	assert_int_equal(st->duplicates, 1);
	assert_int_equal(st->copies, 4);
}

static void
test_restart_continues(void **state)
{
	struct fx *f = *state;
	struct seen a;

	conn_up(f, 1, "poi-1", 1);
	send_pdu(f, 1, X2X3_TYPE_X3, 0, 7, 1735689600);
	send_pdu(f, 1, X2X3_TYPE_X3, 1, 7, 1735689601);
	assert_true(tm_run_until(f->loop, delivered, f, 5000));
	/* Closed and opened again on the same state: numbering continues, the resend of an
	 * already mediated PDU is still recognised. */
	mdf_core_free(f->core);
	core_open(f);
	conn_up(f, 1, "poi-1", 1);
	send_pdu(f, 1, X2X3_TYPE_X3, 1, 7, 1735689601);
	assert_int_equal(mdf_core_stats(f->core)->duplicates, 1);
	send_pdu(f, 1, X2X3_TYPE_X3, 2, 7, 1735689602);
	assert_true(tm_run_until(f->loop, delivered, f, 5000));
	collect(&f->lemf1, &a);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.seq[2], 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_routes_and_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_period_and_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_continues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_liids_one_destination, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
