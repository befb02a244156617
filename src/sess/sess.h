/*
 * Session tracker: the state of EVERY subscriber seen on S11 and S5/S8 GTPv2-C, so that the POI
 * can map each G-PDU to a subscriber and direction, report bearer activation, modification and
 * deactivation (3GPP TS 33.108 EPS events), and start intercepting at once when a task is
 * activated for a subscriber already attached (startOfInterceptionWithActiveBearer).
 *
 * Model (TS 23.401, TS 29.274):
 *   session   one per subscriber (IMSI, or MEI for an emergency attach without IMSI); holds
 *             MSISDN, MEI, last ULI/RAT/serving network and the S11 control tunnel (one TEID-C
 *             pair per UE on S11), and its PDN connections;
 *   PDN       one per PDN connection: APN, PAA, default EBI, S5/S8 control tunnel, bearers;
 *   bearer    EBI (default or dedicated with its LBI), the four GTP-U endpoints
 *             (S1-U eNB / S1-U SGW / S5-U SGW / S5-U PGW: TEID + address), QoS, charging id.
 * Messages seen on S11 and S5/S8 for one PDN connection are merged into one PDN (by IMSI and
 * default EBI at creation, by TEID-C afterwards).  State changes are applied when the response
 * accepts the request: requests are kept (a copy, bounded) in a pending table matched on
 * sequence number and peer addresses/ports, or on the TEID the response must carry.
 * Events are coalesced per procedure: they are emitted once no request of the subscriber is
 * still unanswered, so an activation carries both legs' TEIDs.
 *
 * Memory is bounded: every table and pool is sized once by struct sess_config and never grows;
 * overflow is refused and counted.  docs/gtp.md gives the bytes per session.
 * The GTP-U lookup is O(1) with no allocation.
 *
 * Ownership: the tracker owns every session/PDN/bearer; pointers handed out stay valid until the
 * next call that processes a GTP-C message or sweeps (the callback's pointers until it returns).
 * Thread safety: none; one tracker per capture thread.
 */
#ifndef OVERT_SESS_SESS_H
#define OVERT_SESS_SESS_H

#include <stddef.h>
#include <stdint.h>

#include "gtp/gtp.h"

/* User-plane endpoint roles of a bearer, named after the node that owns the TEID (the
 * receiver of G-PDUs carrying it, 29.281 5.1). */
enum sess_up_role {
	SESS_UP_S1U_ENB = 0,	/* downlink on S1-U: towards the target */
	SESS_UP_S1U_SGW,	/* uplink on S1-U: from the target */
	SESS_UP_S5U_SGW,	/* downlink on S5/S8-U: towards the target */
	SESS_UP_S5U_PGW,	/* uplink on S5/S8-U: from the target */
	SESS_UP_NROLES
};

/* Direction, numbered as the X2/X3 Payload Direction field (TS 103 221-2). */
enum sess_dir {
	SESS_DIR_TO_TARGET = 2,
	SESS_DIR_FROM_TARGET = 3,
};

#define SESS_FTEID_V4	0x1
#define SESS_FTEID_V6	0x2

/* A TEID with its node address(es); flags == 0 means unset. */
struct sess_fteid {
	uint32_t teid;
	uint8_t flags;		/* SESS_FTEID_V4 | SESS_FTEID_V6 */
	uint8_t v4[4];
	uint8_t v6[16];
};

#define SESS_ULI_MAX	52	/* largest ULI value of 29.274 8.21 (flags + all 8 parts) */
#define SESS_QOS_LEN	22	/* Bearer QoS value (29.274 8.15) */

/* Bearer flags. */
#define SESS_BF_DEFAULT	0x01	/* default bearer of its PDN connection */
#define SESS_BF_ACTIVE	0x02	/* its activation event was emitted */

/*
 * Field order follows use: a G-PDU reads last_used, sess, the POI's cache and one of the two
 * S1-U endpoints, which come first so that they share the object's first cache line or two.
 */
