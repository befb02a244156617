/*
 * MDF configuration: YAML -> struct mdf_config, every key checked against the known ones.
 */
#include "mdf/mdf_config.h"

#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "mdf/mdf_dedup.h"
#include "mdf/mdf_encode.h"
#include "x1/x1.h"
#include "x2x3/x2x3.h"

static const char *const top_keys[] = {"ne_identifier", "user", "state_dir", "operator_id",
    "network_element_id", "authorization_country", "delivery_country", "ice_type", "x1",
    "x2x3", "hi", "spool", "sequence", NULL};
static const char *const x1_keys[] = {"listen", "cert", "key", "ca", "db", "admf_identifiers",
    NULL};
static const char *const x2x3_keys[] = {"listen", "cert", "key", "ca", "insecure_plaintext",
    "accepted_pois", "max_pdu", "max_connections", "idle_timeout", "dedup_window", NULL};
static const char *const hi_keys[] = {"cert", "key", "ca", "keepalive", "keepalive_timeout",
    "ack_interval_ms", "connect_timeout", "backoff_min_ms", "backoff_max_ms", "keepalive_liid",
    "destinations", NULL};
static const char *const dest_keys[] = {"address", "insecure_plaintext", "tls_name", "ack", NULL};
static const char *const spool_keys[] = {"dir", "max_bytes", "segment_bytes", "fsync",
    "batch_records", "batch_ms", "salvage", NULL};
static const char *const seq_keys[] = {"checkpoint_ms", "max_cins", "idle_timeout",
    "retention_days", NULL};

static int
fail(struct conf *c, const struct conf_node *n, const char *msg)
{
	if (n != NULL)
		snprintf(c->err, sizeof(c->err), "line %d: %s", n->line, msg);
	else
		snprintf(c->err, sizeof(c->err), "%s", msg);
	return -1;
}

/* Copies a string option into a fixed field: 0 ok/absent, -1 invalid or too long. */
static int
str_opt(struct conf *c, const struct conf_node *from, const char *path, char *dst, size_t cap,
    int required)
{
	const char *s;
	int r = conf_str(c, from, path, &s);
	if (r < 0)
		return -1;
	if (r == 1) {
		if (required) {
			snprintf(c->err, sizeof(c->err), "missing required key '%s'", path);
			return -1;
		}
		return 0;
	}
	size_t n = strlen(s);
	if (n == 0 || n >= cap) {
		snprintf(c->err, sizeof(c->err), "line %d: '%s' must be 1 to %zu characters",
		    conf_get(c, from, path)->line, path, cap - 1);
		return -1;
	}
	memcpy(dst, s, n + 1);
	return 0;
}

