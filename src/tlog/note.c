/*
 * C2SP signed notes, checkpoints, cosignatures and tlog-proof bundles; Ed25519 keys through
 * OpenSSL 3.  See note.h for the formats.  All text from outside is read through ovt_cursor.
 */
#include "tlog/note.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

/* U+2014 EM DASH and a space: the start of every signature line (C2SP signed-note). */
static const char sig_prefix[] = "\xe2\x80\x94 ";
#define SIG_PREFIX_LEN 4
#define SKEY_PREFIX    "PRIVATE+KEY+"
#define COSIG_PAYLOAD  (4 + 8 + TLOG_ED25519_SIG)	/* id, timestamp, signature */

/* --- small text helpers ----------------------------------------------------------------- */

int
tlog_cur_get_line(struct ovt_cursor *c, struct ovt_cursor *out)
{
	const uint8_t *nl = memchr(cur_data(c), '\n', cur_len(c));
	if (nl == NULL)
		return 0;
	size_t n = (size_t)(nl - cur_data(c));
	return cur_get_sub(c, out, n) && cur_skip(c, 1);
}

int
tlog_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - d) / 10)
			return 0;	/* not a digit, or past 2^64 - 1 */
		v = v * 10 + d;
	}
	if (v > max)
		return 0;
	*out = v;
	return 1;
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

long
tlog_b64_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
	size_t o = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == len && j >= 2) {
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad || (v[j] = b64val(s[i + j])) < 0)
				return -1;	/* bad digit, or a digit after '=' */
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		    (uint32_t)v[3];
		/* RFC 4648 3.5: the unused bits before padding must be zero (canonical form). */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return -1;
		size_t n = 3 - (size_t)pad;
		if (cap - o < n)	/* o <= cap always holds */
			return -1;
		out[o++] = (uint8_t)(w >> 16);
		if (n > 1)
			out[o++] = (uint8_t)(w >> 8);
		if (n > 2)
			out[o++] = (uint8_t)w;
	}
	return (long)o;
}

