/*
 * X1 network element logic (see x1_ne.h for the order of checks and the unit of work).
 *
 * Each message's answer is written into its own builder first and appended to the document
 * only when complete, so a failure half-way through a Get(All)... answer is replaced by a
 * clean ErrorResponse instead of leaving a truncated element in the document.
 */
#include "x1/x1_ne.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/uuid.h"

const struct x1_profile x1_profile_poi = {
	.name = "poi",
	.targets = X1_TGT_BIT(X1_TGT_IMSI) | X1_TGT_BIT(X1_TGT_E164) | X1_TGT_BIT(X1_TGT_IMEI),
	.mediation = X1_MED_FORBIDDEN,
	.require_dids = 1,
	.addr_types = X1_ADDR_IPV4_TCP | X1_ADDR_IPV6_TCP,
	.services = X1_SVC_DATA,
};

const struct x1_profile x1_profile_mdf = {
	.name = "mdf",
	.targets = X1_TGT_BIT(X1_TGT_IMSI) | X1_TGT_BIT(X1_TGT_E164) | X1_TGT_BIT(X1_TGT_IMEI),
	.mediation = X1_MED_REQUIRED,
	.require_dids = 0,
	.addr_types = X1_ADDR_IPV4_TCP | X1_ADDR_IPV6_TCP,
	.services = X1_SVC_VOICE | X1_SVC_DATA | X1_SVC_MESSAGING | X1_SVC_PUSH_TO_TALK |
		    X1_SVC_LALS | X1_SVC_RCS,
};

const struct x1_profile *
x1_profile_lookup(const char *name)
{
	if (strcmp(name, "poi") == 0)
		return &x1_profile_poi;
	if (strcmp(name, "mdf") == 0)
		return &x1_profile_mdf;
	return NULL;
}

const char *
x1_event_name(enum x1_event_type t)
{
	switch (t) {
	case X1_EV_TASK_ACTIVATED:
		return "task_activated";
	case X1_EV_TASK_MODIFIED:
		return "task_modified";
	case X1_EV_TASK_DEACTIVATED:
		return "task_deactivated";
	case X1_EV_ALL_TASKS_DEACTIVATED:
		return "all_tasks_deactivated";
	case X1_EV_DEST_CREATED:
		return "destination_created";
	case X1_EV_DEST_MODIFIED:
		return "destination_modified";
	case X1_EV_DEST_REMOVED:
		return "destination_removed";
	}
	return "unknown";
}

#define MAX_ADMF 16

struct x1_ne {
	struct x1_store *store;
	char ne_id[X1_ID_MAX + 1];
	char admf[MAX_ADMF][X1_ID_MAX + 1];
	size_t nadmf;
	struct x1_profile profile;
	struct x1_hooks hooks;
	struct x1_ne_stats stats;
	struct x1_task scratch;		/* a task read back for an event or a response */
};

/* The outcome of one message: 0, or an X1 error code with a description. */
struct outcome {
	int code;
	char desc[X1_DESC_MAX + 1];
};

static int
set_err(struct outcome *o, int code, const char *desc)
{
	o->code = code;
	snprintf(o->desc, sizeof(o->desc), "%s", desc != NULL ? desc : x1_code_str(code));
	return code;
}

struct x1_ne *
x1_ne_new(struct x1_store *store, const struct x1_ne_config *cfg, const char **err)
{
	*err = NULL;
	if (store == NULL || cfg->ne_id == NULL || !x1_token_ok(cfg->ne_id, X1_ID_MAX)) {
		*err = "neIdentifier missing or not a valid xs:token";
		return NULL;
	}
	if (cfg->nadmf == 0 || cfg->nadmf > MAX_ADMF) {
		*err = "between 1 and 16 accepted admfIdentifiers must be configured";
		return NULL;
	}
	if (cfg->profile == NULL) {
		*err = "no profile";
		return NULL;
	}
	struct x1_ne *ne = calloc(1, sizeof(*ne));
	if (ne == NULL) {
		*err = "out of memory";
		return NULL;
	}
	for (size_t i = 0; i < cfg->nadmf; i++) {
		if (!x1_token_ok(cfg->admf_ids[i], X1_ID_MAX)) {
			*err = "admfIdentifier not a valid xs:token";
			free(ne);
			return NULL;
		}
		snprintf(ne->admf[i], sizeof(ne->admf[i]), "%s", cfg->admf_ids[i]);
	}
	ne->nadmf = cfg->nadmf;
	ne->store = store;
	snprintf(ne->ne_id, sizeof(ne->ne_id), "%s", cfg->ne_id);
	ne->profile = *cfg->profile;
	ne->hooks = cfg->hooks;
	return ne;
}

