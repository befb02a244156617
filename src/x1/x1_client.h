/*
 * X1 client (the ADMF side of TS 103 221-1): POSTs one X1Request document over mutual TLS with
 * libcurl (OpenSSL backend) and reads the answer.  Used by `overt x1` and by the ADMF.
 *
 * TLS: our certificate and key are always sent; the server must chain to the given CA and match
 * the URL's host name (CURLOPT_SSL_VERIFYPEER/VERIFYHOST, never relaxed); TLS 1.2 minimum;
 * https only, no redirects, no proxy from the environment.
 * Blocking: one request at a time, bounded by timeout_ms (X1 is a low-rate control interface).
 * Memory: the response is read into a builder capped at X1_MAX_RESPONSE.
 * The caller calls curl_global_init(CURL_GLOBAL_DEFAULT) once at process start.
 * Thread safety: independent calls may run in different threads.  Never logs, prints or exits.
 */
#ifndef OVERT_X1_CLIENT_H
#define OVERT_X1_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "x1/x1.h"

struct x1_client_config {
	const char *url;	/* https://host:port/X1/NE */
	const char *cert_file;	/* our certificate (PEM) */
	const char *key_file;	/* our private key (PEM) */
	const char *ca_file;	/* CA the NE must chain to (PEM) */
	long timeout_ms;	/* whole exchange; 0 = 10000 */
};

enum x1_client_err {
	X1_CLI_OK = 0,
	X1_CLI_ARG,		/* missing URL or file, non-https URL */
	X1_CLI_NOMEM,
	X1_CLI_BUILD,		/* the request could not be built (invalid value) */
	X1_CLI_TRANSPORT,	/* connection, TLS or timeout (text in errbuf) */
	X1_CLI_HTTP,		/* HTTP status other than 200 (*http_status) */
	X1_CLI_TOO_LARGE,	/* response over X1_MAX_RESPONSE */
	X1_CLI_PARSE,		/* the response is not a valid X1 document */
};

const char *x1_client_strerror(enum x1_client_err);

/* POSTs body; the response body goes into resp (a heap builder the caller owns and cleans up;
 * it also holds the body of a non-200 answer).  errbuf gets curl's message on TRANSPORT. */
enum x1_client_err x1_client_post(const struct x1_client_config *, const uint8_t *body, size_t len,
				  struct ovt_builder *resp, long *http_status, char *errbuf,
				  size_t errlen);

/* Builds an X1Request from msgs, POSTs it and parses the answer into out (from
 * x1_response_new).  raw (optional, a heap builder) receives the response document (also on
 * X1_CLI_HTTP and X1_CLI_PARSE).  errbuf explains TRANSPORT, HTTP ("HTTP status 403") and
 * PARSE errors. */
enum x1_client_err x1_client_exchange(const struct x1_client_config *, const struct x1_msg *msgs,
				      size_t n, struct x1_response *out, struct ovt_builder *raw,
				      char *errbuf, size_t errlen);

#endif
