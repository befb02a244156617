/*
 * Writes received X2/X3 PDUs into a pcap file as synthesized Ethernet/IPv4/TCP segments, one
 * whole PDU per segment, so that `tshark -r F -d tcp.port==PORT,5gli` decodes each of them
 * (tshark 4.0's 5gli dissector does no TCP reassembly, STANDARDS 1.5).  Used by the test sink
 * (tools/x2x3_sink.c) and the tshark cross-check tests; the file is written with libpcap.
 *
 * Each connection (x2x3_peer.id) becomes one TCP stream: source = the peer's IPv4 address and
 * port (192.0.2.1 for IPv6 peers), destination 127.0.0.1:dst_port, sequence numbers
 * continuing across its PDUs.  PDUs above X2X3_PCAP_MAX_PDU octets do not fit an IPv4 packet:
 * they are skipped and counted.  The file holds intercepted payload: lab use only.
 * Thread safety: one writer per thread.
 */
#ifndef OVERT_X2X3_X2X3_PCAP_H
#define OVERT_X2X3_X2X3_PCAP_H

#include <stdint.h>

#include "common/bytes.h"
#include "x2x3/x2x3_receiver.h"

#define X2X3_PCAP_MAX_PDU (65535 - 20 - 20)	/* IPv4 total length minus IP and TCP headers */
#define X2X3_PCAP_STREAMS 256			/* streams tracked; the oldest is reused */

struct x2x3_pcap;

/* Creates (truncates) path.  NULL on failure (errno may tell). */
struct x2x3_pcap *x2x3_pcap_open(const char *path, uint16_t dst_port);
/* Appends one PDU.  Returns 0, 1 if skipped (too big for one segment), -1 on a write error. */
int x2x3_pcap_write(struct x2x3_pcap *, const struct x2x3_peer *peer, struct ovt_cursor pdu);
/* PDUs skipped as too big. */
uint64_t x2x3_pcap_skipped(const struct x2x3_pcap *);
/* Hands buffered records to the kernel (write(2)): they survive the process dying.  Returns 0,
 * or -1 if a write failed at any point.  NULL is a no-op. */
int x2x3_pcap_flush(struct x2x3_pcap *);
/* Flushes and closes; returns 0, or -1 if a write failed at any point. */
int x2x3_pcap_close(struct x2x3_pcap *);

#endif
