/*
 * `overt x1`: X1 client for operators and tests (TS 103 221-1, ADMF side).  Builds one request
 * from options (or sends an X1 document from a file as it is), POSTs it over mutual TLS, prints
 * the response document on stdout and one summary line per answered message on stderr.
 * Exit status: 0 every message acknowledged, 1 an X1 error (ErrorResponse or
 * X1TopLevelErrorResponse), 2 usage, 3 transport/HTTP/unreadable response.
 * See man/overt-x1.8 and docs/x1.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cli/cmds.h"
#include "common/uuid.h"
#include "x1/x1.h"
#include "x1/x1_client.h"

#define FILE_MAX X1_MAX_BODY

struct opts {
	struct x1_client_config cli;
	const char *admf_id, *ne_id, *version;
	const char *request, *file;
	const char *xid, *did, *addr, *port, *name, *delivery, *implicit;
	int udp;
	struct x1_task task;		/* targets, DIDs, mediation details collected here */
	unsigned services;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: overt x1 --url URL --cert FILE --key FILE --ca FILE --admf-id ID --ne-id ID\n"
	    "                [--x1-version V] [--timeout-ms N] REQUEST [options]\n"
	    "requests:\n"
	    "  activate-task | modify-task --xid UUID (--imsi D | --msisdn D | --imei D)...\n"
	    "        --delivery X2Only|X3Only|X2andX3 [--did UUID]... [--service data]...\n"
	    "        [--implicit-deactivation true|false]\n"
	    "        [--liid LIID --mediation-delivery HI2Only|HI3Only|HI2andHI3\n"
	    "         [--mediation-dest UUID]... [--start TS] [--end TS]]...\n"
	    "  deactivate-task --xid UUID        get-task --xid UUID\n"
	    "  deactivate-all   get-all-tasks   get-all-destinations   get-ne-status   ping   keepalive\n"
	    "  create-destination | modify-destination --did UUID --addr IP --port N [--udp]\n"
	    "        [--name TEXT] [--delivery X2Only|X3Only|X2andX3 (default X2andX3)]\n"
	    "  remove-destination --did UUID     get-destination --did UUID\n"
	    "  send FILE.xml (or - for stdin)    the document is sent as it is\n"
	    "The response document goes to stdout, one line per message to stderr.\n"
	    "Exit: 0 acknowledged, 1 X1 error response, 2 usage, 3 transport/HTTP failure.\n");
}

static int
parse_delivery(const char *s, int hi, enum x1_delivery *out)
{
	for (int d = X1_X2_ONLY; d <= X1_X2_AND_X3; d++) {
		const char *n = hi ? x1_hi_delivery_name((enum x1_delivery)d)
				   : x1_delivery_name((enum x1_delivery)d);
		if (strcmp(s, n) == 0) {
			*out = (enum x1_delivery)d;
			return 0;
		}
	}
	return -1;
}

static int
add_target(struct opts *o, enum x1_target_type t, const char *v)
{
	if (o->task.ntargets == X1_MAX_TARGETS || !x1_target_ok(t, v)) {
		fprintf(stderr, "overt x1: invalid or too many targets (%s)\n", x1_target_name(t));
		return -1;
	}
	o->task.targets[o->task.ntargets].type = t;
	snprintf(o->task.targets[o->task.ntargets].value, sizeof(o->task.targets[0].value), "%s", v);
	o->task.ntargets++;
	return 0;
}

static int
add_uuid(uint8_t (*list)[16], size_t *n, size_t max, const char *v, const char *opt)
{
	if (*n == max || uuid_parse(v, list[*n]) != 0) {
		fprintf(stderr, "overt x1: %s: invalid UUID or too many\n", opt);
		return -1;
	}
	(*n)++;
	return 0;
}

static struct x1_mediation *
cur_med(struct opts *o, const char *opt)
{
	if (o->task.nmed == 0) {
		fprintf(stderr, "overt x1: %s needs a --liid before it\n", opt);
		return NULL;
	}
	return &o->task.med[o->task.nmed - 1];
}

