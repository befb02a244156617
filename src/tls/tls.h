/*
 * Mutual TLS for Overt's interfaces (X2/X3 POI->MDF now, HI2/HI3 MDF->LEMF later), on OpenSSL 3.
 *
 * A struct tls_ctx holds one role's configuration: our certificate and key, and the CA that the
 * peer's certificate must chain to.  Both roles require the peer's certificate:
 *   - server: SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, i.e. a client without a
 *     certificate, or with one from another CA, fails the handshake;
 *   - client: verifies the server chain and the expected name (DNS name or IP literal, RFC 6125
 *     via OpenSSL's host/IP checks), sends SNI for DNS names.
 * TLS 1.2 is the minimum and 1.3 is preferred; TLS 1.2 is limited to ECDHE with AEAD ciphers;
 * renegotiation, compression and session tickets are off.
 *
 * A struct tls_conn is one byte stream over a non-blocking socket that the caller owns (never
 * closed here).  It is either TLS, or plaintext when the caller explicitly asks for it with
 * tls_conn_new_plain() (lab captures only: the X2/X3 `insecure_plaintext` destination option).
 * The I/O helpers never block: they return TLS_IO_WANT_READ / TLS_IO_WANT_WRITE and the caller
 * polls the fd for that event (src/common/ev.h) and calls again.  Either may be returned by any
 * call, including a write waiting for a read (TLS 1.3 key update).  After TLS_IO_EOF or
 * TLS_IO_ERROR the connection is dead: free it.
 *
 * Writes use SSL_MODE_ENABLE_PARTIAL_WRITE and ACCEPT_MOVING_WRITE_BUFFER, so a write may
 * accept fewer bytes than offered and a retried write may pass a different buffer pointer.
 *
 * SIGPIPE: OpenSSL writes to the socket with write(2); processes using this module must ignore
 * SIGPIPE (all Overt processes do).  The plaintext path uses send(MSG_NOSIGNAL).
 *
 * Errors: tls_conn_error() gives a short text (OpenSSL reason or verify result) for logs; it
 * never contains key material.  Library code: never logs, prints or exits.
 * Thread safety: a ctx may be shared by connections of one thread; a conn belongs to one thread.
 */
#ifndef OVERT_TLS_TLS_H
#define OVERT_TLS_TLS_H

#include <stddef.h>

struct tls_ctx;
struct tls_conn;

enum tls_role {
	TLS_SERVER,
	TLS_CLIENT,
};

enum tls_err {
	TLS_OK = 0,
	TLS_E_ARG,	/* a path missing */
	TLS_E_NOMEM,	/* OpenSSL allocation failed */
	TLS_E_CA,	/* CA file unreadable or holds no certificate */
	TLS_E_CERT,	/* certificate (chain) file unreadable */
	TLS_E_KEY,	/* private key unreadable, or does not match the certificate */
	TLS_E_COUNT
};

/* Paths to PEM files; all three are mandatory (there is no anonymous or one-sided mode). */
struct tls_config {
	const char *ca_file;	/* CA(s) the peer must chain to */
	const char *cert_file;	/* our certificate (optionally followed by intermediates) */
	const char *key_file;	/* our private key */
};

const char *tls_strerror(enum tls_err);

/* Builds a context for role.  Returns NULL and sets *err on failure.  The key is held in memory
 * by OpenSSL until tls_ctx_free. */
struct tls_ctx *tls_ctx_new(enum tls_role role, const struct tls_config *cfg, enum tls_err *err);
void tls_ctx_free(struct tls_ctx *);

enum tls_io {
	TLS_IO_OK = 0,		/* done (handshake complete / some bytes moved) */
	TLS_IO_WANT_READ,	/* poll the fd for reading, then call again */
	TLS_IO_WANT_WRITE,	/* poll the fd for writing, then call again */
	TLS_IO_EOF,		/* peer closed the stream */
	TLS_IO_ERROR,		/* handshake or I/O failure; see tls_conn_error() */
};

/*
 * A TLS connection on a connected, non-blocking fd (the caller keeps owning fd).
 * ctx's role decides client or server.  Client: peer_name is mandatory and is the name the
 * server certificate must carry (DNS SAN/CN, or an IP SAN when peer_name is an IP literal).
 * Server: peer_name must be NULL.  Returns NULL on allocation failure or a missing peer_name.
 */
struct tls_conn *tls_conn_new(struct tls_ctx *ctx, int fd, const char *peer_name);
/* A plaintext stream on fd: handshake succeeds at once, no peer identity. */
struct tls_conn *tls_conn_new_plain(int fd);
/* Frees the connection without sending anything (see tls_conn_shutdown). */
void tls_conn_free(struct tls_conn *);

/* Drives the handshake; TLS_IO_OK once complete (at once for plaintext). */
enum tls_io tls_conn_handshake(struct tls_conn *);
/* Reads up to len (> 0) bytes; *out_n > 0 on TLS_IO_OK. */
enum tls_io tls_conn_read(struct tls_conn *, void *buf, size_t len, size_t *out_n);
/* Writes up to len (> 0) bytes; *out_n > 0 on TLS_IO_OK (may be less than len). */
enum tls_io tls_conn_write(struct tls_conn *, const void *buf, size_t len, size_t *out_n);
/* Bytes already decrypted and buffered inside OpenSSL: poll(2) will not report them. */
size_t tls_conn_pending(const struct tls_conn *);
/* Sends close_notify if it can without blocking; best effort, before tls_conn_free. */
void tls_conn_shutdown(struct tls_conn *);

int tls_conn_is_tls(const struct tls_conn *);
/* Text of the last TLS_IO_ERROR (or "" if none). Valid until the next call on conn. */
const char *tls_conn_error(const struct tls_conn *);
/* Negotiated protocol ("TLSv1.3"), or "plaintext". */
const char *tls_conn_version(const struct tls_conn *);

/* Peer certificate subject CN (verified chain) into out (NUL-terminated, truncated to outlen-1).
 * Returns 0, or -1 if there is no peer certificate or CN (plaintext, or handshake not done). */
int tls_conn_peer_cn(const struct tls_conn *, char *out, size_t outlen);
/* idx-th subjectAltName as "DNS:name" or "IP:addr" (other kinds are skipped).  Returns 1 and
 * fills out, or 0 when there are no more. */
int tls_conn_peer_san(const struct tls_conn *, size_t idx, char *out, size_t outlen);

#endif
