/*
 * Output of the EPC traffic generator: the pcap file (written by libpcap's dump API onto our
 * own buffered FILE, so that write errors are seen: pcap_dump() itself reports none) and the
 * truth file, one JSON object per line, built in a bounded heap builder.
 *
 * The JSON writer is deliberately tiny: objects, arrays of integers, strings, integers,
 * booleans and null, with proper string escaping.  Errors are sticky in o->err.
 */
#include "epcgen/epcgen_int.h"

#include <pcap/pcap.h>
#include <string.h>

#define EG_OUT_BUF	(1 << 20)	/* stdio buffer of each output file */
#define EG_LINE_MAX	(1 << 20)	/* longest truth line */

enum epcgen_err
eg_out_open(struct eg_out *o, const char *pcap_path, const char *truth_path)
{
	memset(o, 0, sizeof(*o));
	if ((o->pcap_f = fopen(pcap_path, "wb")) == NULL)
		return EPCGEN_E_IO;
	setvbuf(o->pcap_f, NULL, _IOFBF, EG_OUT_BUF);
	/* Microsecond timestamps, Ethernet, snap length 65535: the classic format every
	 * reader (tshark, libpcap, scapy) understands. */
	o->pcap = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535,
	    PCAP_TSTAMP_PRECISION_MICRO);
	if (o->pcap == NULL)
		goto fail;
	if ((o->dumper = pcap_dump_fopen(o->pcap, o->pcap_f)) == NULL)
		goto fail;
	if ((o->truth = fopen(truth_path, "w")) == NULL)
		goto fail;
	setvbuf(o->truth, NULL, _IOFBF, EG_OUT_BUF);
	if (!bld_init(&o->line, 4096, EG_LINE_MAX))
		goto fail;
	return EPCGEN_OK;
fail:
	eg_out_discard(o);
	return EPCGEN_E_IO;
}

