/*
 * The tracker over public EPC captures, checked against tshark (an independent decoder):
 *   - after every Create Session Request, a session exists for the IMSI tshark reads in it;
 *   - after every accepted response, each user-plane F-TEID that tshark reads in the request
 *     or the response resolves through sess_up_lookup, with the role of its interface type
 *     and, for Create Session, the IMSI of the request;
 *   - every G-PDU tshark sees is matched to a bearer whose subscriber is one of the IMSIs
 *     tshark saw, in the direction its inner addresses show (UE address = PAA);
 *   - captures with GTP-U oddities (extension headers, false GTP, IPv6, truncation, fragments)
 *     decode without crash, with the G-PDU count tshark gives for unfragmented frames.
 * Captures come from $OVERT_SHARED (README.md there); pcapng is read by libpcap.
 * Requests and responses are paired for the checks by (sequence number, type + 1), the next
 * such frame: simple enough to trust, and independent of the tracker's own matching.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "gtp/gtp.h"
#include "pkt/pkt.h"
#include "sess/sess.h"

#define MAXF	16
#define MAXIMSI	32

struct tframe {
	int type;		/* first GTPv2 message type, 0 if none */
	uint32_t seq;
	int cause;		/* first Cause, -1 if none */
	char imsi[16];
	int nf;
	uint8_t iface[MAXF];
	uint32_t teid[MAXF];
	uint8_t ip4[MAXF][4];
	int gpdu;		/* GTP-U message type 255 seen */
	int req;		/* for a response: index of its request frame, else -1 */
};

struct tshark_out {
	struct tframe *f;	/* indexed by frame number */
	size_t n;
	char imsis[MAXIMSI][16];
	int nimsi;
	long gpdus;
};

static const char *
shared(void)
{
	const char *s = getenv("OVERT_SHARED");
	return s != NULL ? s : "/work/shared";
}

/* Splits a tshark aggregated field ("a,b,c") into at most max tokens. */
static int
split(char *s, char **tok, int max)
{
	int n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (char *p = s; n < max;) {
		tok[n++] = p;
		if ((p = strchr(p, ',')) == NULL)
			break;
		*p++ = '\0';
	}
	return n;
}

static int
is_request(int t)
{
	return t == 32 || t == 34 || t == 36 || t == 95 || t == 97 || t == 99 || t == 170 ||
	    t == 211;
}

