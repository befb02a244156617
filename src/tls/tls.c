/*
 * OpenSSL 3 glue for mutual TLS over non-blocking sockets (see tls.h for the contract).
 * Everything cryptographic is OpenSSL's; this file only sets policy and maps OpenSSL's
 * SSL_get_error() states onto the event loop's read/write interest.
 */
#include "tls/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define TLS_ERRLEN	  160
#define TLS_VERIFY_DEPTH  4	/* CA -> (intermediates) -> leaf; test PKI uses depth 1 */

struct tls_ctx {
	SSL_CTX *ssl_ctx;
	enum tls_role role;
};

struct tls_conn {
	SSL *ssl;	/* NULL: plaintext stream */
	int fd;
	char err[TLS_ERRLEN];
};

static const char *const tls_errstr[TLS_E_COUNT] = {
	[TLS_OK] = "ok",
	[TLS_E_ARG] = "CA, certificate and key files are all required",
	[TLS_E_NOMEM] = "out of memory",
	[TLS_E_CA] = "cannot load CA file",
	[TLS_E_CERT] = "cannot load certificate file",
	[TLS_E_KEY] = "cannot load private key, or it does not match the certificate",
};

const char *
tls_strerror(enum tls_err e)
{
	if ((unsigned)e >= TLS_E_COUNT)
		return "unknown tls error";
	return tls_errstr[e];
}

/* ------------------------------------------------------------------ contexts */

struct tls_ctx *
tls_ctx_new(enum tls_role role, const struct tls_config *cfg, enum tls_err *err)
{
	struct tls_ctx *c;
	SSL_CTX *s;

	*err = TLS_E_ARG;
	if (cfg == NULL || cfg->ca_file == NULL || cfg->cert_file == NULL || cfg->key_file == NULL)
		return NULL;
	*err = TLS_E_NOMEM;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	s = SSL_CTX_new(role == TLS_SERVER ? TLS_server_method() : TLS_client_method());
	if (s == NULL) {
		free(c);
		return NULL;
	}
	c->ssl_ctx = s;
	c->role = role;

	if (!SSL_CTX_set_min_proto_version(s, TLS1_2_VERSION))
		goto fail;
	/* TLS 1.2 fallback: forward secrecy and AEAD only.  TLS 1.3 suites are all AEAD. */
	if (!SSL_CTX_set_cipher_list(s, "ECDHE+AESGCM:ECDHE+CHACHA20"))
		goto fail;
	SSL_CTX_set_options(s, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
			       SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(s, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);

	*err = TLS_E_CA;
	if (SSL_CTX_load_verify_locations(s, cfg->ca_file, NULL) != 1)
		goto fail;
	*err = TLS_E_CERT;
	if (SSL_CTX_use_certificate_chain_file(s, cfg->cert_file) != 1)
		goto fail;
	*err = TLS_E_KEY;
	if (SSL_CTX_use_PrivateKey_file(s, cfg->key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(s) != 1)
		goto fail;

	if (role == TLS_SERVER) {
		/* Tell clients which CA we accept, and refuse any client without a certificate. */
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->ca_file);
		*err = TLS_E_CA;
		if (names == NULL)
			goto fail;
		SSL_CTX_set_client_CA_list(s, names);
		SSL_CTX_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	} else {
		SSL_CTX_set_verify(s, SSL_VERIFY_PEER, NULL);
	}
	SSL_CTX_set_verify_depth(s, TLS_VERIFY_DEPTH);
	ERR_clear_error();
	*err = TLS_OK;
	return c;
fail:
	ERR_clear_error();
	SSL_CTX_free(s);
	free(c);
	return NULL;
}

void
tls_ctx_free(struct tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ssl_ctx);
	free(c);
}

/* ------------------------------------------------------------------ connections */

