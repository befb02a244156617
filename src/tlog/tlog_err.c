/*
 * Sentences for enum tlog_err, as the auditor's report prints them.
 */
#include "tlog/tlog_err.h"

#include <stddef.h>

static const char *const msgs[TLOG_E_COUNT] = {
	[TLOG_OK] = "ok",
	[TLOG_E_ARG] = "invalid argument",
	[TLOG_E_NOMEM] = "out of memory",
	[TLOG_E_CRYPTO] = "cryptographic operation failed",
	[TLOG_E_IO] = "I/O error",
	[TLOG_E_EXISTS] = "already exists",
	[TLOG_E_LOCKED] = "log is locked by another writer",
	[TLOG_E_FAILED] = "log handle failed earlier; reopen the log",
	[TLOG_E_FULL] = "log is full",
	[TLOG_E_PROOF_RANGE] = "proof sizes or index out of range",
	[TLOG_E_PROOF_LEN] = "proof has the wrong number of hashes",
	[TLOG_E_PROOF_ROOT] = "proof does not match the root hash",
	[TLOG_E_BASE64] = "malformed base64",
	[TLOG_E_KEY] = "malformed key or key ID mismatch",
	[TLOG_E_KEY_PERM] = "private key file is accessible by group or others",
	[TLOG_E_NOTE_SIZE] = "signed note too large",
	[TLOG_E_NOTE_TEXT] = "signed note text malformed",
	[TLOG_E_NOTE_SIGLINE] = "malformed signature line",
	[TLOG_E_NOTE_NOSIG] = "signed note has no signature",
	[TLOG_E_NOTE_MANY_SIGS] = "signed note has too many signatures",
	[TLOG_E_SIG_BAD] = "bad signature",
	[TLOG_E_SIG_UNKNOWN_KEY] = "not signed by a known key (unknown key)",
	[TLOG_E_CKPT_FORMAT] = "checkpoint malformed",
	[TLOG_E_CKPT_ORIGIN] = "checkpoint origin mismatch",
	[TLOG_E_CKPT_SMALLER] = "checkpoint has a smaller tree than one seen before",
	[TLOG_E_CKPT_FORK] = "fork: checkpoints disagree on the tree at the same size",
	[TLOG_E_CKPT_REPLAY] = "replayed old checkpoint",
	[TLOG_E_WITNESS_QUORUM] = "witness quorum not met",
	[TLOG_E_STATE_FORMAT] = "state file malformed",
	[TLOG_E_PROOF_FORMAT] = "tlog-proof malformed",
	[TLOG_E_NOTFOUND] = "not found",
	[TLOG_E_FETCH] = "fetch failed",
	[TLOG_E_TOO_BIG] = "object too large",
	[TLOG_E_TILE_SIZE] = "tile truncated or too long",
	[TLOG_E_TILE_HASH] = "tile hash does not match the data below it",
	[TLOG_E_BUNDLE_FORMAT] = "entry bundle truncated or malformed",
	[TLOG_E_BUNDLE_COUNT] = "entry bundle has the wrong number of entries",
	[TLOG_E_ENTRY_SHORT] = "entry truncated",
	[TLOG_E_ENTRY_VERSION] = "unknown entry version",
	[TLOG_E_ENTRY_TYPE] = "unknown entry type",
	[TLOG_E_ENTRY_TRAILING] = "trailing bytes after entry",
	[TLOG_E_ENTRY_STRING] = "entry string empty, too long or not printable ASCII",
	[TLOG_E_ENTRY_FIELD] = "entry field out of range",
	[TLOG_E_ENTRY_ORDER] = "entry targets not in canonical order",
	[TLOG_E_ENTRY_TOO_BIG] = "entry too large",
	[TLOG_E_ENTRY_TEXT] = "malformed entry text",
	[TLOG_E_ENTRY_EDITED] = "entry edited",
	[TLOG_E_ENTRY_REMOVED] = "entry removed",
	[TLOG_E_ENTRY_REORDERED] = "entries reordered",
	[TLOG_E_ENTRY_INSERTED] = "entry inserted",
	[TLOG_E_ENTRY_SEQ] = "entry sequence number out of place",
	[TLOG_E_ENTRY_TIME] = "entry time goes backwards",
	[TLOG_E_ROOT_MISMATCH] = "tree does not match the signed checkpoint root",
	[TLOG_E_CORRUPT] = "log directory is inconsistent",
};

const char *
tlog_strerror(enum tlog_err e)
{
	if ((unsigned)e >= TLOG_E_COUNT || msgs[e] == NULL)
		return "unknown error";
	return msgs[e];
}
