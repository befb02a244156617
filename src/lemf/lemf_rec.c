/*
 * Record encoders and readers of the LEMF output files (contract in lemf_rec.h): the pcap file
 * and record headers, the CC timestamp choice, and the IRI JSON line.  The GTPv2 values inside
 * an IRI (APN, PAA, ULI) are decoded with src/gtp's single-IE decoders; a value they refuse is
 * written as hex under "<name>_raw" with no decoded form, so nothing received is dropped.
 */
#include "lemf/lemf_rec.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gtp/gtp.h"

#define PCAP_MAGIC	0xa1b2c3d4u	/* classic, microsecond timestamps */

/* pcapng (draft-ietf-opsawg-pcapng): the blocks and options this module writes. */
#define NG_SHB		0x0a0d0d0au
#define NG_BOM		0x1a2b3c4du
#define NG_IDB		1u
#define NG_EPB		6u
#define NG_OPT_END	0
#define NG_OPT_FLAGS	2		/* epb_flags: bits 0-1 direction */
#define NG_SHB_LEN	28
#define NG_IDB_LEN	20
#define NG_TRL_FIXED	16		/* epb_flags 8, opt_endofopt 4, block length 4 */

static size_t
pad4(size_t n)
{
	return (4 - (n & 3)) & 3;
}

/* ================================================================ pcap */

size_t
lemf_pcap_filehdr(uint8_t out[static LEMF_PCAP_FILEHDR], enum lemf_pcap_fmt fmt)
{
	struct ovt_builder b;

	bld_init_fixed(&b, out, LEMF_PCAP_FILEHDR);
	if (fmt == LEMF_PCAP_CLASSIC) {
		bld_add_u32(&b, PCAP_MAGIC);
		bld_add_u16(&b, 2);			/* version 2.4 */
		bld_add_u16(&b, 4);
		bld_add_u32(&b, 0);			/* thiszone: timestamps are UTC */
		bld_add_u32(&b, 0);			/* sigfigs */
		bld_add_u32(&b, LEMF_PCAP_SNAPLEN);
		bld_add_u32(&b, LEMF_PCAP_LINKTYPE);
		return LEMF_PCAP_CLASSIC_FILEHDR;
	}
	bld_add_u32(&b, NG_SHB);
	bld_add_u32(&b, NG_SHB_LEN);
	bld_add_u32(&b, NG_BOM);
	bld_add_u16(&b, 1);			/* version 1.0 */
	bld_add_u16(&b, 0);
	bld_add_u32(&b, 0xffffffffu);		/* section length: not given */
	bld_add_u32(&b, 0xffffffffu);
	bld_add_u32(&b, NG_SHB_LEN);
	/* No if_tsresol option: the default resolution is the microsecond. */
	bld_add_u32(&b, NG_IDB);
	bld_add_u32(&b, NG_IDB_LEN);
	bld_add_u16(&b, LEMF_PCAP_LINKTYPE);
	bld_add_u16(&b, 0);
	bld_add_u32(&b, LEMF_PCAP_SNAPLEN);
	bld_add_u32(&b, NG_IDB_LEN);
	return LEMF_PCAP_FILEHDR;
}

size_t
lemf_pcap_filehdr_len(enum lemf_pcap_fmt fmt)
{
	return fmt == LEMF_PCAP_NG ? LEMF_PCAP_FILEHDR :
	       fmt == LEMF_PCAP_CLASSIC ? LEMF_PCAP_CLASSIC_FILEHDR : 0;
}

enum lemf_pcap_fmt
lemf_pcap_filehdr_ok(struct ovt_cursor c)
{
	uint8_t want[LEMF_PCAP_FILEHDR];
	size_t n;

	/* Only the exact headers we write: anything else is not our file. */
	for (enum lemf_pcap_fmt f = LEMF_PCAP_CLASSIC; f <= LEMF_PCAP_NG; f++) {
		n = lemf_pcap_filehdr(want, f);
		if (cur_len(&c) >= n && memcmp(cur_data(&c), want, n) == 0)
			return f;
	}
	return LEMF_PCAP_BAD;
}

