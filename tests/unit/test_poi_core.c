/*
 * The POI pipeline in-process, on a generated capture: a task activated while its target is
 * attached intercepts at once (startOfInterceptionWithActiveBearer for each active bearer, then
 * user packets), a deactivated task stops interception, and non-targets produce nothing.
 * No destinations are provisioned: the core counts the events it produced for each task.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "common/ev.h"
#include "common/uuid.h"
#include "epcgen/epcgen.h"
#include "poi/poi_core.h"
#include "poi/poi_targets.h"
#include "sess/sess.h"

struct fixture {
	char dir[64], pcap[128], targets[128];
	char imsi[16], msisdn[16], imei[16];	/* the first target's identities */
	char imsi2[16];				/* the second target's IMSI */
	struct poi_config cfg;
	struct ev_loop *loop;
	struct poi_core *core;
	pcap_t *p;
};

static int
setup(void **state)
{
	static struct fixture f;
	char err[256];
	memset(&f, 0, sizeof(f));
	snprintf(f.dir, sizeof(f.dir), "/tmp/overt-poicore.XXXXXX");
	if (mkdtemp(f.dir) == NULL)
		return -1;
	snprintf(f.pcap, sizeof(f.pcap), "%s/epc.pcap", f.dir);
	struct epcgen_config gc;
	epcgen_config_init(&gc, EPCGEN_SC_DEMO);
	gc.out_path = f.pcap;
	gc.targets = 2;
	gc.seed = 5;
	if (epcgen_run(&gc, NULL) != EPCGEN_OK)
		return -1;
	epcgen_targets_path(f.pcap, f.targets, sizeof(f.targets));
	FILE *t = fopen(f.targets, "r");
	if (t == NULL || fscanf(t, "%15s %15s %15s %15s", f.imsi, f.msisdn, f.imei, f.imsi2) != 4)
		return -1;
	fclose(t);

	memset(&f.cfg, 0, sizeof(f.cfg));
	snprintf(f.cfg.ne_id, sizeof(f.cfg.ne_id), "poi");
	snprintf(f.cfg.nfid, sizeof(f.cfg.nfid), "poi");
	snprintf(f.cfg.ipid, sizeof(f.cfg.ipid), "s11");
	snprintf(f.cfg.operator_id, sizeof(f.cfg.operator_id), "ovt");
	f.cfg.sess_max = 1024;
	f.cfg.sess_idle_s = 3600;
	f.cfg.x2x3_version = 5;
	f.loop = ev_new();
	f.core = poi_core_new(&f.cfg, f.loop, NULL, NULL, err, sizeof(err));
	if (f.core == NULL)
		return -1;
	char ebuf[PCAP_ERRBUF_SIZE];
	f.p = pcap_open_offline_with_tstamp_precision(f.pcap, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (f.p == NULL)
		return -1;
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char path[256];
	pcap_close(f->p);
	poi_core_free(f->core);
	ev_free(f->loop);
	const char *names[] = {"epc.pcap", "epc.truth.jsonl", "epc.targets"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, names[i]);
		unlink(path);
	}
	rmdir(f->dir);
	return 0;
}

/* Feeds the rest of the file; returns frames fed. */
static size_t
feed(struct fixture *f)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	size_t n = 0;
	while (pcap_next_ex(f->p, &h, &d) == 1) {
		poi_core_frame(f->core, pcap_datalink(f->p), h, d);
		n++;
	}
	return n;
}

static struct x1_task task;
static struct x1_hooks hooks;

