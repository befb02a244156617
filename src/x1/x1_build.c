/*
 * X1 document writer.  Text goes through an ovt_builder; every value is checked against the
 * same pattern the parser enforces before it is written, so that a document this file produces
 * always validates against the ETSI XSDs (a bad value sets the builder's sticky error instead of
 * producing an invalid document).
 *
 * Layout: the X1 namespace is the default namespace of the root, TS 103 280 elements use the
 * prefix "etsi", and message types are written as unprefixed QNames (resolved through the
 * default namespace), as in the ETSI examples.  One element per line, no indentation.
 */
#include "x1/x1.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/uuid.h"

#define ROOT_NS " xmlns=\"" X1_NS "\" xmlns:etsi=\"" X1_NS_280 "\" xmlns:xsi=\"" X1_NS_XSI "\""

static void
put(struct ovt_builder *b, const char *s)
{
	bld_add_bytes(b, s, strlen(s));
}

static void
fail(struct ovt_builder *b)
{
	b->err = 1;
}

/* Length of the UTF-8 sequence at s (1..4), or 0 if it is not well-formed. */
static size_t
utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n;
	uint32_t cp;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF and U+FFFE/U+FFFF are not XML characters. */
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

/* Makes free text safe to write: cut at the first byte that does not start a well-formed UTF-8
 * character (snprintf truncation may split one), control characters become '?'. */
static void
clean_text(char *s)
{
	unsigned char *p = (unsigned char *)s;
	while (*p != '\0') {
		size_t n = utf8_len(p);
		if (n == 0) {
			*p = '\0';
			return;
		}
		if (*p < 0x20)
			*p = '?';
		p += n;
	}
}

/* Character data with the five XML escapes; anything that is not an XML 1.0 character fails. */
static void
esc(struct ovt_builder *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p != '\0') {
		size_t n;
		switch (*p) {
		case '&':
			put(b, "&amp;");
			break;
		case '<':
			put(b, "&lt;");
			break;
		case '>':
			put(b, "&gt;");
			break;
		case '"':
			put(b, "&quot;");
			break;
		case '\r':	/* would be normalised away by the reader */
			put(b, "&#13;");
			break;
		case '\t':
		case '\n':
			bld_add_u8(b, *p);
			break;
		default:
			if (*p < 0x20 || (n = utf8_len(p)) == 0) {
				fail(b);
				return;
			}
			bld_add_bytes(b, p, n);
			p += n;
			continue;
		}
		p++;
	}
}

void
x1_build_open(struct ovt_builder *b, const char *name)
{
	put(b, "<");
	put(b, name);
	put(b, ">\n");
}

void
x1_build_close(struct ovt_builder *b, const char *name)
{
	put(b, "</");
	put(b, name);
	put(b, ">\n");
}

static void
elem(struct ovt_builder *b, const char *name, const char *text)
{
	put(b, "<");
	put(b, name);
	put(b, ">");
	esc(b, text);
	put(b, "</");
	put(b, name);
	put(b, ">\n");
}

static void
elem_uuid(struct ovt_builder *b, const char *name, const uint8_t u[16])
{
	char s[UUID_STRLEN + 1];
	uuid_format(u, s);
	elem(b, name, s);
}

static void
elem_u64(struct ovt_builder *b, const char *name, uint64_t v)
{
	char s[24];
	snprintf(s, sizeof(s), "%" PRIu64, v);
	elem(b, name, s);
}

static void
elem_ts(struct ovt_builder *b, const char *name, const char *ts)
{
	if (!x1_timestamp_ok(ts))
		fail(b);
	elem(b, name, ts);
}

static void
header(struct ovt_builder *b, const struct x1_header *h, int with_xid)
{
	/* Clause 6.1 order; tokens must already be collapsed and non-empty. */
	if (!x1_token_ok(h->admf_id, X1_ID_MAX) || !x1_token_ok(h->ne_id, X1_ID_MAX) ||
	    !x1_version_ok(h->version))
		fail(b);
	elem(b, "admfIdentifier", h->admf_id);
	elem(b, "neIdentifier", h->ne_id);
	elem_ts(b, "messageTimestamp", h->timestamp);
	elem(b, "version", h->version);
	if (with_xid)
		elem_uuid(b, "x1TransactionId", h->transaction_id);
}

static const char *
delivery(struct ovt_builder *b, enum x1_delivery d, int hi)
{
	if (d != X1_X2_ONLY && d != X1_X3_ONLY && d != X1_X2_AND_X3) {
		fail(b);
		return "";
	}
	return hi ? x1_hi_delivery_name(d) : x1_delivery_name(d);
}

static void
dids(struct ovt_builder *b, const uint8_t (*d)[16], size_t n, size_t max)
{
	if (n > max)
		fail(b);
	x1_build_open(b, "listOfDIDs");
	for (size_t i = 0; i < n && i < max; i++)
		elem_uuid(b, "dId", d[i]);
	x1_build_close(b, "listOfDIDs");
}