size_t
tlog_b64_encode(const uint8_t *p, size_t n, char *out, size_t cap)
{
	size_t need = TLOG_B64_LEN(n), o = 0;

	if (cap < need + 1)
		return 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			w |= p[i + 2];
		out[o++] = b64chars[(w >> 18) & 63];
		out[o++] = b64chars[(w >> 12) & 63];
		out[o++] = i + 1 < n ? b64chars[(w >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64chars[w & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

int
tlog_name_valid(const char *s, size_t len)
{
	if (len == 0 || len > TLOG_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '+')
			return 0;
	return 1;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Exactly 8 lowercase hex digits. */
static int
parse_hex32(struct ovt_cursor *c, uint32_t *out)
{
	const uint8_t *p;
	uint32_t v = 0;

	if (cur_len(c) != 8 || !cur_take(c, &p, 8))
		return 0;
	for (int i = 0; i < 8; i++) {
		int d = hexval((char)p[i]);
		if (d < 0)
			return 0;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 1;
}

/* Splits c at the next '+' (consumed) into out; 0 if there is no '+'. */
static int
get_plus_field(struct ovt_cursor *c, struct ovt_cursor *out)
{
	const uint8_t *plus = memchr(cur_data(c), '+', cur_len(c));
	if (plus == NULL)
		return 0;
	return cur_get_sub(c, out, (size_t)(plus - cur_data(c))) && cur_skip(c, 1);
}

/* --- keys ----------------------------------------------------------------------------- */

uint32_t
tlog_key_id(const char *name, uint8_t type, const uint8_t pub[32])
{
	uint8_t buf[TLOG_NAME_MAX + 2 + 32], md[SHA256_DIGEST_LENGTH];
	size_t n = strlen(name);
	unsigned int mdlen = 0;

	if (n > TLOG_NAME_MAX)
		return 0;
	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = type;
	memcpy(buf + n + 2, pub, 32);
	if (!EVP_Digest(buf, n + 34, md, &mdlen, EVP_sha256(), NULL))
		return 0;
	return (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
}

static int
type_ok(uint8_t type)
{
	return type == TLOG_KEY_ED25519 || type == TLOG_KEY_COSIG;
}

/* Common tail of vkeys and skeys: "name+hexid+base64(type||32 bytes)". */
static enum tlog_err
parse_key_fields(struct ovt_cursor *c, char name[TLOG_NAME_MAX + 1], uint32_t *id,
    uint8_t *type, uint8_t key[32])
{
	struct ovt_cursor f;
	uint8_t raw[33];

	if (!get_plus_field(c, &f) || !tlog_name_valid((const char *)cur_data(&f), cur_len(&f)))
		return TLOG_E_KEY;
	memcpy(name, cur_data(&f), cur_len(&f));
	name[cur_len(&f)] = '\0';
	if (!get_plus_field(c, &f) || !parse_hex32(&f, id))
		return TLOG_E_KEY;
	if (tlog_b64_decode((const char *)cur_data(c), cur_len(c), raw, sizeof(raw)) != 33 ||
	    !type_ok(raw[0]))
		return TLOG_E_KEY;
	*type = raw[0];
	memcpy(key, raw + 1, 32);
	OPENSSL_cleanse(raw, sizeof(raw));
	return TLOG_OK;
}

enum tlog_err
tlog_verifier_parse(const char *s, size_t len, struct tlog_verifier *out)
{
	struct ovt_cursor c;
	enum tlog_err e;

	if (len > TLOG_VKEY_MAX)
		return TLOG_E_KEY;
	cur_init(&c, s, len);
	if ((e = parse_key_fields(&c, out->name, &out->id, &out->type, out->pub)) != TLOG_OK)
		return e;
	if (tlog_key_id(out->name, out->type, out->pub) != out->id)
		return TLOG_E_KEY;
	return TLOG_OK;
}

enum tlog_err
tlog_verifier_from_arg(const char *arg, struct tlog_verifier *out)
{
	char buf[TLOG_VKEY_MAX + 2];
	size_t len = 0;
	ssize_t n;
	int fd;

	if (tlog_verifier_parse(arg, strlen(arg), out) == TLOG_OK)
		return TLOG_OK;
	if ((fd = open(arg, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? TLOG_E_KEY : TLOG_E_IO;
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			return TLOG_E_IO;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	return tlog_verifier_parse(buf, len, out);
}

size_t
tlog_verifier_format(const struct tlog_verifier *v, char *out, size_t cap)
{
	uint8_t raw[33];
	char b64[TLOG_B64_LEN(33) + 1];

	raw[0] = v->type;
	memcpy(raw + 1, v->pub, 32);
	tlog_b64_encode(raw, sizeof(raw), b64, sizeof(b64));
	int n = snprintf(out, cap, "%s+%08x+%s", v->name, v->id, b64);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	return (size_t)n;
}

enum tlog_err
tlog_signer_from_seed(const char *name, uint8_t type, const uint8_t seed[32],
    struct tlog_signer *out)
{
	size_t publen = 32;

	memset(out, 0, sizeof(*out));
	if (name == NULL || !tlog_name_valid(name, strlen(name)) || !type_ok(type))
		return TLOG_E_ARG;
	out->pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	if (out->pkey == NULL ||
	    !EVP_PKEY_get_raw_public_key(out->pkey, out->v.pub, &publen) || publen != 32) {
		tlog_signer_cleanup(out);
		return TLOG_E_CRYPTO;
	}
	memcpy(out->v.name, name, strlen(name) + 1);
	out->v.type = type;
	out->v.id = tlog_key_id(name, type, out->v.pub);
	return TLOG_OK;
}

enum tlog_err
tlog_signer_generate(const char *name, uint8_t type, struct tlog_signer *out)
{
	EVP_PKEY *pk = NULL;
	uint8_t seed[32];
	size_t n = sizeof(seed);
	enum tlog_err e;

	memset(out, 0, sizeof(*out));
	if (name == NULL || !tlog_name_valid(name, strlen(name)) || !type_ok(type))
		return TLOG_E_ARG;
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pk == NULL || !EVP_PKEY_get_raw_private_key(pk, seed, &n) || n != 32) {
		EVP_PKEY_free(pk);
		return TLOG_E_CRYPTO;
	}
	EVP_PKEY_free(pk);
	e = tlog_signer_from_seed(name, type, seed, out);
	OPENSSL_cleanse(seed, sizeof(seed));
	return e;
}

enum tlog_err
tlog_signer_parse(const char *s, size_t len, struct tlog_signer *out)
{
	struct ovt_cursor c;
	char name[TLOG_NAME_MAX + 1];
	uint8_t seed[32], type;
	uint32_t id;
	enum tlog_err e;

	memset(out, 0, sizeof(*out));
	if (len > TLOG_SKEY_MAX || len < sizeof(SKEY_PREFIX) - 1 ||
	    memcmp(s, SKEY_PREFIX, sizeof(SKEY_PREFIX) - 1) != 0)
		return TLOG_E_KEY;
	cur_init(&c, s, len);
	if (!cur_skip(&c, sizeof(SKEY_PREFIX) - 1))
		return TLOG_E_KEY;
	if ((e = parse_key_fields(&c, name, &id, &type, seed)) == TLOG_OK)
		e = tlog_signer_from_seed(name, type, seed, out);
	OPENSSL_cleanse(seed, sizeof(seed));
	if (e == TLOG_OK && out->v.id != id) {
		tlog_signer_cleanup(out);
		e = TLOG_E_KEY;
	}
	return e;
}

size_t
tlog_signer_format(const struct tlog_signer *k, char *out, size_t cap)
{
	uint8_t raw[33];
	char b64[TLOG_B64_LEN(33) + 1];
	size_t n = 32;
	int r;

	raw[0] = k->v.type;
	if (k->pkey == NULL || !EVP_PKEY_get_raw_private_key(k->pkey, raw + 1, &n) || n != 32)
		return 0;
	tlog_b64_encode(raw, sizeof(raw), b64, sizeof(b64));
	r = snprintf(out, cap, SKEY_PREFIX "%s+%08x+%s", k->v.name, k->v.id, b64);
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(b64, sizeof(b64));
	if (r < 0 || (size_t)r >= cap)
		return 0;
	return (size_t)r;
}

enum tlog_err
tlog_signer_load(const char *path, struct tlog_signer *out)
{
	char buf[TLOG_SKEY_MAX + 2];
	struct stat st;
	ssize_t n;
	size_t len = 0;
	int fd;
	enum tlog_err e;

	memset(out, 0, sizeof(*out));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? TLOG_E_NOTFOUND : TLOG_E_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return TLOG_E_IO;
	}
	/* Like ssh: a key others can read is a key that may be known to others. */
	if (st.st_mode & 077) {
		close(fd);
		return TLOG_E_KEY_PERM;
	}
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			OPENSSL_cleanse(buf, sizeof(buf));
			return TLOG_E_IO;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	e = len > TLOG_SKEY_MAX ? TLOG_E_KEY : tlog_signer_parse(buf, len, out);
	OPENSSL_cleanse(buf, sizeof(buf));
	return e;
}

enum tlog_err
tlog_signer_save(const char *path, const struct tlog_signer *k)
{
	char buf[TLOG_SKEY_MAX + 2];
	size_t len = tlog_signer_format(k, buf, sizeof(buf) - 1), off = 0;
	int fd;

	if (len == 0)
		return TLOG_E_ARG;
	buf[len++] = '\n';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return errno == EEXIST ? TLOG_E_EXISTS : TLOG_E_IO;
	}
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (off != len || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return TLOG_E_IO;
	}
	if (close(fd) != 0) {
		unlink(path);
		return TLOG_E_IO;
	}
	return TLOG_OK;
}

void
tlog_signer_cleanup(struct tlog_signer *k)
{
	EVP_PKEY_free(k->pkey);	/* OpenSSL clears the private key material on free */
	k->pkey = NULL;
}

enum tlog_err
tlog_sign(const struct tlog_signer *k, const void *msg, size_t len,
    uint8_t sig[TLOG_ED25519_SIG])
{
	EVP_MD_CTX *ctx;
	size_t siglen = TLOG_ED25519_SIG;
	int ok;

	if (k->pkey == NULL)
		return TLOG_E_ARG;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return TLOG_E_NOMEM;
	/* Ed25519 is PureEdDSA: no digest, one-shot over the whole message (RFC 8032). */
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == TLOG_ED25519_SIG;
	EVP_MD_CTX_free(ctx);
	return ok ? TLOG_OK : TLOG_E_CRYPTO;
}

int
tlog_sig_ok(const struct tlog_verifier *v, const void *msg, size_t len, const uint8_t *sig,
    size_t siglen)
{
	EVP_PKEY *pk;
	EVP_MD_CTX *ctx;
	int ok = 0;

	if (siglen != TLOG_ED25519_SIG)
		return 0;
	if ((pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, v->pub, 32)) == NULL)
		return 0;
	if ((ctx = EVP_MD_CTX_new()) != NULL) {
		ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) == 1 &&
		    EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
		EVP_MD_CTX_free(ctx);
	}
	EVP_PKEY_free(pk);
	return ok;
}

/* --- signed notes ---------------------------------------------------------------------- */

/*
 * C2SP signed-note: the note is valid UTF-8 (RFC 3629: shortest form, no surrogates, at most
 * U+10FFFF) and has no control characters other than '\n'.
 */
static int
utf8_text_ok(const uint8_t *p, size_t len)
{
	struct ovt_cursor c;
	uint8_t b, t;

	cur_init(&c, p, len);
	while (cur_get_u8(&c, &b)) {
		uint32_t cp, min;
		int more;

		if (b < 0x80) {
			if ((b < 0x20 && b != '\n') || b == 0x7f)
				return 0;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			cp = b & 0x1f;
			more = 1;
			min = 0x80;
		} else if (b >= 0xe0 && b <= 0xef) {
			cp = b & 0x0f;
			more = 2;
			min = 0x800;
		} else if (b >= 0xf0 && b <= 0xf4) {
			cp = b & 0x07;
			more = 3;
			min = 0x10000;
		} else
			return 0;
		while (more-- > 0) {
			if (!cur_get_u8(&c, &t) || (t & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (t & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		if (cp >= 0x80 && cp <= 0x9f)	/* C1 controls */
			return 0;
	}
	return 1;
}

static enum tlog_err
parse_sig_line(struct ovt_cursor *line, struct tlog_note_sig *s)
{
	struct ovt_cursor name;
	const uint8_t *sp;
	uint8_t raw[(TLOG_SIG_B64_MAX / 4) * 3];
	long n;

	if (cur_len(line) < SIG_PREFIX_LEN ||
	    memcmp(cur_data(line), sig_prefix, SIG_PREFIX_LEN) != 0)
		return TLOG_E_NOTE_SIGLINE;
	if (!cur_skip(line, SIG_PREFIX_LEN) ||
	    (sp = memchr(cur_data(line), ' ', cur_len(line))) == NULL ||
	    !cur_get_sub(line, &name, (size_t)(sp - cur_data(line))) || !cur_skip(line, 1))
		return TLOG_E_NOTE_SIGLINE;
	/* Names: non-empty, no space, no '+' (signed-note); other UTF-8 is allowed here since
	 * lines of keys we do not know are only skipped. */
	if (cur_len(&name) == 0 || cur_len(&name) > TLOG_NAME_MAX ||
	    memchr(cur_data(&name), '+', cur_len(&name)) != NULL)
		return TLOG_E_NOTE_SIGLINE;
	if (cur_len(line) > TLOG_SIG_B64_MAX)
		return TLOG_E_NOTE_SIGLINE;
	n = tlog_b64_decode((const char *)cur_data(line), cur_len(line), raw, sizeof(raw));
	if (n < 5)		/* key ID and at least one signature byte */
		return TLOG_E_NOTE_SIGLINE;
	s->name = (const char *)cur_data(&name);
	s->name_len = cur_len(&name);
	s->id = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
	s->b64 = (const char *)cur_data(line);
	s->b64_len = cur_len(line);
	return TLOG_OK;
}

enum tlog_err
tlog_note_parse(const char *buf, size_t len, struct tlog_note *out)
{
	struct ovt_cursor c, line;
	size_t split = 0;
	int found = 0;
	enum tlog_err e;

	out->nsigs = 0;
	if (len > TLOG_NOTE_MAX)
		return TLOG_E_NOTE_SIZE;
	if (!utf8_text_ok((const uint8_t *)buf, len))
		return TLOG_E_NOTE_TEXT;
	/* The text ends at the last blank line (signature lines are never blank). */
	for (size_t i = len; i-- > 1;)
		if (buf[i] == '\n' && buf[i - 1] == '\n') {
			split = i;
			found = 1;
			break;
		}
	if (!found)
		return len > 0 && buf[len - 1] == '\n' ? TLOG_E_NOTE_NOSIG : TLOG_E_NOTE_TEXT;
	out->text = buf;
	out->text_len = split;		/* includes the text's final '\n' */
	cur_init(&c, buf + split + 1, len - split - 1);
	if (cur_len(&c) == 0)
		return TLOG_E_NOTE_NOSIG;
	while (cur_len(&c) > 0) {
		if (!tlog_cur_get_line(&c, &line))
			return TLOG_E_NOTE_SIGLINE;	/* last line lacks its '\n' */
		if (out->nsigs == TLOG_NOTE_MAX_SIGS)
			return TLOG_E_NOTE_MANY_SIGS;
		if ((e = parse_sig_line(&line, &out->sigs[out->nsigs])) != TLOG_OK)
			return e;
		out->nsigs++;
	}
	return TLOG_OK;
}

/* "cosignature/v1\ntime <t>\n" || text, C2SP tlog-cosignature. */
static int
cosig_message(uint64_t t, const char *text, size_t len, struct ovt_builder *b)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), TLOG_COSIG_LABEL "time %llu\n", (unsigned long long)t);
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return 0;
	bld_add_bytes(b, hdr, (size_t)n);
	bld_add_bytes(b, text, len);
	return bld_ok(b);
}

static int
verify_one(const struct tlog_note *note, const struct tlog_note_sig *s,
    const struct tlog_verifier *k, uint64_t *t)
{
	uint8_t raw[(TLOG_SIG_B64_MAX / 4) * 3];
	long n = tlog_b64_decode(s->b64, s->b64_len, raw, sizeof(raw));
	struct ovt_cursor c;
	uint64_t ts;
	int ok;

	if (n < 4)
		return 0;
	cur_init(&c, raw + 4, (size_t)n - 4);
	if (k->type == TLOG_KEY_ED25519)
		return tlog_sig_ok(k, note->text, note->text_len, cur_data(&c), cur_len(&c));
	if (k->type != TLOG_KEY_COSIG || n != COSIG_PAYLOAD || !cur_get_u64(&c, &ts))
		return 0;
	struct ovt_builder b;
	if (!bld_init(&b, note->text_len + 64, note->text_len + 64))
		return 0;
	ok = cosig_message(ts, note->text, note->text_len, &b) &&
	    tlog_sig_ok(k, bld_data(&b), bld_len(&b), cur_data(&c), cur_len(&c));
	bld_cleanup(&b);
	if (ok)
		*t = ts;
	return ok;
}

enum tlog_err
tlog_note_verify(const struct tlog_note *note, const struct tlog_verifier *keys, size_t nkeys,
    uint8_t *ok, uint64_t *times, size_t *out_bad)
{
	size_t verified = 0;

	if (ok != NULL)
		memset(ok, 0, nkeys);
	for (size_t i = 0; i < note->nsigs; i++) {
		const struct tlog_note_sig *s = &note->sigs[i];
		for (size_t k = 0; k < nkeys; k++) {
			uint64_t t = 0;
			if (keys[k].id != s->id || strlen(keys[k].name) != s->name_len ||
			    memcmp(keys[k].name, s->name, s->name_len) != 0)
				continue;
			/* signed-note: a known key's signature must verify. */
			if (!verify_one(note, s, &keys[k], &t)) {
				if (out_bad != NULL)
					*out_bad = i;
				return TLOG_E_SIG_BAD;
			}
			if (ok != NULL)
				ok[k] = 1;
			if (times != NULL)
				times[k] = t;
			verified++;
		}
	}
	return verified > 0 ? TLOG_OK : TLOG_E_SIG_UNKNOWN_KEY;
}

enum tlog_err
tlog_note_sign(const struct tlog_signer *k, const char *text, size_t len, uint64_t t,
    struct ovt_builder *out)
{
	uint8_t payload[COSIG_PAYLOAD], sig[TLOG_ED25519_SIG];
	char b64[TLOG_B64_LEN(COSIG_PAYLOAD) + 1];
	struct ovt_builder p;
	enum tlog_err e;

	if (len == 0 || text[len - 1] != '\n' || !utf8_text_ok((const uint8_t *)text, len))
		return TLOG_E_NOTE_TEXT;
	bld_init_fixed(&p, payload, sizeof(payload));
	bld_add_u32(&p, k->v.id);
	if (k->v.type == TLOG_KEY_COSIG) {
		struct ovt_builder m;
		if (!bld_init(&m, len + 64, len + 64))
			return TLOG_E_NOMEM;
		if (!cosig_message(t, text, len, &m)) {
			bld_cleanup(&m);
			return TLOG_E_NOMEM;
		}
		e = tlog_sign(k, bld_data(&m), bld_len(&m), sig);
		bld_cleanup(&m);
		bld_add_u64(&p, t);
	} else
		e = tlog_sign(k, text, len, sig);
	if (e != TLOG_OK)
		return e;
	bld_add_bytes(&p, sig, sizeof(sig));
	tlog_b64_encode(payload, bld_len(&p), b64, sizeof(b64));
	bld_add_bytes(out, sig_prefix, SIG_PREFIX_LEN);
	bld_add_bytes(out, k->v.name, strlen(k->v.name));
	bld_add_u8(out, ' ');
	bld_add_bytes(out, b64, strlen(b64));
	bld_add_u8(out, '\n');
	return bld_ok(out) ? TLOG_OK : TLOG_E_NOMEM;
}

/* --- checkpoints ----------------------------------------------------------------------- */

enum tlog_err
tlog_checkpoint_parse(const char *text, size_t len, struct tlog_checkpoint *out)
{
	struct ovt_cursor c, line;
	size_t ext = 0;

	cur_init(&c, text, len);
	/* C2SP tlog-checkpoint: line 1 origin, line 2 size, line 3 root hash. */
	if (!tlog_cur_get_line(&c, &line) ||
	    !tlog_name_valid((const char *)cur_data(&line), cur_len(&line)))
		return TLOG_E_CKPT_FORMAT;
	memcpy(out->origin, cur_data(&line), cur_len(&line));
	out->origin[cur_len(&line)] = '\0';
	if (!tlog_cur_get_line(&c, &line) ||
	    !tlog_parse_u64((const char *)cur_data(&line), cur_len(&line), TLOG_MAX_SIZE,
	    &out->size))
		return TLOG_E_CKPT_FORMAT;
	if (!tlog_cur_get_line(&c, &line) || cur_len(&line) != TLOG_B64_LEN(TLOG_HASH_LEN) ||
	    tlog_b64_decode((const char *)cur_data(&line), cur_len(&line), out->root,
	    TLOG_HASH_LEN) != TLOG_HASH_LEN)
		return TLOG_E_CKPT_FORMAT;
	/* Extension lines: opaque, non-empty, bounded. */
	while (cur_len(&c) > 0) {
		if (!tlog_cur_get_line(&c, &line) || cur_len(&line) == 0 ||
		    ++ext > TLOG_CKPT_MAX_EXT)
			return TLOG_E_CKPT_FORMAT;
	}
	return TLOG_OK;
}

void
tlog_checkpoint_format(const struct tlog_checkpoint *cp, struct ovt_builder *out)
{
	char num[24], b64[TLOG_B64_LEN(TLOG_HASH_LEN) + 1];
	int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)cp->size);

	tlog_b64_encode(cp->root, TLOG_HASH_LEN, b64, sizeof(b64));
	bld_add_bytes(out, cp->origin, strlen(cp->origin));
	bld_add_u8(out, '\n');
	bld_add_bytes(out, num, (size_t)n);
	bld_add_u8(out, '\n');
	bld_add_bytes(out, b64, strlen(b64));
	bld_add_u8(out, '\n');
}

/* --- tlog-proof ------------------------------------------------------------------------ */

static int
line_has_prefix(const struct ovt_cursor *line, const char *prefix, struct ovt_cursor *rest)
{
	size_t n = strlen(prefix);
	if (cur_len(line) < n || memcmp(cur_data(line), prefix, n) != 0)
		return 0;
	cur_init(rest, cur_data(line) + n, cur_len(line) - n);
	return 1;
}

enum tlog_err
tlog_proof_parse(const char *buf, size_t len, struct tlog_proof_text *out)
{
	struct ovt_cursor c, line, rest;

	out->n = 0;
	out->extra = NULL;
	out->extra_len = 0;
	if (len > TLOG_NOTE_MAX + 64 * TLOG_MAX_PROOF + 4096)
		return TLOG_E_PROOF_FORMAT;
	cur_init(&c, buf, len);
	if (!tlog_cur_get_line(&c, &line) || cur_len(&line) != strlen(TLOG_PROOF_LABEL) ||
	    memcmp(cur_data(&line), TLOG_PROOF_LABEL, cur_len(&line)) != 0)
		return TLOG_E_PROOF_FORMAT;
	if (!tlog_cur_get_line(&c, &line))
		return TLOG_E_PROOF_FORMAT;
	/* Optional "extra <base64>" line: opaque to us, checked for syntax only. */
	if (line_has_prefix(&line, "extra ", &rest)) {
		uint8_t tmp[3072];
		if (cur_len(&rest) == 0 || cur_len(&rest) > 4096 ||
		    tlog_b64_decode((const char *)cur_data(&rest), cur_len(&rest), tmp,
		    sizeof(tmp)) < 1)
			return TLOG_E_PROOF_FORMAT;
		out->extra = (const char *)cur_data(&rest);
		out->extra_len = cur_len(&rest);
		if (!tlog_cur_get_line(&c, &line))
			return TLOG_E_PROOF_FORMAT;
	}
	if (!line_has_prefix(&line, "index ", &rest) ||
	    !tlog_parse_u64((const char *)cur_data(&rest), cur_len(&rest), TLOG_MAX_SIZE,
	    &out->index))
		return TLOG_E_PROOF_FORMAT;
	for (;;) {
		if (!tlog_cur_get_line(&c, &line))
			return TLOG_E_PROOF_FORMAT;
		if (cur_len(&line) == 0)
			break;
		if (out->n == TLOG_MAX_PROOF - 1 ||	/* the spec allows 0..63 hashes */
		    cur_len(&line) != TLOG_B64_LEN(TLOG_HASH_LEN) ||
		    tlog_b64_decode((const char *)cur_data(&line), cur_len(&line),
		    out->hashes[out->n], TLOG_HASH_LEN) != TLOG_HASH_LEN)
			return TLOG_E_PROOF_FORMAT;
		out->n++;
	}
	if (cur_len(&c) == 0)
		return TLOG_E_PROOF_FORMAT;
	out->note = (const char *)cur_data(&c);
	out->note_len = cur_len(&c);
	return TLOG_OK;
}

void
tlog_proof_format(const uint8_t *extra, size_t extra_len, uint64_t index,
    const uint8_t (*hashes)[TLOG_HASH_LEN], size_t n, const char *note, size_t note_len,
    struct ovt_builder *out)
{
	char line[64], b64[TLOG_B64_LEN(3072) + 1];
	int l;

	bld_add_bytes(out, TLOG_PROOF_LABEL "\n", strlen(TLOG_PROOF_LABEL) + 1);
	if (extra != NULL) {
		if (extra_len > 3072 || tlog_b64_encode(extra, extra_len, b64, sizeof(b64)) == 0) {
			out->err = 1;
			return;
		}
		bld_add_bytes(out, "extra ", 6);
		bld_add_bytes(out, b64, strlen(b64));
		bld_add_u8(out, '\n');
	}
	l = snprintf(line, sizeof(line), "index %llu\n", (unsigned long long)index);
	bld_add_bytes(out, line, (size_t)l);
	for (size_t i = 0; i < n; i++) {
		tlog_b64_encode(hashes[i], TLOG_HASH_LEN, b64, sizeof(b64));
		bld_add_bytes(out, b64, strlen(b64));
		bld_add_u8(out, '\n');
	}
	bld_add_u8(out, '\n');
	bld_add_bytes(out, note, note_len);
}