/* Activates (or, with modify, modifies) a task naming the given targets. */
static void
provision(struct fixture *f, int modify, const uint8_t xid[16], enum x1_delivery d,
    size_t n, const enum x1_target_type *types, const char *const *values)
{
	struct x1_event ev;
	memset(&task, 0, sizeof(task));
	memcpy(task.xid, xid, 16);
	task.ntargets = n;
	for (size_t i = 0; i < n; i++) {
		task.targets[i].type = types[i];
		snprintf(task.targets[i].value, sizeof(task.targets[i].value), "%s", values[i]);
	}
	task.delivery = d;
	memset(&ev, 0, sizeof(ev));
	ev.type = modify ? X1_EV_TASK_MODIFIED : X1_EV_TASK_ACTIVATED;
	ev.task = &task;
	poi_core_x1_hooks(f->core, &hooks);
	hooks.changed(hooks.arg, &ev);
}

static void
activate(struct fixture *f, const char *imsi, enum x1_delivery d, const uint8_t xid[16])
{
	const enum x1_target_type type = X1_TGT_IMSI;
	provision(f, 0, xid, d, 1, &type, &imsi);
}

static void
deactivate(struct fixture *f, const uint8_t xid[16])
{
	struct x1_event ev;
	memset(&ev, 0, sizeof(ev));
	memcpy(task.xid, xid, 16);
	ev.type = X1_EV_TASK_DEACTIVATED;
	ev.task = &task;
	hooks.changed(hooks.arg, &ev);
}

static void
test_nothing_without_task_then_interception(void **state)
{
	struct fixture *f = *state;
	const uint8_t xid[16] = {1, 2, 3, 4, 5, 6, 0x40, 8, 0x80, 10, 11, 12, 13, 14, 15, 16};
	const struct poi_stats *st = poi_core_stats(f->core);

	/* The first third of the capture without any task: every subscriber is tracked, nothing
	 * is intercepted. */
	struct pcap_pkthdr *h;
	const u_char *d;
	for (int i = 0; i < 1000 && pcap_next_ex(f->p, &h, &d) == 1; i++)
		poi_core_frame(f->core, pcap_datalink(f->p), h, d);
	assert_true(st->gpdu_matched > 0);
	assert_true(poi_core_sess_stats(f->core)->sessions_created > 1);
	assert_int_equal(st->x2_events, 0);
	assert_int_equal(st->x3_packets, 0);
	assert_int_equal(st->target_sessions, 0);

	activate(f, f->imsi, X1_X2_AND_X3, xid);
	feed(f);
	assert_true(st->x2_events > 0);
	assert_true(st->x3_packets > 0);
	assert_int_equal(st->target_sessions, 1);
	/* No destination was provisioned: every PDU is accounted as undeliverable, none lost
	 * silently. */
	assert_int_equal(st->x2_events + st->x3_packets, st->no_destination);
}

/* A fresh core fed the capture up to the moment every subscriber of the demo scenario has
 * attached (the demo attaches all subscribers before the first detach), without a task. */
