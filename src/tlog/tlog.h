/*
 * The transparency log writer: an append-only RFC 9162 Merkle tree stored as C2SP tlog-tiles
 * in one directory, with a signed C2SP checkpoint, so that any static web server publishes it.
 *
 *   DIR/checkpoint                 signed note (log signature + witness cosignatures)
 *   DIR/tile/<L>/<N>[.p/<W>]       hash tiles
 *   DIR/tile/entries/<N>[.p/<W>]   entry bundles (entries: tlog/entry.h)
 *
 * Durability: tlog_append only queues an entry (and gives it its index); tlog_commit writes
 * the new tiles, fsyncs them and their directories, then writes, fsyncs and renames a new
 * signed checkpoint over the old one and fsyncs the directory.  An entry is acknowledged
 * (durable, published) once tlog_size() exceeds its index.  A crash at any point leaves the
 * last checkpoint and every tile it refers to intact: tiles are only written for tree sizes
 * beyond the published checkpoint, never rewritten below it.  tlog_open rebuilds the writer
 * state from the checkpoint and the rightmost tiles and refuses a directory where they
 * disagree (TLOG_E_CORRUPT).
 *
 * Partial tiles of a tile that has become full are deleted after the checkpoint that covers
 * the full tile is published (tlog-tiles readers fall back to the full tile).
 *
 * One writer per directory: tlog_open takes an exclusive flock on DIR (TLOG_E_LOCKED).
 * The checkpoint origin is the log key's name.
 *
 * Memory: one struct tlog_tree (64 KiB), the rightmost entry bundle (<= 263 KiB) and the
 * queued batch (<= TLOG_BATCH_BYTES).
 * Thread safety: a handle belongs to one thread at a time.  Nothing here logs or exits.
 */
#ifndef OVERT_TLOG_TLOG_H
#define OVERT_TLOG_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "tlog/entry.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/tlog_err.h"

#define TLOG_BATCH_MAX	 65536			/* queued entries before an automatic commit */
#define TLOG_BATCH_BYTES (16 * 1024 * 1024)	/* queued bytes before an automatic commit */

struct tlog;

/* Creates DIR (mode 0755, or an existing empty directory) holding an empty log: a signed
 * checkpoint of size 0.  TLOG_E_EXISTS if DIR is not empty.  key must be a
 * TLOG_KEY_ED25519 signer; its name becomes the origin. */
enum tlog_err tlog_create(const char *dir, const struct tlog_signer *key);

/* Opens a log for writing.  key must be the log's key (its signature on the checkpoint is
 * checked) and must stay valid until tlog_close.  On success *out is a handle. */
enum tlog_err tlog_open(const char *dir, const struct tlog_signer *key, struct tlog **out);

/* Releases the handle and the lock.  Queued, uncommitted entries are dropped (they were never
 * acknowledged); call tlog_commit first to keep them. */
void tlog_close(struct tlog *);

/*
 * Queues an entry: sets e->seq to its index and e->time_ms to the current time (never earlier
 * than the previous entry's), encodes it and returns the index in *out_index.  Entry errors
 * (TLOG_E_ENTRY_*) leave the log unchanged.  When the batch reaches TLOG_BATCH_MAX entries or
 * TLOG_BATCH_BYTES it is committed here, and a failure of that commit is returned.
 */
enum tlog_err tlog_append(struct tlog *, struct tlog_entry *e, uint64_t *out_index);

/* Makes every queued entry durable and publishes a new signed checkpoint (see above).  A
 * failure leaves the published log as it was and fails the handle (TLOG_E_FAILED
 * afterwards): the caller closes and reopens. */
enum tlog_err tlog_commit(struct tlog *);

/* Published (durable) tree size: entries with smaller indexes are acknowledged. */
uint64_t tlog_size(const struct tlog *);
/* Entries queued and not yet committed. */
uint64_t tlog_pending(const struct tlog *);
/* Root hash of the published tree. */
void tlog_root(const struct tlog *, uint8_t out[TLOG_HASH_LEN]);
/* The published checkpoint note, verbatim, appended to out. */
enum tlog_err tlog_checkpoint_note(const struct tlog *, struct ovt_builder *out);

/* Proofs against the published tree (from the tiles on disk). */
enum tlog_err tlog_prove_inclusion_at(struct tlog *, uint64_t index, uint64_t size,
    uint8_t (*out)[TLOG_HASH_LEN], size_t *out_n);
enum tlog_err tlog_prove_consistency_at(struct tlog *, uint64_t size1, uint64_t size2,
    uint8_t (*out)[TLOG_HASH_LEN], size_t *out_n);

/*
 * Publishes witness cosignature lines (C2SP tlog-cosignature, one or more "— name base64"
 * lines) in the checkpoint note.  Every line must be from one of witnesses[] and verify over
 * the current checkpoint (TLOG_E_SIG_UNKNOWN_KEY, TLOG_E_SIG_BAD: e.g. a cosignature of an
 * older checkpoint); a line replaces an earlier one of the same witness.  The note is
 * rewritten atomically.  tlog_dir_add_cosignatures does the same on a directory, taking the
 * writer lock itself (TLOG_E_LOCKED while a writer has the log open).
 */
enum tlog_err tlog_add_cosignatures(struct tlog *, const char *lines, size_t len,
    const struct tlog_verifier *witnesses, size_t nwitnesses);
enum tlog_err tlog_dir_add_cosignatures(const char *dir, const char *lines, size_t len,
    const struct tlog_verifier *witnesses, size_t nwitnesses);

#endif
