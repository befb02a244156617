/*
 * X1 document reader: libxml2 builds the tree under strict options, then a hand-written walk
 * follows the XSD sequences of TS 103 221-1 (element order is normative) and checks every value
 * against its pattern.  Unknown elements, attributes, text between elements, DTDs and entity
 * references are refused; nothing from the document is ever expanded, fetched or trusted for a
 * size.
 *
 * libxml2 safety settings (libxml2 2.9):
 *   - XML_PARSE_NONET; no XML_PARSE_NOENT / DTDLOAD / DTDATTR / HUGE: no external fetches, no
 *     entity substitution, libxml2's own caps (depth 256, text 10 MB) stay on;
 *   - the SAX internalSubset hook stops the parser at the first DOCTYPE, so no entity
 *     declaration is ever parsed (XXE and "billion laughs" never start);
 *   - undeclared entities are a well-formedness error without a DTD (XML 1.0 WFC: Entity
 *     Declared) and end the parse;
 *   - errors go to a silent structured handler: a library never prints.
 * Body bytes must be UTF-8 (TS 103 221-1 documents are UTF-8); UTF-16/32 input is refused before
 * parsing, a declared non-UTF-8 encoding after it.
 *
 * Errors are sticky in struct px: the first one wins and is reported with the element name
 * ("taskDetails/xId: invalid value"), never the value (it may be a target identity).
 */
#include "x1/x1.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "common/uuid.h"

#define TEXT_MAX 1024	/* raw text of one value before whitespace processing */

struct px {
	enum x1_perr err;
	int code;		/* X1 error code that answers err */
	char *detail;
	size_t detail_len;
};

static void
fail(struct px *px, enum x1_perr e, int code, const char *where)
{
	if (px->err != X1_P_OK)
		return;
	px->err = e;
	px->code = code;
	if (px->detail != NULL && px->detail_len > 0)
		snprintf(px->detail, px->detail_len, "%s: %s", where, x1_perr_str(e));
}

static void
bad(struct px *px, enum x1_perr e, const char *where)
{
	fail(px, e, X1_C_SYNTAX, where);
}

static const char *
nm(const xmlNode *n)
{
	return (const char *)n->name;
}

static int
in_ns(const xmlNode *n, const char *ns)
{
	return n->ns != NULL && n->ns->href != NULL && strcmp((const char *)n->ns->href, ns) == 0;
}

static int
is_elem(const xmlNode *n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && in_ns(n, ns) && strcmp(nm(n), name) == 0;
}

static int
blank(const xmlChar *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Walking the children of one element in XSD sequence order                                 */

struct walk {
	struct px *px;
	xmlNode *next;
};

static void
walk_init(struct walk *w, struct px *px, xmlNode *parent)
{
	w->px = px;
	w->next = parent->children;
}

/* Next element child, skipping comments, processing instructions and whitespace; anything
 * else (text, entity references) is an error. */
static xmlNode *
walk_peek(struct walk *w)
{
	if (w->px->err != X1_P_OK)
		return NULL;
	for (; w->next != NULL; w->next = w->next->next) {
		xmlNode *n = w->next;
		switch (n->type) {
		case XML_ELEMENT_NODE:
			return n;
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			break;
		case XML_TEXT_NODE:
			if (!blank(n->content)) {
				bad(w->px, X1_P_MIXED_CONTENT, n->parent ? nm(n->parent) : "?");
				return NULL;
			}
			break;
		case XML_ENTITY_REF_NODE:
			bad(w->px, X1_P_ENTITY, n->parent ? nm(n->parent) : "?");
			return NULL;
		default:
			bad(w->px, X1_P_MIXED_CONTENT, n->parent ? nm(n->parent) : "?");
			return NULL;
		}
	}
	return NULL;
}

/* The XSD declares no attributes on X1 elements (xsi:type is handled by the caller). */
static int
no_attrs(struct px *px, xmlNode *n)
{
	if (n->properties != NULL) {
		bad(px, X1_P_ATTRIBUTE, nm(n));
		return 0;
	}
	return 1;
}

/* Consumes the next element if it is ns:name; NULL (no error) if it is something else. */
static xmlNode *
walk_opt(struct walk *w, const char *ns, const char *name)
{
	xmlNode *n = walk_peek(w);
	if (n == NULL || !is_elem(n, ns, name))
		return NULL;
	w->next = n->next;
	return no_attrs(w->px, n) ? n : NULL;
}

static xmlNode *
walk_req(struct walk *w, const char *ns, const char *name)
{
	xmlNode *n = walk_opt(w, ns, name);
	if (n == NULL)
		bad(w->px, X1_P_MISSING, name);
	return n;
}

static void
walk_end(struct walk *w)
{
	xmlNode *n = walk_peek(w);
	if (n == NULL)
		return;
	if (!in_ns(n, X1_NS) && !in_ns(n, X1_NS_280))
		bad(w->px, X1_P_NAMESPACE, nm(n));
	else
		bad(w->px, X1_P_UNEXPECTED, nm(n));
}

/* ------------------------------------------------------------------------------------------ */
/* Values                                                                                     */

enum ws { WS_PRESERVE, WS_COLLAPSE };	/* XSD whiteSpace facet of the value's base type */

/* Text content of n (no element children) into out (cap bytes incl. NUL). */
static int
text(struct px *px, xmlNode *n, char *out, size_t cap, enum ws ws)
{
	char raw[TEXT_MAX + 1];
	size_t len = 0;

	if (px->err != X1_P_OK)
		return 0;
	for (xmlNode *c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			size_t l = strlen((const char *)c->content);
			if (l > TEXT_MAX - len) {
				bad(px, X1_P_TOO_LONG, nm(n));
				return 0;
			}
			memcpy(raw + len, c->content, l);
			len += l;
		} else if (c->type == XML_ENTITY_REF_NODE) {
			bad(px, X1_P_ENTITY, nm(n));
			return 0;
		} else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE) {
			bad(px, X1_P_MIXED_CONTENT, nm(n));
			return 0;
		}
	}
	raw[len] = '\0';
	if (ws == WS_COLLAPSE) {
		/* xs:token rules: tabs/newlines become spaces, runs collapse, ends are trimmed. */
		size_t j = 0;
		int space = 0;
		for (size_t i = 0; i < len; i++) {
			char ch = raw[i];
			if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
				space = j > 0;
				continue;
			}
			if (space)
				raw[j++] = ' ';
			space = 0;
			raw[j++] = ch;
		}
		raw[j] = '\0';
		len = j;
	}
	if (len >= cap) {
		bad(px, X1_P_TOO_LONG, nm(n));
		return 0;
	}
	memcpy(out, raw, len + 1);
	return 1;
}

