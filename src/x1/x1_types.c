/*
 * X1 names, error texts and value checks shared by the parser, the builder, the store and the
 * NE.  The patterns are those of the ETSI XSDs (TS 103 280 V2.15.1, TS 103 221-1 V1.22.1); each
 * check below is written out by hand so that it reads next to the pattern it implements.
 */
#include "x1/x1.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
	const char *name;
	int supported;
} msg_names[X1_MSG_COUNT] = {
	[X1_MSG_NONE] = {NULL, 0},
	[X1_ACTIVATE_TASK] = {"ActivateTask", 1},
	[X1_MODIFY_TASK] = {"ModifyTask", 1},
	[X1_DEACTIVATE_TASK] = {"DeactivateTask", 1},
	[X1_DEACTIVATE_ALL_TASKS] = {"DeactivateAllTasks", 1},
	[X1_GET_TASK_DETAILS] = {"GetTaskDetails", 1},
	[X1_CREATE_DESTINATION] = {"CreateDestination", 1},
	[X1_MODIFY_DESTINATION] = {"ModifyDestination", 1},
	[X1_REMOVE_DESTINATION] = {"RemoveDestination", 1},
	[X1_REMOVE_ALL_DESTINATIONS] = {"RemoveAllDestinations", 0},
	[X1_GET_DESTINATION_DETAILS] = {"GetDestinationDetails", 1},
	[X1_GET_NE_STATUS] = {"GetNEStatus", 1},
	[X1_GET_ALL_DETAILS] = {"GetAllDetails", 0},
	[X1_GET_ALL_TASK_DETAILS] = {"GetAllTaskDetails", 1},
	[X1_GET_ALL_DESTINATION_DETAILS] = {"GetAllDestinationDetails", 1},
	[X1_GET_ALL_GENERIC_OBJECT_DETAILS] = {"GetAllGenericObjectDetails", 0},
	[X1_LIST_ALL_DETAILS] = {"ListAllDetails", 0},
	[X1_REPORT_TASK_ISSUE] = {"ReportTaskIssue", 0},
	[X1_REPORT_DESTINATION_ISSUE] = {"ReportDestinationIssue", 0},
	[X1_REPORT_NE_ISSUE] = {"ReportNEIssue", 0},
	[X1_PING] = {"Ping", 1},
	[X1_KEEPALIVE] = {"Keepalive", 1},
	[X1_CREATE_OBJECT] = {"CreateObject", 0},
	[X1_MODIFY_OBJECT] = {"ModifyObject", 0},
	[X1_GET_OBJECT] = {"GetObject", 0},
	[X1_DELETE_OBJECT] = {"DeleteObject", 0},
	[X1_LIST_OBJECTS_OF_TYPE] = {"ListObjectsOfType", 0},
	[X1_DELETE_ALL_OBJECTS] = {"DeleteAllObjects", 0},
};

const char *
x1_msg_name(enum x1_msg_type t)
{
	if ((int)t <= X1_MSG_NONE || t >= X1_MSG_COUNT)
		return NULL;
	return msg_names[t].name;
}

int
x1_msg_supported(enum x1_msg_type t)
{
	if ((int)t <= X1_MSG_NONE || t >= X1_MSG_COUNT)
		return 0;
	return msg_names[t].supported;
}

enum x1_msg_type
x1_msg_lookup(const char *name)
{
	for (int t = X1_MSG_NONE + 1; t < X1_MSG_COUNT; t++)
		if (strcmp(msg_names[t].name, name) == 0)
			return (enum x1_msg_type)t;
	return X1_MSG_NONE;
}

static const struct {
	int code;
	const char *text;
} code_texts[] = {
	{X1_C_OK, "OK"},
	{X1_C_GENERIC, "Generic error"},
	{X1_C_SYNTAX, "XML syntax or schema error"},
	{X1_C_VERSION, "Unsupported version"},
	{X1_C_ADMF_CERT, "ADMF identifier does not match certificate details"},
	{X1_C_ADMF_UNEXPECTED, "Unexpected ADMF identifier"},
	{X1_C_NE_CERT, "NE identifier does not match certificate details"},
	{X1_C_NE_UNEXPECTED, "Unexpected NE identifier"},
	{X1_C_KEEPALIVE, "Keepalive not supported"},
	{X1_C_UNSUPPORTED_REQUEST, "Unsupported request"},
	{X1_C_XID_EXISTS, "XID already exists"},
	{X1_C_XID_UNKNOWN, "XID does not exist"},
	{X1_C_DID_EXISTS, "DID already exists"},
	{X1_C_DID_UNKNOWN, "DID does not exist"},
	{X1_C_ACTIVATE_FAILED, "Generic ActivateTask failure"},
	{X1_C_MODIFY_FAILED, "Generic ModifyTask failure"},
	{X1_C_TARGET_TYPE, "Unsupported target identifier type"},
	{X1_C_TARGET_COMBINATION, "Unsupported combination of target identifiers"},
	{X1_C_MULTI_DEST, "Multiple destinations not supported"},
	{X1_C_DELIVERY_MISMATCH, "Invalid combination of DeliveryType and destinations"},
	{X1_C_SERVICE_TYPE, "Unsupported ServiceType"},
	{X1_C_DEACTIVATE_FAILED, "Generic DeactivateTask failure"},
	{X1_C_DEACTIVATE_ALL_FAILED, "Generic DeactivateAllTasks failure"},
	{X1_C_CREATE_DEST_FAILED, "Generic CreateDestination failure"},
	{X1_C_MODIFY_DEST_FAILED, "Generic ModifyDestination failure"},
	{X1_C_ADDRESS_TYPE, "Unsupported delivery address type"},
	{X1_C_REMOVE_DEST_FAILED, "Generic RemoveDestination failure"},
	{X1_C_DEST_IN_USE, "Destination in use"},
};