static void
task_details(struct ovt_builder *b, const struct x1_task *t)
{
	static const char *const svc[X1_SVC_COUNT] = {
	    "voice", "data", "messaging", "pushToTalk", "LALS", "RCS"};

	/* TaskDetails, clause 6.2.1.2, XSD sequence order. */
	x1_build_open(b, "taskDetails");
	elem_uuid(b, "xId", t->xid);
	if (t->ntargets == 0 || t->ntargets > X1_MAX_TARGETS)
		fail(b);
	x1_build_open(b, "targetIdentifiers");
	for (size_t i = 0; i < t->ntargets && i < X1_MAX_TARGETS; i++) {
		if (!x1_target_ok(t->targets[i].type, t->targets[i].value))
			fail(b);
		x1_build_open(b, "targetIdentifier");
		elem(b, x1_target_name(t->targets[i].type), t->targets[i].value);
		x1_build_close(b, "targetIdentifier");
	}
	x1_build_close(b, "targetIdentifiers");
	elem(b, "deliveryType", delivery(b, t->delivery, 0));
	dids(b, t->dids, t->ndids, X1_MAX_DIDS);
	if (t->has_mediation || t->nmed > 0) {
		if (t->nmed > X1_MAX_MEDIATION)
			fail(b);
		x1_build_open(b, "listOfMediationDetails");
		for (size_t i = 0; i < t->nmed && i < X1_MAX_MEDIATION; i++) {
			const struct x1_mediation *m = &t->med[i];
			x1_build_open(b, "mediationDetails");
			if (!x1_liid_ok(m->liid))
				fail(b);
			elem(b, "LIID", m->liid);
			elem(b, "deliveryType", delivery(b, m->delivery, 1));
			if (m->start[0] != '\0')
				elem_ts(b, "StartTime", m->start);
			if (m->end[0] != '\0')
				elem_ts(b, "EndTime", m->end);
			if (m->ndids > 0)
				dids(b, m->dids, m->ndids, X1_MAX_MED_DIDS);
			x1_build_close(b, "mediationDetails");
		}
		x1_build_close(b, "listOfMediationDetails");
	}
	if (t->has_correlation)
		elem_u64(b, "correlationID", t->correlation_id);
	if (t->implicit_deactivation >= 0)
		elem(b, "implicitDeactivationAllowed", t->implicit_deactivation ? "true" : "false");
	if (t->has_product)
		elem_uuid(b, "productID", t->product_id);
	if (t->service_types != 0) {
		x1_build_open(b, "listOfServiceTypes");
		for (int i = 0; i < X1_SVC_COUNT; i++)
			if (t->service_types & (1u << i))
				elem(b, "serviceType", svc[i]);
		x1_build_close(b, "listOfServiceTypes");
	}
	x1_build_close(b, "taskDetails");
}

static void
dest_details(struct ovt_builder *b, const struct x1_dest *d)
{
	char addr[40], port[8];

	/* DestinationDetails, clause 6.3.1.2; ipAddressAndPort children are TS 103 280's. */
	x1_build_open(b, "destinationDetails");
	elem_uuid(b, "dId", d->did);
	if (d->has_name) {
		if (strlen(d->name) > X1_NAME_MAX)
			fail(b);
		elem(b, "friendlyName", d->name);
	}
	elem(b, "deliveryType", delivery(b, d->delivery, 0));
	x1_build_open(b, "deliveryAddress");
	x1_build_open(b, "ipAddressAndPort");
	x1_build_open(b, "etsi:address");
	x1_addr_format(d->family, d->addr, addr);
	if (d->family == X1_AF_IPV4)
		elem(b, "etsi:IPv4Address", addr);
	else if (d->family == X1_AF_IPV6)
		elem(b, "etsi:IPv6Address", addr);
	else
		fail(b);
	x1_build_close(b, "etsi:address");
	x1_build_open(b, "etsi:port");
	snprintf(port, sizeof(port), "%u", d->port);
	/* TCPPort has minExclusive 1 (so 2..65535); UDPPort is 0..65535. */
	if (d->proto == X1_PORT_TCP && d->port > 1)
		elem(b, "etsi:TCPPort", port);
	else if (d->proto == X1_PORT_UDP)
		elem(b, "etsi:UDPPort", port);
	else
		fail(b);
	x1_build_close(b, "etsi:port");
	x1_build_close(b, "ipAddressAndPort");
	x1_build_close(b, "deliveryAddress");
	x1_build_close(b, "destinationDetails");
}

