/*
 * X1 client on libcurl: strict mutual TLS, https only, bounded response (see x1_client.h).
 */
#include "x1/x1_client.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

const char *
x1_client_strerror(enum x1_client_err e)
{
	switch (e) {
	case X1_CLI_OK:
		return "ok";
	case X1_CLI_ARG:
		return "missing URL, certificate, key or CA, or URL is not https";
	case X1_CLI_NOMEM:
		return "out of memory";
	case X1_CLI_BUILD:
		return "request could not be built (invalid value)";
	case X1_CLI_TRANSPORT:
		return "connection or TLS failure";
	case X1_CLI_HTTP:
		return "HTTP error status";
	case X1_CLI_TOO_LARGE:
		return "response too large";
	case X1_CLI_PARSE:
		return "response is not a valid X1 document";
	}
	return "unknown client error";
}

static size_t
on_data(char *p, size_t size, size_t n, void *arg)
{
	struct ovt_builder *b = arg;
	bld_add_bytes(b, p, size * n);
	/* Returning less than offered makes curl abort with CURLE_WRITE_ERROR. */
	return bld_ok(b) ? size * n : 0;
}

enum x1_client_err
x1_client_post(const struct x1_client_config *cfg, const uint8_t *body, size_t len,
	       struct ovt_builder *resp, long *http_status, char *errbuf, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "";
	enum x1_client_err ret = X1_CLI_OK;
	struct curl_slist *hdrs = NULL;

	*http_status = 0;
	if (errlen > 0)
		errbuf[0] = '\0';
	if (cfg->url == NULL || strncasecmp(cfg->url, "https://", 8) != 0 ||
	    cfg->cert_file == NULL || cfg->key_file == NULL || cfg->ca_file == NULL)
		return X1_CLI_ARG;
	CURL *c = curl_easy_init();
	if (c == NULL)
		return X1_CLI_NOMEM;
	hdrs = curl_slist_append(hdrs, "Content-Type: application/xml; charset=utf-8");
	if (hdrs == NULL) {
		curl_easy_cleanup(c);
		return X1_CLI_NOMEM;
	}
	/* Each setopt is checked: a silently ignored TLS option would weaken the channel. */
	if (curl_easy_setopt(c, CURLOPT_URL, cfg->url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOPROXY, "*") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSLCERT, cfg->cert_file) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSLKEY, cfg->key_file) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CAPATH, NULL) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POST, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cfg->timeout_ms > 0 ? cfg->timeout_ms
									: 10000L) != CURLE_OK) {
		ret = X1_CLI_ARG;
		goto out;
	}
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_WRITE_ERROR && !bld_ok(resp)) {
		ret = X1_CLI_TOO_LARGE;
		goto out;
	}
	if (rc != CURLE_OK) {
		snprintf(errbuf, errlen, "%s", cerr[0] != '\0' ? cerr : curl_easy_strerror(rc));
		ret = X1_CLI_TRANSPORT;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, http_status);
	if (*http_status != 200)
		ret = X1_CLI_HTTP;
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return ret;
}

enum x1_client_err
x1_client_exchange(const struct x1_client_config *cfg, const struct x1_msg *msgs, size_t n,
		   struct x1_response *out, struct ovt_builder *raw, char *errbuf, size_t errlen)
{
	struct ovt_builder req, resp;
	long status;
	enum x1_client_err e;

	if (!bld_init(&req, 4096, X1_MAX_BODY))
		return X1_CLI_NOMEM;
	x1_build_request(&req, msgs, n);
	if (!bld_ok(&req)) {
		bld_cleanup(&req);
		return X1_CLI_BUILD;
	}
	if (!bld_init(&resp, 4096, X1_MAX_RESPONSE)) {
		bld_cleanup(&req);
		return X1_CLI_NOMEM;
	}
	e = x1_client_post(cfg, bld_data(&req), bld_len(&req), &resp, &status, errbuf, errlen);
	if (e == X1_CLI_HTTP)
		snprintf(errbuf, errlen, "HTTP status %ld", status);
	if (raw != NULL && bld_len(&resp) > 0)
		bld_add_bytes(raw, bld_data(&resp), bld_len(&resp));
	if (e == X1_CLI_OK &&
	    x1_parse_response(bld_data(&resp), bld_len(&resp), X1_MAX_RESPONSE, out, errbuf,
			      errlen) != X1_P_OK)
		e = X1_CLI_PARSE;
	bld_cleanup(&req);
	bld_cleanup(&resp);
	return e;
}
