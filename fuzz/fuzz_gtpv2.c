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

		/* the bare decoder on its own */
		if (gtpc_parse(dg.p, dg.len, msgs, &n) == GTP_OK)
			for (size_t i = 0; i < n; i++) {
				struct gtpc_msg r;
				(void)gtpc_decode(&msgs[i], &in);
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
