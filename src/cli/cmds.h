/*
 * Subcommands of the `overt` binary.  Each takes the arguments after its name (argv[0] is the
 * subcommand name) and returns the process exit status.  One file per subcommand (cmd_<name>.c)
 * or the module's own <module>_main().
 */
#ifndef OVERT_CLI_CMDS_H
#define OVERT_CLI_CMDS_H

int cmd_version(int argc, char **argv);
int cmd_log(int argc, char **argv);	/* transparency log: src/cli/cmd_log.c */
int cmd_audit(int argc, char **argv);	/* log auditor: src/cli/cmd_audit.c */
int cmd_pki(int argc, char **argv);
int cmd_x1(int argc, char **argv);
int cmd_poi(int argc, char **argv);
int cmd_mdf(int argc, char **argv);	/* src/mdf/mdf_main.c */
int epcgen_main(int argc, char **argv);	/* src/epcgen/epcgen.h */
int lemf_main(int argc, char **argv);	/* src/lemf/lemf.h */

#endif
