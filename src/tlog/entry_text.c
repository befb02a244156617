/*
 * Text form of log entries: one line of key=value pairs (entry.h).  Operators feed it to
 * `overt log append`; `overt audit` prints it.  One table per entry type lists the fields in
 * their encoding order, so parser and printer cannot disagree on names or order.
 */
#include "tlog/entry.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/uuid.h"
#include "tlog/note.h"

#define MAX_PAIRS 40		/* key=value pairs on a line (16 targets + the other fields) */
#define KEY_MAX	  16

enum fkind { F_UUID, F_STR, F_U64, F_HEX32, F_TARGET, F_TARGETS, F_DELIVERY, F_RESULT,
	F_SEVERITY };

struct field {
	const char *key;
	enum fkind kind;
	size_t off;		/* offset in struct tlog_entry */
};

#define FLD(k, kind, member) { k, kind, offsetof(struct tlog_entry, member) }

static const struct field f_warrant_registered[] = {
	FLD("warrant", F_UUID, u.warrant_registered.warrant),
	FLD("authority", F_STR, u.warrant_registered.authority),
	FLD("valid_from", F_U64, u.warrant_registered.valid_from),
	FLD("valid_until", F_U64, u.warrant_registered.valid_until),
	FLD("target", F_TARGETS, u.warrant_registered),
	{ NULL, 0, 0 } };
static const struct field f_warrant_approved[] = {
	FLD("warrant", F_UUID, u.warrant_approved.warrant),
	FLD("approver", F_STR, u.warrant_approved.approver),
	{ NULL, 0, 0 } };
static const struct field f_task[] = {
	FLD("warrant", F_UUID, u.task.warrant),
	FLD("xid", F_UUID, u.task.xid),
	FLD("ne", F_STR, u.task.ne),
	FLD("target", F_TARGET, u.task.target),
	FLD("delivery", F_DELIVERY, u.task.delivery),
	{ NULL, 0, 0 } };
static const struct field f_task_deactivated[] = {
	FLD("warrant", F_UUID, u.task_deactivated.warrant),
	FLD("xid", F_UUID, u.task_deactivated.xid),
	FLD("ne", F_STR, u.task_deactivated.ne),
	{ NULL, 0, 0 } };
static const struct field f_counters[] = {
	FLD("xid", F_UUID, u.counters.xid),
	FLD("start_ms", F_U64, u.counters.start_ms),
	FLD("end_ms", F_U64, u.counters.end_ms),
	FLD("records", F_U64, u.counters.records),
	FLD("bytes", F_U64, u.counters.bytes),
	{ NULL, 0, 0 } };
static const struct field f_config[] = {
	FLD("component", F_STR, u.config.component),
	FLD("key", F_STR, u.config.key),
	FLD("value_sha256", F_HEX32, u.config.value_sha256),
	FLD("actor", F_STR, u.config.actor),
	{ NULL, 0, 0 } };
static const struct field f_login[] = {
	FLD("user", F_STR, u.login.user),
	FLD("source", F_STR, u.login.source),
	FLD("result", F_RESULT, u.login.result),
	{ NULL, 0, 0 } };
static const struct field f_alert[] = {
	FLD("severity", F_SEVERITY, u.alert.severity),
	FLD("source", F_STR, u.alert.source),
	FLD("message", F_STR, u.alert.message),
	{ NULL, 0, 0 } };

static const struct field *const fields_of[TLOG_ENT_MAX + 1] = {
	[TLOG_ENT_WARRANT_REGISTERED] = f_warrant_registered,
	[TLOG_ENT_WARRANT_APPROVED] = f_warrant_approved,
	[TLOG_ENT_TASK_ACTIVATED] = f_task,
	[TLOG_ENT_TASK_MODIFIED] = f_task,
	[TLOG_ENT_TASK_DEACTIVATED] = f_task_deactivated,
	[TLOG_ENT_DELIVERY_COUNTERS] = f_counters,
	[TLOG_ENT_CONFIG_CHANGE] = f_config,
	[TLOG_ENT_OPERATOR_LOGIN] = f_login,
	[TLOG_ENT_ALERT] = f_alert,
};

