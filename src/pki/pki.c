/*
 * Test CA and role certificates (see pki.h for the profile).  Everything goes through OpenSSL 3:
 * EVP_EC_gen for P-256 keys, X509V3 extension helpers, BN_rand for serials; no hand-made DER.
 * Files are created with O_EXCL and the private keys with mode 0600 from the start (never
 * chmod'ed after the fact, so no window where a key is world-readable).
 */
#include "pki/pki.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

const char *const pki_default_roles[] = {"admf", "poi", "mdf", "lemf"};
const size_t pki_default_nroles = sizeof(pki_default_roles) / sizeof(pki_default_roles[0]);

#define PKI_PATH_MAX 4096
#define PKI_MAX_FILES (2 + 2 * PKI_MAX_ROLES)

static const char *const pki_errstr[PKI_E_COUNT] = {
	[PKI_OK] = "ok",
	[PKI_E_ARG] = "invalid argument (role name, role count or days)",
	[PKI_E_EXISTS] = "output file already exists (refusing to overwrite)",
	[PKI_E_DIR] = "cannot create or use the output directory",
	[PKI_E_CRYPTO] = "key or certificate generation failed",
	[PKI_E_IO] = "cannot write output file",
};

const char *
pki_strerror(enum pki_err e)
{
	if ((unsigned)e >= PKI_E_COUNT)
		return "unknown pki error";
	return pki_errstr[e];
}

int
pki_role_valid(const char *s)
{
	size_t n = 0;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		if (n >= PKI_ROLE_MAXLEN)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	/* "ca" would collide with the CA's own files. */
	return n > 0 && strcmp(s, "ca") != 0;
}

int
pki_parse_roles(char *buf, const char **out, size_t max)
{
	size_t n = 0;
	char *p = buf;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma != NULL)
			*comma = '\0';
		if (!pki_role_valid(p) || n >= max)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (strcmp(out[i], p) == 0)
				return -1;
		out[n++] = p;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return (int)n;
}

/* ------------------------------------------------------------------ certificate building */

static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return 0;
	int ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* Random positive serial of up to 128 bits (RFC 5280 4.1.2.2 allows up to 20 octets). */
static int
set_random_serial(X509 *cert)
{
	BIGNUM *bn = BN_new();
	int ok = 0;
	if (bn != NULL && BN_rand(bn, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
	    !BN_is_zero(bn)) {
		ASN1_INTEGER *ai = BN_to_ASN1_INTEGER(bn, NULL);
		if (ai != NULL) {
			ok = X509_set_serialNumber(cert, ai);
			ASN1_INTEGER_free(ai);
		}
	}
	BN_free(bn);
	return ok;
}

/*
 * Builds and signs one certificate.  issuer == NULL makes it self-signed (the CA); then
 * issuer_key is `key` itself.
 */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, int is_ca, X509 *issuer, EVP_PKEY *issuer_key, int days)
{
	X509 *cert = X509_new();
	X509_NAME *name = NULL;
	if (cert == NULL)
		return NULL;
	if (!X509_set_version(cert, X509_VERSION_3) || !set_random_serial(cert))
		goto fail;
	/* An hour of back-dating absorbs clock skew between test machines and containers. */
	if (X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, NULL) == NULL)
		goto fail;
	if ((name = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"Overt test PKI",
					-1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
					0) ||
	    !X509_set_subject_name(cert, name) ||
	    !X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name) ||
	    !X509_set_pubkey(cert, key))
		goto fail;

	X509 *iss = issuer ? issuer : cert;
	if (is_ca) {
		if (!add_ext(cert, iss, NID_basic_constraints, "critical,CA:TRUE") ||
		    !add_ext(cert, iss, NID_key_usage, "critical,keyCertSign,cRLSign") ||
		    !add_ext(cert, iss, NID_subject_key_identifier, "hash"))
			goto fail;
	} else {
		if (!add_ext(cert, iss, NID_basic_constraints, "critical,CA:FALSE") ||
		    !add_ext(cert, iss, NID_key_usage, "critical,digitalSignature") ||
		    !add_ext(cert, iss, NID_ext_key_usage, "serverAuth,clientAuth") ||
		    !add_ext(cert, iss, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1") ||
		    !add_ext(cert, iss, NID_subject_key_identifier, "hash") ||
		    !add_ext(cert, iss, NID_authority_key_identifier, "keyid:always"))
			goto fail;
	}
	if (X509_sign(cert, issuer_key, EVP_sha256()) <= 0)
		goto fail;
	X509_NAME_free(name);
	return cert;
fail:
	X509_NAME_free(name);
	X509_free(cert);
	return NULL;
}

