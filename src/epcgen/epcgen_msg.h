/*
 * GTPv2-C messages of the EPC traffic generator: the S11 and S5/S8 messages of attach,
 * handover, idle, service request, dedicated bearers, PDN connections and detach, each with
 * its information elements in the order and with the instances of TS 29.274 clause 7.
 *
 * One description (struct epcgen_gtpc) serves every message type; the comment of each field
 * says which messages use it, and epcgen_gtpc_encode() writes only the IEs that the message
 * type carries.  Encoding goes through the caller's builder (sticky error, see bytes.h); no
 * allocation, no state.
 */
#ifndef OVERT_EPCGEN_MSG_H
#define OVERT_EPCGEN_MSG_H

#include <stdint.h>

#include "common/bytes.h"
#include "epcgen/epcgen_wire.h"

/* GTPv2-C message types (TS 29.274 Table 6.1-1). */
#define EPCGEN_MSG_ECHO_REQ	1
#define EPCGEN_MSG_ECHO_RESP	2
#define EPCGEN_MSG_CS_REQ	32
#define EPCGEN_MSG_CS_RESP	33
#define EPCGEN_MSG_MB_REQ	34
#define EPCGEN_MSG_MB_RESP	35
#define EPCGEN_MSG_DS_REQ	36
#define EPCGEN_MSG_DS_RESP	37
#define EPCGEN_MSG_CB_REQ	95
#define EPCGEN_MSG_CB_RESP	96
#define EPCGEN_MSG_DB_REQ	99
#define EPCGEN_MSG_DB_RESP	100
#define EPCGEN_MSG_RAB_REQ	170
#define EPCGEN_MSG_RAB_RESP	171

#define EPCGEN_CAUSE_ACCEPTED	16	/* "Request accepted" (8.4, Table 8.4-1) */

#define EPCGEN_BCTX_MAX_FTEID	4
#define EPCGEN_MAX_BCTX		11	/* EBIs 5..15: at most 11 bearers per UE */

struct epcgen_fteid {
	uint8_t iface;			/* EPCGEN_IF_* */
	uint32_t teid;
	struct epcgen_addr addr;
};

/* A Bearer Context (8.28).  IEs with a zero value are left out, F-TEIDs as listed. */
struct epcgen_bctx {
	uint8_t ebi;			/* always present (0 in a Create Bearer Request) */
	uint8_t cause;			/* 0: no Cause */
	uint8_t qci;			/* 0: no Bearer QoS */
	uint8_t arp_pl;			/* ARP priority level 1..15 when qci != 0 */
	uint64_t gbr_kbps;		/* GBR bearers: MBR = GBR = this, both directions */
	const struct epcgen_addr *tft_remote;	/* NULL: no TFT */
	uint8_t tft_proto;
	uint16_t tft_port;
	uint32_t charging_id;		/* 0: no Charging ID */
	uint8_t n_fteid;
	struct {
		uint8_t inst;
		struct epcgen_fteid f;
	} fteid[EPCGEN_BCTX_MAX_FTEID];
};

struct epcgen_gtpc {
	uint8_t type;			/* EPCGEN_MSG_* */
	uint32_t teid;			/* header TEID (all but echo) */
	uint32_t seq;			/* 24 bits */
	int piggy;			/* P flag: another message follows (5.5.1) */
	uint8_t cause;			/* every response */
	uint8_t recovery;		/* echo */
	/* Create Session Request: */
	const char *imsi, *msisdn, *mei;
	const char *apn;
	uint32_t ambr_ul, ambr_dl;	/* also in the response */
	/* Create Session Request, Modify Bearer Request (has_uli): */
	int has_uli;
	uint16_t tac;
	uint32_t eci;
	/* Create Session Request/Response: sender F-TEID (instance 0) and, on S11 only
	 * (has_pgw_c), the PGW S5/S8 control-plane F-TEID (instance 1). */
	struct epcgen_fteid sender;
	int has_pgw_c;
	struct epcgen_fteid pgw_c;
	/* Create Session Request/Response: PDN type and PAA (zeros in the request). */
	uint8_t pdn_type;
	uint32_t ue_v4;
	uint8_t ue_v6[16];
	uint8_t v6_plen;
	/* Delete Session Request, Create Bearer Request: LBI.  Delete Bearer Request: the
	 * dedicated bearer to delete (EPS Bearer IDs, instance 1). */
	uint8_t lbi;
	uint8_t ebi;
	/* Bearer contexts: CS/CB request+response one, MB request/response and DB response as
	 * many as bearers. */
	uint8_t n_bctx;
	struct epcgen_bctx bctx[EPCGEN_MAX_BCTX];
};

/* Writes one GTPv2-C message (header + IEs).  An unknown type or a bad field sets the
 * builder's error. */
void epcgen_gtpc_encode(struct ovt_builder *b, const struct epcgen_gtpc *m);

#endif
