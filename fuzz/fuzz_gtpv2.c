/*
 * libFuzzer target for the GTPv2-C decoder and the session tracker.  The input is a series of
 * datagrams, each "flags (1) | length (2) | UDP payload": flags pick the direction between two
 * fixed peers and the port, so one input drives a whole procedure through a fresh tracker with
 * tiny caps (overflow, eviction and expiry paths included).
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "common/bytes.h"
#include "gtp/gtp.h"
#include "sess/sess.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The identity index after each datagram: whoever sess_holders returns holds v (a MEI by its
 * device digits), there are at most SESS_ID_HOLDERS, and the sess_find_* answer is among them. */
static void
check_holders(struct sess_tracker *tr, enum sess_id_kind k, const char *v)
{
	struct sess_session *h[SESS_ID_HOLDERS], *f;
	size_t n = sess_holders(tr, k, v, h), klen = strlen(v);
	int found = 0;

	if (k == SESS_ID_MEI && klen > SESS_MEI_KEY_DIGITS)
		klen = SESS_MEI_KEY_DIGITS;
	f = k == SESS_ID_IMSI ? sess_find_imsi(tr, v) : k == SESS_ID_MSISDN ?
	    sess_find_msisdn(tr, v) : sess_find_mei(tr, v);
	if (n > SESS_ID_HOLDERS || (n == 0) != (f == NULL))
		__builtin_trap();
	for (size_t i = 0; i < n; i++) {
		const char *fv = k == SESS_ID_IMSI ? h[i]->imsi : k == SESS_ID_MSISDN ?
		    h[i]->msisdn : h[i]->mei;
		size_t flen = strlen(fv);
		if (k == SESS_ID_MEI && flen > SESS_MEI_KEY_DIGITS)
			flen = SESS_MEI_KEY_DIGITS;
		if (!sess_holds_id(h[i], k) || flen != klen || memcmp(fv, v, klen) != 0)
			__builtin_trap();
		found |= h[i] == f;
	}
	if (n > 0 && !found)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
	struct sess_config cfg;
	struct sess_tracker *tr;
	struct ovt_cursor c, dg;
	struct sess_msgctx ctx;
	uint64_t t = 1000000000ULL;
	uint8_t flags;

	sess_config_init(&cfg);
	cfg.max_sessions = 4;
	cfg.max_pdns = 4;
	cfg.max_bearers = 6;
	cfg.max_pending = 4;
	cfg.hash_seed = 42;
	cfg.idle_timeout_s = 5;
	if ((tr = sess_new(&cfg, NULL, NULL)) == NULL)
		return 0;
	cur_init(&c, data, size);
	while (cur_get_u8(&c, &flags) && cur_get_u16_prefixed(&c, &dg)) {
		struct gtpc_msg msgs[GTPC_MAX_PIGGY];
		struct gtpc_info in;
		struct sess_up_hit h;
		enum sess_rc rc;
		size_t n;

		int ids = 0;

		/* the bare decoder on its own */
		if (gtpc_parse(dg.p, dg.len, msgs, &n) == GTP_OK)
			for (size_t i = 0; i < n; i++) {
				struct gtpc_msg r;
				ids = gtpc_decode(&msgs[i], &in) == GTP_OK;
				/* what the tracker does with its copy of a request */
				if (gtpc_reparse(msgs[i].raw.p, msgs[i].raw.len, &r) != GTP_OK ||
				    r.hdr.type != msgs[i].hdr.type || r.hdr.seq != msgs[i].hdr.seq ||
				    r.ies.len != msgs[i].ies.len)
					__builtin_trap();
			}
		memset(&ctx, 0, sizeof(ctx));
		ctx.af = 4;
		memcpy(ctx.src, flags & 1 ? b : a, 4);
		memcpy(ctx.dst, flags & 1 ? a : b, 4);
		ctx.sport = flags & 2 ? 40000 : GTPC_PORT;
		ctx.dport = GTPC_PORT;
		t += (uint64_t)(flags >> 4) * 1000000000ULL;
		ctx.ts_ns = t;
		(void)sess_gtpc_udp(tr, dg.p, dg.len, &ctx, &rc);
		if (ids && (in.has & GTPC_HAS_IMSI))
			check_holders(tr, SESS_ID_IMSI, in.imsi);
		if (ids && (in.has & GTPC_HAS_MSISDN))
			check_holders(tr, SESS_ID_MSISDN, in.msisdn);
		if (ids && (in.has & GTPC_HAS_MEI))
			check_holders(tr, SESS_ID_MEI, in.mei);
		if (dg.len >= 4) {
			uint32_t teid = ((uint32_t)dg.p[0] << 24) | ((uint32_t)dg.p[1] << 16) |
			    ((uint32_t)dg.p[2] << 8) | dg.p[3];
			(void)sess_up_lookup(tr, 4, b, teid, (uint32_t)(t / 1000000000ULL), &h);
		}
		if (flags & 4)
			sess_sweep(tr, t, 8);
	}
	sess_sweep(tr, t + 100 * 1000000000ULL, 16);
	sess_free(tr);
	return 0;
}
