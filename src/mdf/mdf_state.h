/*
 * The MDF's own persistent state, in one SQLite database (WAL, synchronous=FULL, mode 0600):
 *   meta(k, v)                     the 16-byte SipHash key that derives CINs and fingerprints,
 *                                  created at the first start (OpenSSL RAND_bytes);
 *   stream(id, ckpt, delivered)    per delivery stream: the spool record number up to which
 *                                  the counters below are complete, and the highest record
 *                                  the LEMF acknowledged;
 *   seq(liid, cin, next, used)     the next sequence number of each LIID + CIN (shared by
 *                                  the HI2 and HI3 streams: the LEMF numbers them together);
 *   void(stream, first, last)      spool records found uncommitted after a crash: never sent,
 *                                  forgotten once the stream's spool has acknowledged them.
 * It is a checkpoint, written about once a second (never per PDU): the spool records written
 * after it carry the same information (mdf_record.h), and start-up rolls them forward.
 * Rows of counters unused for longer than a retention period are pruned (mdf_state_prune).
 *
 * The file holds no target identity and no content, only LIIDs and counters; still 0600.
 * Errors: enum mdf_state_err; mdf_state_errmsg() gives SQLite's text (no values).
 * Thread safety: one thread.  Never logs.
 */
#ifndef OVERT_MDF_MDF_STATE_H
#define OVERT_MDF_MDF_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "mdf/mdf_hash.h"

#define MDF_STREAM_ID_MAX 64

enum mdf_state_err {
	MDF_ST_OK = 0,
	MDF_ST_NOT_FOUND,
	MDF_ST_DB,		/* SQLite error: mdf_state_errmsg */
	MDF_ST_NOMEM,
	MDF_ST_CORRUPT,		/* a row or the key fails validation */
	MDF_ST_RANDOM,		/* no random key could be made */
	MDF_ST_COUNT
};

const char *mdf_state_strerror(enum mdf_state_err);

struct mdf_state;

/* Opens or creates path (":memory:" for tests).  On success *out is set. */
enum mdf_state_err mdf_state_open(const char *path, struct mdf_state **out);
void mdf_state_close(struct mdf_state *);
const char *mdf_state_errmsg(const struct mdf_state *);

/* The SipHash key (made at the first open). */
void mdf_state_key(const struct mdf_state *, uint8_t key[MDF_HASH_KEY_LEN]);

enum mdf_state_err mdf_state_begin(struct mdf_state *);
enum mdf_state_err mdf_state_commit(struct mdf_state *);
void mdf_state_rollback(struct mdf_state *);

/* MDF_ST_NOT_FOUND leaves *ckpt and *delivered at 0. */
enum mdf_state_err mdf_state_stream_get(struct mdf_state *, const char *id, uint64_t *ckpt,
					uint64_t *delivered);
enum mdf_state_err mdf_state_stream_put(struct mdf_state *, const char *id, uint64_t ckpt,
					uint64_t delivered);
/* Forgets a stream and its void ranges. */
enum mdf_state_err mdf_state_stream_delete(struct mdf_state *, const char *id);

enum mdf_state_err mdf_state_seq_get(struct mdf_state *, const uint8_t *liid, size_t liid_len,
				     uint32_t cin, uint32_t *next);
/* used is a wall-clock time in seconds (pruning). */
enum mdf_state_err mdf_state_seq_put(struct mdf_state *, const uint8_t *liid, size_t liid_len,
				     uint32_t cin, uint32_t next, int64_t used);

/* Void ranges of a stream (records first..last, never to be sent). */
enum mdf_state_err mdf_state_void_add(struct mdf_state *, const char *id, uint64_t first,
				      uint64_t last);
/* Calls cb for each range of id, ascending; stops with cb's non-zero return. */
enum mdf_state_err mdf_state_void_list(struct mdf_state *, const char *id,
				       int (*cb)(void *, uint64_t first, uint64_t last),
				       void *arg);
/* Deletes the ranges of id ending at or below acked. */
enum mdf_state_err mdf_state_void_trim(struct mdf_state *, const char *id, uint64_t acked);
/* Deletes counters last used before `before` (seconds); *out_n rows (may be NULL). */
enum mdf_state_err mdf_state_prune(struct mdf_state *, int64_t before, uint64_t *out_n);

#endif
