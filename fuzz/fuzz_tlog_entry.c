/*
 * libFuzzer target: the log entry decoder and the key=value text parser (src/tlog/entry*.c).
 * Canonical encoding is checked as a property: whatever the decoder accepts must re-encode to
 * exactly the same bytes, and its text form must parse back to the same entry.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "tlog/entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[TLOG_ENTRY_TEXT_MAX];
	static uint8_t buf[TLOG_ENTRY_MAX], buf2[TLOG_ENTRY_MAX];
	struct tlog_entry e, t;
	struct ovt_builder b;
	size_t n;

	if (tlog_entry_decode(data, size, &e) == TLOG_OK) {
		bld_init_fixed(&b, buf, sizeof(buf));
		if (tlog_entry_encode(&e, &b) != TLOG_OK || bld_len(&b) != size ||
		    memcmp(buf, data, size) != 0)
			abort();	/* accepted a non-canonical encoding */
		if ((n = tlog_entry_format_text(&e, 0, text, sizeof(text))) == 0)
			abort();
		if (tlog_entry_parse_text(text, n, &t) != TLOG_OK)
			abort();
		t.seq = e.seq;
		t.time_ms = e.time_ms;
		bld_init_fixed(&b, buf2, sizeof(buf2));
		if (tlog_entry_encode(&t, &b) != TLOG_OK || bld_len(&b) != size ||
		    memcmp(buf2, data, size) != 0)
			abort();	/* text form lost or changed something */
	}
	if (tlog_entry_parse_text((const char *)data, size, &t) == TLOG_OK) {
		bld_init_fixed(&b, buf, sizeof(buf));
		if (tlog_entry_encode(&t, &b) != TLOG_OK)
			abort();
	}
	return 0;
}
