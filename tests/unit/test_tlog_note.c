/*
 * Unit tests for src/tlog/note.c: keys, C2SP signed notes, checkpoints, cosignatures,
 * tlog-proof bundles, strict base64.
 *
 * Vectors (all in /work/shared/reference/TLOG-VECTORS.md, section B and C):
 *  - B.2 golang.org/x/mod sumdb/note note_test.go and example_test.go: the PeterNeumann key
 *    (Go private key text, vkey, exact signature line) and EnochRoot (seed of 32 zero bytes).
 *    Ed25519 is deterministic, so our signer must reproduce the lines byte for byte.
 *  - B.3 C2SP signed-note.md example (example.com/foo), verify only.
 *  - C: the worked example for an Overt log (TEST-ONLY seeds derived from public strings):
 *    log and witness keys, the signed and cosigned checkpoint of size 7, the tlog-proof for
 *    entry 3; reproduced byte for byte, cosignature timestamp 1735689600.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "tlog/audit.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

#define EM "\xe2\x80\x94"

static const char neumann_skey[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char neumann_vkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char neumann_text[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char neumann_line[] =
    EM " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
    "otpRZb6KE6RyyBwJnAM=\n";
static const char enoch_vkey[] = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char enoch_line[] =
    EM " EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLo"
    "x33WWd1RvMc+QQ=\n";

static const char log_seed[] = "cde349933f3fcf5ab1b56c7093666e9984ed072d8a43836ae4f2cf32c7143679";
static const char log_vkey[] =
    "li-log.example/audit+09de567d+AS1JHAB40Vjp9pG+4+3C67r1nQSBBJF0LNM2UIvMkpj5";
static const char log_skey[] =
    "PRIVATE+KEY+li-log.example/audit+09de567d+Ac3jSZM/P89asbVscJNmbpmE7QctikODauTyzzLHFDZ5";
static const char wit_seed[] = "951684b701f01c2b015d19f23e27cd73d03e798cde2b374d957325ef359ba7bf";
static const char wit_vkey[] =
    "witness.example/w1+0f57e843+BCfaeCjZzbGU7NA1OWJOiYLzqdnsvtAjav87Bef2Ap6p";
static const char ckpt_body[] =
    "li-log.example/audit\n7\nXtXULD3Slzcd1bsasMuKc5sIWGLQDrWs3t7x4x95ZZc=\n";
static const char ckpt_logsig[] =
    EM " li-log.example/audit Cd5WfTosOfpiKLn2OKciiur1KtTduPtjRVEwuNTns02N9xRoLCtqKNoSeXHloMdn56"
    "kLiiRMBG73zEA2LvcksKvk3Qc=\n";
static const char ckpt_cosig[] =
    EM " witness.example/w1 D1foQwAAAABndIWAYRCeArGNABqA7BWVHsd5vT5bZ6k9SMzUTXo61ao4h9dNah9R5O"
    "+zNxsdcEyMGVedKVI6x9ysW+u4zGU2EIH+DQ==\n";

static void
signer_from_hex(const char *name, uint8_t type, const char *seedhex, struct tlog_signer *k)
{
	uint8_t seed[32];
	assert_int_equal(hex_decode(seedhex, seed, 32), 32);
	assert_int_equal(tlog_signer_from_seed(name, type, seed, k), TLOG_OK);
}

static void
test_base64_strict(void **state)
{
	uint8_t out[8];
	char enc[16];

	assert_int_equal(tlog_b64_decode("QQ==", 4, out, sizeof(out)), 1);
	assert_int_equal(out[0], 'A');
	assert_int_equal(tlog_b64_decode("QUJD", 4, out, sizeof(out)), 3);
	assert_int_equal(tlog_b64_decode("QR==", 4, out, sizeof(out)), -1);	/* stray bits */
	assert_int_equal(tlog_b64_decode("QUI=", 4, out, sizeof(out)), 2);
	assert_int_equal(tlog_b64_decode("QUJ=", 4, out, sizeof(out)), -1);
	assert_int_equal(tlog_b64_decode("QQ=", 3, out, sizeof(out)), -1);
	assert_int_equal(tlog_b64_decode("Q===", 4, out, sizeof(out)), -1);
	assert_int_equal(tlog_b64_decode("QQ==QUJD", 8, out, sizeof(out)), -1);	/* inner pad */
	assert_int_equal(tlog_b64_decode("QU JD", 5, out, sizeof(out)), -1);
	assert_int_equal(tlog_b64_decode("QUJDQUJD", 8, out, 5), -1);	/* overflow */
	assert_int_equal(tlog_b64_encode((const uint8_t *)"AB", 2, enc, sizeof(enc)), 4);
	assert_string_equal(enc, "QUI=");
	assert_int_equal(tlog_b64_encode((const uint8_t *)"AB", 2, enc, 4), 0);	/* no NUL room */
}