static int
val_uuid(struct px *px, xmlNode *n, uint8_t out[16])
{
	char s[UUID_STRLEN + 2];
	if (n == NULL || !text(px, n, s, sizeof(s), WS_COLLAPSE))
		return 0;
	/* TS 103 280 UUID: [a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12} */
	if (uuid_parse(s, out) != 0) {
		bad(px, X1_P_VALUE, nm(n));
		return 0;
	}
	return 1;
}

/* An enumeration value (xs:string base: whitespace preserved).  Returns index+1, or 0. */
static int
val_enum(struct px *px, xmlNode *n, const char *const *names, int count)
{
	char s[64];
	if (n == NULL || !text(px, n, s, sizeof(s), WS_PRESERVE))
		return 0;
	for (int i = 0; i < count; i++)
		if (strcmp(s, names[i]) == 0)
			return i + 1;
	bad(px, X1_P_VALUE, nm(n));
	return 0;
}

/* Digits of an xs:integer after whitespace collapse: [+-]?[0-9]+.  *neg tells the sign; the
 * magnitude must fit 64 bits. */
static int
int_lex(struct px *px, xmlNode *n, uint64_t *out, int *neg)
{
	char s[40];
	if (n == NULL || !text(px, n, s, sizeof(s), WS_COLLAPSE))
		return 0;
	const char *p = s;
	uint64_t v = 0;
	*neg = 0;
	if (*p == '+' || *p == '-')
		*neg = *p++ == '-';
	if (*p == '\0')
		goto err;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			goto err;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 1;
err:
	bad(px, X1_P_VALUE, nm(n));
	return 0;
}

/* A non-negative xs:integer no larger than max ("-0" is zero, as in XSD). */
static int
val_uint(struct px *px, xmlNode *n, uint64_t max, uint64_t *out)
{
	int neg;
	if (!int_lex(px, n, out, &neg))
		return 0;
	if ((neg && *out != 0) || *out > max) {
		bad(px, X1_P_VALUE, nm(n));
		return 0;
	}
	return 1;
}

/* Any xs:integer whose magnitude fits 64 bits (values we read but do not keep). */
static int
val_any_int(struct px *px, xmlNode *n)
{
	uint64_t v;
	int neg;
	return int_lex(px, n, &v, &neg);
}

static int
val_bool(struct px *px, xmlNode *n, int *out)
{
	char s[8];
	if (n == NULL || !text(px, n, s, sizeof(s), WS_COLLAPSE))
		return 0;
	if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
		*out = 1;
	else if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
		*out = 0;
	else {
		bad(px, X1_P_VALUE, nm(n));
		return 0;
	}
	return 1;
}

static int
val_ts(struct px *px, xmlNode *n, char out[X1_TS_LEN + 1])
{
	if (n == NULL || !text(px, n, out, X1_TS_LEN + 1, WS_COLLAPSE))
		return 0;
	if (!x1_timestamp_ok(out)) {
		bad(px, X1_P_VALUE, nm(n));
		return 0;
	}
	return 1;
}

static const char *const delivery_names[] = {"X2Only", "X3Only", "X2andX3"};
static const char *const hi_delivery_names[] = {"HI2Only", "HI3Only", "HI2andHI3"};
static const char *const service_names[X1_SVC_COUNT] = {
	"voice", "data", "messaging", "pushToTalk", "LALS", "RCS"};
static const char *const ok_names[] = {"AcknowledgedAndCompleted", "Acknowledged"};
static const char *const prov_names[] = {"awaitingProvisioning", "failed", "complete"};
static const char *const dst_names[] = {"activeAndWorking", "deliveryFault"};
static const char *const nes_names[] = {"OK", "Faults"};

/* Every alternative of the TargetIdentifier choice (TS 103 221-1 V1.22.1): the ones Overt does
 * not support are refused with 3010, anything else is a schema error. */
static const char *const target_choices[] = {
	"e164Number", "imsi", "imei", "macAddress", "ipv4Address", "ipv6Address", "ipv4Cidr",
	"ipv6Cidr", "tcpPort", "tcpPortRange", "tcpPortList", "udpPort", "udpPortRange",
	"udpPortList", "emailAddress", "internationalizedEmailAddress", "sipUri", "telUri",
	"h323Uri", "impu", "impi", "nai", "radiusAttribute", "gtpuTunnelId", "gtpcTunnelId",
	"callPartyRole", "nonLocalIdentifier", "supiimsi", "supinai", "suci", "peiImei",
	"peiImeiCheckDigit", "peiImeisv", "gpsiMsisdn", "gpsiNai", "eui64",
	"serviceAccessIdentifier", "hashedIdentifier", "targetIdentifierExtension", "vrf",
};

/* ------------------------------------------------------------------------------------------ */
/* Document                                                                                   */

static void
on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr ctxt = ctx;
	*(int *)ctxt->_private = 1;
	xmlStopParser(ctxt);
}

