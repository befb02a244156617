/*
 * HI2/HI3 PDUs for EPS interception: 3GPP TS 33.108 EPS IRI (EpsHI2Operations IRI-Parameters),
 * the X2 payload format 14 wrapping of it (EpsIRIContent, TS 103 221-2 clause 5.4 / TS 33.128
 * clause 6.3.3.2.1), and ETSI TS 102 232-1 PS-PDUs carrying EPS IRI (ePSIRI), EPS CC
 * (ePSCC-CC-PDU with the 33.108 ULIC header) and TRI keep-alives; plus the LEMF side: a strict
 * PS-PDU decoder and a stream splitter for the TCP byte stream.
 *
 * The ASN.1 is the project's copy of the EPS subset in asn1/ (tags from LI-PS-PDU version43 and
 * 33.108 r16); docs/hi2.md lists every tag written and the event -> IRI record mapping.
 *
 * Encoders write into a struct ovt_builder (normally a fixed caller buffer: no allocation) and
 * validate every input field before writing anything: HI2_E_ARG leaves the builder untouched;
 * HI2_E_SPACE means the output did not fit (the builder's sticky error is set, its contents are
 * unspecified; bld_reset() it to reuse).
 * Decoders never allocate: variable-length fields are struct hi2_bytes pointing into the input,
 * valid as long as the input is.  A decoder refuses malformed input with one enum hi2_err value
 * and fills struct hi2_diag with the X.690 detail and the ASN.1 element where it stopped.
 * Memory: every struct here is fixed-size (struct hi2_eps_iri 288 bytes, struct hi2_stream 288,
 * struct hi2_pdu 160 on x86-64); stack use of a decode is under 2 KiB (ber_validate's
 * 65-entry level stack plus one scratch item).
 * Thread safety: no global state; all functions are reentrant.
 */
#ifndef OVERT_HI2_HI2_H
#define OVERT_HI2_HI2_H

#include <stddef.h>
#include <stdint.h>

#include "ber/ber.h"
#include "common/bytes.h"

/* ---- limits and constants ------------------------------------------------------------------ */

#define HI2_LIID_MAX		25	/* TS 103 280 LIID: OCTET STRING (SIZE (1..25)) */
#define HI2_LIID_NOT_PRESENT	"LIIDNotPresent"	/* TS 33.128 6.3.3.2.1, X2 format 14 */
#define HI2_OPERATOR_ID_MAX	16	/* NetworkIdentifier.operatorIdentifier (1..16) */
#define HI2_NE_ID_MAX		16	/* NetworkIdentifier.networkElementIdentifier (1..16) */
#define HI2_IRI_OPERATOR_MAX	5	/* 33.108 Network-Identifier.operator-Identifier (1..5) */
#define HI2_IMSI_DIGITS_MAX	15
#define HI2_MSISDN_DIGITS_MAX	16	/* msISDN (SIZE (1..9)): TON/NPI octet + 8 TBCD octets */
#define HI2_IMEI_DIGITS_MAX	16	/* IMEI (15) or IMEISV (16) in 8 TBCD octets */
#define HI2_CORR_MIN		8	/* EPSCorrelationNumber: (8..20) for PS interception */
#define HI2_CORR_MAX		20
#define HI2_APN_MAX		100
#define HI2_ULI_MAX		39
#define HI2_PARTY_MAX		10	/* partyInformation SET SIZE (1..10) */
#define HI2_MAX_DEPTH		24	/* decoder nesting cap (our deepest PDU uses 12) */
#define HI2_MAX_ELEMS		1024	/* decoder element cap per PDU (an IRI uses about 60) */
#define HI2_MAX_PDU		(256 * 1024)	/* splitter default: largest PS-PDU accepted */
#define HI2_MSISDN_TON_NPI	0x91	/* AddressString: international number, ISDN/E.164 */

/* 33.108 EPSEvent values a GTP-based S-GW/P-GW or MME reports (the ASN.1 lists more). */
enum hi2_event {
	HI2_EV_EUTRAN_ATTACH = 16,
	HI2_EV_EUTRAN_DETACH = 17,
	HI2_EV_BEARER_ACTIVATION = 18,
	HI2_EV_START_WITH_ACTIVE_BEARER = 19,
	HI2_EV_BEARER_MODIFICATION = 20,
	HI2_EV_BEARER_DEACTIVATION = 21,
	HI2_EV_UE_BEARER_RESOURCE_MOD = 22,
	HI2_EV_UE_PDN_CONNECTIVITY = 23,
	HI2_EV_UE_PDN_DISCONNECTION = 24,
	HI2_EV_TAU = 25,
	HI2_EV_SERVING_EPS = 26,
	HI2_EV_START_WITH_ATTACHED_UE = 41,
};

