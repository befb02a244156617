/*
 * The LEMF's output directory: per LIID a pcap of the intercepted packets and JSON lines of the
 * IRI events, the state that drops duplicates and finds gaps, and the recovery that makes both
 * survive kill -9 and power loss (docs/lemf.md, "Crash guarantees").
 *
 *   DIR/lemf.db           SQLite (WAL): per LIID the committed size of each output file, per
 *                         stream, (LIID, CIN, IRI or CC), the received sequence numbers
 *                         (lemf_seq), PDUs, duplicates
 *   DIR/lemf.lock         flock(2): one LEMF per directory
 *   DIR/<LIID>/cc.pcap    CC packets (lemf_rec.h); <LIID> is the LIID made safe as a file name
 *   DIR/<LIID>/iri.jsonl  IRI events, one JSON object per line
 *   DIR/<LIID>/cc-000001.pcap, iri-000001.jsonl, ...  closed parts (rotation, below)
 *   DIR/rejected/         the exact bytes of refused PDUs, for forensics (bounded count)
 *
 * Write protocol.  lemf_store_put() appends a PDU's records to the LIID's files (buffered) and
 * records its sequence number in memory.  lemf_store_commit() writes the buffers, fdatasyncs the
 * files written to, then records in one SQLite transaction (synchronous=FULL) the files' new
 * sizes and the streams' sequence numbers.  The transaction is the commit point:
 *   - anything in a file beyond its committed size belongs to PDUs whose sequence numbers were
 *     never recorded; lemf_store_open() cuts it off (it is resent by the MDF, which had no
 *     acknowledgement for it), so a crash never leaves a record written twice, or a PDU
 *     recorded as received whose records are missing;
 *   - a committed size larger than the file (data lost below the commit point: a disk that
 *     ignored flushes, or tampering) is refused with LEMF_E_STATE rather than guessed around.
 * The caller (the server) acknowledges an MDF keep-alive only after a commit that covers every
 * PDU received before it.  With fsync off, the same holds for process crashes but not power loss.
 *
 * Rotation.  An interception can last months; analysts need files Wireshark opens.  After a
 * commit, an LIID whose cc.pcap or iri.jsonl reached rotate_bytes, or whose current part is
 * older than rotate_secs, has both files closed as part n (the LIID's parts + 1): renamed to
 * cc-<n>.pcap and iri-<n>.jsonl (six digits, growing with n), fresh ones created and synced,
 * then one transaction records the part (sizes, records, times) and the fresh files.  A part is
 * never empty: an LIID with nothing in its current files does not rotate.  A crash anywhere in
 * between is finished at open: a part file numbered parts + 1 means the rotation began, so the
 * remaining active file is renamed too, the fresh ones re-created and the transaction done.
 * Both files rotate together so that part n of the IRI and of the CC cover the same period.
 *
 * Streams: TS 102 232-1 numbers IRI and CC PDUs separately within one LIID and CIN (an MDF
 * sends both kinds from 0), so a stream, the unit of duplicate and gap detection, is
 * (LIID, CIN, kind).
 *
 * Sizes (limits from the config): memory is ~300 bytes per known LIID, ~80 bytes per stream,
 * 8 bytes per sequence range, plus 2 x 32 KiB of write buffers per LIID with open files (at
 * most max_open; others are closed after a commit and reopened on demand), plus hash tables
 * sized 2 x max_liids and 2 x max_streams slots of 4 bytes, and a scratch buffer (<= 1 MiB) for
 * the JSON lines of one PDU.
 *
 * Errors: a file or SQLite failure during put or commit makes the store "broken": it refuses
 * every later put and commit (the process must stop and restart; recovery then cuts whatever was
 * not committed).  lemf_store_error() tells what failed (paths, never LIIDs' data).
 * Thread safety: one store per process, used from one thread.
 */
