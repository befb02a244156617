/*
 * Independent decoder check: PDUs built by our sender cross loopback to our receiver, which
 * writes them into a pcap (x2x3_pcap); Wireshark's own 5gli dissector (tshark 4.0) must decode
 * every frame without a malformed-packet mark, and its li5g.* fields must equal what was sent
 * (type, format, direction, XID, correlation ID, sequence number, timestamp, addresses, ports,
 * protocol, NFID, IPID, matched target identifier, payload length, and for format 12 the GTP-U
 * TEID inside).  Skipped when tshark is not installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ev.h"
#include "common/uuid.h"
#include "x2x3/x2x3.h"
#include "x2x3/x2x3_pcap.h"
#include "x2x3/x2x3_receiver.h"
#include "x2x3/x2x3_sender.h"

#define NPDU 60
#define PCAP_PORT 19377

struct ctx {
	struct x2x3_pcap *pcap;
	size_t data, keepalives;
};

static void
on_pdu(void *arg, const struct x2x3_peer *peer, const struct x2x3_pdu *pdu, struct ovt_cursor raw)
{
	struct ctx *c = arg;
	assert_int_equal(x2x3_pcap_write(c->pcap, peer, raw), 0);
	if (pdu->type == X2X3_TYPE_KEEPALIVE)
		c->keepalives++;
	else
		c->data++;
}

/* GTP-U G-PDU (TEID 0x11223344) around an IPv4/UDP packet, as an S1-U probe sees it. */
static const uint8_t gtpu[] = {
	0x30, 0xff, 0x00, 0x21, 0x11, 0x22, 0x33, 0x44,
	0x45, 0x00, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	100, 64, 0, 5, 198, 51, 100, 7,
	0x9c, 0x41, 0x9c, 0x42, 0x00, 0x0d, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'};

static void
make(struct x2x3_pdu *p, int i, char *nfid, size_t nfidlen)
{
	x2x3_pdu_init(p);
	p->direction = (uint16_t)(1 + i % 5);
	memset(p->xid, 0, 16);
	p->xid[0] = 0x29;
	p->xid[15] = (uint8_t)(i % 3);
	p->correlation_id = 0x0102030405060700ull + (uint64_t)(i % 4);
	p->present = X2X3_HAS(X2X3_ATTR_TIMESTAMP) | X2X3_HAS(X2X3_ATTR_NFID) |
		     X2X3_HAS(X2X3_ATTR_IPID) | X2X3_HAS(X2X3_ATTR_SRC_IPV4) |
		     X2X3_HAS(X2X3_ATTR_DST_IPV4) | X2X3_HAS(X2X3_ATTR_SRC_PORT) |
		     X2X3_HAS(X2X3_ATTR_DST_PORT) | X2X3_HAS(X2X3_ATTR_IPPROTO);
	p->ts_sec = 1736936430u + (uint32_t)i;
	p->ts_nsec = 1000u * (uint32_t)i;
	snprintf(nfid, nfidlen, "sgw-%02d", i);
	cur_init(&p->nfid, nfid, strlen(nfid));
	cur_init(&p->ipid, "poi-1", 5);
	memcpy(p->src_ipv4, "\x64\x40\x00\x05", 4);
	memcpy(p->dst_ipv4, "\xc6\x33\x64\x07", 4);
	p->src_port = 40001;
	p->dst_port = (uint16_t)(40002 + i);
	p->ipproto = 17;
	switch (i % 3) {
	case 0:
		p->type = X2X3_TYPE_X2;
		p->format = X2X3_FMT_EPS_IRI;
		p->present |= X2X3_HAS(X2X3_ATTR_MTI);
		cur_init(&p->mti, "001010123456789", 15);
		cur_init(&p->payload, "\x30\x03\x80\x01\x01", 5);
		break;
	case 1:
		p->type = X2X3_TYPE_X3;
		p->format = X2X3_FMT_GTPU;
		cur_init(&p->payload, gtpu, sizeof(gtpu));
		break;
	default:
		p->type = X2X3_TYPE_X3;
		p->format = X2X3_FMT_IPV4;
		cur_init(&p->payload, gtpu + 8, sizeof(gtpu) - 8);
		break;
	}
}

static void
hex(const void *p, size_t n, char *out)
{
	hex_encode(p, n, out);
}

/* First value of a possibly repeated tshark field ("7,7" -> "7"). */
static void
first(char *field)
{
	char *comma = strchr(field, ',');
	/* The timestamp's own text contains ", " (month day, year): only cut at ",X" where
	 * the value repeats. */
	while (comma != NULL && comma[1] == ' ')
		comma = strchr(comma + 1, ',');
	if (comma != NULL)
		*comma = '\0';
}

static void
test_tshark_decodes_what_we_send(void **state)
{
	char pcap_path[64], cmd[1024], line[4096];
	struct ctx c;
	struct x2x3_receiver_config rc;
	struct x2x3_dest_config d;
	enum x2x3_err e;
	struct x2x3_pdu sent[NPDU];
	char nfids[NPDU][16];
	FILE *f;

	if (access("/usr/bin/tshark", X_OK) != 0)
		skip();
	signal(SIGPIPE, SIG_IGN);
	snprintf(pcap_path, sizeof(pcap_path), "/tmp/x2x3-tshark-%d.pcap", (int)getpid());
	memset(&c, 0, sizeof(c));
	assert_non_null(c.pcap = x2x3_pcap_open(pcap_path, PCAP_PORT));

	struct ev_loop *loop = ev_new();
	memset(&rc, 0, sizeof(rc));
	rc.bind_addr = "127.0.0.1";
	rc.insecure_plaintext = 1;
	rc.on_pdu = on_pdu;
	rc.arg = &c;
	struct x2x3_receiver *r = x2x3_receiver_new(loop, &rc, &e);
	assert_non_null(r);
	memset(&d, 0, sizeof(d));
	d.addr = "127.0.0.1";
	d.port = x2x3_receiver_port(r);
	d.insecure_plaintext = 1;
	struct x2x3_sender *s = x2x3_sender_new(loop, &d, &e);
	assert_non_null(s);
	for (int i = 0; i < NPDU; i++) {
		make(&sent[i], i, nfids[i], sizeof(nfids[i]));
		assert_int_equal(x2x3_sender_submit(s, &sent[i]), X2X3_OK);
	}
	uint64_t end = ev_now_ms() + 5000;
	while (c.data < NPDU && ev_now_ms() < end)
		ev_run_once(loop);
	assert_int_equal(c.data, NPDU);
	x2x3_sender_free(s);
	x2x3_receiver_free(r);
	ev_free(loop);
	assert_int_equal(x2x3_pcap_close(c.pcap), 0);

	/* 1. No frame is malformed. */
	snprintf(cmd, sizeof(cmd), "tshark -r %s -d tcp.port==%d,5gli -Y _ws.malformed 2>/dev/null",
		 pcap_path, PCAP_PORT);
	assert_non_null(f = popen(cmd, "r"));
	size_t malformed = 0;
	while (fgets(line, sizeof(line), f) != NULL)
		malformed++;
	assert_int_equal(pclose(f), 0);
	assert_int_equal(malformed, 0);

	/* 2. Field by field, in order (one connection keeps order). */
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -d tcp.port==%d,5gli -T fields -E separator='|' -e li5g.type "
		 "-e li5g.pf -e li5g.pd -e li5g.xid -e li5g.cid -e li5g.sq -e li5g.ts -e li5g.srcip "
		 "-e li5g.dstip -e li5g.srcport -e li5g.dstport -e li5g.ipproto -e li5g.nfid "
		 "-e li5g.ipid -e li5g.mti -e li5g.pl -e gtp.teid 2>/dev/null",
		 pcap_path, PCAP_PORT);
	assert_non_null(f = popen(cmd, "r"));
	size_t row = 0, data = 0, keepalives = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *fld[17], *p = line, want[160], xid[UUID_STRLEN + 1];
		size_t nf = 0;
		line[strcspn(line, "\n")] = '\0';
		while (nf < 17) {
			fld[nf++] = p;
			p = strchr(p, '|');
			if (p == NULL)
				break;
			*p++ = '\0';
		}
		assert_int_equal(nf, 17);
		for (size_t k = 0; k < nf; k++)
			first(fld[k]);
		row++;
		if (strcmp(fld[0], "3") == 0) {	/* keepalive: the sender's probe */
			assert_string_equal(fld[1], "0");
			assert_string_equal(fld[3], "00000000-0000-0000-0000-000000000000");
			keepalives++;
			continue;
		}
		assert_true(data < NPDU);
		const struct x2x3_pdu *x = &sent[data];
		snprintf(want, sizeof(want), "%u", x->type);
		assert_string_equal(fld[0], want);
		snprintf(want, sizeof(want), "%u", x->format);
		assert_string_equal(fld[1], want);
		snprintf(want, sizeof(want), "%u", x->direction);
		assert_string_equal(fld[2], want);
		uuid_format(x->xid, xid);
		assert_string_equal(fld[3], xid);
		snprintf(want, sizeof(want), "%016llx", (unsigned long long)x->correlation_id);
		assert_string_equal(fld[4], want);
		snprintf(want, sizeof(want), "%u", x->seq);
		assert_string_equal(fld[5], want);
		/* Sequence numbers are per XID: PDU i is the (i / 3)-th of its XID. */
		assert_int_equal(x->seq, data / 3);
		time_t t = (time_t)x->ts_sec;
		struct tm tm;
		char tbuf[64];
		gmtime_r(&t, &tm);
		strftime(tbuf, sizeof(tbuf), "%b %d, %Y %H:%M:%S", &tm);
		snprintf(want, sizeof(want), "%s.%09u UTC", tbuf, x->ts_nsec);
		assert_string_equal(fld[6], want);
		assert_string_equal(fld[7], "100.64.0.5");
		assert_string_equal(fld[8], "198.51.100.7");
		assert_string_equal(fld[9], "40001");
		snprintf(want, sizeof(want), "%u", x->dst_port);
		assert_string_equal(fld[10], want);
		assert_string_equal(fld[11], "17");
		hex(cur_data(&x->nfid), cur_len(&x->nfid), want);
		assert_string_equal(fld[12], want);
		hex("poi-1", 5, want);
		assert_string_equal(fld[13], want);
		if (x->type == X2X3_TYPE_X2) {
			hex("001010123456789", 15, want);
			assert_string_equal(fld[14], want);
		} else {
			assert_string_equal(fld[14], "");
		}
		snprintf(want, sizeof(want), "%zu", cur_len(&x->payload));
		assert_string_equal(fld[15], want);
		/* Format 12 reaches Wireshark's GTP dissector, which finds our TEID. */
		assert_string_equal(fld[16], x->format == X2X3_FMT_GTPU ? "0x11223344" : "");
		data++;
	}
	assert_int_equal(pclose(f), 0);
	assert_int_equal(data, NPDU);
	assert_int_equal(keepalives, c.keepalives);
	assert_int_equal(row, NPDU + c.keepalives);
	unlink(pcap_path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tshark_decodes_what_we_send),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
