/*
 * Canonical binary encoding of transparency-log entries (layout in entry.h and docs/tlog.md)
 * and the target commitment.  The decoder checks every rule the encoder follows, so a byte
 * string is accepted only if it is the one encoding of its entry.
 */
#include "tlog/entry.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define COMMIT_LABEL "overt-target-v1"

static const char *const type_names[TLOG_ENT_MAX + 1] = {
	[TLOG_ENT_WARRANT_REGISTERED] = "warrant.registered",
	[TLOG_ENT_WARRANT_APPROVED] = "warrant.approved",
	[TLOG_ENT_TASK_ACTIVATED] = "task.activated",
	[TLOG_ENT_TASK_MODIFIED] = "task.modified",
	[TLOG_ENT_TASK_DEACTIVATED] = "task.deactivated",
	[TLOG_ENT_DELIVERY_COUNTERS] = "delivery.counters",
	[TLOG_ENT_CONFIG_CHANGE] = "config.change",
	[TLOG_ENT_OPERATOR_LOGIN] = "operator.login",
	[TLOG_ENT_ALERT] = "alert",
};

const char *
tlog_entry_type_name(uint8_t type)
{
	if (type == 0 || type > TLOG_ENT_MAX)
		return NULL;
	return type_names[type];
}

uint8_t
tlog_entry_type_from_name(const char *name)
{
	for (uint8_t t = 1; t <= TLOG_ENT_MAX; t++)
		if (strcmp(type_names[t], name) == 0)
			return t;
	return 0;
}

/* --- encoder --------------------------------------------------------------------------- */