static void
faults(struct ovt_builder *b, const struct x1_faults *f)
{
	if (f->n == 0) {
		put(b, "<listOfFaults/>\n");
		return;
	}
	if (f->n > X1_MAX_FAULTS)
		fail(b);
	x1_build_open(b, "listOfFaults");
	for (size_t i = 0; i < f->n && i < X1_MAX_FAULTS; i++) {
		char d[X1_DESC_MAX + 1];
		snprintf(d, sizeof(d), "%s", f->f[i].desc);
		clean_text(d);
		x1_build_open(b, "unresolvedFault");
		elem_u64(b, "errorCode", (uint64_t)(f->f[i].code < 0 ? 0 : f->f[i].code));
		elem(b, "errorDescription", d);
		x1_build_close(b, "unresolvedFault");
	}
	x1_build_close(b, "listOfFaults");
}

static void
type_attr(struct ovt_builder *b, const char *elem_name, const char *type, const char *suffix)
{
	put(b, "<");
	put(b, elem_name);
	put(b, " xsi:type=\"");
	put(b, type);
	put(b, suffix);
	put(b, "\">\n");
}

/* ----- Requests ----- */

static void
request_msg(struct ovt_builder *b, const struct x1_msg *m)
{
	const char *name = x1_msg_name(m->type);
	if (name == NULL) {
		fail(b);
		return;
	}
	type_attr(b, "x1RequestMessage", name, "Request");
	header(b, &m->hdr, 1);
	switch (m->type) {
	case X1_ACTIVATE_TASK:
	case X1_MODIFY_TASK:
		task_details(b, &m->task);
		break;
	case X1_DEACTIVATE_TASK:
	case X1_GET_TASK_DETAILS:
		elem_uuid(b, "xId", m->id);
		break;
	case X1_CREATE_DESTINATION:
	case X1_MODIFY_DESTINATION:
		dest_details(b, &m->dest);
		break;
	case X1_REMOVE_DESTINATION:
	case X1_GET_DESTINATION_DETAILS:
		elem_uuid(b, "dId", m->id);
		break;
	case X1_DEACTIVATE_ALL_TASKS:
	case X1_GET_ALL_TASK_DETAILS:
	case X1_GET_ALL_DESTINATION_DETAILS:
	case X1_GET_NE_STATUS:
	case X1_PING:
	case X1_KEEPALIVE:
		break;
	default:
		fail(b);	/* not a request this builder writes */
		break;
	}
	x1_build_close(b, "x1RequestMessage");
}

