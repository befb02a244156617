/*
 * Keys, signed notes and checkpoints in the C2SP formats:
 *
 *   c2sp.org/signed-note       text, an empty line, signature lines "— <name> <base64(id||sig)>"
 *                              key ID = SHA-256(name || 0x0A || type || public key)[:4]
 *                              verifier key "name+<8 hex id>+base64(type || public key)"
 *   c2sp.org/tlog-checkpoint   "<origin>\n<tree size>\n<base64 root>\n[extension lines]"
 *   c2sp.org/tlog-cosignature  type 0x04 signature over
 *                              "cosignature/v1\ntime <t>\n" || checkpoint body,
 *                              line payload = id(4) || u64 timestamp || Ed25519 signature(64)
 *   c2sp.org/tlog-proof        offline inclusion proof bundle
 *
 * Ed25519 comes from OpenSSL 3 (EVP_PKEY_ED25519).  Private keys are stored in the text form of
 * golang.org/x/mod/sumdb/note ("PRIVATE+KEY+name+id+base64(type||seed)"), one per file, mode
 * 0600.  Parsers take (pointer, length) of outside text and return pointers into it, never
 * copies sized by the input.
 *
 * Thread safety: a signer belongs to one thread at a time; everything else is pure.
 */
#ifndef OVERT_TLOG_NOTE_H
#define OVERT_TLOG_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "tlog/merkle.h"
#include "tlog/tlog_err.h"

#define TLOG_NAME_MAX	    255		/* key names and origins, bytes */
#define TLOG_NOTE_MAX	    (64 * 1024)	/* signed note, bytes */
#define TLOG_NOTE_MAX_SIGS  64		/* signature lines (the spec asks to accept >= 16) */
#define TLOG_SIG_B64_MAX    4096	/* base64 characters of one signature */
#define TLOG_CKPT_MAX_EXT   16		/* checkpoint extension lines */
#define TLOG_VKEY_MAX	    (TLOG_NAME_MAX + 1 + 8 + 1 + 44 + 1)
#define TLOG_SKEY_MAX	    (12 + TLOG_VKEY_MAX)
#define TLOG_ED25519_SIG    64
#define TLOG_COSIG_LABEL    "cosignature/v1\n"
#define TLOG_PROOF_LABEL    "c2sp.org/tlog-proof@v1"

/* Base64 length of n bytes (RFC 4648, padded). */
#define TLOG_B64_LEN(n) ((((n) + 2) / 3) * 4)

enum tlog_key_type {
	TLOG_KEY_ED25519 = 0x01,	/* signed-note Ed25519: log signatures */
	TLOG_KEY_COSIG = 0x04,		/* tlog-cosignature/v1 Ed25519: witness cosignatures */
};

/* A public key as a verifier knows it.  Plain data: copy freely. */
struct tlog_verifier {
	char name[TLOG_NAME_MAX + 1];
	uint32_t id;
	uint8_t type;			/* enum tlog_key_type */
	uint8_t pub[32];
};

/* A private key.  Owns pkey: release with tlog_signer_cleanup. */
struct tlog_signer {
	struct tlog_verifier v;
	struct evp_pkey_st *pkey;
};

/* Strict RFC 4648 section 4 base64 (padding required, no whitespace, unused bits zero).
 * tlog_b64_decode returns the decoded length or -1; tlog_b64_encode writes
 * TLOG_B64_LEN(n) characters plus a NUL and returns that length, or 0 if cap is too small. */
long tlog_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap);
size_t tlog_b64_encode(const uint8_t *p, size_t n, char *out, size_t cap);

/* 1 if s[0..len) is a valid key name here: 1..TLOG_NAME_MAX printable ASCII, no space, no '+'. */
int tlog_name_valid(const char *s, size_t len);
/* C2SP key ID of (name, type, public key). */
uint32_t tlog_key_id(const char *name, uint8_t type, const uint8_t pub[32]);

/* Verifier keys "name+hexid+base64(type||pub)".  The ID must match the key (TLOG_E_KEY). */
enum tlog_err tlog_verifier_parse(const char *s, size_t len, struct tlog_verifier *out);
/* A vkey given on a command line: the vkey text itself, or else the path of a file holding it
 * on its first line. */
enum tlog_err tlog_verifier_from_arg(const char *arg, struct tlog_verifier *out);
/* Writes the NUL-terminated vkey; returns its length, or 0 if cap is too small. */
size_t tlog_verifier_format(const struct tlog_verifier *, char *out, size_t cap);

/* New random key (OpenSSL RNG).  type is TLOG_KEY_ED25519 or TLOG_KEY_COSIG. */
enum tlog_err tlog_signer_generate(const char *name, uint8_t type, struct tlog_signer *out);
/* Key from a 32-byte seed (tests and vectors). */
enum tlog_err tlog_signer_from_seed(const char *name, uint8_t type, const uint8_t seed[32],
    struct tlog_signer *out);