#ifndef OVERT_LEMF_LEMF_STORE_H
#define OVERT_LEMF_LEMF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "hi2/hi2.h"
#include "lemf/lemf.h"
#include "lemf/lemf_seq.h"

#define LEMF_DIRNAME_MAX	(HI2_LIID_MAX * 3 + 1)
#define LEMF_MSG_MAX		512

struct lemf_store_config {
	const char *dir;		/* created (0700) if missing; its parent must exist */
	int fsync;			/* 1: fdatasync + SQLite synchronous=FULL (production) */
	uint32_t max_liids;		/* LIIDs known (directories) */
	uint32_t max_open;		/* LIIDs with open files at once (2 fds each) */
	uint32_t max_streams;		/* (LIID, CIN, IRI/CC) streams */
	uint32_t max_ranges;		/* sequence ranges, all streams together */
	uint32_t max_rejected;		/* refused PDUs kept under DIR/rejected/ */
	uint64_t rotate_bytes;		/* close a part at this file size; 0 = never */
	uint32_t rotate_secs;		/* ... or when it is this old; 0 = never */
};

struct lemf_store_stats {
	uint64_t liids, streams, ranges;	/* held now */
	uint64_t open_liids;
	uint64_t pdus_new, pdus_dup;		/* since open */
	uint64_t cc_records, iri_records;
	uint64_t cc_bytes;			/* packet octets written */
	uint64_t cc_no_time;			/* packets stamped with the receive time */
	uint64_t cc_not_ip;			/* payloads neither IPv4 nor IPv6 (written anyway) */
	uint64_t refused_limit, refused_other;
	uint64_t commits;
	uint64_t rejected_saved, rejected_dropped;
	uint64_t recovered_bytes;		/* uncommitted octets cut at open */
	uint64_t recovered_files;
	uint64_t orphans;			/* unclaimed files renamed aside (never deleted) */
	uint64_t rotations;			/* parts closed since open */
	uint64_t rotations_finished;		/* interrupted rotations completed at open */
};

enum lemf_put {
	LEMF_PUT_NEW = 0,	/* written and recorded (durable after the next commit) */
	LEMF_PUT_DUP,		/* (LIID, CIN, seq) already recorded: dropped, counted */
	LEMF_PUT_LIMIT,		/* a limit refused it: not written, not recorded; the caller must
				 * not acknowledge it (drop the connection) */
	LEMF_PUT_REFUSED,	/* not storable (not IRI/CC, or its JSON over LEMF_JSON_MAX):
				 * skipped like a malformed PDU */
	LEMF_PUT_FAILED,	/* I/O error: the store is broken (lemf_store_error) */
};

struct lemf_store;

/* Locks DIR, opens or creates the state, and recovers every LIID's files (cuts uncommitted
 * tails, checks each file's header and last committed record).  NULL with *err and a message
 * on failure (LEMF_E_LOCKED, LEMF_E_STATE, LEMF_E_FORMAT, LEMF_E_DB, LEMF_E_IO, ...). */
struct lemf_store *lemf_store_open(const struct lemf_store_config *cfg, enum lemf_err *err,
				   char *msg, size_t msglen);
/* Stores one decoded IRI or CC PDU (its items are iterated on a copy).  recv_*: arrival time,
 * used in the JSON and for packets without a usable timestamp. */
enum lemf_put lemf_store_put(struct lemf_store *s, const struct hi2_pdu *pdu, int64_t recv_sec,
			     uint32_t recv_usec);
/* Makes every put so far durable (see above).  Cheap when nothing changed.  LEMF_OK, or the
 * error that broke the store. */
enum lemf_err lemf_store_commit(struct lemf_store *s);
/* PDUs put (new or duplicate) since the last commit. */
uint64_t lemf_store_pending(const struct lemf_store *s);
/* Keeps a refused PDU's bytes as DIR/rejected/<name> (best effort, not synced); name gets the
 * file name or "" when not saved (limit reached or error). */