static void
on_error(void *ctx, xmlErrorPtr e)
{
	/* Silence: the caller reports the outcome through enum x1_perr. */
}

static xmlDoc *
read_doc(struct px *px, const uint8_t *buf, size_t len, size_t max_len)
{
	if (len == 0) {
		bad(px, X1_P_EMPTY, "document");
		return NULL;
	}
	if (len > max_len || len > INT_MAX) {
		bad(px, X1_P_TOO_LARGE, "document");
		return NULL;
	}
	/* NUL bytes mean UTF-16/32 (or garbage); 0xFE/0xFF open a UTF-16 byte order mark. */
	if (buf[0] == 0xfe || buf[0] == 0xff || memchr(buf, 0, len) != NULL) {
		bad(px, X1_P_ENCODING, "document");
		return NULL;
	}
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		bad(px, X1_P_NOMEM, "document");
		return NULL;
	}
	int doctype = 0;
	ctxt->_private = &doctype;
	ctxt->sax->internalSubset = on_doctype;
	ctxt->sax->serror = on_error;
	xmlDoc *doc = xmlCtxtReadMemory(ctxt, (const char *)buf, (int)len, NULL, NULL,
					XML_PARSE_NONET | XML_PARSE_NOERROR |
					XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	int wf = ctxt->wellFormed, errn = ctxt->errNo;
	xmlFreeParserCtxt(ctxt);
	if (doctype || (doc != NULL && (doc->intSubset != NULL || doc->extSubset != NULL))) {
		bad(px, X1_P_DTD, "document");
		goto fail;
	}
	if (doc == NULL || !wf) {
		if (errn == XML_ERR_NO_MEMORY)
			bad(px, X1_P_NOMEM, "document");
		else if (errn == XML_ERR_UNDECLARED_ENTITY || errn == XML_WAR_UNDECLARED_ENTITY ||
			 errn == XML_ERR_ENTITY_LOOP)
			bad(px, X1_P_ENTITY, "document");
		else if (errn == XML_ERR_UNSUPPORTED_ENCODING || errn == XML_ERR_INVALID_CHAR ||
			 errn == XML_ERR_INVALID_ENCODING)
			bad(px, X1_P_ENCODING, "document");
		else
			bad(px, X1_P_MALFORMED, "document");
		goto fail;
	}
	if (doc->encoding != NULL && strcasecmp((const char *)doc->encoding, "UTF-8") != 0) {
		bad(px, X1_P_ENCODING, "document");
		goto fail;
	}
	return doc;
fail:
	xmlFreeDoc(doc);
	return NULL;
}

static int
depth_ok(const xmlNode *n, int depth)
{
	if (depth > X1_MAX_DEPTH)
		return 0;
	for (const xmlNode *c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !depth_ok(c, depth + 1))
			return 0;
	return 1;
}

/* Root: the container element, whose only allowed attributes are xsi:schemaLocation hints. */
static xmlNode *
root_elem(struct px *px, xmlDoc *doc, const char *const *names, int nnames)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	int i;
	for (i = 0; root != NULL && i < nnames; i++)
		if (is_elem(root, X1_NS, names[i]))
			break;
	if (root == NULL || i == nnames) {
		bad(px, X1_P_ROOT, root != NULL ? nm(root) : "document");
		return NULL;
	}
	for (xmlAttr *a = root->properties; a != NULL; a = a->next) {
		if (a->ns == NULL || strcmp((const char *)a->ns->href, X1_NS_XSI) != 0 ||
		    (strcmp((const char *)a->name, "schemaLocation") != 0 &&
		     strcmp((const char *)a->name, "noNamespaceSchemaLocation") != 0)) {
			bad(px, X1_P_ATTRIBUTE, nm(root));
			return NULL;
		}
	}
	if (!depth_ok(root, 1)) {
		bad(px, X1_P_DEPTH, nm(root));
		return NULL;
	}
	return root;
}

/* xsi:type of a message element, resolved as a QName in the X1 namespace; returns the local
 * name (into out) or 0.  No other attribute is allowed on the message. */
static int
msg_xsi_type(struct px *px, xmlNode *n, char *out, size_t cap)
{
	const xmlChar *val = NULL;
	for (xmlAttr *a = n->properties; a != NULL; a = a->next) {
		if (a->ns != NULL && strcmp((const char *)a->ns->href, X1_NS_XSI) == 0 &&
		    strcmp((const char *)a->name, "type") == 0 && a->children != NULL &&
		    a->children->type == XML_TEXT_NODE && a->children->next == NULL && val == NULL) {
			val = a->children->content;
			continue;
		}
		bad(px, X1_P_ATTRIBUTE, nm(n));
		return 0;
	}
	char q[128];
	size_t l = val != NULL ? strlen((const char *)val) : 0;
	if (l == 0 || l >= sizeof(q)) {
		bad(px, X1_P_UNKNOWN_TYPE, nm(n));
		return 0;
	}
	/* QName whitespace collapses: trim. */
	const char *s = (const char *)val;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	l = strlen(s);
	while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\n' || s[l - 1] == '\r'))
		l--;
	memcpy(q, s, l);
	q[l] = '\0';
	char *colon = strchr(q, ':');
	const char *local = q;
	const xmlChar *prefix = NULL;
	if (colon != NULL) {
		*colon = '\0';
		prefix = (const xmlChar *)q;
		local = colon + 1;
	}
	xmlNs *ns = xmlSearchNs(n->doc, n, prefix);
	if (ns == NULL || ns->href == NULL || strcmp((const char *)ns->href, X1_NS) != 0 ||
	    strlen(local) >= cap || strchr(local, ':') != NULL) {
		bad(px, X1_P_UNKNOWN_TYPE, nm(n));
		return 0;
	}
	memcpy(out, local, strlen(local) + 1);
	return 1;
}

