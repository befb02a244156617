/*
 * UUIDs as X1 writes them (lowercase 8-4-4-4-12, TS 103 221-1 UUID pattern) and as X2/X3 carries
 * them (16 octets, network order).  Random v4 UUIDs come from OpenSSL's RAND_bytes.
 */
#ifndef OVERT_COMMON_UUID_H
#define OVERT_COMMON_UUID_H

#include <stdint.h>

#define UUID_STRLEN 36

/* Parses the canonical lowercase form only (the XSD pattern refuses uppercase).
 * Returns 0 on success, -1 on any deviation. */
int uuid_parse(const char *s, uint8_t out[16]);
/* Writes 37 bytes (36 + NUL). */
void uuid_format(const uint8_t u[16], char out[UUID_STRLEN + 1]);
/* Random version-4 UUID; returns 0, or -1 if the RNG failed. */
int uuid_random(uint8_t out[16]);

#endif
