/* Growing arrays of pointers: see grow.h. */
#include <stdint.h>
#include <stdlib.h>

#include "common/grow.h"

int
ovt_grow_ptrs(void ***v, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 16;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2 / sizeof(void *))
			return -1;
		ncap *= 2;
	}
	void **n = realloc(*v, ncap * sizeof(*n));
	if (n == NULL)
		return -1;
	*v = n;
	*cap = ncap;
	return 0;
}