/* Strips a suffix ("Request") and looks the RequestMessageType up. */
static enum x1_msg_type
type_with_suffix(const char *local, const char *suffix)
{
	size_t l = strlen(local), s = strlen(suffix);
	char base[64];
	if (l <= s || l - s >= sizeof(base) || strcmp(local + l - s, suffix) != 0)
		return X1_MSG_NONE;
	memcpy(base, local, l - s);
	base[l - s] = '\0';
	return x1_msg_lookup(base);
}

static void
parse_header(struct px *px, struct walk *w, struct x1_header *h, int with_xid)
{
	xmlNode *n;
	/* TS 103 221-1 clause 6.1: admfIdentifier, neIdentifier, messageTimestamp, version,
	 * x1TransactionId, in this order. */
	/* xs:token allows "", but an empty identifier can match nothing: refuse it here so that
	 * every header we echo is a usable one. */
	if ((n = walk_req(w, X1_NS, "admfIdentifier")) != NULL &&
	    text(px, n, h->admf_id, sizeof(h->admf_id), WS_COLLAPSE) &&
	    !x1_token_ok(h->admf_id, X1_ID_MAX))
		bad(px, X1_P_VALUE, "admfIdentifier");
	if ((n = walk_req(w, X1_NS, "neIdentifier")) != NULL &&
	    text(px, n, h->ne_id, sizeof(h->ne_id), WS_COLLAPSE) && !x1_token_ok(h->ne_id, X1_ID_MAX))
		bad(px, X1_P_VALUE, "neIdentifier");
	val_ts(px, walk_req(w, X1_NS, "messageTimestamp"), h->timestamp);
	if ((n = walk_req(w, X1_NS, "version")) != NULL &&
	    text(px, n, h->version, sizeof(h->version), WS_PRESERVE) && !x1_version_ok(h->version))
		bad(px, X1_P_VALUE, "version");
	if (with_xid)
		val_uuid(px, walk_req(w, X1_NS, "x1TransactionId"), h->transaction_id);
}

/* ListOfDids: dId* then dSId*; destination sets are not supported. */
static void
parse_dids(struct px *px, xmlNode *list, uint8_t (*dids)[16], size_t max, size_t *n,
	   int generic_code)
{
	struct walk w;
	xmlNode *c;
	walk_init(&w, px, list);
	*n = 0;
	while ((c = walk_opt(&w, X1_NS, "dId")) != NULL) {
		if (*n == max) {
			bad(px, X1_P_TOO_MANY, "listOfDIDs");
			return;
		}
		if (!val_uuid(px, c, dids[*n]))
			return;
		(*n)++;
	}
	if (walk_opt(&w, X1_NS, "dSId") != NULL) {
		fail(px, X1_P_UNSUPPORTED, generic_code, "listOfDIDs/dSId");
		return;
	}
	walk_end(&w);
}

static void
parse_mediation(struct px *px, xmlNode *node, struct x1_mediation *m, int generic_code)
{
	struct walk w;
	xmlNode *n;
	walk_init(&w, px, node);
	/* MediationDetails: LIID, deliveryType, StartTime?, EndTime?, listOfDIDs?, ... */
	if ((n = walk_req(&w, X1_NS, "LIID")) != NULL &&
	    text(px, n, m->liid, sizeof(m->liid), WS_PRESERVE) && !x1_liid_ok(m->liid))
		bad(px, X1_P_VALUE, "LIID");
	m->delivery = (enum x1_delivery)val_enum(px, walk_req(&w, X1_NS, "deliveryType"),
						 hi_delivery_names, 3);
	if ((n = walk_opt(&w, X1_NS, "StartTime")) != NULL)
		val_ts(px, n, m->start);
	if ((n = walk_opt(&w, X1_NS, "EndTime")) != NULL)
		val_ts(px, n, m->end);
	if ((n = walk_opt(&w, X1_NS, "listOfDIDs")) != NULL)
		parse_dids(px, n, m->dids, X1_MAX_MED_DIDS, &m->ndids, generic_code);
	if (walk_opt(&w, X1_NS, "mediationDetailsExtensions") != NULL)
		fail(px, X1_P_UNSUPPORTED, generic_code, "mediationDetailsExtensions");
	if (walk_opt(&w, X1_NS, "serviceScopingOptions") != NULL)
		fail(px, X1_P_UNSUPPORTED, generic_code, "serviceScopingOptions");
	if (walk_opt(&w, X1_NS, "listOfTrafficPolicyReferences") != NULL)
		fail(px, X1_P_UNSUPPORTED, generic_code, "listOfTrafficPolicyReferences");
	walk_end(&w);
}

static void
parse_target(struct px *px, xmlNode *node, struct x1_target *t)
{
	struct walk w;
	walk_init(&w, px, node);
	xmlNode *c = walk_peek(&w);
	if (c == NULL) {
		bad(px, X1_P_MISSING, "targetIdentifier");
		return;
	}
	w.next = c->next;
	if (!in_ns(c, X1_NS)) {
		bad(px, X1_P_NAMESPACE, nm(c));
		return;
	}
	if (strcmp(nm(c), "imsi") == 0)
		t->type = X1_TGT_IMSI;
	else if (strcmp(nm(c), "e164Number") == 0)
		t->type = X1_TGT_E164;
	else if (strcmp(nm(c), "imei") == 0)
		t->type = X1_TGT_IMEI;
	else {
		for (size_t i = 0; i < sizeof(target_choices) / sizeof(target_choices[0]); i++) {
			if (strcmp(nm(c), target_choices[i]) == 0) {
				fail(px, X1_P_UNSUPPORTED, X1_C_TARGET_TYPE, nm(c));
				return;
			}
		}
		bad(px, X1_P_UNEXPECTED, nm(c));
		return;
	}
	if (!no_attrs(px, c) || !text(px, c, t->value, sizeof(t->value), WS_COLLAPSE))
		return;
	if (!x1_target_ok(t->type, t->value))
		bad(px, X1_P_VALUE, nm(c));
	walk_end(&w);
}

