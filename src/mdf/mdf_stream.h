/*
 * One delivery stream: everything the MDF sends over one HI2 or HI3 connection to one agency
 * address (an X1 destination carrying HI2 and HI3 has two streams, two connections, two
 * spools).  A stream owns:
 *   - its spool (src/spool), written through: every PS-PDU is appended (in batches, one record
 *     per batch, mdf_record.h) before it is sent, connected or not;
 *   - its recent-set of X2/X3 fingerprints (mdf_dedup.h), rebuilt at open from its records;
 *   - its connection to the LEMF (mdf_link.c): mutual TLS (plaintext only if the address is
 *     explicitly configured so), reconnection with exponential backoff and jitter, TRI
 *     keep-alives, and the delivery acknowledgement.
 * What streams share lives in struct mdf_stream_env (owned by the core): the state database,
 * the key, the sequence counters (one per LIID + CIN for all streams: the LEMF numbers IRI and
 * CC of a CIN together) and the commit epochs.  Every record carries the epoch of the commit
 * round that wrote it; a record is sent, and counts at recovery, only once the core's journal
 * has committed its epoch, so the records of one round are all-or-nothing across streams.
 *
 * Acknowledgement (docs/mdf.md "Hop guarantees"): in MDF_ACK_KEEPALIVE mode a record counts as
 * delivered when the LEMF answers, with a TRI keep-aliveResponse, a keep-alive sent after it
 * (the LEMF answers only once everything before is durably written).  In MDF_ACK_TCP mode
 * (LEMFs that never answer keep-alives) it counts as delivered when the peer's TCP has
 * acknowledged every byte of it: the kernel's unacknowledged send queue (SIOCOUTQ) bounds the
 * plaintext not yet acknowledged, because TLS never makes a record smaller.  After any broken
 * connection the stream resends from the first record not delivered: at-least-once, and the
 * LEMF drops duplicates by (LIID, CIN, sequence number).
 *
 * A spool record is acknowledged to the spool (made deletable, and the point replay starts
 * from after a restart) only when all of: delivered, the counters it advanced are in the state
 * database (checkpoint), and it is not among the records holding the last dedup_window
 * fingerprints (they rebuild the recent-set after a restart; when the spool is full, those
 * are given up first, before any new record is refused).
 *
 * Memory per stream: the batch (mdf_batch_capacity(max_pdu), under 1 MiB, plus 176 KiB of
 * fingerprint and sequence slots), a read buffer of SPOOL_RECORD_MAX (1 MiB), the spool's
 * ~70 KiB, the recent-set (32 x dedup_window octets), the in-flight ring (24 x
 * MDF_LINK_WINDOW_RECORDS octets), the retention ring (16 octets per record holding the last
 * dedup_window fingerprints) and, once there is one, 64 KiB of void ranges.  Disk: the
 * spool's bound; it holds at least the last dedup_window PDUs (see above).
 * Thread safety: a stream belongs to its event loop's thread.  Never logs: events go to the
 * on_event callback with a detail text safe to log (no target identity, no content).
 */
#ifndef OVERT_MDF_MDF_STREAM_H
#define OVERT_MDF_MDF_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "common/ev.h"
#include "hi2/hi2.h"
#include "mdf/mdf_config.h"
#include "mdf/mdf_encode.h"
#include "mdf/mdf_record.h"
#include "mdf/mdf_seq.h"
#include "mdf/mdf_state.h"
#include "spool/spool.h"
#include "tls/tls.h"

#define MDF_LINK_WINDOW_RECORDS	8192		/* records sent and not yet delivered */
#define MDF_LINK_WINDOW_BYTES	(64u << 20)	/* ... and their octets */
#define MDF_LINK_MAX_KA		64		/* keep-alives awaiting a response */