static void
run_tshark(const char *path, struct tshark_out *o)
{
	char cmd[1024], line[8192];
	FILE *p;

	memset(o, 0, sizeof(*o));
	o->f = calloc(1 << 16, sizeof(*o->f));
	assert_non_null(o->f);
	snprintf(cmd, sizeof(cmd), "tshark -r '%s' -o ip.defragment:FALSE -T fields "
	    "-E separator=/t -E occurrence=a -E aggregator=, -e frame.number "
	    "-e gtpv2.message_type -e gtpv2.seq -e gtpv2.cause -e e212.imsi "
	    "-e gtpv2.f_teid_interface_type -e gtpv2.f_teid_gre_key -e gtpv2.f_teid_ipv4 "
	    "-e gtp.message 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		char *col[9] = {0}, *tok[MAXF], *tk2[MAXF], *tk3[MAXF];
		int nc = 0, a, b, c;
		unsigned long fn;
		struct tframe *f;

		line[strcspn(line, "\n")] = '\0';
		for (char *s = line; nc < 9;) {
			col[nc++] = s;
			if ((s = strchr(s, '\t')) == NULL)
				break;
			*s++ = '\0';
		}
		fn = strtoul(col[0], NULL, 10);
		if (fn == 0 || fn >= (1 << 16))
			continue;
		if (fn + 1 > o->n)
			o->n = fn + 1;
		f = &o->f[fn];
		f->req = -1;
		if (col[1] && *col[1]) {
			f->type = (int)strtol(col[1], NULL, 10);
			f->seq = (uint32_t)strtoul(col[2], NULL, 16);
			f->cause = col[3] && *col[3] ? (int)strtol(col[3], NULL, 10) : -1;
			if (f->type == 32 && col[4] && *col[4] && strlen(col[4]) < 16) {
				int seen = 0;
				snprintf(f->imsi, sizeof(f->imsi), "%s", col[4]);
				for (int i = 0; i < o->nimsi; i++)
					seen |= strcmp(o->imsis[i], f->imsi) == 0;
				if (!seen && o->nimsi < MAXIMSI)
					snprintf(o->imsis[o->nimsi++], 16, "%s", f->imsi);
			}
			a = split(col[5], tok, MAXF);
			b = split(col[6], tk2, MAXF);
			c = split(col[7], tk3, MAXF);
			if (a == b && b == c) {		/* all IPv4 F-TEIDs: lists line up */
				f->nf = a;
				for (int i = 0; i < a; i++) {
					f->iface[i] = (uint8_t)strtoul(tok[i], NULL, 10);
					f->teid[i] = (uint32_t)strtoul(tk2[i], NULL, 16);
					assert_int_equal(inet_pton(AF_INET, tk3[i], f->ip4[i]), 1);
				}
			}
		}
		if (col[8] && strtoul(col[8], NULL, 0) == 255) {
			f->gpdu = 1;
			o->gpdus++;
		}
	}
	pclose(p);
	/* pair each request with the next frame of type + 1 and the same sequence number */
	for (size_t i = 1; i < o->n; i++) {
		if (!is_request(o->f[i].type))
			continue;
		for (size_t j = i + 1; j < o->n; j++)
			if (o->f[j].type == o->f[i].type + 1 && o->f[j].seq == o->f[i].seq &&
			    o->f[j].req < 0) {
				o->f[j].req = (int)i;
				break;
			}
	}
}

static int
role_of(uint8_t iface)
{
	switch (iface) {
	case GTP_IF_S1U_ENB: return SESS_UP_S1U_ENB;
	case GTP_IF_S1U_SGW: return SESS_UP_S1U_SGW;
	case GTP_IF_S5U_SGW: return SESS_UP_S5U_SGW;
	case GTP_IF_S5U_PGW: return SESS_UP_S5U_PGW;
	default: return -1;
	}
}

struct result {
	long frames, gtpc, gpdus, matched, dir_checked, fteid_checked, imsi_checked;
	long gtpu_err, frag, gtpc_err;
	struct pkt_err_counts pe;
};

static void
check_fteids(struct sess_tracker *tr, const struct tframe *f, const char *imsi, uint32_t now,
    struct result *r)
{
	for (int i = 0; i < f->nf; i++) {
		struct sess_up_hit h;
		int role = role_of(f->iface[i]);
		if (role < 0)
			continue;
		if (!sess_up_lookup(tr, 4, f->ip4[i], f->teid[i], now, &h))
			fail_msg("F-TEID iface %u teid 0x%x not tracked", f->iface[i], f->teid[i]);
		assert_int_equal(h.role, role);
		if (imsi != NULL)
			assert_string_equal(h.sess->imsi, imsi);
		r->fteid_checked++;
	}
}

