/*
 * The X1 network element: what a POI or an MDF does with an X1Request (TS 103 221-1 clause 6)
 * once the transport has authenticated the peer.  Independent of HTTP and TLS (x1_server.c
 * feeds it), so that unit tests and the fuzzer drive it directly.
 *
 * For each x1RequestMessage, in document order, as its own unit of work:
 *   1. parse errors of that message       -> ErrorResponse 1010 (or the "unsupported" code);
 *   2. identity (clause 8.2.4)            -> 1030 admfIdentifier not among the certificate's
 *                                            names (CN, DNS/URI SANs), 1040 not in the
 *                                            configured list, 1060 neIdentifier not ours;
 *   3. profile and hook checks            -> 3010/3050/6020/3000... (nothing touched yet);
 *   4. one SQLite transaction: existence checks (2010/2020/2030/2040/7010), delivery/destination
 *      consistency (3040), write, commit;
 *   5. after the commit only: the change hook (the POI/MDF updates its tables at once).
 * An invalid message changes nothing; earlier valid messages of the same document stay
 * applied (each message is answered separately, as the XSD's response list allows).
 * A document that cannot be read (malformed, DTD, unknown message type, bad header, too many
 * messages) is answered with X1TopLevelErrorResponse and changes nothing.
 *
 * Profiles say what a role accepts; the library ships the POI's and the MDF's.
 * Thread safety: an NE belongs to one thread (the event loop's).  Never logs, prints or exits;
 * processes log from the change hook and the stats.
 */
#ifndef OVERT_X1_NE_H
#define OVERT_X1_NE_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "x1/x1.h"
#include "x1/x1_store.h"

enum x1_med_rule {
	X1_MED_FORBIDDEN,	/* listOfMediationDetails refused (POI) */
	X1_MED_OPTIONAL,
	X1_MED_REQUIRED,	/* at least one mediationDetails, each with a dId (MDF) */
};

struct x1_profile {
	const char *name;
	unsigned targets;		/* X1_TGT_BIT() of accepted target types, else 3010 */
	enum x1_med_rule mediation;
	int require_dids;		/* task listOfDIDs must name a destination, else 3040 */
	unsigned addr_types;		/* X1_ADDR_* accepted in destinations, else 6020 */
	unsigned services;		/* X1_SVC_* accepted in listOfServiceTypes, else 3050 */
};

/* POI: imsi/e164Number/imei, no mediation details, >= 1 DID, TCP over IPv4/IPv6, service
 * type "data".  MDF: same targets, mediation details required (LIID, HI delivery type, HI2/HI3
 * destinations), TCP over IPv4/IPv6, any service type. */
extern const struct x1_profile x1_profile_poi;
extern const struct x1_profile x1_profile_mdf;
/* "poi" or "mdf"; NULL otherwise. */
const struct x1_profile *x1_profile_lookup(const char *name);

enum x1_event_type {
	X1_EV_TASK_ACTIVATED = 1,
	X1_EV_TASK_MODIFIED,
	X1_EV_TASK_DEACTIVATED,
	X1_EV_ALL_TASKS_DEACTIVATED,
	X1_EV_DEST_CREATED,
	X1_EV_DEST_MODIFIED,
	X1_EV_DEST_REMOVED,
};

/* "task_activated", ... */
const char *x1_event_name(enum x1_event_type);

/* A committed change.  Pointers are valid during the hook call only. */
struct x1_event {
	enum x1_event_type type;
	const struct x1_header *hdr;	/* the request: admfIdentifier, x1TransactionId */
	const struct x1_task *task;	/* TASK_*: details now (DEACTIVATED: as they were) */
	const struct x1_dest *dest;	/* DEST_*: details now (REMOVED: as they were) */
	size_t count;			/* ALL_TASKS_DEACTIVATED: tasks removed */
};

struct x1_hooks {
	/* Extra checks after the profile's and before anything changes.  Return 0 to accept, or
	 * an X1 error code with a short description (never a target value) in desc. */
	int (*check_task)(void *arg, enum x1_msg_type, const struct x1_task *, char *desc,
			  size_t desclen);
	int (*check_dest)(void *arg, enum x1_msg_type, const struct x1_dest *, char *desc,
			  size_t desclen);
	/* Called after each commit. */
	void (*changed)(void *arg, const struct x1_event *);
	/* Status for GetNEStatus / Get(All)DestinationDetails / Get(All)TaskDetails.  out comes
	 * pre-filled with "OK" / "activeAndWorking" / "complete" and no faults. */
	void (*ne_status)(void *arg, struct x1_ne_status *out);
	void (*dest_status)(void *arg, const struct x1_dest *, struct x1_dest_status *out);
	void (*task_status)(void *arg, const struct x1_task *, struct x1_task_status *out);
	void *arg;
};

struct x1_ne_config {
	const char *ne_id;		/* our neIdentifier; mandatory */
	const char *const *admf_ids;	/* accepted admfIdentifiers; at least one (no default) */
	size_t nadmf;
	const struct x1_profile *profile;
	struct x1_hooks hooks;
};

/* Names the verified client certificate carries (subject CN first, then DNS and URI SANs). */
#define X1_PEER_MAX_NAMES 8
struct x1_peer {
	size_t n;
	char names[X1_PEER_MAX_NAMES][X1_ID_MAX + 1];
};

struct x1_code_count {
	int code;
	uint64_t n;
};
#define X1_NE_MAX_CODES 32

struct x1_ne_stats {
	uint64_t documents;		/* bodies handled */
	uint64_t top_level;		/* answered with X1TopLevelErrorResponse */
	uint64_t doc_err[X1_P_COUNT];	/* ... by reason */
	uint64_t msg_ok[X1_MSG_COUNT];	/* messages answered with success, by type */
	uint64_t msg_err[X1_P_COUNT];	/* messages refused at parse, by reason */
	struct x1_code_count codes[X1_NE_MAX_CODES];	/* ErrorResponses by code */
	uint64_t keepalives;
	uint64_t failed;		/* no response could be built (memory / size) */
};

struct x1_ne;

/* The NE uses (does not own) store.  Returns NULL with *err set on a bad config (missing
 * ne_id, no admf_ids, invalid identifiers) or ENOMEM. */
struct x1_ne *x1_ne_new(struct x1_store *store, const struct x1_ne_config *cfg, const char **err);
void x1_ne_free(struct x1_ne *);

enum x1_ne_result {
	X1_NE_RESPONSE = 0,	/* out holds an X1Response */
	X1_NE_TOP_LEVEL,	/* out holds an X1TopLevelErrorResponse; *doc_err says why */
	X1_NE_FAILED,		/* out unusable (response over X1_MAX_RESPONSE, or ENOMEM) */
};

/* Handles one request body from an authenticated peer; writes the response document into out
 * (a heap builder the caller owns, empty on entry). */
enum x1_ne_result x1_ne_handle(struct x1_ne *, const struct x1_peer *peer, const uint8_t *body,
			       size_t len, struct ovt_builder *out, enum x1_perr *doc_err);

const struct x1_ne_stats *x1_ne_stats(const struct x1_ne *);
const char *x1_ne_id(const struct x1_ne *);

#endif