const char *
x1_code_str(int code)
{
	for (size_t i = 0; i < sizeof(code_texts) / sizeof(code_texts[0]); i++)
		if (code_texts[i].code == code)
			return code_texts[i].text;
	return "unknown error code";
}

static const char *const perr_texts[X1_P_COUNT] = {
	[X1_P_OK] = "ok",
	[X1_P_EMPTY] = "empty document",
	[X1_P_TOO_LARGE] = "document too large",
	[X1_P_ENCODING] = "document is not UTF-8",
	[X1_P_NOMEM] = "out of memory",
	[X1_P_MALFORMED] = "XML not well-formed",
	[X1_P_DTD] = "DOCTYPE not allowed",
	[X1_P_ENTITY] = "entity reference not allowed",
	[X1_P_DEPTH] = "elements nested too deeply",
	[X1_P_ROOT] = "unexpected root element",
	[X1_P_NAMESPACE] = "element in a foreign namespace",
	[X1_P_ATTRIBUTE] = "attribute not allowed",
	[X1_P_MIXED_CONTENT] = "unexpected content",
	[X1_P_UNEXPECTED] = "unexpected element",
	[X1_P_MISSING] = "missing element",
	[X1_P_UNKNOWN_TYPE] = "unknown message type",
	[X1_P_TOO_MANY] = "too many elements",
	[X1_P_VALUE] = "invalid value",
	[X1_P_TOO_LONG] = "value too long",
	[X1_P_UNSUPPORTED] = "not supported",
};

const char *
x1_perr_str(enum x1_perr e)
{
	if ((int)e < 0 || e >= X1_P_COUNT)
		return "unknown parse error";
	return perr_texts[e];
}

const char *
x1_target_name(enum x1_target_type t)
{
	switch (t) {
	case X1_TGT_IMSI:
		return "imsi";
	case X1_TGT_E164:
		return "e164Number";
	case X1_TGT_IMEI:
		return "imei";
	default:
		return "none";
	}
}

const char *
x1_delivery_name(enum x1_delivery d)
{
	switch (d) {
	case X1_X2_ONLY:
		return "X2Only";
	case X1_X3_ONLY:
		return "X3Only";
	case X1_X2_AND_X3:
		return "X2andX3";
	default:
		return "none";
	}
}

const char *
x1_hi_delivery_name(enum x1_delivery d)
{
	switch (d) {
	case X1_X2_ONLY:
		return "HI2Only";
	case X1_X3_ONLY:
		return "HI3Only";
	case X1_X2_AND_X3:
		return "HI2andHI3";
	default:
		return "none";
	}
}

unsigned
x1_dest_addr_bit(enum x1_addr_family af, enum x1_port_proto p)
{
	if (af == X1_AF_IPV4 && p == X1_PORT_TCP)
		return X1_ADDR_IPV4_TCP;
	if (af == X1_AF_IPV6 && p == X1_PORT_TCP)
		return X1_ADDR_IPV6_TCP;
	if (af == X1_AF_IPV4 && p == X1_PORT_UDP)
		return X1_ADDR_IPV4_UDP;
	if (af == X1_AF_IPV6 && p == X1_PORT_UDP)
		return X1_ADDR_IPV6_UDP;
	return 0;
}

struct x1_request *
x1_request_new(void)
{
	return calloc(1, sizeof(struct x1_request));
}

void
x1_request_free(struct x1_request *r)
{
	free(r);
}

struct x1_response *
x1_response_new(void)
{
	return calloc(1, sizeof(struct x1_response));
}

void
x1_response_free(struct x1_response *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nmsg; i++) {
		free(r->msgs[i].tasks);
		free(r->msgs[i].dests);
	}
	free(r);
}

void
x1_timestamp_now(char out[X1_TS_LEN + 1])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char tmp[128];
	int n = snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (long)(ts.tv_nsec / 1000));
	/* Years outside 1000..9999 cannot happen on a sane clock; keep the output valid anyway. */
	if (n != 27)
		memcpy(tmp, "1970-01-01T00:00:00.000000Z", 28);
	memcpy(out, tmp, 28);
}

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

int
x1_digits_ok(const char *s, size_t min, size_t max)
{
	size_t n = 0;
	for (; s[n] != '\0'; n++)
		if (!isdig(s[n]) || n >= max)
			return 0;
	return n >= min;
}