static void
replay_until_attached(struct fixture *f)
{
	pcap_close(f->p);
	char ebuf[PCAP_ERRBUF_SIZE];
	f->p = pcap_open_offline_with_tstamp_precision(f->pcap, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	assert_non_null(f->p);
	poi_core_free(f->core);
	char err[256];
	f->core = poi_core_new(&f->cfg, f->loop, NULL, NULL, err, sizeof(err));
	assert_non_null(f->core);
	const struct sess_stats *ss = poi_core_sess_stats(f->core);

	struct pcap_pkthdr *h;
	const u_char *d;
	uint32_t peak = 0;
	while (pcap_next_ex(f->p, &h, &d) == 1) {
		poi_core_frame(f->core, pcap_datalink(f->p), h, d);
		if (ss->sessions > peak)
			peak = ss->sessions;
		if (ss->sessions_freed > 0 || (peak == 50 && ss->sessions == 50))
			break;	/* everyone attached, nobody detached yet */
	}
	assert_int_equal(ss->sessions_freed, 0);
	assert_int_equal(poi_core_stats(f->core)->x2_events, 0);
}

static void
test_activation_mid_session_gives_soi(void **state)
{
	struct fixture *f = *state;
	const uint8_t xid[16] = {9, 2, 3, 4, 5, 6, 0x40, 8, 0x80, 10, 11, 12, 13, 14, 15, 16};

	/* Activate while the target is attached: at least one bearer is active. */
	replay_until_attached(f);
	const struct poi_stats *st = poi_core_stats(f->core);
	activate(f, f->imsi, X1_X2_AND_X3, xid);
	assert_true(st->x2_events >= 1);	/* startOfInterceptionWithActiveBearer */
	assert_int_equal(st->target_sessions, 1);
	uint64_t soi = st->x2_events;

	/* Re-activating an unrelated task must not repeat the start for an already-matched
	 * session of the first task. */
	const uint8_t other[16] = {7, 7, 7, 7, 7, 7, 0x47, 7, 0x87, 7, 7, 7, 7, 7, 7, 7};
	activate(f, "001019999999999", X1_X2_ONLY, other);
	assert_int_equal(st->x2_events, soi);

	/* Deactivation stops interception at once. */
	deactivate(f, xid);
	deactivate(f, other);
	uint64_t x3 = st->x3_packets, x2 = st->x2_events;
	feed(f);
	assert_int_equal(st->x3_packets, x3);
	assert_int_equal(st->x2_events, x2);
	assert_true(st->gpdu_matched > 0);
}

/*
 * startOfInterceptionWithActiveBearer finds the target's session by whichever identity the
 * task names (IMSI, MSISDN, the 14-digit IMEI of X1 against the IMEI or IMEISV the network
 * reported) through the tracker's identity index; a ModifyTask starts interception only of
 * the sessions it adds, and a ModifyTask that adds none starts nothing.
 */
static void
test_soi_by_every_identity_and_modify(void **state)
{
	struct fixture *f = *state;
	uint8_t xid[16] = {0x21, 2, 3, 4, 5, 6, 0x40, 8, 0x80, 10, 11, 12, 13, 14, 15, 16};
	const enum x1_target_type types[3] = {X1_TGT_IMSI, X1_TGT_E164, X1_TGT_IMEI};
	const char *values[3] = {f->imsi, f->msisdn, f->imei};
	uint64_t soi[3];

	assert_int_equal(strlen(f->imei), 14);
	replay_until_attached(f);
	const struct poi_stats *st = poi_core_stats(f->core);
	for (int k = 0; k < 3; k++) {
		uint64_t before = st->x2_events;
		xid[15] = (uint8_t)k;
		provision(f, 0, xid, X1_X2_ONLY, 1, &types[k], &values[k]);
		soi[k] = st->x2_events - before;
		assert_true(soi[k] >= 1);
		assert_int_equal(st->target_sessions, 1);
	}
	/* One session, one SOI per active bearer, whichever identity found it. */
	assert_int_equal(soi[1], soi[0]);
	assert_int_equal(soi[2], soi[0]);

	/* Task 0 (first target's IMSI) now also names the second target: only the second
	 * target's bearers start; the first target's were started by this task already. */
	const enum x1_target_type two_types[2] = {X1_TGT_IMSI, X1_TGT_IMSI};
	const char *two[2] = {f->imsi, f->imsi2};
	uint64_t before = st->x2_events;
	xid[15] = 0;
	provision(f, 1, xid, X1_X2_ONLY, 2, two_types, two);
	uint64_t added = st->x2_events - before;
	assert_true(added >= 1);
	assert_int_equal(st->target_sessions, 2);
	/* The same modification again adds nothing. */
	before = st->x2_events;
	provision(f, 1, xid, X1_X2_ONLY, 2, two_types, two);
	assert_int_equal(st->x2_events, before);
	/* A new task on the second target alone starts as many as the modification did. */
	before = st->x2_events;
	xid[15] = 9;
	provision(f, 0, xid, X1_X2_ONLY, 1, &two_types[1], &two[1]);
	assert_int_equal(st->x2_events - before, added);
	/* A target named twice in one task (IMSI and MSISDN of one subscriber) starts once. */
	const char *same[2] = {f->imsi, f->msisdn};
	before = st->x2_events;
	xid[15] = 10;
	provision(f, 0, xid, X1_X2_ONLY, 2, types, same);
	assert_int_equal(st->x2_events - before, soi[0]);
}

/* X3 packets the core's summary reports for task xid, or -1 if the task is not listed. */
static long
task_x3(struct fixture *f, const uint8_t xid[16])
{
	char id[UUID_STRLEN + 1], *buf = NULL, *p;
	size_t len = 0;
	long n = -1;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	poi_core_summary(f->core, m);
	fclose(m);
	uuid_format(xid, id);
	if ((p = strstr(buf, id)) != NULL)
		assert_int_equal(sscanf(p + UUID_STRLEN, " X2 %*u X3 %ld", &n), 1);
	free(buf);
	return n;
}

/*
 * Several tasks on one identity: deactivating one leaves the others intercepting (the target
 * index loses only that task).  More tasks than an identity can list (POI_TARGETS_MAX_PER_ID):
 * X1 refuses the next ActivateTask; if one arrives anyway (a task store from before), it
 * starts nothing, and once another is deactivated it is indexed and intercepts.
 */
static void
test_tasks_sharing_a_target(void **state)
{
	struct fixture *f = *state;
	uint8_t xid[POI_TARGETS_MAX_PER_ID + 1][16];
	const struct poi_stats *st;
	uint64_t before, soi = 0;

	for (int i = 0; i <= POI_TARGETS_MAX_PER_ID; i++) {
		const uint8_t x[16] = {0x31, 2, 3, 4, 5, 6, 0x40, 8, 0x80, 10, 11, 12, 13, 14, 15,
		    (uint8_t)i};
		memcpy(xid[i], x, 16);
	}
	replay_until_attached(f);
	st = poi_core_stats(f->core);
	for (int i = 0; i <= POI_TARGETS_MAX_PER_ID; i++) {
		if (i == POI_TARGETS_MAX_PER_ID) {
			/* Over X1 the 17th is refused before anything changes (the event below is
			 * what a task store loaded at start could still hold). */
			struct x1_task t17;
			char desc[256] = "";
			memset(&t17, 0, sizeof(t17));
			memcpy(t17.xid, xid[i], 16);
			t17.ntargets = 2;
			t17.targets[0].type = X1_TGT_IMSI;
			snprintf(t17.targets[0].value, sizeof(t17.targets[0].value), "%s", f->imsi2);
			t17.targets[1].type = X1_TGT_IMSI;
			snprintf(t17.targets[1].value, sizeof(t17.targets[1].value), "%s", f->imsi);
			assert_int_equal(hooks.check_task(hooks.arg, X1_ACTIVATE_TASK, &t17, desc,
			    sizeof(desc)), X1_C_ACTIVATE_FAILED);
			assert_non_null(strstr(desc, "target 2 "));
			assert_null(strstr(desc, f->imsi));	/* never the value */
			/* modifying one of the 16 on the same identity is fine */
			memcpy(t17.xid, xid[5], 16);
			assert_int_equal(hooks.check_task(hooks.arg, X1_MODIFY_TASK, &t17, desc,
			    sizeof(desc)), 0);
			t17.ntargets = 1;	/* another identity only */
			memcpy(t17.xid, xid[i], 16);
			assert_int_equal(hooks.check_task(hooks.arg, X1_ACTIVATE_TASK, &t17, desc,
			    sizeof(desc)), 0);
		}
		before = st->x2_events;
		activate(f, f->imsi, X1_X2_AND_X3, xid[i]);
		if (i == 0)
			soi = st->x2_events - before;
		/* the last one does not fit the identity's list: it starts nothing */
		assert_int_equal(st->x2_events - before, i < POI_TARGETS_MAX_PER_ID ? soi : 0);
	}
	assert_true(soi >= 1);
	deactivate(f, xid[0]);		/* makes room: the refused task is indexed now */
	deactivate(f, xid[1]);
	feed(f);
	assert_int_equal(task_x3(f, xid[0]), -1);
	assert_int_equal(task_x3(f, xid[1]), -1);
	long x3 = task_x3(f, xid[2]);
	assert_true(x3 > 0);
	for (int i = 3; i <= POI_TARGETS_MAX_PER_ID; i++)
		assert_int_equal(task_x3(f, xid[i]), x3);
}

/* Two tasks on one subscriber; the first is deactivated mid-capture: the second intercepts
 * everything, the first only what came before. */
static void
test_deactivate_one_of_two(void **state)
{
	struct fixture *f = *state;
	const uint8_t a[16] = {0x41, 2, 3, 4, 5, 6, 0x40, 8, 0x80, 10, 11, 12, 13, 14, 15, 1};
	const uint8_t b[16] = {0x41, 2, 3, 4, 5, 6, 0x40, 8, 0x80, 10, 11, 12, 13, 14, 15, 2};
	struct pcap_pkthdr *h;
	const u_char *d;

	activate(f, f->imsi, X1_X2_AND_X3, a);
	activate(f, f->imsi, X1_X2_AND_X3, b);
	for (int i = 0; i < 1500 && pcap_next_ex(f->p, &h, &d) == 1; i++)
		poi_core_frame(f->core, pcap_datalink(f->p), h, d);
	long a_before = task_x3(f, a);
	assert_true(a_before > 0);
	assert_int_equal(task_x3(f, b), a_before);
	deactivate(f, a);
	feed(f);
	assert_int_equal(task_x3(f, a), -1);
	assert_true(task_x3(f, b) > a_before);
	assert_int_equal(poi_core_stats(f->core)->x3_packets, (uint64_t)(task_x3(f, b) + a_before));
}

/* A task activated mid-capture sees every later user packet of its target exactly as a task
 * active from the start does: what the POI cached about subscribers being no target (per
 * session and per bearer, poi_core.c on_gpdu) before the activation hides nothing. */
static void
test_late_task_sees_what_early_task_sees(void **state)
{
	struct fixture *f = *state;
	const uint8_t xid[16] = {3, 2, 3, 4, 5, 6, 0x40, 8, 0x80, 10, 11, 12, 13, 14, 15, 16};
	char err[256];
	struct poi_core *late = poi_core_new(&f->cfg, f->loop, NULL, NULL, err, sizeof(err));
	const struct poi_stats *se = poi_core_stats(f->core), *sl;
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t early_x3 = 0;
	int n = 0;

	assert_non_null(late);
	sl = poi_core_stats(late);
	activate(f, f->imsi, X1_X2_AND_X3, xid);	/* on f->core, before any packet */
	while (pcap_next_ex(f->p, &h, &d) == 1) {
		if (++n == 1500) {
			struct poi_core *keep = f->core;
			early_x3 = se->x3_packets;
			assert_true(early_x3 > 0);	/* the target was already talking */
			assert_int_equal(sl->x3_packets, 0);
			f->core = late;
			activate(f, f->imsi, X1_X2_AND_X3, xid);
			f->core = keep;
		}
		poi_core_frame(f->core, pcap_datalink(f->p), h, d);
		poi_core_frame(late, pcap_datalink(f->p), h, d);
	}
	assert_true(n > 1500);
	assert_true(se->x3_packets > early_x3);
	assert_int_equal(sl->x3_packets, se->x3_packets - early_x3);
	assert_int_equal(sl->gpdu_matched, se->gpdu_matched);
	poi_core_free(late);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_without_task_then_interception, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_activation_mid_session_gives_soi, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_late_task_sees_what_early_task_sees, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_soi_by_every_identity_and_modify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tasks_sharing_a_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deactivate_one_of_two, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
