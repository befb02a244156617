/*
 * POI configuration: YAML -> struct poi_config, with every key checked against the list of
 * known keys so that a typo is an error, not a silently ignored setting.
 */
#include "poi/poi_config.h"

#include <stdio.h>
#include <string.h>

#include "conf/conf.h"

static const char *const top_keys[] = {"ne_identifier", "nfid", "ipid", "operator_id",
    "capture", "sessions", "reassembly", "x1", "x2x3", NULL};
static const char *const capture_keys[] = {"interface", "filter", "snaplen", "buffer", "user",
    NULL};
static const char *const sessions_keys[] = {"max", "idle_timeout", NULL};
static const char *const reassembly_keys[] = {"max_datagrams", "max_fragments", "memory",
    "timeout", NULL};
static const char *const x1_keys[] = {"listen", "cert", "key", "ca", "db", "admf_identifiers",
    NULL};
static const char *const x2x3_keys[] = {"cert", "key", "ca", "version", "queue_records",
    "queue_bytes", "keepalive", "destinations", NULL};
static const char *const dest_keys[] = {"address", "insecure_plaintext", "x3_payload",
    "tls_name", NULL};

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
uint_opt(struct conf *c, const char *path, uint64_t min, uint64_t max, uint64_t *v)
{
	return conf_uint(c, NULL, path, min, max, v) < 0 ? -1 : 0;
}

/* reassembly.*: each key in the range pkt_frag_new accepts, then the combination. */
static int
parse_reassembly(struct conf *c, struct pkt_frag_config *fc)
{
	uint64_t v;
	const char *why;

	v = fc->max_datagrams;
	if (uint_opt(c, "reassembly.max_datagrams", 1, PKT_FRAG_MAX_DATAGRAMS, &v) < 0)
		return -1;
	fc->max_datagrams = (uint32_t)v;
	v = fc->max_fragments;
	if (uint_opt(c, "reassembly.max_fragments", 2, PKT_FRAG_MAX_FRAGMENTS, &v) < 0)
		return -1;
	fc->max_fragments = (uint32_t)v;
	if (uint_opt(c, "reassembly.memory", (uint64_t)fc->max_datagram + PKT_FRAG_BLOCK,
	    PKT_FRAG_MAX_BYTES, &fc->max_bytes) < 0)
		return -1;
	v = fc->timeout_ns / 1000000000ULL;
	if (uint_opt(c, "reassembly.timeout", 1, PKT_FRAG_MAX_TIMEOUT_NS / 1000000000ULL, &v) < 0)
		return -1;
	fc->timeout_ns = v * 1000000000ULL;
	if ((why = pkt_frag_config_check(fc)) != NULL) {
		snprintf(c->err, sizeof(c->err), "reassembly: %s", why);
		return -1;
	}
	return 0;
}

