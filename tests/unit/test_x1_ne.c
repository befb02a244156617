/*
 * X1 network element tests (no TLS: the peer's certificate names are given directly): every
 * request type with its success and error codes, the clause 8.2.4 identity checks, profiles
 * and hooks, "an invalid message changes nothing", per-message units in multi-message
 * documents, change events after commit, persistence across an NE restart, statistics, and
 * every answer the NE writes validated against the ETSI XSDs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

/* Bounded string helpers (the project bans strcpy/strcat). */
#define SET(dst, src) snprintf((dst), sizeof(dst), "%s", (src))
#define APPEND(dst, src) snprintf((dst) + strlen(dst), sizeof(dst) - strlen(dst), "%s", (src))

#include "common/uuid.h"
#include "x1/x1_ne.h"

static xmlSchemaPtr schema;

#define DID1 "3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d"
#define DID2 "4a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d"
#define XID1 "29f28e1c-f230-486a-a860-f5a784ab9172"
#define XID2 "39f28e1c-f230-486a-a860-f5a784ab9172"

struct fx {
	char dir[64];
	char path[128];
	struct x1_store *st;
	struct x1_ne *ne;
	struct x1_peer peer;
	const struct x1_profile *profile;
	/* events seen */
	int nev;
	enum x1_event_type ev[16];
	size_t ev_targets[16];
	size_t ev_count;
	int hook_code;		/* returned by check_task when non-zero */
	enum x1_nestatus ne_status;
	struct x1_response *resp;
	struct ovt_builder out;
};

static const char *
shared(void)
{
	const char *s = getenv("OVERT_SHARED");
	return s != NULL ? s : "/work/shared";
}

static int
group_setup(void **state)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/reference/xsd/x1-driver.xsd", shared());
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
	schema = pc != NULL ? xmlSchemaParse(pc) : NULL;
	xmlSchemaFreeParserCtxt(pc);
	return schema != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	xmlSchemaFree(schema);
	xmlCleanupParser();
	return 0;
}

static void
on_change(void *arg, const struct x1_event *ev)
{
	struct fx *f = arg;
	assert_true(f->nev < 16);
	f->ev[f->nev] = ev->type;
	f->ev_targets[f->nev] = ev->task != NULL ? ev->task->ntargets : 0;
	f->ev_count = ev->count;
	f->nev++;
	assert_non_null(ev->hdr);
}

static int
check_task(void *arg, enum x1_msg_type t, const struct x1_task *task, char *desc, size_t len)
{
	struct fx *f = arg;
	if (f->hook_code != 0)
		snprintf(desc, len, "refused by hook");
	return f->hook_code;
}

static void
ne_status(void *arg, struct x1_ne_status *out)
{
	struct fx *f = arg;
	out->status = f->ne_status;
	if (f->ne_status == X1_NES_FAULTS) {
		out->faults.n = 1;
		out->faults.f[0] = (struct x1_fault){9020, "capture interface down"};
	}
}

static void
start_ne(struct fx *f)
{
	static const char *const admf[] = {"admf", "admf01"};
	struct x1_ne_config cfg = {
	    .ne_id = "epc-poi-01",
	    .admf_ids = admf,
	    .nadmf = 2,
	    .profile = f->profile,
	    .hooks = {.check_task = check_task, .changed = on_change, .ne_status = ne_status,
		      .arg = f},
	};
	const char *err;
	assert_int_equal(x1_store_open(f->path, &f->st), X1S_OK);
	f->ne = x1_ne_new(f->st, &cfg, &err);
	assert_non_null(f->ne);
}

static void
stop_ne(struct fx *f)
{
	x1_ne_free(f->ne);
	x1_store_close(f->st);
	f->ne = NULL;
	f->st = NULL;
}

static int
setup_profile(void **state, const struct x1_profile *p)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	SET(f->dir, "/tmp/test_x1_ne.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/x1.db", f->dir);
	f->profile = p;
	f->ne_status = X1_NES_OK;
	f->peer.n = 2;
	SET(f->peer.names[0], "admf01");
	SET(f->peer.names[1], "localhost");
	f->resp = x1_response_new();
	if (f->resp == NULL || !bld_init(&f->out, 4096, X1_MAX_RESPONSE))
		return -1;
	start_ne(f);
	*state = f;
	return 0;
}

