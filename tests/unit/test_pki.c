/*
 * Test-PKI tests: files and modes, refusal to overwrite (nothing touched), argument checks,
 * the certificate profile read back with OpenSSL (CA constraints, key usages, SANs, serials),
 * chain verification for TLS client and server purposes with OpenSSL's X509_verify_cert, and the
 * same files loaded and verified by GnuTLS (the library libmicrohttpd uses for X1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"

static char dir[64];

static void
fpath(char *out, size_t len, const char *file)
{
	snprintf(out, len, "%s/%s", dir, file);
}

static X509 *
load_cert(const char *file)
{
	char p[128];
	fpath(p, sizeof(p), file);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

static void
rm_all(void)
{
	const char *files[] = {"ca.pem", "ca.key", "admf.pem", "admf.key", "poi.pem", "poi.key",
			       "mdf.pem", "mdf.key", "lemf.pem", "lemf.key", "x.pem", "x.key"};
	char p[128];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		fpath(p, sizeof(p), files[i]);
		unlink(p);
	}
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/x2x3-pki-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	return pki_init(dir, pki_default_roles, pki_default_nroles, 30) == PKI_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	rm_all();
	rmdir(dir);
	return 0;
}

static void
test_files_and_modes(void **state)
{
	const char *roles[] = {"ca", "admf", "poi", "mdf", "lemf"};
	for (size_t i = 0; i < 5; i++) {
		char f[32], p[128];
		struct stat st;
		snprintf(f, sizeof(f), "%s.key", roles[i]);
		fpath(p, sizeof(p), f);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		snprintf(f, sizeof(f), "%s.pem", roles[i]);
		fpath(p, sizeof(p), f);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0644);
	}
}

static void
test_refuses_overwrite(void **state)
{
	char p[128];
	struct stat before, after;
	fpath(p, sizeof(p), "poi.pem");
	assert_int_equal(stat(p, &before), 0);
	/* Any existing output refuses the whole run, before anything is generated. */
	const char *one[] = {"poi"};
	assert_int_equal(pki_init(dir, one, 1, 30), PKI_E_EXISTS);
	/* ca.pem exists too: even a new role is refused (it would need a new CA). */
	const char *fresh[] = {"x"};
	assert_int_equal(pki_init(dir, fresh, 1, 30), PKI_E_EXISTS);
	fpath(p, sizeof(p), "x.pem");
	assert_int_not_equal(access(p, F_OK), 0);
	fpath(p, sizeof(p), "poi.pem");
	assert_int_equal(stat(p, &after), 0);
	assert_true(before.st_ino == after.st_ino && before.st_mtime == after.st_mtime &&
		    before.st_size == after.st_size);
}

static void
test_arguments(void **state)
{
	const char *bad_name[] = {"Poi"}, *dup[] = {"poi", "poi"}, *ca[] = {"ca"};
	const char *slash[] = {"../x"}, *empty[] = {""};
	assert_int_equal(pki_init(dir, bad_name, 1, 30), PKI_E_ARG);
	assert_int_equal(pki_init(dir, dup, 2, 30), PKI_E_ARG);
	assert_int_equal(pki_init(dir, ca, 1, 30), PKI_E_ARG);
	assert_int_equal(pki_init(dir, slash, 1, 30), PKI_E_ARG);
	assert_int_equal(pki_init(dir, empty, 1, 30), PKI_E_ARG);
	assert_int_equal(pki_init(dir, pki_default_roles, 0, 30), PKI_E_ARG);
	assert_int_equal(pki_init(dir, pki_default_roles, 1, 0), PKI_E_ARG);
	assert_int_equal(pki_init(dir, pki_default_roles, 1, PKI_DAYS_MAX + 1), PKI_E_ARG);
	assert_int_equal(pki_init("/proc/nonexistent/dir", pki_default_roles, 1, 30), PKI_E_DIR);

	char buf[64];
	const char *out[PKI_MAX_ROLES];
	snprintf(buf, sizeof(buf), "poi,mdf,lemf-2");
	assert_int_equal(pki_parse_roles(buf, out, PKI_MAX_ROLES), 3);
	assert_string_equal(out[2], "lemf-2");
	snprintf(buf, sizeof(buf), "poi,,mdf");
	assert_int_equal(pki_parse_roles(buf, out, PKI_MAX_ROLES), -1);
	snprintf(buf, sizeof(buf), "poi,poi");
	assert_int_equal(pki_parse_roles(buf, out, PKI_MAX_ROLES), -1);
	snprintf(buf, sizeof(buf), "a,b,c");
	assert_int_equal(pki_parse_roles(buf, out, 2), -1);
	assert_true(pki_role_valid("abcdefghijklmnopqrstuvwxyz012345"));
	assert_false(pki_role_valid("abcdefghijklmnopqrstuvwxyz0123456"));
	assert_string_equal(pki_strerror(PKI_E_EXISTS),
			    "output file already exists (refusing to overwrite)");
}

