/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, as in RFC 3720 B.4 and ext4/Btrfs):
 * the per-record checksum of the spool.  It detects torn and bit-rotted records; it is not a
 * security control (anyone who can write the spool directory can recompute it).
 *
 * Why CRC-32C and not zlib's crc32: zlib is not among the libraries Overt links; Castagnoli's
 * polynomial keeps a higher Hamming distance than the IEEE one at record lengths up to a few KiB;
 * and x86-64 computes it in hardware (SSE4.2), so the checksum costs far less than the write()
 * it protects.  Elsewhere a slicing-by-8 table does about 1-2 GB/s.
 *
 * Usage: crc = spool_crc32c(0, p, n); crc = spool_crc32c(crc, q, m); the running value is
 * pre- and post-inverted (zlib convention), so chaining equals one call over p||q.
 * Thread safety: safe from any thread (tables are built once under pthread_once).
 */
#ifndef OVERT_SPOOL_SPOOL_CRC_H
#define OVERT_SPOOL_SPOOL_CRC_H

#include <stddef.h>
#include <stdint.h>

/* Best available implementation (hardware if the CPU has it). */
uint32_t spool_crc32c(uint32_t crc, const void *p, size_t n);
/* The table implementation, always; tests compare it with the hardware one. */
uint32_t spool_crc32c_sw(uint32_t crc, const void *p, size_t n);
/* 1 if spool_crc32c uses the CPU instruction. */
int spool_crc32c_hw(void);

#endif
