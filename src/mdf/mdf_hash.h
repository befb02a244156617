/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012), the keyed hash
 * behind the MDF's two derived identifiers:
 *   - the CIN (TS 102 232-1 communicationIdentityNumber) of an X2/X3 Correlation ID, and
 *   - the fingerprint of an X2/X3 PDU's identity, used to recognise a PDU a POI sends again.
 * Keyed so that a POI cannot choose Correlation IDs or sequence numbers that collide on purpose
 * (an authenticated POI must not be able to make the MDF drop another POI's PDUs as
 * duplicates), and stable across restarts because the key is kept in the MDF state database.
 * Hand-written because it runs once per PDU on the hot path (a few tens of nanoseconds; an
 * EVP_MAC context costs more than the hash); tests/unit/test_mdf_encode.c checks it against the
 * paper's test vectors and OpenSSL's EVP_MAC "SIPHASH" for every length 0..64.
 * Thread safety: pure functions.
 */
#ifndef OVERT_MDF_MDF_HASH_H
#define OVERT_MDF_MDF_HASH_H

#include <stddef.h>
#include <stdint.h>

#define MDF_HASH_KEY_LEN 16

/* SipHash-2-4 of len bytes at p under the 16-byte key. */
uint64_t mdf_siphash(const uint8_t key[MDF_HASH_KEY_LEN], const void *p, size_t len);

/* The same function in two steps, for messages that share a constant prefix (the fingerprint
 * of every PDU of one POI connection and XID): the state after the whole 8-octet blocks of the
 * prefix is kept, and each message only pays for the rest.
 *   mdf_siphash_start(&st, key, prefix, nblocks)   absorbs nblocks x 8 octets;
 *   mdf_siphash_finish(&st, rest, n, total_len)    absorbs the n further octets and finalises
 *                                                  (total_len = 8 x nblocks + n).
 * finish does not change st, so one prefix state serves any number of messages. */
struct mdf_siphash_state {
	uint64_t v0, v1, v2, v3;
};
void mdf_siphash_start(struct mdf_siphash_state *st, const uint8_t key[MDF_HASH_KEY_LEN],
		       const void *prefix, size_t nblocks);
uint64_t mdf_siphash_finish(const struct mdf_siphash_state *st, const void *rest, size_t n,
			    size_t total_len);

#endif
