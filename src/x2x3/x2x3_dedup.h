/*
 * Duplicate filter for X2/X3 receivers (the MDF): after a connection breaks, an Overt sender
 * with retention (x2x3_sender.h) writes again every PDU whose barrier keepalive it had not seen
 * acknowledged, so the receiver may get some PDUs twice.  This helper recognises them by
 * (sender identity, XID, sequence number), in bounded memory, with state the application can
 * persist and restore.
 *
 * Per (identity, XID): the highest sequence number accepted and a bitmap of the
 * X2X3_DEDUP_WINDOW numbers below it, so a number that arrives late (after a higher one) within
 * that window is still accepted once.  Numbers compare in serial arithmetic (RFC 1982 style,
 * 32 bits), so the counter may wrap.  A number more than the window below the highest is
 * judged a duplicate: an Overt sender writes each XID's numbers in increasing order on one
 * stream, and resends only what it wrote before, so on one sender instance a number at or
 * below the highest was either received already or never sent (a gap from an overflow drop).
 *
 * Sender restarts.  Sequence numbers restart at 0 when the sender restarts; comparing them with
 * the old instance's would drop new PDUs.  The sender makes restarts visible (x2x3_sender.h):
 * each connection begins with a probe keepalive, whose number is 0 until a probe of that sender
 * instance has been acknowledged and >= 1, growing, afterwards.  Rule applied to the first PDU
 * this filter sees from a new connection (conn_id differs from the identity's last one):
 *   - a keepalive with a non-zero number that is after the last keepalive number seen from the
 *     identity (or none is known): the same sender instance: its state continues;
 *   - anything else (keepalive 0, a keepalive number that did not grow, an X2/X3 PDU first):
 *     a restart, or a sender whose behaviour we cannot tell: the identity's state is cleared
 *     and *out_restart set.  Clearing can only let duplicates through, never drop a new PDU.
 * Because a keepalive may clear state, "durable before the ack" includes that change: with
 * deferred acks (x2x3_receiver.h) acknowledge a keepalive only once the PDUs before it AND a
 * restart it caused are durable (persist a restart marker and replay it with
 * x2x3_dedup_restart, or save a snapshot).
 *
 * Preconditions (documented in docs/x2x3.md): identity names one sender instance at a time
 * (the POI's certificate CN, one destination per POI and MDF; for plaintext lab peers the
 * address); conn_id never repeats during the filter's life (x2x3_peer.id of one receiver; a
 * loaded snapshot forgets connection ids); a task's XID that the POI forgets
 * (x2x3_sender_forget_xid) and later uses again restarts at 0, so the MDF calls
 * x2x3_dedup_forget_xid when the task is deactivated at the MDF.
 *
 * Persistence, two ways (use either):
 *   - snapshot: x2x3_dedup_save appends the whole state to a builder; x2x3_dedup_load replaces
 *     the state from such bytes (strict parse through a cursor: the bytes come from storage);
 *   - roll forward: at start-up, replay the (identity, XID, sequence number) of every PDU the
 *     spool holds with x2x3_dedup_note, and restart markers with x2x3_dedup_restart, in order.
 *
 * Bounds: at most max_peers identities and max_entries (identity, XID) pairs; when full, new
 * ones are not tracked (X2X3_DEDUP_UNTRACKED: deliver, counted).  Memory: about 64 octets per
 * entry (32-octet slots at load <= 1/2) + about 200 octets per identity.
 * Errors: enum x2x3_dedup_err for load.  Never logs.  Thread safety: none.
 */
#ifndef OVERT_X2X3_X2X3_DEDUP_H
#define OVERT_X2X3_X2X3_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "x2x3/x2x3.h"

#define X2X3_DEDUP_WINDOW	 64		/* late numbers accepted below the highest */
#define X2X3_DEDUP_ID_MAX	 127		/* octets of an identity (x2x3_peer.cn fits) */
#define X2X3_DEDUP_PEERS_DEFAULT 256
#define X2X3_DEDUP_PEERS_MAX	 4096
#define X2X3_DEDUP_ENTRIES_DEFAULT (1u << 20)
#define X2X3_DEDUP_ENTRIES_MAX	 (1u << 24)

enum x2x3_dedup_verdict {
	X2X3_DEDUP_NEW = 0,	/* not seen before: deliver (and make it durable before acking) */
	X2X3_DEDUP_DUP,		/* accepted before: drop */
	X2X3_DEDUP_UNTRACKED,	/* cannot tell (no sequence number, identity too long, tables
				 * full): deliver */
	X2X3_DEDUP_KEEPALIVE,	/* keepalive or ack: nothing to deliver */
};

