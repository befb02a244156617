/*
 * Checking a published log from the outside: what `overt audit` and `overt log witness` do.
 *
 *  - tlog_checkpoint_verify: the signed checkpoint against a policy (the log's key, its origin,
 *    k of n witness cosignatures).
 *  - struct tlog_trust: what a verifier or witness remembers between runs (the checkpoints it
 *    accepted, newest last), to refuse a smaller tree, a fork or a replayed old checkpoint.
 *  - tlog_audit: full verification.  Reads every entry bundle and hash tile the checkpoint
 *    covers, decodes every entry, checks sequence numbers and times, recomputes every leaf
 *    hash, every tile and the root, and checks the prefix against the last verified
 *    checkpoint.  Findings name what was tampered with (entry edited/removed/reordered/
 *    inserted, tile truncated, ...) and where.
 *  - tlog_witness_cosign: C2SP tlog-witness logic offline: consistency from the witness's last
 *    checkpoint to the log's new one (proof built from the log's tiles, verified against both
 *    signed roots), then a tlog-cosignature/v1.
 *
 * Memory: tlog_audit holds one struct tlog_tree (64 KiB), one entry bundle (<= TLOG_BUNDLE_MAX)
 * and two hash tiles, whatever the log size.  struct tlog_trust is about 45 KiB.
 * Thread safety: none shared; one audit per thread.
 */
#ifndef OVERT_TLOG_AUDIT_H
#define OVERT_TLOG_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "tlog/entry.h"
#include "tlog/fetch.h"
#include "tlog/note.h"
#include "tlog/tlog_err.h"

#define TLOG_MAX_WITNESSES  16
#define TLOG_TRUST_HISTORY  1024	/* checkpoints remembered for replay detection */
#define TLOG_TRUST_FILE_MAX (96 * 1024)
#define TLOG_DETAIL_MAX	    512

struct tlog_policy {
	struct tlog_verifier log;	/* the log's key (type TLOG_KEY_ED25519) */
	char origin[TLOG_NAME_MAX + 1];	/* expected origin; "" means the log key's name */
	struct tlog_verifier witnesses[TLOG_MAX_WITNESSES];	/* type TLOG_KEY_COSIG */
	size_t nwitnesses;
	size_t quorum;			/* valid witness cosignatures required (0..n) */
};

/*
 * Verifies a signed checkpoint note: log signature present and valid (TLOG_E_SIG_BAD,
 * TLOG_E_SIG_UNKNOWN_KEY), every signature of a known key valid, body well formed, origin as
 * expected (TLOG_E_CKPT_ORIGIN), at least quorum witness cosignatures (TLOG_E_WITNESS_QUORUM).
 * *witnesses_ok (may be NULL) receives the count of valid cosignatures.  detail (may be NULL)
 * receives a sentence for the report.
 */
enum tlog_err tlog_checkpoint_verify(const char *note, size_t len, const struct tlog_policy *,
    struct tlog_checkpoint *out, size_t *witnesses_ok, char *detail, size_t dcap);
/* Fetches "checkpoint" from src into note (heap builder, replaced) and verifies it. */
enum tlog_err tlog_checkpoint_fetch(struct tlog_src *, const struct tlog_policy *,
    struct ovt_builder *note, struct tlog_checkpoint *out, size_t *witnesses_ok,
    char *detail, size_t dcap);

struct tlog_trust_point {
	uint64_t size;
	uint8_t root[TLOG_HASH_LEN];
};

/* Verifier/witness memory of one log.  File format (text):
 *   "overt-tlog-state v1\n" "<origin>\n" then one "<size> <base64 root>\n" per accepted
 *   checkpoint, sizes strictly increasing, the newest last. */
struct tlog_trust {
	char origin[TLOG_NAME_MAX + 1];	/* "" until the first checkpoint */
	size_t n;
	struct tlog_trust_point pts[TLOG_TRUST_HISTORY];
};

void tlog_trust_init(struct tlog_trust *);
/* A missing file gives an empty state (TLOG_OK); a malformed one TLOG_E_STATE_FORMAT. */
enum tlog_err tlog_trust_load(const char *path, struct tlog_trust *out);
enum tlog_err tlog_trust_parse(const char *buf, size_t len, struct tlog_trust *out);
/* Writes atomically: temporary file, fsync, rename, fsync of the directory. */
enum tlog_err tlog_trust_save(const char *path, const struct tlog_trust *);
/*
 * Classifies a new, signature-checked checkpoint against the state: TLOG_OK if it is new and
 * larger (the caller must still check consistency with tlog_trust_latest) or the same as the
 * latest; TLOG_E_CKPT_FORK if a remembered size has a different root; TLOG_E_CKPT_REPLAY if it
 * is an older remembered checkpoint; TLOG_E_CKPT_SMALLER if it is smaller than the latest and
 * was never seen; TLOG_E_CKPT_ORIGIN for another log.
 */
enum tlog_err tlog_trust_check(const struct tlog_trust *, const struct tlog_checkpoint *,
    char *detail, size_t dcap);
/* Latest accepted point, or NULL. */
const struct tlog_trust_point *tlog_trust_latest(const struct tlog_trust *);
/* Records an accepted checkpoint (no-op unless larger than the latest; drops the oldest point
 * beyond TLOG_TRUST_HISTORY). */
void tlog_trust_update(struct tlog_trust *, const struct tlog_checkpoint *);

struct tlog_audit_report {
	struct tlog_checkpoint cp;	/* the checkpoint audited */
	size_t witnesses_ok;
	int had_state;			/* a previous checkpoint was known */
	uint64_t prev_size;
	uint64_t entries;		/* entries read and checked */
	uint64_t per_type[TLOG_ENT_MAX + 1];
	uint64_t first_ms, last_ms;	/* entry time range */
	uint64_t requests, bytes;	/* fetched */
	uint64_t index;			/* entry index of the finding, if any */
	char detail[TLOG_DETAIL_MAX];	/* what and where, for the report */
};

/* Called for every entry that decoded (for listings); may be NULL. */
struct tlog_audit_cb {
	void (*entry)(void *arg, uint64_t index, const struct tlog_entry *e);
	void *arg;
};

/*
 * Full verification of the log at src under policy.  state (may be NULL) is checked first and,
 * on success, updated (the caller saves it).  Returns TLOG_OK or the first finding, with
 * report->detail naming it.
 */
enum tlog_err tlog_audit(struct tlog_src *, const struct tlog_policy *, struct tlog_trust *state,
    const struct tlog_audit_cb *cb, struct tlog_audit_report *report);

/*
 * Witness: fetches and verifies the log's checkpoint with log_key, checks it against the
 * witness's state (smaller/fork/replay), proves and verifies consistency from the latest
 * remembered checkpoint using the log's tiles, then appends a cosignature line (timestamp t,
 * Unix seconds) for the checkpoint to line_out and records the checkpoint in state.  The
 * caller must save state before publishing the line (tlog-witness: persist, then answer).
 * note_out (heap builder) receives the checkpoint note that was cosigned.
 */
enum tlog_err tlog_witness_cosign(struct tlog_src *, const struct tlog_verifier *log_key,
    const struct tlog_signer *witness, struct tlog_trust *state, uint64_t t,
    struct ovt_builder *note_out, struct ovt_builder *line_out, char *detail, size_t dcap);

#endif
