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
#include "epcgen/epcgen.h"
#include "poi/poi_core.h"
#include "sess/sess.h"

struct fixture {
	char dir[64], pcap[128], targets[128];
	char imsi[16];
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
	gc.targets = 1;
	gc.seed = 5;
	if (epcgen_run(&gc, NULL) != EPCGEN_OK)
		return -1;
	epcgen_targets_path(f.pcap, f.targets, sizeof(f.targets));
	FILE *t = fopen(f.targets, "r");
	if (t == NULL || fscanf(t, "%15s", f.imsi) != 1)
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

static void
activate(struct fixture *f, const char *imsi, enum x1_delivery d, const uint8_t xid[16])
{
	struct x1_event ev;
	memset(&task, 0, sizeof(task));
	memcpy(task.xid, xid, 16);
	task.ntargets = 1;
	task.targets[0].type = X1_TGT_IMSI;
	snprintf(task.targets[0].value, sizeof(task.targets[0].value), "%s", imsi);
	task.delivery = d;
	memset(&ev, 0, sizeof(ev));
	ev.type = X1_EV_TASK_ACTIVATED;
	ev.task = &task;
	poi_core_x1_hooks(f->core, &hooks);
	hooks.changed(hooks.arg, &ev);
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

static void
test_activation_mid_session_gives_soi(void **state)
{
	struct fixture *f = *state;
	const uint8_t xid[16] = {9, 2, 3, 4, 5, 6, 0x40, 8, 0x80, 10, 11, 12, 13, 14, 15, 16};

	/* Run the whole capture once without a task, remembering nothing; then replay it up to
	 * the moment every subscriber of the demo scenario has attached (the demo attaches all
	 * subscribers before the first detach) and activate: at least one bearer is active. */
	pcap_close(f->p);
	char ebuf[PCAP_ERRBUF_SIZE];
	f->p = pcap_open_offline_with_tstamp_precision(f->pcap, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	assert_non_null(f->p);
	poi_core_free(f->core);
	char err[256];
	f->core = poi_core_new(&f->cfg, f->loop, NULL, NULL, err, sizeof(err));
	assert_non_null(f->core);
	const struct poi_stats *st = poi_core_stats(f->core);
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