enum x2x3_dedup_err {
	X2X3_DEDUP_OK = 0,
	X2X3_DEDUP_E_SHORT,	/* snapshot ends inside a field */
	X2X3_DEDUP_E_MAGIC,	/* not a snapshot ("OVXD") */
	X2X3_DEDUP_E_VERSION,	/* snapshot format version not 1, or reserved octet set */
	X2X3_DEDUP_E_ID,	/* identity longer than X2X3_DEDUP_ID_MAX or with a NUL */
	X2X3_DEDUP_E_FLAGS,	/* unknown flag bits */
	X2X3_DEDUP_E_DUP,	/* an identity, or an XID within one, appears twice */
	X2X3_DEDUP_E_BITS,	/* bitmap without the highest number's own bit */
	X2X3_DEDUP_E_LIMIT,	/* more identities or entries than this filter's bounds */
	X2X3_DEDUP_E_TRAILING,	/* octets after the last identity */
	X2X3_DEDUP_E_NOMEM,
	X2X3_DEDUP_E_COUNT
};

struct x2x3_dedup_stats {
	uint64_t accepted;	/* X2X3_DEDUP_NEW verdicts (notes included) */
	uint64_t duplicates;	/* X2X3_DEDUP_DUP verdicts */
	uint64_t untracked;	/* X2X3_DEDUP_UNTRACKED verdicts */
	uint64_t restarts;	/* identities cleared (new connection rule, x2x3_dedup_restart) */
	uint64_t entries;	/* (identity, XID) pairs now */
	uint64_t peers;		/* identities now */
};

struct x2x3_dedup;

const char *x2x3_dedup_strerror(enum x2x3_dedup_err);

/* max_peers in [1, X2X3_DEDUP_PEERS_MAX], max_entries in [1, X2X3_DEDUP_ENTRIES_MAX]; 0 picks
 * the default.  NULL on a bad bound or ENOMEM. */
struct x2x3_dedup *x2x3_dedup_new(size_t max_peers, size_t max_entries);
void x2x3_dedup_free(struct x2x3_dedup *);

/*
 * The verdict on one validated PDU (x2x3_receiver's on_pdu) that connection conn_id (non-zero)
 * of sender `identity` (NUL-terminated) delivered; PDUs of one connection must be passed in
 * arrival order.  *out_restart is set to 1 when this PDU, the first of a new connection, made
 * the identity's state restart (see above), else 0.  An X2X3_DEDUP_NEW verdict has already
 * been recorded as accepted.
 */
enum x2x3_dedup_verdict x2x3_dedup_pdu(struct x2x3_dedup *, const char *identity,
				       uint64_t conn_id, const struct x2x3_pdu *pdu,
				       int *out_restart);

/* Roll forward: records (identity, xid, seq) as accepted.  Returns X2X3_DEDUP_NEW, or
 * X2X3_DEDUP_DUP if it already was, or X2X3_DEDUP_UNTRACKED if there is no room. */
enum x2x3_dedup_verdict x2x3_dedup_note(struct x2x3_dedup *, const char *identity,
					const uint8_t xid[16], uint32_t seq);
/* Roll forward of a restart (*out_restart was 1): forgets the identity's XIDs and its last
 * keepalive number. */
void x2x3_dedup_restart(struct x2x3_dedup *, const char *identity);
/* Forgets xid for every identity (the task was deactivated). */
void x2x3_dedup_forget_xid(struct x2x3_dedup *, const uint8_t xid[16]);

/* Octets x2x3_dedup_save appends now. */
size_t x2x3_dedup_saved_len(const struct x2x3_dedup *);
/* Appends the snapshot; returns 0, or -1 if the builder failed (it is then in its error state).
 * Layout (big-endian): "OVXD" | u8 version 1 | u8 0 | u16 identities | per identity: u8 length
 * | identity | u8 flags (1: last keepalive number known) | u32 last keepalive number |
 * u32 XIDs | per XID: 16 octets XID | u32 highest | u64 bitmap (bit i: highest - i accepted). */
int x2x3_dedup_save(const struct x2x3_dedup *, struct ovt_builder *b);
/* Replaces the state with a snapshot.  On any error the filter is left empty (which lets
 * duplicates through but drops nothing).  Connection ids are forgotten either way. */
enum x2x3_dedup_err x2x3_dedup_load(struct x2x3_dedup *, struct ovt_cursor in);
/* Forgets everything (as a new filter). */
void x2x3_dedup_clear(struct x2x3_dedup *);

void x2x3_dedup_stats(const struct x2x3_dedup *, struct x2x3_dedup_stats *out);

#endif
