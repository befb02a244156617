/*
 * epcgen: the EPC traffic generator with ground truth as a stand-alone program (the same as
 * `overt epcgen`).  Everything is in src/epcgen/; see docs/epcgen.md.
 */
#include "epcgen/epcgen.h"

int
main(int argc, char **argv)
{
	return epcgen_main(argc, argv);
}