static int
setup_poi(void **state)
{
	return setup_profile(state, &x1_profile_poi);
}

static int
setup_mdf(void **state)
{
	return setup_profile(state, &x1_profile_mdf);
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char p[160];
	stop_ne(f);
	static const char *const sfx[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", f->path, sfx[i]);
		unlink(p);
	}
	rmdir(f->dir);
	x1_response_free(f->resp);
	bld_cleanup(&f->out);
	free(f);
	return 0;
}

static void
assert_xsd_valid(const struct ovt_builder *b)
{
	xmlDocPtr doc = xmlReadMemory((const char *)bld_data(b), (int)bld_len(b), NULL, NULL,
				      XML_PARSE_NONET);
	assert_non_null(doc);
	xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
	int rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	xmlFreeDoc(doc);
	if (rc != 0)
		fprintf(stderr, "%.*s\n", (int)bld_len(b), (const char *)bld_data(b));
	assert_int_equal(rc, 0);
}

/* Sends a document; checks the answer validates and parses; returns the NE's result. */
static enum x1_ne_result
send_doc(struct fx *f, const char *doc)
{
	enum x1_perr perr;
	char d[256];
	bld_reset(&f->out);
	enum x1_ne_result r = x1_ne_handle(f->ne, &f->peer, (const uint8_t *)doc, strlen(doc),
					   &f->out, &perr);
	assert_int_not_equal(r, X1_NE_FAILED);
	assert_xsd_valid(&f->out);
	assert_int_equal(x1_parse_response(bld_data(&f->out), bld_len(&f->out), X1_MAX_RESPONSE,
					   f->resp, d, sizeof(d)), X1_P_OK);
	return r;
}

/* A one-message request document from fields. */
static char *
doc_of(struct x1_msg *msgs, size_t n)
{
	struct ovt_builder b;
	assert_true(bld_init(&b, 4096, X1_MAX_BODY));
	for (size_t i = 0; i < n; i++) {
		if (msgs[i].hdr.admf_id[0] == '\0')
			SET(msgs[i].hdr.admf_id, "admf01");
		if (msgs[i].hdr.ne_id[0] == '\0')
			SET(msgs[i].hdr.ne_id, "epc-poi-01");
		SET(msgs[i].hdr.version, "v1.13.1");
		x1_timestamp_now(msgs[i].hdr.timestamp);
		uuid_random(msgs[i].hdr.transaction_id);
	}
	x1_build_request(&b, msgs, n);
	assert_true(bld_ok(&b));
	bld_add_u8(&b, 0);
	char *s = strdup((const char *)bld_data(&b));
	bld_cleanup(&b);
	return s;
}

static struct x1_msg *
new_msg(enum x1_msg_type t)
{
	struct x1_msg *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	m->type = t;
	m->task.implicit_deactivation = -1;
	return m;
}

static struct x1_msg *
dest_msg(enum x1_msg_type t, const char *did, enum x1_delivery del)
{
	struct x1_msg *m = new_msg(t);
	uuid_parse(did, m->dest.did);
	m->dest.delivery = del;
	m->dest.family = X1_AF_IPV4;
	x1_ipv4_parse("127.0.0.1", m->dest.addr);
	m->dest.proto = X1_PORT_TCP;
	m->dest.port = 19299;
	return m;
}

static struct x1_msg *
task_msg(enum x1_msg_type t, const char *xid, const char *did, enum x1_delivery del)
{
	struct x1_msg *m = new_msg(t);
	uuid_parse(xid, m->task.xid);
	m->task.ntargets = 1;
	m->task.targets[0] = (struct x1_target){X1_TGT_IMSI, "001010123456789"};
	m->task.delivery = del;
	if (did != NULL) {
		m->task.ndids = 1;
		uuid_parse(did, m->task.dids[0]);
	}
	return m;
}

static struct x1_msg *
id_msg(enum x1_msg_type t, const char *id)
{
	struct x1_msg *m = new_msg(t);
	uuid_parse(id, m->id);
	return m;
}

