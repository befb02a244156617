/*
 * Per-connection PS-PDU stream handler (contract in lemf_rx.h).  The buffer only ever holds
 * the tail of the stream that is not yet a whole PDU; every call handles what is complete and
 * moves the rest to the front, so the loop below is bounded by the octets received.
 */
#include "lemf/lemf_rx.h"

#include <stdlib.h>
#include <string.h>

void
lemf_rx_init(struct lemf_rx *rx, size_t max_pdu, struct lemf_rx_stats *st)
{
	memset(rx, 0, sizeof(*rx));
	rx->max_pdu = max_pdu;
	rx->st = st;
}

void
lemf_rx_cleanup(struct lemf_rx *rx)
{
	free(rx->buf);
	rx->buf = NULL;
	rx->len = rx->cap = 0;
}

size_t
lemf_rx_buffered(const struct lemf_rx *rx)
{
	return rx->len;
}

const char *
lemf_rx_reason(enum hi2_err e)
{
	static const char *const names[HI2_E__COUNT] = {
		[HI2_OK] = "ok", [HI2_E_BER] = "ber", [HI2_E_TAG] = "tag",
		[HI2_E_ORDER] = "order", [HI2_E_VALUE] = "value",
		[HI2_E_PARTY_FORM] = "party_form", [HI2_E_UNSUPPORTED] = "unsupported",
		[HI2_E_TOO_BIG] = "too_big", [HI2_E_NEED_MORE] = "need_more",
		[HI2_E_FRAMING] = "framing", [HI2_E_ARG] = "arg", [HI2_E_SPACE] = "space",
	};
	if ((unsigned)e >= HI2_E__COUNT || names[e] == NULL)
		return "unknown";
	return names[e];
}

int
lemf_rx_space(struct lemf_rx *rx, uint8_t **p, size_t *n)
{
	size_t want = rx->len + 1;

	if (rx->need > want)
		want = rx->need;
	if (rx->cap < want || rx->buf == NULL) {
		size_t ncap = rx->cap ? rx->cap * 2 : LEMF_RX_MIN_BUF;
		uint8_t *nb;
		if (ncap < want)
			ncap = want;
		if (ncap > rx->max_pdu)
			ncap = rx->max_pdu;	/* want <= max_pdu: hi2_split refuses bigger */
		if (ncap < want || (nb = realloc(rx->buf, ncap)) == NULL)
			return -1;
		rx->buf = nb;
		rx->cap = ncap;
	}
	*p = rx->buf + rx->len;
	*n = rx->cap - rx->len;
	return 0;
}

static enum lemf_rx_res
handle(struct lemf_rx *rx, const struct lemf_rx_ops *ops, void *arg)
{
	size_t off = 0, plen;
	enum lemf_rx_res res = LEMF_RX_OK;

	while (off < rx->len) {
		struct hi2_diag d;
		struct hi2_pdu pdu;
		const uint8_t *raw = rx->buf + off;
		enum hi2_err e = hi2_split(raw, rx->len - off, rx->max_pdu, &plen, &d);

		if (e == HI2_E_NEED_MORE) {
			rx->need = plen;	/* 0 while the header itself is incomplete */
			break;
		}
		if (e != HI2_OK) {
			rx->st->refused[e]++;
			rx->err = e;
			rx->diag = d;
			rx->dead = 1;
			res = LEMF_RX_FRAMING;
			break;
		}
		rx->need = 0;
		off += plen;
		if ((e = hi2_decode(raw, plen, &pdu, &d)) != HI2_OK) {
			rx->st->refused[e]++;
			if (e == HI2_E_BER && (unsigned)d.ber < BER_E__COUNT)
				rx->st->ber[d.ber]++;
			if (ops->bad != NULL)
				ops->bad(arg, e, &d, raw, plen);
			continue;
		}
		if ((unsigned)pdu.kind < 4)
			rx->st->pdus[pdu.kind]++;
		if (ops->pdu(arg, &pdu, raw, plen) != 0) {
			rx->dead = 1;
			res = LEMF_RX_STOP;
			break;
		}
	}
	if (off > 0) {
		memmove(rx->buf, rx->buf + off, rx->len - off);
		rx->len -= off;
	}
	if (rx->len == 0 && rx->cap > LEMF_RX_KEEP_BUF) {
		/* A large PDU went through: give the memory back while the stream is idle. */
		lemf_rx_cleanup(rx);
	}
	return res;
}

enum lemf_rx_res
lemf_rx_commit(struct lemf_rx *rx, size_t n, const struct lemf_rx_ops *ops, void *arg)
{
	if (rx->dead)
		return rx->err != HI2_OK ? LEMF_RX_FRAMING : LEMF_RX_STOP;
	rx->len += n;
	rx->st->bytes += n;
	return handle(rx, ops, arg);
}

enum lemf_rx_res
lemf_rx_feed(struct lemf_rx *rx, const uint8_t *p, size_t n, const struct lemf_rx_ops *ops,
	     void *arg)
{
	enum lemf_rx_res r = LEMF_RX_OK;

	while (n > 0 && r == LEMF_RX_OK) {
		uint8_t *dst;
		size_t room;
		if (rx->dead)
			return rx->err != HI2_OK ? LEMF_RX_FRAMING : LEMF_RX_STOP;
		if (lemf_rx_space(rx, &dst, &room) != 0)
			return LEMF_RX_NOMEM;
		if (room > n)
			room = n;
		memcpy(dst, p, room);
		p += room;
		n -= room;
		r = lemf_rx_commit(rx, room, ops, arg);
	}
	return r;
}
