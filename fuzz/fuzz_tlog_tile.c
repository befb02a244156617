/*
 * libFuzzer target: the C2SP tlog-tiles readers of src/tlog/: hash tiles of every width and
 * entry bundles (uint16-prefixed entries), then every entry of a bundle through the entry
 * decoder.  The entries a bundle yields must lie inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tlog/entry.h"
#include "tlog/tile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ovt_cursor ents[TLOG_TILE_WIDTH];
	const uint8_t (*hashes)[TLOG_HASH_LEN];
	struct tlog_entry e;
	unsigned n, width;

	if (size == 0)
		return 0;
	/* First byte: the width the caller would expect (0 means a full tile). */
	width = data[0] == 0 ? TLOG_TILE_WIDTH : data[0];
	if (tlog_tile_parse(data + 1, size - 1, width, &hashes) == TLOG_OK &&
	    (size - 1) != (size_t)width * TLOG_HASH_LEN)
		abort();
	if (tlog_bundle_parse(data, size, ents, &n) == TLOG_OK || n > 0) {
		if (n > TLOG_TILE_WIDTH)
			abort();
		for (unsigned i = 0; i < n; i++) {
			if (cur_data(&ents[i]) < data ||
			    cur_data(&ents[i]) + cur_len(&ents[i]) > data + size)
				abort();
			(void)tlog_entry_decode(cur_data(&ents[i]), cur_len(&ents[i]), &e);
		}
	}
	return 0;
}