/* Sends one message (freed here) and returns the code of its answer (0 = acknowledged). */
static int
send1(struct fx *f, struct x1_msg *m)
{
	char *doc = doc_of(m, 1);
	free(m);
	assert_int_equal(send_doc(f, doc), X1_NE_RESPONSE);
	free(doc);
	assert_int_equal(f->resp->nmsg, 1);
	if (f->resp->msgs[0].is_error)
		return f->resp->msgs[0].code;
	return 0;
}

static size_t
ntasks(struct fx *f)
{
	size_t n;
	assert_int_equal(x1_store_task_count(f->st, &n), X1S_OK);
	return n;
}

static size_t
ndests(struct fx *f)
{
	size_t n;
	assert_int_equal(x1_store_dest_count(f->st, &n), X1S_OK);
	return n;
}

static char *
read_example(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/reference/x1/%s", shared(), name);
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	char *buf = calloc(1, 16384);
	assert_non_null(buf);
	assert_true(fread(buf, 1, 16383, fp) > 0);
	fclose(fp);
	return buf;
}

/* ------------------------------------------------------------------------------------------ */

static void
test_examples(void **state)
{
	struct fx *f = *state;
	char *doc;

	/* The reference ActivateTask names a DID that must exist first: 2040 and no change. */
	doc = read_example("ActivateTaskRequest.xml");
	send_doc(f, doc);
	assert_int_equal(f->resp->msgs[0].code, X1_C_DID_UNKNOWN);
	assert_int_equal(ntasks(f), 0);
	free(doc);

	doc = read_example("CreateDestinationRequest.xml");
	send_doc(f, doc);
	assert_false(f->resp->msgs[0].is_error);
	assert_int_equal(f->resp->msgs[0].type, X1_CREATE_DESTINATION);
	assert_int_equal(f->resp->msgs[0].ok, X1_OK_COMPLETED);
	/* The answer echoes the request's identifiers and transaction. */
	assert_string_equal(f->resp->msgs[0].hdr.admf_id, "admf01");
	char tid[UUID_STRLEN + 1];
	uuid_format(f->resp->msgs[0].hdr.transaction_id, tid);
	assert_string_equal(tid, "11111111-2222-4333-8444-555555555555");
	free(doc);

	doc = read_example("ActivateTaskRequest.xml");
	send_doc(f, doc);
	assert_false(f->resp->msgs[0].is_error);
	assert_int_equal(ntasks(f), 1);
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[0], X1_EV_DEST_CREATED);
	assert_int_equal(f->ev[1], X1_EV_TASK_ACTIVATED);
	assert_int_equal(f->ev_targets[1], 3);
	free(doc);

	/* The INVALID example: 1010, nothing changed, no event. */
	doc = read_example("ActivateTaskRequest_INVALID.xml");
	send_doc(f, doc);
	assert_true(f->resp->msgs[0].is_error);
	assert_int_equal(f->resp->msgs[0].code, X1_C_SYNTAX);
	assert_int_equal(f->resp->msgs[0].type, X1_ACTIVATE_TASK);
	assert_int_equal(ntasks(f), 1);
	assert_int_equal(f->nev, 2);
	free(doc);

	doc = read_example("PingRequest.xml");
	send_doc(f, doc);
	assert_int_equal(f->resp->msgs[0].type, X1_PING);
	assert_int_equal(f->resp->msgs[0].ok, X1_OK_COMPLETED);
	free(doc);

	/* GetTaskDetails returns what was provisioned. */
	assert_int_equal(send1(f, id_msg(X1_GET_TASK_DETAILS, XID1)), 0);
	assert_int_equal(f->resp->msgs[0].ntasks, 1);
	struct x1_task_resp *tr = &f->resp->msgs[0].tasks[0];
	assert_int_equal(tr->task.ntargets, 3);
	assert_string_equal(tr->task.targets[2].value, "35693803564380");
	assert_int_equal(tr->status.prov, X1_PROV_COMPLETE);
	assert_true(tr->status.has_nmod && tr->status.nmod == 0);
	const struct x1_ne_stats *st = x1_ne_stats(f->ne);
	assert_true(st->msg_ok[X1_ACTIVATE_TASK] == 1);
	assert_true(st->msg_err[X1_P_VALUE] == 1);
}