static int
is_ip_literal(const char *s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

struct tls_conn *
tls_conn_new(struct tls_ctx *ctx, int fd, const char *peer_name)
{
	struct tls_conn *c;

	if ((ctx->role == TLS_CLIENT) != (peer_name != NULL && peer_name[0] != '\0'))
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->fd = fd;
	if ((c->ssl = SSL_new(ctx->ssl_ctx)) == NULL || !SSL_set_fd(c->ssl, fd))
		goto fail;
	if (ctx->role == TLS_SERVER) {
		SSL_set_accept_state(c->ssl);
	} else {
		SSL_set_connect_state(c->ssl);
		if (is_ip_literal(peer_name)) {
			/* RFC 6125: an IP reference identity matches only an iPAddress SAN. */
			if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), peer_name))
				goto fail;
		} else {
			if (!SSL_set1_host(c->ssl, peer_name) ||
			    !SSL_set_tlsext_host_name(c->ssl, peer_name))
				goto fail;
		}
	}
	ERR_clear_error();
	return c;
fail:
	ERR_clear_error();
	SSL_free(c->ssl);
	free(c);
	return NULL;
}

struct tls_conn *
tls_conn_new_plain(int fd)
{
	struct tls_conn *c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->fd = fd;
	return c;
}

void
tls_conn_free(struct tls_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	free(c);
}

/* Records why a call failed: the verify result if the peer's certificate was refused, else
 * the first OpenSSL reason, else errno. */
static void
set_error(struct tls_conn *c, int sslerr, int saved_errno)
{
	long vr = SSL_get_verify_result(c->ssl);
	unsigned long e = ERR_peek_error();

	if (vr != X509_V_OK)
		snprintf(c->err, sizeof(c->err), "certificate verify failed: %s",
			 X509_verify_cert_error_string(vr));
	else if (e != 0 && ERR_reason_error_string(e) != NULL)
		snprintf(c->err, sizeof(c->err), "%s", ERR_reason_error_string(e));
	else if (sslerr == SSL_ERROR_SYSCALL && saved_errno != 0)
		snprintf(c->err, sizeof(c->err), "%s", strerror(saved_errno));
	else
		snprintf(c->err, sizeof(c->err), "TLS error %d", sslerr);
	ERR_clear_error();
}

/* Maps the result of an SSL_* call. */
static enum tls_io
ssl_result(struct tls_conn *c, int r)
{
	int saved_errno = errno;
	int e = SSL_get_error(c->ssl, r);
	switch (e) {
	case SSL_ERROR_NONE:
		return TLS_IO_OK;
	case SSL_ERROR_WANT_READ:
		return TLS_IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		ERR_clear_error();
		return TLS_IO_EOF;
	default:
		set_error(c, e, saved_errno);
		return TLS_IO_ERROR;
	}
}

enum tls_io
tls_conn_handshake(struct tls_conn *c)
{
	if (c->ssl == NULL)
		return TLS_IO_OK;
	ERR_clear_error();
	int r = SSL_do_handshake(c->ssl);
	if (r == 1)
		return TLS_IO_OK;
	enum tls_io io = ssl_result(c, r);
	/* A close during the handshake is a failed handshake, not a clean end of stream. */
	if (io == TLS_IO_EOF) {
		snprintf(c->err, sizeof(c->err), "peer closed during handshake");
		io = TLS_IO_ERROR;
	}
	return io;
}

static enum tls_io
plain_errno(struct tls_conn *c, int write)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return write ? TLS_IO_WANT_WRITE : TLS_IO_WANT_READ;
	snprintf(c->err, sizeof(c->err), "%s", strerror(errno));
	return TLS_IO_ERROR;
}

enum tls_io
tls_conn_read(struct tls_conn *c, void *buf, size_t len, size_t *out_n)
{
	*out_n = 0;
	if (c->ssl == NULL) {
		ssize_t n;
		do
			n = read(c->fd, buf, len);
		while (n < 0 && errno == EINTR);
		if (n > 0) {
			*out_n = (size_t)n;
			return TLS_IO_OK;
		}
		return n == 0 ? TLS_IO_EOF : plain_errno(c, 0);
	}
	ERR_clear_error();
	int r = SSL_read_ex(c->ssl, buf, len, out_n);
	return r == 1 ? TLS_IO_OK : ssl_result(c, r);
}