enum mdf_stream_event {
	MDF_SEV_CONNECTED,	/* detail: TLS version or "plaintext" */
	MDF_SEV_CONNECT_FAILED,	/* detail: why */
	MDF_SEV_DISCONNECTED,	/* detail: why */
	MDF_SEV_SPOOL_FULL,	/* ALARM: first refusal of an episode; detail: counts */
	MDF_SEV_SPOOL_OK,	/* the episode ended (an append succeeded again) */
	MDF_SEV_SPOOL_ERROR,	/* ALARM: spool I/O or integrity error; detail: spool text */
	MDF_SEV_LOST,		/* ALARM: damaged spool records given up; detail: the range */
	MDF_SEV_BAD_RECORD,	/* ALARM: a spool record failed mdf_record_parse, skipped */
};

struct mdf_stream;

/* What the streams of one core share; the core owns it and outlives them. */
struct mdf_stream_env {
	struct mdf_state *state;
	uint8_t key[MDF_HASH_KEY_LEN];
	uint32_t gens;			/* batch generation source (mdf_record.h) */
	uint64_t epoch;			/* epoch of the records being appended now */
	uint64_t committed;		/* every record of an epoch <= this is committed */
	uint64_t committed_durable;	/* ... and the commit is on stable storage */
	int journal_sync_none;		/* the journal has no fsync policy */
	int round_dirty;		/* set by a stream that appended in the open round */
	uint64_t max_epoch;		/* highest epoch seen in any record at open */
	/* Recovery: every sequence entry of every committed record, in order.  0, or -1 (the
	 * counter cannot be had: open fails). */
	int (*roll)(void *arg, const struct mdf_rec_seq *q);
	void *roll_arg;
};

struct mdf_stream_config {
	const char *id;			/* "<dId>-hi2" / "<dId>-hi3": state key (copied) */
	enum mdf_kind kind;
	const char *spool_dir;		/* this stream's spool directory (copied) */
	struct spool_cfg spool;
	size_t max_pdu;			/* largest X2/X3 PDU accepted: sizes the batch */
	size_t dedup_window;
	const struct hi2_pshdr *hdr;	/* PSHeader constants, for the keep-alives */
	const char *keepalive_liid;	/* LIID of our TRI keep-alives */
	/* The LEMF address and local policy. */
	const char *addr;		/* IPv4/IPv6 literal (copied) */
	uint16_t port;
	int insecure_plaintext;		/* tls must then be NULL */
	struct tls_ctx *tls;		/* client context, borrowed */
	const char *tls_name;		/* name the LEMF certificate must carry; NULL = addr */
	enum mdf_ack_mode ack;
	uint32_t keepalive_ms, keepalive_timeout_ms, ack_interval_ms, connect_timeout_ms;
	uint32_t backoff_min_ms, backoff_max_ms;
	/* Test mode: append every PS-PDU (and keep-alive) written to the LEMF, whole PDUs only,
	 * to "<tap_dir>/<id>.ber" (NULL: off).  The file holds intercepted content. */
	const char *tap_dir;
	void (*on_event)(void *arg, struct mdf_stream *, enum mdf_stream_event, const char *detail);
	void *arg;
};

struct mdf_stream_stats {
	uint64_t pdus;			/* PS-PDUs encoded into the stream */
	uint64_t duplicates;		/* X2/X3 PDUs recognised as resent */
	uint64_t drops[MDF_DROP_COUNT];
	uint64_t appends;		/* spool records written */
	uint64_t appended;		/* highest record number written */
	uint64_t delivered;		/* highest record number the LEMF acknowledged */
	uint64_t acked;			/* highest record number acknowledged to the spool */
	uint64_t ckpt;			/* records whose counters are in the state database */
	uint64_t sent_records, sent_bytes;
	uint64_t resent_records;	/* sent again after a reconnection */
	uint64_t mem_records;		/* of sent_records, sent from memory (no read-back) */
	uint64_t connects, connect_failures, disconnects;
	uint64_t ka_sent, ka_acked, ka_timeouts, ka_unmatched;
	uint64_t lemf_keepalives;	/* keep-alives from the LEMF, answered */
	uint64_t rx_other;		/* other PDUs from the LEMF (ignored, counted) */
	uint64_t rx_bad;		/* undecodable bytes from the LEMF (connection dropped) */
	uint64_t bad_records;		/* spool records failing mdf_record_parse (skipped) */
	uint64_t lost_records;		/* damaged spool records given up */
	uint64_t full_events;		/* appends refused: size bound */
	uint64_t retention_released;	/* records kept for the recent-set given up for room */
	uint64_t recovered_records;	/* records read back at open */
	uint64_t void_records;		/* records found uncommitted at open: never sent */
	uint64_t dedup_size;
	uint64_t spool_bytes, spool_segments;
	int full_alarm;			/* in a spool-full episode now */
	int broken;			/* spool unusable (alarm raised) */
	int up;				/* connected now */
};