static void
parse_task(struct px *px, xmlNode *node, struct x1_task *t, int generic_code)
{
	struct walk w, lw;
	xmlNode *n, *c;
	uint64_t v;

	memset(t, 0, sizeof(*t));
	t->implicit_deactivation = -1;
	walk_init(&w, px, node);
	/* TaskDetails (clause 6.2.1.2), XSD sequence order. */
	val_uuid(px, walk_req(&w, X1_NS, "xId"), t->xid);
	if ((n = walk_req(&w, X1_NS, "targetIdentifiers")) != NULL) {
		walk_init(&lw, px, n);
		while ((c = walk_opt(&lw, X1_NS, "targetIdentifier")) != NULL) {
			if (t->ntargets == X1_MAX_TARGETS) {
				bad(px, X1_P_TOO_MANY, "targetIdentifiers");
				break;
			}
			parse_target(px, c, &t->targets[t->ntargets++]);
		}
		if (t->ntargets == 0)
			bad(px, X1_P_MISSING, "targetIdentifier");
		walk_end(&lw);
	}
	t->delivery = (enum x1_delivery)val_enum(px, walk_req(&w, X1_NS, "deliveryType"),
						 delivery_names, 3);
	if ((n = walk_req(&w, X1_NS, "listOfDIDs")) != NULL)
		parse_dids(px, n, t->dids, X1_MAX_DIDS, &t->ndids, generic_code);
	if ((n = walk_opt(&w, X1_NS, "listOfMediationDetails")) != NULL) {
		t->has_mediation = 1;
		walk_init(&lw, px, n);
		while ((c = walk_opt(&lw, X1_NS, "mediationDetails")) != NULL) {
			if (t->nmed == X1_MAX_MEDIATION) {
				bad(px, X1_P_TOO_MANY, "listOfMediationDetails");
				break;
			}
			parse_mediation(px, c, &t->med[t->nmed++], generic_code);
		}
		walk_end(&lw);
	}
	if ((n = walk_opt(&w, X1_NS, "correlationID")) != NULL &&
	    val_uint(px, n, UINT64_MAX, &v)) {
		t->has_correlation = 1;
		t->correlation_id = v;
	}
	if ((n = walk_opt(&w, X1_NS, "implicitDeactivationAllowed")) != NULL)
		val_bool(px, n, &t->implicit_deactivation);
	if ((n = walk_opt(&w, X1_NS, "productID")) != NULL)
		t->has_product = val_uuid(px, n, t->product_id);
	if ((n = walk_opt(&w, X1_NS, "listOfServiceTypes")) != NULL) {
		walk_init(&lw, px, n);
		int k = 0;
		while ((c = walk_opt(&lw, X1_NS, "serviceType")) != NULL && k++ < X1_SVC_COUNT * 2) {
			int s = val_enum(px, c, service_names, X1_SVC_COUNT);
			if (s > 0)
				t->service_types |= 1u << (s - 1);
		}
		if (k == 0)
			bad(px, X1_P_MISSING, "serviceType");
		else if (k > X1_SVC_COUNT * 2)
			bad(px, X1_P_TOO_MANY, "listOfServiceTypes");
		walk_end(&lw);
	}
	if (walk_opt(&w, X1_NS, "taskDetailsExtensions") != NULL)
		fail(px, X1_P_UNSUPPORTED, generic_code, "taskDetailsExtensions");
	if (walk_opt(&w, X1_NS, "listOfTrafficPolicyReferences") != NULL)
		fail(px, X1_P_UNSUPPORTED, generic_code, "listOfTrafficPolicyReferences");
	walk_end(&w);
}

/* deliveryAddress/ipAddressAndPort (TS 103 280 IPAddressPort: address, port). */
static void
parse_ip_port(struct px *px, xmlNode *node, struct x1_dest *d)
{
	struct walk w, iw;
	xmlNode *n, *c;
	char s[48];
	uint64_t v;

	walk_init(&w, px, node);
	if ((n = walk_req(&w, X1_NS_280, "address")) != NULL) {
		walk_init(&iw, px, n);
		if ((c = walk_opt(&iw, X1_NS_280, "IPv4Address")) != NULL) {
			d->family = X1_AF_IPV4;
			if (text(px, c, s, sizeof(s), WS_COLLAPSE) && !x1_ipv4_parse(s, d->addr))
				bad(px, X1_P_VALUE, "IPv4Address");
		} else if ((c = walk_opt(&iw, X1_NS_280, "IPv6Address")) != NULL) {
			d->family = X1_AF_IPV6;
			if (text(px, c, s, sizeof(s), WS_COLLAPSE) && !x1_ipv6_parse(s, d->addr))
				bad(px, X1_P_VALUE, "IPv6Address");
		} else
			bad(px, X1_P_MISSING, "address");
		walk_end(&iw);
	}
	if ((n = walk_req(&w, X1_NS_280, "port")) != NULL) {
		walk_init(&iw, px, n);
		/* TCPPort: minExclusive 1, maxInclusive 65535; UDPPort: 0..65535. */
		if ((c = walk_opt(&iw, X1_NS_280, "TCPPort")) != NULL) {
			d->proto = X1_PORT_TCP;
			if (val_uint(px, c, 65535, &v)) {
				if (v <= 1)
					bad(px, X1_P_VALUE, "TCPPort");
				d->port = (uint16_t)v;
			}
		} else if ((c = walk_opt(&iw, X1_NS_280, "UDPPort")) != NULL) {
			d->proto = X1_PORT_UDP;
			if (val_uint(px, c, 65535, &v))
				d->port = (uint16_t)v;
		} else
			bad(px, X1_P_MISSING, "port");
		walk_end(&iw);
	}
	walk_end(&w);
}