void
x1_ne_free(struct x1_ne *ne)
{
	free(ne);
}

const struct x1_ne_stats *
x1_ne_stats(const struct x1_ne *ne)
{
	return &ne->stats;
}

const char *
x1_ne_id(const struct x1_ne *ne)
{
	return ne->ne_id;
}

static void
count_code(struct x1_ne *ne, int code)
{
	for (size_t i = 0; i < X1_NE_MAX_CODES; i++) {
		if (ne->stats.codes[i].code == code || ne->stats.codes[i].code == 0) {
			ne->stats.codes[i].code = code;
			ne->stats.codes[i].n++;
			return;
		}
	}
}

static void
notify(struct x1_ne *ne, enum x1_event_type type, const struct x1_header *h,
       const struct x1_task *t, const struct x1_dest *d, size_t count)
{
	struct x1_event ev = {type, h, t, d, count};
	if (ne->hooks.changed != NULL)
		ne->hooks.changed(ne->hooks.arg, &ev);
}

/* ------------------------------------------------------------------------------------------ */
/* Checks that need no storage                                                                */

/* Clause 8.2.4: the identifiers in the header are bound to the TLS peer. */
static int
check_identity(struct x1_ne *ne, const struct x1_peer *peer, const struct x1_header *h,
	       struct outcome *o)
{
	size_t i;
	for (i = 0; i < peer->n; i++)
		if (strcmp(peer->names[i], h->admf_id) == 0)
			break;
	if (i == peer->n)
		return set_err(o, X1_C_ADMF_CERT, "admfIdentifier does not match the client certificate");
	for (i = 0; i < ne->nadmf; i++)
		if (strcmp(ne->admf[i], h->admf_id) == 0)
			break;
	if (i == ne->nadmf)
		return set_err(o, X1_C_ADMF_UNEXPECTED, "admfIdentifier not authorised on this NE");
	if (strcmp(h->ne_id, ne->ne_id) != 0)
		return set_err(o, X1_C_NE_UNEXPECTED, "neIdentifier is not this NE");
	return 0;
}

static int
has_dup(const uint8_t (*d)[16], size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (memcmp(d[i], d[j], 16) == 0)
				return 1;
	return 0;
}

static int
check_task_profile(struct x1_ne *ne, enum x1_msg_type type, const struct x1_task *t,
		   struct outcome *o)
{
	int generic = type == X1_MODIFY_TASK ? X1_C_MODIFY_FAILED : X1_C_ACTIVATE_FAILED;
	char d[X1_DESC_MAX + 1];

	for (size_t i = 0; i < t->ntargets; i++) {
		if (!(ne->profile.targets & X1_TGT_BIT(t->targets[i].type))) {
			snprintf(d, sizeof(d), "target type %s not supported by this %s",
				 x1_target_name(t->targets[i].type), ne->profile.name);
			return set_err(o, X1_C_TARGET_TYPE, d);
		}
	}
	if (t->service_types & ~ne->profile.services)
		return set_err(o, X1_C_SERVICE_TYPE, NULL);
	if (ne->profile.mediation == X1_MED_FORBIDDEN && (t->has_mediation || t->nmed > 0))
		return set_err(o, generic, "listOfMediationDetails not supported by this NE");
	if (ne->profile.mediation == X1_MED_REQUIRED && t->nmed == 0)
		return set_err(o, generic, "listOfMediationDetails required by this NE");
	if (ne->profile.require_dids && t->ndids == 0)
		return set_err(o, X1_C_DELIVERY_MISMATCH, "listOfDIDs names no destination");
	if (has_dup(t->dids, t->ndids))
		return set_err(o, generic, "duplicate dId in listOfDIDs");
	for (size_t i = 0; i < t->nmed; i++) {
		if (has_dup(t->med[i].dids, t->med[i].ndids))
			return set_err(o, generic, "duplicate dId in mediationDetails");
		if (ne->profile.mediation == X1_MED_REQUIRED && t->med[i].ndids == 0)
			return set_err(o, X1_C_DELIVERY_MISMATCH,
				       "mediationDetails names no destination");
		for (size_t j = 0; j < i; j++)
			if (strcmp(t->med[i].liid, t->med[j].liid) == 0)
				return set_err(o, generic, "duplicate LIID in mediationDetails");
	}
	if (ne->hooks.check_task != NULL) {
		d[0] = '\0';
		int code = ne->hooks.check_task(ne->hooks.arg, type, t, d, sizeof(d));
		if (code != 0)
			return set_err(o, code, d[0] != '\0' ? d : NULL);
	}
	return 0;
}