static void
test_identity(void **state)
{
	struct fx *f = *state;
	struct x1_msg *m;

	/* 1030: the certificate does not name this ADMF. */
	m = dest_msg(X1_CREATE_DESTINATION, DID1, X1_X2_AND_X3);
	SET(m->hdr.admf_id, "admf");
	assert_int_equal(send1(f, m), X1_C_ADMF_CERT);
	/* 1040: certificate and header agree, but this ADMF is not configured. */
	SET(f->peer.names[1], "rogue");
	m = dest_msg(X1_CREATE_DESTINATION, DID1, X1_X2_AND_X3);
	SET(m->hdr.admf_id, "rogue");
	assert_int_equal(send1(f, m), X1_C_ADMF_UNEXPECTED);
	/* 1060: not our neIdentifier. */
	m = dest_msg(X1_CREATE_DESTINATION, DID1, X1_X2_AND_X3);
	SET(m->hdr.ne_id, "other-ne");
	assert_int_equal(send1(f, m), X1_C_NE_UNEXPECTED);
	assert_string_equal(f->resp->msgs[0].hdr.ne_id, "other-ne");
	/* Even a Ping is refused from the wrong identity. */
	m = new_msg(X1_PING);
	SET(m->hdr.admf_id, "nobody");
	assert_int_equal(send1(f, m), X1_C_ADMF_CERT);
	assert_int_equal(ndests(f), 0);
	assert_int_equal(f->nev, 0);
	/* A SAN works as well as the CN. */
	SET(f->peer.names[1], "admf");
	m = dest_msg(X1_CREATE_DESTINATION, DID1, X1_X2_AND_X3);
	SET(m->hdr.admf_id, "admf");
	assert_int_equal(send1(f, m), 0);
	assert_int_equal(ndests(f), 1);
}

