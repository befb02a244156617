/*
 * libFuzzer target for the link/IP/UDP decoder.  The first input octet picks the link type,
 * the rest is the captured frame; a UDP payload on the GTP ports goes on to the GTP decoders.
 */
#include <stdint.h>
#include <stddef.h>

#include "common/bytes.h"
#include "gtp/gtp.h"
#include "pkt/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int lt[] = {PKT_DLT_NULL, PKT_DLT_EN10MB, PKT_DLT_RAW, PKT_LINKTYPE_RAW,
	    PKT_DLT_LOOP, PKT_DLT_LINUX_SLL, PKT_LINKTYPE_IPV4, PKT_LINKTYPE_IPV6,
	    PKT_DLT_LINUX_SLL2, PKT_DLT_RAW_OPENBSD};
	struct pkt_info pi;
	struct gtpu_hdr u;
	struct gtpc_msg m[GTPC_MAX_PIGGY];
	struct ovt_cursor c;
	uint8_t sel;
	size_t n;

	cur_init(&c, data, size);
	if (!cur_get_u8(&c, &sel))
		return 0;
	if (pkt_decode(lt[sel % (sizeof(lt) / sizeof(lt[0]))], cur_data(&c), cur_len(&c), &pi) !=
	    PKT_OK)
		return 0;
	if (pi.dport == GTPU_PORT)
		(void)gtpu_parse(pi.payload.p, pi.payload.len, &u, &n);
	else if (pi.dport == GTPC_PORT || pi.sport == GTPC_PORT)
		(void)gtpc_parse(pi.payload.p, pi.payload.len, m, &n);
	return 0;
}