static void
replay(const char *path, const struct tshark_out *o, struct result *r)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *ph;
	const u_char *data;
	struct sess_config cfg;
	struct sess_tracker *tr;
	pcap_t *pc;
	int lt;

	memset(r, 0, sizeof(*r));
	sess_config_init(&cfg);
	cfg.max_sessions = 1024;
	cfg.max_pdns = 2048;
	cfg.max_bearers = 4096;
	cfg.max_pending = 256;
	tr = sess_new(&cfg, NULL, NULL);
	assert_non_null(tr);
	pc = pcap_open_offline(path, err);
	if (pc == NULL)
		fail_msg("%s: %s", path, err);
	lt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &ph, &data) == 1) {
		struct pkt_info pi;
		struct sess_msgctx ctx;
		enum pkt_err pe;
		long fn = ++r->frames;
		const struct tframe *tf = (size_t)fn < o->n ? &o->f[fn] : NULL;
		uint32_t now = (uint32_t)ph->ts.tv_sec;

		pe = pkt_decode(lt, data, ph->caplen, &pi);
		r->pe.n[pe]++;
		if (pe == PKT_E_FRAGMENT)
			r->frag++;
		if (pe != PKT_OK)
			continue;
		if (pi.dport == GTPC_PORT || pi.sport == GTPC_PORT) {
			enum sess_rc rc;
			memset(&ctx, 0, sizeof(ctx));
			ctx.af = pi.ipver;
			memcpy(ctx.src, pi.src, 16);
			memcpy(ctx.dst, pi.dst, 16);
			ctx.sport = pi.sport;
			ctx.dport = pi.dport;
			ctx.ts_ns = (uint64_t)ph->ts.tv_sec * 1000000000ULL + (uint64_t)ph->ts.tv_usec * 1000;
			r->gtpc++;
			if (sess_gtpc_udp(tr, pi.payload.p, cur_len(&pi.payload), &ctx, &rc) != GTP_OK)
				r->gtpc_err++;
			if (tf == NULL)
				continue;
			if (tf->type == 32 && tf->imsi[0]) {
				assert_non_null(sess_find_imsi(tr, tf->imsi));
				r->imsi_checked++;
			}
			if (tf->req > 0 && tf->cause == GTPC_CAUSE_ACCEPTED) {
				const struct tframe *rq = &o->f[tf->req];
				const char *imsi = rq->type == 32 && rq->imsi[0] ? rq->imsi : NULL;
				check_fteids(tr, rq, imsi, now, r);
				check_fteids(tr, tf, imsi, now, r);
			}
		} else if (pi.dport == GTPU_PORT) {
			struct gtpu_hdr u;
			struct sess_up_hit h;
			struct pkt_info in;
			size_t trailing;

			if (gtpu_parse(pi.payload.p, cur_len(&pi.payload), &u, &trailing) != GTP_OK) {
				r->gtpu_err++;
				continue;
			}
			if (u.type != GTPU_GPDU)
				continue;
			r->gpdus++;
			if (tf != NULL)
				assert_true(tf->gpdu);
			if (!sess_up_lookup(tr, pi.ipver, pi.dst, u.teid, now, &h))
				continue;
			r->matched++;
			if (o->nimsi > 0) {
				int ok = 0;
				for (int i = 0; i < o->nimsi; i++)
					ok |= strcmp(o->imsis[i], h.sess->imsi) == 0;
				assert_true(ok);
			}
			if (pkt_decode_ip(u.payload.p, cur_len(&u.payload), &in) == PKT_OK &&
			    in.ipver == 4 && (h.pdn->paa.pdn_type == GTP_PDN_IPV4 ||
			    h.pdn->paa.pdn_type == GTP_PDN_IPV4V6)) {
				const uint8_t *ue = h.dir == SESS_DIR_FROM_TARGET ? in.src : in.dst;
				assert_memory_equal(ue, h.pdn->paa.v4, 4);
				r->dir_checked++;
			}
		}
	}
	pcap_close(pc);
	sess_free(tr);
}

static void
run_capture(const char *rel, struct result *r, struct tshark_out *o)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", shared(), rel);
	run_tshark(path, o);
	replay(path, o, r);
	print_message("%s: frames %ld gtpc %ld (err %ld) gpdus %ld matched %ld (tshark %ld) "
	    "fteids %ld imsis %ld dir %ld frag %ld gtpu_err %ld\n", rel, r->frames, r->gtpc,
	    r->gtpc_err, r->gpdus, r->matched, o->gpdus, r->fteid_checked, r->imsi_checked,
	    r->dir_checked, r->frag, r->gtpu_err);
}

