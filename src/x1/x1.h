/*
 * X1 (ETSI TS 103 221-1) message codec: the XML documents that an ADMF and a network element
 * (NE: our POI and MDF) exchange over HTTPS.
 *
 * Parsing (x1_parse.c) takes the bytes of one HTTP body, hands them to libxml2 under strict
 * limits (size, no network, no DTD, no entity declarations, depth) and walks the tree in the
 * XSD's element order into the plain structs below, validating every value against its
 * TS 103 280 / TS 103 221-1 pattern.  Building (x1_build.c) writes documents through an
 * ovt_builder; every document it produces validates against the ETSI XSDs
 * (tests/unit/test_x1_codec.c checks each one with libxml2's schema validator, the e2e test with
 * xmllint).
 *
 * Scope: the message set an ADMF uses to provision and supervise an EPC POI or an MDF:
 * Activate/Modify/Deactivate(All)Task, Get(All)TaskDetails, Create/Modify/RemoveDestination,
 * Get(All)DestinationDetails, GetNEStatus, Ping, Keepalive.  Targets: imsi, e164Number, imei
 * (14 digits, TS 103 280 IMEI).  Destinations: ipAddressAndPort.  Everything else that the XSD
 * allows is recognised and answered with the standard "unsupported" code, never ignored: an
 * ADMF must never believe that a warrant detail was applied when it was not.
 *
 * Memory: struct x1_task is about 3 KiB (fixed arrays, caps below); struct x1_request holds
 * X1_MAX_MESSAGES messages (about 100 KiB, allocate it with x1_request_new).  libxml2's tree for
 * a maximal 1 MiB body stays below ~30 MiB and is freed before x1_parse_request returns.
 * Thread safety: the functions keep no state; libxml2 must have been initialised by the calling
 * thread (xmlInitParser, done implicitly on first use).  Never logs, prints or exits.
 */
#ifndef OVERT_X1_X1_H
#define OVERT_X1_X1_H

#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"

#define X1_NS     "http://uri.etsi.org/03221/X1/2017/10"
#define X1_NS_280 "http://uri.etsi.org/03280/common/2017/07"
#define X1_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* The version the client writes unless told otherwise; the NE echoes the request's version. */
#define X1_VERSION_DEFAULT "v1.13.1"

/* Limits.  Each one is checked where it applies and refused with its own error. */
#define X1_MAX_BODY       (1024 * 1024)		/* request document, bytes */
#define X1_MAX_RESPONSE   (16 * 1024 * 1024)	/* response document, bytes */
#define X1_MAX_DEPTH      16	/* element nesting (X1 needs 10) */
#define X1_MAX_MESSAGES   32	/* x1RequestMessage / x1ResponseMessage per document */
#define X1_MAX_TARGETS    16	/* targetIdentifier per task */
#define X1_MAX_DIDS       16	/* dId per task listOfDIDs */
#define X1_MAX_MEDIATION  8	/* mediationDetails per task */
#define X1_MAX_MED_DIDS   8	/* dId per mediationDetails */
#define X1_MAX_FAULTS     8	/* unresolvedFault per listOfFaults */
#define X1_MAX_LIST       4096	/* taskResponseDetails / destinationResponseDetails per message */
#define X1_ID_MAX         128	/* admfIdentifier / neIdentifier characters */
#define X1_NAME_MAX       255	/* friendlyName bytes */
#define X1_DESC_MAX       255	/* errorDescription bytes */
#define X1_TS_LEN         32	/* 2025-01-15T10:20:30.123456+01:00 */
#define X1_VERSION_MAX    23	/* v1.NNN.NNN */
#define X1_LIID_MAX       50	/* TS 103 280 LIID pattern */
#define X1_DIGITS_MAX     15	/* imsi / e164Number / imei */