static void
parse_dest(struct px *px, xmlNode *node, struct x1_dest *d, int generic_code)
{
	struct walk w, aw;
	xmlNode *n, *c;

	memset(d, 0, sizeof(*d));
	walk_init(&w, px, node);
	/* DestinationDetails (clause 6.3.1.2): dId, friendlyName?, deliveryType,
	 * deliveryAddress, destinationDetailsExtensions*. */
	val_uuid(px, walk_req(&w, X1_NS, "dId"), d->did);
	if ((n = walk_opt(&w, X1_NS, "friendlyName")) != NULL)
		d->has_name = text(px, n, d->name, sizeof(d->name), WS_PRESERVE);
	d->delivery = (enum x1_delivery)val_enum(px, walk_req(&w, X1_NS, "deliveryType"),
						 delivery_names, 3);
	if ((n = walk_req(&w, X1_NS, "deliveryAddress")) != NULL) {
		walk_init(&aw, px, n);
		c = walk_peek(&aw);
		if (c == NULL)
			bad(px, X1_P_MISSING, "deliveryAddress");
		else if (is_elem(c, X1_NS, "ipAddressAndPort")) {
			aw.next = c->next;
			if (no_attrs(px, c))
				parse_ip_port(px, c, d);
		} else if (is_elem(c, X1_NS, "e164Number") || is_elem(c, X1_NS, "uri") ||
			   is_elem(c, X1_NS, "emailAddress")) {
			fail(px, X1_P_UNSUPPORTED, X1_C_ADDRESS_TYPE, nm(c));
		}
		walk_end(&aw);
	}
	if (walk_opt(&w, X1_NS, "destinationDetailsExtensions") != NULL)
		fail(px, X1_P_UNSUPPORTED, generic_code, "destinationDetailsExtensions");
	walk_end(&w);
}

static int
generic_code(enum x1_msg_type t)
{
	switch (t) {
	case X1_ACTIVATE_TASK:
		return X1_C_ACTIVATE_FAILED;
	case X1_MODIFY_TASK:
		return X1_C_MODIFY_FAILED;
	case X1_CREATE_DESTINATION:
		return X1_C_CREATE_DEST_FAILED;
	case X1_MODIFY_DESTINATION:
		return X1_C_MODIFY_DEST_FAILED;
	default:
		return X1_C_GENERIC;
	}
}

/* One x1RequestMessage.  Header problems are the document's (no valid ErrorResponse can be
 * built without a header); body problems are the message's own. */
static void
parse_req_msg(struct px *doc, xmlNode *node, struct x1_msg *m)
{
	char local[64];
	struct walk w;
	xmlNode *n;

	if (!msg_xsi_type(doc, node, local, sizeof(local)))
		return;
	m->type = type_with_suffix(local, "Request");
	if (m->type == X1_MSG_NONE) {
		bad(doc, X1_P_UNKNOWN_TYPE, "x1RequestMessage");
		return;
	}
	walk_init(&w, doc, node);
	parse_header(doc, &w, &m->hdr, 1);
	if (doc->err != X1_P_OK)
		return;

	struct px px = {X1_P_OK, 0, m->detail, sizeof(m->detail)};
	w.px = &px;
	if (!x1_msg_supported(m->type)) {
		fail(&px, X1_P_UNSUPPORTED, X1_C_UNSUPPORTED_REQUEST, x1_msg_name(m->type));
		goto out;
	}
	switch (m->type) {
	case X1_ACTIVATE_TASK:
	case X1_MODIFY_TASK:
		if ((n = walk_req(&w, X1_NS, "taskDetails")) != NULL)
			parse_task(&px, n, &m->task, generic_code(m->type));
		break;
	case X1_DEACTIVATE_TASK:
	case X1_GET_TASK_DETAILS:
		val_uuid(&px, walk_req(&w, X1_NS, "xId"), m->id);
		break;
	case X1_CREATE_DESTINATION:
	case X1_MODIFY_DESTINATION:
		if ((n = walk_req(&w, X1_NS, "destinationDetails")) != NULL)
			parse_dest(&px, n, &m->dest, generic_code(m->type));
		break;
	case X1_REMOVE_DESTINATION:
	case X1_GET_DESTINATION_DETAILS:
		val_uuid(&px, walk_req(&w, X1_NS, "dId"), m->id);
		break;
	default:	/* empty sequences: DeactivateAllTasks, GetNEStatus, Ping, ... */
		break;
	}
	walk_end(&w);
out:
	m->perr = px.err;
	m->code = px.code;
}

enum x1_perr
x1_parse_request(const uint8_t *buf, size_t len, size_t max_len, struct x1_request *out,
		 char *detail, size_t detail_len)
{
	static const char *const roots[] = {"X1Request"};
	struct px px = {X1_P_OK, 0, detail, detail_len};
	struct walk w;
	xmlNode *n;

	if (detail != NULL && detail_len > 0)
		detail[0] = '\0';
	out->nmsg = 0;
	xmlDoc *doc = read_doc(&px, buf, len, max_len);
	if (doc == NULL)
		return px.err;
	xmlNode *root = root_elem(&px, doc, roots, 1);
	if (root != NULL) {
		walk_init(&w, &px, root);
		for (;;) {
			/* Not walk_opt: a message carries xsi:type, checked by parse_req_msg. */
			n = walk_peek(&w);
			if (n == NULL || !is_elem(n, X1_NS, "x1RequestMessage"))
				break;
			w.next = n->next;
			if (out->nmsg == X1_MAX_MESSAGES) {
				bad(&px, X1_P_TOO_MANY, "x1RequestMessage");
				break;
			}
			struct x1_msg *m = &out->msgs[out->nmsg++];
			memset(m, 0, sizeof(*m));
			parse_req_msg(&px, n, m);
			if (px.err != X1_P_OK)
				break;
		}
		if (out->nmsg == 0)
			bad(&px, X1_P_MISSING, "x1RequestMessage");
		walk_end(&w);
	}
	xmlFreeDoc(doc);
	if (px.err != X1_P_OK)
		out->nmsg = 0;
	return px.err;
}

