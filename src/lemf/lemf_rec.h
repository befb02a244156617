/*
 * Record encoders of the LEMF's output files, pure functions of decoded PDUs (no I/O):
 *
 * cc.pcap  pcapng (a Section Header Block, one Interface Description Block with LINKTYPE_RAW,
 *          101: the packet starts with an IPv4 or IPv6 header, told apart by its version
 *          nibble; microsecond timestamps), then one Enhanced Packet Block per CC item: the
 *          user packet exactly as carried, stamped with the PDU's original time, and its
 *          direction seen from the target in the epb_flags option (inbound: to the target,
 *          outbound: from the target, 0: not known), which Wireshark shows and filters on
 *          (frame.packet_flags_direction).  Written big-endian, which pcapng readers accept.
 *          The name keeps ".pcap" (Wireshark and tcpdump tell the formats apart by content).
 *          Files begun by an earlier LEMF are classic libpcap (magic a1 b2 c3 d4, no
 *          direction): they are read, and continued in their own format until their next
 *          rotation.
 * iri.jsonl  one JSON object per line per IRI item (docs/lemf.md lists the members): LIID,
 *          CIN, sequence number, IRI record type, event, times, identities, APN, PAA as text
 *          addresses, EBI, ULI decoded as TAI/ECGI, RAT...  Strings from the wire are escaped
 *          so that the line is plain ASCII: '"', '\\' and bytes outside 0x20..0x7e as \u00XX.
 *
 * Also the readers used by recovery and `overt lemf report --verify`: the file header check
 * and a record walker for both formats (cursor based, every length checked; only the layout
 * this module writes is accepted).
 * Thread safety: reentrant; no global state.
 */
#ifndef OVERT_LEMF_LEMF_REC_H
#define OVERT_LEMF_LEMF_REC_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "hi2/hi2.h"

#define LEMF_PCAP_LINKTYPE	101		/* LINKTYPE_RAW */
#define LEMF_PCAP_SNAPLEN	HI2_MAX_PDU	/* no packet in a PS-PDU can be larger */
#define LEMF_JSON_MAX		(64 * 1024)	/* an IRI line is under 4 KiB; hard cap */

/* ---- pcap ---------------------------------------------------------------------------------- */

enum lemf_pcap_fmt {
	LEMF_PCAP_BAD = 0,	/* not a file header we write */
	LEMF_PCAP_CLASSIC,	/* libpcap 2.4: written by earlier LEMFs, read and continued */
	LEMF_PCAP_NG,		/* pcapng: what new files get */
};

/* File header sizes: pcapng SHB (28) + IDB (20); classic 24.  The largest is what a reader
 * must have at hand to tell them apart. */
#define LEMF_PCAP_FILEHDR		48
#define LEMF_PCAP_CLASSIC_FILEHDR	24
/* Per record: pcapng EPB up to the packet (28) and after it (padding to 4 octets, the
 * epb_flags option 8, opt_endofopt 4, the repeated block length 4); classic 16 and nothing. */
#define LEMF_PCAP_RECHDR		28
#define LEMF_PCAP_RECTRL_MAX		19
#define LEMF_PCAP_CLASSIC_RECHDR	16

/* Direction seen from the target: the values of the pcapng epb_flags direction bits. */
enum lemf_dir {
	LEMF_DIR_UNKNOWN = 0,
	LEMF_DIR_TO_TARGET = 1,		/* inbound */
	LEMF_DIR_FROM_TARGET = 2,	/* outbound */
};

/* The file header of fmt (CLASSIC or NG) into out; returns its length. */
size_t lemf_pcap_filehdr(uint8_t out[static LEMF_PCAP_FILEHDR], enum lemf_pcap_fmt fmt);
/* Which header c starts with: NG or CLASSIC if it is exactly one this module writes (c may
 * hold more than the header), else BAD. */
enum lemf_pcap_fmt lemf_pcap_filehdr_ok(struct ovt_cursor c);
/* Header length of fmt: 48, 24, or 0 for BAD. */
size_t lemf_pcap_filehdr_len(enum lemf_pcap_fmt fmt);

/* One record for a packet of len octets at (sec, usec), usec < 1000000 (see lemf_cc_time):
 * *hdrlen octets go before the packet (into hdr) and *trllen after it (into trl, 0 for
 * CLASSIC, which has no direction).  fmt is CLASSIC or NG. */
void lemf_pcap_record(enum lemf_pcap_fmt fmt, uint32_t sec, uint32_t usec, uint32_t len,
		      enum lemf_dir dir, uint8_t hdr[static LEMF_PCAP_RECHDR], size_t *hdrlen,
		      uint8_t trl[static LEMF_PCAP_RECTRL_MAX], size_t *trllen);

struct lemf_pcap_rec {
	uint32_t sec, usec;
	enum lemf_dir dir;		/* UNKNOWN in a classic file */
	struct ovt_cursor pkt;
};
/* Reads one record of a file of format fmt from c (positioned after the file header or a
 * previous record): 1 with *r filled, or 0 (c unchanged) if what remains is not one whole
 * record as this module writes it (truncated, a length over the snap length, a captured
 * length other than the original one, usec >= 10^6, another block type, options or direction
 * bits it does not write). */
int lemf_pcap_next(struct ovt_cursor *c, enum lemf_pcap_fmt fmt, struct lemf_pcap_rec *r);

/* The direction of a CC item: CCPayload.payloadDirection (fromTarget 0, toTarget 1), else
 * the ULIC t-PDU-direction (fromTarget 1, toTarget 2); UNKNOWN for the other values. */
enum lemf_dir lemf_cc_dir(const struct hi2_cc_item *it);

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
