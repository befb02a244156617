/*
 * CRC-32C, hand-written: a slicing-by-8 table (eight 256-entry tables, 8 KiB, built once) and,
 * on x86-64 CPUs with SSE4.2, the crc32 instruction.  Both compute the same function; the unit
 * test checks them against the RFC 3720 B.4 vectors and against each other.
 * Bytes are assembled explicitly (little-endian, as the reflected algorithm consumes them), so
 * nothing depends on alignment or host byte order.
 */
#include "spool/spool_crc.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#define SPOOL_CRC_X86 1
#endif

#define CRC32C_POLY 0x82F63B78u	/* Castagnoli, bit-reflected */

static uint32_t crc_tab[8][256];
static int crc_have_hw;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void
crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
#ifdef SPOOL_CRC_X86
	__builtin_cpu_init();
	crc_have_hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
#endif
}

static inline uint32_t
load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	    ((uint32_t)p[3] << 24);
}

uint32_t
spool_crc32c_sw(uint32_t crc, const void *data, size_t n)
{
	const uint8_t *p = data;

	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	while (n >= 8) {
		uint32_t lo = load_le32(p) ^ crc;
		uint32_t hi = load_le32(p + 4);
		crc = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		    crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
		    crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
		    crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n--)
		crc = (crc >> 8) ^ crc_tab[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

#ifdef SPOOL_CRC_X86
__attribute__((target("sse4.2"))) static uint32_t
crc32c_hw(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t c = ~crc;

	while (n >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);	/* x86 is little-endian, as the algorithm wants */
		c = _mm_crc32_u64(c, v);
		p += 8;
		n -= 8;
	}
	while (n--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return ~(uint32_t)c;
}
#endif

uint32_t
spool_crc32c(uint32_t crc, const void *p, size_t n)
{
	pthread_once(&crc_once, crc_init);
#ifdef SPOOL_CRC_X86
	if (crc_have_hw)
		return crc32c_hw(crc, p, n);
#endif
	return spool_crc32c_sw(crc, p, n);
}

int
spool_crc32c_hw(void)
{
	pthread_once(&crc_once, crc_init);
	return crc_have_hw;
}
