/*
 * Internals of the EPC traffic generator shared by its planner (epcgen_plan.c), simulator
 * (epcgen_sim.c, epcgen_noise.c), ground-truth writer (epcgen_truth.c) and output
 * (epcgen_out.c).  Not an API: nothing outside src/epcgen/ includes this.
 *
 * How a run works:
 *   1. plan: build the network (nodes and addresses), the subscribers' identities and, per
 *      subscriber, a script of steps (attach, traffic, handover, ...).  Every step knows how
 *      many frames it will produce (eg_step_legs), so the planner can split the --packets
 *      budget exactly: control frames + noise frames + user-plane frames = --packets.
 *   2. simulate: a binary heap of actors (one per subscriber, one for the noise) ordered by
 *      time; popping an actor writes exactly one frame and schedules its next one.  A
 *      subscriber's own frames never overlap (its steps run one after another), so every
 *      G-PDU falls unambiguously in one tunnel's lifetime.
 *   3. the truth is written as the simulation goes (procedures, bearers, tunnels when they
 *      end) and at the end (subscribers, totals).
 */
#ifndef OVERT_EPCGEN_INT_H
#define OVERT_EPCGEN_INT_H

#include <stdint.h>
#include <stdio.h>

#include "common/bytes.h"
#include "epcgen/epcgen.h"
#include "epcgen/epcgen_msg.h"
#include "epcgen/epcgen_rng.h"
#include "epcgen/epcgen_wire.h"

#define EG_NONE			0xffffffffu
#define EG_MAX_PDN		2	/* default PDN + one more ("ims") per subscriber */
#define EG_MAX_BEARERS_PER_PDN	3	/* default bearer + up to two dedicated ones */
#define EG_MAX_LEGS		8	/* frames of the longest control step (eg_step_legs) */
#define EG_FIRST_EBI		5	/* TS 24.007 11.2.3.1.5: EBIs 0-4 are reserved */
#define EG_FRAME_MAX		2048	/* largest frame built (user packets fit an MTU) */
#define EG_MAX_PIECES		16	/* fragments of one frame (--mtu >= 576: at most 4) */
#define EG_PM_REORDER		250	/* fragmented datagrams written out of order, permille */
#define EG_T0_SEC		1735689600ULL	/* 2025-01-01T00:00:00Z: first timestamp */
#define EG_JSON_DEPTH		8	/* nesting of a truth line */

enum eg_role { EG_MME, EG_SGW, EG_PGW, EG_ENB, EG_HOST, EG_NROLES };

struct eg_node {
	uint8_t role;
	uint16_t id;			/* index within its role */
	struct epcgen_addr addr;
	uint8_t mac[6];
	uint16_t tac;			/* eNB: tracking area code */
	uint32_t eci;			/* eNB: E-UTRAN cell identifier (28 bits) */
	uint32_t seq;			/* next GTPv2-C sequence number it initiates with */
	uint16_t ipid;			/* outer IPv4 identification counter */
	uint32_t frag6_id;		/* last IPv6 fragment identification it used (--mtu) */
	uint8_t recovery;		/* restart counter sent in Echo */
};

enum eg_step_kind {
	EG_ST_ATTACH,		/* flag: a dedicated bearer piggybacked on the attach */
	EG_ST_TRAFFIC,		/* n: user packets */
	EG_ST_HANDOVER,		/* flag: End Marker to the old eNB */
	EG_ST_IDLE,
	EG_ST_SERVICE_REQ,	/* flag: the UE comes back under another eNB */
	EG_ST_PDN_ADD,		/* second PDN connection (slot 1) */
	EG_ST_PDN_DEL,
	EG_ST_DED_ADD,		/* pdn: which PDN gets the dedicated bearer */
	EG_ST_DED_DEL,		/* pdn: deletes that PDN's oldest dedicated bearer */
	EG_ST_DETACH,		/* mask: PDN slots open at that time (bit 0, bit 1) */
};

struct eg_step {
	uint8_t kind;
	uint8_t flag;
	uint8_t pdn;
	uint8_t mask;
	uint32_t n;
};

/* One frame of a control step.  The PDN slot rides in bit 6 (eg_leg_pdn). */
enum eg_leg {
	EG_L_CSREQ, EG_L_CSREQ5, EG_L_CSRESP5, EG_L_CSRESP,
	EG_L_MBREQ, EG_L_MBRESP, EG_L_END_MARKER,
	EG_L_RABREQ, EG_L_RABRESP,
	EG_L_CBREQ5, EG_L_CBREQ, EG_L_CBRESP, EG_L_CBRESP5,
	EG_L_DBREQ5, EG_L_DBREQ, EG_L_DBRESP, EG_L_DBRESP5,
	EG_L_DSREQ, EG_L_DSREQ5, EG_L_DSRESP5, EG_L_DSRESP,
};
#define EG_LEG(kind, pdn)	((uint8_t)((kind) | ((pdn) << 6)))
#define eg_leg_kind(l)		((l) & 0x3f)
#define eg_leg_pdn(l)		((l) >> 6)