/* ------------------------------------------------------------------ files */

struct pki_out {
	char paths[PKI_MAX_FILES][PKI_PATH_MAX];
	size_t n;	/* how many paths are listed */
	size_t written;	/* paths[0..written) were created by us */
};

static int
join(char *out, const char *dir, const char *role, const char *ext)
{
	int n = snprintf(out, PKI_PATH_MAX, "%s/%s.%s", dir, role, ext);
	return n > 0 && n < PKI_PATH_MAX;
}

/* Opens path with O_EXCL and the given mode and hands the stream to the PEM writer. */
static enum pki_err
write_pem(struct pki_out *o, size_t idx, int mode, X509 *cert, EVP_PKEY *key)
{
	int fd = open(o->paths[idx], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return errno == EEXIST ? PKI_E_EXISTS : PKI_E_IO;
	o->written = idx + 1;
	/* Enforce the mode even under a permissive or restrictive umask. */
	if (fchmod(fd, (mode_t)mode) != 0) {
		close(fd);
		return PKI_E_IO;
	}
	FILE *f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return PKI_E_IO;
	}
	int ok = cert ? PEM_write_X509(f, cert)
		      : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (fclose(f) != 0)
		ok = 0;
	return ok ? PKI_OK : PKI_E_IO;
}

static enum pki_err
write_pair(struct pki_out *o, size_t idx, X509 *cert, EVP_PKEY *key)
{
	enum pki_err e = write_pem(o, idx, 0644, cert, NULL);
	if (e == PKI_OK)
		e = write_pem(o, idx + 1, 0600, NULL, key);
	return e;
}

static enum pki_err
ensure_dir(const char *dir)
{
	struct stat st;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return PKI_E_DIR;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return PKI_E_DIR;
	return PKI_OK;
}

enum pki_err
pki_init(const char *dir, const char *const *roles, size_t nroles, int days)
{
	struct pki_out o;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509 *ca = NULL, *cert = NULL;
	enum pki_err e;

	if (days <= 0 || days > PKI_DAYS_MAX || nroles == 0 || nroles > PKI_MAX_ROLES)
		return PKI_E_ARG;
	for (size_t i = 0; i < nroles; i++) {
		if (!pki_role_valid(roles[i]))
			return PKI_E_ARG;
		for (size_t j = 0; j < i; j++)
			if (strcmp(roles[i], roles[j]) == 0)
				return PKI_E_ARG;
	}

	memset(&o, 0, sizeof(o));
	if (!join(o.paths[0], dir, "ca", "pem") || !join(o.paths[1], dir, "ca", "key"))
		return PKI_E_ARG;
	o.n = 2;
	for (size_t i = 0; i < nroles; i++) {
		if (!join(o.paths[o.n], dir, roles[i], "pem") ||
		    !join(o.paths[o.n + 1], dir, roles[i], "key"))
			return PKI_E_ARG;
		o.n += 2;
	}
	if ((e = ensure_dir(dir)) != PKI_OK)
		return e;
	/* Refuse before generating anything: a half-replaced PKI is worse than none. */
	for (size_t i = 0; i < o.n; i++)
		if (access(o.paths[i], F_OK) == 0)
			return PKI_E_EXISTS;

	e = PKI_E_CRYPTO;
	if ((ca_key = EVP_EC_gen("P-256")) == NULL ||
	    (ca = make_cert(ca_key, "Overt test CA", 1, NULL, ca_key, days)) == NULL)
		goto out;
	if ((e = write_pair(&o, 0, ca, ca_key)) != PKI_OK)
		goto out;
	for (size_t i = 0; i < nroles; i++) {
		e = PKI_E_CRYPTO;
		if ((key = EVP_EC_gen("P-256")) == NULL ||
		    (cert = make_cert(key, roles[i], 0, ca, ca_key, days)) == NULL)
			goto out;
		if ((e = write_pair(&o, 2 + 2 * i, cert, key)) != PKI_OK)
			goto out;
		X509_free(cert);
		EVP_PKEY_free(key);
		cert = NULL;
		key = NULL;
	}
	e = PKI_OK;
out:
	if (e != PKI_OK) {
		/* Remove what this call created, and only that: O_EXCL guaranteed that
		 * paths[0..written) are ours (a failed open does not advance `written`). */
		for (size_t i = 0; i < o.written; i++)
			unlink(o.paths[i]);
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return e;
}