static void
test_task_lifecycle(void **state)
{
	struct fx *f = *state;
	struct x1_msg *m;

	assert_int_equal(send1(f, dest_msg(X1_CREATE_DESTINATION, DID1, X1_X2_AND_X3)), 0);
	assert_int_equal(send1(f, dest_msg(X1_CREATE_DESTINATION, DID1, X1_X2_AND_X3)),
			 X1_C_DID_EXISTS);
	assert_int_equal(send1(f, task_msg(X1_ACTIVATE_TASK, XID1, DID1, X1_X2_AND_X3)), 0);
	assert_int_equal(send1(f, task_msg(X1_ACTIVATE_TASK, XID1, DID1, X1_X2_AND_X3)),
			 X1_C_XID_EXISTS);
	assert_int_equal(send1(f, task_msg(X1_MODIFY_TASK, XID2, DID1, X1_X2_AND_X3)),
			 X1_C_XID_UNKNOWN);
	assert_int_equal(send1(f, task_msg(X1_ACTIVATE_TASK, XID2, DID2, X1_X2_AND_X3)),
			 X1_C_DID_UNKNOWN);
	assert_int_equal(ntasks(f), 1);

	/* Modify: new targets, counted modification, event. */
	m = task_msg(X1_MODIFY_TASK, XID1, DID1, X1_X2_ONLY);
	m->task.ntargets = 2;
	m->task.targets[1] = (struct x1_target){X1_TGT_E164, "447700900123"};
	assert_int_equal(send1(f, m), 0);
	assert_int_equal(f->ev[f->nev - 1], X1_EV_TASK_MODIFIED);
	assert_int_equal(f->ev_targets[f->nev - 1], 2);
	assert_int_equal(send1(f, id_msg(X1_GET_TASK_DETAILS, XID1)), 0);
	struct x1_task_resp *tr = &f->resp->msgs[0].tasks[0];
	assert_int_equal(tr->task.ntargets, 2);
	assert_int_equal(tr->task.delivery, X1_X2_ONLY);
	assert_true(tr->status.nmod == 1);

	/* Destination in use: 7010, and its delivery type cannot change (6001). */
	assert_int_equal(send1(f, id_msg(X1_REMOVE_DESTINATION, DID1)), X1_C_DEST_IN_USE);
	assert_int_equal(send1(f, dest_msg(X1_MODIFY_DESTINATION, DID1, X1_X3_ONLY)),
			 X1_C_MODIFY_DEST_FAILED);
	m = dest_msg(X1_MODIFY_DESTINATION, DID1, X1_X2_AND_X3);
	m->dest.port = 19298;
	assert_int_equal(send1(f, m), 0);
	assert_int_equal(f->ev[f->nev - 1], X1_EV_DEST_MODIFIED);
	assert_int_equal(send1(f, id_msg(X1_GET_DESTINATION_DETAILS, DID1)), 0);
	assert_int_equal(f->resp->msgs[0].dests[0].dest.port, 19298);
	assert_int_equal(f->resp->msgs[0].dests[0].status.status, X1_DST_ACTIVE);
	assert_int_equal(send1(f, dest_msg(X1_MODIFY_DESTINATION, DID2, X1_X2_AND_X3)),
			 X1_C_DID_UNKNOWN);

	/* Deactivate, then the destination can go. */
	assert_int_equal(send1(f, id_msg(X1_DEACTIVATE_TASK, XID2)), X1_C_XID_UNKNOWN);
	assert_int_equal(send1(f, id_msg(X1_DEACTIVATE_TASK, XID1)), 0);
	assert_int_equal(f->ev[f->nev - 1], X1_EV_TASK_DEACTIVATED);
	assert_int_equal(f->ev_targets[f->nev - 1], 2);	/* the details as they were */
	assert_int_equal(send1(f, id_msg(X1_GET_TASK_DETAILS, XID1)), X1_C_XID_UNKNOWN);
	assert_int_equal(send1(f, id_msg(X1_REMOVE_DESTINATION, DID1)), 0);
	assert_int_equal(f->ev[f->nev - 1], X1_EV_DEST_REMOVED);
	assert_int_equal(send1(f, id_msg(X1_REMOVE_DESTINATION, DID1)), X1_C_DID_UNKNOWN);
	assert_int_equal(send1(f, id_msg(X1_GET_DESTINATION_DETAILS, DID1)), X1_C_DID_UNKNOWN);
	assert_int_equal(ntasks(f), 0);
	assert_int_equal(ndests(f), 0);
}