static void
test_profile(void **state)
{
	X509 *ca = load_cert("ca.pem"), *leaf = load_cert("mdf.pem"), *other = load_cert("poi.pem");
	int crit;

	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(ca, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_true(bc->ca);
	assert_int_equal(crit, 1);
	BASIC_CONSTRAINTS_free(bc);
	assert_true(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
	assert_true(X509_get_key_usage(ca) & KU_CRL_SIGN);
	assert_int_equal(X509_check_ca(ca), 1);

	assert_int_equal(X509_check_ca(leaf), 0);
	assert_true(X509_get_extended_key_usage(leaf) & XKU_SSL_SERVER);
	assert_true(X509_get_extended_key_usage(leaf) & XKU_SSL_CLIENT);
	assert_int_equal(X509_check_host(leaf, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
	assert_int_equal(X509_check_host(leaf, "example.org", 0, 0, NULL), 0);
	char cn[64];
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn,
					      sizeof(cn)) > 0);
	assert_string_equal(cn, "mdf");
	EVP_PKEY *pk = X509_get0_pubkey(leaf);
	assert_int_equal(EVP_PKEY_get_base_id(pk), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(pk), 256);
	assert_int_equal(X509_get_signature_nid(leaf), NID_ecdsa_with_SHA256);

	/* Random serials: positive, at most 128 bits, different between certificates. */
	BIGNUM *s1 = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
	BIGNUM *s2 = ASN1_INTEGER_to_BN(X509_get0_serialNumber(other), NULL);
	assert_false(BN_is_negative(s1));
	assert_true(BN_num_bits(s1) <= 128 && BN_num_bits(s1) > 64);
	assert_int_not_equal(BN_cmp(s1, s2), 0);
	BN_free(s1);
	BN_free(s2);
	X509_free(ca);
	X509_free(leaf);
	X509_free(other);
}

static void
test_openssl_verifies_chain(void **state)
{
	const char *roles[] = {"admf", "poi", "mdf", "lemf"};
	X509 *ca = load_cert("ca.pem");
	X509_STORE *store = X509_STORE_new();
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	for (size_t i = 0; i < 4; i++) {
		char f[32];
		snprintf(f, sizeof(f), "%s.pem", roles[i]);
		X509 *leaf = load_cert(f);
		const int purposes[] = {X509_PURPOSE_SSL_SERVER, X509_PURPOSE_SSL_CLIENT};
		for (int p = 0; p < 2; p++) {
			X509_STORE_CTX *sctx = X509_STORE_CTX_new();
			assert_int_equal(X509_STORE_CTX_init(sctx, store, leaf, NULL), 1);
			X509_STORE_CTX_set_purpose(sctx, purposes[p]);
			assert_int_equal(X509_verify_cert(sctx), 1);
			X509_STORE_CTX_free(sctx);
		}
		X509_free(leaf);
	}
	/* The CA key signs; a leaf cannot act as a CA for another leaf. */
	X509 *leaf = load_cert("poi.pem"), *mdf = load_cert("mdf.pem");
	X509_STORE *wrong = X509_STORE_new();
	assert_int_equal(X509_STORE_add_cert(wrong, leaf), 1);
	X509_STORE_CTX *sctx = X509_STORE_CTX_new();
	assert_int_equal(X509_STORE_CTX_init(sctx, wrong, mdf, NULL), 1);
	assert_int_not_equal(X509_verify_cert(sctx), 1);
	X509_STORE_CTX_free(sctx);
	X509_STORE_free(wrong);
	X509_free(leaf);
	X509_free(mdf);
	X509_STORE_free(store);
	X509_free(ca);
}

static gnutls_x509_crt_t
gnutls_load(const char *file)
{
	char p[128];
	gnutls_datum_t d;
	gnutls_x509_crt_t crt;
	fpath(p, sizeof(p), file);
	assert_int_equal(gnutls_load_file(p, &d), 0);
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
	gnutls_free(d.data);
	return crt;
}

static void
test_gnutls_accepts(void **state)
{
	char cert[128], key[128];
	gnutls_certificate_credentials_t cred;
	gnutls_x509_trust_list_t tl;
	unsigned int status = 1;

	assert_int_equal(gnutls_global_init(), 0);
	/* The key and certificate load as a libmicrohttpd HTTPS server would load them. */
	assert_int_equal(gnutls_certificate_allocate_credentials(&cred), 0);
	fpath(cert, sizeof(cert), "admf.pem");
	fpath(key, sizeof(key), "admf.key");
	assert_true(gnutls_certificate_set_x509_key_file(cred, cert, key, GNUTLS_X509_FMT_PEM) >= 0);
	fpath(cert, sizeof(cert), "ca.pem");
	assert_int_equal(gnutls_certificate_set_x509_trust_file(cred, cert, GNUTLS_X509_FMT_PEM), 1);
	gnutls_certificate_free_credentials(cred);

	/* The chain verifies under GnuTLS for every role. */
	gnutls_x509_crt_t ca = gnutls_load("ca.pem");
	assert_int_equal(gnutls_x509_trust_list_init(&tl, 0), 0);
	assert_int_equal(gnutls_x509_trust_list_add_cas(tl, &ca, 1, 0), 1);
	const char *roles[] = {"admf.pem", "poi.pem", "mdf.pem", "lemf.pem"};
	for (size_t i = 0; i < 4; i++) {
		gnutls_x509_crt_t leaf = gnutls_load(roles[i]);
		status = 1;
		assert_int_equal(gnutls_x509_trust_list_verify_crt(tl, &leaf, 1, 0, &status, NULL),
				 0);
		assert_int_equal(status, 0);
		assert_int_equal(gnutls_x509_crt_check_hostname(leaf, "localhost"), 1);
		assert_int_equal(gnutls_x509_crt_check_ip(leaf, (const unsigned char *)"\x7f\0\0\1",
							  4, 0),
				 1);
		gnutls_x509_crt_deinit(leaf);
	}
	gnutls_x509_trust_list_deinit(tl, 1);	/* frees ca too */
	gnutls_global_deinit();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files_and_modes),
		cmocka_unit_test(test_refuses_overwrite),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_openssl_verifies_chain),
		cmocka_unit_test(test_gnutls_accepts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
