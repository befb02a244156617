/*
 * Internal to src/hi2: schema-reading helpers shared by the IRI and PS-PDU code, the domain
 * OIDs, and the IRI-Parameters body coder used by both the X2 (format 14) and the PS-PDU paths.
 * Not part of the public API (include hi2/hi2.h instead).
 */
#ifndef OVERT_HI2_HI2_INT_H
#define OVERT_HI2_HI2_INT_H

#include "hi2/hi2.h"

/* OBJECT IDENTIFIER contents octets (X.690 8.19) of the domain identifiers we write. */
extern const uint8_t hi2_oid_li_ps[7];	/* li-psDomainId {0 4 0 2 2 5 1 43}: LI-PS-PDU v43 */
extern const uint8_t hi2_oid_eps_hi2[8];	/* hi2epsDomainId {0 4 0 2 2 4 8 16 1}: r16 v1 */
extern const uint8_t hi2_oid_eps_hi3[8];	/* hi3DomainId {0 4 0 2 2 4 9 16 0} */

/* Records e/ber/where in d (d may be NULL) and returns e. */
enum hi2_err hi2_fail(struct hi2_diag *d, enum hi2_err e, enum ber_err ber, const char *where);
/* A size-first writer did not end where its size said: a bug in this module that may already
 * have written past the reservation, so the process stops (stderr, abort) rather than send or
 * spool a corrupt PDU.  Tests make it unreachable. */
_Noreturn void hi2_size_bug(const char *what);

/*
 * Reader for the components of one SEQUENCE whose components all carry context tags in
 * ascending order (true of every SEQUENCE in our subset): each hi2_seq_next() returns the next
 * component and refuses a tag number not above the previous one (X.690 8.9.2: components in
 * definition order; a repeat would let two values of one field disagree).
 */
struct hi2_seq {
	struct ovt_cursor c;
	long last;
	const char *where;
};

void hi2_seq_init(struct hi2_seq *s, const struct ovt_cursor *contents, const char *where);
static inline int hi2_seq_more(const struct hi2_seq *s) { return cur_len(&s->c) > 0; }
/* Next component into *t (must be context class, number above the last). */
enum hi2_err hi2_seq_next(struct hi2_seq *s, struct ber_tlv *t, struct hi2_diag *d);

/* Form checks: primitive / constructed, HI2_E_BER with BER_E_FORM otherwise. */
enum hi2_err hi2_want_prim(const struct ber_tlv *t, struct hi2_diag *d, const char *where);
enum hi2_err hi2_want_cons(const struct ber_tlv *t, struct hi2_diag *d, const char *where);
/* Primitive OCTET STRING with min <= length <= max. */
enum hi2_err hi2_get_octets(const struct ber_tlv *t, size_t min, size_t max,
			    struct hi2_bytes *out, struct hi2_diag *d, const char *where);
/* Primitive INTEGER/ENUMERATED in 0..max. */
enum hi2_err hi2_get_uint(const struct ber_tlv *t, uint64_t max, uint64_t *out,
			  struct hi2_diag *d, const char *where);
/* Primitive OBJECT IDENTIFIER, syntax-checked; out = its contents. */
enum hi2_err hi2_get_oid(const struct ber_tlv *t, struct hi2_bytes *out, struct hi2_diag *d,
			 const char *where);
/* Primitive GeneralizedTime. */
enum hi2_err hi2_get_gentime(const struct ber_tlv *t, int64_t *sec, uint32_t *usec,
			     struct hi2_diag *d, const char *where);
/* PrintableString (SIZE (2)) country code into cc[3]. */
enum hi2_err hi2_get_country(const struct ber_tlv *t, char cc[3], struct hi2_diag *d,
			     const char *where);
/* The contents of an EXPLICIT tag or a CHOICE wrapper: exactly one element. */
enum hi2_err hi2_get_single(const struct ber_tlv *t, struct ber_tlv *inner, struct hi2_diag *d,
			    const char *where);
/* TimeStamp ::= CHOICE { localTime [0] LocalTimeStamp, utcTime [1] UTCTime } from the
 * contents of the EXPLICIT tag that carries it. */
enum hi2_err hi2_get_timestamp(const struct ber_tlv *t, int64_t *sec, uint32_t *usec,
			       struct hi2_diag *d, const char *where);
/* A component only validated and skipped (known but not stored, or unknown extension). */
enum hi2_err hi2_skip_checked(const struct ber_tlv *t, int cons, struct hi2_diag *d,
			      const char *where);

/* Country code / PrintableString check for the encoders: "" or two PrintableString chars. */
int hi2_country_ok(const char cc[3]);

/* Checks every field of iri (the LIID is checked by the caller, it differs per path). */
enum hi2_err hi2_iri_check(const struct hi2_eps_iri *iri, struct hi2_diag *d);
/* Writes the IRI-Parameters components (the SEQUENCE contents) with the given LIID. */
void hi2_iri_put_params(struct ovt_builder *b, const struct hi2_eps_iri *iri,
			const uint8_t *liid, size_t liid_len);
/* Decodes IRI-Parameters components from the contents t->val into *out (cleared first). */
enum hi2_err hi2_iri_get_params(const struct ber_tlv *t, struct hi2_eps_iri *out,
				struct hi2_diag *d);

#endif