/* Handles one option with its value; returns 0, or -1 on a usage error. */
static int
option(struct opts *o, const char *opt, const char *v)
{
	struct x1_mediation *m;
	static const char *const svc[X1_SVC_COUNT] = {
	    "voice", "data", "messaging", "pushToTalk", "LALS", "RCS"};

	if (strcmp(opt, "--url") == 0)
		o->cli.url = v;
	else if (strcmp(opt, "--cert") == 0)
		o->cli.cert_file = v;
	else if (strcmp(opt, "--key") == 0)
		o->cli.key_file = v;
	else if (strcmp(opt, "--ca") == 0)
		o->cli.ca_file = v;
	else if (strcmp(opt, "--admf-id") == 0)
		o->admf_id = v;
	else if (strcmp(opt, "--ne-id") == 0)
		o->ne_id = v;
	else if (strcmp(opt, "--x1-version") == 0)
		o->version = v;
	else if (strcmp(opt, "--timeout-ms") == 0) {
		char *end;
		errno = 0;
		unsigned long t = strtoul(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || v[0] == '-' || t == 0 || t > 600000) {
			fprintf(stderr, "overt x1: --timeout-ms: 1..600000\n");
			return -1;
		}
		o->cli.timeout_ms = (long)t;
	} else if (strcmp(opt, "--xid") == 0)
		o->xid = v;
	else if (strcmp(opt, "--did") == 0) {
		o->did = v;
		return add_uuid(o->task.dids, &o->task.ndids, X1_MAX_DIDS, v, opt);
	} else if (strcmp(opt, "--imsi") == 0)
		return add_target(o, X1_TGT_IMSI, v);
	else if (strcmp(opt, "--msisdn") == 0 || strcmp(opt, "--e164") == 0)
		return add_target(o, X1_TGT_E164, v);
	else if (strcmp(opt, "--imei") == 0)
		return add_target(o, X1_TGT_IMEI, v);
	else if (strcmp(opt, "--delivery") == 0)
		o->delivery = v;
	else if (strcmp(opt, "--service") == 0) {
		int i;
		for (i = 0; i < X1_SVC_COUNT && strcmp(v, svc[i]) != 0; i++)
			;
		if (i == X1_SVC_COUNT) {
			fprintf(stderr, "overt x1: --service: unknown service type\n");
			return -1;
		}
		o->services |= 1u << i;
	} else if (strcmp(opt, "--implicit-deactivation") == 0)
		o->implicit = v;
	else if (strcmp(opt, "--liid") == 0) {
		if (o->task.nmed == X1_MAX_MEDIATION || !x1_liid_ok(v)) {
			fprintf(stderr, "overt x1: --liid: invalid LIID or too many\n");
			return -1;
		}
		m = &o->task.med[o->task.nmed++];
		snprintf(m->liid, sizeof(m->liid), "%s", v);
		m->delivery = X1_X2_AND_X3;
	} else if (strcmp(opt, "--mediation-delivery") == 0) {
		if ((m = cur_med(o, opt)) == NULL || parse_delivery(v, 1, &m->delivery) != 0) {
			fprintf(stderr, "overt x1: --mediation-delivery: HI2Only|HI3Only|HI2andHI3\n");
			return -1;
		}
	} else if (strcmp(opt, "--mediation-dest") == 0) {
		if ((m = cur_med(o, opt)) == NULL)
			return -1;
		return add_uuid(m->dids, &m->ndids, X1_MAX_MED_DIDS, v, opt);
	} else if (strcmp(opt, "--start") == 0 || strcmp(opt, "--end") == 0) {
		if ((m = cur_med(o, opt)) == NULL || !x1_timestamp_ok(v)) {
			fprintf(stderr, "overt x1: %s: YYYY-MM-DDThh:mm:ss.ffffffZ\n", opt);
			return -1;
		}
		snprintf(opt[2] == 's' ? m->start : m->end, sizeof(m->start), "%s", v);
	} else if (strcmp(opt, "--addr") == 0)
		o->addr = v;
	else if (strcmp(opt, "--port") == 0)
		o->port = v;
	else if (strcmp(opt, "--name") == 0)
		o->name = v;
	else {
		fprintf(stderr, "overt x1: unknown option %s\n", opt);
		return -1;
	}
	return 0;
}

