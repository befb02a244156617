/*
 * GTP-U decoder (3GPP TS 29.281): the header with its optional fields and extension-header
 * chain, and the T-PDU of a G-PDU.  On the per-packet hot path: no allocation, one bounded loop.
 */
#include "gtp/gtp.h"

#include <string.h>

int
gtpu_msg_known(uint8_t type)
{
	return type == GTPU_ECHO_REQ || type == GTPU_ECHO_RESP || type == GTPU_ERROR_IND ||
	    type == GTPU_SUPPORTED_EXT_NOTIF || type == GTPU_END_MARKER || type == GTPU_GPDU;
}

enum gtp_err
gtpu_parse(const uint8_t *p, size_t len, struct gtpu_hdr *out, size_t *trailing)
{
	struct ovt_cursor c, body;
	uint8_t next;

	out->n_ext = 0;
	out->seq = 0;
	out->npdu = 0;
	*trailing = 0;
	cur_init(&c, p, len);
	/* 29.281 5.1: flags (version 3 bits, PT, spare, E, S, PN), type, length, TEID. */
	if (!cur_get_u8(&c, &out->flags) || !cur_get_u8(&c, &out->type) ||
	    !cur_get_u16(&c, &out->length) || !cur_get_u32(&c, &out->teid))
		return GTP_E_SHORT_HDR;
	if ((out->flags >> 5) != 1)
		return GTP_E_VERSION;
	if (!(out->flags & GTPU_FLAG_PT))
		return GTP_E_PT;
	/* The length covers everything after the first 8 octets, optional fields included. */
	if (!cur_get_sub(&c, &body, out->length))
		return GTP_E_LENGTH;
	*trailing = cur_len(&c);
	if (out->flags & (GTPU_FLAG_E | GTPU_FLAG_S | GTPU_FLAG_PN)) {
		/* The 4 optional octets are present when any of E, S, PN is set; each field is
		 * meaningful only under its own flag (29.281 5.1 NOTE). */
		if (!cur_get_u16(&body, &out->seq) || !cur_get_u8(&body, &out->npdu) ||
		    !cur_get_u8(&body, &next))
			return GTP_E_SHORT_HDR;
		if (!(out->flags & GTPU_FLAG_S))
			out->seq = 0;
		if (!(out->flags & GTPU_FLAG_PN))
			out->npdu = 0;
		if (!(out->flags & GTPU_FLAG_E))
			next = 0;
		/* 29.281 5.2: each extension header is length (4-octet units, > 0), content and
		 * the next type; type 0 ends the chain. */
		while (next != 0) {
			struct ovt_cursor ext;
			uint8_t units;

			if (out->n_ext >= GTPU_MAX_EXT)
				return GTP_E_EXT_COUNT;
			out->ext_types[out->n_ext++] = next;
			if (!cur_get_u8(&body, &units) || units == 0 ||
			    !cur_get_sub(&body, &ext, (size_t)units * 4 - 2) ||
			    !cur_get_u8(&body, &next))
				return GTP_E_EXT_HDR;
		}
	}
	out->payload = body;
	return GTP_OK;
}