static const char *const tgt_names[] = { NULL, "imsi", "msisdn", "imei" };
static const char *const dlv_names[] = { NULL, "x2", "x3", "x2x3" };
static const char *const result_names[] = { "success", "failure" };
static const char *const sev_names[] = { "emerg", "alert", "crit", "err", "warning",
	"notice", "info", "debug" };

struct pair {
	char key[KEY_MAX + 1];
	char val[TLOG_STR_MAX + 1];
	size_t vlen;
	int used;
};

static int
hexd(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decodes the token's value into p->val (at most TLOG_STR_MAX bytes, no NUL). */
static int
unescape(struct ovt_cursor *v, struct pair *p)
{
	const uint8_t *h;
	uint8_t ch;

	p->vlen = 0;
	while (cur_get_u8(v, &ch)) {
		if (ch == '%') {
			int hi, lo;
			if (!cur_take(v, &h, 2) || (hi = hexd((char)h[0])) < 0 ||
			    (lo = hexd((char)h[1])) < 0)
				return 0;
			ch = (uint8_t)(hi << 4 | lo);
			if (ch == 0)
				return 0;
		}
		if (p->vlen == TLOG_STR_MAX)
			return 0;
		p->val[p->vlen++] = (char)ch;
	}
	p->val[p->vlen] = '\0';
	return 1;
}

static int
split_pairs(const char *line, size_t len, struct pair *pairs, size_t *np)
{
	struct ovt_cursor c, tok, key;

	*np = 0;
	cur_init(&c, line, len);
	while (cur_len(&c) > 0) {
		const uint8_t *sp = memchr(cur_data(&c), ' ', cur_len(&c));
		size_t n = sp ? (size_t)(sp - cur_data(&c)) : cur_len(&c);
		const uint8_t *eq;

		if (!cur_get_sub(&c, &tok, n))
			return 0;
		if (sp != NULL && (!cur_skip(&c, 1) || cur_len(&c) == 0))
			return 0;	/* trailing space */
		if (n == 0 || *np == MAX_PAIRS)
			return 0;	/* double space, or too many pairs */
		if ((eq = memchr(cur_data(&tok), '=', cur_len(&tok))) == NULL)
			return 0;
		if (!cur_get_sub(&tok, &key, (size_t)(eq - cur_data(&tok))) || !cur_skip(&tok, 1) ||
		    cur_len(&key) == 0 || cur_len(&key) > KEY_MAX)
			return 0;
		struct pair *p = &pairs[(*np)++];
		memcpy(p->key, cur_data(&key), cur_len(&key));
		p->key[cur_len(&key)] = '\0';
		p->used = 0;
		if (!unescape(&tok, p))
			return 0;
	}
	return 1;
}

static int
name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] != NULL && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

static int
parse_hex(const char *s, size_t len, uint8_t *out, size_t n)
{
	if (len != 2 * n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int hi = hexd(s[2 * i]), lo = hexd(s[2 * i + 1]);
		if (hi < 0 || lo < 0 || (s[2 * i] >= 'A' && s[2 * i] <= 'F') ||
		    (s[2 * i + 1] >= 'A' && s[2 * i + 1] <= 'F'))
			return 0;	/* lowercase only, one spelling per value */
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 1;
}

static int
parse_target(const char *s, size_t len, struct tlog_target *t)
{
	const char *colon = memchr(s, ':', len);
	char name[8];
	int ti;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(name))
		return 0;
	memcpy(name, s, (size_t)(colon - s));
	name[colon - s] = '\0';
	if ((ti = name_index(tgt_names, 4, name)) < 0)
		return 0;
	t->type = (uint8_t)ti;
	return parse_hex(colon + 1, len - (size_t)(colon - s) - 1, t->commitment,
	    TLOG_COMMIT_LEN);
}

static int
tcmp(const struct tlog_target *a, const struct tlog_target *b)
{
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return memcmp(a->commitment, b->commitment, TLOG_COMMIT_LEN);
}