/* X1 error codes (TS 103 221-1 clause 6.8, table "Error codes"). */
enum x1_code {
	X1_C_OK = 0,
	X1_C_GENERIC = 1000,
	X1_C_SYNTAX = 1010,		/* XML syntax or schema error */
	X1_C_VERSION = 1020,
	X1_C_ADMF_CERT = 1030,		/* admfIdentifier does not match the certificate */
	X1_C_ADMF_UNEXPECTED = 1040,
	X1_C_NE_CERT = 1050,
	X1_C_NE_UNEXPECTED = 1060,
	X1_C_KEEPALIVE = 1070,
	X1_C_UNSUPPORTED_REQUEST = 1080,
	X1_C_XID_EXISTS = 2010,
	X1_C_XID_UNKNOWN = 2020,
	X1_C_DID_EXISTS = 2030,
	X1_C_DID_UNKNOWN = 2040,
	X1_C_ACTIVATE_FAILED = 3000,
	X1_C_MODIFY_FAILED = 3001,
	X1_C_TARGET_TYPE = 3010,
	X1_C_TARGET_COMBINATION = 3020,
	X1_C_MULTI_DEST = 3030,
	X1_C_DELIVERY_MISMATCH = 3040,
	X1_C_SERVICE_TYPE = 3050,
	X1_C_DEACTIVATE_FAILED = 4000,
	X1_C_DEACTIVATE_ALL_FAILED = 5000,
	X1_C_CREATE_DEST_FAILED = 6000,
	X1_C_MODIFY_DEST_FAILED = 6001,
	X1_C_ADDRESS_TYPE = 6020,
	X1_C_REMOVE_DEST_FAILED = 7000,
	X1_C_DEST_IN_USE = 7010,
};

/* Standard meaning of a code ("XID already exists"), or "unknown error code". */
const char *x1_code_str(int code);

/* Why the parser refused a document or a message.  Never contains the offending value. */
enum x1_perr {
	X1_P_OK = 0,
	X1_P_EMPTY,		/* no bytes */
	X1_P_TOO_LARGE,		/* more than the size limit */
	X1_P_ENCODING,		/* not UTF-8 */
	X1_P_NOMEM,
	X1_P_MALFORMED,		/* not well-formed XML */
	X1_P_DTD,		/* a DOCTYPE (and so any entity declaration) */
	X1_P_ENTITY,		/* an entity reference that is not predefined */
	X1_P_DEPTH,		/* nesting deeper than X1_MAX_DEPTH */
	X1_P_ROOT,		/* root is not the expected X1 container */
	X1_P_NAMESPACE,		/* element outside the X1 / TS 103 280 namespaces */
	X1_P_ATTRIBUTE,		/* attribute the XSD does not allow */
	X1_P_MIXED_CONTENT,	/* text between elements, or elements inside a value */
	X1_P_UNEXPECTED,	/* element not allowed here (wrong name or order) */
	X1_P_MISSING,		/* mandatory element absent */
	X1_P_UNKNOWN_TYPE,	/* xsi:type missing or not an X1 message type */
	X1_P_TOO_MANY,		/* a count cap exceeded */
	X1_P_VALUE,		/* a value outside its XSD pattern or range */
	X1_P_TOO_LONG,		/* a value longer than its cap */
	X1_P_UNSUPPORTED,	/* allowed by the XSD, not supported by Overt (see code) */
	X1_P_COUNT
};

const char *x1_perr_str(enum x1_perr);

/* RequestMessageType (TS 103 221-1 XSD enumeration); values index the name tables. */
enum x1_msg_type {
	X1_MSG_NONE = 0,
	X1_ACTIVATE_TASK,
	X1_MODIFY_TASK,
	X1_DEACTIVATE_TASK,
	X1_DEACTIVATE_ALL_TASKS,
	X1_GET_TASK_DETAILS,
	X1_CREATE_DESTINATION,
	X1_MODIFY_DESTINATION,
	X1_REMOVE_DESTINATION,
	X1_REMOVE_ALL_DESTINATIONS,
	X1_GET_DESTINATION_DETAILS,
	X1_GET_NE_STATUS,
	X1_GET_ALL_DETAILS,
	X1_GET_ALL_TASK_DETAILS,
	X1_GET_ALL_DESTINATION_DETAILS,
	X1_GET_ALL_GENERIC_OBJECT_DETAILS,
	X1_LIST_ALL_DETAILS,
	X1_REPORT_TASK_ISSUE,
	X1_REPORT_DESTINATION_ISSUE,
	X1_REPORT_NE_ISSUE,
	X1_PING,
	X1_KEEPALIVE,
	X1_CREATE_OBJECT,
	X1_MODIFY_OBJECT,
	X1_GET_OBJECT,
	X1_DELETE_OBJECT,
	X1_LIST_OBJECTS_OF_TYPE,
	X1_DELETE_ALL_OBJECTS,
	X1_MSG_COUNT
};