static int
check_dest_profile(struct x1_ne *ne, enum x1_msg_type type, const struct x1_dest *dst,
		   struct outcome *o)
{
	char d[X1_DESC_MAX + 1];
	if (!(ne->profile.addr_types & x1_dest_addr_bit(dst->family, dst->proto)))
		return set_err(o, X1_C_ADDRESS_TYPE, "delivery address type not supported by this NE");
	if (ne->hooks.check_dest != NULL) {
		d[0] = '\0';
		int code = ne->hooks.check_dest(ne->hooks.arg, type, dst, d, sizeof(d));
		if (code != 0)
			return set_err(o, code, d[0] != '\0' ? d : NULL);
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Checks against the store (inside the message's transaction)                               */

static int
store_fail(struct outcome *o, int generic)
{
	return set_err(o, generic, "storage failure");
}

/* Every DID exists (2040) and the destinations' delivery types fit the task's (3040): each
 * destination must carry something the task delivers, and together they must carry all of it. */
static int
check_dids(struct x1_ne *ne, const uint8_t (*dids)[16], size_t n, enum x1_delivery want,
	   int generic, struct outcome *o)
{
	unsigned have = 0, w = x1_delivery_bits(want);
	struct x1_dest d;
	char u[UUID_STRLEN + 1], desc[X1_DESC_MAX + 1];

	for (size_t i = 0; i < n; i++) {
		enum x1_store_err e = x1_store_dest_get(ne->store, dids[i], &d, NULL);
		if (e == X1S_NOT_FOUND) {
			uuid_format(dids[i], u);
			snprintf(desc, sizeof(desc), "dId %s does not exist", u);
			return set_err(o, X1_C_DID_UNKNOWN, desc);
		}
		if (e != X1S_OK)
			return store_fail(o, generic);
		unsigned b = x1_delivery_bits(d.delivery);
		if ((b & w) == 0) {
			uuid_format(dids[i], u);
			snprintf(desc, sizeof(desc), "destination %s carries nothing of %s", u,
				 x1_delivery_name(want));
			return set_err(o, X1_C_DELIVERY_MISMATCH, desc);
		}
		have |= b;
	}
	if (n > 0 && (have & w) != w)
		return set_err(o, X1_C_DELIVERY_MISMATCH, "destinations do not cover the deliveryType");
	return 0;
}

static int
check_task_dids(struct x1_ne *ne, const struct x1_task *t, int generic, struct outcome *o)
{
	if (check_dids(ne, t->dids, t->ndids, t->delivery, generic, o) != 0)
		return o->code;
	for (size_t i = 0; i < t->nmed; i++)
		if (check_dids(ne, t->med[i].dids, t->med[i].ndids, t->med[i].delivery, generic,
			       o) != 0)
			return o->code;
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Message handlers: each returns 0 (and wrote a success answer into b) or an error code      */

static int
do_activate_modify(struct x1_ne *ne, const struct x1_msg *m, const struct x1_header *rh,
		   struct ovt_builder *b, struct outcome *o)
{
	int modify = m->type == X1_MODIFY_TASK;
	int generic = modify ? X1_C_MODIFY_FAILED : X1_C_ACTIVATE_FAILED;
	int exists;
	enum x1_store_err e;

	if (check_task_profile(ne, m->type, &m->task, o) != 0)
		return o->code;
	if (x1_store_begin(ne->store) != X1S_OK)
		return store_fail(o, generic);
	if (x1_store_task_exists(ne->store, m->task.xid, &exists) != X1S_OK) {
		store_fail(o, generic);
		goto rollback;
	}
	if (modify && !exists) {
		set_err(o, X1_C_XID_UNKNOWN, NULL);
		goto rollback;
	}
	if (!modify && exists) {
		set_err(o, X1_C_XID_EXISTS, NULL);
		goto rollback;
	}
	if (check_task_dids(ne, &m->task, generic, o) != 0)
		goto rollback;
	if (modify)
		e = x1_store_task_replace(ne->store, &m->task, m->hdr.admf_id, rh->timestamp);
	else
		e = x1_store_task_insert(ne->store, &m->task, m->hdr.admf_id, rh->timestamp);
	if (e == X1S_FULL)
		set_err(o, generic, "task limit reached");
	else if (e != X1S_OK)
		store_fail(o, generic);
	if (e != X1S_OK)
		goto rollback;
	if (x1_store_commit(ne->store) != X1S_OK)
		return store_fail(o, generic);
	notify(ne, modify ? X1_EV_TASK_MODIFIED : X1_EV_TASK_ACTIVATED, &m->hdr, &m->task, NULL, 0);
	x1_build_msg_begin(b, m->type, rh);
	x1_build_ok(b, X1_OK_COMPLETED);
	x1_build_msg_end(b);
	return 0;
rollback:
	x1_store_rollback(ne->store);
	return o->code;
}

static int
do_deactivate(struct x1_ne *ne, const struct x1_msg *m, const struct x1_header *rh,
	      struct ovt_builder *b, struct outcome *o)
{
	enum x1_store_err e;
	if (x1_store_begin(ne->store) != X1S_OK)
		return store_fail(o, X1_C_DEACTIVATE_FAILED);
	e = x1_store_task_get(ne->store, m->id, &ne->scratch, NULL);
	if (e == X1S_OK)
		e = x1_store_task_delete(ne->store, m->id);
	if (e != X1S_OK) {
		x1_store_rollback(ne->store);
		if (e == X1S_NOT_FOUND)
			return set_err(o, X1_C_XID_UNKNOWN, NULL);
		return store_fail(o, X1_C_DEACTIVATE_FAILED);
	}
	if (x1_store_commit(ne->store) != X1S_OK)
		return store_fail(o, X1_C_DEACTIVATE_FAILED);
	notify(ne, X1_EV_TASK_DEACTIVATED, &m->hdr, &ne->scratch, NULL, 0);
	x1_build_msg_begin(b, m->type, rh);
	x1_build_ok(b, X1_OK_COMPLETED);
	x1_build_msg_end(b);
	return 0;
}

static int
do_deactivate_all(struct x1_ne *ne, const struct x1_msg *m, const struct x1_header *rh,
		  struct ovt_builder *b, struct outcome *o)
{
	size_t n = 0;
	if (x1_store_begin(ne->store) != X1S_OK)
		return store_fail(o, X1_C_DEACTIVATE_ALL_FAILED);
	if (x1_store_task_delete_all(ne->store, &n) != X1S_OK) {
		x1_store_rollback(ne->store);
		return store_fail(o, X1_C_DEACTIVATE_ALL_FAILED);
	}
	if (x1_store_commit(ne->store) != X1S_OK)
		return store_fail(o, X1_C_DEACTIVATE_ALL_FAILED);
	notify(ne, X1_EV_ALL_TASKS_DEACTIVATED, &m->hdr, NULL, NULL, n);
	x1_build_msg_begin(b, m->type, rh);
	x1_build_ok(b, X1_OK_COMPLETED);
	x1_build_msg_end(b);
	return 0;
}

static void
task_status(struct x1_ne *ne, const struct x1_task *t, const struct x1_store_meta *meta,
	    struct x1_task_status *st)
{
	memset(st, 0, sizeof(*st));
	st->prov = X1_PROV_COMPLETE;
	if (ne->hooks.task_status != NULL)
		ne->hooks.task_status(ne->hooks.arg, t, st);
	memcpy(st->last_modified, meta->modified, sizeof(st->last_modified));
	st->has_nmod = 1;
	st->nmod = meta->nmod;
}

struct list_ctx {
	struct x1_ne *ne;
	struct ovt_builder *b;
};

static int
list_task(void *arg, const struct x1_task *t, const struct x1_store_meta *meta)
{
	struct list_ctx *c = arg;
	struct x1_task_status st;
	task_status(c->ne, t, meta, &st);
	x1_build_task_resp(c->b, t, &st);
	return !bld_ok(c->b);
}

static int
do_get_task(struct x1_ne *ne, const struct x1_msg *m, const struct x1_header *rh,
	    struct ovt_builder *b, struct outcome *o)
{
	struct x1_store_meta meta;
	struct x1_task_status st;
	enum x1_store_err e = x1_store_task_get(ne->store, m->id, &ne->scratch, &meta);
	if (e == X1S_NOT_FOUND)
		return set_err(o, X1_C_XID_UNKNOWN, NULL);
	if (e != X1S_OK)
		return store_fail(o, X1_C_GENERIC);
	task_status(ne, &ne->scratch, &meta, &st);
	x1_build_msg_begin(b, m->type, rh);
	x1_build_task_resp(b, &ne->scratch, &st);
	x1_build_msg_end(b);
	return 0;
}

static int
do_get_all_tasks(struct x1_ne *ne, const struct x1_msg *m, const struct x1_header *rh,
		 struct ovt_builder *b, struct outcome *o)
{
	struct list_ctx c = {ne, b};
	x1_build_msg_begin(b, m->type, rh);
	x1_build_open(b, "listOfTaskResponseDetails");
	if (x1_store_task_foreach(ne->store, list_task, &c) != X1S_OK)
		return store_fail(o, X1_C_GENERIC);
	x1_build_close(b, "listOfTaskResponseDetails");
	x1_build_msg_end(b);
	return 0;
}

static int
do_create_modify_dest(struct x1_ne *ne, const struct x1_msg *m, const struct x1_header *rh,
		      struct ovt_builder *b, struct outcome *o)
{
	int modify = m->type == X1_MODIFY_DESTINATION;
	int generic = modify ? X1_C_MODIFY_DEST_FAILED : X1_C_CREATE_DEST_FAILED;
	struct x1_dest old;
	enum x1_store_err e;
	size_t users = 0;

	if (check_dest_profile(ne, m->type, &m->dest, o) != 0)
		return o->code;
	if (x1_store_begin(ne->store) != X1S_OK)
		return store_fail(o, generic);
	if (modify) {
		e = x1_store_dest_get(ne->store, m->dest.did, &old, NULL);
		if (e == X1S_NOT_FOUND) {
			set_err(o, X1_C_DID_UNKNOWN, NULL);
			goto rollback;
		}
		if (e != X1S_OK || x1_store_dest_users(ne->store, m->dest.did, &users) != X1S_OK) {
			store_fail(o, generic);
			goto rollback;
		}
		/* Tasks were checked (3040) against the delivery type they were given. */
		if (users > 0 && old.delivery != m->dest.delivery) {
			set_err(o, generic, "deliveryType of a destination in use cannot change");
			goto rollback;
		}
		e = x1_store_dest_replace(ne->store, &m->dest, m->hdr.admf_id, rh->timestamp);
	} else
		e = x1_store_dest_insert(ne->store, &m->dest, m->hdr.admf_id, rh->timestamp);
	if (e == X1S_EXISTS)
		set_err(o, X1_C_DID_EXISTS, NULL);
	else if (e == X1S_FULL)
		set_err(o, generic, "destination limit reached");
	else if (e != X1S_OK)
		store_fail(o, generic);
	if (e != X1S_OK)
		goto rollback;
	if (x1_store_commit(ne->store) != X1S_OK)
		return store_fail(o, generic);
	notify(ne, modify ? X1_EV_DEST_MODIFIED : X1_EV_DEST_CREATED, &m->hdr, NULL, &m->dest, 0);
	x1_build_msg_begin(b, m->type, rh);
	x1_build_ok(b, X1_OK_COMPLETED);
	x1_build_msg_end(b);
	return 0;
rollback:
	x1_store_rollback(ne->store);
	return o->code;
}

static int
do_remove_dest(struct x1_ne *ne, const struct x1_msg *m, const struct x1_header *rh,
	       struct ovt_builder *b, struct outcome *o)
{
	struct x1_dest old;
	enum x1_store_err e;
	if (x1_store_begin(ne->store) != X1S_OK)
		return store_fail(o, X1_C_REMOVE_DEST_FAILED);
	e = x1_store_dest_get(ne->store, m->id, &old, NULL);
	if (e == X1S_OK)
		e = x1_store_dest_delete(ne->store, m->id);
	if (e != X1S_OK) {
		x1_store_rollback(ne->store);
		if (e == X1S_NOT_FOUND)
			return set_err(o, X1_C_DID_UNKNOWN, NULL);
		if (e == X1S_IN_USE)
			return set_err(o, X1_C_DEST_IN_USE, NULL);
		return store_fail(o, X1_C_REMOVE_DEST_FAILED);
	}
	if (x1_store_commit(ne->store) != X1S_OK)
		return store_fail(o, X1_C_REMOVE_DEST_FAILED);
	notify(ne, X1_EV_DEST_REMOVED, &m->hdr, NULL, &old, 0);
	x1_build_msg_begin(b, m->type, rh);
	x1_build_ok(b, X1_OK_COMPLETED);
	x1_build_msg_end(b);
	return 0;
}

static void
dest_status(struct x1_ne *ne, const struct x1_dest *d, struct x1_dest_status *st)
{
	memset(st, 0, sizeof(*st));
	st->status = X1_DST_ACTIVE;
	if (ne->hooks.dest_status != NULL)
		ne->hooks.dest_status(ne->hooks.arg, d, st);
}

static int
list_dest(void *arg, const struct x1_dest *d, const struct x1_store_meta *meta)
{
	struct list_ctx *c = arg;
	struct x1_dest_status st;
	dest_status(c->ne, d, &st);
	x1_build_dest_resp(c->b, d, &st);
	return !bld_ok(c->b);
}

static int
do_get_dest(struct x1_ne *ne, const struct x1_msg *m, const struct x1_header *rh,
	    struct ovt_builder *b, struct outcome *o)
{
	struct x1_dest d;
	struct x1_dest_status st;
	enum x1_store_err e = x1_store_dest_get(ne->store, m->id, &d, NULL);
	if (e == X1S_NOT_FOUND)
		return set_err(o, X1_C_DID_UNKNOWN, NULL);
	if (e != X1S_OK)
		return store_fail(o, X1_C_GENERIC);
	dest_status(ne, &d, &st);
	x1_build_msg_begin(b, m->type, rh);
	x1_build_dest_resp(b, &d, &st);
	x1_build_msg_end(b);
	return 0;
}

static int
do_get_all_dests(struct x1_ne *ne, const struct x1_msg *m, const struct x1_header *rh,
		 struct ovt_builder *b, struct outcome *o)
{
	struct list_ctx c = {ne, b};
	x1_build_msg_begin(b, m->type, rh);
	x1_build_open(b, "listOfDestinationResponseDetails");
	if (x1_store_dest_foreach(ne->store, list_dest, &c) != X1S_OK)
		return store_fail(o, X1_C_GENERIC);
	x1_build_close(b, "listOfDestinationResponseDetails");
	x1_build_msg_end(b);
	return 0;
}

static int
do_simple(struct x1_ne *ne, const struct x1_msg *m, const struct x1_header *rh,
	  struct ovt_builder *b)
{
	x1_build_msg_begin(b, m->type, rh);
	if (m->type == X1_GET_NE_STATUS) {
		struct x1_ne_status st;
		memset(&st, 0, sizeof(st));
		st.status = X1_NES_OK;
		if (ne->hooks.ne_status != NULL)
			ne->hooks.ne_status(ne->hooks.arg, &st);
		x1_build_ne_status(b, &st);
	} else {
		if (m->type == X1_KEEPALIVE)
			ne->stats.keepalives++;
		x1_build_ok(b, X1_OK_COMPLETED);
	}
	x1_build_msg_end(b);
	return 0;
}

static int
dispatch(struct x1_ne *ne, const struct x1_msg *m, const struct x1_header *rh,
	 struct ovt_builder *b, struct outcome *o)
{
	switch (m->type) {
	case X1_ACTIVATE_TASK:
	case X1_MODIFY_TASK:
		return do_activate_modify(ne, m, rh, b, o);
	case X1_DEACTIVATE_TASK:
		return do_deactivate(ne, m, rh, b, o);
	case X1_DEACTIVATE_ALL_TASKS:
		return do_deactivate_all(ne, m, rh, b, o);
	case X1_GET_TASK_DETAILS:
		return do_get_task(ne, m, rh, b, o);
	case X1_GET_ALL_TASK_DETAILS:
		return do_get_all_tasks(ne, m, rh, b, o);
	case X1_CREATE_DESTINATION:
	case X1_MODIFY_DESTINATION:
		return do_create_modify_dest(ne, m, rh, b, o);
	case X1_REMOVE_DESTINATION:
		return do_remove_dest(ne, m, rh, b, o);
	case X1_GET_DESTINATION_DETAILS:
		return do_get_dest(ne, m, rh, b, o);
	case X1_GET_ALL_DESTINATION_DETAILS:
		return do_get_all_dests(ne, m, rh, b, o);
	case X1_GET_NE_STATUS:
	case X1_PING:
	case X1_KEEPALIVE:
		return do_simple(ne, m, rh, b);
	default:
		return set_err(o, X1_C_UNSUPPORTED_REQUEST, NULL);
	}
}

/* Answers one message into out; returns 0, or -1 if even the error answer failed. */
static int
handle_msg(struct x1_ne *ne, const struct x1_peer *peer, const struct x1_msg *m,
	   struct ovt_builder *out)
{
	struct ovt_builder b;
	struct outcome o = {0, ""};
	struct x1_header rh = m->hdr;	/* the answer echoes the request's header */

	x1_timestamp_now(rh.timestamp);
	if (!bld_init(&b, 1024, X1_MAX_RESPONSE))
		return -1;
	if (m->perr != X1_P_OK) {
		ne->stats.msg_err[m->perr]++;
		set_err(&o, m->code, m->detail);
	} else if (check_identity(ne, peer, &m->hdr, &o) == 0 && dispatch(ne, m, &rh, &b, &o) == 0) {
		if (!bld_ok(&b))
			set_err(&o, X1_C_GENERIC, "answer could not be built (size limit or invalid stored value)");
	}
	if (o.code != 0) {
		bld_reset(&b);
		count_code(ne, o.code);
		x1_build_error_msg(&b, m->type, &rh, o.code, o.desc);
	} else
		ne->stats.msg_ok[m->type]++;
	if (bld_ok(&b))
		bld_add_bytes(out, bld_data(&b), bld_len(&b));
	int ok = bld_ok(&b) && bld_ok(out);
	bld_cleanup(&b);
	return ok ? 0 : -1;
}

enum x1_ne_result
x1_ne_handle(struct x1_ne *ne, const struct x1_peer *peer, const uint8_t *body, size_t len,
	     struct ovt_builder *out, enum x1_perr *doc_err)
{
	char detail[X1_DESC_MAX + 1];
	struct x1_request *req = x1_request_new();

	ne->stats.documents++;
	*doc_err = req == NULL ? X1_P_NOMEM
			       : x1_parse_request(body, len, X1_MAX_BODY, req, detail, sizeof(detail));
	if (*doc_err != X1_P_OK) {
		/* No usable header: answer with the certificate's name and ours (clause 6.1). */
		const char *admf = peer->n > 0 && x1_token_ok(peer->names[0], X1_ID_MAX)
				       ? peer->names[0] : "unknown";
		ne->stats.top_level++;
		ne->stats.doc_err[*doc_err]++;
		x1_request_free(req);
		bld_reset(out);
		x1_build_top_level_error(out, admf, ne->ne_id, X1_VERSION_DEFAULT);
		if (!bld_ok(out)) {
			ne->stats.failed++;
			return X1_NE_FAILED;
		}
		return X1_NE_TOP_LEVEL;
	}
	int failed = 0;
	x1_build_response_begin(out);
	for (size_t i = 0; i < req->nmsg && !failed; i++)
		failed = handle_msg(ne, peer, &req->msgs[i], out) != 0;
	x1_build_response_end(out);
	x1_request_free(req);
	/* A message without an answer would make the document lie about it. */
	if (failed || !bld_ok(out)) {
		ne->stats.failed++;
		return X1_NE_FAILED;
	}
	return X1_NE_RESPONSE;
}