void
lemf_pcap_record(enum lemf_pcap_fmt fmt, uint32_t sec, uint32_t usec, uint32_t len,
		 enum lemf_dir dir, uint8_t hdr[static LEMF_PCAP_RECHDR], size_t *hdrlen,
		 uint8_t trl[static LEMF_PCAP_RECTRL_MAX], size_t *trllen)
{
	struct ovt_builder b;
	uint64_t ts = (uint64_t)sec * 1000000u + usec;
	size_t pad = pad4(len);
	uint32_t total = (uint32_t)(LEMF_PCAP_RECHDR + len + pad + NG_TRL_FIXED);

	bld_init_fixed(&b, hdr, LEMF_PCAP_RECHDR);
	if (fmt == LEMF_PCAP_CLASSIC) {
		bld_add_u32(&b, sec);
		bld_add_u32(&b, usec);
		bld_add_u32(&b, len);		/* incl_len: never cut (snaplen >= any packet) */
		bld_add_u32(&b, len);		/* orig_len */
		*hdrlen = LEMF_PCAP_CLASSIC_RECHDR;
		*trllen = 0;
		return;
	}
	bld_add_u32(&b, NG_EPB);
	bld_add_u32(&b, total);
	bld_add_u32(&b, 0);			/* interface 0 */
	bld_add_u32(&b, (uint32_t)(ts >> 32));
	bld_add_u32(&b, (uint32_t)ts);
	bld_add_u32(&b, len);			/* captured: never cut */
	bld_add_u32(&b, len);			/* original */
	*hdrlen = LEMF_PCAP_RECHDR;
	bld_init_fixed(&b, trl, LEMF_PCAP_RECTRL_MAX);
	bld_add_bytes(&b, "\0\0\0", pad);
	bld_add_u16(&b, NG_OPT_FLAGS);
	bld_add_u16(&b, 4);
	bld_add_u32(&b, (uint32_t)dir & 3);
	bld_add_u16(&b, NG_OPT_END);
	bld_add_u16(&b, 0);
	bld_add_u32(&b, total);
	*trllen = pad + NG_TRL_FIXED;
}

static int
next_classic(struct ovt_cursor *t, struct lemf_pcap_rec *r)
{
	uint32_t incl, orig;

	if (!cur_get_u32(t, &r->sec) || !cur_get_u32(t, &r->usec) || !cur_get_u32(t, &incl) ||
	    !cur_get_u32(t, &orig))
		return 0;
	r->dir = LEMF_DIR_UNKNOWN;
	/* The LEMF never cut a packet: a record with incl != orig is not one it wrote. */
	return r->usec < 1000000 && incl <= LEMF_PCAP_SNAPLEN && incl == orig &&
	       cur_get_sub(t, &r->pkt, incl);
}

static int
next_ng(struct ovt_cursor *t, struct lemf_pcap_rec *r)
{
	uint32_t type, total, ifc, hi, lo, cap, orig, total2, flags;
	uint16_t code, olen, ecode, elen;
	struct ovt_cursor padding;
	uint64_t ts;

	if (!cur_get_u32(t, &type) || type != NG_EPB || !cur_get_u32(t, &total) ||
	    !cur_get_u32(t, &ifc) || ifc != 0 || !cur_get_u32(t, &hi) || !cur_get_u32(t, &lo) ||
	    !cur_get_u32(t, &cap) || !cur_get_u32(t, &orig) || cap > LEMF_PCAP_SNAPLEN ||
	    cap != orig || total != LEMF_PCAP_RECHDR + cap + pad4(cap) + NG_TRL_FIXED ||
	    !cur_get_sub(t, &r->pkt, cap) || !cur_get_sub(t, &padding, pad4(cap)) ||
	    !cur_get_u16(t, &code) || code != NG_OPT_FLAGS || !cur_get_u16(t, &olen) ||
	    olen != 4 || !cur_get_u32(t, &flags) || (flags & ~3u) != 0 || flags == 3 ||
	    !cur_get_u16(t, &ecode) || ecode != NG_OPT_END || !cur_get_u16(t, &elen) ||
	    elen != 0 || !cur_get_u32(t, &total2) || total2 != total)
		return 0;
	for (size_t i = 0; i < cur_len(&padding); i++)
		if (cur_data(&padding)[i] != 0)
			return 0;
	ts = (uint64_t)hi << 32 | lo;
	if (ts / 1000000u > UINT32_MAX)
		return 0;
	r->sec = (uint32_t)(ts / 1000000u);
	r->usec = (uint32_t)(ts % 1000000u);
	r->dir = (enum lemf_dir)flags;
	return 1;
}

