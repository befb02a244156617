/*
 * Target identities -> tasks, for the POI's matching.
 *
 * An identity (IMSI, MSISDN/E.164 or IMEI) is packed into a 64-bit key: the digits as a decimal
 * number, their count (leading zeros matter: "001..." is not "1...") and the kind.  Matching a
 * subscriber then costs three hash probes on integers, no string compares.
 *
 * X1 changes update the table by the changed task's identities (add, remove) and bump a
 * generation counter; sessions cache their match with the generation it was computed for, so
 * the per-packet cost is one integer compare (poi_core.c session_match).
 *
 * IMEI: X1 carries 14 digits without the check digit (TS 103 221-1 imei pattern); GTPv2's MEI
 * carries an IMEI (15 digits incl. check digit) or IMEISV (16 digits).  Both are matched on
 * their first 14 digits, which identify the device (3GPP TS 23.003 clause 6.2).
 * Thread safety: none; owned by the POI's single thread.
 */
#ifndef OVERT_POI_TARGETS_H
#define OVERT_POI_TARGETS_H

#include <stddef.h>
#include <stdint.h>

enum poi_id_kind { POI_ID_IMSI = 1, POI_ID_MSISDN = 2, POI_ID_IMEI = 3 };

#define POI_TARGETS_MAX_PER_ID 16	/* warrants naming the same identity at once */

/* Packs digits into a key.  For POI_ID_IMEI only the first 14 digits are used (14..16 accepted).
 * Returns 0 (no key: empty, too long, non-digit) or the key. */
uint64_t poi_id_key(enum poi_id_kind kind, const char *digits, size_t len);

struct poi_targets;

/* Returns NULL on allocation failure. */
struct poi_targets *poi_targets_new(void);
void poi_targets_free(struct poi_targets *);
/* Empties the table (keeps memory) before a rebuild. */
void poi_targets_clear(struct poi_targets *);
/* Adds (key -> task).  Returns 0, or -1 on ENOMEM or more than POI_TARGETS_MAX_PER_ID tasks. */
int poi_targets_add(struct poi_targets *, uint64_t key, void *task);
/* Removes (key -> task); a key left without tasks leaves the table.  Returns 1 if it was
 * there, else 0. */
int poi_targets_remove(struct poi_targets *, uint64_t key, const void *task);
/* Tasks for a key: returns the count (0 if none) and points *out at them (valid until the next
 * add/remove/clear). */
size_t poi_targets_find(const struct poi_targets *, uint64_t key, void *const **out);
size_t poi_targets_count(const struct poi_targets *);

#endif
