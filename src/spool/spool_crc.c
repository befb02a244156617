/*
 * CRC-32C, hand-written: a slicing-by-8 table (eight 256-entry tables, 8 KiB, built once) and,
 * on x86-64 CPUs with SSE4.2, the crc32 instruction.  Both compute the same function; the unit
 * test checks them against the RFC 3720 B.4 vectors and against each other.
 * Bytes are assembled explicitly (little-endian, as the reflected algorithm consumes them), so
 * nothing depends on alignment or host byte order.
 *
 * The crc32 instruction has a latency of 3 cycles and a throughput of one per cycle, so one
 * dependent chain uses a third of it.  Long buffers are therefore cut into three lanes of
 * CRC_LONG (or CRC_SHORT) octets that run interleaved from zero, and the lanes are joined with
 * the "zeros operator": the register after A || B is M^|B| (register after A) xor (register of B
 * from zero), M^|B| being the (linear) effect of |B| zero octets, applied through four 256-entry
 * tables built at start (the technique of Mark Adler's crc32c.c).  Same function, about three
 * times faster on records of a few KiB and more.
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

#define CRC_LONG	8192	/* lane length for long buffers */
#define CRC_SHORT	256	/* lane length for the rest */
static uint32_t crc_long[4][256];	/* register -> register after CRC_LONG zero octets */
static uint32_t crc_short[4][256];	/* ... after CRC_SHORT zero octets */

/* The effect of n zero octets on a register, as four byte-indexed tables. */
static void
crc_zeros(uint32_t zeros[4][256], size_t n)
{
	uint32_t col[32];

	/* The operator is linear: its value on each of the 32 unit registers... */
	for (int b = 0; b < 32; b++) {
		uint32_t c = (uint32_t)1 << b;
		for (size_t k = 0; k < n; k++)
			c = (c >> 8) ^ crc_tab[0][c & 0xff];
		col[b] = c;
	}
	/* ...combined by xor for every byte value in every byte position. */
	for (int k = 0; k < 4; k++)
		for (uint32_t v = 0; v < 256; v++) {
			uint32_t r = 0;
			for (int b = 0; b < 8; b++)
				if (v & (1u << b))
					r ^= col[8 * k + b];
			zeros[k][v] = r;
		}
}

static inline uint32_t
crc_shift(uint32_t zeros[4][256], uint32_t c)
{
	return zeros[0][c & 0xff] ^ zeros[1][(c >> 8) & 0xff] ^ zeros[2][(c >> 16) & 0xff] ^
	    zeros[3][c >> 24];
}
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
	crc_zeros(crc_long, CRC_LONG);
	crc_zeros(crc_short, CRC_SHORT);
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

	/* Three interleaved lanes (top of file); lanes are multiples of 8 octets. */
	while (n >= 3 * CRC_LONG) {
		uint64_t c1 = 0, c2 = 0;
		for (size_t i = 0; i < CRC_LONG; i += 8) {
			uint64_t v0, v1, v2;
			memcpy(&v0, p + i, 8);
			memcpy(&v1, p + CRC_LONG + i, 8);
			memcpy(&v2, p + 2 * CRC_LONG + i, 8);
			c = _mm_crc32_u64(c, v0);
			c1 = _mm_crc32_u64(c1, v1);
			c2 = _mm_crc32_u64(c2, v2);
		}
		c = crc_shift(crc_long, (uint32_t)c) ^ (uint32_t)c1;
		c = crc_shift(crc_long, (uint32_t)c) ^ (uint32_t)c2;
		p += 3 * CRC_LONG;
		n -= 3 * CRC_LONG;
	}
	while (n >= 3 * CRC_SHORT) {
		uint64_t c1 = 0, c2 = 0;
		for (size_t i = 0; i < CRC_SHORT; i += 8) {
			uint64_t v0, v1, v2;
			memcpy(&v0, p + i, 8);
			memcpy(&v1, p + CRC_SHORT + i, 8);
			memcpy(&v2, p + 2 * CRC_SHORT + i, 8);
			c = _mm_crc32_u64(c, v0);
			c1 = _mm_crc32_u64(c1, v1);
			c2 = _mm_crc32_u64(c2, v2);
		}
		c = crc_shift(crc_short, (uint32_t)c) ^ (uint32_t)c1;
		c = crc_shift(crc_short, (uint32_t)c) ^ (uint32_t)c2;
		p += 3 * CRC_SHORT;
		n -= 3 * CRC_SHORT;
	}
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
