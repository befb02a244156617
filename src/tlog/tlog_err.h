/*
 * Error codes of the transparency-log module (src/tlog/).  One enum for the whole module so that
 * a failure deep in a proof, a tile or an entry reaches the auditor's report unchanged; every
 * value names one kind of failure, and tlog_strerror() gives the sentence an auditor reads.
 *
 * Thread safety: tlog_strerror returns static strings.
 */
#ifndef OVERT_TLOG_ERR_H
#define OVERT_TLOG_ERR_H

enum tlog_err {
	TLOG_OK = 0,

	/* Caller and environment. */
	TLOG_E_ARG,		/* invalid argument (NULL, out of range, bad name) */
	TLOG_E_NOMEM,		/* allocation failed */
	TLOG_E_CRYPTO,		/* OpenSSL failed (hash, signature, RNG) */
	TLOG_E_IO,		/* a system call on the log directory or a file failed */
	TLOG_E_EXISTS,		/* refusing to overwrite an existing log or key file */
	TLOG_E_LOCKED,		/* another writer holds the log directory lock */
	TLOG_E_FAILED,		/* the handle failed earlier; close and reopen */
	TLOG_E_FULL,		/* tree size limit reached */

	/* Merkle proofs (RFC 9162 2.1.3.2, 2.1.4.2). */
	TLOG_E_PROOF_RANGE,	/* index >= size, size1 > size2, or size1 == 0 */
	TLOG_E_PROOF_LEN,	/* proof has the wrong number of hashes */
	TLOG_E_PROOF_ROOT,	/* proof does not lead to the expected root */

	/* Base64, keys, signed notes (C2SP signed-note), checkpoints (C2SP tlog-checkpoint). */
	TLOG_E_BASE64,		/* not canonical RFC 4648 base64 */
	TLOG_E_KEY,		/* malformed key, verifier key or key ID mismatch */
	TLOG_E_KEY_PERM,	/* private key file readable by group or others */
	TLOG_E_NOTE_SIZE,	/* note larger than TLOG_NOTE_MAX */
	TLOG_E_NOTE_TEXT,	/* note text not UTF-8, has control characters or no final newline */
	TLOG_E_NOTE_SIGLINE,	/* malformed signature line */
	TLOG_E_NOTE_NOSIG,	/* note has no signature line */
	TLOG_E_NOTE_MANY_SIGS,	/* more than TLOG_NOTE_MAX_SIGS signature lines */
	TLOG_E_SIG_BAD,		/* a signature by a known key does not verify */
	TLOG_E_SIG_UNKNOWN_KEY,	/* no signature by the expected (known) key */
	TLOG_E_CKPT_FORMAT,	/* checkpoint body malformed */
	TLOG_E_CKPT_ORIGIN,	/* checkpoint origin is not the expected one */
	TLOG_E_CKPT_SMALLER,	/* checkpoint tree smaller than one seen before */
	TLOG_E_CKPT_FORK,	/* two checkpoints of the same size with different roots, or
				 * a tree whose prefix differs from a verified checkpoint */
	TLOG_E_CKPT_REPLAY,	/* a checkpoint verified earlier served again after a newer one */
	TLOG_E_WITNESS_QUORUM,	/* fewer valid witness cosignatures than the policy requires */
	TLOG_E_STATE_FORMAT,	/* local verifier/witness state file malformed */
	TLOG_E_PROOF_FORMAT,	/* C2SP tlog-proof text malformed */

	/* Tiles (C2SP tlog-tiles). */
	TLOG_E_NOTFOUND,	/* tile or checkpoint absent */
	TLOG_E_FETCH,		/* HTTP(S) transfer failed or returned an unexpected status */
	TLOG_E_TOO_BIG,		/* fetched object larger than allowed */
	TLOG_E_TILE_SIZE,	/* hash tile truncated or too long */
	TLOG_E_TILE_HASH,	/* hash tile content differs from the hashes recomputed below it */
	TLOG_E_BUNDLE_FORMAT,	/* entry bundle truncated or malformed */
	TLOG_E_BUNDLE_COUNT,	/* entry bundle holds the wrong number of entries */

	/* Entries (docs/tlog.md). */
	TLOG_E_ENTRY_SHORT,	/* entry truncated */
	TLOG_E_ENTRY_VERSION,	/* unknown entry version */
	TLOG_E_ENTRY_TYPE,	/* unknown entry type */
	TLOG_E_ENTRY_TRAILING,	/* bytes after the last field */
	TLOG_E_ENTRY_STRING,	/* string empty, too long or not printable ASCII */
	TLOG_E_ENTRY_FIELD,	/* field value out of its range */
	TLOG_E_ENTRY_ORDER,	/* target commitments not in strictly ascending order */
	TLOG_E_ENTRY_TOO_BIG,	/* encoding longer than TLOG_ENTRY_MAX */
	TLOG_E_ENTRY_TEXT,	/* text form (key=value) malformed */

	/* Audit findings. */
	TLOG_E_ENTRY_EDITED,	/* entry bytes differ from the logged leaf hash */
	TLOG_E_ENTRY_REMOVED,	/* an entry is missing */
	TLOG_E_ENTRY_REORDERED,	/* entries are out of order */
	TLOG_E_ENTRY_INSERTED,	/* an entry was added that the log did not sign */
	TLOG_E_ENTRY_SEQ,	/* entry sequence number differs from its position */
	TLOG_E_ENTRY_TIME,	/* entry time earlier than the previous entry's */
	TLOG_E_ROOT_MISMATCH,	/* tree rebuilt from the tiles differs from the signed root */
	TLOG_E_CORRUPT,		/* the writer's own directory is inconsistent */

	TLOG_E_COUNT
};

const char *tlog_strerror(enum tlog_err);

#endif