struct sess_bearer {
	uint32_t last_used;	/* capture time (s) of the last G-PDU matched to it */
	uint32_t sess;		/* tracker-private: its PDN's session (the G-PDU path skips the PDN) */
	/* Owned by the POI: the match generation in which its subscriber was found to be no
	 * target, so that a G-PDU need not read the session (the tracker zeroes it at creation). */
	uint64_t nomatch_gen;
	struct sess_fteid up[SESS_UP_NROLES];
	uint32_t charging_id;
	uint8_t ebi;
	uint8_t lbi;		/* linked (default) EBI; == ebi for the default bearer */
	uint8_t flags;		/* SESS_BF_* */
	uint8_t qos_len;	/* 0 or SESS_QOS_LEN */
	uint8_t qos[SESS_QOS_LEN];
	/* tracker-private below */
	uint8_t ev;
	uint8_t chg;
	uint8_t idx;
	uint8_t used;
	uint32_t pdn;
	uint32_t next;
};

/* PDN legs seen. */
#define SESS_LEG_S11	0x1
#define SESS_LEG_S5	0x2

/* Field order follows use: what locating a PDN and its bearers reads comes first. */
struct sess_pdn {
	uint64_t id;		/* unique for the tracker's life: correlation for IRI and CC */
	uint8_t default_ebi;
	uint8_t legs;		/* SESS_LEG_* */
	uint8_t pdn_type;
	/* tracker-private: */
	uint8_t del;
	uint8_t used;
	uint8_t idx;
	uint32_t sess;
	uint32_t next;
	uint32_t bearers;
	/* public again: */
	uint32_t ambr_ul, ambr_dl;
	struct sess_fteid s5_sgw;	/* S5/S8 TEID-C of the SGW */
	struct sess_fteid s5_pgw;	/* S5/S8 TEID-C of the PGW */
	struct gtp_paa paa;	/* UE address(es) */
	char apn[101];
};

/* Subscriber identities the tracker indexes. */
enum sess_id_kind { SESS_ID_IMSI = 1, SESS_ID_MSISDN = 2, SESS_ID_MEI = 3 };
#define SESS_ID_HOLDERS		8	/* sessions indexed under one identity, at most */
#define SESS_MEI_KEY_DIGITS	14	/* IMEI/IMEISV digits that name the device */

/*
 * Field order follows use: the first line holds what every message and every G-PDU of the
 * subscriber reads (identity of the slot, the POI's match cache, liveness, the lists), then
 * the S11 tunnel that requests are matched on; identities and location last.
 */
struct sess_session {
	uint64_t id;		/* unique for the tracker's life */
	/* Owned by the POI: caches its target-match result (the tracker only zeroes them when
	 * the session is created). */
	uint64_t match_gen;
	void *match;
	uint32_t first_seen;	/* capture time (s) */
	uint32_t last_seen;	/* capture time (s) of the last GTP-C message */
	/* tracker-private: */
	uint32_t pending;
	uint32_t pdns;
	uint32_t next_free;
	uint8_t used;
	uint8_t ids;
	uint8_t idx;
	uint8_t del;
	uint8_t held11;		/* held events were recorded by an S11 response */
	/* public again: */
	uint8_t rat;		/* last RAT type (6 = EUTRAN), 0 = unknown */
	uint8_t serving_net[3];
	uint8_t uli_len;
	struct sess_fteid s11_mme;	/* S11 TEID-C of the MME */
	struct sess_fteid s11_sgw;	/* S11 TEID-C of the SGW */
	char imsi[16];		/* digits, "" when unknown */
	char msisdn[16];
	char mei[17];
	uint8_t uli[SESS_ULI_MAX];	/* last ULI value (29.274 8.21), for HI2 */
};