/* Adds a target in sorted position; refuses duplicates and more than TLOG_MAX_TARGETS. */
static int
add_target(struct tlog_ent_warrant *w, const struct tlog_target *t)
{
	unsigned i;

	if (w->ntargets == TLOG_MAX_TARGETS)
		return 0;
	for (i = w->ntargets; i > 0 && tcmp(&w->targets[i - 1], t) > 0; i--)
		w->targets[i] = w->targets[i - 1];
	if (i > 0 && tcmp(&w->targets[i - 1], t) == 0) {
		for (; i < w->ntargets; i++)	/* undo the shift */
			w->targets[i] = w->targets[i + 1];
		return 0;
	}
	w->targets[i] = *t;
	w->ntargets++;
	return 1;
}

static int
set_field(struct tlog_entry *e, const struct field *f, const struct pair *p)
{
	unsigned char *dst = (unsigned char *)e + f->off;
	uint64_t v;
	int i;

	switch (f->kind) {
	case F_UUID:
		return uuid_parse(p->val, dst) == 0;
	case F_STR:
		memcpy(dst, p->val, p->vlen + 1);
		return 1;
	case F_U64:
		if (!tlog_parse_u64(p->val, p->vlen, UINT64_MAX, &v))
			return 0;
		memcpy(dst, &v, sizeof(v));
		return 1;
	case F_HEX32:
		return parse_hex(p->val, p->vlen, dst, 32);
	case F_TARGET:
		return parse_target(p->val, p->vlen, (struct tlog_target *)dst);
	case F_TARGETS: {
		struct tlog_target t;
		return parse_target(p->val, p->vlen, &t) &&
		    add_target((struct tlog_ent_warrant *)dst, &t);
	}
	case F_DELIVERY:
		if ((i = name_index(dlv_names, 4, p->val)) < 0)
			return 0;
		*dst = (uint8_t)i;
		return 1;
	case F_RESULT:
		if ((i = name_index(result_names, 2, p->val)) < 0)
			return 0;
		*dst = (uint8_t)i;
		return 1;
	case F_SEVERITY:
		if ((i = name_index(sev_names, 8, p->val)) < 0)
			return 0;
		*dst = (uint8_t)i;
		return 1;
	}
	return 0;
}

enum tlog_err
tlog_entry_parse_text(const char *line, size_t len, struct tlog_entry *out)
{
	struct pair pairs[MAX_PAIRS];
	const struct field *fl;
	size_t np;
	uint8_t scratch[TLOG_ENTRY_MAX];
	struct ovt_builder b;

	memset(out, 0, sizeof(*out));
	if (len > TLOG_ENTRY_TEXT_MAX || !split_pairs(line, len, pairs, &np) || np == 0 ||
	    strcmp(pairs[0].key, "type") != 0)
		return TLOG_E_ENTRY_TEXT;
	if ((out->type = tlog_entry_type_from_name(pairs[0].val)) == 0)
		return TLOG_E_ENTRY_TYPE;
	pairs[0].used = 1;
	for (fl = fields_of[out->type]; fl->key != NULL; fl++) {
		int seen = 0;
		for (size_t i = 1; i < np; i++) {
			if (pairs[i].used || strcmp(pairs[i].key, fl->key) != 0)
				continue;
			if (seen && fl->kind != F_TARGETS)
				return TLOG_E_ENTRY_TEXT;	/* repeated key */
			if (!set_field(out, fl, &pairs[i]))
				return TLOG_E_ENTRY_TEXT;
			pairs[i].used = 1;
			seen = 1;
		}
		if (!seen)
			return TLOG_E_ENTRY_TEXT;		/* missing key */
	}
	for (size_t i = 0; i < np; i++)
		if (!pairs[i].used)
			return TLOG_E_ENTRY_TEXT;		/* unknown key (or seq/time) */
	/* The encoder's checks (string charset, ranges) decide the rest. */
	bld_init_fixed(&b, scratch, sizeof(scratch));
	return tlog_entry_encode(out, &b);
}

/* --- printer --------------------------------------------------------------------------- */