/* "PRIVATE+KEY+name+hexid+base64(type||seed)"; the ID must match. */
enum tlog_err tlog_signer_parse(const char *s, size_t len, struct tlog_signer *out);
/* Writes the private key text (a secret: never log it); returns its length or 0. */
size_t tlog_signer_format(const struct tlog_signer *, char *out, size_t cap);
/* Reads a key file: regular file, not a symlink, no group/other permission bits
 * (TLOG_E_KEY_PERM), at most TLOG_SKEY_MAX bytes plus one newline. */
enum tlog_err tlog_signer_load(const char *path, struct tlog_signer *out);
/* Creates the key file with O_EXCL and mode 0600 (TLOG_E_EXISTS if present) and fsyncs it. */
enum tlog_err tlog_signer_save(const char *path, const struct tlog_signer *);
void tlog_signer_cleanup(struct tlog_signer *);

/* Raw Ed25519 over msg. */
enum tlog_err tlog_sign(const struct tlog_signer *, const void *msg, size_t len,
    uint8_t sig[TLOG_ED25519_SIG]);
/* 1 if sig verifies under the verifier's public key. */
int tlog_sig_ok(const struct tlog_verifier *, const void *msg, size_t len,
    const uint8_t *sig, size_t siglen);

/* A parsed signed note; every pointer points into the caller's buffer. */
struct tlog_note_sig {
	const char *name;
	size_t name_len;
	uint32_t id;
	const char *b64;		/* base64 of id || signature */
	size_t b64_len;
};

struct tlog_note {
	const char *text;		/* the signed text, ending in '\n' */
	size_t text_len;
	size_t nsigs;
	struct tlog_note_sig sigs[TLOG_NOTE_MAX_SIGS];
};

/* Splits and checks a signed note (C2SP signed-note: UTF-8, no control characters but '\n',
 * text ending in '\n', an empty line, then >= 1 well-formed signature lines, each ending in
 * '\n').  Signatures are not verified here. */
enum tlog_err tlog_note_parse(const char *buf, size_t len, struct tlog_note *out);

/*
 * Verifies the note against keys[0..nkeys).  A signature line is matched to a key by name and
 * key ID; lines of unknown keys are ignored (C2SP).  A matching line that does not verify
 * fails the whole note (TLOG_E_SIG_BAD, *out_bad = the line's index).  For each key with a
 * valid signature ok[k] is set to 1 and, for cosignature keys, times[k] to its timestamp
 * (ok and times may be NULL).  Returns TLOG_E_SIG_UNKNOWN_KEY if no key verified.
 */
enum tlog_err tlog_note_verify(const struct tlog_note *, const struct tlog_verifier *keys,
    size_t nkeys, uint8_t *ok, uint64_t *times, size_t *out_bad);

/* Appends "— <name> <base64>\n" signing text (which must be a valid note text).  For a
 * TLOG_KEY_COSIG signer the line is a tlog-cosignature/v1 over text with timestamp t. */
enum tlog_err tlog_note_sign(const struct tlog_signer *, const char *text, size_t len,
    uint64_t t, struct ovt_builder *out);

struct tlog_checkpoint {
	char origin[TLOG_NAME_MAX + 1];
	uint64_t size;
	uint8_t root[TLOG_HASH_LEN];
};

/* Parses a checkpoint body (the note text): origin (printable ASCII without spaces), decimal
 * size without leading zeros (<= TLOG_MAX_SIZE), 44-character base64 root, then at most
 * TLOG_CKPT_MAX_EXT non-empty extension lines (ignored). */
enum tlog_err tlog_checkpoint_parse(const char *text, size_t len, struct tlog_checkpoint *out);
/* Appends the three-line body. */
void tlog_checkpoint_format(const struct tlog_checkpoint *, struct ovt_builder *out);

/* C2SP tlog-proof: an inclusion proof for index with the signed checkpoint it refers to. */
struct tlog_proof_text {
	const char *extra;		/* base64 of the "extra" line, or NULL (points into input) */
	size_t extra_len;
	uint64_t index;
	size_t n;
	uint8_t hashes[TLOG_MAX_PROOF][TLOG_HASH_LEN];
	const char *note;		/* the signed checkpoint, verbatim (points into input) */
	size_t note_len;
};

enum tlog_err tlog_proof_parse(const char *buf, size_t len, struct tlog_proof_text *out);
/* Appends a tlog-proof; extra (may be NULL) becomes the base64 "extra" line (Overt puts the
 * entry there so that the bundle stands alone). */
void tlog_proof_format(const uint8_t *extra, size_t extra_len, uint64_t index,
    const uint8_t (*hashes)[TLOG_HASH_LEN], size_t n, const char *note, size_t note_len,
    struct ovt_builder *out);

/* Reads one '\n'-terminated line (without the '\n') into out; 0 if there is none. */
int tlog_cur_get_line(struct ovt_cursor *c, struct ovt_cursor *out);
/* Strict decimal u64: no sign, no leading zeros, no overflow, value <= max. */
int tlog_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out);

#endif