/* Where a GTP-C message was seen: capture time and outer addresses (af 4 or 6). */
struct sess_msgctx {
	uint64_t ts_ns;		/* capture time, ns since the epoch */
	uint8_t af;		/* 4 or 6 */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

enum sess_ev_type {
	SESS_EV_ACTIVATION = 1,		/* bearer created (default: PDN connection up) */
	SESS_EV_MODIFICATION,		/* bearer changed: see chg */
	SESS_EV_DEACTIVATION,		/* bearer gone (default: PDN connection down) */
	SESS_EV_ACTIVATION_REJECTED,	/* a Create Session/Bearer was refused; no bearer */
};

/* sess_event.chg bits (what a MODIFICATION changed). */
#define SESS_CHG_UP		0x01	/* a user-plane TEID/address (handover, service request) */
#define SESS_CHG_IDLE		0x02	/* Release Access Bearers removed the eNB endpoint */
#define SESS_CHG_LOCATION	0x04	/* ULI changed */
#define SESS_CHG_QOS		0x08	/* bearer QoS changed */
#define SESS_CHG_CONTROL	0x10	/* a TEID-C changed (MME / SGW relocation) */
#define SESS_CHG_RAT		0x20	/* RAT type changed */

/* sess_event.flags bits. */
#define SESS_EVF_PDN_END	0x01	/* DEACTIVATION: the whole PDN connection ends */
#define SESS_EVF_SESSION_END	0x02	/* DEACTIVATION: the subscriber's last PDN ends */
#define SESS_EVF_EXPIRED	0x04	/* DEACTIVATION: idle timeout (sess_sweep) */
#define SESS_EVF_REPLACED	0x08	/* DEACTIVATION: a new Create Session replaced it */

struct sess_event {
	enum sess_ev_type type;
	struct sess_session *sess;
	const struct sess_pdn *pdn;	/* NULL for ACTIVATION_REJECTED */
	const struct sess_bearer *bearer;	/* NULL for ACTIVATION_REJECTED */
	uint8_t chg;		/* SESS_CHG_* for MODIFICATION */
	uint8_t flags;		/* SESS_EVF_* */
	uint8_t msg_type;	/* GTPv2-C message that completed the procedure (0: sweep) */
	uint8_t cause;		/* its Cause value (0 if none) */
	const struct sess_msgctx *ctx;	/* that message's capture context */
};

/* Called for each event; must not call back into the tracker except the read-only lookups. */
typedef void (*sess_event_cb)(const struct sess_event *ev, void *arg);

struct sess_config {
	uint32_t max_sessions;		/* subscribers tracked at once */
	uint32_t max_pdns;		/* PDN connections, all subscribers */
	uint32_t max_bearers;		/* bearers, all subscribers */
	uint32_t max_pending;		/* unanswered requests kept */
	uint32_t pending_timeout_ms;	/* an unanswered request is dropped after this */
	uint32_t idle_timeout_s;	/* a session without GTP-C or G-PDU expires; 0 = never */
	uint32_t max_request_copy;	/* largest request kept for its response (octets) */
	uint64_t hash_seed;		/* 0: drawn from the OpenSSL RNG */
};

/* Defaults: 131072 sessions, 2 PDNs and 3 bearers per session on average, 65536 pending,
 * 10 s pending timeout, 24 h idle timeout, 4096-octet request copies, random seed. */
void sess_config_init(struct sess_config *cfg);

/* Results of sess_gtpc, also counted per value in sess_stats.rc[]. */
enum sess_rc {
	SESS_RC_OK = 0,
	SESS_RC_DECODE,		/* gtpc_decode refused the message (see stats.decode[]) */
	SESS_RC_UNKNOWN_MSG,	/* message type the tracker does not handle */
	SESS_RC_IGNORED,	/* known but carries no session state (echo, DDN, commands) */
	SESS_RC_UNKNOWN_TEID,	/* request for a TEID-C we do not know */
	SESS_RC_UNMATCHED,	/* response without a pending request */
	SESS_RC_RETRANSMIT,	/* request already pending (same peers and sequence) */
	SESS_RC_NO_IDENTITY,	/* Create Session without IMSI, MEI or known TEID */
	SESS_RC_UNSUPPORTED,	/* Create Session from an interface other than S11 or S5/S8 */
	SESS_RC_OVERFLOW,	/* a pool or table is full (see stats) */
	SESS_RC_STALE,		/* response for a subscriber removed meanwhile */
	SESS_RC_TOO_BIG,	/* request larger than max_request_copy */
	SESS_RC__COUNT
};

const char *sess_rc_str(enum sess_rc rc);

struct sess_stats {
	uint64_t rc[SESS_RC__COUNT];
	uint64_t decode[GTP_E__COUNT];
	uint64_t sessions_created, sessions_freed, sessions_expired;
	uint64_t pdns_created, pdns_freed;
	uint64_t bearers_created, bearers_freed;
	uint64_t overflow_sessions, overflow_pdns, overflow_bearers, overflow_index;
	uint64_t pending_timeouts, pending_evicted;
	uint64_t rejected;		/* responses with a non-accepting cause */
	uint64_t teid_collisions;	/* an index key taken over from another object */
	uint64_t id_evicted;		/* oldest holder dropped: > SESS_ID_HOLDERS held an identity */
	uint64_t events;
	uint32_t sessions, pdns, bearers, pending;	/* in use now */
	uint32_t sessions_peak;				/* most sessions in use at once */
};

struct sess_tracker;

/* Allocates every pool and table up front: pools with calloc (pages are touched as they fill),
 * index tables committed at once (sess_tab.h explains why).
 * Returns NULL on allocation failure, on a zero max_sessions or if the RNG fails. */
struct sess_tracker *sess_new(const struct sess_config *cfg, sess_event_cb cb, void *arg);
void sess_free(struct sess_tracker *tr);

/* Feeds one parsed GTPv2-C message.  Piggybacked messages are fed one after the other, the
 * carrying message first (29.274 7.7.0). */
enum sess_rc sess_gtpc(struct sess_tracker *tr, const struct gtpc_msg *m,
    const struct sess_msgctx *ctx);

/* Parses a UDP payload (gtpc_parse) and feeds every message in it.  Returns the parse error
 * (also counted in stats.decode[]) or GTP_OK; *rc gets the last sess_gtpc result. */
enum gtp_err sess_gtpc_udp(struct sess_tracker *tr, const uint8_t *p, size_t len,
    const struct sess_msgctx *ctx, enum sess_rc *rc);

struct sess_up_hit {
	struct sess_session *sess;
	const struct sess_pdn *pdn;
	struct sess_bearer *bearer;	/* writable only for the POI-owned nomatch_gen */
	enum sess_up_role role;	/* which endpoint the TEID belongs to */
	enum sess_dir dir;
};

/* GTP-U lookup by the G-PDU's destination address (af 4: first 4 octets of addr) and TEID.
 * Returns 1 and fills out, or 0.  Records now_s as the bearer's last use.  O(1), no allocation. */
int sess_up_lookup(struct sess_tracker *tr, uint8_t af, const uint8_t *addr, uint32_t teid,
    uint32_t now_s, struct sess_up_hit *out);

/* Lookups by identity (digit strings); NULL if not tracked.  When several sessions hold the
 * identity, the newest.  A MEI is matched by its first SESS_MEI_KEY_DIGITS digits (the device:
 * TAC and serial number, TS 23.003 6.2), so an IMEI, its IMEISV and its 14-digit form (X1)
 * find the same sessions. */
struct sess_session *sess_find_imsi(struct sess_tracker *tr, const char *imsi);
struct sess_session *sess_find_msisdn(struct sess_tracker *tr, const char *msisdn);
struct sess_session *sess_find_mei(struct sess_tracker *tr, const char *mei);

/* Every session holding an identity, into out; returns their number (0..SESS_ID_HOLDERS).
 * O(holders): it walks one index probe chain, whatever the number of sessions tracked.
 * The pointers stay valid until the next call that feeds the tracker. */
size_t sess_holders(struct sess_tracker *tr, enum sess_id_kind kind, const char *v,
    struct sess_session *out[SESS_ID_HOLDERS]);

/* Whether s is indexed under its identity of that kind (the identity field may be set without
 * it: the session was the oldest of more than SESS_ID_HOLDERS holders).  A target identity
 * matches exactly the sessions that sess_holders returns. */
int sess_holds_id(const struct sess_session *s, enum sess_id_kind kind);

/* Iteration: PDNs of a session, bearers of a PDN (NULL at the end). */
const struct sess_pdn *sess_pdn_first(struct sess_tracker *tr, const struct sess_session *s);
const struct sess_pdn *sess_pdn_next(struct sess_tracker *tr, const struct sess_pdn *p);
const struct sess_bearer *sess_bearer_first(struct sess_tracker *tr, const struct sess_pdn *p);
const struct sess_bearer *sess_bearer_next(struct sess_tracker *tr, const struct sess_bearer *b);

/* Drops requests unanswered for pending_timeout_ms and expires, among the next `budget`
 * session slots (round robin), those idle for idle_timeout_s.  now_ns is capture time. */
void sess_sweep(struct sess_tracker *tr, uint64_t now_ns, uint32_t budget);

const struct sess_stats *sess_stats(const struct sess_tracker *tr);

/* Memory: bytes reserved for all pools and tables at the configured caps (address space; pool
 * pages are committed as the pools fill), bytes of the index tables (committed at sess_new),
 * and the fixed size of one session/PDN/bearer/pending request and of one index slot. */
struct sess_mem {
	size_t reserved;		/* all tables at their configured bounds */
	size_t tables;
	size_t max_sessions;
	size_t session_size, pdn_size, bearer_size, pend_size, slot_size;
	size_t up_slots, ctl_slots, id_slots, pend_slots;
};
void sess_memory(const struct sess_tracker *tr, struct sess_mem *out);

#endif