/* "ActivateTask" (the RequestMessageType value), or NULL for X1_MSG_NONE/out of range. */
const char *x1_msg_name(enum x1_msg_type);
/* 1 if Overt's NE answers this type with something other than 1080 "unsupported request". */
int x1_msg_supported(enum x1_msg_type);
/* Looks a RequestMessageType value up ("ActivateTask"); X1_MSG_NONE if unknown. */
enum x1_msg_type x1_msg_lookup(const char *name);

enum x1_target_type {
	X1_TGT_NONE = 0,
	X1_TGT_IMSI,		/* [0-9]{6,15} */
	X1_TGT_E164,		/* e164Number (MSISDN): [0-9]{1,15} */
	X1_TGT_IMEI,		/* [0-9]{14}, no check digit */
	X1_TGT_COUNT
};
#define X1_TGT_BIT(t) (1u << (t))

/* "imsi", "e164Number", "imei" (the XSD element names). */
const char *x1_target_name(enum x1_target_type);

enum x1_delivery {
	X1_DELIVERY_NONE = 0,
	X1_X2_ONLY,		/* also HI2Only in mediation details */
	X1_X3_ONLY,		/* also HI3Only */
	X1_X2_AND_X3,		/* also HI2andHI3 */
};
/* Bit 0 = X2 (HI2), bit 1 = X3 (HI3). */
static inline unsigned x1_delivery_bits(enum x1_delivery d) { return (unsigned)d & 3u; }
const char *x1_delivery_name(enum x1_delivery);		/* "X2andX3" */
const char *x1_hi_delivery_name(enum x1_delivery);	/* "HI2andHI3" */

/* ServiceType enumeration, as bits of x1_task.service_types. */
enum x1_service {
	X1_SVC_VOICE = 1u << 0,
	X1_SVC_DATA = 1u << 1,
	X1_SVC_MESSAGING = 1u << 2,
	X1_SVC_PUSH_TO_TALK = 1u << 3,
	X1_SVC_LALS = 1u << 4,
	X1_SVC_RCS = 1u << 5,
};
#define X1_SVC_COUNT 6

struct x1_header {
	char admf_id[X1_ID_MAX + 1];	/* xs:token, whitespace collapsed */
	char ne_id[X1_ID_MAX + 1];
	char timestamp[X1_TS_LEN + 1];	/* QualifiedMicrosecondDateTime, as received */
	char version[X1_VERSION_MAX + 1];
	uint8_t transaction_id[16];
};

struct x1_target {
	enum x1_target_type type;
	char value[X1_DIGITS_MAX + 1];	/* digits only */
};

struct x1_mediation {
	char liid[X1_LIID_MAX + 1];
	enum x1_delivery delivery;	/* HI2Only / HI3Only / HI2andHI3 */
	char start[X1_TS_LEN + 1];	/* "" when absent */
	char end[X1_TS_LEN + 1];	/* "" when absent */
	size_t ndids;
	uint8_t dids[X1_MAX_MED_DIDS][16];
};

/* TaskDetails (TS 103 221-1 clause 6.2.1.2), in XSD order. */
struct x1_task {
	uint8_t xid[16];
	size_t ntargets;
	struct x1_target targets[X1_MAX_TARGETS];
	enum x1_delivery delivery;
	size_t ndids;
	uint8_t dids[X1_MAX_DIDS][16];
	int has_mediation;		/* listOfMediationDetails present (may be empty) */
	size_t nmed;
	struct x1_mediation med[X1_MAX_MEDIATION];
	int has_correlation;
	uint64_t correlation_id;
	int implicit_deactivation;	/* -1 absent, else 0/1 */
	int has_product;
	uint8_t product_id[16];
	unsigned service_types;		/* X1_SVC_* bits; 0 = listOfServiceTypes absent */
};

enum x1_addr_family { X1_AF_NONE = 0, X1_AF_IPV4 = 4, X1_AF_IPV6 = 6 };
enum x1_port_proto { X1_PORT_NONE = 0, X1_PORT_TCP, X1_PORT_UDP };

/* Bits for a profile's supported delivery addresses. */
#define X1_ADDR_IPV4_TCP 0x1u
#define X1_ADDR_IPV6_TCP 0x2u
#define X1_ADDR_IPV4_UDP 0x4u
#define X1_ADDR_IPV6_UDP 0x8u
unsigned x1_dest_addr_bit(enum x1_addr_family, enum x1_port_proto);