void
x1_build_request(struct ovt_builder *b, const struct x1_msg *msgs, size_t n)
{
	if (n == 0 || n > X1_MAX_MESSAGES)
		fail(b);
	put(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<X1Request" ROOT_NS ">\n");
	for (size_t i = 0; i < n && i < X1_MAX_MESSAGES; i++)
		request_msg(b, &msgs[i]);
	put(b, "</X1Request>\n");
}

/* ----- Responses ----- */

void
x1_build_response_begin(struct ovt_builder *b)
{
	put(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<X1Response" ROOT_NS ">\n");
}

void
x1_build_response_end(struct ovt_builder *b)
{
	put(b, "</X1Response>\n");
}

void
x1_build_msg_begin(struct ovt_builder *b, enum x1_msg_type type, const struct x1_header *h)
{
	const char *name = x1_msg_name(type);
	if (name == NULL) {
		fail(b);
		return;
	}
	type_attr(b, "x1ResponseMessage", name, "Response");
	header(b, h, 1);
}

void
x1_build_msg_end(struct ovt_builder *b)
{
	x1_build_close(b, "x1ResponseMessage");
}

void
x1_build_error_msg(struct ovt_builder *b, enum x1_msg_type type, const struct x1_header *h,
		   int code, const char *desc)
{
	char d[X1_DESC_MAX + 1];
	const char *name = x1_msg_name(type);

	if (name == NULL || code <= 0) {
		fail(b);
		return;
	}
	/* ErrorResponse, clause 6.7. */
	type_attr(b, "x1ResponseMessage", "Error", "Response");
	header(b, h, 1);
	elem(b, "requestMessageType", name);
	x1_build_open(b, "errorInformation");
	elem_u64(b, "errorCode", (uint64_t)code);
	snprintf(d, sizeof(d), "%s", desc != NULL && desc[0] != '\0' ? desc : x1_code_str(code));
	clean_text(d);
	elem(b, "errorDescription", d);
	x1_build_close(b, "errorInformation");
	x1_build_msg_end(b);
}

void
x1_build_ok(struct ovt_builder *b, enum x1_ok ok)
{
	if (ok == X1_OK_COMPLETED)
		elem(b, "oK", "AcknowledgedAndCompleted");
	else if (ok == X1_OK_ACKNOWLEDGED)
		elem(b, "oK", "Acknowledged");
	else
		fail(b);
}

void
x1_build_task_resp(struct ovt_builder *b, const struct x1_task *t, const struct x1_task_status *st)
{
	static const char *const prov[] = {"", "awaitingProvisioning", "failed", "complete"};

	/* TaskResponseDetails: taskDetails, taskStatus (clause 6.4.2.2). */
	x1_build_open(b, "taskResponseDetails");
	task_details(b, t);
	x1_build_open(b, "taskStatus");
	if (st->prov < X1_PROV_AWAITING || st->prov > X1_PROV_COMPLETE) {
		fail(b);
		return;
	}
	elem(b, "provisioningStatus", prov[st->prov]);
	faults(b, &st->faults);
	if (st->last_modified[0] != '\0')
		elem_ts(b, "timeOfLastModification", st->last_modified);
	if (st->has_nmod)
		elem_u64(b, "numberOfModifications", st->nmod);
	x1_build_close(b, "taskStatus");
	x1_build_close(b, "taskResponseDetails");
}

void
x1_build_dest_resp(struct ovt_builder *b, const struct x1_dest *d, const struct x1_dest_status *st)
{
	/* DestinationResponseDetails: destinationDetails, destinationStatus (6.4.3.2). */
	x1_build_open(b, "destinationResponseDetails");
	dest_details(b, d);
	x1_build_open(b, "destinationStatus");
	if (st->status == X1_DST_ACTIVE)
		elem(b, "destinationDeliveryStatus", "activeAndWorking");
	else if (st->status == X1_DST_FAULT)
		elem(b, "destinationDeliveryStatus", "deliveryFault");
	else
		fail(b);
	faults(b, &st->faults);
	x1_build_close(b, "destinationStatus");
	x1_build_close(b, "destinationResponseDetails");
}

void
x1_build_ne_status(struct ovt_builder *b, const struct x1_ne_status *st)
{
	/* NeStatusDetails: neStatus, listOfFaults (clause 6.4.4). */
	x1_build_open(b, "neStatusDetails");
	if (st->status == X1_NES_OK)
		elem(b, "neStatus", "OK");
	else if (st->status == X1_NES_FAULTS)
		elem(b, "neStatus", "Faults");
	else
		fail(b);
	faults(b, &st->faults);
	x1_build_close(b, "neStatusDetails");
}

void
x1_build_top_level_error(struct ovt_builder *b, const char *admf_id, const char *ne_id,
			 const char *version)
{
	struct x1_header h;
	memset(&h, 0, sizeof(h));
	snprintf(h.admf_id, sizeof(h.admf_id), "%s", admf_id);
	snprintf(h.ne_id, sizeof(h.ne_id), "%s", ne_id);
	snprintf(h.version, sizeof(h.version), "%s", version);
	x1_timestamp_now(h.timestamp);
	put(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<X1TopLevelErrorResponse" ROOT_NS ">\n");
	header(b, &h, 0);
	put(b, "</X1TopLevelErrorResponse>\n");
}

void
x1_build_response(struct ovt_builder *b, const struct x1_resp_msg *msgs, size_t n)
{
	if (n == 0 || n > X1_MAX_MESSAGES)
		fail(b);
	x1_build_response_begin(b);
	for (size_t i = 0; i < n && i < X1_MAX_MESSAGES; i++) {
		const struct x1_resp_msg *m = &msgs[i];
		if (m->is_error) {
			x1_build_error_msg(b, m->type, &m->hdr, m->code, m->desc);
			continue;
		}
		x1_build_msg_begin(b, m->type, &m->hdr);
		switch (m->type) {
		case X1_GET_TASK_DETAILS:
			if (m->ntasks != 1)
				fail(b);
			else
				x1_build_task_resp(b, &m->tasks[0].task, &m->tasks[0].status);
			break;
		case X1_GET_ALL_TASK_DETAILS:
			x1_build_open(b, "listOfTaskResponseDetails");
			for (size_t j = 0; j < m->ntasks; j++)
				x1_build_task_resp(b, &m->tasks[j].task, &m->tasks[j].status);
			x1_build_close(b, "listOfTaskResponseDetails");
			break;
		case X1_GET_DESTINATION_DETAILS:
			if (m->ndests != 1)
				fail(b);
			else
				x1_build_dest_resp(b, &m->dests[0].dest, &m->dests[0].status);
			break;
		case X1_GET_ALL_DESTINATION_DETAILS:
			x1_build_open(b, "listOfDestinationResponseDetails");
			for (size_t j = 0; j < m->ndests; j++)
				x1_build_dest_resp(b, &m->dests[j].dest, &m->dests[j].status);
			x1_build_close(b, "listOfDestinationResponseDetails");
			break;
		case X1_GET_NE_STATUS:
			x1_build_ne_status(b, &m->ne);
			break;
		default:
			x1_build_ok(b, m->ok);
			break;
		}
		x1_build_msg_end(b);
	}
	x1_build_response_end(b);
}