static void
put_escaped(struct ovt_builder *b, const char *s, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch > 0x20 && ch < 0x7f && ch != '%' && ch != '=') {
			bld_add_u8(b, ch);
			continue;
		}
		bld_add_u8(b, '%');
		bld_add_u8(b, (uint8_t)hx[ch >> 4]);
		bld_add_u8(b, (uint8_t)hx[ch & 15]);
	}
}

static void
put_kv(struct ovt_builder *b, const char *key, const char *val, int escape)
{
	if (bld_len(b) > 0)
		bld_add_u8(b, ' ');
	bld_add_bytes(b, key, strlen(key));
	bld_add_u8(b, '=');
	if (escape)
		put_escaped(b, val, strlen(val));
	else
		bld_add_bytes(b, val, strlen(val));
}

static void
target_text(const struct tlog_target *t, char *out, size_t cap)
{
	char hex[2 * TLOG_COMMIT_LEN + 1];
	hex_encode(t->commitment, TLOG_COMMIT_LEN, hex);
	snprintf(out, cap, "%s:%s", t->type <= 3 && tgt_names[t->type] ? tgt_names[t->type] :
	    "?", hex);
}

static void
put_field(struct ovt_builder *b, const struct tlog_entry *e, const struct field *f)
{
	const unsigned char *src = (const unsigned char *)e + f->off;
	char tmp[TLOG_STR_MAX + 1];
	uint64_t v;

	switch (f->kind) {
	case F_UUID:
		uuid_format(src, tmp);
		put_kv(b, f->key, tmp, 0);
		return;
	case F_STR:
		put_kv(b, f->key, (const char *)src, 1);
		return;
	case F_U64:
		memcpy(&v, src, sizeof(v));
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
		put_kv(b, f->key, tmp, 0);
		return;
	case F_HEX32:
		hex_encode(src, 32, tmp);
		put_kv(b, f->key, tmp, 0);
		return;
	case F_TARGET:
		target_text((const struct tlog_target *)src, tmp, sizeof(tmp));
		put_kv(b, f->key, tmp, 0);
		return;
	case F_TARGETS: {
		const struct tlog_ent_warrant *w = (const struct tlog_ent_warrant *)src;
		for (unsigned i = 0; i < w->ntargets && i < TLOG_MAX_TARGETS; i++) {
			target_text(&w->targets[i], tmp, sizeof(tmp));
			put_kv(b, f->key, tmp, 0);
		}
		return;
	}
	case F_DELIVERY:
		put_kv(b, f->key, *src >= 1 && *src <= 3 ? dlv_names[*src] : "?", 0);
		return;
	case F_RESULT:
		put_kv(b, f->key, *src <= 1 ? result_names[*src] : "?", 0);
		return;
	case F_SEVERITY:
		put_kv(b, f->key, *src <= 7 ? sev_names[*src] : "?", 0);
		return;
	}
}

size_t
tlog_entry_format_text(const struct tlog_entry *e, int with_meta, char *out, size_t cap)
{
	struct ovt_builder b;
	char tmp[64];

	if (cap == 0 || e->type == 0 || e->type > TLOG_ENT_MAX)
		return 0;
	bld_init_fixed(&b, out, cap - 1);
	if (with_meta) {
		time_t s = (time_t)(e->time_ms / 1000);
		struct tm tm;
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)e->seq);
		put_kv(&b, "seq", tmp, 0);
		if (gmtime_r(&s, &tm) == NULL ||
		    strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
			snprintf(tmp, sizeof(tmp), "?");
		size_t l = strlen(tmp);
		snprintf(tmp + l, sizeof(tmp) - l, ".%03uZ", (unsigned)(e->time_ms % 1000));
		put_kv(&b, "time", tmp, 0);
	}
	put_kv(&b, "type", tlog_entry_type_name(e->type), 0);
	for (const struct field *f = fields_of[e->type]; f->key != NULL; f++)
		put_field(&b, e, f);
	if (!bld_ok(&b))
		return 0;
	out[bld_len(&b)] = '\0';
	return bld_len(&b);
}