/* DestinationDetails (clause 6.3.1.2) with deliveryAddress ipAddressAndPort. */
struct x1_dest {
	uint8_t did[16];
	int has_name;
	char name[X1_NAME_MAX + 1];	/* friendlyName (xs:string, UTF-8) */
	enum x1_delivery delivery;
	enum x1_addr_family family;
	uint8_t addr[16];		/* 4 or 16 bytes used, network order */
	enum x1_port_proto proto;
	uint16_t port;
};

/* One x1RequestMessage.  When perr != X1_P_OK the message is answered with ErrorResponse
 * `code` (1010 for schema errors, 3010/6020/... for unsupported features) and nothing else. */
struct x1_msg {
	enum x1_msg_type type;
	struct x1_header hdr;
	enum x1_perr perr;
	int code;
	char detail[X1_DESC_MAX + 1];	/* which element, never its value */
	struct x1_task task;		/* Activate/ModifyTask */
	struct x1_dest dest;		/* Create/ModifyDestination */
	uint8_t id[16];			/* xId or dId of Deactivate/Get/Remove */
};

struct x1_request {
	size_t nmsg;
	struct x1_msg msgs[X1_MAX_MESSAGES];
};

/* Heap request (zeroed); NULL on ENOMEM.  x1_request_free(NULL) is harmless. */
struct x1_request *x1_request_new(void);
void x1_request_free(struct x1_request *);

/*
 * Parses an X1Request document.  Returns X1_P_OK when the container and every message header
 * could be read (each message then carries its own perr/code), or the document-level error
 * (nothing is usable: answer with X1TopLevelErrorResponse).  detail names the element at fault.
 * Refuses: more than max_len bytes, non-UTF-8, any DOCTYPE, undeclared entities, nesting
 * beyond X1_MAX_DEPTH, more than X1_MAX_MESSAGES, unknown xsi:type, unreadable headers.
 */
enum x1_perr x1_parse_request(const uint8_t *buf, size_t len, size_t max_len,
			      struct x1_request *out, char *detail, size_t detail_len);

/* ----- Responses (parsed by the client, described to the builder by the NE) ----- */

enum x1_ok { X1_OK_NONE = 0, X1_OK_COMPLETED, X1_OK_ACKNOWLEDGED };
enum x1_prov { X1_PROV_NONE = 0, X1_PROV_AWAITING, X1_PROV_FAILED, X1_PROV_COMPLETE };
enum x1_dstatus { X1_DST_NONE = 0, X1_DST_ACTIVE, X1_DST_FAULT };	/* activeAndWorking/deliveryFault */
enum x1_nestatus { X1_NES_NONE = 0, X1_NES_OK, X1_NES_FAULTS };

struct x1_fault {
	int code;
	char desc[X1_DESC_MAX + 1];
};

struct x1_faults {
	size_t n;
	struct x1_fault f[X1_MAX_FAULTS];
};

struct x1_task_status {
	enum x1_prov prov;
	struct x1_faults faults;
	char last_modified[X1_TS_LEN + 1];	/* "" when absent */
	int has_nmod;
	uint64_t nmod;				/* numberOfModifications */
};

struct x1_task_resp {
	struct x1_task task;
	struct x1_task_status status;
};

struct x1_dest_status {
	enum x1_dstatus status;
	struct x1_faults faults;
};

struct x1_dest_resp {
	struct x1_dest dest;
	struct x1_dest_status status;
};

struct x1_ne_status {
	enum x1_nestatus status;
	struct x1_faults faults;
};

/* One x1ResponseMessage. */
struct x1_resp_msg {
	enum x1_msg_type type;		/* the request it answers */
	int is_error;			/* ErrorResponse */
	struct x1_header hdr;
	enum x1_ok ok;			/* messages answering with oK */
	int code;			/* ErrorResponse errorCode */
	char desc[X1_DESC_MAX + 1];	/* ErrorResponse errorDescription */
	size_t ntasks;			/* Get(All)TaskDetails */
	struct x1_task_resp *tasks;	/* heap, owned */
	size_t ndests;			/* Get(All)DestinationDetails */
	struct x1_dest_resp *dests;	/* heap, owned */
	struct x1_ne_status ne;		/* GetNEStatus */
};

