/*
 * TLS layer tests over non-blocking socketpairs: mutual handshake, peer identity (CN, SANs),
 * data both ways and end of stream; refusals: client without a certificate, client certificate
 * from another CA, server certificate from another CA, wrong server name; configuration errors;
 * the plaintext stream.  Certificates come from pki_init (two independent CAs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "pki/pki.h"
#include "tls/tls.h"

static char dir_a[64], dir_b[64];
static const char *const roles[] = {"poi", "mdf"};

static void
fpath(char *out, size_t len, const char *dir, const char *file)
{
	snprintf(out, len, "%s/%s", dir, file);
}

static struct tls_ctx *
mkctx(enum tls_role role, const char *ca_dir, const char *cert_dir, const char *name,
      enum tls_err *err)
{
	char ca[128], cert[128], key[128], f[32];
	struct tls_config c = {ca, cert, key};
	fpath(ca, sizeof(ca), ca_dir, "ca.pem");
	snprintf(f, sizeof(f), "%s.pem", name);
	fpath(cert, sizeof(cert), cert_dir, f);
	snprintf(f, sizeof(f), "%s.key", name);
	fpath(key, sizeof(key), cert_dir, f);
	return tls_ctx_new(role, &c, err);
}

static struct tls_ctx *
ctx_ok(enum tls_role role, const char *ca_dir, const char *cert_dir, const char *name)
{
	enum tls_err e;
	struct tls_ctx *t = mkctx(role, ca_dir, cert_dir, name, &e);
	assert_non_null(t);
	assert_int_equal(e, TLS_OK);
	return t;
}

static void
nb_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(fcntl(sv[i], F_SETFL, fcntl(sv[i], F_GETFL) | O_NONBLOCK), 0);
}

/* Steps both handshakes until each is done or failed. */
static void
drive(struct tls_conn *c, struct tls_conn *s, enum tls_io *cr, enum tls_io *sr)
{
	*cr = *sr = TLS_IO_WANT_READ;
	for (int i = 0; i < 100; i++) {
		if (*cr == TLS_IO_WANT_READ || *cr == TLS_IO_WANT_WRITE)
			*cr = tls_conn_handshake(c);
		if (*sr == TLS_IO_WANT_READ || *sr == TLS_IO_WANT_WRITE)
			*sr = tls_conn_handshake(s);
		int c_done = *cr != TLS_IO_WANT_READ && *cr != TLS_IO_WANT_WRITE;
		int s_done = *sr != TLS_IO_WANT_READ && *sr != TLS_IO_WANT_WRITE;
		if (c_done && s_done)
			return;
	}
}

static enum tls_io
read_some(struct tls_conn *c, char *buf, size_t len, size_t *got)
{
	enum tls_io io = TLS_IO_WANT_READ;
	for (int i = 0; i < 100 && io == TLS_IO_WANT_READ; i++)
		io = tls_conn_read(c, buf, len, got);
	return io;
}

static int
setup(void **state)
{
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir_a, sizeof(dir_a), "/tmp/x2x3-tls-a-XXXXXX");
	snprintf(dir_b, sizeof(dir_b), "/tmp/x2x3-tls-b-XXXXXX");
	if (mkdtemp(dir_a) == NULL || mkdtemp(dir_b) == NULL)
		return -1;
	if (pki_init(dir_a, roles, 2, 1) != PKI_OK || pki_init(dir_b, roles, 2, 1) != PKI_OK)
		return -1;
	return 0;
}

