/*
 * Test PKI for demos and tests (`overt pki init DIR`): one self-signed CA and one certificate per
 * role (admf, poi, mdf, lemf), all ECDSA P-256 with SHA-256, made with OpenSSL 3's EVP/X509 API.
 * Production deployments bring their own PKI; nothing here is used at run time by the daemons.
 *
 * Files written into DIR (never overwritten: pki_init refuses if any of them exists):
 *   ca.pem      CA certificate: CN=Overt test CA, basicConstraints CA:TRUE (critical),
 *               keyUsage keyCertSign+cRLSign (critical), subjectKeyIdentifier
 *   ca.key      CA private key (PKCS#8 PEM, unencrypted, mode 0600)
 *   ROLE.pem    leaf: CN=ROLE, SAN DNS:localhost + IP:127.0.0.1, basicConstraints CA:FALSE,
 *               keyUsage digitalSignature (critical), extendedKeyUsage serverAuth+clientAuth,
 *               subject/authority key identifiers, random 128-bit serial
 *   ROLE.key    leaf private key (PKCS#8 PEM, unencrypted, mode 0600)
 * GnuTLS (libmicrohttpd, the X1 server) and OpenSSL both accept this profile.
 *
 * Thread safety: none needed (no shared state); the functions never print or exit.
 */
#ifndef OVERT_PKI_PKI_H
#define OVERT_PKI_PKI_H

#include <stddef.h>

#define PKI_MAX_ROLES    16	/* roles per call */
#define PKI_ROLE_MAXLEN  32	/* [a-z0-9-]{1,32}: the role is a file name and a CN */
#define PKI_DAYS_DEFAULT 825
#define PKI_DAYS_MAX     36500

enum pki_err {
	PKI_OK = 0,
	PKI_E_ARG,	/* bad role name, too many roles, duplicate role, bad days */
	PKI_E_EXISTS,	/* one of the output files already exists: nothing was written */
	PKI_E_DIR,	/* DIR missing/not creatable */
	PKI_E_CRYPTO,	/* key generation, certificate building or signing failed */
	PKI_E_IO,	/* writing a file failed (partial output removed) */
	PKI_E_COUNT
};

const char *pki_strerror(enum pki_err);

/* The default roles: admf, poi, mdf, lemf. */
extern const char *const pki_default_roles[];
extern const size_t pki_default_nroles;

/*
 * Creates DIR (mode 0755) if it does not exist, then the CA and one certificate per role,
 * valid from now - 1 hour (clock skew) for `days` days.  Checks every output path first and
 * returns PKI_E_EXISTS without writing anything if one exists; files are then created with
 * O_EXCL, so a concurrent writer cannot be clobbered either.  On a later failure the files
 * written by this call are removed.  Returns PKI_OK or the first error.
 */
enum pki_err pki_init(const char *dir, const char *const *roles, size_t nroles, int days);

/* Splits a comma-separated role list ("admf,poi") into `out` (pointers into buf, which is
 * modified).  Returns the number of roles, or -1 on an invalid or duplicate name or more than
 * max roles. */
int pki_parse_roles(char *buf, const char **out, size_t max);

/* 1 if s is a valid role name ([a-z0-9-]{1,PKI_ROLE_MAXLEN}), else 0. */
int pki_role_valid(const char *s);

#endif