static const struct {
	const char *cmd;
	enum x1_msg_type type;
} requests[] = {
	{"activate-task", X1_ACTIVATE_TASK},
	{"modify-task", X1_MODIFY_TASK},
	{"deactivate-task", X1_DEACTIVATE_TASK},
	{"deactivate-all", X1_DEACTIVATE_ALL_TASKS},
	{"get-task", X1_GET_TASK_DETAILS},
	{"get-all-tasks", X1_GET_ALL_TASK_DETAILS},
	{"create-destination", X1_CREATE_DESTINATION},
	{"modify-destination", X1_MODIFY_DESTINATION},
	{"remove-destination", X1_REMOVE_DESTINATION},
	{"get-destination", X1_GET_DESTINATION_DETAILS},
	{"get-all-destinations", X1_GET_ALL_DESTINATION_DETAILS},
	{"get-ne-status", X1_GET_NE_STATUS},
	{"ping", X1_PING},
	{"keepalive", X1_KEEPALIVE},
};

/* A UUID from an option, or a fresh random one reported on stderr. */
static int
id_or_random(const char *v, const char *what, uint8_t out[16])
{
	char s[UUID_STRLEN + 1];
	if (v != NULL) {
		if (uuid_parse(v, out) != 0) {
			fprintf(stderr, "overt x1: --%s: invalid UUID (lowercase 8-4-4-4-12)\n", what);
			return -1;
		}
		return 0;
	}
	if (uuid_random(out) != 0) {
		fprintf(stderr, "overt x1: random number generator failed\n");
		return -1;
	}
	uuid_format(out, s);
	fprintf(stderr, "overt x1: %s %s\n", what, s);
	return 0;
}

static int
need(const char *v, const char *opt)
{
	if (v == NULL) {
		fprintf(stderr, "overt x1: %s is required\n", opt);
		return -1;
	}
	return 0;
}

