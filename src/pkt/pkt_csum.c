/* The Internet checksum (RFC 1071): see pkt_csum.h. */
#include "pkt/pkt_csum.h"

uint64_t
pkt_csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

uint16_t
pkt_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