static void
test_profile_and_hooks(void **state)
{
	struct fx *f = *state;
	struct x1_msg *m;

	assert_int_equal(send1(f, dest_msg(X1_CREATE_DESTINATION, DID1, X1_X2_ONLY)), 0);
	/* A POI takes no mediation details. */
	m = task_msg(X1_ACTIVATE_TASK, XID1, DID1, X1_X2_ONLY);
	m->task.has_mediation = 1;
	m->task.nmed = 1;
	SET(m->task.med[0].liid, "LIID1");
	m->task.med[0].delivery = X1_X2_ONLY;
	assert_int_equal(send1(f, m), X1_C_ACTIVATE_FAILED);
	/* X2andX3 cannot go to an X2-only destination. */
	assert_int_equal(send1(f, task_msg(X1_ACTIVATE_TASK, XID1, DID1, X1_X2_AND_X3)),
			 X1_C_DELIVERY_MISMATCH);
	assert_int_equal(send1(f, task_msg(X1_ACTIVATE_TASK, XID1, DID1, X1_X3_ONLY)),
			 X1_C_DELIVERY_MISMATCH);
	/* ... unless another destination carries X3. */
	assert_int_equal(send1(f, dest_msg(X1_CREATE_DESTINATION, DID2, X1_X3_ONLY)), 0);
	m = task_msg(X1_ACTIVATE_TASK, XID1, DID1, X1_X2_AND_X3);
	m->task.ndids = 2;
	uuid_parse(DID2, m->task.dids[1]);
	assert_int_equal(send1(f, m), 0);
	/* A POI needs a destination at all. */
	assert_int_equal(send1(f, task_msg(X1_ACTIVATE_TASK, XID2, NULL, X1_X2_ONLY)),
			 X1_C_DELIVERY_MISMATCH);
	m = task_msg(X1_ACTIVATE_TASK, XID2, DID1, X1_X2_ONLY);
	m->task.ndids = 2;
	uuid_parse(DID1, m->task.dids[1]);
	assert_int_equal(send1(f, m), X1_C_ACTIVATE_FAILED);	/* duplicate dId */
	m = task_msg(X1_ACTIVATE_TASK, XID2, DID1, X1_X2_ONLY);
	m->task.service_types = X1_SVC_VOICE;
	assert_int_equal(send1(f, m), X1_C_SERVICE_TYPE);
	/* UDP destinations are not for a POI. */
	m = dest_msg(X1_CREATE_DESTINATION, "5a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d", X1_X2_ONLY);
	m->dest.proto = X1_PORT_UDP;
	assert_int_equal(send1(f, m), X1_C_ADDRESS_TYPE);
	/* The process's own hook has the last word. */
	f->hook_code = X1_C_TARGET_COMBINATION;
	assert_int_equal(send1(f, task_msg(X1_ACTIVATE_TASK, XID2, DID1, X1_X2_ONLY)),
			 X1_C_TARGET_COMBINATION);
	assert_string_equal(f->resp->msgs[0].desc, "refused by hook");
	f->hook_code = 0;
	assert_int_equal(ntasks(f), 1);
	assert_int_equal(ndests(f), 2);

	/* Unsupported target type from the wire: 3010. */
	const char *doc =
	    "<X1Request xmlns=\"http://uri.etsi.org/03221/X1/2017/10\" "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
	    "<x1RequestMessage xsi:type=\"ActivateTaskRequest\">"
	    "<admfIdentifier>admf01</admfIdentifier><neIdentifier>epc-poi-01</neIdentifier>"
	    "<messageTimestamp>2025-01-15T10:20:30.123456Z</messageTimestamp>"
	    "<version>v1.13.1</version>"
	    "<x1TransactionId>5e0a3f5c-2f8e-4b8a-9b1a-0c5e6d7f8a90</x1TransactionId>"
	    "<taskDetails><xId>" XID2 "</xId><targetIdentifiers><targetIdentifier>"
	    "<sipUri>sip:alice@example.com</sipUri></targetIdentifier></targetIdentifiers>"
	    "<deliveryType>X2Only</deliveryType><listOfDIDs><dId>" DID1 "</dId></listOfDIDs>"
	    "</taskDetails></x1RequestMessage></X1Request>";
	send_doc(f, doc);
	assert_int_equal(f->resp->msgs[0].code, X1_C_TARGET_TYPE);

	/* NE status from the hook. */
	f->ne_status = X1_NES_FAULTS;
	assert_int_equal(send1(f, new_msg(X1_GET_NE_STATUS)), 0);
	assert_int_equal(f->resp->msgs[0].ne.status, X1_NES_FAULTS);
	assert_int_equal(f->resp->msgs[0].ne.faults.f[0].code, 9020);
	assert_int_equal(send1(f, new_msg(X1_KEEPALIVE)), 0);
	assert_true(x1_ne_stats(f->ne)->keepalives == 1);
}

