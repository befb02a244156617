/*
 * X1 HTTPS server: libmicrohttpd in external epoll mode on the Overt event loop, GnuTLS peer
 * verification for the client certificate, and the gates of x1_server.h in front of the NE.
 *
 * Why verify in the handler: MHD asks GnuTLS to *request* a client certificate when a trust
 * store is given (MHD_OPTION_HTTPS_MEM_TRUST) but does not refuse a handshake without one, so
 * the first call of the access handler (headers read, body not yet) checks the peer with
 * gnutls_certificate_verify_peers and answers 403 before any body is accepted.
 */
#include "x1/x1_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#define PEM_MAX (256 * 1024)
/* TLS 1.2+ only, AEAD ciphers, ECDHE key exchange (TLS 1.2). */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:" \
		       "+AES-128-GCM:+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

struct x1_server {
	struct ev_loop *loop;
	struct x1_ne *ne;
	struct MHD_Daemon *d;
	int epfd;
	uint64_t timer;
	uint16_t port;
	char *cert, *key, *ca;
	size_t keylen;
	struct x1_server_stats stats;
};

/* Per-request state, from the first handler call to MHD's completion notice. */
struct req {
	struct ovt_builder body;
	struct x1_peer peer;
};

const char *
x1_http_refusal_str(enum x1_http_refusal r)
{
	static const char *const t[X1_HTTP_COUNT] = {
	    [X1_HTTP_NO_CERT] = "no client certificate",
	    [X1_HTTP_BAD_CERT] = "client certificate not trusted",
	    [X1_HTTP_PATH] = "unknown path",
	    [X1_HTTP_METHOD] = "method not allowed",
	    [X1_HTTP_CONTENT_TYPE] = "unsupported content type",
	    [X1_HTTP_TOO_LARGE] = "request body too large",
	    [X1_HTTP_BAD_LENGTH] = "bad Content-Length",
	    [X1_HTTP_INTERNAL] = "internal error",
	};
	if ((int)r < 0 || r >= X1_HTTP_COUNT)
		return "unknown refusal";
	return t[r];
}

const char *
x1_server_strerror(enum x1_server_err e)
{
	switch (e) {
	case X1_SRV_OK:
		return "ok";
	case X1_SRV_ARG:
		return "missing certificate/key/CA file or bad listen address";
	case X1_SRV_FILE:
		return "cannot read certificate, key or CA file";
	case X1_SRV_START:
		return "cannot start HTTPS server (address in use, or bad TLS material)";
	case X1_SRV_LOOP:
		return "event loop registration failed";
	case X1_SRV_NOMEM:
		return "out of memory";
	}
	return "unknown server error";
}

/* Reads a whole PEM file (bounded) into a NUL-terminated heap string. */
static char *
read_pem(const char *path, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = malloc(PEM_MAX + 1);
	size_t n = buf != NULL ? fread(buf, 1, PEM_MAX + 1, f) : 0;
	int err = ferror(f);
	fclose(f);
	if (buf == NULL || err || n == 0 || n > PEM_MAX) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	if (out_len != NULL)
		*out_len = n;
	return buf;
}

/* ------------------------------------------------------------------------------------------ */
/* Event loop glue                                                                            */

static void run(struct x1_server *s);

static void
on_timer(struct ev_loop *l, void *arg)
{
	struct x1_server *s = arg;
	s->timer = 0;
	run(s);
}

static void
on_epoll(struct ev_loop *l, int fd, int events, void *arg)
{
	run(arg);
}

/* Runs MHD once, then re-arms the timer MHD asks for (0 when it has buffered work). */
static void
run(struct x1_server *s)
{
	MHD_UNSIGNED_LONG_LONG to;
	MHD_run(s->d);
	if (s->timer != 0) {
		ev_timer_del(s->loop, s->timer);
		s->timer = 0;
	}
	if (MHD_get_timeout(s->d, &to) == MHD_YES)
		s->timer = ev_timer_add(s->loop, to > 60000 ? 60000 : to, on_timer, s);
}

static void
on_mhd_log(void *arg, const char *fmt, va_list ap)
{
	/* A library never prints: MHD's reports (failed handshakes, resets) are only counted. */
	struct x1_server *s = arg;
	s->stats.mhd_errors++;
}

/* ------------------------------------------------------------------------------------------ */
/* Peer identity                                                                              */

static void
add_name(struct x1_peer *p, const char *buf, size_t len)
{
	/* Only names that could be an admfIdentifier: no embedded NUL, a valid xs:token. */
	if (p->n == X1_PEER_MAX_NAMES || len == 0 || len > X1_ID_MAX || strlen(buf) != len ||
	    !x1_token_ok(buf, X1_ID_MAX))
		return;
	memcpy(p->names[p->n], buf, len + 1);
	p->n++;
}