/* IRI record types: TS 102 232-1 IRIType and the EpsIRIContent alternative tags alike. */
enum hi2_record {
	HI2_REC_NONE = 0,
	HI2_REC_BEGIN = 1,
	HI2_REC_END = 2,
	HI2_REC_CONTINUE = 3,
	HI2_REC_REPORT = 4,
};

enum hi2_bearer {		/* 33.108 TypeOfBearer; NONE = not reported */
	HI2_BEARER_NONE = 0,
	HI2_BEARER_DEFAULT = 1,
	HI2_BEARER_DEDICATED = 2,
};

enum hi2_lft {			/* 33.108 LogicalFunctionType */
	HI2_LFT_PGW = 0,
	HI2_LFT_MME = 1,
	HI2_LFT_SGW = 2,
};

enum hi2_err {
	HI2_OK = 0,
	HI2_E_BER,		/* malformed BER; diag.ber says how */
	HI2_E_TAG,		/* an element the schema does not allow here, or a missing one */
	HI2_E_ORDER,		/* SEQUENCE components out of order or repeated (X.690 8.9.2) */
	HI2_E_VALUE,		/* a value outside its ASN.1 constraint or its 3GPP coding */
	HI2_E_PARTY_FORM,	/* partyInformation without its inner SEQUENCE (OpenLI style) */
	HI2_E_UNSUPPORTED,	/* valid alternative this decoder does not handle */
	HI2_E_TOO_BIG,		/* PDU larger than the caller's maximum */
	HI2_E_NEED_MORE,	/* splitter: the PDU is not complete yet */
	HI2_E_FRAMING,		/* splitter: the stream cannot be resynchronised */
	HI2_E_ARG,		/* encoder: an input field is invalid (diag.where names it) */
	HI2_E_SPACE,		/* encoder: output buffer too small */
	HI2_E__COUNT
};

/* Static description of e.  Never NULL. */
const char *hi2_strerror(enum hi2_err e);

/* Where and why a decode or encode stopped.  where is a static string (ASN.1 path). */
struct hi2_diag {
	enum ber_err ber;
	const char *where;
};

/* Formats "<where>: <hi2 error>[: <ber detail>]" into buf (always NUL-terminated). */
void hi2_diag_format(enum hi2_err e, const struct hi2_diag *d, char *buf, size_t cap);

/* A borrowed byte string: len == 0 means absent. */
struct hi2_bytes {
	const uint8_t *p;
	size_t len;
};

/* ---- EPS IRI (33.108 IRI-Parameters) ------------------------------------------------------- */

/*
 * What the POI knows about one EPS event, or what the LEMF decoded.  Digit strings are ASCII
 * '0'-'9', NUL-terminated, "" when absent.  Raw GTPv2 values are IE values without the
 * type/length/instance octets (33.108: EPS-GTPV2-SpecificParameters coding rule).
 */
