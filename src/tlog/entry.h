/*
 * Transparency-log entries: what the log records about lawful interception, in one canonical
 * binary encoding (docs/tlog.md, "Entry encoding"), plus a key=value text form for operators
 * and auditors.
 *
 * Encoding, version 1 (all integers big-endian, fixed width):
 *
 *   u8 version (1) | u8 type | u64 seq | u64 time_ms | body of the type
 *
 *   str    = u8 length (1..255) || printable ASCII (0x20..0x7e)
 *   target = u8 target type (1 IMSI, 2 MSISDN, 3 IMEI) || 32-byte commitment
 *
 *   1 warrant.registered  warrant(16) str authority  u64 valid_from  u64 valid_until (s)
 *                         u8 n (1..16)  n * target, strictly ascending bytewise
 *   2 warrant.approved    warrant(16) str approver
 *   3 task.activated      warrant(16) xid(16) str ne  target  u8 delivery (1 X2, 2 X3, 3 both)
 *   4 task.modified       same as task.activated
 *   5 task.deactivated    warrant(16) xid(16) str ne
 *   6 delivery.counters   xid(16) u64 start_ms u64 end_ms u64 records u64 bytes
 *   7 config.change       str component  str key  value_sha256(32)  str actor
 *   8 operator.login      str user  str source  u8 result (0 success, 1 failure)
 *   9 alert               u8 severity (0..7, syslog)  str source  str message
 *
 * Every field has one encoding, lengths are bounded and the decoder refuses anything else
 * (trailing bytes, unknown type or version, empty or non-printable strings, unsorted or
 * duplicate targets, out-of-range enums, end before start), so decode then encode gives back
 * the same bytes.  Target identities never appear: only HMAC-SHA256 commitments under a
 * per-warrant key (tlog_target_commitment) that the ADMF can reveal to an auditor.
 *
 * Thread safety: pure functions.
 */
#ifndef OVERT_TLOG_ENTRY_H
#define OVERT_TLOG_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "tlog/tlog_err.h"

#define TLOG_ENTRY_VERSION  1
#define TLOG_ENTRY_MAX	    1024	/* longest valid encoding is 835 bytes */
#define TLOG_STR_MAX	    255
#define TLOG_MAX_TARGETS    16		/* targets per warrant */
#define TLOG_COMMIT_LEN	    32
#define TLOG_WARRANT_KEY_LEN 32
#define TLOG_IDENTITY_MAX   16		/* digits of an IMSI/MSISDN/IMEI(SV) */
#define TLOG_ENTRY_TEXT_MAX 4096	/* one key=value line */

enum tlog_entry_type {
	TLOG_ENT_WARRANT_REGISTERED = 1,
	TLOG_ENT_WARRANT_APPROVED = 2,
	TLOG_ENT_TASK_ACTIVATED = 3,
	TLOG_ENT_TASK_MODIFIED = 4,
	TLOG_ENT_TASK_DEACTIVATED = 5,
	TLOG_ENT_DELIVERY_COUNTERS = 6,
	TLOG_ENT_CONFIG_CHANGE = 7,
	TLOG_ENT_OPERATOR_LOGIN = 8,
	TLOG_ENT_ALERT = 9,
	TLOG_ENT_MAX = 9
};

enum tlog_target_type { TLOG_TGT_IMSI = 1, TLOG_TGT_MSISDN = 2, TLOG_TGT_IMEI = 3 };
/* ETSI TS 103 221-1 DeliveryType. */
enum tlog_delivery { TLOG_DLV_X2 = 1, TLOG_DLV_X3 = 2, TLOG_DLV_X2X3 = 3 };
enum tlog_login_result { TLOG_LOGIN_OK = 0, TLOG_LOGIN_FAILED = 1 };

struct tlog_target {
	uint8_t type;				/* enum tlog_target_type */
	uint8_t commitment[TLOG_COMMIT_LEN];
};

