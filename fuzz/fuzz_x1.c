/*
 * libFuzzer target: X1 documents from the network.  Each input goes through
 *   1. the request parser; every message it accepts must rebuild into a document that parses
 *      back to the same message count and types (parser and builder agree);
 *   2. the response parser (the client's side);
 *   3. the whole NE (POI profile, in-memory SQLite, peer "admf"), whose answer must always be
 *      a document the response parser accepts.
 * A broken invariant aborts, which libFuzzer and the replay driver report as a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "x1/x1.h"
#include "x1/x1_ne.h"
#include "x1/x1_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct x1_ne *
the_ne(void)
{
	static struct x1_store *st;
	static struct x1_ne *ne;
	static const char *const admf[] = {"admf"};
	if (ne == NULL) {
		const char *err;
		struct x1_ne_config cfg = {.ne_id = "poi", .admf_ids = admf, .nadmf = 1,
					   .profile = &x1_profile_poi};
		if (x1_store_open(":memory:", &st) != X1S_OK ||
		    (ne = x1_ne_new(st, &cfg, &err)) == NULL)
			abort();
	}
	return ne;
}

static void
request_roundtrip(const uint8_t *data, size_t size)
{
	char d[256];
	struct x1_request *r = x1_request_new(), *r2 = x1_request_new();
	struct ovt_builder b;
	if (r == NULL || r2 == NULL || !bld_init(&b, 4096, X1_MAX_BODY))
		abort();
	if (x1_parse_request(data, size, X1_MAX_BODY, r, d, sizeof(d)) == X1_P_OK) {
		size_t n = 0;
		for (size_t i = 0; i < r->nmsg; i++)
			if (r->msgs[i].perr == X1_P_OK)
				r->msgs[n++] = r->msgs[i];
		if (n > 0) {
			x1_build_request(&b, r->msgs, n);
			if (!bld_ok(&b) ||
			    x1_parse_request(bld_data(&b), bld_len(&b), X1_MAX_BODY, r2, d,
					     sizeof(d)) != X1_P_OK ||
			    r2->nmsg != n)
				abort();
			for (size_t i = 0; i < n; i++)
				if (r2->msgs[i].type != r->msgs[i].type || r2->msgs[i].perr != X1_P_OK)
					abort();
		}
	}
	bld_cleanup(&b);
	x1_request_free(r);
	x1_request_free(r2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char d[256];
	struct x1_peer peer = {1, {"admf"}};
	struct ovt_builder out;
	enum x1_perr perr;

	request_roundtrip(data, size);

	struct x1_response *resp = x1_response_new();
	if (resp == NULL)
		abort();
	x1_parse_response(data, size, X1_MAX_RESPONSE, resp, d, sizeof(d));

	if (!bld_init(&out, 4096, X1_MAX_RESPONSE))
		abort();
	if (x1_ne_handle(the_ne(), &peer, data, size, &out, &perr) != X1_NE_FAILED &&
	    x1_parse_response(bld_data(&out), bld_len(&out), X1_MAX_RESPONSE, resp, d,
			      sizeof(d)) != X1_P_OK)
		abort();
	bld_cleanup(&out);
	x1_response_free(resp);
	return 0;
}