struct hi2_eps_iri {
	uint8_t event;			/* enum hi2_event / EPSEvent */
	uint8_t record;			/* enum hi2_record: HI2_REC_NONE = derive it with
					 * hi2_iri_record() (what a POI does); the decoders set
					 * the record read, so a decoded IRI re-encodes as is */
	struct hi2_bytes liid;		/* X2: HI2_LIID_NOT_PRESENT when empty */
	int64_t ts_sec;			/* event time (timeStamp [3] utcTime: seconds) */
	uint32_t ts_usec;		/* decode: set when localTime carried a fraction */
	uint8_t has_initiator;
	uint8_t initiator;		/* 0 not-Available, 1 originating (UE), 2 terminating (net) */
	char imsi[HI2_IMSI_DIGITS_MAX + 1];
	char msisdn[HI2_MSISDN_DIGITS_MAX + 1];
	char imei[HI2_IMEI_DIGITS_MAX + 1];
	uint8_t msisdn_ton_npi;		/* decode only; encoders write HI2_MSISDN_TON_NPI */
	struct hi2_bytes corr;		/* ePSCorrelationNumber (8..20 octets) */
	struct hi2_bytes operator_id;	/* networkIdentifier.operator-Identifier (1..5) */
	uint8_t has_ne_type;
	uint8_t ne_type;		/* enum hi2_lft: logicalFunctionInformation */
	uint8_t ne_addr_len;		/* 0, 4 or 16 */
	uint8_t ne_addr[16];		/* network element IPv4/IPv6 address */
	/* ePS-GTPV2-specificParameters */
	struct hi2_bytes paa;		/* pDNAddressAllocation: GTPv2 PAA value */
	struct hi2_bytes apn;		/* aPN: label-encoded (TS 23.003), 1..100 */
	uint8_t has_ebi, ebi;		/* ePSBearerIdentity: EBI IE value octet */
	uint8_t has_lbi, lbi;		/* linkedEPSBearerId */
	uint8_t has_rat, rat;		/* rATType: GTPv2 RAT Type value */
	uint8_t has_pdn_type, pdn_type;	/* pDNType */
	uint8_t bearer_type;		/* enum hi2_bearer: bearerActivationType or
					 * bearerDeactivationType, by event */
	uint8_t has_cause, cause;	/* GTPv2 cause value: failedBearerActivationReason,
					 * failedBearerModReason or bearerDeactivationCause */
	struct hi2_bytes qos;		/* ePSBearerQoS: GTPv2 Bearer QoS value */
	struct hi2_bytes apn_ambr;	/* aPN-AMBR: GTPv2 AMBR value */
	struct hi2_bytes tft;		/* tFT */
	struct hi2_bytes uli;		/* ePSlocationOfTheTarget.userLocationInfo (1..39) */
	struct hi2_bytes old_uli;	/* ePSlocationOfTheTarget.olduserLocationInfo */
	unsigned unknown;		/* decode only: elements skipped as unknown extensions */
};

/* Clears an IRI (all fields absent). */
void hi2_iri_init(struct hi2_eps_iri *iri);

/* The IRI record type the 33.108 event mapping gives for this event (docs/hi2.md):
 * bearerActivation: failed (has_cause) -> REPORT, dedicated -> CONTINUE, else BEGIN;
 * startOfInterceptionWithActiveBearer: dedicated -> CONTINUE, else BEGIN;
 * bearerModification -> CONTINUE; bearerDeactivation: dedicated -> CONTINUE, else END;
 * every other event (attach, detach, TAU, UE requests, serving system...) -> REPORT. */
enum hi2_record hi2_iri_record(const struct hi2_eps_iri *iri);

/* The record an encoder writes: iri->record if set, else hi2_iri_record(iri). */
enum hi2_record hi2_iri_record_of(const struct hi2_eps_iri *iri);

/* X2 payload format 14: EpsIRIContent, the record alternative given by hi2_iri_record_of().
 * The LIID is iri->liid, or HI2_LIID_NOT_PRESENT if empty. */
enum hi2_err hi2_iri_encode_x2(struct ovt_builder *b, const struct hi2_eps_iri *iri,
			       struct hi2_diag *diag);
/* Decodes an X2 format-14 payload (exactly one EpsIRIContent spanning p[0..len)). */
enum hi2_err hi2_iri_decode_x2(const uint8_t *p, size_t len, struct hi2_eps_iri *out,
			       struct hi2_diag *diag);

/* ---- PS-PDU (TS 102 232-1) ----------------------------------------------------------------- */

/* PSHeader fields.  The MDF keeps one per LIID+CIN and bumps seq per PDU. */
struct hi2_pshdr {
	struct hi2_bytes liid;		/* 1..25 */
	char auth_cc[3];		/* authorizationCountryCode, 2 letters or "" */
	struct hi2_bytes operator_id;	/* 1..16 */
	struct hi2_bytes ne_id;		/* 0..16 */
	uint32_t cin;			/* communicationIdentityNumber */
	char delivery_cc[3];		/* deliveryCountryCode, 2 letters or "" */
	uint32_t seq;			/* sequenceNumber */
	int64_t ts_sec;			/* timeStamp [5] (ms) and microSecondTimeStamp [7] */
	uint32_t ts_usec;
	uint8_t has_tsq;
	uint8_t tsq;			/* TimeStampQualifier: 0 unknown, 1 interception,
					 * 2 mediation, 3 aggregation */
};

/* One EPS CC packet (HI3). */
struct hi2_cc {
	uint8_t dir;			/* CCPayload.payloadDirection: 0 fromTarget, 1 toTarget,
					 * 2 indeterminate, 3 combined, 4 notapplicable */
	struct hi2_bytes corr;		/* ULIC correlation-Number (= the IRI's EPS number) */
	uint16_t ulic_seq;		/* ULIC sequence-number (0..65535) */
	uint8_t tpdu_dir;		/* ULIC t-PDU-direction: 1 from, 2 to, 3 unknown */
	uint8_t ice_type;		/* ULIC ice-type: 3 s-GW, 4 pDN-GW, 5 co-located; 0 none */
	struct hi2_bytes pkt;		/* the user IP packet */
};