/* ------------------------------------------------------------------------------------------ */
/* Responses                                                                                  */

static void
parse_faults(struct px *px, xmlNode *node, struct x1_faults *f)
{
	struct walk w, ew;
	xmlNode *c;
	uint64_t v;

	walk_init(&w, px, node);
	f->n = 0;
	while ((c = walk_opt(&w, X1_NS, "unresolvedFault")) != NULL) {
		if (f->n == X1_MAX_FAULTS) {
			bad(px, X1_P_TOO_MANY, "listOfFaults");
			return;
		}
		struct x1_fault *e = &f->f[f->n++];
		walk_init(&ew, px, c);
		if (val_uint(px, walk_req(&ew, X1_NS, "errorCode"), INT_MAX, &v))
			e->code = (int)v;
		xmlNode *d = walk_req(&ew, X1_NS, "errorDescription");
		if (d != NULL)
			text(px, d, e->desc, sizeof(e->desc), WS_PRESERVE);
		walk_end(&ew);
	}
	walk_end(&w);
}

static void
parse_task_resp(struct px *px, xmlNode *node, struct x1_task_resp *r)
{
	struct walk w, sw;
	xmlNode *n, *c;
	uint64_t v;
	char ts[X1_TS_LEN + 1];

	walk_init(&w, px, node);
	if ((n = walk_req(&w, X1_NS, "taskDetails")) != NULL)
		parse_task(px, n, &r->task, X1_C_GENERIC);
	if ((n = walk_req(&w, X1_NS, "taskStatus")) != NULL) {
		walk_init(&sw, px, n);
		r->status.prov = (enum x1_prov)val_enum(
		    px, walk_req(&sw, X1_NS, "provisioningStatus"), prov_names, 3);
		if ((c = walk_req(&sw, X1_NS, "listOfFaults")) != NULL)
			parse_faults(px, c, &r->status.faults);
		if ((c = walk_opt(&sw, X1_NS, "timeOfLastIntercept")) != NULL)
			val_ts(px, c, ts);
		if ((c = walk_opt(&sw, X1_NS, "amountOfX2Data")) != NULL)
			val_any_int(px, c);
		if ((c = walk_opt(&sw, X1_NS, "amountOfX3Data")) != NULL)
			val_any_int(px, c);
		if ((c = walk_opt(&sw, X1_NS, "timeOfLastModification")) != NULL)
			val_ts(px, c, r->status.last_modified);
		if ((c = walk_opt(&sw, X1_NS, "numberOfModifications")) != NULL &&
		    val_uint(px, c, UINT64_MAX, &v)) {
			r->status.has_nmod = 1;
			r->status.nmod = v;
		}
		while (px->err == X1_P_OK && walk_opt(&sw, X1_NS, "taskStatusExtensions") != NULL)
			;
		walk_end(&sw);
	}
	walk_end(&w);
}

static void
parse_dest_resp(struct px *px, xmlNode *node, struct x1_dest_resp *r)
{
	struct walk w, sw;
	xmlNode *n, *c;

	walk_init(&w, px, node);
	if ((n = walk_req(&w, X1_NS, "destinationDetails")) != NULL)
		parse_dest(px, n, &r->dest, X1_C_GENERIC);
	if ((n = walk_req(&w, X1_NS, "destinationStatus")) != NULL) {
		walk_init(&sw, px, n);
		r->status.status = (enum x1_dstatus)val_enum(
		    px, walk_req(&sw, X1_NS, "destinationDeliveryStatus"), dst_names, 2);
		if ((c = walk_req(&sw, X1_NS, "listOfFaults")) != NULL)
			parse_faults(px, c, &r->status.faults);
		walk_end(&sw);
	}
	walk_end(&w);
}

/* Appends one element to a heap array of elements of size sz, growing up to X1_MAX_LIST. */
static void *
grow(struct px *px, void **arr, size_t *n, size_t *cap, size_t sz)
{
	if (*n == X1_MAX_LIST) {
		bad(px, X1_P_TOO_MANY, "list");
		return NULL;
	}
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		if (ncap > X1_MAX_LIST)
			ncap = X1_MAX_LIST;
		void *p = realloc(*arr, ncap * sz);
		if (p == NULL) {
			bad(px, X1_P_NOMEM, "list");
			return NULL;
		}
		*arr = p;
		*cap = ncap;
	}
	void *e = (char *)*arr + (*n)++ * sz;
	memset(e, 0, sz);
	return e;
}