static int
parse_tree(struct conf *c, void *arg)
{
	struct poi_config *o = arg;
	uint64_t v;

	if (conf_check_keys(c, NULL, "", top_keys) < 0 ||
	    conf_check_keys(c, NULL, "capture", capture_keys) < 0 ||
	    conf_check_keys(c, NULL, "sessions", sessions_keys) < 0 ||
	    conf_check_keys(c, NULL, "reassembly", reassembly_keys) < 0 ||
	    conf_check_keys(c, NULL, "x1", x1_keys) < 0 ||
	    conf_check_keys(c, NULL, "x2x3", x2x3_keys) < 0)
		return -1;

	if (str_opt(c, NULL, "ne_identifier", o->ne_id, sizeof(o->ne_id), 1) < 0 ||
	    str_opt(c, NULL, "nfid", o->nfid, sizeof(o->nfid), 0) < 0 ||
	    str_opt(c, NULL, "ipid", o->ipid, sizeof(o->ipid), 0) < 0 ||
	    str_opt(c, NULL, "operator_id", o->operator_id, sizeof(o->operator_id), 0) < 0 ||
	    str_opt(c, NULL, "capture.interface", o->interface, sizeof(o->interface), 0) < 0 ||
	    str_opt(c, NULL, "capture.filter", o->filter, sizeof(o->filter), 0) < 0 ||
	    str_opt(c, NULL, "capture.user", o->user, sizeof(o->user), 0) < 0)
		return -1;
	if (o->nfid[0] == '\0')
		snprintf(o->nfid, sizeof(o->nfid), "%s", o->ne_id);

	v = (uint64_t)o->snaplen;
	if (uint_opt(c, "capture.snaplen", 128, 262144, &v) < 0)
		return -1;
	o->snaplen = (int)v;
	v = (uint64_t)o->bufsize;
	if (uint_opt(c, "capture.buffer", 0, 1ULL << 31, &v) < 0)
		return -1;
	o->bufsize = (int)v;
	if (uint_opt(c, "sessions.max", 1, 100000000, &o->sess_max) < 0)
		return -1;
	v = o->sess_idle_s;
	if (uint_opt(c, "sessions.idle_timeout", 1, 30 * 86400, &v) < 0)
		return -1;
	o->sess_idle_s = (uint32_t)v;
	if (parse_reassembly(c, &o->frag) < 0)
		return -1;

	/* X1: all mandatory; there is no other way in. */
	const char *listen;
	if (conf_str(c, NULL, "x1.listen", &listen) != 0) {
		if (c->err[0] == '\0')
			snprintf(c->err, sizeof(c->err), "missing required key 'x1.listen'");
		return -1;
	}
	if (conf_hostport(listen, o->x1_host, sizeof(o->x1_host), &o->x1_port) < 0) {
		snprintf(c->err, sizeof(c->err), "line %d: x1.listen must be host:port",
		    conf_get(c, NULL, "x1.listen")->line);
		return -1;
	}
	if (str_opt(c, NULL, "x1.cert", o->x1_cert, sizeof(o->x1_cert), 1) < 0 ||
	    str_opt(c, NULL, "x1.key", o->x1_key, sizeof(o->x1_key), 1) < 0 ||
	    str_opt(c, NULL, "x1.ca", o->x1_ca, sizeof(o->x1_ca), 1) < 0 ||
	    str_opt(c, NULL, "x1.db", o->x1_db, sizeof(o->x1_db), 1) < 0)
		return -1;
	const struct conf_node *ad = conf_get(c, NULL, "x1.admf_identifiers");
	if (ad == NULL || ad->kind != CONF_SEQ || ad->child == NULL) {
		snprintf(c->err, sizeof(c->err),
		    "x1.admf_identifiers must list the ADMF identities allowed to provision");
		return -1;
	}
	for (const struct conf_node *n = ad->child; n != NULL; n = n->next) {
		if (n->kind != CONF_SCALAR || o->nadmf == POI_MAX_ADMF ||
		    strlen(n->value) == 0 || strlen(n->value) >= POI_ID_MAX) {
			snprintf(c->err, sizeof(c->err),
			    "line %d: x1.admf_identifiers: at most %d names of 1 to %d characters",
			    n->line, POI_MAX_ADMF, POI_ID_MAX - 1);
			return -1;
		}
		snprintf(o->admf_ids[o->nadmf++], POI_ID_MAX, "%s", n->value);
	}

	if (str_opt(c, NULL, "x2x3.cert", o->tls_cert, sizeof(o->tls_cert), 1) < 0 ||
	    str_opt(c, NULL, "x2x3.key", o->tls_key, sizeof(o->tls_key), 1) < 0 ||
	    str_opt(c, NULL, "x2x3.ca", o->tls_ca, sizeof(o->tls_ca), 1) < 0)
		return -1;
	v = o->x2x3_version;
	if (uint_opt(c, "x2x3.version", 0, 0xffff, &v) < 0)
		return -1;
	o->x2x3_version = (uint16_t)v;
	if (uint_opt(c, "x2x3.queue_records", 16, 100000000, &o->queue_records) < 0 ||
	    uint_opt(c, "x2x3.queue_bytes", 65536, 1ULL << 36, &o->queue_bytes) < 0)
		return -1;
	v = o->keepalive_s;
	if (uint_opt(c, "x2x3.keepalive", 0, 3600, &v) < 0)
		return -1;
	o->keepalive_s = (uint32_t)v;

	const struct conf_node *ds = conf_get(c, NULL, "x2x3.destinations");
	if (ds != NULL && ds->kind != CONF_SEQ) {
		snprintf(c->err, sizeof(c->err), "line %d: x2x3.destinations must be a list",
		    ds->line);
		return -1;
	}
	for (const struct conf_node *n = ds ? ds->child : NULL; n != NULL; n = n->next) {
		if (o->ndestpol == POI_MAX_DESTPOL) {
			snprintf(c->err, sizeof(c->err), "line %d: more than %d destinations",
			    n->line, POI_MAX_DESTPOL);
			return -1;
		}
		struct poi_destpol *p = &o->destpol[o->ndestpol];
		const char *addr, *x3 = "gtpu";
		if (conf_check_keys(c, n, "", dest_keys) < 0)
			return -1;
		if (conf_str(c, n, "address", &addr) != 0 ||
		    conf_hostport(addr, p->host, sizeof(p->host), &p->port) < 0 || p->port == 0) {
			snprintf(c->err, sizeof(c->err),
			    "line %d: each destination needs address: host:port", n->line);
			return -1;
		}
		if (conf_bool(c, n, "insecure_plaintext", &p->insecure_plaintext) < 0 ||
		    conf_str(c, n, "x3_payload", &x3) < 0 ||
		    str_opt(c, n, "tls_name", p->tls_name, sizeof(p->tls_name), 0) < 0)
			return -1;
		if (strcmp(x3, "gtpu") == 0)
			p->x3_ip = 0;
		else if (strcmp(x3, "ip") == 0)
			p->x3_ip = 1;
		else {
			snprintf(c->err, sizeof(c->err), "line %d: x3_payload must be gtpu or ip",
			    n->line);
			return -1;
		}
		o->ndestpol++;
	}
	return 0;
}

static void
defaults(struct poi_config *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->ipid, sizeof(o->ipid), "s11-s1u");
	snprintf(o->operator_id, sizeof(o->operator_id), "ovt");
	o->snaplen = 65535;
	o->sess_max = 1000000;
	o->sess_idle_s = 86400;
	pkt_frag_config_init(&o->frag);
	o->x2x3_version = 0x0005;
	o->queue_records = 65536;
	o->queue_bytes = 32u * 1024 * 1024;
	o->keepalive_s = 10;
}

int
poi_config_parse(const char *buf, size_t len, struct poi_config *out, char *err, size_t errlen)
{
	defaults(out);
	return conf_apply(conf_parse(buf, len, err, errlen), NULL, parse_tree, out, err, errlen);
}

int
poi_config_load(const char *path, struct poi_config *out, char *err, size_t errlen)
{
	defaults(out);
	return conf_apply(conf_load(path, err, errlen), path, parse_tree, out, err, errlen);
}

const struct poi_destpol *
poi_config_destpol(const struct poi_config *c, const char *host, uint16_t port)
{
	for (size_t i = 0; i < c->ndestpol; i++)
		if (c->destpol[i].port == port && strcmp(c->destpol[i].host, host) == 0)
			return &c->destpol[i];
	return NULL;
}