/* Writes the frames (legs) of a control step into legs[EG_MAX_LEGS] and returns their
 * number; 0 for a traffic step (its frames are n or 2n with S5).  The planner and the
 * simulator both call this: it is the single definition of each step's frame count. */
int eg_step_legs(const struct eg_step *st, int s5, uint8_t legs[EG_MAX_LEGS]);
/* Frames a step will write. */
uint64_t eg_step_frames(const struct eg_step *st, int s5);

/* A GTP-U tunnel endpoint as the capture shows it: G-PDUs whose header TEID is teid. */
struct eg_tun {
	uint32_t teid;
	uint32_t opened;		/* frame of the message that announced it */
	uint32_t first, last;		/* frames of the first/last G-PDU (0: none) */
	uint32_t gpdus;
	uint64_t bytes;			/* inner IP bytes */
};

struct eg_bearer {
	uint32_t sub;
	uint8_t pdn;			/* slot */
	uint8_t ebi, qci, dflt;
	uint8_t has_enb;		/* s1u_enb is live (not idle) */
	uint8_t tft_proto;
	uint8_t tft_v6;			/* the TFT (and so the traffic) uses IPv6 */
	uint16_t tft_port;
	uint16_t tft_server;		/* index of the remote server the TFT names */
	uint16_t enb;			/* eNB of s1u_enb */
	uint16_t useq;			/* GTP-U sequence numbers when the S flag is used */
	uint16_t ue_port;		/* the UE's UDP/TCP port on this bearer */
	uint32_t charging_id;
	uint32_t created, created_req;	/* frames */
	uint32_t ul_pkts, dl_pkts;
	uint64_t ul_bytes, dl_bytes;
	uint32_t tcp_ul, tcp_dl;		/* next TCP sequence number each way */
	struct eg_tun s1u_sgw, s1u_enb, s5u_sgw, s5u_pgw;
};

struct eg_pdn {
	uint8_t active;
	uint8_t pdn_type;		/* EPCGEN_PDN_* */
	uint8_t apn;			/* index in eg_apns */
	uint8_t lbi;
	uint8_t pgw;
	uint8_t nb;
	uint32_t bearer[EG_MAX_BEARERS_PER_PDN];	/* pool indices, creation order */
	uint32_t ue_v4;
	uint8_t ue_v6[16];
	uint32_t sgw_s5c_teid, pgw_s5c_teid;
	uint32_t created, created_req;	/* frames */
};

/* Frames and times of one GTP transaction of the running step. */
struct eg_tx {
	uint32_t req, resp, req5, resp5;
	uint64_t treq, tresp;
	uint32_t seq, seq5;
	uint32_t bearer;		/* bearer pool index it concerns, if one */
	uint16_t ebis;			/* bearers it concerns: bit EBI - 5 */
	uint8_t pdn;
};

/* Parameters of the user packet whose S5 leg is still to be written (the inner packet is
 * rebuilt from them, so nothing else needs to stay in a shared buffer). */
struct eg_upkt {
	uint32_t bearer;
	uint8_t ul;			/* from the UE */
	uint8_t proto;
	uint8_t v6;
	uint8_t pending5;		/* the S5 leg of this packet is next */
	uint16_t paylen;
	uint16_t server;
	uint16_t sport, dport;
	uint32_t tcp_seq, tcp_ack;
	uint16_t icmp_seq;
	uint8_t fill;
};

enum eg_state { EG_DETACHED, EG_CONNECTED, EG_IDLE };

struct eg_sub {
	uint64_t imsi;			/* 15 digits: 00101 + 10 */
	uint64_t msisdn;		/* 12 digits */
	uint64_t imei;			/* 14 digits (TAC + SNR), X1's form */
	uint8_t imeisv;			/* MEI is IMEISV (16 digits) instead of IMEI (15) */
	uint8_t svn;
	uint8_t target;
	uint8_t state;
	uint8_t mme, sgw;
	uint16_t enb;
	uint32_t mme_teid, sgw_teid;	/* S11 TEID-C pair, one per UE (TS 29.274 5.5.2) */
	uint32_t step_first;
	uint16_t step_count, step_cur;
	uint8_t nlegs, leg;
	uint8_t legs[EG_MAX_LEGS];
	uint32_t traffic_left;		/* frames left in a traffic step */
	uint32_t attach_frame, detach_frame;
	uint32_t nprocs;
	uint16_t old_enb;		/* handover: source eNB */
	uint8_t moved;			/* the running step changes the location */
	uint16_t ebi_used;		/* bitmap of EBIs 5..15 in use (bit = ebi - 5) */
	uint32_t em_teid;		/* handover: old eNB TEID the End Marker goes to */
	uint32_t em_frame;
	struct eg_tx tx[3];
	struct eg_upkt up;
	struct eg_pdn pdn[EG_MAX_PDN];
};

