/*
 * X1 HTTPS endpoint of a network element (TS 103 221-1 clause 7.2: HTTP POST of one XML
 * document to /X1/NE, mutual TLS, clause 8.2.4 identity binding).
 *
 * libmicrohttpd (GnuTLS inside) in external epoll mode, driven by the process's event loop: its
 * epoll fd is watched for reading and a one-shot timer follows MHD_get_timeout(); MHD starts no
 * thread.  Every request goes through these gates, in order, before a byte of body is read:
 *   1. TLS client certificate present (else 403, X1_HTTP_NO_CERT), chaining to the configured
 *      CA, in its validity period, with extendedKeyUsage clientAuth if it has an EKU at all
 *      (else 403, X1_HTTP_BAD_CERT);
 *   2. path /X1/NE (else 404), method POST (else 405 with Allow: POST);
 *   3. Content-Type application/xml or text/xml (else 415);
 *   4. Content-Length at most X1_MAX_BODY (else 413); a chunked body growing past it closes
 *      the connection (counted as X1_HTTP_TOO_LARGE).
 * The body then goes to x1_ne_handle and the answer is sent with 200 and application/xml
 * (X1 errors are X1 documents, as the standard wants); 500 only if no document could be built.
 * Each refusal is counted by reason.
 *
 * Memory: at most max_conns connections, each with a 64 KiB MHD buffer plus its body (at most
 * X1_MAX_BODY) and, while answering, its response (at most X1_MAX_RESPONSE).
 * Thread safety: one server per event loop thread.  Never logs, prints or exits.
 */
#ifndef OVERT_X1_SERVER_H
#define OVERT_X1_SERVER_H

#include <stdint.h>

#include "common/ev.h"
#include "x1/x1_ne.h"

#define X1_NE_PATH "/X1/NE"

struct x1_server_config {
	const char *listen_addr;	/* IPv4 or IPv6 literal; NULL = 127.0.0.1 */
	uint16_t port;			/* 0: the kernel picks one (see x1_server_port) */
	const char *cert_file;		/* our certificate chain, PEM; mandatory */
	const char *key_file;		/* our private key, PEM; mandatory */
	const char *ca_file;		/* CA the client certificates must chain to; mandatory */
	unsigned max_conns;		/* 0 = 32 */
	unsigned timeout_s;		/* idle connection timeout; 0 = 30 */
};

enum x1_http_refusal {
	X1_HTTP_NO_CERT = 0,
	X1_HTTP_BAD_CERT,
	X1_HTTP_PATH,
	X1_HTTP_METHOD,
	X1_HTTP_CONTENT_TYPE,
	X1_HTTP_TOO_LARGE,
	X1_HTTP_BAD_LENGTH,	/* unreadable Content-Length */
	X1_HTTP_INTERNAL,	/* out of memory / no response could be built */
	X1_HTTP_COUNT
};

const char *x1_http_refusal_str(enum x1_http_refusal);

struct x1_server_stats {
	uint64_t requests;			/* HTTP requests seen */
	uint64_t answered;			/* bodies handed to the NE and answered (200) */
	uint64_t refused[X1_HTTP_COUNT];
	uint64_t mhd_errors;			/* libmicrohttpd/TLS error reports (handshakes...) */
};

enum x1_server_err {
	X1_SRV_OK = 0,
	X1_SRV_ARG,		/* missing file name, bad listen address */
	X1_SRV_FILE,		/* certificate, key or CA unreadable */
	X1_SRV_START,		/* libmicrohttpd refused to start (bind, TLS material) */
	X1_SRV_LOOP,		/* event loop registration failed */
	X1_SRV_NOMEM,
};

const char *x1_server_strerror(enum x1_server_err);

struct x1_server;

/* Starts listening at once; the NE stays owned by the caller and must outlive the server. */
struct x1_server *x1_server_new(struct ev_loop *, struct x1_ne *, const struct x1_server_config *,
				enum x1_server_err *err);
/* Closes every connection and the listening socket, unregisters from the loop. */
void x1_server_free(struct x1_server *);
uint16_t x1_server_port(const struct x1_server *);
const struct x1_server_stats *x1_server_stats(const struct x1_server *);

#endif