static void
test_mdf_profile(void **state)
{
	struct fx *f = *state;
	struct x1_msg *m;
	static const char *const hi2 = "6a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d";
	static const char *const hi3 = "7a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d";

	assert_int_equal(send1(f, dest_msg(X1_CREATE_DESTINATION, hi2, X1_X2_ONLY)), 0);
	assert_int_equal(send1(f, dest_msg(X1_CREATE_DESTINATION, hi3, X1_X3_ONLY)), 0);
	/* An MDF needs mediation details. */
	assert_int_equal(send1(f, task_msg(X1_ACTIVATE_TASK, XID1, NULL, X1_X2_AND_X3)),
			 X1_C_ACTIVATE_FAILED);
	m = task_msg(X1_ACTIVATE_TASK, XID1, NULL, X1_X2_AND_X3);
	m->task.has_mediation = 1;
	m->task.nmed = 1;
	SET(m->task.med[0].liid, "LIID-0042");
	m->task.med[0].delivery = X1_X2_AND_X3;	/* HI2andHI3 */
	m->task.med[0].ndids = 1;
	uuid_parse(hi2, m->task.med[0].dids[0]);
	assert_int_equal(send1(f, m), X1_C_DELIVERY_MISMATCH);	/* no HI3 destination */
	m = task_msg(X1_ACTIVATE_TASK, XID1, NULL, X1_X2_AND_X3);
	m->task.has_mediation = 1;
	m->task.nmed = 1;
	SET(m->task.med[0].liid, "LIID-0042");
	m->task.med[0].delivery = X1_X2_AND_X3;
	m->task.med[0].ndids = 2;
	uuid_parse(hi2, m->task.med[0].dids[0]);
	uuid_parse(hi3, m->task.med[0].dids[1]);
	assert_int_equal(send1(f, m), 0);
	assert_int_equal(send1(f, id_msg(X1_GET_TASK_DETAILS, XID1)), 0);
	struct x1_task *t = &f->resp->msgs[0].tasks[0].task;
	assert_int_equal(t->nmed, 1);
	assert_string_equal(t->med[0].liid, "LIID-0042");
	assert_int_equal(t->med[0].ndids, 2);
	/* Mediation destinations are in use too. */
	assert_int_equal(send1(f, id_msg(X1_REMOVE_DESTINATION, hi3)), X1_C_DEST_IN_USE);
}

static void
test_multi_message(void **state)
{
	struct fx *f = *state;
	struct x1_msg *msgs = calloc(4, sizeof(*msgs));
	struct x1_msg *m;
	assert_non_null(msgs);

	m = dest_msg(X1_CREATE_DESTINATION, DID1, X1_X2_AND_X3);
	msgs[0] = *m;
	free(m);
	m = task_msg(X1_ACTIVATE_TASK, XID1, DID2, X1_X2_AND_X3);	/* unknown DID */
	msgs[1] = *m;
	free(m);
	m = task_msg(X1_ACTIVATE_TASK, XID2, DID1, X1_X2_AND_X3);
	msgs[2] = *m;
	free(m);
	msgs[3].type = X1_PING;
	char *doc = doc_of(msgs, 4);
	free(msgs);
	assert_int_equal(send_doc(f, doc), X1_NE_RESPONSE);
	free(doc);
	assert_int_equal(f->resp->nmsg, 4);
	assert_false(f->resp->msgs[0].is_error);
	assert_true(f->resp->msgs[1].is_error);
	assert_int_equal(f->resp->msgs[1].code, X1_C_DID_UNKNOWN);
	assert_false(f->resp->msgs[2].is_error);
	assert_int_equal(f->resp->msgs[3].type, X1_PING);
	/* Each message is its own unit: the failed one left nothing behind. */
	int exists;
	uint8_t x[16];
	uuid_parse(XID1, x);
	assert_int_equal(x1_store_task_exists(f->st, x, &exists), X1S_OK);
	assert_false(exists);
	assert_int_equal(ntasks(f), 1);
	assert_int_equal(ndests(f), 1);
}

static void
test_top_level_and_stats(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
	    "<X1Request",
	    "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>",
	    "<X1Request xmlns=\"http://uri.etsi.org/03221/X1/2017/10\" "
	    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
	    "<x1RequestMessage xsi:type=\"LaunchMissilesRequest\"/></X1Request>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(send_doc(f, bad[i]), X1_NE_TOP_LEVEL);
		assert_true(f->resp->top_level_error);
		/* Unreadable request: identified by the certificate's name and ours. */
		assert_string_equal(f->resp->hdr.admf_id, "admf01");
		assert_string_equal(f->resp->hdr.ne_id, "epc-poi-01");
	}
	const struct x1_ne_stats *st = x1_ne_stats(f->ne);
	assert_true(st->top_level == 3);
	assert_true(st->doc_err[X1_P_MALFORMED] == 1);
	assert_true(st->doc_err[X1_P_DTD] == 1);
	assert_true(st->doc_err[X1_P_UNKNOWN_TYPE] == 1);
	assert_int_equal(ndests(f), 0);

	assert_int_equal(send1(f, id_msg(X1_GET_TASK_DETAILS, XID1)), X1_C_XID_UNKNOWN);
	assert_int_equal(send1(f, id_msg(X1_GET_TASK_DETAILS, XID2)), X1_C_XID_UNKNOWN);
	int found = 0;
	for (size_t i = 0; i < X1_NE_MAX_CODES; i++)
		if (st->codes[i].code == X1_C_XID_UNKNOWN && st->codes[i].n == 2)
			found = 1;
	assert_true(found);
	assert_true(st->documents == 5);
}