/* Per-scenario knobs (probabilities in permille). */
struct eg_scen {
	uint16_t n_mme, n_sgw, n_pgw;
	uint32_t n_enb;
	uint32_t pm_v4v6, pm_v6;	/* PDN type of the first PDN (rest: IPv4) */
	uint32_t pm_pdn2, pm_pdn2_del;
	uint32_t pm_ded1, pm_ded2;	/* at least one / two dedicated bearers */
	uint32_t pm_ded_del;
	uint32_t pm_piggy;
	uint32_t ho_min, ho_max, pm_ho;		/* handovers: min, +1 with pm_ho each time */
	uint32_t idle_min, idle_max, pm_idle;	/* idle/service-request cycles, likewise */
	uint32_t pm_em, pm_moved;
	uint32_t pm_detach;
	uint32_t pm_imeisv;
	uint32_t pm_gtpu_seq, pm_gtpu_ext, pm_gtpu_ext2;
	uint32_t noise_pm;		/* noise frames per 1000 frames */
	uint32_t pay_max, pm_large;	/* payload sizes */
	uint64_t window_us;		/* attach times spread over this */
	uint64_t gap_min_us, gap_max_us;	/* between steps */
	uint64_t iat_min_us, iat_max_us;	/* between user packets */
};

struct eg_heap_ent {
	uint64_t t;
	uint32_t tie;
	uint32_t actor;
};

/* Output: pcap via libpcap + truth lines (epcgen_out.c). */
struct eg_out {
	FILE *pcap_f;
	void *pcap;			/* pcap_t * */
	void *dumper;			/* pcap_dumper_t * */
	FILE *truth;
	struct ovt_builder line;	/* the truth line under construction */
	int comma[EG_JSON_DEPTH];	/* per JSON nesting level: a value was written */
	int depth;
	int err;			/* sticky: an output failed */
};

struct eg_noise {
	uint64_t left;			/* frames still to write */
	uint64_t items;			/* items started */
	uint8_t pending;		/* second frame of a pair is next: its kind + 1 */
	uint16_t qid;			/* DNS id of the pending pair */
	uint16_t sport;			/* DNS client port / junk source port */
	uint8_t name;			/* DNS name of the pending pair */
	uint32_t seq;			/* echo sequence number of the pending pair */
	uint16_t enb, sgw, mme, host;	/* the pending pair's endpoints */
	uint64_t iat_us;
};

struct eg_sim {
	const struct epcgen_config *cfg;
	struct eg_scen sc;
	struct epcgen_rng rng;
	struct eg_node *nodes;
	uint32_t nnodes;
	uint32_t first[EG_NROLES], count[EG_NROLES];	/* node index ranges by role */
	struct eg_sub *subs;
	uint32_t nsubs;
	struct eg_step *steps;
	uint64_t nsteps;
	struct eg_bearer *bearers;
	uint32_t nbearers, cap_bearers;
	struct eg_heap_ent *heap;
	uint32_t nheap;
	uint32_t tie;
	uint64_t now;			/* microseconds since EG_T0_SEC */
	uint64_t first_t, last_t;	/* of the first and last frame */
	int enc_err;			/* a frame did not encode (bug) */
	int plan_err;			/* the simulation left the plan (bug) */
	uint32_t frame;			/* frames written (= number of the last one) */
	uint64_t planned;		/* frames the plan adds up to */
	uint32_t teid_ctr, junk_teid_ctr, ue_ctr, charging_ctr;
	struct eg_noise noise;
	struct ovt_builder fb;		/* the frame being built */
	uint8_t fbuf[EG_FRAME_MAX];
	struct epcgen_ip fip;
	struct eg_node *fsrc;		/* sender of the frame being built */
	struct epcgen_rng frag_rng;	/* --mtu only: order of the pieces */
	uint8_t pbuf[EG_FRAME_MAX + 64];	/* one piece of a fragmented frame */
	struct eg_out out;
	struct epcgen_totals *tot;
};

extern const char *const eg_apns[];

