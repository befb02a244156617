/*
 * Synthesized-TCP pcap writer for received X2/X3 PDUs (see x2x3_pcap.h).  Headers are built
 * with struct ovt_builder; libpcap writes the file format.
 */
#include "x2x3/x2x3_pcap.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "pkt/pkt_csum.h"

#define HDRS_LEN (14 + 20 + 20)

struct stream {
	uint64_t id;	/* peer id, 0 = free */
	uint64_t used;	/* last use, for reuse of the oldest */
	uint32_t seq;
};

struct x2x3_pcap {
	pcap_t *dead;
	pcap_dumper_t *d;
	uint16_t dst_port;
	uint64_t skipped, tick;
	int failed;
	struct stream streams[X2X3_PCAP_STREAMS];
	uint8_t pkt[HDRS_LEN + X2X3_PCAP_MAX_PDU];
};

struct x2x3_pcap *
x2x3_pcap_open(const char *path, uint16_t dst_port)
{
	struct x2x3_pcap *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->dst_port = dst_port;
	if ((w->dead = pcap_open_dead(DLT_EN10MB, 65535)) == NULL ||
	    (w->d = pcap_dump_open(w->dead, path)) == NULL) {
		if (w->dead != NULL)
			pcap_close(w->dead);
		free(w);
		return NULL;
	}
	return w;
}

static struct stream *
stream_for(struct x2x3_pcap *w, uint64_t id)
{
	struct stream *oldest = &w->streams[0];
	for (size_t i = 0; i < X2X3_PCAP_STREAMS; i++) {
		struct stream *s = &w->streams[i];
		if (s->id == id) {
			s->used = ++w->tick;
			return s;
		}
		if (s->used < oldest->used)
			oldest = s;
	}
	oldest->id = id;
	oldest->used = ++w->tick;
	oldest->seq = 1;
	return oldest;
}

int
x2x3_pcap_write(struct x2x3_pcap *w, const struct x2x3_peer *peer, struct ovt_cursor pdu)
{
	static const uint8_t mac_dst[6] = {0x02, 0, 0, 0, 0, 0x02};
	static const uint8_t mac_src[6] = {0x02, 0, 0, 0, 0, 0x01};
	size_t n = cur_len(&pdu);
	struct ovt_builder b;
	struct in_addr src = {htonl(0xc0000201)};	/* 192.0.2.1 for non-IPv4 peers */
	struct pcap_pkthdr h;
	struct timeval tv;

	if (n > X2X3_PCAP_MAX_PDU) {
		w->skipped++;
		return 1;
	}
	if (inet_pton(AF_INET, peer->addr, &src) != 1)
		src.s_addr = htonl(0xc0000201);
	struct stream *s = stream_for(w, peer->id);

	bld_init_fixed(&b, w->pkt, sizeof(w->pkt));
	bld_add_bytes(&b, mac_dst, 6);
	bld_add_bytes(&b, mac_src, 6);
	bld_add_u16(&b, 0x0800);
	/* IPv4: version 4, IHL 5, total length, DF, TTL 64, protocol TCP. */
	size_t ip_off = bld_len(&b);
	bld_add_u8(&b, 0x45);
	bld_add_u8(&b, 0);
	bld_add_u16(&b, (uint16_t)(20 + 20 + n));
	bld_add_u16(&b, 0);
	bld_add_u16(&b, 0x4000);
	bld_add_u8(&b, 64);
	bld_add_u8(&b, 6);
	bld_add_u16(&b, 0);
	bld_add_u32(&b, ntohl(src.s_addr));
	bld_add_u32(&b, 0x7f000001);
	/* TCP: PSH|ACK, data offset 5; checksum left 0 (tshark does not verify by default). */
	bld_add_u16(&b, peer->port ? peer->port : 40000);
	bld_add_u16(&b, w->dst_port);
	bld_add_u32(&b, s->seq);
	bld_add_u32(&b, 1);
	bld_add_u16(&b, 0x5018);
	bld_add_u16(&b, 65535);
	bld_add_u16(&b, 0);
	bld_add_u16(&b, 0);
	bld_add_bytes(&b, cur_data(&pdu), n);
	if (!bld_ok(&b))
		return -1;
	bld_put_u16_at(&b, ip_off + 10, pkt_csum_fold(pkt_csum_add(0, w->pkt + ip_off, 20)));
	s->seq += (uint32_t)n;

	gettimeofday(&tv, NULL);
	h.ts = tv;
	h.caplen = h.len = (bpf_u_int32)bld_len(&b);
	pcap_dump((u_char *)w->d, &h, w->pkt);
	/* Flush per PDU: the sink may be killed, and tests read the file while it runs. */
	if (pcap_dump_flush(w->d) != 0) {
		w->failed = 1;
		return -1;
	}
	return 0;
}

uint64_t
x2x3_pcap_skipped(const struct x2x3_pcap *w)
{
	return w->skipped;
}

int
x2x3_pcap_flush(struct x2x3_pcap *w)
{
	if (w == NULL)
		return 0;
	return (pcap_dump_flush(w->d) != 0 || w->failed) ? -1 : 0;
}

int
x2x3_pcap_close(struct x2x3_pcap *w)
{
	int rc;
	if (w == NULL)
		return 0;
	rc = (pcap_dump_flush(w->d) != 0 || w->failed) ? -1 : 0;
	pcap_dump_close(w->d);
	pcap_close(w->dead);
	free(w);
	return rc;
}