static void
test_restart_persistence(void **state)
{
	struct fx *f = *state;
	assert_int_equal(send1(f, dest_msg(X1_CREATE_DESTINATION, DID1, X1_X2_AND_X3)), 0);
	assert_int_equal(send1(f, dest_msg(X1_CREATE_DESTINATION, DID2, X1_X2_AND_X3)), 0);
	assert_int_equal(send1(f, task_msg(X1_ACTIVATE_TASK, XID1, DID1, X1_X2_AND_X3)), 0);
	assert_int_equal(send1(f, task_msg(X1_ACTIVATE_TASK, XID2, DID2, X1_X2_AND_X3)), 0);

	stop_ne(f);
	start_ne(f);
	assert_int_equal(ntasks(f), 2);
	assert_int_equal(send1(f, new_msg(X1_GET_ALL_TASK_DETAILS)), 0);
	assert_int_equal(f->resp->msgs[0].ntasks, 2);
	assert_int_equal(send1(f, new_msg(X1_GET_ALL_DESTINATION_DETAILS)), 0);
	assert_int_equal(f->resp->msgs[0].ndests, 2);
	/* The restarted NE still refuses what it should. */
	assert_int_equal(send1(f, task_msg(X1_ACTIVATE_TASK, XID1, DID1, X1_X2_AND_X3)),
			 X1_C_XID_EXISTS);
	assert_int_equal(send1(f, new_msg(X1_DEACTIVATE_ALL_TASKS)), 0);
	assert_int_equal(f->ev[f->nev - 1], X1_EV_ALL_TASKS_DEACTIVATED);
	assert_int_equal(f->ev_count, 2);
	stop_ne(f);
	start_ne(f);
	assert_int_equal(ntasks(f), 0);
	assert_int_equal(ndests(f), 2);
	assert_int_equal(send1(f, new_msg(X1_GET_ALL_TASK_DETAILS)), 0);
	assert_int_equal(f->resp->msgs[0].ntasks, 0);
}

static void
test_config_refused(void **state)
{
	struct fx *f = *state;
	const char *err;
	static const char *const admf[] = {"admf"};
	struct x1_ne_config cfg = {.ne_id = "poi", .admf_ids = admf, .nadmf = 0,
				   .profile = &x1_profile_poi};
	/* No accepted ADMF configured: refused (no default that accepts anyone). */
	assert_null(x1_ne_new(f->st, &cfg, &err));
	assert_non_null(err);
	cfg.nadmf = 1;
	cfg.ne_id = "bad  id";
	assert_null(x1_ne_new(f->st, &cfg, &err));
	cfg.ne_id = "poi";
	struct x1_ne *ne = x1_ne_new(f->st, &cfg, &err);
	assert_non_null(ne);
	x1_ne_free(ne);
	assert_non_null(x1_profile_lookup("mdf"));
	assert_null(x1_profile_lookup("lemf"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_examples, setup_poi, teardown),
	    cmocka_unit_test_setup_teardown(test_identity, setup_poi, teardown),
	    cmocka_unit_test_setup_teardown(test_task_lifecycle, setup_poi, teardown),
	    cmocka_unit_test_setup_teardown(test_profile_and_hooks, setup_poi, teardown),
	    cmocka_unit_test_setup_teardown(test_mdf_profile, setup_mdf, teardown),
	    cmocka_unit_test_setup_teardown(test_multi_message, setup_poi, teardown),
	    cmocka_unit_test_setup_teardown(test_top_level_and_stats, setup_poi, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_persistence, setup_poi, teardown),
	    cmocka_unit_test_setup_teardown(test_config_refused, setup_poi, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