static void
test_go_note_vectors(void **state)
{
	struct tlog_signer k;
	struct tlog_verifier v;
	struct ovt_builder b;
	char buf[512];

	assert_int_equal(tlog_signer_parse(neumann_skey, strlen(neumann_skey), &k), TLOG_OK);
	assert_int_equal(k.v.id, 0xc74f20a3);
	assert_true(tlog_verifier_format(&k.v, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, neumann_vkey);
	assert_true(tlog_signer_format(&k, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, neumann_skey);
	assert_true(bld_init(&b, 256, 4096));
	assert_int_equal(tlog_note_sign(&k, neumann_text, strlen(neumann_text), 0, &b), TLOG_OK);
	assert_int_equal(bld_len(&b), strlen(neumann_line));
	assert_memory_equal(bld_data(&b), neumann_line, strlen(neumann_line));
	tlog_signer_cleanup(&k);

	static const uint8_t zero[32];
	assert_int_equal(tlog_signer_from_seed("EnochRoot", TLOG_KEY_ED25519, zero, &k), TLOG_OK);
	assert_true(tlog_verifier_format(&k.v, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, enoch_vkey);
	bld_reset(&b);
	assert_int_equal(tlog_note_sign(&k, neumann_text, strlen(neumann_text), 0, &b), TLOG_OK);
	assert_memory_equal(bld_data(&b), enoch_line, strlen(enoch_line));
	tlog_signer_cleanup(&k);
	bld_cleanup(&b);

	/* vkey parsing checks the key ID against the key. */
	assert_int_equal(tlog_verifier_parse(neumann_vkey, strlen(neumann_vkey), &v), TLOG_OK);
	assert_int_equal(v.id, 0xc74f20a3);
	char bad[128];
	snprintf(bad, sizeof(bad), "%s", neumann_vkey);
	bad[13] = bad[13] == '0' ? '1' : '0';	/* one hex digit of the ID */
	assert_int_equal(tlog_verifier_parse(bad, strlen(bad), &v), TLOG_E_KEY);
	assert_int_equal(tlog_verifier_parse("a+b", 3, &v), TLOG_E_KEY);
	assert_int_equal(tlog_verifier_parse("", 0, &v), TLOG_E_KEY);
}

static void
test_c2sp_example(void **state)
{
	static const char vkey[] =
	    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
	static const char note[] =
	    "This is an example message.\n\n" EM " example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1"
	    "YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
	struct tlog_verifier v;
	struct tlog_note n;
	uint8_t ok;

	assert_int_equal(tlog_verifier_parse(vkey, strlen(vkey), &v), TLOG_OK);
	assert_int_equal(tlog_note_parse(note, strlen(note), &n), TLOG_OK);
	assert_int_equal(n.nsigs, 1);
	assert_int_equal(n.text_len, strlen("This is an example message.\n"));
	assert_int_equal(tlog_note_verify(&n, &v, 1, &ok, NULL, NULL), TLOG_OK);
	assert_int_equal(ok, 1);
}

static void
test_overt_example_checkpoint(void **state)
{
	struct tlog_signer lk, wk, parsed;
	struct tlog_policy pol;
	struct tlog_checkpoint cp;
	struct ovt_builder b;
	char buf[512];
	size_t nw = 99;

	signer_from_hex("li-log.example/audit", TLOG_KEY_ED25519, log_seed, &lk);
	signer_from_hex("witness.example/w1", TLOG_KEY_COSIG, wit_seed, &wk);
	assert_true(tlog_verifier_format(&lk.v, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, log_vkey);
	assert_true(tlog_verifier_format(&wk.v, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, wit_vkey);
	assert_int_equal(tlog_signer_parse(log_skey, strlen(log_skey), &parsed), TLOG_OK);
	assert_memory_equal(parsed.v.pub, lk.v.pub, 32);
	tlog_signer_cleanup(&parsed);

	/* Body as the log formats it, then the exact signature lines of section C. */
	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "li-log.example/audit");
	cp.size = 7;
	assert_int_equal(hex_decode("5ed5d42c3dd297371dd5bb1ab0cb8a739b085862d00eb5acdedef1e31f796597",
	    cp.root, 32), 32);
	assert_true(bld_init(&b, 512, 8192));
	tlog_checkpoint_format(&cp, &b);
	assert_int_equal(bld_len(&b), strlen(ckpt_body));
	assert_memory_equal(bld_data(&b), ckpt_body, strlen(ckpt_body));
	bld_add_u8(&b, '\n');
	assert_int_equal(tlog_note_sign(&lk, ckpt_body, strlen(ckpt_body), 0, &b), TLOG_OK);
	size_t l1 = bld_len(&b);
	assert_int_equal(tlog_note_sign(&wk, ckpt_body, strlen(ckpt_body), 1735689600, &b),
	    TLOG_OK);
	assert_memory_equal(bld_data(&b) + strlen(ckpt_body) + 1, ckpt_logsig,
	    strlen(ckpt_logsig));
	assert_int_equal(bld_len(&b) - l1, strlen(ckpt_cosig));
	assert_memory_equal(bld_data(&b) + l1, ckpt_cosig, strlen(ckpt_cosig));

	/* Policy: log key plus one witness, quorum 1. */
	memset(&pol, 0, sizeof(pol));
	pol.log = lk.v;
	pol.witnesses[0] = wk.v;
	pol.nwitnesses = 1;
	pol.quorum = 1;
	assert_int_equal(tlog_checkpoint_verify((const char *)bld_data(&b), bld_len(&b), &pol,
	    &cp, &nw, NULL, 0), TLOG_OK);
	assert_int_equal(nw, 1);
	assert_int_equal(cp.size, 7);
	/* Without the cosignature line the quorum fails. */
	assert_int_equal(tlog_checkpoint_verify((const char *)bld_data(&b), l1, &pol, &cp, &nw,
	    NULL, 0), TLOG_E_WITNESS_QUORUM);
	/* Body edited (size 8): the log signature no longer verifies. */
	bld_data(&b)[21] = '8';
	char msg[256];
	assert_int_equal(tlog_checkpoint_verify((const char *)bld_data(&b), bld_len(&b), &pol,
	    &cp, &nw, msg, sizeof(msg)), TLOG_E_SIG_BAD);
	assert_non_null(strstr(msg, "bad signature"));
	bld_data(&b)[21] = '7';
	/* Verified with an unrelated key only: unknown key. */
	struct tlog_signer other;
	assert_int_equal(tlog_signer_generate("li-log.example/audit", TLOG_KEY_ED25519, &other),
	    TLOG_OK);
	pol.log = other.v;
	pol.nwitnesses = 0;
	pol.quorum = 0;
	assert_int_equal(tlog_checkpoint_verify((const char *)bld_data(&b), bld_len(&b), &pol,
	    &cp, &nw, msg, sizeof(msg)), TLOG_E_SIG_UNKNOWN_KEY);
	assert_non_null(strstr(msg, "unknown key"));
	/* Origin policy. */
	pol.log = lk.v;
	snprintf(pol.origin, sizeof(pol.origin), "another.example/log");
	assert_int_equal(tlog_checkpoint_verify((const char *)bld_data(&b), bld_len(&b), &pol,
	    &cp, &nw, NULL, 0), TLOG_E_CKPT_ORIGIN);
	tlog_signer_cleanup(&other);
	tlog_signer_cleanup(&lk);
	tlog_signer_cleanup(&wk);
	bld_cleanup(&b);
}

static void
test_tlog_proof_example(void **state)
{
	static const char proof[] =
	    "c2sp.org/tlog-proof@v1\nindex 3\n"
	    "GaHtXyI2O+weCavPIVzEv+88FrRUL97W2Kb+kYC3TjY=\n"
	    "1DSNVbLOYLDT1KjGdk1zI53WA+6+1p6dW28FG2kFFIk=\n"
	    "+9p3H12JLg78MOZG9sjW23w6vtStX7gQs1upq9RWpW8=\n\n"
	    "li-log.example/audit\n7\nXtXULD3Slzcd1bsasMuKc5sIWGLQDrWs3t7x4x95ZZc=\n\n";
	static const char entry3[] = "{\"seq\":3,\"type\":\"records.delivered\",\"xid\":"
	    "\"00000000-0000-4000-8000-000000000001\",\"count\":12}";
	char full[2048];
	struct tlog_proof_text pt;
	struct tlog_checkpoint cp;
	struct tlog_note n;
	struct tlog_hasher *h = tlog_hasher_new();
	uint8_t leaf[32];

	snprintf(full, sizeof(full), "%s%s%s", proof, ckpt_logsig, ckpt_cosig);
	assert_int_equal(tlog_proof_parse(full, strlen(full), &pt), TLOG_OK);
	assert_int_equal(pt.index, 3);
	assert_int_equal(pt.n, 3);
	assert_int_equal(tlog_note_parse(pt.note, pt.note_len, &n), TLOG_OK);
	assert_int_equal(n.nsigs, 2);
	assert_int_equal(tlog_checkpoint_parse(n.text, n.text_len, &cp), TLOG_OK);
	assert_true(tlog_hash_leaf(h, entry3, strlen(entry3), leaf));
	assert_int_equal(tlog_verify_inclusion(h, pt.index, cp.size, leaf,
	    (const uint8_t (*)[32])pt.hashes, pt.n, cp.root), TLOG_OK);
	/* Round trip through the formatter. */
	struct ovt_builder b;
	assert_true(bld_init(&b, 1024, 8192));
	tlog_proof_format(NULL, 0, pt.index, (const uint8_t (*)[32])pt.hashes, pt.n, pt.note, pt.note_len,
	    &b);
	assert_int_equal(bld_len(&b), strlen(full));
	assert_memory_equal(bld_data(&b), full, strlen(full));
	bld_cleanup(&b);
	/* Malformed: wrong label, hash not 32 bytes, no blank line. */
	assert_int_equal(tlog_proof_parse("c2sp.org/tlog-proof@v2\nindex 3\n\nx\n", 33, &pt),
	    TLOG_E_PROOF_FORMAT);
	assert_int_equal(tlog_proof_parse("c2sp.org/tlog-proof@v1\nindex 3\nQQ==\n\nx\n", 38, &pt),
	    TLOG_E_PROOF_FORMAT);
	assert_int_equal(tlog_proof_parse("c2sp.org/tlog-proof@v1\nindex 03\n\nx\n", 35, &pt),
	    TLOG_E_PROOF_FORMAT);
	tlog_hasher_free(h);
}

static enum tlog_err
parse_str(const char *s, struct tlog_note *n)
{
	return tlog_note_parse(s, strlen(s), n);
}

static void
test_note_malformed(void **state)
{
	struct tlog_note n;
	char buf[16384];
	size_t o = 0;

	assert_int_equal(parse_str("text\n\n" EM " k QUJDREU=\n", &n), TLOG_OK);
	assert_int_equal(parse_str("text\n\n" EM " k QUJDREU=", &n), TLOG_E_NOTE_SIGLINE);
	assert_int_equal(parse_str("text\n", &n), TLOG_E_NOTE_NOSIG);
	assert_int_equal(parse_str("text", &n), TLOG_E_NOTE_TEXT);
	assert_int_equal(parse_str("text\n\n", &n), TLOG_E_NOTE_NOSIG);
	assert_int_equal(parse_str("te\txt\n\n" EM " k QUJDREU=\n", &n), TLOG_E_NOTE_TEXT);
	assert_int_equal(parse_str("te\xc0\xafxt\n\n" EM " k QUJDREU=\n", &n), TLOG_E_NOTE_TEXT);
	assert_int_equal(parse_str("te\xed\xa0\x80xt\n\n" EM " k QUJDREU=\n", &n),
	    TLOG_E_NOTE_TEXT);	/* UTF-16 surrogate */
	assert_int_equal(parse_str("text\n\n- k QUJDREU=\n", &n), TLOG_E_NOTE_SIGLINE);
	assert_int_equal(parse_str("text\n\n" EM " k QUJD\n", &n), TLOG_E_NOTE_SIGLINE);
	assert_int_equal(parse_str("text\n\n" EM " k+x QUJDREU=\n", &n), TLOG_E_NOTE_SIGLINE);
	assert_int_equal(parse_str("text\n\n" EM " k QUJDREU\n", &n), TLOG_E_NOTE_SIGLINE);
	assert_int_equal(parse_str("text\n\n" EM "  QUJDREU=\n", &n), TLOG_E_NOTE_SIGLINE);
	/* 65 signature lines: more than TLOG_NOTE_MAX_SIGS. */
	o += (size_t)snprintf(buf + o, sizeof(buf) - o, "text\n\n");
	for (int i = 0; i < TLOG_NOTE_MAX_SIGS + 1; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, EM " k%d QUJDREU=\n", i);
	assert_int_equal(tlog_note_parse(buf, o, &n), TLOG_E_NOTE_MANY_SIGS);
	assert_int_equal(tlog_note_parse(buf, TLOG_NOTE_MAX + 1, &n), TLOG_E_NOTE_SIZE);
}

static enum tlog_err
ckpt_str(const char *s, struct tlog_checkpoint *cp)
{
	return tlog_checkpoint_parse(s, strlen(s), cp);
}

static void
test_checkpoint_malformed(void **state)
{
	struct tlog_checkpoint cp;
	const char *root = "XtXULD3Slzcd1bsasMuKc5sIWGLQDrWs3t7x4x95ZZc=";
	char s[256];

	snprintf(s, sizeof(s), "o\n0\n%s\n", root);
	assert_int_equal(ckpt_str(s, &cp), TLOG_OK);
	assert_int_equal(cp.size, 0);
	snprintf(s, sizeof(s), "o\n7\n%s\next one\n", root);
	assert_int_equal(ckpt_str(s, &cp), TLOG_OK);
	snprintf(s, sizeof(s), "o\n07\n%s\n", root);
	assert_int_equal(ckpt_str(s, &cp), TLOG_E_CKPT_FORMAT);
	snprintf(s, sizeof(s), "o\n-7\n%s\n", root);
	assert_int_equal(ckpt_str(s, &cp), TLOG_E_CKPT_FORMAT);
	snprintf(s, sizeof(s), "\n7\n%s\n", root);
	assert_int_equal(ckpt_str(s, &cp), TLOG_E_CKPT_FORMAT);
	snprintf(s, sizeof(s), "o o\n7\n%s\n", root);
	assert_int_equal(ckpt_str(s, &cp), TLOG_E_CKPT_FORMAT);
	snprintf(s, sizeof(s), "o\n7\n%s\n\n", root);	/* empty extension line */
	assert_int_equal(ckpt_str(s, &cp), TLOG_E_CKPT_FORMAT);
	snprintf(s, sizeof(s), "o\n7\nXtXULD3Slzcd1bsasMuKc5sIWGLQDrWs3t7x4x95ZZd=\n");
	assert_int_equal(ckpt_str(s, &cp), TLOG_E_CKPT_FORMAT);	/* non-canonical base64 */
	snprintf(s, sizeof(s), "o\n99999999999999999999\n%s\n", root);
	assert_int_equal(ckpt_str(s, &cp), TLOG_E_CKPT_FORMAT);
	snprintf(s, sizeof(s), "o\n7\n%s", root);
	assert_int_equal(ckpt_str(s, &cp), TLOG_E_CKPT_FORMAT);
}

static void
test_key_files(void **state)
{
	char dir[] = "/tmp/test_tlog_note.XXXXXX", path[128];
	struct tlog_signer k, l;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	assert_int_equal(tlog_signer_generate("log.example/x", TLOG_KEY_ED25519, &k), TLOG_OK);
	assert_int_equal(tlog_signer_save(path, &k), TLOG_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(tlog_signer_save(path, &k), TLOG_E_EXISTS);
	assert_int_equal(tlog_signer_load(path, &l), TLOG_OK);
	assert_memory_equal(l.v.pub, k.v.pub, 32);
	assert_int_equal(l.v.id, k.v.id);
	tlog_signer_cleanup(&l);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(tlog_signer_load(path, &l), TLOG_E_KEY_PERM);
	unlink(path);
	assert_int_equal(tlog_signer_load(path, &l), TLOG_E_NOTFOUND);
	assert_int_equal(tlog_signer_generate("bad name", TLOG_KEY_ED25519, &l), TLOG_E_ARG);
	assert_int_equal(tlog_signer_generate("bad+name", TLOG_KEY_ED25519, &l), TLOG_E_ARG);
	tlog_signer_cleanup(&k);
	rmdir(dir);
}

static void
test_trust_state(void **state)
{
	struct tlog_trust *t = malloc(sizeof(*t)), *u = malloc(sizeof(*u));
	struct tlog_checkpoint cp;
	char dir[] = "/tmp/test_tlog_trust.XXXXXX", path[128];

	assert_non_null(t);
	assert_non_null(u);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(tlog_trust_load(path, t), TLOG_OK);	/* missing: empty */
	assert_null(tlog_trust_latest(t));
	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "o.example");
	cp.size = 5;
	cp.root[0] = 5;
	assert_int_equal(tlog_trust_check(t, &cp, NULL, 0), TLOG_OK);
	tlog_trust_update(t, &cp);
	cp.size = 9;
	cp.root[0] = 9;
	tlog_trust_update(t, &cp);
	assert_int_equal(tlog_trust_save(path, t), TLOG_OK);
	assert_int_equal(tlog_trust_load(path, u), TLOG_OK);
	assert_int_equal(u->n, 2);
	assert_string_equal(u->origin, "o.example");
	assert_int_equal(tlog_trust_latest(u)->size, 9);
	/* same as latest: fine; same size other root: fork; older seen: replay; smaller unseen:
	 * smaller; another origin. */
	assert_int_equal(tlog_trust_check(u, &cp, NULL, 0), TLOG_OK);
	cp.root[0] = 10;
	assert_int_equal(tlog_trust_check(u, &cp, NULL, 0), TLOG_E_CKPT_FORK);
	cp.size = 5;
	cp.root[0] = 5;
	assert_int_equal(tlog_trust_check(u, &cp, NULL, 0), TLOG_E_CKPT_REPLAY);
	cp.root[0] = 6;
	assert_int_equal(tlog_trust_check(u, &cp, NULL, 0), TLOG_E_CKPT_FORK);
	cp.size = 7;
	assert_int_equal(tlog_trust_check(u, &cp, NULL, 0), TLOG_E_CKPT_SMALLER);
	cp.size = 11;
	assert_int_equal(tlog_trust_check(u, &cp, NULL, 0), TLOG_OK);
	snprintf(cp.origin, sizeof(cp.origin), "other.example");
	assert_int_equal(tlog_trust_check(u, &cp, NULL, 0), TLOG_E_CKPT_ORIGIN);
	/* Malformed state files. */
	const char *bad[] = {
		"overt-tlog-state v2\no\n",
		"overt-tlog-state v1\no\n5 QQ==\n",
		("overt-tlog-state v1\no\n9 XtXULD3Slzcd1bsasMuKc5sIWGLQDrWs3t7x4x95ZZc=\n"
		    "5 XtXULD3Slzcd1bsasMuKc5sIWGLQDrWs3t7x4x95ZZc=\n"),
		"overt-tlog-state v1\no\n5 XtXULD3Slzcd1bsasMuKc5sIWGLQDrWs3t7x4x95ZZc=",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(tlog_trust_parse(bad[i], strlen(bad[i]), u), TLOG_E_STATE_FORMAT);
	/* History is bounded: the oldest points drop out. */
	tlog_trust_init(t);
	snprintf(cp.origin, sizeof(cp.origin), "o.example");
	for (uint64_t s = 1; s <= TLOG_TRUST_HISTORY + 10; s++) {
		cp.size = s;
		tlog_trust_update(t, &cp);
	}
	assert_int_equal(t->n, TLOG_TRUST_HISTORY);
	assert_int_equal(t->pts[0].size, 11);
	unlink(path);
	rmdir(dir);
	free(t);
	free(u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_strict),
		cmocka_unit_test(test_go_note_vectors),
		cmocka_unit_test(test_c2sp_example),
		cmocka_unit_test(test_overt_example_checkpoint),
		cmocka_unit_test(test_tlog_proof_example),
		cmocka_unit_test(test_note_malformed),
		cmocka_unit_test(test_checkpoint_malformed),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_trust_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