struct x1_response {
	int top_level_error;		/* X1TopLevelErrorResponse: hdr holds its header */
	struct x1_header hdr;		/* (transaction_id unused there) */
	size_t nmsg;
	struct x1_resp_msg msgs[X1_MAX_MESSAGES];
};

/* Heap response (zeroed); x1_response_free releases it and the lists inside. */
struct x1_response *x1_response_new(void);
void x1_response_free(struct x1_response *);

/* Parses an X1Response or X1TopLevelErrorResponse document (same limits as requests, size
 * limit max_len).  Any error makes the whole response unusable. */
enum x1_perr x1_parse_response(const uint8_t *buf, size_t len, size_t max_len,
			       struct x1_response *out, char *detail, size_t detail_len);

/* ----- Builders (x1_build.c).  All write into b; errors are sticky in b. ----- */

/* Whole X1Request document holding n messages (their perr/code are ignored). */
void x1_build_request(struct ovt_builder *b, const struct x1_msg *msgs, size_t n);

/* X1Response document, piece by piece:
 *   x1_build_response_begin, then per message either x1_build_error_msg or
 *   x1_build_msg_begin + body helpers + x1_build_msg_end, then x1_build_response_end. */
void x1_build_response_begin(struct ovt_builder *b);
void x1_build_response_end(struct ovt_builder *b);
/* <x1ResponseMessage xsi:type="TypeResponse"> and the common header. */
void x1_build_msg_begin(struct ovt_builder *b, enum x1_msg_type type, const struct x1_header *h);
void x1_build_msg_end(struct ovt_builder *b);
/* Complete ErrorResponse message (clause 6.7): requestMessageType + errorInformation. */
void x1_build_error_msg(struct ovt_builder *b, enum x1_msg_type type, const struct x1_header *h,
			int code, const char *desc);
void x1_build_ok(struct ovt_builder *b, enum x1_ok ok);
void x1_build_task_resp(struct ovt_builder *b, const struct x1_task *t,
			const struct x1_task_status *st);
void x1_build_dest_resp(struct ovt_builder *b, const struct x1_dest *d,
			const struct x1_dest_status *st);
void x1_build_ne_status(struct ovt_builder *b, const struct x1_ne_status *st);
/* <name> and </name> in the X1 namespace, for the list wrappers
 * (listOfTaskResponseDetails, listOfDestinationResponseDetails). */
void x1_build_open(struct ovt_builder *b, const char *name);
void x1_build_close(struct ovt_builder *b, const char *name);
/* Complete X1TopLevelErrorResponse document. */
void x1_build_top_level_error(struct ovt_builder *b, const char *admf_id, const char *ne_id,
			      const char *version);
/* Complete X1Response from a parsed description (used by tests and tools). */
void x1_build_response(struct ovt_builder *b, const struct x1_resp_msg *msgs, size_t n);

/* ----- Values (x1_types.c) ----- */

/* Current UTC time as QualifiedMicrosecondDateTime ("...T10:20:30.123456Z"). */
void x1_timestamp_now(char out[X1_TS_LEN + 1]);
/* 1 if s matches [0-9]{min,max}. */
int x1_digits_ok(const char *s, size_t min, size_t max);
/* Validates a value of the given target type; 1 if valid. */
int x1_target_ok(enum x1_target_type, const char *value);
/* 1 if s is a QualifiedMicrosecondDateTime with a valid date and time. */
int x1_timestamp_ok(const char *s);
/* 1 if s matches v1\.[0-9]+\.[0-9]+ (ASCII digits). */
int x1_version_ok(const char *s);
/* 1 if s matches the TS 103 280 LIID pattern ([!-~]{1,25})|([0-9a-f]{26,50}). */
int x1_liid_ok(const char *s);
/* 1 if s is a non-empty xs:token without leading/trailing/double spaces or tabs/newlines. */
int x1_token_ok(const char *s, size_t max);
/* IPv4Address / IPv6Address of TS 103 280 (IPv6: 8 groups of 4 lowercase hex digits).
 * Return 1 and fill out (4 / 16 bytes), or 0. */
int x1_ipv4_parse(const char *s, uint8_t out[4]);
int x1_ipv6_parse(const char *s, uint8_t out[16]);
/* Writes the canonical text (the only IPv6 form the XSD allows); out must hold 40 bytes. */
void x1_addr_format(enum x1_addr_family, const uint8_t *addr, char out[40]);

#endif