/* Opens the spool (creating the directory), rolls its committed records forward into the
 * counters (env->roll) and the recent-set, marks uncommitted ones void (saved in the state
 * database), and starts connecting.  NULL with a message (safe to log) on failure. */
struct mdf_stream *mdf_stream_open(struct ev_loop *loop, struct mdf_stream_env *env,
				   const struct mdf_stream_config *cfg, char *err, size_t errlen);
/* Appends the open batch, closes the connection and the spool (flushing it) and frees. */
void mdf_stream_close(struct mdf_stream *);

const char *mdf_stream_id(const struct mdf_stream *);
enum mdf_kind mdf_stream_kind(const struct mdf_stream *);

/* A new LEMF address or policy (X1 ModifyDestination): reconnects; undelivered records go to
 * the new address.  Pointers are copied.  0, or -1 (ENOMEM / bad address). */
int mdf_stream_set_peer(struct mdf_stream *, const char *addr, uint16_t port,
			int insecure_plaintext, struct tls_ctx *tls, const char *tls_name,
			enum mdf_ack_mode ack);

/*
 * Hot path: unless fp (non-zero) is in the recent-set (MDF_DROP_DUPLICATE), encodes it into
 * the open batch with counter ctr's header at sequence number seq (ctr->hs.hdr.seq is seq + 1
 * afterwards on success; the caller assigns one number per X2/X3 PDU and LIID, the same for
 * every stream the LIID goes to).  Returns MDF_DROP_NONE or a drop reason (also counted in the
 * stream's stats).  now_ms is the loop clock.  The batch is appended to the spool when full;
 * otherwise at mdf_stream_commit.
 */
enum mdf_drop mdf_stream_put(struct mdf_stream *, struct mdf_cin *ctr, uint32_t seq,
			     struct mdf_item *it, uint64_t fp, uint64_t now_ms);

/* Prefetches the recent-set slots fp will probe (see mdf_dedup_prefetch). */
void mdf_stream_prefetch(const struct mdf_stream *, uint64_t fp);

/* Appends the open batch (if any) to the spool, tagged with env->epoch (the core then commits
 * the round).  1 if a record was appended, else 0. */
int mdf_stream_commit(struct mdf_stream *);
/* Makes every appended record durable (fdatasync).  SPOOL_OK or the spool's error. */
enum spool_err mdf_stream_flush(struct mdf_stream *);
/* Records may have become sendable (a commit, or durability): send what can go. */
void mdf_stream_kick(struct mdf_stream *);

/* Checkpoint, in the caller's state transaction: writes the stream row (the caller has written
 * the counters, committed and flushed every stream first).  Then, once the transaction has
 * committed, mdf_stream_checkpoint_done(s, 1) (or 0 after a rollback). */
enum mdf_state_err mdf_stream_checkpoint(struct mdf_stream *);
void mdf_stream_checkpoint_done(struct mdf_stream *, int committed);

/* Housekeeping (about once a second): evicts idle counters, retries a broken spool. */
void mdf_stream_tick(struct mdf_stream *, uint64_t now_ms);

/* Records appended and not yet delivered. */
uint64_t mdf_stream_pending(const struct mdf_stream *);
void mdf_stream_stats(const struct mdf_stream *, struct mdf_stream_stats *out);

#endif