int
x1_target_ok(enum x1_target_type t, const char *v)
{
	switch (t) {
	case X1_TGT_IMSI:	/* TS 103 280 IMSI: [0-9]{6,15} */
		return x1_digits_ok(v, 6, 15);
	case X1_TGT_E164:	/* InternationalE164: [0-9]{1,15} */
		return x1_digits_ok(v, 1, 15);
	case X1_TGT_IMEI:	/* IMEI: [0-9]{14} (no check digit) */
		return x1_digits_ok(v, 14, 14);
	default:
		return 0;
	}
}

/* n ASCII digits at s as a number, or -1. */
static int
num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdig(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
x1_timestamp_ok(const char *s)
{
	/* TS 103 280 QualifiedMicrosecondDateTime:
	 * [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}(Z|[+-][0-9]{2}:[0-9]{2})
	 * restricting xs:dateTime, so the fields must also form a real date and time. */
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t n = strlen(s);
	if (n != 27 && n != 32)
		return 0;
	if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
	    s[19] != '.')
		return 0;
	int y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
	int h = num(s + 11, 2), mi = num(s + 14, 2), se = num(s + 17, 2);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    se < 0 || se > 59 || num(s + 20, 6) < 0)
		return 0;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return 0;
	if (n == 27)
		return s[26] == 'Z';
	if ((s[26] != '+' && s[26] != '-') || s[29] != ':')
		return 0;
	int th = num(s + 27, 2), tm = num(s + 30, 2);
	/* xs:dateTime time zones run from -14:00 to +14:00. */
	return th >= 0 && tm >= 0 && tm <= 59 && (th < 14 || (th == 14 && tm == 0));
}

int
x1_version_ok(const char *s)
{
	/* TS 103 221-1 Version: v1\.\d+\.\d+ (we accept ASCII digits only). */
	size_t n = strlen(s), i = 3, d;
	if (n > X1_VERSION_MAX || strncmp(s, "v1.", 3) != 0)
		return 0;
	for (d = 0; i < n && isdig(s[i]); i++, d++)
		;
	if (d == 0 || i >= n || s[i] != '.')
		return 0;
	for (i++, d = 0; i < n && isdig(s[i]); i++, d++)
		;
	return d > 0 && i == n;
}

int
x1_liid_ok(const char *s)
{
	/* TS 103 280 LIID: ([!-~]{1,25})|([0-9a-f]{26,50}) */
	size_t n = strlen(s);
	if (n >= 1 && n <= 25) {
		for (size_t i = 0; i < n; i++)
			if (s[i] < '!' || s[i] > '~')
				return 0;
		return 1;
	}
	if (n < 26 || n > 50)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdig(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return 0;
	return 1;
}

int
x1_token_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || (c == ' ' && s[i + 1] == ' '))
			return 0;
	}
	return 1;
}

int
x1_ipv4_parse(const char *s, uint8_t out[4])
{
	/* TS 103 280 IPv4Address: ((25[0-5]|2[0-4][0-9]|[01]?[0-9]?[0-9])\.){3}(same): each part
	 * is one to three digits worth at most 255 (leading zeros allowed by the pattern). */
	for (int part = 0; part < 4; part++) {
		int v = 0, nd = 0;
		while (isdig(*s) && nd < 3) {
			v = v * 10 + (*s++ - '0');
			nd++;
		}
		if (nd == 0 || v > 255)
			return 0;
		out[part] = (uint8_t)v;
		if (part < 3 && *s++ != '.')
			return 0;
	}
	return *s == '\0';
}

static int
lhex(char c)
{
	if (isdig(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
x1_ipv6_parse(const char *s, uint8_t out[16])
{
	/* TS 103 280 IPv6Address: ([0-9a-f]{4}:){7}([0-9a-f]{4}), no compression, lowercase. */
	if (strlen(s) != 39)
		return 0;
	for (int g = 0; g < 8; g++) {
		const char *p = s + g * 5;
		int v = 0;
		for (int i = 0; i < 4; i++) {
			int h = lhex(p[i]);
			if (h < 0)
				return 0;
			v = v << 4 | h;
		}
		if (g < 7 && p[4] != ':')
			return 0;
		out[2 * g] = (uint8_t)(v >> 8);
		out[2 * g + 1] = (uint8_t)v;
	}
	return 1;
}

void
x1_addr_format(enum x1_addr_family af, const uint8_t *a, char out[40])
{
	if (af == X1_AF_IPV4) {
		snprintf(out, 40, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		return;
	}
	if (af != X1_AF_IPV6) {
		out[0] = '\0';
		return;
	}
	static const char hx[] = "0123456789abcdef";
	size_t j = 0;
	for (int i = 0; i < 16; i++) {
		out[j++] = hx[a[i] >> 4];
		out[j++] = hx[a[i] & 15];
		if (i % 2 == 1 && i < 15)
			out[j++] = ':';
	}
	out[j] = '\0';
}
