/*
 * LEMF configuration: YAML -> struct lemf_config, every key checked against the known list.
 */
#include "lemf/lemf_config.h"

#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "hi2/hi2.h"

static const char *const top_keys[] = {"output_dir", "listen", "tls", "insecure_plaintext",
    "storage", "limits", NULL};
static const char *const listen_keys[] = {"name", "address", NULL};
static const char *const tls_keys[] = {"cert", "key", "ca", "peers", NULL};
static const char *const storage_keys[] = {"fsync", "commit_interval_ms", "commit_pdus",
    "rejected_files", "rotate_size", "rotate_interval_s", NULL};
static const char *const limits_keys[] = {"max_pdu", "connections", "liids", "open_liids",
    "streams", "ranges", "handshake_timeout_ms", "idle_timeout_ms", NULL};

static int
str_opt(struct conf *c, const char *path, char *dst, size_t cap, int required)
{
	const char *s;
	int r = conf_str(c, NULL, path, &s);
	size_t n;

	if (r < 0)
		return -1;
	if (r == 1) {
		if (required) {
			snprintf(c->err, sizeof(c->err), "missing required key '%s'", path);
			return -1;
		}
		return 0;
	}
	n = strlen(s);
	if (n == 0 || n >= cap) {
		snprintf(c->err, sizeof(c->err), "line %d: '%s' must be 1 to %zu characters",
		    conf_get(c, NULL, path)->line, path, cap - 1);
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

/* storage.rotate_size: 0 (never), else at least 64 KiB: smaller parts would only multiply
 * files (and a part always holds at least one whole record, so it may end a little larger). */
static int
rotate_opt(struct conf *c, uint64_t *v)
{
	uint64_t x = *v;

	if (conf_uint(c, NULL, "storage.rotate_size", 0, 1ULL << 50, &x) < 0)
		return -1;
	if (x != 0 && x < 64 * 1024) {
		snprintf(c->err, sizeof(c->err), "line %d: storage.rotate_size: 0 (never) or at "
		    "least 64KiB", conf_get(c, NULL, "storage.rotate_size")->line);
		return -1;
	}
	*v = x;
	return 0;
}

static int
name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= LEMF_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return 0;
	return 1;
}

static int
parse_listen(struct conf *c, struct lemf_config *o)
{
	const struct conf_node *ls = conf_get(c, NULL, "listen");

	if (ls == NULL || ls->kind != CONF_SEQ || ls->child == NULL) {
		snprintf(c->err, sizeof(c->err), "'listen' must list at least one address");
		return -1;
	}
	for (const struct conf_node *n = ls->child; n != NULL; n = n->next) {
		struct lemf_listen *l = &o->listen[o->nlisten];
		const char *name, *addr;

		if (o->nlisten == LEMF_MAX_LISTEN) {
			snprintf(c->err, sizeof(c->err), "line %d: more than %d listen entries",
			    n->line, LEMF_MAX_LISTEN);
			return -1;
		}
		if (n->kind != CONF_MAP || conf_check_keys(c, n, "", listen_keys) < 0) {
			if (c->err[0] == '\0')
				snprintf(c->err, sizeof(c->err),
				    "line %d: each listen entry is {name, address}", n->line);
			return -1;
		}
		if (conf_str(c, n, "name", &name) != 0 || !name_ok(name) ||
		    conf_str(c, n, "address", &addr) != 0 ||
		    conf_hostport(addr, l->host, sizeof(l->host), &l->port) < 0) {
			snprintf(c->err, sizeof(c->err), "line %d: listen entries need name: "
			    "[a-z0-9_-]{1,31} and address: host:port", n->line);
			return -1;
		}
		for (size_t k = 0; k < o->nlisten; k++)
			if (strcmp(o->listen[k].name, name) == 0) {
				snprintf(c->err, sizeof(c->err), "line %d: listener name '%s' used "
				    "twice", n->line, name);
				return -1;
			}
		snprintf(l->name, sizeof(l->name), "%s", name);
		o->nlisten++;
	}
	return 0;
}

static int
parse_tls(struct conf *c, struct lemf_config *o)
{
	const struct conf_node *tls = conf_get(c, NULL, "tls"), *pl;

	if (o->insecure_plaintext) {
		/* No half measures: plaintext means no certificate is read and no identity
		 * checked, so a tls section would only suggest protection that is not there. */
		if (tls != NULL) {
			snprintf(c->err, sizeof(c->err), "line %d: 'tls' must be absent with "
			    "insecure_plaintext: true", tls->line);
			return -1;
		}
		return 0;
	}
	if (str_opt(c, "tls.cert", o->cert, sizeof(o->cert), 1) < 0 ||
	    str_opt(c, "tls.key", o->key, sizeof(o->key), 1) < 0 ||
	    str_opt(c, "tls.ca", o->ca, sizeof(o->ca), 1) < 0)
		return -1;
	pl = conf_get(c, NULL, "tls.peers");
	if (pl == NULL || pl->kind != CONF_SEQ || pl->child == NULL) {
		snprintf(c->err, sizeof(c->err),
		    "tls.peers must list the MDF identities (certificate CN) allowed to deliver");
		return -1;
	}
	for (const struct conf_node *n = pl->child; n != NULL; n = n->next) {
		if (n->kind != CONF_SCALAR || o->npeers == LEMF_MAX_PEERS ||
		    strlen(n->value) == 0 || strlen(n->value) >= LEMF_PEER_MAX) {
			snprintf(c->err, sizeof(c->err), "line %d: tls.peers: at most %d names of "
			    "1 to %d characters", n->line, LEMF_MAX_PEERS, LEMF_PEER_MAX - 1);
			return -1;
		}
		snprintf(o->peers[o->npeers++], LEMF_PEER_MAX, "%s", n->value);
	}
	return 0;
}

static int
parse_tree(struct conf *c, void *arg)
{
	struct lemf_config *o = arg;
	if (conf_check_keys(c, NULL, "", top_keys) < 0 ||
	    conf_check_keys(c, NULL, "tls", tls_keys) < 0 ||
	    conf_check_keys(c, NULL, "storage", storage_keys) < 0 ||
	    conf_check_keys(c, NULL, "limits", limits_keys) < 0)
		return -1;
	if (str_opt(c, "output_dir", o->dir, sizeof(o->dir), 1) < 0 ||
	    conf_bool(c, NULL, "insecure_plaintext", &o->insecure_plaintext) < 0 ||
	    parse_listen(c, o) < 0 || parse_tls(c, o) < 0)
		return -1;
	if (conf_bool(c, NULL, "storage.fsync", &o->fsync) < 0 ||
	    u32_opt(c, "storage.commit_interval_ms", 10, 60000, &o->commit_ms) < 0 ||
	    u32_opt(c, "storage.commit_pdus", 1, 10000000, &o->commit_pdus) < 0 ||
	    u32_opt(c, "storage.rejected_files", 0, 1000000, &o->max_rejected) < 0 ||
	    rotate_opt(c, &o->rotate_bytes) < 0 ||
	    u32_opt(c, "storage.rotate_interval_s", 0, 31 * 86400, &o->rotate_secs) < 0 ||
	    u32_opt(c, "limits.max_pdu", 1024, HI2_MAX_PDU, &o->max_pdu) < 0 ||
	    u32_opt(c, "limits.connections", 1, 4096, &o->max_conns) < 0 ||
	    u32_opt(c, "limits.liids", 1, 1000000, &o->max_liids) < 0 ||
	    u32_opt(c, "limits.open_liids", 1, 100000, &o->max_open) < 0 ||
	    u32_opt(c, "limits.streams", 1, 10000000, &o->max_streams) < 0 ||
	    u32_opt(c, "limits.ranges", 1, 100000000, &o->max_ranges) < 0 ||
	    u32_opt(c, "limits.handshake_timeout_ms", 100, 600000, &o->handshake_timeout_ms) < 0 ||
	    u32_opt(c, "limits.idle_timeout_ms", 0, 86400000, &o->idle_timeout_ms) < 0)
		return -1;
	return 0;
}

static void
defaults(struct lemf_config *o)
{
	memset(o, 0, sizeof(*o));
	o->fsync = 1;
	o->commit_ms = 1000;
	o->commit_pdus = 10000;
	o->max_rejected = 1000;
	o->rotate_bytes = 1ULL << 30;	/* 1 GiB parts: Wireshark opens them comfortably */
	o->rotate_secs = 0;
	o->max_pdu = HI2_MAX_PDU;
	o->max_conns = 64;
	o->max_liids = 10000;
	o->max_open = 128;
	o->max_streams = 100000;
	o->max_ranges = 1000000;
	o->handshake_timeout_ms = 10000;
	o->idle_timeout_ms = 0;
}

int
lemf_config_parse(const char *buf, size_t len, struct lemf_config *out, char *err, size_t errlen)
{
	defaults(out);
	return conf_apply(conf_parse(buf, len, err, errlen), NULL, parse_tree, out, err, errlen);
}

int
lemf_config_load(const char *path, struct lemf_config *out, char *err, size_t errlen)
{
	defaults(out);
	return conf_apply(conf_load(path, err, errlen), path, parse_tree, out, err, errlen);
}