void
eg_out_frame(struct eg_out *o, uint64_t t_us, const uint8_t *p, size_t n)
{
	struct pcap_pkthdr h;

	if (o->err)
		return;
	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(EG_T0_SEC + t_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(t_us % 1000000);
	h.caplen = (bpf_u_int32)n;
	h.len = (bpf_u_int32)n;
	pcap_dump((u_char *)o->dumper, &h, p);
}

enum epcgen_err
eg_out_close(struct eg_out *o)
{
	int bad = o->err;

	if (o->dumper != NULL) {
		if (pcap_dump_flush(o->dumper) != 0 || ferror(o->pcap_f))
			bad = 1;
		pcap_dump_close(o->dumper);	/* closes pcap_f */
		o->dumper = NULL;
		o->pcap_f = NULL;
	}
	if (o->pcap != NULL)
		pcap_close(o->pcap);
	o->pcap = NULL;
	if (o->truth != NULL && fclose(o->truth) != 0)
		bad = 1;
	o->truth = NULL;
	bld_cleanup(&o->line);
	return bad ? EPCGEN_E_IO : EPCGEN_OK;
}

void
eg_out_discard(struct eg_out *o)
{
	if (o->dumper != NULL) {
		pcap_dump_close(o->dumper);
		o->pcap_f = NULL;
	}
	if (o->pcap_f != NULL)
		fclose(o->pcap_f);
	if (o->pcap != NULL)
		pcap_close(o->pcap);
	if (o->truth != NULL)
		fclose(o->truth);
	if (o->line.heap)
		bld_cleanup(&o->line);
	o->dumper = o->pcap = NULL;
	o->pcap_f = o->truth = NULL;
}

/* ---------------------------------------------------------------- JSON lines ---- */

static void
ej_raw(struct eg_out *o, const char *s)
{
	bld_add_bytes(&o->line, s, strlen(s));
}

static void
ej_quoted(struct eg_out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	/* Plain characters are copied in runs; only '"', '\\' and controls need escaping. */
	bld_add_u8(&o->line, '"');
	for (;; s++) {
		unsigned char c = (unsigned char)*s;
		if (c != '\0' && c != '"' && c != '\\' && c >= 0x20)
			continue;
		bld_add_bytes(&o->line, run, (size_t)(s - run));
		if (c == '\0')
			break;
		if (c == '"' || c == '\\') {
			bld_add_u8(&o->line, '\\');
			bld_add_u8(&o->line, c);
		} else {
			/* RFC 8259 7: control characters as \u00XX */
			ej_raw(o, "\\u00");
			bld_add_u8(&o->line, (uint8_t)hex[c >> 4]);
			bld_add_u8(&o->line, (uint8_t)hex[c & 0xf]);
		}
		run = s + 1;
	}
	bld_add_u8(&o->line, '"');
}

/* Decimal digits of v (snprintf is the slowest part of writing a million lines). */
static void
ej_num(struct eg_out *o, uint64_t v)
{
	char buf[20];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	bld_add_bytes(&o->line, buf + i, sizeof(buf) - i);
}

static void
ej_sep(struct eg_out *o)
{
	if (o->comma[o->depth])
		bld_add_u8(&o->line, ',');
	o->comma[o->depth] = 1;
}

static void
ej_key(struct eg_out *o, const char *key)
{
	ej_sep(o);
	ej_quoted(o, key);
	bld_add_u8(&o->line, ':');
}

void
ej_begin(struct eg_out *o, const char *type)
{
	bld_reset(&o->line);
	o->depth = 0;
	o->comma[0] = 0;
	bld_add_u8(&o->line, '{');
	ej_str(o, "type", type);
}

void
ej_str(struct eg_out *o, const char *key, const char *v)
{
	ej_key(o, key);
	ej_quoted(o, v);
}

void
ej_u64(struct eg_out *o, const char *key, uint64_t v)
{
	ej_key(o, key);
	ej_num(o, v);
}

void
ej_frame(struct eg_out *o, const char *key, uint32_t frame)
{
	if (frame == 0)
		ej_null(o, key);
	else
		ej_u64(o, key, frame);
}

void
ej_bool(struct eg_out *o, const char *key, int v)
{
	ej_key(o, key);
	ej_raw(o, v ? "true" : "false");
}

void
ej_null(struct eg_out *o, const char *key)
{
	ej_key(o, key);
	ej_raw(o, "null");
}

void
ej_addr(struct eg_out *o, const char *key, const struct epcgen_addr *a)
{
	char buf[64];

	if (a == NULL || (a->family != 4 && a->family != 6)) {
		ej_null(o, key);
		return;
	}
	epcgen_addr_str(a, buf, sizeof(buf));
	ej_str(o, key, buf);
}

void
ej_arr_begin(struct eg_out *o, const char *key)
{
	ej_key(o, key);
	bld_add_u8(&o->line, '[');
	if (o->depth + 1 >= EG_JSON_DEPTH) {
		o->line.err = 1;
		return;
	}
	o->comma[++o->depth] = 0;
}

void
ej_arr_u64(struct eg_out *o, uint64_t v)
{
	ej_sep(o);
	ej_num(o, v);
}

void
ej_arr_end(struct eg_out *o)
{
	bld_add_u8(&o->line, ']');
	if (o->depth > 0)
		o->depth--;
}

void
ej_obj_begin(struct eg_out *o, const char *key)
{
	if (key != NULL)
		ej_key(o, key);
	else
		ej_sep(o);
	bld_add_u8(&o->line, '{');
	if (o->depth + 1 >= EG_JSON_DEPTH) {
		o->line.err = 1;
		return;
	}
	o->comma[++o->depth] = 0;
}

void
ej_obj_end(struct eg_out *o)
{
	bld_add_u8(&o->line, '}');
	if (o->depth > 0)
		o->depth--;
}

void
ej_end(struct eg_out *o)
{
	bld_add_u8(&o->line, '}');
	bld_add_u8(&o->line, '\n');
	if (o->err)
		return;
	if (!bld_ok(&o->line) || o->depth != 0 ||
	    fwrite(bld_data(&o->line), 1, bld_len(&o->line), o->truth) != bld_len(&o->line))
		o->err = 1;
}
