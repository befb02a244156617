/*
 * The MDF's mediation core, independent of process set-up (mdf_main.c) so that unit tests and
 * the benchmark drive it directly:
 *
 *   X2/X3 receiver (many POIs, mutual TLS) -> on_pdu: POI allowed? task (XID)? -> decode once
 *   (mdf_item_prepare) -> for every route of the task (mediationDetails x destination x kind)
 *   -> that destination stream (mdf_stream_put: duplicate check, LIID + CIN counter, PS-PDU
 *   encoded into its batch) -> at the end of the loop iteration every batch is appended to its
 *   spool (mdf_core_commit) -> each stream's link sends and gets acknowledgements.
 *
 * Mapping of X1 to delivery (docs/mdf.md "From X1 to agencies"): a task's listOfMediationDetails
 * gives, per LIID, the HI delivery type (HI2Only/HI3Only/HI2andHI3) and the dIds of the
 * destinations; a destination (CreateDestination) is one agency address with its own
 * deliveryType.  A destination carries HI2 if its deliveryType has X2/HI2 and HI3 if it has
 * X3/HI3, each on its own connection (a stream).  A route exists for (LIID, destination, kind)
 * when both the mediation's and the destination's delivery types include the kind.  IRI of the
 * task goes to every HI2 route, CC to every HI3 route, each with its LIID.
 * Tasks and destinations come only from X1 (the hooks) and the X1 store at start-up.
 *
 * Commit rounds (docs/mdf.md "Crash recovery"): the records all streams append in one loop
 * iteration form a round with one epoch number; after them one small record in the MDF's
 * journal (a spool of its own) commits the epoch.  Records are sent only once committed, and
 * after a crash records of uncommitted epochs are void (never sent; the POIs resend their PDUs,
 * which are then mediated again with the same sequence numbers).  Sequence counters are one
 * per LIID + CIN for all streams (the LEMF numbers a CIN's IRI and CC together), so this is
 * what keeps the numbers of the HI2 and HI3 streams of a CIN consistent across a crash.
 *
 * POI keepalives: the X2/X3 receiver runs with deferred acknowledgements; a keepalive is
 * acknowledged (x2x3_receiver_ack) only after every PDU received before it is in a committed,
 * durable round: the core collects pending keepalives and acknowledges them in groups after
 * one flush of every spool and the journal (at most every sync tick).
 *
 * Memory: per destination its streams (mdf_stream.h); per task about 7 KiB; the sequence
 * counters (344 octets each with their index, at most sequence.max_cins); the journal spool (~70 KiB);
 * the POI connection table (max_conns entries).  Thread safety: none; one core per event loop
 * thread.
 */
#ifndef OVERT_MDF_MDF_CORE_H
#define OVERT_MDF_MDF_CORE_H

#include <stdint.h>
#include <stdio.h>

#include "common/ev.h"
#include "mdf/mdf_config.h"
#include "mdf/mdf_encode.h"
#include "mdf/mdf_state.h"
#include "tls/tls.h"
#include "x1/x1_ne.h"
#include "x1/x1_store.h"
#include "x2x3/x2x3_receiver.h"

struct mdf_core;

struct mdf_core_stats {
	uint64_t pdus[5];		/* X2/X3 PDUs received, by type */
	uint64_t mediated;		/* X2/X3 PDUs encoded into at least one stream */
	uint64_t copies;		/* PS-PDUs encoded (one per route) */
	uint64_t duplicates;		/* X2/X3 PDUs every stream had already */
	uint64_t drops[MDF_DROP_COUNT];	/* X2/X3 PDUs not mediated at all, by reason */
	uint64_t route_drops[MDF_DROP_COUNT];	/* copies for one route not made, by reason */
	uint64_t iri_unknown;		/* IRI elements dropped as unknown extensions */
	uint64_t poi_keepalives;	/* received */
	uint64_t poi_acks;		/* acknowledged, after a durable flush */
	uint64_t durable_points;	/* flushes of every spool and the journal */
	uint64_t rounds;		/* commit rounds (journal records) */
	uint64_t journal_errors;
	uint64_t cin_evictions, cin_db_loads;
	uint64_t flush_errors;
	uint64_t checkpoints, checkpoint_errors;
	uint64_t task_changes;
	uint64_t alarms;
	uint64_t poi_conns_refused;	/* connections of POIs not in accepted_pois */
};

/* Messages for the process log: never a target identity or content. */
struct mdf_core_log {
	void (*info)(void *arg, const char *msg);
	void (*alarm)(void *arg, const char *msg);	/* operator action needed */
	void *arg;
};

/*
 * Creates the core: destinations (their streams: spools opened and recovered) and tasks loaded
 * from store.  hi_tls is the client context for HI2/HI3 (may be NULL only if every destination
 * is insecure_plaintext).  store, state, cfg and hi_tls must outlive the core.  NULL with a
 * message on error (a spool that cannot be opened is an error at start-up).
 */
struct mdf_core *mdf_core_new(const struct mdf_config *cfg, struct ev_loop *loop,
			      struct tls_ctx *hi_tls, struct x1_store *store,
			      struct mdf_state *state, const struct mdf_core_log *log,
			      char *err, size_t errlen);
/* Commits, flushes and checkpoints everything, closes every stream, frees. */
void mdf_core_free(struct mdf_core *);

/* The receiver whose keepalives the core acknowledges (with defer_acks set). */
void mdf_core_set_receiver(struct mdf_core *, struct x2x3_receiver *rx);

/* X1 hooks to install in the NE (check_task, changed, ne_status, dest_status). */
void mdf_core_x1_hooks(struct mdf_core *, struct x1_hooks *out);
/* X2/X3 receiver callbacks (cfg.on_pdu / cfg.on_conn with arg = the core). */
void mdf_core_on_pdu(void *core, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu,
		     struct ovt_cursor raw);
void mdf_core_on_conn(void *core, const struct x2x3_peer *peer, enum x2x3_conn_event ev,
		      enum x2x3_err reason, const char *detail);
/* cfg.accept_peer: 0 for a POI that x2x3.accepted_pois admits (over TLS, by certificate CN;
 * without TLS only when the list is empty), else -1 with an alarm and poi_conns_refused
 * counted: the receiver then closes the connection before reading any PDU. */
int mdf_core_accept_peer(void *core, const struct x2x3_peer *peer);

/* End of every loop iteration: appends every open batch (one spool record per stream) and
 * commits the round in the journal. */
void mdf_core_commit(struct mdf_core *);
/* Commit + make everything durable + checkpoint the counters now.  0 or -1. */
int mdf_core_sync(struct mdf_core *);

/* Records spooled and not yet acknowledged by the LEMFs, over all streams. */
uint64_t mdf_core_pending(const struct mdf_core *);
const struct mdf_core_stats *mdf_core_stats(const struct mdf_core *);
size_t mdf_core_ntasks(const struct mdf_core *);
size_t mdf_core_nstreams(const struct mdf_core *);

/* One JSON object (a line) with every counter, per stream too (the status file). */
void mdf_core_status_json(const struct mdf_core *, FILE *f);
/* Human-readable end-of-run summary. */
void mdf_core_summary(const struct mdf_core *, FILE *f);

#endif