static enum x1_http_refusal
peer_identity(struct MHD_Connection *c, struct x1_peer *out)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *certs;
	unsigned ncerts = 0, status = 0;
	gnutls_x509_crt_t crt;
	char buf[X1_ID_MAX + 2];
	size_t sz;

	memset(out, 0, sizeof(*out));
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return X1_HTTP_NO_CERT;
	gnutls_session_t sess = (gnutls_session_t)ci->tls_session;
	certs = gnutls_certificate_get_peers(sess, &ncerts);
	if (certs == NULL || ncerts == 0)
		return X1_HTTP_NO_CERT;
	/* Chain to the configured CA, validity, signature; EKU clientAuth when an EKU exists. */
	gnutls_typed_vdata_st purpose = {GNUTLS_DT_KEY_PURPOSE_OID,
					 (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0};
	if (gnutls_certificate_verify_peers(sess, &purpose, 1, &status) < 0 || status != 0)
		return X1_HTTP_BAD_CERT;
	if (gnutls_x509_crt_init(&crt) < 0)
		return X1_HTTP_INTERNAL;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0) {
		gnutls_x509_crt_deinit(crt);
		return X1_HTTP_BAD_CERT;
	}
	sz = sizeof(buf) - 1;
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buf, &sz) >= 0 &&
	    sz < sizeof(buf)) {
		buf[sz] = '\0';
		add_name(out, buf, sz);
	}
	for (unsigned i = 0; i < 64; i++) {
		sz = sizeof(buf) - 1;
		int t = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &sz, NULL);
		if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
			break;
		if ((t == GNUTLS_SAN_DNSNAME || t == GNUTLS_SAN_URI) && sz < sizeof(buf)) {
			buf[sz] = '\0';
			add_name(out, buf, sz);
		}
	}
	gnutls_x509_crt_deinit(crt);
	return X1_HTTP_COUNT;	/* no refusal */
}

/* ------------------------------------------------------------------------------------------ */
/* Requests                                                                                   */

static enum MHD_Result
refuse(struct x1_server *s, struct MHD_Connection *c, enum x1_http_refusal why,
       unsigned int status)
{
	const char *text = x1_http_refusal_str(why);	/* static: MHD may keep the pointer */
	s->stats.refused[why]++;
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* application/xml or text/xml, parameters (charset) allowed. */
static int
content_type_ok(const char *ct)
{
	static const char *const ok[] = {"application/xml", "text/xml"};
	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t n = strlen(ok[i]);
		if (strncasecmp(ct, ok[i], n) == 0 &&
		    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
			return 1;
	}
	return 0;
}

/* Content-Length: digits only, at most X1_MAX_BODY.  Returns 0 ok, or a refusal. */
static int
length_ok(const char *cl, enum x1_http_refusal *why)
{
	uint64_t v = 0;
	if (cl == NULL)
		return 1;	/* chunked: bounded while reading */
	if (*cl == '\0') {
		*why = X1_HTTP_BAD_LENGTH;
		return 0;
	}
	for (; *cl != '\0'; cl++) {
		if (*cl < '0' || *cl > '9') {
			*why = X1_HTTP_BAD_LENGTH;
			return 0;
		}
		v = v * 10 + (uint64_t)(*cl - '0');
		if (v > X1_MAX_BODY) {
			*why = X1_HTTP_TOO_LARGE;
			return 0;
		}
	}
	return 1;
}

static enum MHD_Result
answer(struct x1_server *s, struct MHD_Connection *c, struct req *r)
{
	struct ovt_builder out;
	enum x1_perr perr = X1_P_OK;

	if (!bld_init(&out, 4096, X1_MAX_RESPONSE))
		return refuse(s, c, X1_HTTP_INTERNAL, MHD_HTTP_INTERNAL_SERVER_ERROR);
	enum x1_ne_result res = x1_ne_handle(s->ne, &r->peer, bld_data(&r->body),
					     bld_len(&r->body), &out, &perr);
	if (res == X1_NE_FAILED) {
		bld_cleanup(&out);
		return refuse(s, c, X1_HTTP_INTERNAL, MHD_HTTP_INTERNAL_SERVER_ERROR);
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(bld_len(&out), bld_data(&out),
								    MHD_RESPMEM_MUST_COPY);
	bld_cleanup(&out);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/xml; charset=utf-8");
	/* X1TopLevelErrorResponse carries no reason; this header helps an operator with curl -i. */
	if (res == X1_NE_TOP_LEVEL)
		MHD_add_response_header(resp, "X-X1-Error", x1_perr_str(perr));
	s->stats.answered++;
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct x1_server *s = cls;
	struct req *r = *con_cls;
	enum x1_http_refusal why;

	if (r == NULL) {
		/* Headers are in, no body read yet: every gate that needs no body. */
		struct x1_peer peer;
		s->stats.requests++;
		why = peer_identity(c, &peer);
		if (why != X1_HTTP_COUNT)
			return refuse(s, c, why, why == X1_HTTP_INTERNAL ? MHD_HTTP_INTERNAL_SERVER_ERROR
									 : MHD_HTTP_FORBIDDEN);
		if (strcmp(url, X1_NE_PATH) != 0)
			return refuse(s, c, X1_HTTP_PATH, MHD_HTTP_NOT_FOUND);
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return refuse(s, c, X1_HTTP_METHOD, MHD_HTTP_METHOD_NOT_ALLOWED);
		if (!content_type_ok(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								 MHD_HTTP_HEADER_CONTENT_TYPE)))
			return refuse(s, c, X1_HTTP_CONTENT_TYPE, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE);
		if (!length_ok(MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							   MHD_HTTP_HEADER_CONTENT_LENGTH), &why))
			return refuse(s, c, why, why == X1_HTTP_TOO_LARGE
						     ? MHD_HTTP_CONTENT_TOO_LARGE
						     : MHD_HTTP_BAD_REQUEST);
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return refuse(s, c, X1_HTTP_INTERNAL, MHD_HTTP_INTERNAL_SERVER_ERROR);
		if (!bld_init(&r->body, 4096, X1_MAX_BODY)) {
			free(r);
			return refuse(s, c, X1_HTTP_INTERNAL, MHD_HTTP_INTERNAL_SERVER_ERROR);
		}
		r->peer = peer;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		bld_add_bytes(&r->body, upload, *upload_size);
		*upload_size = 0;
		if (!bld_ok(&r->body)) {
			/* Chunked body past the limit: no response can be queued mid-body in MHD,
			 * so the connection is dropped. */
			s->stats.refused[X1_HTTP_TOO_LARGE]++;
			return MHD_NO;
		}
		return MHD_YES;
	}
	return answer(s, c, r);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;
	if (r == NULL)
		return;
	bld_cleanup(&r->body);
	free(r);
	*con_cls = NULL;
}