void lemf_store_reject(struct lemf_store *s, const uint8_t *raw, size_t len, char *name,
		       size_t namelen);
void lemf_store_stats(const struct lemf_store *s, struct lemf_store_stats *out);
/* Text of the failure that broke the store, or "". */
const char *lemf_store_error(const struct lemf_store *s);
/* Commits (unless broken), closes everything and unlocks.  Returns the commit's result. */
enum lemf_err lemf_store_close(struct lemf_store *s);

/* The directory name for an LIID: [A-Za-z0-9_-] and '.' (not first) kept, every other octet
 * as %XX (uppercase hex), so the mapping is reversible and cannot produce "..", "/" or a
 * hidden name.  out holds at most 3 * HI2_LIID_MAX + 1 octets. */
void lemf_liid_dirname(const uint8_t *liid, size_t len, char out[static LEMF_DIRNAME_MAX]);

/* ---- reading a directory's state (report, verify; safe while a LEMF writes it) ------------ */

/* A closed part (cc-<n>.pcap and iri-<n>.jsonl), as committed. */
struct lemf_state_part {
	uint32_t n;
	uint64_t cc_size, cc_last, cc_records;
	uint64_t iri_size, iri_records;
	int64_t started, closed;		/* Unix seconds */
};

struct lemf_state_liid {
	uint8_t liid[HI2_LIID_MAX];
	size_t liid_len;
	char dirname[LEMF_DIRNAME_MAX];
	uint64_t cc_size, cc_last, iri_size;	/* committed, current files (cc.pcap, iri.jsonl) */
	uint64_t cc_records, iri_records;	/* in the current files */
	uint64_t cc_records_total, iri_records_total;	/* closed parts included */
	int64_t created, started;		/* the LIID; its current part */
	uint32_t nparts;			/* closed parts, part[0..nparts-1] by number */
	const struct lemf_state_part *part;	/* valid during the callback only */
};

/* A sender that numbers the IRI and the CC of one LIID and CIN in one sequence (instead of
 * separately, as TS 102 232-1 and OpenLI do) leaves each kind with holes exactly where the
 * other kind's numbers are.  The reader recognises it (both kinds present, no number in both)
 * and reports the pair as one stream of kind LEMF_KIND_JOINT whose numbers are the union, so
 * its gaps are real ones.  Duplicates are per kind under either numbering. */
#define LEMF_KIND_JOINT	0

struct lemf_state_stream {
	int64_t cin;				/* -1: PDUs without a CIN */
	int kind;				/* HI2_KIND_IRI, HI2_KIND_CC or LEMF_KIND_JOINT */
	const struct lemf_seq *seq;
	uint64_t pdus, dups;
	int64_t first_seen, last_seen;		/* receive times, Unix seconds */
};

struct lemf_state_ops {
	/* Each LIID (ordered by LIID), then each of its streams (ordered by CIN, then IRI
	 * before CC).  Return non-zero to stop. */
	int (*liid)(void *arg, const struct lemf_state_liid *l);
	int (*stream)(void *arg, const struct lemf_state_liid *l,
		      const struct lemf_state_stream *st);
};

/* Reads DIR/lemf.db (read-only, one snapshot).  LEMF_OK, or an error with a message. */
enum lemf_err lemf_state_read(const char *dir, const struct lemf_state_ops *ops, void *arg,
			      char *msg, size_t msglen);
/* Checks an LIID's files against its committed state, the current files and every closed
 * part: pcap header, every record up to the committed size (count = the records committed,
 * the last one ending at the committed size), every JSON line (count = the lines committed),
 * parts numbered 1..nparts without a hole.  LEMF_OK, or LEMF_E_STATE/LEMF_E_FORMAT/LEMF_E_IO
 * with a message naming the file. */
enum lemf_err lemf_state_verify(const char *dir, const struct lemf_state_liid *l, char *msg,
				size_t msglen);

#endif