static void
rm_pki(const char *dir)
{
	const char *files[] = {"ca.pem", "ca.key", "poi.pem", "poi.key", "mdf.pem", "mdf.key"};
	char p[128];
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		fpath(p, sizeof(p), dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

static int
teardown(void **state)
{
	rm_pki(dir_a);
	rm_pki(dir_b);
	return 0;
}

static void
test_mutual_ok(void **state)
{
	const char *names[] = {"127.0.0.1", "localhost"};
	for (size_t n = 0; n < 2; n++) {
		struct tls_ctx *sc = ctx_ok(TLS_SERVER, dir_a, dir_a, "mdf");
		struct tls_ctx *cc = ctx_ok(TLS_CLIENT, dir_a, dir_a, "poi");
		int sv[2];
		enum tls_io cr, sr;
		char buf[64], out[64];
		size_t got;
		nb_pair(sv);
		struct tls_conn *c = tls_conn_new(cc, sv[0], names[n]);
		struct tls_conn *s = tls_conn_new(sc, sv[1], NULL);
		assert_non_null(c);
		assert_non_null(s);
		drive(c, s, &cr, &sr);
		assert_int_equal(cr, TLS_IO_OK);
		assert_int_equal(sr, TLS_IO_OK);
		assert_string_equal(tls_conn_version(c), "TLSv1.3");
		assert_true(tls_conn_is_tls(c));
		assert_int_equal(tls_conn_peer_cn(s, out, sizeof(out)), 0);
		assert_string_equal(out, "poi");
		assert_int_equal(tls_conn_peer_cn(c, out, sizeof(out)), 0);
		assert_string_equal(out, "mdf");
		assert_int_equal(tls_conn_peer_san(s, 0, out, sizeof(out)), 1);
		assert_string_equal(out, "DNS:localhost");
		assert_int_equal(tls_conn_peer_san(s, 1, out, sizeof(out)), 1);
		assert_string_equal(out, "IP:127.0.0.1");
		assert_int_equal(tls_conn_peer_san(s, 2, out, sizeof(out)), 0);
		/* Truncation of a long CN into a short buffer. */
		assert_int_equal(tls_conn_peer_cn(s, out, 3), 0);
		assert_string_equal(out, "po");

		assert_int_equal(tls_conn_write(c, "hello", 5, &got), TLS_IO_OK);
		assert_int_equal(got, 5);
		assert_int_equal(read_some(s, buf, sizeof(buf), &got), TLS_IO_OK);
		assert_int_equal(got, 5);
		assert_memory_equal(buf, "hello", 5);
		assert_int_equal(tls_conn_write(s, "back", 4, &got), TLS_IO_OK);
		assert_int_equal(read_some(c, buf, 2, &got), TLS_IO_OK);
		assert_int_equal(got, 2);
		/* The rest of the record is buffered inside OpenSSL, invisible to poll(2). */
		assert_int_equal(tls_conn_pending(c), 2);
		assert_int_equal(tls_conn_read(c, buf, sizeof(buf), &got), TLS_IO_OK);
		assert_memory_equal(buf, "ck", 2);
		/* Nothing more yet: would block. */
		assert_int_equal(tls_conn_read(c, buf, sizeof(buf), &got), TLS_IO_WANT_READ);
		/* Orderly close: the client sees end of stream. */
		tls_conn_shutdown(s);
		tls_conn_free(s);
		close(sv[1]);
		assert_int_equal(read_some(c, buf, sizeof(buf), &got), TLS_IO_EOF);
		tls_conn_free(c);
		close(sv[0]);
		tls_ctx_free(cc);
		tls_ctx_free(sc);
	}
}

/* Client certificate from another CA, or the client distrusting the server: refused. */
static void
handshake_fails(const char *cli_ca, const char *cli_cert, const char *name, int server_side,
		const char *why)
{
	struct tls_ctx *sc = ctx_ok(TLS_SERVER, dir_a, dir_a, "mdf");
	struct tls_ctx *cc = ctx_ok(TLS_CLIENT, cli_ca, cli_cert, "poi");
	int sv[2];
	enum tls_io cr, sr;
	char out[64];
	nb_pair(sv);
	struct tls_conn *c = tls_conn_new(cc, sv[0], name);
	struct tls_conn *s = tls_conn_new(sc, sv[1], NULL);
	drive(c, s, &cr, &sr);
	if (server_side) {
		assert_int_equal(sr, TLS_IO_ERROR);
		assert_non_null(strstr(tls_conn_error(s), why));
		assert_int_equal(tls_conn_peer_cn(s, out, sizeof(out)), -1);
	} else {
		assert_int_equal(cr, TLS_IO_ERROR);
		assert_non_null(strstr(tls_conn_error(c), why));
		assert_int_equal(tls_conn_peer_cn(c, out, sizeof(out)), -1);
	}
	tls_conn_free(c);
	tls_conn_free(s);
	close(sv[0]);
	close(sv[1]);
	tls_ctx_free(cc);
	tls_ctx_free(sc);
}

static void
test_refusals(void **state)
{
	/* The client's certificate chains to another CA: the server refuses it. */
	handshake_fails(dir_a, dir_b, "127.0.0.1", 1, "certificate verify failed");
	/* The server's certificate chains to a CA the client does not trust. */
	handshake_fails(dir_b, dir_b, "127.0.0.1", 0, "certificate verify failed");
	/* The server's certificate does not carry the expected name / address. */
	handshake_fails(dir_a, dir_a, "mdf.example.org", 0, "hostname mismatch");
	handshake_fails(dir_a, dir_a, "127.0.0.2", 0, "IP address mismatch");
}

static void
test_no_client_certificate(void **state)
{
	/* A client that trusts the server but has no certificate (plain OpenSSL, since our own
	 * layer refuses to build such a client). */
	struct tls_ctx *sc = ctx_ok(TLS_SERVER, dir_a, dir_a, "mdf");
	SSL_CTX *raw = SSL_CTX_new(TLS_client_method());
	char ca[128];
	int sv[2];
	enum tls_io sr = TLS_IO_WANT_READ;
	fpath(ca, sizeof(ca), dir_a, "ca.pem");
	assert_int_equal(SSL_CTX_load_verify_locations(raw, ca, NULL), 1);
	nb_pair(sv);
	SSL *ssl = SSL_new(raw);
	SSL_set_fd(ssl, sv[0]);
	SSL_set_connect_state(ssl);
	struct tls_conn *s = tls_conn_new(sc, sv[1], NULL);
	for (int i = 0; i < 100 && (sr == TLS_IO_WANT_READ || sr == TLS_IO_WANT_WRITE); i++) {
		SSL_do_handshake(ssl);
		sr = tls_conn_handshake(s);
	}
	assert_int_equal(sr, TLS_IO_ERROR);
	assert_true(strlen(tls_conn_error(s)) > 0);
	/* Whatever the client then sends never becomes readable data on our side. */
	SSL_free(ssl);
	SSL_CTX_free(raw);
	tls_conn_free(s);
	close(sv[0]);
	close(sv[1]);
	tls_ctx_free(sc);
}

static void
test_config_errors(void **state)
{
	enum tls_err e;
	struct tls_config c = {NULL, NULL, NULL};
	char ca[128], cert[128], key[128];
	assert_null(tls_ctx_new(TLS_SERVER, &c, &e));
	assert_int_equal(e, TLS_E_ARG);
	fpath(ca, sizeof(ca), dir_a, "nonexistent.pem");
	fpath(cert, sizeof(cert), dir_a, "poi.pem");
	fpath(key, sizeof(key), dir_a, "poi.key");
	c = (struct tls_config){ca, cert, key};
	assert_null(tls_ctx_new(TLS_SERVER, &c, &e));
	assert_int_equal(e, TLS_E_CA);
	fpath(ca, sizeof(ca), dir_a, "ca.pem");
	fpath(cert, sizeof(cert), dir_a, "poi.key");	/* a key where a certificate belongs */
	assert_null(tls_ctx_new(TLS_CLIENT, &c, &e));
	assert_int_equal(e, TLS_E_CERT);
	fpath(cert, sizeof(cert), dir_a, "poi.pem");
	fpath(key, sizeof(key), dir_a, "mdf.key");	/* another role's key */
	assert_null(tls_ctx_new(TLS_CLIENT, &c, &e));
	assert_int_equal(e, TLS_E_KEY);
	assert_string_equal(tls_strerror(TLS_E_KEY),
			    "cannot load private key, or it does not match the certificate");
	assert_string_equal(tls_strerror(TLS_E_COUNT), "unknown tls error");

	struct tls_ctx *cc = ctx_ok(TLS_CLIENT, dir_a, dir_a, "poi");
	struct tls_ctx *sc = ctx_ok(TLS_SERVER, dir_a, dir_a, "mdf");
	assert_null(tls_conn_new(cc, 0, NULL));		/* a client must name its server */
	assert_null(tls_conn_new(cc, 0, ""));
	assert_null(tls_conn_new(sc, 0, "localhost"));	/* a server has no expected name */
	tls_ctx_free(cc);
	tls_ctx_free(sc);
}

static void
test_plaintext(void **state)
{
	int sv[2];
	char buf[16], out[16];
	size_t got;
	nb_pair(sv);
	struct tls_conn *a = tls_conn_new_plain(sv[0]), *b = tls_conn_new_plain(sv[1]);
	assert_int_equal(tls_conn_handshake(a), TLS_IO_OK);
	assert_false(tls_conn_is_tls(a));
	assert_string_equal(tls_conn_version(a), "plaintext");
	assert_int_equal(tls_conn_peer_cn(a, out, sizeof(out)), -1);
	assert_int_equal(tls_conn_read(b, buf, sizeof(buf), &got), TLS_IO_WANT_READ);
	assert_int_equal(tls_conn_write(a, "abc", 3, &got), TLS_IO_OK);
	assert_int_equal(tls_conn_read(b, buf, sizeof(buf), &got), TLS_IO_OK);
	assert_int_equal(got, 3);
	assert_int_equal(tls_conn_pending(b), 0);
	tls_conn_free(a);
	close(sv[0]);
	assert_int_equal(tls_conn_read(b, buf, sizeof(buf), &got), TLS_IO_EOF);
	/* Writing to a closed peer is an error, not a signal (MSG_NOSIGNAL). */
	enum tls_io io = tls_conn_write(b, "x", 1, &got);
	assert_int_equal(io, TLS_IO_ERROR);
	assert_true(strlen(tls_conn_error(b)) > 0);
	tls_conn_free(b);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutual_ok),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_no_client_certificate),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_plaintext),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
