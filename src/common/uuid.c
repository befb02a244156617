#include "common/uuid.h"

#include <openssl/rand.h>
#include <string.h>

static int
lhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
uuid_parse(const char *s, uint8_t out[16])
{
	if (strlen(s) != UUID_STRLEN)
		return -1;
	int j = 0;
	for (int i = 0; i < UUID_STRLEN;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -1;
			i++;
			continue;
		}
		int hi = lhex(s[i]), lo = lhex(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[j++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

void
uuid_format(const uint8_t u[16], char out[UUID_STRLEN + 1])
{
	static const char d[] = "0123456789abcdef";
	int j = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = d[u[i] >> 4];
		out[j++] = d[u[i] & 15];
	}
	out[j] = '\0';
}

int
uuid_random(uint8_t out[16])
{
	if (RAND_bytes(out, 16) != 1)
		return -1;
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
	return 0;
}
