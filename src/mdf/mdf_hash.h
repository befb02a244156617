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

#endif
