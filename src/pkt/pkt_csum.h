/*
 * The Internet checksum (RFC 1071): one implementation for every writer of IP headers here
 * (the reassembler's IPv4 header, the lab pcap of X2/X3, the traffic generator's headers and
 * UDP pseudo-headers) and for the tests that check them.
 *
 * Usage: sum = pkt_csum_add(0, hdr, n) (possibly several times, e.g. pseudo-header then
 * payload), then pkt_csum_fold(sum) is the value to store; over data that holds a correct
 * checksum, the fold is 0.  Pieces added one after another must have even lengths except the
 * last (an odd tail is padded with a zero octet, RFC 1071 4.1).  The running sum is 64-bit:
 * no overflow below 2^48 octets.
 *
 * Thread safety: pure functions.
 */
#ifndef OVERT_PKT_PKT_CSUM_H
#define OVERT_PKT_PKT_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* sum plus the big-endian 16-bit words of p[0..n). */
uint64_t pkt_csum_add(uint64_t sum, const uint8_t *p, size_t n);
/* The one's complement of the folded sum: the checksum field's value. */
uint16_t pkt_csum_fold(uint64_t sum);

#endif
