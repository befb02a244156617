/*
 * overt: one binary, one subcommand per role (3GPP TS 33.127: ADMF, POI, MDF, LEMF) plus the
 * transparency log, the auditor and operator tools.  This file is only the dispatch table.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmds.h"

struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
};

static const struct command commands[] = {
	{"version", cmd_version, "print the version"},
	{"log", cmd_log, "transparency log: keys, append, witness (overt-log(8))"},
	{"audit", cmd_audit, "verify a transparency log, proofs, commitments (overt-audit(8))"},
	{"poi", cmd_poi, "EPC interception point: GTP capture, X1 tasks, X2/X3 out"},
	{"mdf", cmd_mdf, "mediation and delivery: X1 tasks, X2/X3 in, HI2/HI3 to LEMFs"},
	{"lemf", lemf_main, "HI2/HI3 receiver: pcap and IRI JSON per LIID, gaps (overt-lemf(8))"},
	{"pki", cmd_pki, "create a test CA and role certificates (pki init DIR)"},
	{"x1", cmd_x1, "X1 client: provision and query a POI or MDF (TS 103 221-1)"},
	{"epcgen", epcgen_main, "generate an EPC capture with its ground truth (docs/epcgen.md)"},
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: overt <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n`overt <command> --help` for a command's options.\n");
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "overt: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
