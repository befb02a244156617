/*
 * libFuzzer target for the MDF's spool record parser (src/mdf/mdf_record.c): records are read
 * back from disk at start-up and before sending, so they are outside input.  An accepted
 * record must iterate to exactly its counts, and its PS-PDU region must split into exactly
 * its PDUs with hi2_split (what the link relies on to send only whole PDUs).
 */
#include <stdint.h>
#include <stdlib.h>

#include "mdf/mdf_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mdf_record r;
	struct mdf_rec_seq q;
	uint64_t fp;
	uint32_t n = 0;
	struct ovt_cursor c;

	if (mdf_record_parse(data, size, 0, &r) != MDF_REC_OK)
		return 0;
	while (mdf_record_next_fp(&r, &fp))
		n++;
	if (n != r.npdu)
		abort();
	n = 0;
	while (mdf_record_next_seq(&r, &q)) {
		if (q.liid_len < 1 || q.liid_len > HI2_LIID_MAX)
			abort();
		n++;
	}
	if (n != r.nseq)
		abort();
	c = r.pdus;
	for (n = 0; cur_len(&c) > 0; n++) {
		size_t len;
		struct hi2_diag d;
		if (hi2_split(cur_data(&c), cur_len(&c), cur_len(&c), &len, &d) != HI2_OK ||
		    !cur_skip(&c, len))
			abort();
	}
	if (n != r.npdu)
		abort();
	return 0;
}