enum hi2_tri {			/* TRIPayload alternatives we send */
	HI2_TRI_KEEPALIVE = 3,
	HI2_TRI_KEEPALIVE_RESPONSE = 4,
};

/* PS-PDU { PSHeader, iRIPayloadSequence { IRIPayload { iRIType (hi2_iri_record_of), timeStamp,
 * iRIContents ePSIRI [15] iRI-EPS-Parameters [0] } } }.  IRI-Parameters.LIID is hdr->liid
 * (iri->liid is ignored: the POI's "LIIDNotPresent" is replaced here). */
enum hi2_err hi2_encode_iri(struct ovt_builder *b, const struct hi2_pshdr *hdr,
			    const struct hi2_eps_iri *iri, struct hi2_diag *diag);
/* PS-PDU { PSHeader, cCPayloadSequence { CCPayload { payloadDirection, cCContents
 * ePSCC-CC-PDU [17] { uLIC-header { hi3DomainId, lIID, correlation-Number, timeStamp,
 * sequence-number, t-PDU-direction, ice-type }, payload } } } }.  Hot path: no allocation. */
enum hi2_err hi2_encode_cc(struct ovt_builder *b, const struct hi2_pshdr *hdr,
			   const struct hi2_cc *cc, struct hi2_diag *diag);
/* PS-PDU { PSHeader, tRIPayload keep-alive [3] / keep-aliveResponse [4] }. */
enum hi2_err hi2_encode_tri(struct ovt_builder *b, const struct hi2_pshdr *hdr,
			    enum hi2_tri kind, struct hi2_diag *diag);
/* Convenience for the MDF: decodes an X2 format-14 payload and encodes it as an IRI PS-PDU
 * (the IRI keeps every field our decoder knows; unknown extensions are dropped and counted in
 * *out_unknown, which may be NULL). */
enum hi2_err hi2_encode_iri_from_x2(struct ovt_builder *b, const struct hi2_pshdr *hdr,
				    const uint8_t *x2, size_t x2_len, unsigned *out_unknown,
				    struct hi2_diag *diag);

/*
 * The fast path for the MDF: one struct hi2_stream per delivery stream (LIID + CIN), which is
 * also where TS 102 232-1 keeps the sequence number.  It holds copies of the header fields, the
 * PSHeader components that never change (domain, LIID, country, communicationIdentifier)
 * pre-encoded, the next sequence number, and the last second formatted as time text; so a PDU
 * costs the bytes that change and one copy of the packet.  Same output as hi2_encode_*().
 * 288 bytes (x86-64), caller-owned, no allocation.  One thread at a time per stream.
 */
#define HI2_PREFIX_MAX	96	/* PSHeader [0]..[3] at their largest: 91 octets */

struct hi2_stream {
	struct hi2_pshdr hdr;		/* the fields; hdr.seq is the next sequence number */
	uint8_t liid[HI2_LIID_MAX];
	uint8_t operator_id[HI2_OPERATOR_ID_MAX];
	uint8_t ne_id[HI2_NE_ID_MAX];
	uint8_t prefix[HI2_PREFIX_MAX];	/* PSHeader components [0]..[3], encoded */
	size_t prefix_len;
	struct ber_time time;		/* last time stamp second, formatted */
};

/* Copies and checks hdr (its seq is the first sequence number; its time is unused) and
 * pre-encodes the constant part.  HI2_E_ARG with diag.where naming a bad field. */
enum hi2_err hi2_stream_init(struct hi2_stream *s, const struct hi2_pshdr *hdr,
			     struct hi2_diag *diag);
/* Encode one PDU stamped (ts_sec, ts_usec) with sequence number s->hdr.seq, then increment
 * it (mod 2^32).  On error nothing is consumed: the sequence number stays. */
enum hi2_err hi2_stream_cc(struct hi2_stream *s, struct ovt_builder *b, int64_t ts_sec,
			   uint32_t ts_usec, const struct hi2_cc *cc, struct hi2_diag *diag);
enum hi2_err hi2_stream_iri(struct hi2_stream *s, struct ovt_builder *b, int64_t ts_sec,
			    uint32_t ts_usec, const struct hi2_eps_iri *iri,
			    struct hi2_diag *diag);