static int
str_ok(const char *s, size_t n)
{
	if (n == 0 || n > TLOG_STR_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
	return 1;
}

static enum tlog_err
put_str(struct ovt_builder *b, const char *s)
{
	size_t n = strnlen(s, TLOG_STR_MAX + 1);
	if (!str_ok(s, n))
		return TLOG_E_ENTRY_STRING;
	bld_add_u8(b, (uint8_t)n);
	bld_add_bytes(b, s, n);
	return TLOG_OK;
}

static int
target_type_ok(uint8_t t)
{
	return t >= TLOG_TGT_IMSI && t <= TLOG_TGT_IMEI;
}

static enum tlog_err
put_target(struct ovt_builder *b, const struct tlog_target *t)
{
	if (!target_type_ok(t->type))
		return TLOG_E_ENTRY_FIELD;
	bld_add_u8(b, t->type);
	bld_add_bytes(b, t->commitment, TLOG_COMMIT_LEN);
	return TLOG_OK;
}

/* Bytewise order of the 33-byte target encodings: the one canonical order of the set. */
static int
target_cmp(const struct tlog_target *a, const struct tlog_target *b)
{
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return memcmp(a->commitment, b->commitment, TLOG_COMMIT_LEN);
}

static enum tlog_err
encode_body(const struct tlog_entry *e, struct ovt_builder *b)
{
	enum tlog_err r = TLOG_OK;

	switch (e->type) {
	case TLOG_ENT_WARRANT_REGISTERED: {
		const struct tlog_ent_warrant *w = &e->u.warrant_registered;
		bld_add_bytes(b, w->warrant, 16);
		if ((r = put_str(b, w->authority)) != TLOG_OK)
			return r;
		if (w->valid_until < w->valid_from)
			return TLOG_E_ENTRY_FIELD;
		bld_add_u64(b, w->valid_from);
		bld_add_u64(b, w->valid_until);
		if (w->ntargets < 1 || w->ntargets > TLOG_MAX_TARGETS)
			return TLOG_E_ENTRY_FIELD;
		bld_add_u8(b, w->ntargets);
		for (unsigned i = 0; i < w->ntargets; i++) {
			if (i > 0 && target_cmp(&w->targets[i - 1], &w->targets[i]) >= 0)
				return TLOG_E_ENTRY_ORDER;
			if ((r = put_target(b, &w->targets[i])) != TLOG_OK)
				return r;
		}
		break;
	}
	case TLOG_ENT_WARRANT_APPROVED:
		bld_add_bytes(b, e->u.warrant_approved.warrant, 16);
		r = put_str(b, e->u.warrant_approved.approver);
		break;
	case TLOG_ENT_TASK_ACTIVATED:
	case TLOG_ENT_TASK_MODIFIED:
		bld_add_bytes(b, e->u.task.warrant, 16);
		bld_add_bytes(b, e->u.task.xid, 16);
		if ((r = put_str(b, e->u.task.ne)) != TLOG_OK ||
		    (r = put_target(b, &e->u.task.target)) != TLOG_OK)
			return r;
		if (e->u.task.delivery < TLOG_DLV_X2 || e->u.task.delivery > TLOG_DLV_X2X3)
			return TLOG_E_ENTRY_FIELD;
		bld_add_u8(b, e->u.task.delivery);
		break;
	case TLOG_ENT_TASK_DEACTIVATED:
		bld_add_bytes(b, e->u.task_deactivated.warrant, 16);
		bld_add_bytes(b, e->u.task_deactivated.xid, 16);
		r = put_str(b, e->u.task_deactivated.ne);
		break;
	case TLOG_ENT_DELIVERY_COUNTERS:
		if (e->u.counters.end_ms < e->u.counters.start_ms)
			return TLOG_E_ENTRY_FIELD;
		bld_add_bytes(b, e->u.counters.xid, 16);
		bld_add_u64(b, e->u.counters.start_ms);
		bld_add_u64(b, e->u.counters.end_ms);
		bld_add_u64(b, e->u.counters.records);
		bld_add_u64(b, e->u.counters.bytes);
		break;
	case TLOG_ENT_CONFIG_CHANGE:
		if ((r = put_str(b, e->u.config.component)) != TLOG_OK ||
		    (r = put_str(b, e->u.config.key)) != TLOG_OK)
			return r;
		bld_add_bytes(b, e->u.config.value_sha256, 32);
		r = put_str(b, e->u.config.actor);
		break;
	case TLOG_ENT_OPERATOR_LOGIN:
		if ((r = put_str(b, e->u.login.user)) != TLOG_OK ||
		    (r = put_str(b, e->u.login.source)) != TLOG_OK)
			return r;
		if (e->u.login.result > TLOG_LOGIN_FAILED)
			return TLOG_E_ENTRY_FIELD;
		bld_add_u8(b, e->u.login.result);
		break;
	case TLOG_ENT_ALERT:
		if (e->u.alert.severity > 7)
			return TLOG_E_ENTRY_FIELD;
		bld_add_u8(b, e->u.alert.severity);
		if ((r = put_str(b, e->u.alert.source)) != TLOG_OK)
			return r;
		r = put_str(b, e->u.alert.message);
		break;
	default:
		return TLOG_E_ENTRY_TYPE;
	}
	return r;
}

enum tlog_err
tlog_entry_encode(const struct tlog_entry *e, struct ovt_builder *out)
{
	size_t start = bld_len(out);
	enum tlog_err r;

	bld_add_u8(out, TLOG_ENTRY_VERSION);
	bld_add_u8(out, e->type);
	bld_add_u64(out, e->seq);
	bld_add_u64(out, e->time_ms);
	if ((r = encode_body(e, out)) != TLOG_OK)
		return r;
	if (!bld_ok(out))
		return TLOG_E_NOMEM;
	if (bld_len(out) - start > TLOG_ENTRY_MAX)
		return TLOG_E_ENTRY_TOO_BIG;
	return TLOG_OK;
}

/* --- decoder --------------------------------------------------------------------------- */

static enum tlog_err
get_str(struct ovt_cursor *c, char out[TLOG_STR_MAX + 1])
{
	struct ovt_cursor s;

	if (!cur_get_u8_prefixed(c, &s))
		return TLOG_E_ENTRY_SHORT;
	if (!str_ok((const char *)cur_data(&s), cur_len(&s)))
		return TLOG_E_ENTRY_STRING;
	memcpy(out, cur_data(&s), cur_len(&s));
	out[cur_len(&s)] = '\0';
	return TLOG_OK;
}

static enum tlog_err
get_target(struct ovt_cursor *c, struct tlog_target *t)
{
	if (!cur_get_u8(c, &t->type) || !cur_copy(c, t->commitment, TLOG_COMMIT_LEN))
		return TLOG_E_ENTRY_SHORT;
	return target_type_ok(t->type) ? TLOG_OK : TLOG_E_ENTRY_FIELD;
}

static enum tlog_err
decode_body(struct ovt_cursor *c, struct tlog_entry *e)
{
	enum tlog_err r;

	switch (e->type) {
	case TLOG_ENT_WARRANT_REGISTERED: {
		struct tlog_ent_warrant *w = &e->u.warrant_registered;
		if (!cur_copy(c, w->warrant, 16))
			return TLOG_E_ENTRY_SHORT;
		if ((r = get_str(c, w->authority)) != TLOG_OK)
			return r;
		if (!cur_get_u64(c, &w->valid_from) || !cur_get_u64(c, &w->valid_until) ||
		    !cur_get_u8(c, &w->ntargets))
			return TLOG_E_ENTRY_SHORT;
		if (w->valid_until < w->valid_from || w->ntargets < 1 ||
		    w->ntargets > TLOG_MAX_TARGETS)
			return TLOG_E_ENTRY_FIELD;
		for (unsigned i = 0; i < w->ntargets; i++) {
			if ((r = get_target(c, &w->targets[i])) != TLOG_OK)
				return r;
			if (i > 0 && target_cmp(&w->targets[i - 1], &w->targets[i]) >= 0)
				return TLOG_E_ENTRY_ORDER;
		}
		return TLOG_OK;
	}
	case TLOG_ENT_WARRANT_APPROVED:
		if (!cur_copy(c, e->u.warrant_approved.warrant, 16))
			return TLOG_E_ENTRY_SHORT;
		return get_str(c, e->u.warrant_approved.approver);
	case TLOG_ENT_TASK_ACTIVATED:
	case TLOG_ENT_TASK_MODIFIED:
		if (!cur_copy(c, e->u.task.warrant, 16) || !cur_copy(c, e->u.task.xid, 16))
			return TLOG_E_ENTRY_SHORT;
		if ((r = get_str(c, e->u.task.ne)) != TLOG_OK ||
		    (r = get_target(c, &e->u.task.target)) != TLOG_OK)
			return r;
		if (!cur_get_u8(c, &e->u.task.delivery))
			return TLOG_E_ENTRY_SHORT;
		if (e->u.task.delivery < TLOG_DLV_X2 || e->u.task.delivery > TLOG_DLV_X2X3)
			return TLOG_E_ENTRY_FIELD;
		return TLOG_OK;
	case TLOG_ENT_TASK_DEACTIVATED:
		if (!cur_copy(c, e->u.task_deactivated.warrant, 16) ||
		    !cur_copy(c, e->u.task_deactivated.xid, 16))
			return TLOG_E_ENTRY_SHORT;
		return get_str(c, e->u.task_deactivated.ne);
	case TLOG_ENT_DELIVERY_COUNTERS:
		if (!cur_copy(c, e->u.counters.xid, 16) ||
		    !cur_get_u64(c, &e->u.counters.start_ms) ||
		    !cur_get_u64(c, &e->u.counters.end_ms) ||
		    !cur_get_u64(c, &e->u.counters.records) ||
		    !cur_get_u64(c, &e->u.counters.bytes))
			return TLOG_E_ENTRY_SHORT;
		return e->u.counters.end_ms < e->u.counters.start_ms ? TLOG_E_ENTRY_FIELD : TLOG_OK;
	case TLOG_ENT_CONFIG_CHANGE:
		if ((r = get_str(c, e->u.config.component)) != TLOG_OK ||
		    (r = get_str(c, e->u.config.key)) != TLOG_OK)
			return r;
		if (!cur_copy(c, e->u.config.value_sha256, 32))
			return TLOG_E_ENTRY_SHORT;
		return get_str(c, e->u.config.actor);
	case TLOG_ENT_OPERATOR_LOGIN:
		if ((r = get_str(c, e->u.login.user)) != TLOG_OK ||
		    (r = get_str(c, e->u.login.source)) != TLOG_OK)
			return r;
		if (!cur_get_u8(c, &e->u.login.result))
			return TLOG_E_ENTRY_SHORT;
		return e->u.login.result > TLOG_LOGIN_FAILED ? TLOG_E_ENTRY_FIELD : TLOG_OK;
	case TLOG_ENT_ALERT:
		if (!cur_get_u8(c, &e->u.alert.severity))
			return TLOG_E_ENTRY_SHORT;
		if (e->u.alert.severity > 7)
			return TLOG_E_ENTRY_FIELD;
		if ((r = get_str(c, e->u.alert.source)) != TLOG_OK)
			return r;
		return get_str(c, e->u.alert.message);
	default:
		return TLOG_E_ENTRY_TYPE;
	}
}

enum tlog_err
tlog_entry_decode(const uint8_t *p, size_t len, struct tlog_entry *out)
{
	struct ovt_cursor c;
	uint8_t version;
	enum tlog_err r;

	if (len > TLOG_ENTRY_MAX)
		return TLOG_E_ENTRY_TOO_BIG;
	cur_init(&c, p, len);
	if (!cur_get_u8(&c, &version))
		return TLOG_E_ENTRY_SHORT;
	if (version != TLOG_ENTRY_VERSION)
		return TLOG_E_ENTRY_VERSION;
	if (!cur_get_u8(&c, &out->type) || !cur_get_u64(&c, &out->seq) ||
	    !cur_get_u64(&c, &out->time_ms))
		return TLOG_E_ENTRY_SHORT;
	if ((r = decode_body(&c, out)) != TLOG_OK)
		return r;
	/* The entry is the whole input: nothing may follow the last field. */
	return cur_len(&c) == 0 ? TLOG_OK : TLOG_E_ENTRY_TRAILING;
}

/* --- commitments ----------------------------------------------------------------------- */

static int
identity_ok(uint8_t type, const char *id, size_t len)
{
	size_t min, max;

	switch (type) {
	case TLOG_TGT_IMSI:	/* 3GPP TS 23.003 2.2: MCC + MNC + MSIN, at most 15 digits */
		min = 6;
		max = 15;
		break;
	case TLOG_TGT_MSISDN:	/* ITU-T E.164: at most 15 digits */
		min = 1;
		max = 15;
		break;
	case TLOG_TGT_IMEI:	/* TS 23.003 6.2: IMEI 14 digits (+check digit), IMEISV 16 */
		min = 14;
		max = 16;
		break;
	default:
		return 0;
	}
	if (len < min || len > max)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (id[i] < '0' || id[i] > '9')
			return 0;
	return 1;
}

enum tlog_err
tlog_target_commitment(const uint8_t key[TLOG_WARRANT_KEY_LEN], uint8_t type,
    const char *identity, size_t len, uint8_t out[TLOG_COMMIT_LEN])
{
	uint8_t msg[sizeof(COMMIT_LABEL) + 1 + TLOG_IDENTITY_MAX];
	unsigned int outlen = 0;
	size_t n = 0;

	if (!identity_ok(type, identity, len))
		return TLOG_E_ARG;
	/* Label and NUL separate this use of the key from any other; the type byte keeps an
	 * IMSI and an MSISDN with the same digits apart. */
	memcpy(msg, COMMIT_LABEL, sizeof(COMMIT_LABEL));	/* with its NUL */
	n = sizeof(COMMIT_LABEL);
	msg[n++] = type;
	memcpy(msg + n, identity, len);
	n += len;
	if (HMAC(EVP_sha256(), key, TLOG_WARRANT_KEY_LEN, msg, n, out, &outlen) == NULL ||
	    outlen != TLOG_COMMIT_LEN)
		return TLOG_E_CRYPTO;
	return TLOG_OK;
}

enum tlog_err
tlog_warrant_key_generate(uint8_t key[TLOG_WARRANT_KEY_LEN])
{
	return RAND_bytes(key, TLOG_WARRANT_KEY_LEN) == 1 ? TLOG_OK : TLOG_E_CRYPTO;
}
