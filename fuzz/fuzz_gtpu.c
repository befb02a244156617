/*
 * libFuzzer target for the GTP-U decoder (header, optional fields, extension-header chain)
 * and for the inner-packet decoder it hands the T-PDU to.
 */
#include <stdint.h>
#include <stddef.h>

#include "gtp/gtp.h"
#include "pkt/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gtpu_hdr u;
	struct pkt_info in;
	size_t trailing;

	if (gtpu_parse(data, size, &u, &trailing) != GTP_OK)
		return 0;
	if (u.type == GTPU_GPDU)
		(void)pkt_decode_ip(u.payload.p, u.payload.len, &in);
	return 0;
}