enum hi2_err hi2_stream_tri(struct hi2_stream *s, struct ovt_builder *b, int64_t ts_sec,
			    uint32_t ts_usec, enum hi2_tri kind, struct hi2_diag *diag);

/* ---- LEMF side: decoding ------------------------------------------------------------------- */

enum hi2_kind {
	HI2_KIND_IRI = 1,
	HI2_KIND_CC = 2,
	HI2_KIND_TRI = 3,
};

/* A decoded PS-PDU.  Payload items are read with hi2_next_iri()/hi2_next_cc(). */
struct hi2_pdu {
	struct hi2_bytes domain_id;	/* li-psDomainId OID contents */
	struct hi2_bytes liid;
	char auth_cc[3];
	struct hi2_bytes operator_id;
	struct hi2_bytes ne_id;
	uint8_t has_cin;
	uint32_t cin;
	char delivery_cc[3];
	uint32_t seq;
	uint8_t has_ts;			/* timeStamp [5] */
	int64_t ts_sec;
	uint32_t ts_usec;
	uint8_t has_usts;		/* microSecondTimeStamp [7] */
	int64_t usts_sec;
	uint32_t usts_usec;
	uint8_t has_tsq, tsq;
	unsigned unknown;		/* header extensions skipped */
	enum hi2_kind kind;
	uint8_t tri;			/* TRI: the TRIPayload alternative (enum hi2_tri...) */
	unsigned nitems;		/* IRI/CC: number of IRIPayload/CCPayload items */
	struct ovt_cursor items;	/* iterator state (the SEQUENCE OF contents) */
};

struct hi2_iri_item {
	uint8_t has_type, iri_type;	/* IRIPayload.iRIType (enum hi2_record) */
	uint8_t has_ts;
	int64_t ts_sec;
	uint32_t ts_usec;
	uint8_t epsiris_form;		/* 1 if carried as epsIRIsContent [1], 0 iRI-EPS-Params */
	struct hi2_eps_iri eps;
};

struct hi2_cc_item {
	uint8_t has_dir, dir;		/* CCPayload.payloadDirection */
	uint8_t has_ts;
	int64_t ts_sec;
	uint32_t ts_usec;
	struct hi2_bytes hi3_domain;	/* ULIC hi3DomainId OID contents */
	struct hi2_bytes liid;		/* ULIC lIID (optional) */
	struct hi2_bytes corr;		/* ULIC correlation-Number */
	uint8_t has_ulic_ts;
	int64_t ulic_ts_sec;
	uint32_t ulic_seq;
	uint8_t tpdu_dir;
	uint8_t has_ice, ice_type;
	struct hi2_bytes pkt;
};

/* Decodes exactly one PS-PDU spanning p[0..len): ber_validate() first (caps HI2_MAX_DEPTH,
 * HI2_MAX_ELEMS), then the schema, including every payload item, so the iterators below
 * cannot fail afterwards.  On error *out is unspecified. */
enum hi2_err hi2_decode(const uint8_t *p, size_t len, struct hi2_pdu *out,
			struct hi2_diag *diag);
/* Next IRI item of an IRI PDU into *out: 1, or 0 when there are no more (or not an IRI PDU). */
int hi2_next_iri(struct hi2_pdu *pdu, struct hi2_iri_item *out);
/* Next CC item of a CC PDU: 1, or 0 when there are no more. */
int hi2_next_cc(struct hi2_pdu *pdu, struct hi2_cc_item *out);

/*
 * Stream splitter: PS-PDUs are self-delimiting BER SEQUENCEs sent back to back on TCP
 * (TS 102 232-1, no other framing).  Looks at the bytes received so far:
 *   HI2_OK:        *pdu_len = size of the first PDU, which is complete in p[0..len);
 *   HI2_E_NEED_MORE: header or contents incomplete: read more (*pdu_len is the total size
 *                  when the header is complete, else 0);
 *   HI2_E_FRAMING / HI2_E_TOO_BIG: the outer header is unusable (not a SEQUENCE, indefinite,
 *                  over max_pdu): the next PDU boundary cannot be found; close the stream.
 * A PDU with a sane outer header but bad contents is hi2_decode()'s business: skip pdu_len
 * bytes and carry on with the next one.
 */
enum hi2_err hi2_split(const uint8_t *p, size_t len, size_t max_pdu, size_t *pdu_len,
		       struct hi2_diag *diag);

#endif