enum tls_io
tls_conn_write(struct tls_conn *c, const void *buf, size_t len, size_t *out_n)
{
	*out_n = 0;
	if (c->ssl == NULL) {
		ssize_t n;
		do
			n = send(c->fd, buf, len, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n >= 0) {
			*out_n = (size_t)n;
			return n > 0 ? TLS_IO_OK : TLS_IO_WANT_WRITE;
		}
		return plain_errno(c, 1);
	}
	ERR_clear_error();
	int r = SSL_write_ex(c->ssl, buf, len, out_n);
	return r == 1 ? TLS_IO_OK : ssl_result(c, r);
}

size_t
tls_conn_pending(const struct tls_conn *c)
{
	if (c->ssl == NULL)
		return 0;
	int n = SSL_pending(c->ssl);
	return n > 0 ? (size_t)n : 0;
}

void
tls_conn_shutdown(struct tls_conn *c)
{
	if (c->ssl == NULL || !SSL_is_init_finished(c->ssl))
		return;
	ERR_clear_error();
	(void)SSL_shutdown(c->ssl);	/* one non-blocking attempt; we do not wait for theirs */
	ERR_clear_error();
}

int
tls_conn_is_tls(const struct tls_conn *c)
{
	return c->ssl != NULL;
}

const char *
tls_conn_error(const struct tls_conn *c)
{
	return c->err;
}

const char *
tls_conn_version(const struct tls_conn *c)
{
	return c->ssl ? SSL_get_version(c->ssl) : "plaintext";
}

/* ------------------------------------------------------------------ peer identity */

static X509 *
verified_peer(const struct tls_conn *c)
{
	if (c->ssl == NULL || !SSL_is_init_finished(c->ssl) ||
	    SSL_get_verify_result(c->ssl) != X509_V_OK)
		return NULL;
	return SSL_get0_peer_certificate(c->ssl);
}

int
tls_conn_peer_cn(const struct tls_conn *c, char *out, size_t outlen)
{
	X509 *cert = verified_peer(c);
	if (cert == NULL || outlen == 0)
		return -1;
	X509_NAME *name = X509_get_subject_name(cert);
	int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (idx < 0)
		return -1;
	ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, s);
	if (n < 0)
		return -1;
	size_t len = (size_t)n < outlen - 1 ? (size_t)n : outlen - 1;
	memcpy(out, utf8, len);
	out[len] = '\0';
	OPENSSL_free(utf8);
	/* A NUL inside the CN would make the printed identity differ from the real one. */
	return strlen(out) == len ? 0 : -1;
}

int
tls_conn_peer_san(const struct tls_conn *c, size_t idx, char *out, size_t outlen)
{
	X509 *cert = verified_peer(c);
	if (cert == NULL || outlen == 0)
		return 0;
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return 0;
	int found = 0;
	size_t seen = 0;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens) && !found; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS) {
			if (seen++ != idx)
				continue;
			const ASN1_IA5STRING *s = g->d.dNSName;
			snprintf(out, outlen, "DNS:%.*s", ASN1_STRING_length(s),
				 (const char *)ASN1_STRING_get0_data(s));
			found = 1;
		} else if (g->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *s = g->d.iPAddress;
			char txt[64];
			int len = ASN1_STRING_length(s);
			if (len != 4 && len != 16)
				continue;
			if (seen++ != idx)
				continue;
			if (inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), txt,
				      sizeof(txt)) == NULL)
				txt[0] = '\0';
			snprintf(out, outlen, "IP:%s", txt);
			found = 1;
		}
	}
	GENERAL_NAMES_free(gens);
	return found;
}
