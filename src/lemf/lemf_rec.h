/*
 * Record encoders of the LEMF's output files, pure functions of decoded PDUs (no I/O):
 *
 * cc.pcap  classic libpcap format, LINKTYPE_RAW (101: the packet starts with an IPv4 or IPv6
 *          header, told apart by its version nibble), microsecond timestamps.  Written
 *          big-endian (magic a1 b2 c3 d4), which every pcap reader accepts.  One record per
 *          CC item, the user packet exactly as carried, stamped with the PDU's original time.
 * iri.jsonl  one JSON object per line per IRI item (docs/lemf.md lists the members): LIID,
 *          CIN, sequence number, IRI record type, event, times, identities, APN, PAA as text
 *          addresses, EBI, ULI decoded as TAI/ECGI, RAT...  Strings from the wire are escaped
 *          so that the line is plain ASCII: '"', '\\' and bytes outside 0x20..0x7e as \u00XX.
 *
 * Also the readers used by recovery and `overt lemf report --verify`: the pcap file header
 * check and a record walker (cursor based, every length checked).
 * Thread safety: reentrant; no global state.
 */
#ifndef OVERT_LEMF_LEMF_REC_H
#define OVERT_LEMF_LEMF_REC_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "hi2/hi2.h"

#define LEMF_PCAP_FILEHDR	24
#define LEMF_PCAP_RECHDR	16
#define LEMF_PCAP_LINKTYPE	101		/* LINKTYPE_RAW */
#define LEMF_PCAP_SNAPLEN	HI2_MAX_PDU	/* no packet in a PS-PDU can be larger */
#define LEMF_JSON_MAX		(64 * 1024)	/* an IRI line is under 4 KiB; hard cap */

/* ---- pcap ---------------------------------------------------------------------------------- */

/* The 24-octet file header. */
void lemf_pcap_filehdr(uint8_t out[static LEMF_PCAP_FILEHDR]);
/* 1 if c starts with a file header we write (magic, version 2.4, LINKTYPE_RAW), else 0. */
int lemf_pcap_filehdr_ok(struct ovt_cursor c);
/* The 16-octet record header for a packet of len octets at (sec, usec).  sec must fit 32 bits
 * and usec be < 1000000 (see lemf_cc_time). */
void lemf_pcap_rechdr(uint8_t out[static LEMF_PCAP_RECHDR], uint32_t sec, uint32_t usec,
		      uint32_t len);
/* Reads one record from c (positioned after the file header or a previous record): 1 and the
 * packet in *pkt, or 0 (c unchanged) if what remains is not one whole sane record (truncated,
 * incl_len over the snap length or over orig_len, usec >= 10^6). */
int lemf_pcap_next(struct ovt_cursor *c, uint32_t *sec, uint32_t *usec, struct ovt_cursor *pkt);

/* The timestamp of a CC item's packet: the PSHeader microSecondTimeStamp, else its timeStamp,
 * else CCPayload.timeStamp, else the ULIC timeStamp (seconds).  Returns 1 and (sec, usec) when
 * one is present and fits the pcap field (0 .. 2^32-1 s), else 0 (caller uses receive time). */
int lemf_cc_time(const struct hi2_pdu *pdu, const struct hi2_cc_item *it, uint32_t *sec,
		 uint32_t *usec);

/* ---- IRI JSON lines ------------------------------------------------------------------------ */

/* What the line says besides the IRI item itself. */
struct lemf_iri_ctx {
	const struct hi2_pdu *pdu;	/* LIID, CIN, seq, PSHeader times */
	unsigned item;			/* index of the item in its PDU, from 0 */
	int64_t recv_sec;		/* when the LEMF received it */
	uint32_t recv_usec;
};

/* Appends one JSON object and '\n' to b.  Returns 0, or -1 if b's sticky error is set (the
 * line did not fit; b is then unusable until bld_reset). */
int lemf_iri_json(struct ovt_builder *b, const struct lemf_iri_ctx *ctx,
		  const struct hi2_iri_item *it);

/* JSON string (with the quotes) of n bytes, escaped as above. */
void lemf_json_str(struct ovt_builder *b, const uint8_t *p, size_t n);
/* JSON value for a UTC time: "YYYY-MM-DDThh:mm:ss.uuuuuuZ" for years 1..9999, otherwise the
 * seconds as a number (a time no calendar printer should be trusted with). */
void lemf_json_time(struct ovt_builder *b, int64_t sec, uint32_t usec);

/* 33.108 EPSEvent name of code, or NULL if not one we know. */
const char *lemf_event_name(unsigned code);

#endif