int
lemf_pcap_next(struct ovt_cursor *c, enum lemf_pcap_fmt fmt, struct lemf_pcap_rec *r)
{
	struct ovt_cursor t = *c;
	int ok;

	if (fmt == LEMF_PCAP_CLASSIC)
		ok = next_classic(&t, r);
	else if (fmt == LEMF_PCAP_NG)
		ok = next_ng(&t, r);
	else
		ok = 0;
	if (ok)
		*c = t;
	return ok;
}

enum lemf_dir
lemf_cc_dir(const struct hi2_cc_item *it)
{
	/* payloadDirection (TS 102 232-1): fromTarget(0) toTarget(1) indeterminate(2)
	 * combined(3) notKnown(4); TPDU-direction (TS 33.108): fromTarget(1) toTarget(2)
	 * unknown(3). */
	if (it->has_dir)
		return it->dir == 0 ? LEMF_DIR_FROM_TARGET :
		       it->dir == 1 ? LEMF_DIR_TO_TARGET : LEMF_DIR_UNKNOWN;
	return it->tpdu_dir == 1 ? LEMF_DIR_FROM_TARGET :
	       it->tpdu_dir == 2 ? LEMF_DIR_TO_TARGET : LEMF_DIR_UNKNOWN;
}

static int
pcap_time_ok(int64_t sec, uint32_t usec)
{
	return sec >= 0 && sec <= (int64_t)UINT32_MAX && usec < 1000000;
}

int
lemf_cc_time(const struct hi2_pdu *pdu, const struct hi2_cc_item *it, uint32_t *sec,
	     uint32_t *usec)
{
	int64_t s;
	uint32_t u;

	/* The MDF stamps PSHeader times with the interception time (TS 102 232-1 5.2.9 with
	 * timeStampQualifier timeOfInterception); the ULIC time has whole seconds only. */
	if (pdu->has_usts) {
		s = pdu->usts_sec;
		u = pdu->usts_usec;
	} else if (pdu->has_ts) {
		s = pdu->ts_sec;
		u = pdu->ts_usec;
	} else if (it->has_ts) {
		s = it->ts_sec;
		u = it->ts_usec;
	} else if (it->has_ulic_ts) {
		s = it->ulic_ts_sec;
		u = 0;
	} else {
		return 0;
	}
	if (!pcap_time_ok(s, u))
		return 0;
	*sec = (uint32_t)s;
	*usec = u;
	return 1;
}

/* ================================================================ JSON helpers */

/* One JSON object being written: the comma before every member but the first. */
struct jw {
	struct ovt_builder *b;
	int n;
};

static void
j_raw(struct jw *w, const char *s)
{
	bld_add_bytes(w->b, s, strlen(s));
}

static void
j_key(struct jw *w, const char *k)
{
	if (w->n++ > 0)
		bld_add_u8(w->b, ',');
	bld_add_u8(w->b, '"');
	j_raw(w, k);
	bld_add_bytes(w->b, "\":", 2);
}

void
lemf_json_str(struct ovt_builder *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	struct ovt_cursor c;
	uint8_t ch;

	cur_init(&c, p, n);
	bld_add_u8(b, '"');
	while (cur_get_u8(&c, &ch)) {
		if (ch == '"' || ch == '\\') {
			bld_add_u8(b, '\\');
			bld_add_u8(b, ch);
		} else if (ch >= 0x20 && ch < 0x7f) {
			bld_add_u8(b, ch);
		} else {
			uint8_t e[6] = {'\\', 'u', '0', '0', (uint8_t)hex[ch >> 4],
					(uint8_t)hex[ch & 15]};
			bld_add_bytes(b, e, sizeof(e));
		}
	}
	bld_add_u8(b, '"');
}

static void
j_str(struct jw *w, const char *k, const char *s)
{
	j_key(w, k);
	lemf_json_str(w->b, (const uint8_t *)s, strlen(s));
}

static void
j_bytes(struct jw *w, const char *k, struct hi2_bytes v)
{
	j_key(w, k);
	lemf_json_str(w->b, v.p, v.len);
}

static void
j_u64(struct jw *w, const char *k, uint64_t v)
{
	char t[24];
	int n = snprintf(t, sizeof(t), "%" PRIu64, v);
	j_key(w, k);
	bld_add_bytes(w->b, t, (size_t)n);
}

