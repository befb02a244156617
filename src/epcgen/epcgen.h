/*
 * epcgen: a deterministic EPC traffic generator that writes a pcap file and, next to it, the
 * exact ground truth of what is inside.
 *
 * The capture is what a passive probe sees on the S11 (GTPv2-C, TS 29.274) and S1-U (GTP-U,
 * TS 29.281) interfaces, optionally also on S5/S8: subscribers attach, exchange user traffic,
 * hand over, go idle, come back, add and drop dedicated bearers and second PDN connections, and
 * detach, many of them interleaved in time; plus echo, unrelated traffic (DNS) and non-GTP bytes
 * on the GTP ports.  The ground truth (FILE.truth.jsonl, schema in docs/epcgen.md) lists every
 * subscriber, session, bearer, tunnel and procedure with frame numbers, so that a test choosing
 * any subset of subscribers as targets can compute the X2 events and X3 packet counts a POI
 * must produce.
 *
 * The GTP encoders here are written independently of src/gtp/ on purpose: the generator is the
 * independent check of the POI's parser.  The same seed and options always give the same bytes.
 *
 * Memory: about 0.45 KB per subscriber plus 0.2 KB per bearer ever created (bench scale, 100k
 * subscribers: 66 MB resident), independent of the number of packets.
 * Thread safety: epcgen_run() keeps all its state in its own heap allocations; runs in
 * different threads do not interfere.
 */
#ifndef OVERT_EPCGEN_EPCGEN_H
#define OVERT_EPCGEN_EPCGEN_H

#include <stdint.h>

/* Hard caps: they bound memory and keep identities unique (IMEI serial numbers have 6 digits). */
#define EPCGEN_MAX_SUBSCRIBERS	1000000u
#define EPCGEN_MAX_PACKETS	100000000u
/* --mtu: outer IP packets larger than this are fragmented (0 = never). */
#define EPCGEN_MTU_MIN		576
#define EPCGEN_MTU_MAX		9000

enum epcgen_scenario {
	EPCGEN_SC_DEMO,		/* every subscriber runs every procedure: small, readable */
	EPCGEN_SC_MIXED,	/* random mix of all features (IPv6, 2nd PDN, piggyback, ...) */
	EPCGEN_SC_BENCH,	/* lean scripts: 1M frames for 100k subscribers in seconds */
};

struct epcgen_config {
	const char *out_path;		/* FILE.pcap; truth and targets names derive */
	enum epcgen_scenario scenario;
	uint32_t subscribers;		/* 1..EPCGEN_MAX_SUBSCRIBERS */
	uint64_t packets;		/* exact number of frames written, <= EPCGEN_MAX_PACKETS */
	uint32_t targets;		/* 0..subscribers */
	uint64_t seed;
	int ipv6_transport;		/* network nodes talk IPv6 (F-TEIDs carry IPv6) */
	uint16_t vlan;			/* 0: untagged; 1..4094: 802.1Q tag on every frame */
	int s5;				/* also write the S5/S8 legs (GTPv2-C and GTP-U) */
	uint16_t mtu;			/* 0, or EPCGEN_MTU_MIN..EPCGEN_MTU_MAX: outer IPv4/IPv6
					 * packets larger are written as fragments (several pcap
					 * records, some out of order); frames, their numbers in
					 * the truth and `packets` then count IP datagrams */
};

enum epcgen_err {
	EPCGEN_OK = 0,
	EPCGEN_E_CONFIG,	/* a field of struct epcgen_config is out of range */
	EPCGEN_E_BUDGET,	/* --packets too small for the control traffic of the subscribers */
	EPCGEN_E_NOMEM,
	EPCGEN_E_IO,		/* could not create or write an output file (errno is kept) */
	EPCGEN_E_ENCODE,	/* a frame did not fit its buffer: a bug, never expected */
	EPCGEN_E_INTERNAL,	/* frames written differ from the plan: a bug, never expected */
};

/* Counts of what was written, filled in by epcgen_run(). */
struct epcgen_totals {
	uint64_t frames;
	uint64_t gtpv2_frames;		/* UDP 2123 frames holding GTPv2-C */
	uint64_t gtpv2_msgs[256];	/* GTPv2-C messages by type, piggybacked ones included */
	uint64_t piggybacked;		/* frames holding two GTPv2-C messages (P flag) */
	uint64_t gpdu;			/* all G-PDUs (message type 255) */
	uint64_t gpdu_s1u_ul, gpdu_s1u_dl, gpdu_s5u_ul, gpdu_s5u_dl;
	uint64_t gpdu_unknown_teid;	/* G-PDUs whose TEID no signalling ever announced */
	uint64_t gpdu_with_seq;		/* G-PDUs with the S flag */
	uint64_t gpdu_with_ext;		/* G-PDUs with extension headers */
	uint64_t gtpu_echo_req, gtpu_echo_resp, gtpu_end_marker;
	uint64_t dns;
	uint64_t non_gtp_c, non_gtp_u;	/* not-GTP payloads on UDP 2123 / 2152 */
	uint64_t bad_gtp_c, bad_gtp_u;	/* GTP headers whose length overruns the datagram */
	uint64_t procedures;		/* "proc" lines in the truth file */
	uint64_t bearers, sessions;
	uint64_t pcap_records;		/* records written: frames, plus the extra pieces (mtu) */
	uint64_t fragmented;		/* datagrams written as fragments (mtu) */
	uint64_t fragments;		/* records that are fragments (mtu) */
	uint64_t reordered;		/* fragmented datagrams whose pieces are out of order */
	uint64_t min_packets;		/* EPCGEN_E_BUDGET: smallest --packets that fits */
	uint64_t duration_us;		/* last timestamp - first timestamp */
};

/* Fills cfg with the defaults of a scenario (subscribers, packets, targets; seed 1; IPv4
 * transport; no VLAN; no S5).  out_path is set to NULL. */
void epcgen_config_init(struct epcgen_config *cfg, enum epcgen_scenario sc);

/* "demo" | "mixed" | "bench" -> 0 and *out; -1 on anything else. */
int epcgen_scenario_parse(const char *s, enum epcgen_scenario *out);
const char *epcgen_scenario_name(enum epcgen_scenario sc);

/* Derived file names: FILE.pcap -> FILE.truth.jsonl / FILE.targets (".pcap" is replaced when
 * present, appended to otherwise).  Return 0, or -1 if the name does not fit in n bytes. */
int epcgen_truth_path(const char *pcap_path, char *out, unsigned long n);
int epcgen_targets_path(const char *pcap_path, char *out, unsigned long n);

/* Generates the capture, its truth file and (when targets > 0, else it is removed) its targets
 * file.  Writes exactly cfg->packets frames.  out may be NULL.  On failure the partial files are
 * removed.  Never prints. */
enum epcgen_err epcgen_run(const struct epcgen_config *cfg, struct epcgen_totals *out);

const char *epcgen_strerror(enum epcgen_err e);

/* The command line (tools/epcgen and `overt epcgen`): parses argv, runs, prints a summary.
 * Returns the process exit status (0 ok, 1 failure, 2 usage). */
int epcgen_main(int argc, char **argv);

#endif