/* Fills the message body from the options; returns 0 or -1 (usage). */
static int
build_msg(struct opts *o, struct x1_msg *m)
{
	switch (m->type) {
	case X1_ACTIVATE_TASK:
	case X1_MODIFY_TASK:
		m->task = o->task;
		m->task.implicit_deactivation = -1;
		m->task.has_mediation = o->task.nmed > 0;
		m->task.service_types = o->services;
		if ((m->type == X1_MODIFY_TASK && need(o->xid, "--xid") != 0) ||
		    id_or_random(o->xid, "xid", m->task.xid) != 0 ||
		    need(o->delivery, "--delivery") != 0)
			return -1;
		if (parse_delivery(o->delivery, 0, &m->task.delivery) != 0) {
			fprintf(stderr, "overt x1: --delivery: X2Only|X3Only|X2andX3\n");
			return -1;
		}
		if (m->task.ntargets == 0) {
			fprintf(stderr, "overt x1: at least one --imsi, --msisdn or --imei\n");
			return -1;
		}
		if (o->implicit != NULL) {
			if (strcmp(o->implicit, "true") != 0 && strcmp(o->implicit, "false") != 0) {
				fprintf(stderr, "overt x1: --implicit-deactivation: true|false\n");
				return -1;
			}
			m->task.implicit_deactivation = o->implicit[0] == 't';
		}
		return 0;
	case X1_DEACTIVATE_TASK:
	case X1_GET_TASK_DETAILS:
		if (need(o->xid, "--xid") != 0)
			return -1;
		return id_or_random(o->xid, "xid", m->id);
	case X1_REMOVE_DESTINATION:
	case X1_GET_DESTINATION_DETAILS:
		if (need(o->did, "--did") != 0)
			return -1;
		return id_or_random(o->did, "did", m->id);
	case X1_CREATE_DESTINATION:
	case X1_MODIFY_DESTINATION: {
		struct x1_dest *d = &m->dest;
		if ((m->type == X1_MODIFY_DESTINATION && need(o->did, "--did") != 0) ||
		    id_or_random(o->did, "did", d->did) != 0 || need(o->addr, "--addr") != 0 ||
		    need(o->port, "--port") != 0)
			return -1;
		if (inet_pton(AF_INET, o->addr, d->addr) == 1)
			d->family = X1_AF_IPV4;
		else if (inet_pton(AF_INET6, o->addr, d->addr) == 1)
			d->family = X1_AF_IPV6;
		else {
			fprintf(stderr, "overt x1: --addr: an IPv4 or IPv6 address\n");
			return -1;
		}
		char *end;
		errno = 0;
		unsigned long p = strtoul(o->port, &end, 10);
		d->proto = o->udp ? X1_PORT_UDP : X1_PORT_TCP;
		/* TS 103 280 TCPPort is 2..65535, UDPPort 0..65535. */
		if (errno != 0 || end == o->port || *end != '\0' || o->port[0] == '-' ||
		    p > 65535 || (!o->udp && p < 2)) {
			fprintf(stderr, "overt x1: --port: 2..65535 (TCP) or 0..65535 (--udp)\n");
			return -1;
		}
		d->port = (uint16_t)p;
		if (o->name != NULL) {
			if (strlen(o->name) > X1_NAME_MAX) {
				fprintf(stderr, "overt x1: --name: at most %d bytes\n", X1_NAME_MAX);
				return -1;
			}
			d->has_name = 1;
			snprintf(d->name, sizeof(d->name), "%s", o->name);
		}
		if (parse_delivery(o->delivery != NULL ? o->delivery : "X2andX3", 0,
				   &d->delivery) != 0) {
			fprintf(stderr, "overt x1: --delivery: X2Only|X3Only|X2andX3\n");
			return -1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

/* Reads FILE (or stdin for "-") into b. */
static int
read_file(const char *path, struct ovt_builder *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char buf[8192];
	size_t n;
	if (f == NULL) {
		fprintf(stderr, "overt x1: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		bld_add_bytes(b, buf, n);
	int err = ferror(f);
	if (f != stdin)
		fclose(f);
	if (err || !bld_ok(b)) {
		fprintf(stderr, "overt x1: %s: unreadable or larger than %d bytes\n", path, FILE_MAX);
		return -1;
	}
	return 0;
}

/* One stderr line per message; returns 1 if any is an error. */
static int
summarise(const struct x1_response *r)
{
	int err = 0;
	if (r->top_level_error) {
		fprintf(stderr, "overt x1: X1TopLevelErrorResponse (request refused as a whole)\n");
		return 1;
	}
	for (size_t i = 0; i < r->nmsg; i++) {
		const struct x1_resp_msg *m = &r->msgs[i];
		const char *name = x1_msg_name(m->type);
		if (m->is_error) {
			err = 1;
			fprintf(stderr, "overt x1: %s: error %d (%s): %s\n", name, m->code,
				x1_code_str(m->code), m->desc);
		} else if (m->ok != X1_OK_NONE)
			fprintf(stderr, "overt x1: %s: %s\n", name,
				m->ok == X1_OK_COMPLETED ? "AcknowledgedAndCompleted" : "Acknowledged");
		else if (m->type == X1_GET_NE_STATUS)
			fprintf(stderr, "overt x1: %s: %s, %zu fault(s)\n", name,
				m->ne.status == X1_NES_OK ? "OK" : "Faults", m->ne.faults.n);
		else
			fprintf(stderr, "overt x1: %s: %zu task(s), %zu destination(s)\n", name,
				m->ntasks, m->ndests);
	}
	return err;
}

static int
run(struct opts *o)
{
	struct ovt_builder req, resp;
	char err[256];
	long status = 0;
	int rc = 3;
	struct x1_response *r = x1_response_new();

	memset(&req, 0, sizeof(req));	/* bld_cleanup is harmless on a zeroed builder */
	memset(&resp, 0, sizeof(resp));
	if (r == NULL || !bld_init(&req, 4096, FILE_MAX) || !bld_init(&resp, 4096, X1_MAX_RESPONSE)) {
		fprintf(stderr, "overt x1: out of memory\n");
		goto out;
	}
	if (strcmp(o->request, "send") == 0) {
		if (o->file == NULL) {
			fprintf(stderr, "overt x1: send needs a FILE (or -)\n");
			rc = 2;
			goto out;
		}
		if (read_file(o->file, &req) != 0) {
			rc = 2;
			goto out;
		}
	} else {
		struct x1_msg *m = calloc(1, sizeof(*m));
		size_t i;
		for (i = 0; i < sizeof(requests) / sizeof(requests[0]); i++)
			if (strcmp(o->request, requests[i].cmd) == 0)
				break;
		if (m == NULL || i == sizeof(requests) / sizeof(requests[0])) {
			if (m != NULL)
				fprintf(stderr, "overt x1: unknown request '%s'\n", o->request);
			free(m);
			rc = 2;
			goto out;
		}
		m->type = requests[i].type;
		if (need(o->admf_id, "--admf-id") != 0 || need(o->ne_id, "--ne-id") != 0 ||
		    build_msg(o, m) != 0) {
			free(m);
			rc = 2;
			goto out;
		}
		snprintf(m->hdr.admf_id, sizeof(m->hdr.admf_id), "%s", o->admf_id);
		snprintf(m->hdr.ne_id, sizeof(m->hdr.ne_id), "%s", o->ne_id);
		snprintf(m->hdr.version, sizeof(m->hdr.version), "%s", o->version);
		x1_timestamp_now(m->hdr.timestamp);
		if (uuid_random(m->hdr.transaction_id) != 0) {
			free(m);
			goto out;
		}
		/* Built, sent and parsed by the library's client. */
		enum x1_client_err e = x1_client_exchange(&o->cli, m, 1, r, &resp, err, sizeof(err));
		free(m);
		if (bld_len(&resp) > 0)
			fwrite(bld_data(&resp), 1, bld_len(&resp), stdout);
		if (e == X1_CLI_BUILD) {
			fprintf(stderr, "overt x1: request could not be built: a value is invalid "
					"(identifiers must be xs:tokens, version v1.N.N)\n");
			rc = 2;
		} else if (e != X1_CLI_OK) {
			fprintf(stderr, "overt x1: %s%s%s\n", x1_client_strerror(e),
				err[0] ? ": " : "", err);
			rc = e == X1_CLI_ARG ? 2 : 3;
		} else
			rc = summarise(r);
		goto out;
	}
	/* send: the file goes out as it is. */
	enum x1_client_err e = x1_client_post(&o->cli, bld_data(&req), bld_len(&req), &resp,
					      &status, err, sizeof(err));
	if (bld_len(&resp) > 0)
		fwrite(bld_data(&resp), 1, bld_len(&resp), stdout);
	if (e == X1_CLI_HTTP) {
		fprintf(stderr, "overt x1: HTTP status %ld\n", status);
		goto out;
	}
	if (e != X1_CLI_OK) {
		fprintf(stderr, "overt x1: %s%s%s\n", x1_client_strerror(e), err[0] ? ": " : "", err);
		rc = e == X1_CLI_ARG ? 2 : 3;
		goto out;
	}
	if (x1_parse_response(bld_data(&resp), bld_len(&resp), X1_MAX_RESPONSE, r, err,
			      sizeof(err)) != X1_P_OK) {
		fprintf(stderr, "overt x1: unreadable response: %s\n", err);
		goto out;
	}
	rc = summarise(r);
out:
	x1_response_free(r);
	bld_cleanup(&req);
	bld_cleanup(&resp);
	return rc;
}

int
cmd_x1(int argc, char **argv)
{
	struct opts o;
	memset(&o, 0, sizeof(o));
	o.version = X1_VERSION_DEFAULT;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--udp") == 0) {
			o.udp = 1;
			continue;
		}
		if (strncmp(a, "--", 2) == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "overt x1: %s needs a value\n", a);
				return 2;
			}
			if (option(&o, a, argv[++i]) != 0)
				return 2;
			continue;
		}
		if (o.request == NULL)
			o.request = a;
		else if (strcmp(o.request, "send") == 0 && o.file == NULL)
			o.file = a;
		else {
			fprintf(stderr, "overt x1: unexpected argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (o.request == NULL) {
		usage(stderr);
		return 2;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "overt x1: libcurl initialisation failed\n");
		return 3;
	}
	int rc = run(&o);
	curl_global_cleanup();
	return rc;
}