static int
u32_opt(struct conf *c, const char *path, uint64_t min, uint64_t max, uint32_t *v)
{
	uint64_t x = *v;
	if (conf_uint(c, NULL, path, min, max, &x) < 0)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int
u64_opt(struct conf *c, const char *path, uint64_t min, uint64_t max, uint64_t *v)
{
	return conf_uint(c, NULL, path, min, max, v) < 0 ? -1 : 0;
}

static int
hostport(struct conf *c, const char *path, char *host, size_t hostlen, uint16_t *port)
{
	const char *s;
	if (conf_str(c, NULL, path, &s) != 0) {
		if (c->err[0] == '\0')
			snprintf(c->err, sizeof(c->err), "missing required key '%s'", path);
		return -1;
	}
	if (conf_hostport(s, host, hostlen, port) < 0)
		return fail(c, conf_get(c, NULL, path), "listen address must be host:port");
	return 0;
}

static int
id_list(struct conf *c, const char *path, char (*out)[MDF_ID_MAX], size_t max, size_t *n,
    int required)
{
	const struct conf_node *l = conf_get(c, NULL, path);
	if (l == NULL && !required)
		return 0;
	if (l == NULL || l->kind != CONF_SEQ || l->child == NULL) {
		snprintf(c->err, sizeof(c->err), "%s must list at least one identity", path);
		return -1;
	}
	for (const struct conf_node *e = l->child; e != NULL; e = e->next) {
		if (e->kind != CONF_SCALAR || *n == max || strlen(e->value) == 0 ||
		    strlen(e->value) >= MDF_ID_MAX) {
			snprintf(c->err, sizeof(c->err),
			    "line %d: %s: at most %zu names of 1 to %d characters", e->line, path,
			    max, MDF_ID_MAX - 1);
			return -1;
		}
		snprintf(out[(*n)++], MDF_ID_MAX, "%s", e->value);
	}
	return 0;
}

static int
country(struct conf *c, const char *path, char out[3])
{
	const char *s;
	int r = conf_str(c, NULL, path, &s);
	if (r != 0)
		return r < 0 ? -1 : 0;
	/* PrintableString (SIZE (2)): ISO 3166-1 alpha-2, upper case. */
	if (strlen(s) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return fail(c, conf_get(c, NULL, path), "country code must be two capital letters");
	memcpy(out, s, 3);
	return 0;
}

static int
parse_dests(struct conf *c, struct mdf_config *o)
{
	const struct conf_node *ds = conf_get(c, NULL, "hi.destinations");
	if (ds != NULL && ds->kind != CONF_SEQ)
		return fail(c, ds, "hi.destinations must be a list");
	for (const struct conf_node *n = ds ? ds->child : NULL; n != NULL; n = n->next) {
		struct mdf_destpol *p;
		const char *addr, *ack = "keepalive";
		if (o->ndestpol == MDF_MAX_DESTPOL)
			return fail(c, n, "too many hi.destinations");
		p = &o->destpol[o->ndestpol];
		if (conf_check_keys(c, n, "", dest_keys) < 0)
			return -1;
		if (conf_str(c, n, "address", &addr) != 0 ||
		    conf_hostport(addr, p->host, sizeof(p->host), &p->port) < 0 || p->port == 0)
			return fail(c, n, "each destination needs address: host:port");
		if (conf_bool(c, n, "insecure_plaintext", &p->insecure_plaintext) < 0 ||
		    conf_str(c, n, "ack", &ack) < 0 ||
		    str_opt(c, n, "tls_name", p->tls_name, sizeof(p->tls_name), 0) < 0)
			return -1;
		if (strcmp(ack, "keepalive") == 0)
			p->ack = MDF_ACK_KEEPALIVE;
		else if (strcmp(ack, "tcp") == 0)
			p->ack = MDF_ACK_TCP;
		else
			return fail(c, n, "ack must be keepalive or tcp");
		o->ndestpol++;
	}
	return 0;
}

static int
parse_spool(struct conf *c, struct mdf_config *o)
{
	const char *fs = NULL;

	if (str_opt(c, NULL, "spool.dir", o->spool_dir, sizeof(o->spool_dir), 0) < 0 ||
	    u64_opt(c, "spool.max_bytes", 4ull << 20, SPOOL_MAX_BYTES_MAX, &o->spool.max_bytes) < 0 ||
	    u64_opt(c, "spool.segment_bytes", 2ull << 20, SPOOL_SEGMENT_MAXSZ,
	    &o->spool.segment_bytes) < 0 ||
	    u32_opt(c, "spool.batch_records", 1, 1000000, &o->spool.batch_records) < 0 ||
	    u32_opt(c, "spool.batch_ms", 1, 3600 * 1000, &o->spool.batch_ms) < 0 ||
	    conf_bool(c, NULL, "spool.salvage", &o->spool.salvage) < 0 ||
	    conf_str(c, NULL, "spool.fsync", &fs) < 0)
		return -1;
	if (fs != NULL) {
		if (strcmp(fs, "always") == 0)
			o->spool.sync = SPOOL_SYNC_ALWAYS;
		else if (strcmp(fs, "batch") == 0)
			o->spool.sync = SPOOL_SYNC_BATCH;
		else if (strcmp(fs, "none") == 0)
			o->spool.sync = SPOOL_SYNC_NONE;
		else
			return fail(c, conf_get(c, NULL, "spool.fsync"),
			    "spool.fsync must be always, batch or none");
	}
	if (o->spool.max_bytes < 2 * o->spool.segment_bytes)
		return fail(c, conf_get(c, NULL, "spool.max_bytes"),
		    "spool.max_bytes must be at least two segments");
	return 0;
}

static int
parse_tree(struct conf *c, void *arg)
{
	struct mdf_config *o = arg;
	const char *ice = NULL;

	if (conf_check_keys(c, NULL, "", top_keys) < 0 ||
	    conf_check_keys(c, NULL, "x1", x1_keys) < 0 ||
	    conf_check_keys(c, NULL, "x2x3", x2x3_keys) < 0 ||
	    conf_check_keys(c, NULL, "hi", hi_keys) < 0 ||
	    conf_check_keys(c, NULL, "spool", spool_keys) < 0 ||
	    conf_check_keys(c, NULL, "sequence", seq_keys) < 0)
		return -1;

	if (str_opt(c, NULL, "ne_identifier", o->ne_id, sizeof(o->ne_id), 1) < 0 ||
	    str_opt(c, NULL, "user", o->user, sizeof(o->user), 0) < 0 ||
	    str_opt(c, NULL, "state_dir", o->state_dir, sizeof(o->state_dir), 1) < 0 ||
	    str_opt(c, NULL, "operator_id", o->operator_id, sizeof(o->operator_id), 1) < 0 ||
	    str_opt(c, NULL, "network_element_id", o->network_element_id,
	    sizeof(o->network_element_id), 0) < 0 ||
	    country(c, "authorization_country", o->auth_cc) < 0 ||
	    country(c, "delivery_country", o->delivery_cc) < 0 ||
	    conf_str(c, NULL, "ice_type", &ice) < 0)
		return -1;
	if (ice != NULL) {
		if (strcmp(ice, "none") == 0)
			o->ice_type = MDF_ICE_NONE;
		else if (strcmp(ice, "sgw") == 0)
			o->ice_type = MDF_ICE_SGW;
		else if (strcmp(ice, "pgw") == 0)
			o->ice_type = MDF_ICE_PGW;
		else if (strcmp(ice, "colocated") == 0)
			o->ice_type = MDF_ICE_COLOCATED;
		else
			return fail(c, conf_get(c, NULL, "ice_type"),
			    "ice_type must be none, sgw, pgw or colocated");
	}

	/* X1: all mandatory; it is the only way tasks and agencies come in. */
	if (hostport(c, "x1.listen", o->x1_host, sizeof(o->x1_host), &o->x1_port) < 0 ||
	    str_opt(c, NULL, "x1.cert", o->x1_cert, sizeof(o->x1_cert), 1) < 0 ||
	    str_opt(c, NULL, "x1.key", o->x1_key, sizeof(o->x1_key), 1) < 0 ||
	    str_opt(c, NULL, "x1.ca", o->x1_ca, sizeof(o->x1_ca), 1) < 0 ||
	    str_opt(c, NULL, "x1.db", o->x1_db, sizeof(o->x1_db), 1) < 0 ||
	    id_list(c, "x1.admf_identifiers", o->admf_ids, MDF_MAX_ADMF, &o->nadmf, 1) < 0)
		return -1;

	/* X2/X3 ingest: mutual TLS unless explicitly plaintext; with TLS, the POIs allowed to
	 * deliver are named (the CA alone would admit every Overt certificate). */
	if (hostport(c, "x2x3.listen", o->x2x3_host, sizeof(o->x2x3_host), &o->x2x3_port) < 0 ||
	    conf_bool(c, NULL, "x2x3.insecure_plaintext", &o->x2x3_plaintext) < 0)
		return -1;
	if (!o->x2x3_plaintext &&
	    (str_opt(c, NULL, "x2x3.cert", o->x2x3_cert, sizeof(o->x2x3_cert), 1) < 0 ||
	    str_opt(c, NULL, "x2x3.key", o->x2x3_key, sizeof(o->x2x3_key), 1) < 0 ||
	    str_opt(c, NULL, "x2x3.ca", o->x2x3_ca, sizeof(o->x2x3_ca), 1) < 0))
		return -1;
	if (id_list(c, "x2x3.accepted_pois", o->pois, MDF_MAX_POIS, &o->npois,
	    !o->x2x3_plaintext) < 0)
		return -1;
	uint32_t idle = o->idle_timeout_s;
	if (u64_opt(c, "x2x3.max_pdu", X2X3_MIN_PDU_LIMIT, 512 * 1024, &o->max_pdu) < 0 ||
	    u64_opt(c, "x2x3.max_connections", 1, 4096, &o->max_conns) < 0 ||
	    u32_opt(c, "x2x3.idle_timeout", 1, 86400, &idle) < 0 ||
	    u64_opt(c, "x2x3.dedup_window", MDF_DEDUP_MIN, MDF_DEDUP_MAX, &o->dedup_window) < 0)
		return -1;
	o->idle_timeout_s = idle;

	/* HI2/HI3 delivery: our client certificate towards the LEMFs. */
	uint32_t ka = o->keepalive_ms / 1000, kat = o->keepalive_timeout_ms / 1000;
	uint32_t ct = o->connect_timeout_ms / 1000;
	if (str_opt(c, NULL, "hi.cert", o->hi_cert, sizeof(o->hi_cert), 1) < 0 ||
	    str_opt(c, NULL, "hi.key", o->hi_key, sizeof(o->hi_key), 1) < 0 ||
	    str_opt(c, NULL, "hi.ca", o->hi_ca, sizeof(o->hi_ca), 1) < 0 ||
	    u32_opt(c, "hi.keepalive", 1, 3600, &ka) < 0 ||
	    u32_opt(c, "hi.keepalive_timeout", 1, 3600, &kat) < 0 ||
	    u32_opt(c, "hi.connect_timeout", 1, 600, &ct) < 0 ||
	    u32_opt(c, "hi.ack_interval_ms", 1, 60000, &o->ack_interval_ms) < 0 ||
	    u32_opt(c, "hi.backoff_min_ms", 10, 600000, &o->backoff_min_ms) < 0 ||
	    u32_opt(c, "hi.backoff_max_ms", 10, 3600000, &o->backoff_max_ms) < 0 ||
	    str_opt(c, NULL, "hi.keepalive_liid", o->keepalive_liid, sizeof(o->keepalive_liid),
	    0) < 0)
		return -1;
	o->keepalive_ms = ka * 1000;
	o->keepalive_timeout_ms = kat * 1000;
	o->connect_timeout_ms = ct * 1000;
	if (o->backoff_max_ms < o->backoff_min_ms)
		return fail(c, conf_get(c, NULL, "hi.backoff_max_ms"),
		    "hi.backoff_max_ms below hi.backoff_min_ms");
	if (!x1_liid_ok(o->keepalive_liid) || strlen(o->keepalive_liid) > 25)
		return fail(c, conf_get(c, NULL, "hi.keepalive_liid"),
		    "hi.keepalive_liid must be a LIID of at most 25 characters");
	if (parse_dests(c, o) < 0 || parse_spool(c, o) < 0)
		return -1;
	if (o->spool_dir[0] == '\0' &&
	    snprintf(o->spool_dir, sizeof(o->spool_dir), "%s/spool", o->state_dir) >=
	    (int)sizeof(o->spool_dir))
		return fail(c, NULL, "state_dir too long");

	if (u32_opt(c, "sequence.checkpoint_ms", 10, 60000, &o->checkpoint_ms) < 0 ||
	    u64_opt(c, "sequence.max_cins", 16, 1u << 26, &o->max_cins) < 0 ||
	    u32_opt(c, "sequence.idle_timeout", 1, 30 * 86400, &o->cin_idle_s) < 0 ||
	    u32_opt(c, "sequence.retention_days", 1, 3650, &o->retention_days) < 0)
		return -1;
	return 0;
}

static void
defaults(struct mdf_config *o)
{
	memset(o, 0, sizeof(*o));
	o->ice_type = MDF_ICE_SGW;
	o->max_pdu = X2X3_MAX_PDU_DEFAULT;
	o->max_conns = 256;
	o->idle_timeout_s = 120;
	o->dedup_window = 131072;
	o->keepalive_ms = 5000;
	o->keepalive_timeout_ms = 10000;
	o->ack_interval_ms = 50;
	o->connect_timeout_ms = 5000;
	o->backoff_min_ms = 100;
	o->backoff_max_ms = 10000;
	snprintf(o->keepalive_liid, sizeof(o->keepalive_liid), "KEEPALIVE");
	spool_cfg_default(&o->spool);
	o->checkpoint_ms = 1000;
	o->max_cins = 1000000;
	o->cin_idle_s = 3600;
	o->retention_days = 30;
}

int
mdf_config_parse(const char *buf, size_t len, struct mdf_config *out, char *err, size_t errlen)
{
	defaults(out);
	return conf_apply(conf_parse(buf, len, err, errlen), NULL, parse_tree, out, err, errlen);
}

int
mdf_config_load(const char *path, struct mdf_config *out, char *err, size_t errlen)
{
	defaults(out);
	return conf_apply(conf_load(path, err, errlen), path, parse_tree, out, err, errlen);
}

const struct mdf_destpol *
mdf_config_destpol(const struct mdf_config *c, const char *host, uint16_t port)
{
	for (size_t i = 0; i < c->ndestpol; i++)
		if (c->destpol[i].port == port && strcmp(c->destpol[i].host, host) == 0)
			return &c->destpol[i];
	return NULL;
}