/* Strings are NUL-terminated copies (decoder) or caller strings (encoder), 1..255 bytes. */
struct tlog_entry {
	uint8_t type;				/* enum tlog_entry_type */
	uint64_t seq;				/* index in the log: set by tlog_append */
	uint64_t time_ms;			/* Unix time, ms: set by tlog_append */
	union {
		struct tlog_ent_warrant {
			uint8_t warrant[16];
			char authority[TLOG_STR_MAX + 1];
			uint64_t valid_from, valid_until;	/* Unix seconds */
			uint8_t ntargets;
			struct tlog_target targets[TLOG_MAX_TARGETS];
		} warrant_registered;
		struct {
			uint8_t warrant[16];
			char approver[TLOG_STR_MAX + 1];
		} warrant_approved;
		struct {			/* task.activated and task.modified */
			uint8_t warrant[16];
			uint8_t xid[16];
			char ne[TLOG_STR_MAX + 1];
			struct tlog_target target;
			uint8_t delivery;	/* enum tlog_delivery */
		} task;
		struct {
			uint8_t warrant[16];
			uint8_t xid[16];
			char ne[TLOG_STR_MAX + 1];
		} task_deactivated;
		struct {
			uint8_t xid[16];
			uint64_t start_ms, end_ms, records, bytes;
		} counters;
		struct {
			char component[TLOG_STR_MAX + 1];
			char key[TLOG_STR_MAX + 1];
			uint8_t value_sha256[32];
			char actor[TLOG_STR_MAX + 1];
		} config;
		struct {
			char user[TLOG_STR_MAX + 1];
			char source[TLOG_STR_MAX + 1];
			uint8_t result;		/* enum tlog_login_result */
		} login;
		struct {
			uint8_t severity;	/* 0 emerg .. 7 debug */
			char source[TLOG_STR_MAX + 1];
			char message[TLOG_STR_MAX + 1];
		} alert;
	} u;
};

/* Encodes e (which must be valid, as the decoder would accept it) into out.  Returns TLOG_OK
 * or the reason the entry is invalid; on error nothing useful is in out. */
enum tlog_err tlog_entry_encode(const struct tlog_entry *e, struct ovt_builder *out);
/* Decodes exactly one canonical entry from p[0..len). */
enum tlog_err tlog_entry_decode(const uint8_t *p, size_t len, struct tlog_entry *out);

/* Type names ("task.activated") and back (0 if unknown). */
const char *tlog_entry_type_name(uint8_t type);
uint8_t tlog_entry_type_from_name(const char *name);

/*
 * Text form, one line of space-separated key=value pairs, e.g.
 *   type=task.activated warrant=<uuid> xid=<uuid> ne=poi-1 target=imsi:<64 hex> delivery=x2x3
 * Values are percent-escaped: bytes outside 0x21..0x7e and '%' '=' are written %XX.
 * tlog_entry_parse_text reads the fields an appender supplies (no seq or time: the log sets
 * them); repeated target= keys of warrant.registered are sorted into canonical order.
 * tlog_entry_format_text writes every field, starting with seq and time when with_meta is 1.
 * Returns the length written (NUL-terminated), or 0 if cap is too small.
 */
enum tlog_err tlog_entry_parse_text(const char *line, size_t len, struct tlog_entry *out);
size_t tlog_entry_format_text(const struct tlog_entry *e, int with_meta, char *out, size_t cap);

/*
 * Commitment to a target identity: HMAC-SHA256(key, "overt-target-v1" || 0x00 || type ||
 * identity) with the warrant's 32-byte key.  identity is the decimal digits of the IMSI
 * (6..15), MSISDN (E.164 without '+', 1..15) or IMEI/IMEISV (14..16); anything else is
 * TLOG_E_ARG, so that the same person always gives the same commitment.
 */
enum tlog_err tlog_target_commitment(const uint8_t key[TLOG_WARRANT_KEY_LEN], uint8_t type,
    const char *identity, size_t len, uint8_t out[TLOG_COMMIT_LEN]);
/* A fresh random warrant key (OpenSSL RNG). */
enum tlog_err tlog_warrant_key_generate(uint8_t key[TLOG_WARRANT_KEY_LEN]);

#endif
