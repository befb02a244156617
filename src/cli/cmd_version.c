#include <stdio.h>

#include "cli/cmds.h"

#define OVERT_VERSION "0.1.0"

int
cmd_version(int argc, char **argv)
{
	printf("overt %s\n", OVERT_VERSION);
	return 0;
}