/* epcgen_plan.c */
void eg_scen_init(struct eg_scen *sc, enum epcgen_scenario scen, uint32_t nsubs);
enum epcgen_err eg_plan(struct eg_sim *s);
void eg_sub_imsi(const struct eg_sub *u, char out[16]);
void eg_sub_msisdn(const struct eg_sub *u, char out[16]);
void eg_sub_imei(const struct eg_sub *u, char out[16]);	/* 14 digits */
void eg_sub_mei(const struct eg_sub *u, char out[17]);	/* as carried in the MEI IE */
uint32_t eg_teid_mix(uint32_t c);

/* epcgen_sim.c: the simulation, and the frame helpers the noise shares */
enum epcgen_err eg_simulate(struct eg_sim *s);
struct eg_node *eg_node(struct eg_sim *s, int role, uint32_t i);
uint64_t eg_rnd(struct eg_sim *s, uint64_t lo, uint64_t hi);	/* uniform in [lo, hi] */
uint32_t eg_teid_junk(struct eg_sim *s);		/* a TEID no signalling announces */
uint32_t eg_seq_initial(struct eg_node *n);		/* next 23-bit sequence number */
void eg_v2_init(struct epcgen_gtpc *g, uint8_t type, uint32_t teid, uint32_t seq);
/* A frame: eg_frame_begin writes Ethernet/IP/UDP headers into s->fb, the caller the UDP
 * payload, eg_frame_end patches lengths and checksums, writes the frame at s->now and returns
 * its number (1-based).  eg_frame_next is the number the frame being built will get. */
void eg_frame_begin(struct eg_sim *s, struct eg_node *src, struct eg_node *dst, uint16_t sport,
    uint16_t dport);
uint32_t eg_frame_next(const struct eg_sim *s);
uint32_t eg_frame_end(struct eg_sim *s);
/* One GTPv2-C frame on UDP 2123: g, and g2 piggybacked on it when not NULL. */
uint32_t eg_send_v2(struct eg_sim *s, struct eg_node *src, struct eg_node *dst,
    const struct epcgen_gtpc *g, const struct epcgen_gtpc *g2);

/* epcgen_noise.c */
void eg_noise_frame(struct eg_sim *s);

/* epcgen_out.c: output files and the JSON lines of the truth */
enum epcgen_err eg_out_open(struct eg_out *o, const char *pcap_path, const char *truth_path);
void eg_out_frame(struct eg_out *o, uint64_t t_us, const uint8_t *p, size_t n);
enum epcgen_err eg_out_close(struct eg_out *o);
void eg_out_discard(struct eg_out *o);
void ej_begin(struct eg_out *o, const char *type);
void ej_str(struct eg_out *o, const char *key, const char *v);
void ej_u64(struct eg_out *o, const char *key, uint64_t v);
void ej_frame(struct eg_out *o, const char *key, uint32_t frame);	/* 0 -> null */
void ej_bool(struct eg_out *o, const char *key, int v);
void ej_null(struct eg_out *o, const char *key);
/* An address as text; family 0 (none) is written as null. */
void ej_addr(struct eg_out *o, const char *key, const struct epcgen_addr *a);
void ej_arr_begin(struct eg_out *o, const char *key);
void ej_arr_u64(struct eg_out *o, uint64_t v);
void ej_arr_end(struct eg_out *o);
void ej_obj_begin(struct eg_out *o, const char *key);	/* nested object; NULL key in arrays */
void ej_obj_end(struct eg_out *o);
void ej_end(struct eg_out *o);

/* epcgen_truth.c: the truth lines */
void eg_truth_meta(struct eg_sim *s);
void eg_truth_nodes(struct eg_sim *s);
void eg_truth_tunnel(struct eg_sim *s, const struct eg_bearer *br, const char *iface,
    const struct eg_tun *t, const struct epcgen_addr *addr, uint32_t closed);
void eg_truth_bearer(struct eg_sim *s, const struct eg_bearer *br, uint32_t deleted);
void eg_truth_session(struct eg_sim *s, const struct eg_sub *u, int slot, uint32_t deleted);
void eg_truth_subscriber(struct eg_sim *s, uint32_t idx);
void eg_truth_noise(struct eg_sim *s, const char *kind, uint32_t frame);
void eg_truth_totals(struct eg_sim *s);
/* The "proc" lines of a control step that just completed. */
void eg_truth_step(struct eg_sim *s, uint32_t ui, const struct eg_sub *u,
    const struct eg_step *st);
void eg_addr_ue_v4(struct epcgen_addr *a, uint32_t v4);
void eg_server_addr(struct epcgen_addr *a, int v6, uint16_t server);

#endif
