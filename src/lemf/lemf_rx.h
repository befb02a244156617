/*
 * The per-connection stream handler of the LEMF: bytes of one HI2/HI3 TCP stream in, decoded
 * PS-PDUs out.  PS-PDUs are self-delimiting BER SEQUENCEs back to back (TS 102 232-1, no other
 * framing), so hi2_split() finds each boundary from the outer header alone, and hi2_decode()
 * then checks the whole PDU (BER bombs included, docs/hi2.md).
 *
 * Two kinds of bad input, handled differently:
 *   - a PDU whose outer header is sane but whose contents are refused (malformed BER, schema
 *     error, an alternative we do not decode): counted by reason, handed to ops->bad for the
 *     report, skipped; the following PDUs of the connection are still delivered;
 *   - an unusable outer header (not a definite-length SEQUENCE, or over max_pdu): the next
 *     boundary cannot be found, so the stream stops (LEMF_RX_FRAMING) and the caller closes the
 *     connection.  Nothing decoded before it is lost.
 *
 * Memory: one buffer per connection, allocated on the first read at 16 KiB, grown to the size
 * of the largest incomplete PDU seen (at most max_pdu), released when it is empty and larger
 * than 64 KiB.  The handler never holds more than one incomplete PDU plus one read.
 * Thread safety: a struct lemf_rx belongs to one thread; the stats may be shared by the
 * handlers of one thread (the server aggregates per listening port).
 */
#ifndef OVERT_LEMF_LEMF_RX_H
#define OVERT_LEMF_LEMF_RX_H

#include <stddef.h>
#include <stdint.h>

#include "hi2/hi2.h"

#define LEMF_RX_MIN_BUF		(16 * 1024)
#define LEMF_RX_KEEP_BUF	(64 * 1024)

struct lemf_rx_stats {
	uint64_t bytes;			/* octets received */
	uint64_t pdus[4];		/* PDUs decoded, by enum hi2_kind (1 IRI, 2 CC, 3 TRI) */
	uint64_t refused[HI2_E__COUNT];	/* PDUs refused / streams stopped, by enum hi2_err */
	uint64_t ber[BER_E__COUNT];	/* the X.690 detail of the HI2_E_BER refusals */
};

struct lemf_rx_ops {
	/* A PDU that decoded.  pdu's items can be iterated; pdu and raw are valid only during
	 * the call.  Return 0 to go on, -1 to stop the stream (LEMF_RX_STOP). */
	int (*pdu)(void *arg, struct hi2_pdu *pdu, const uint8_t *raw, size_t len);
	/* A PDU with a sane outer header whose contents were refused (may be NULL). */
	void (*bad)(void *arg, enum hi2_err e, const struct hi2_diag *d, const uint8_t *raw,
		    size_t len);
};

enum lemf_rx_res {
	LEMF_RX_OK = 0,		/* every complete PDU handled; waiting for more bytes */
	LEMF_RX_STOP,		/* ops->pdu returned -1 */
	LEMF_RX_FRAMING,	/* outer header unusable: rx->err/rx->diag say why; stream dead */
	LEMF_RX_NOMEM,		/* buffer allocation failed */
};

struct lemf_rx {
	uint8_t *buf;
	size_t len;		/* octets held (an incomplete PDU) */
	size_t cap;
	size_t need;		/* size of the incomplete PDU when its header is known, else 0 */
	size_t max_pdu;
	int dead;
	enum hi2_err err;	/* LEMF_RX_FRAMING: HI2_E_FRAMING or HI2_E_TOO_BIG */
	struct hi2_diag diag;
	struct lemf_rx_stats *st;
};

/* max_pdu: the largest PS-PDU accepted (1 KiB .. HI2_MAX_PDU); st is borrowed and must
 * outlive rx.  No allocation. */
void lemf_rx_init(struct lemf_rx *rx, size_t max_pdu, struct lemf_rx_stats *st);
void lemf_rx_cleanup(struct lemf_rx *rx);

/* Where the next read goes: *n >= 1 octets at *p.  Returns 0, or -1 if the buffer could not be
 * allocated. */
int lemf_rx_space(struct lemf_rx *rx, uint8_t **p, size_t *n);
/* n octets were read into the space: handles every complete PDU, in order. */
enum lemf_rx_res lemf_rx_commit(struct lemf_rx *rx, size_t n, const struct lemf_rx_ops *ops,
				void *arg);
/* Same for bytes held elsewhere (tests, fuzzing): copies them in as reads would. */
enum lemf_rx_res lemf_rx_feed(struct lemf_rx *rx, const uint8_t *p, size_t n,
			      const struct lemf_rx_ops *ops, void *arg);
/* Octets of an incomplete PDU held (non-zero at EOF = the peer cut a PDU short). */
size_t lemf_rx_buffered(const struct lemf_rx *rx);

/* Short name of a refusal reason for counters ("ber", "tag", "unsupported"...). */
const char *lemf_rx_reason(enum hi2_err e);

#endif