static void
test_testattach_sll(void **state)
{
	struct result r;
	struct tshark_out o;

	run_capture("captures/testattach.pcapng", &r, &o);
	assert_int_equal(r.pe.n[PKT_E_LINKTYPE], 0);
	assert_int_equal(r.gtpc_err, 0);
	assert_int_equal(r.imsi_checked, 20);
	assert_true(r.fteid_checked >= 40);
	assert_int_equal(r.gpdus, o.gpdus);
	assert_int_equal(r.gpdus, 12);
	assert_int_equal(r.matched, r.gpdus);
	assert_true(r.dir_checked >= 4);
	free(o.f);
}

static void
test_testepc_null_loopback(void **state)
{
	struct result r;
	struct tshark_out o;

	run_capture("captures/testepc.pcapng", &r, &o);
	assert_int_equal(r.pe.n[PKT_E_LINKTYPE], 0);
	assert_int_equal(r.gtpc_err, 0);
	assert_int_equal(o.nimsi, 7);
	assert_true(r.imsi_checked >= 14);
	assert_true(r.fteid_checked >= 40);
	assert_int_equal(r.gpdus, o.gpdus);
	assert_int_equal(r.matched, r.gpdus);
	assert_true(r.dir_checked >= 4);
	free(o.f);
}

static void
test_srsenb(void **state)
{
	struct result r;
	struct tshark_out o;

	run_capture("captures/srsenb.pcapng", &r, &o);
	assert_int_equal(r.gtpc_err, 0);
	assert_int_equal(o.nimsi, 1);
	assert_int_equal(r.gpdus, 1844);
	assert_int_equal(r.gpdus, o.gpdus);
	assert_int_equal(r.matched, r.gpdus);
	/* IPv4 user traffic; a few inner packets are cut short by the capture */
	assert_true(r.dir_checked >= r.gpdus * 95 / 100);
	free(o.f);
}

/* The scapy sample: the G-PDU comes after Delete Session, so it must NOT match anymore; the
 * Create/Delete Bearer Requests have no responses, so no dedicated bearer appears. */
static void
test_reference_s11_s1u(void **state)
{
	struct result r;
	struct tshark_out o;

	run_capture("reference/gtp/s11_s1u.pcap", &r, &o);
	assert_int_equal(r.gtpc, 8);
	assert_int_equal(r.gtpc_err, 0);
	assert_int_equal(r.imsi_checked, 1);
	assert_int_equal(r.fteid_checked, 3);	/* S1-U SGW, S5-U PGW, S1-U eNB */
	assert_int_equal(r.gpdus, 1);
	assert_int_equal(r.matched, 0);
	free(o.f);
}

/* GTP-U oddities: tshark's G-PDU count over unfragmented frames must equal ours. */
static void
test_zeek_and_ndpi(void **state)
{
	static const struct {
		const char *file;
		long gpdus, frag, gtpu_err;
	} c[] = {
		{"captures/zeek-gtp_ext_header.pcap", 0, 2, 0},
		{"captures/zeek-gtp3_false_gtp.pcap", 0, 0, 0},
		{"captures/zeek-gtp4_udp_2152_inside.pcap", 1, 0, 0},
		{"captures/zeek-gtp7_ipv6.pcap", 2, 0, 0},
		{"captures/zeek-gtp9_unknown_or_too_short_payload.pcap", 5, 14, 0},
		{"captures/ndpi-ipv6_in_gtp.pcap", 2, 0, 0},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct result r;
		struct tshark_out o;

		run_capture(c[i].file, &r, &o);
		assert_int_equal(r.gpdus, c[i].gpdus);
		assert_int_equal(r.frag, c[i].frag);
		assert_int_equal(r.gtpu_err, c[i].gtpu_err);
		assert_int_equal(r.matched, 0);
		/* every unfragmented G-PDU tshark sees, we see */
		assert_true(r.gpdus <= o.gpdus);
		free(o.f);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_testattach_sll),
		cmocka_unit_test(test_testepc_null_loopback),
		cmocka_unit_test(test_srsenb),
		cmocka_unit_test(test_reference_s11_s1u),
		cmocka_unit_test(test_zeek_and_ndpi),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