static void
parse_resp_msg(struct px *px, xmlNode *node, struct x1_resp_msg *m)
{
	char local[64];
	struct walk w, lw;
	xmlNode *n, *c;
	size_t cap = 0;
	uint64_t v;

	if (!msg_xsi_type(px, node, local, sizeof(local)))
		return;
	if (strcmp(local, "ErrorResponse") == 0)
		m->is_error = 1;
	else if ((m->type = type_with_suffix(local, "Response")) == X1_MSG_NONE) {
		bad(px, X1_P_UNKNOWN_TYPE, "x1ResponseMessage");
		return;
	}
	walk_init(&w, px, node);
	parse_header(px, &w, &m->hdr, 1);
	if (m->is_error) {
		/* ErrorResponse (clause 6.7): requestMessageType, errorInformation,
		 * extensionInformation?. */
		char t[64];
		if ((n = walk_req(&w, X1_NS, "requestMessageType")) != NULL &&
		    text(px, n, t, sizeof(t), WS_PRESERVE) &&
		    (m->type = x1_msg_lookup(t)) == X1_MSG_NONE)
			bad(px, X1_P_VALUE, "requestMessageType");
		if ((n = walk_req(&w, X1_NS, "errorInformation")) != NULL) {
			walk_init(&lw, px, n);
			if (val_uint(px, walk_req(&lw, X1_NS, "errorCode"), INT_MAX, &v))
				m->code = (int)v;
			if ((c = walk_req(&lw, X1_NS, "errorDescription")) != NULL)
				text(px, c, m->desc, sizeof(m->desc), WS_PRESERVE);
			walk_end(&lw);
		}
		walk_opt(&w, X1_NS, "extensionInformation");
		walk_end(&w);
		return;
	}
	switch (m->type) {
	case X1_GET_TASK_DETAILS:
		if ((n = walk_req(&w, X1_NS, "taskResponseDetails")) != NULL) {
			struct x1_task_resp *r = grow(px, (void **)&m->tasks, &m->ntasks, &cap,
						      sizeof(*r));
			if (r != NULL)
				parse_task_resp(px, n, r);
		}
		break;
	case X1_GET_ALL_TASK_DETAILS:
		if ((n = walk_opt(&w, X1_NS, "listOfTaskResponseDetails")) != NULL) {
			walk_init(&lw, px, n);
			while ((c = walk_opt(&lw, X1_NS, "taskResponseDetails")) != NULL) {
				struct x1_task_resp *r = grow(px, (void **)&m->tasks, &m->ntasks,
							      &cap, sizeof(*r));
				if (r == NULL)
					break;
				parse_task_resp(px, c, r);
			}
			walk_end(&lw);
		}
		break;
	case X1_GET_DESTINATION_DETAILS:
		if ((n = walk_req(&w, X1_NS, "destinationResponseDetails")) != NULL) {
			struct x1_dest_resp *r = grow(px, (void **)&m->dests, &m->ndests, &cap,
						      sizeof(*r));
			if (r != NULL)
				parse_dest_resp(px, n, r);
		}
		break;
	case X1_GET_ALL_DESTINATION_DETAILS:
		if ((n = walk_opt(&w, X1_NS, "listOfDestinationResponseDetails")) != NULL) {
			walk_init(&lw, px, n);
			while ((c = walk_opt(&lw, X1_NS, "destinationResponseDetails")) != NULL) {
				struct x1_dest_resp *r = grow(px, (void **)&m->dests, &m->ndests,
							      &cap, sizeof(*r));
				if (r == NULL)
					break;
				parse_dest_resp(px, c, r);
			}
			walk_end(&lw);
		}
		break;
	case X1_GET_NE_STATUS:
		if ((n = walk_req(&w, X1_NS, "neStatusDetails")) != NULL) {
			walk_init(&lw, px, n);
			m->ne.status = (enum x1_nestatus)val_enum(
			    px, walk_req(&lw, X1_NS, "neStatus"), nes_names, 2);
			if ((c = walk_req(&lw, X1_NS, "listOfFaults")) != NULL)
				parse_faults(px, c, &m->ne.faults);
			walk_end(&lw);
		}
		break;
	case X1_ACTIVATE_TASK:
	case X1_MODIFY_TASK:
	case X1_DEACTIVATE_TASK:
	case X1_DEACTIVATE_ALL_TASKS:
	case X1_CREATE_DESTINATION:
	case X1_MODIFY_DESTINATION:
	case X1_REMOVE_DESTINATION:
	case X1_PING:
	case X1_KEEPALIVE:
		m->ok = (enum x1_ok)val_enum(px, walk_req(&w, X1_NS, "oK"), ok_names, 2);
		break;
	default:
		fail(px, X1_P_UNSUPPORTED, X1_C_UNSUPPORTED_REQUEST, local);
		return;
	}
	walk_end(&w);
}

enum x1_perr
x1_parse_response(const uint8_t *buf, size_t len, size_t max_len, struct x1_response *out,
		  char *detail, size_t detail_len)
{
	static const char *const roots[] = {"X1Response", "X1TopLevelErrorResponse"};
	struct px px = {X1_P_OK, 0, detail, detail_len};
	struct walk w;
	xmlNode *n;

	if (detail != NULL && detail_len > 0)
		detail[0] = '\0';
	for (size_t i = 0; i < out->nmsg; i++) {
		free(out->msgs[i].tasks);
		free(out->msgs[i].dests);
	}
	memset(out, 0, sizeof(*out));
	xmlDoc *doc = read_doc(&px, buf, len, max_len);
	if (doc == NULL)
		return px.err;
	xmlNode *root = root_elem(&px, doc, roots, 2);
	if (root != NULL && strcmp(nm(root), "X1TopLevelErrorResponse") == 0) {
		out->top_level_error = 1;
		walk_init(&w, &px, root);
		parse_header(&px, &w, &out->hdr, 0);
		walk_end(&w);
	} else if (root != NULL) {
		walk_init(&w, &px, root);
		for (;;) {
			n = walk_peek(&w);
			if (n == NULL || !is_elem(n, X1_NS, "x1ResponseMessage"))
				break;
			w.next = n->next;
			if (out->nmsg == X1_MAX_MESSAGES) {
				bad(&px, X1_P_TOO_MANY, "x1ResponseMessage");
				break;
			}
			parse_resp_msg(&px, n, &out->msgs[out->nmsg++]);
			if (px.err != X1_P_OK)
				break;
		}
		if (out->nmsg == 0)
			bad(&px, X1_P_MISSING, "x1ResponseMessage");
		walk_end(&w);
	}
	xmlFreeDoc(doc);
	return px.err;
}