/* ------------------------------------------------------------------------------------------ */

struct x1_server *
x1_server_new(struct ev_loop *loop, struct x1_ne *ne, const struct x1_server_config *cfg,
	      enum x1_server_err *err)
{
	struct sockaddr_storage ss;
	const char *addr = cfg->listen_addr != NULL ? cfg->listen_addr : "127.0.0.1";
	unsigned int flags = MHD_USE_TLS | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	memset(&ss, 0, sizeof(ss));
	if (cfg->cert_file == NULL || cfg->key_file == NULL || cfg->ca_file == NULL) {
		*err = X1_SRV_ARG;
		return NULL;
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(cfg->port);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		*err = X1_SRV_ARG;
		return NULL;
	}
	struct x1_server *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		*err = X1_SRV_NOMEM;
		return NULL;
	}
	s->loop = loop;
	s->ne = ne;
	s->epfd = -1;
	s->cert = read_pem(cfg->cert_file, NULL);
	s->key = read_pem(cfg->key_file, &s->keylen);
	s->ca = read_pem(cfg->ca_file, NULL);
	if (s->cert == NULL || s->key == NULL || s->ca == NULL) {
		*err = X1_SRV_FILE;
		goto fail;
	}
	s->d = MHD_start_daemon(
	    flags, cfg->port, NULL, NULL, on_access, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_HTTPS_MEM_CERT, s->cert,
	    MHD_OPTION_HTTPS_MEM_KEY, s->key,
	    MHD_OPTION_HTTPS_MEM_TRUST, s->ca,
	    MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(cfg->max_conns ? cfg->max_conns : 32),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)(cfg->timeout_s ? cfg->timeout_s : 30),
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
	    MHD_OPTION_END);
	if (s->d == NULL) {
		*err = X1_SRV_START;
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
	const union MHD_DaemonInfo *pi = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	if (di == NULL || pi == NULL) {
		*err = X1_SRV_START;
		goto fail;
	}
	s->epfd = di->epoll_fd;
	s->port = pi->port;
	if (ev_fd_set(loop, s->epfd, EV_READ, on_epoll, s) != 0) {
		s->epfd = -1;
		*err = X1_SRV_LOOP;
		goto fail;
	}
	run(s);
	*err = X1_SRV_OK;
	return s;
fail:
	x1_server_free(s);
	return NULL;
}

void
x1_server_free(struct x1_server *s)
{
	if (s == NULL)
		return;
	if (s->timer != 0)
		ev_timer_del(s->loop, s->timer);
	if (s->epfd >= 0)
		ev_fd_del(s->loop, s->epfd);
	if (s->d != NULL)
		MHD_stop_daemon(s->d);
	if (s->key != NULL)
		explicit_bzero(s->key, s->keylen);
	free(s->cert);
	free(s->key);
	free(s->ca);
	free(s);
}

uint16_t
x1_server_port(const struct x1_server *s)
{
	return s->port;
}

const struct x1_server_stats *
x1_server_stats(const struct x1_server *s)
{
	return &s->stats;
}
