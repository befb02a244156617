/*
 * `overt pki init DIR [--roles admf,poi,mdf,lemf] [--days N]`: a test CA and role certificates
 * for demos and tests (see src/pki/pki.h and man/overt-pki.8).  Production brings its own PKI.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmds.h"
#include "pki/pki.h"

static void
pki_usage(FILE *f)
{
	fprintf(f, "usage: overt pki init DIR [--roles ROLE,...] [--days N]\n"
		   "  creates DIR/ca.pem, DIR/ca.key and DIR/ROLE.pem, DIR/ROLE.key for each role\n"
		   "  (default roles admf,poi,mdf,lemf; default %d days); never overwrites files\n",
		PKI_DAYS_DEFAULT);
}

static int
parse_days(const char *s, int *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v == 0 || v > PKI_DAYS_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

int
cmd_pki(int argc, char **argv)
{
	const char *roles[PKI_MAX_ROLES];
	char rolebuf[PKI_MAX_ROLES * (PKI_ROLE_MAXLEN + 1) + 1];
	size_t nroles = pki_default_nroles;
	const char *dir = NULL;
	int days = PKI_DAYS_DEFAULT;

	for (size_t i = 0; i < pki_default_nroles; i++)
		roles[i] = pki_default_roles[i];
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		pki_usage(stdout);
		return 0;
	}
	if (argc < 3 || strcmp(argv[1], "init") != 0) {
		pki_usage(stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--roles") == 0 && i + 1 < argc) {
			size_t n = strlen(argv[++i]);
			if (n >= sizeof(rolebuf)) {
				fprintf(stderr, "overt pki: --roles: list too long\n");
				return 2;
			}
			memcpy(rolebuf, argv[i], n + 1);
			int r = pki_parse_roles(rolebuf, roles, PKI_MAX_ROLES);
			if (r < 0) {
				fprintf(stderr, "overt pki: --roles: want up to %d distinct names "
						"[a-z0-9-]{1,%d} (not \"ca\")\n",
					PKI_MAX_ROLES, PKI_ROLE_MAXLEN);
				return 2;
			}
			nroles = (size_t)r;
		} else if (strcmp(argv[i], "--days") == 0 && i + 1 < argc) {
			if (parse_days(argv[++i], &days) != 0) {
				fprintf(stderr, "overt pki: --days: want 1..%d\n", PKI_DAYS_MAX);
				return 2;
			}
		} else if (argv[i][0] != '-' && dir == NULL) {
			dir = argv[i];
		} else {
			pki_usage(stderr);
			return 2;
		}
	}
	if (dir == NULL) {
		pki_usage(stderr);
		return 2;
	}
	enum pki_err e = pki_init(dir, roles, nroles, days);
	if (e != PKI_OK) {
		fprintf(stderr, "overt pki: %s: %s\n", dir, pki_strerror(e));
		return 1;
	}
	printf("overt pki: wrote %s/ca.pem", dir);
	for (size_t i = 0; i < nroles; i++)
		printf(" %s.pem", roles[i]);
	printf(" (+ .key, mode 0600)\n");
	return 0;
}
