/* libFuzzer target: the YAML configuration reader. */
#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct conf *c = conf_parse((const char *)data, size, err, sizeof(err));
	if (c != NULL) {
		const char *s;
		(void)conf_str(c, NULL, "x1.listen", &s);
		conf_free(c);
	}
	return 0;
}