static void
j_hex(struct jw *w, const char *k, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	struct ovt_cursor c;
	uint8_t ch;

	cur_init(&c, p, n);
	j_key(w, k);
	bld_add_u8(w->b, '"');
	while (cur_get_u8(&c, &ch)) {
		bld_add_u8(w->b, (uint8_t)hex[ch >> 4]);
		bld_add_u8(w->b, (uint8_t)hex[ch & 15]);
	}
	bld_add_u8(w->b, '"');
}

void
lemf_json_time(struct ovt_builder *b, int64_t sec, uint32_t usec)
{
	/* 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
	static const int64_t lo = -62135596800LL, hi = 253402300799LL;
	char t[40];
	struct tm tm;
	time_t tt = (time_t)sec;
	int n;

	if (sec < lo || sec > hi || usec >= 1000000 || gmtime_r(&tt, &tm) == NULL) {
		n = snprintf(t, sizeof(t), "%" PRId64, sec);
	} else {
		n = snprintf(t, sizeof(t), "\"%04d-%02d-%02dT%02d:%02d:%02d.%06uZ\"",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			     tm.tm_sec, (unsigned)usec);
	}
	if (n > 0 && (size_t)n < sizeof(t))
		bld_add_bytes(b, t, (size_t)n);
	else
		bld_add_bytes(b, "null", 4);
}

static void
j_time(struct jw *w, const char *k, int64_t sec, uint32_t usec)
{
	j_key(w, k);
	lemf_json_time(w->b, sec, usec);
}

/* ================================================================ IRI names */

const char *
lemf_event_name(unsigned code)
{
	/* 33.108 EpsHI2Operations EPSEvent (the EPS values; STANDARDS 3.2). */
	switch (code) {
	case 16: return "e-UTRANAttach";
	case 17: return "e-UTRANDetach";
	case 18: return "bearerActivation";
	case 19: return "startOfInterceptionWithActiveBearer";
	case 20: return "bearerModification";
	case 21: return "bearerDeactivation";
	case 22: return "uERequestedBearerResourceModification";
	case 23: return "uERequestedPDNConnectivity";
	case 24: return "uERequestedPDNDisconnection";
	case 25: return "trackingAreaEpsLocationUpdate";
	case 26: return "servingEvolvedPacketSystem";
	case 41: return "startOfInterceptWithEUTRANAttachedUE";
	case 43: return "packetDataHeaderInformation";
	case 44: return "hSS-Subscriber-Record-Change";
	default: return NULL;
	}
}

static const char *
record_name(unsigned r)
{
	switch (r) {		/* TS 102 232-1 IRIType */
	case HI2_REC_BEGIN: return "BEGIN";
	case HI2_REC_END: return "END";
	case HI2_REC_CONTINUE: return "CONTINUE";
	case HI2_REC_REPORT: return "REPORT";
	default: return NULL;
	}
}

static const char *
rat_name(unsigned r)
{
	static const char *const n[] = {	/* TS 29.274 8.17 RAT Type values */
		NULL, "UTRAN", "GERAN", "WLAN", "GAN", "HSPA Evolution", "EUTRAN", "Virtual",
		"EUTRAN-NB-IoT", "LTE-M", "NR",
	};
	return r < sizeof(n) / sizeof(n[0]) ? n[r] : NULL;
}

static const char *
ne_type_name(unsigned t)
{
	switch (t) {		/* 33.108 LogicalFunctionType */
	case 0: return "pDNGW";
	case 1: return "mME";
	case 2: return "sGW";
	case 3: return "ePDG";
	case 4: return "hSS";
	default: return NULL;
	}
}

static const char *
initiator_name(unsigned i)
{
	switch (i) {
	case 0: return "not-Available";
	case 1: return "originating-Target";
	case 2: return "terminating-Target";
	default: return NULL;
	}
}

/* ================================================================ GTPv2 values */

static void
j_addr(struct jw *w, const char *k, int af, const uint8_t *a)
{
	char t[INET6_ADDRSTRLEN];
	if (inet_ntop(af, a, t, sizeof(t)) != NULL)
		j_str(w, k, t);
}

static void
j_apn(struct jw *w, struct hi2_bytes v)
{
	struct ovt_cursor c;
	char apn[101];

	cur_init(&c, v.p, v.len);
	if (gtp_apn_decode(c, apn) == GTP_OK)
		j_str(w, "apn", apn);
	else
		j_hex(w, "apn_raw", v.p, v.len);
}

static void
j_paa(struct jw *w, struct hi2_bytes v)
{
	static const char *const types[] = {NULL, "IPv4", "IPv6", "IPv4v6", "Non-IP",
					    "Ethernet"};
	struct ovt_cursor c;
	struct gtp_paa paa;
	struct jw o;

	cur_init(&c, v.p, v.len);
	if (gtp_paa_decode(c, &paa) != GTP_OK) {
		j_hex(w, "paa_raw", v.p, v.len);
		return;
	}
	j_key(w, "paa");
	bld_add_u8(w->b, '{');
	o.b = w->b;
	o.n = 0;
	j_str(&o, "pdn_type", types[paa.pdn_type]);	/* the decoder accepts 1..5 only */
	if (paa.pdn_type == GTP_PDN_IPV4 || paa.pdn_type == GTP_PDN_IPV4V6)
		j_addr(&o, "ipv4", AF_INET, paa.v4);
	if (paa.pdn_type == GTP_PDN_IPV6 || paa.pdn_type == GTP_PDN_IPV4V6) {
		j_addr(&o, "ipv6", AF_INET6, paa.v6);
		j_u64(&o, "ipv6_prefix_len", paa.v6_prefix_len);
	}
	bld_add_u8(w->b, '}');
}

static void
j_plmn(struct jw *o, const uint8_t plmn[3])
{
	char mcc[4], mnc[4];
	gtp_plmn_digits(plmn, mcc, mnc);
	j_str(o, "mcc", mcc);
	j_str(o, "mnc", mnc);
}

/* ULI (29.274 8.21): TAI and ECGI decoded, the whole value in hex as well. */
static void
j_uli(struct jw *w, const char *k, struct hi2_bytes v)
{
	struct ovt_cursor c;
	struct gtp_uli uli;
	struct jw o, p;
	char key[24];

	cur_init(&c, v.p, v.len);
	if (gtp_uli_decode(c, &uli) != GTP_OK) {
		snprintf(key, sizeof(key), "%s_raw", k);
		j_hex(w, key, v.p, v.len);
		return;
	}
	j_key(w, k);
	bld_add_u8(w->b, '{');
	o.b = w->b;
	o.n = 0;
	if (uli.flags & GTP_ULI_TAI) {
		j_key(&o, "tai");
		bld_add_u8(w->b, '{');
		p.b = w->b;
		p.n = 0;
		j_plmn(&p, uli.tai_plmn);
		j_u64(&p, "tac", uli.tac);
		bld_add_u8(w->b, '}');
	}
	if (uli.flags & GTP_ULI_ECGI) {
		j_key(&o, "ecgi");
		bld_add_u8(w->b, '{');
		p.b = w->b;
		p.n = 0;
		j_plmn(&p, uli.ecgi_plmn);
		j_u64(&p, "eci", uli.eci);
		j_u64(&p, "enb_id", uli.eci >> 8);	/* 36.413: 20-bit eNB ID + 8-bit cell */
		j_u64(&p, "cell_id", uli.eci & 0xff);
		bld_add_u8(w->b, '}');
	}
	j_hex(&o, "raw", v.p, v.len);
	bld_add_u8(w->b, '}');
}

/* APN-AMBR (29.274 8.7): uplink then downlink, kbps, 4 octets each. */
static void
j_ambr(struct jw *w, struct hi2_bytes v)
{
	struct ovt_cursor c;
	uint32_t ul, dl;
	struct jw o;

	cur_init(&c, v.p, v.len);
	if (!cur_get_u32(&c, &ul) || !cur_get_u32(&c, &dl) || cur_len(&c) != 0) {
		j_hex(w, "apn_ambr_raw", v.p, v.len);
		return;
	}
	j_key(w, "apn_ambr");
	bld_add_u8(w->b, '{');
	o.b = w->b;
	o.n = 0;
	j_u64(&o, "ul_kbps", ul);
	j_u64(&o, "dl_kbps", dl);
	bld_add_u8(w->b, '}');
}

/* ================================================================ the IRI line */

int
lemf_iri_json(struct ovt_builder *b, const struct lemf_iri_ctx *ctx,
	      const struct hi2_iri_item *it)
{
	const struct hi2_pdu *pdu = ctx->pdu;
	const struct hi2_eps_iri *e = &it->eps;
	unsigned rec = it->has_type ? it->iri_type : e->record;
	struct jw w = {b, 0};
	const char *s;

	bld_add_u8(b, '{');
	j_bytes(&w, "liid", pdu->liid);
	if (pdu->has_cin) {
		j_u64(&w, "cin", pdu->cin);
	} else {			/* communicationIdentityNumber is OPTIONAL */
		j_key(&w, "cin");
		j_raw(&w, "null");
	}
	j_u64(&w, "seq", pdu->seq);
	j_u64(&w, "item", ctx->item);
	if ((s = record_name(rec)) != NULL)
		j_str(&w, "iri_type", s);
	if ((s = lemf_event_name(e->event)) != NULL) {
		j_str(&w, "event", s);
	} else {
		j_key(&w, "event");
		j_raw(&w, "null");
	}
	if (e->event != 0)		/* ePSevent is OPTIONAL; EPSEvent has no value 0 */
		j_u64(&w, "event_code", e->event);
	j_time(&w, "time", e->ts_sec, e->ts_usec);	/* IRI-Parameters.timeStamp */
	if (it->has_ts)
		j_time(&w, "iri_time", it->ts_sec, it->ts_usec);
	if (pdu->has_usts)
		j_time(&w, "pdu_time", pdu->usts_sec, pdu->usts_usec);
	else if (pdu->has_ts)
		j_time(&w, "pdu_time", pdu->ts_sec, pdu->ts_usec);
	j_time(&w, "received", ctx->recv_sec, ctx->recv_usec);
	if (e->liid.len != pdu->liid.len || memcmp(e->liid.p, pdu->liid.p, e->liid.len) != 0)
		j_bytes(&w, "iri_liid", e->liid);	/* IRI-Parameters' own LIID, if it differs */
	if (e->has_initiator && (s = initiator_name(e->initiator)) != NULL)
		j_str(&w, "initiator", s);
	if (e->imsi[0] != '\0')
		j_str(&w, "imsi", e->imsi);
	if (e->msisdn[0] != '\0')
		j_str(&w, "msisdn", e->msisdn);
	if (e->imei[0] != '\0')
		j_str(&w, "imei", e->imei);
	if (e->corr.len > 0)
		j_hex(&w, "correlation", e->corr.p, e->corr.len);
	if (e->operator_id.len > 0)
		j_bytes(&w, "operator", e->operator_id);
	if (e->has_ne_type || e->ne_addr_len > 0) {
		struct jw o = {b, 0};
		j_key(&w, "network_element");
		bld_add_u8(b, '{');
		if (e->has_ne_type && (s = ne_type_name(e->ne_type)) != NULL)
			j_str(&o, "type", s);
		if (e->ne_addr_len == 4)
			j_addr(&o, "address", AF_INET, e->ne_addr);
		else if (e->ne_addr_len == 16)
			j_addr(&o, "address", AF_INET6, e->ne_addr);
		bld_add_u8(b, '}');
	}
	if (e->apn.len > 0)
		j_apn(&w, e->apn);
	if (e->paa.len > 0)
		j_paa(&w, e->paa);
	if (e->has_pdn_type)
		j_u64(&w, "pdn_type", e->pdn_type);
	if (e->has_ebi)
		j_u64(&w, "ebi", e->ebi);
	if (e->has_lbi)
		j_u64(&w, "lbi", e->lbi);
	if (e->has_rat) {
		if ((s = rat_name(e->rat)) != NULL)
			j_str(&w, "rat", s);
		j_u64(&w, "rat_code", e->rat);
	}
	if (e->bearer_type == HI2_BEARER_DEFAULT)
		j_str(&w, "bearer_type", "default");
	else if (e->bearer_type == HI2_BEARER_DEDICATED)
		j_str(&w, "bearer_type", "dedicated");
	if (e->has_cause)
		j_u64(&w, "cause", e->cause);
	if (e->qos.len > 0)
		j_hex(&w, "bearer_qos", e->qos.p, e->qos.len);
	if (e->apn_ambr.len > 0)
		j_ambr(&w, e->apn_ambr);
	if (e->tft.len > 0)
		j_hex(&w, "tft", e->tft.p, e->tft.len);
	if (e->uli.len > 0)
		j_uli(&w, "uli", e->uli);
	if (e->old_uli.len > 0)
		j_uli(&w, "old_uli", e->old_uli);
	if (e->unknown > 0 || pdu->unknown > 0)
		j_u64(&w, "unknown_elements", (uint64_t)e->unknown + pdu->unknown);
	bld_add_bytes(b, "}\n", 2);
	return bld_ok(b) ? 0 : -1;
}
