/*
 * The POI's packet pipeline and interception state, independent of how packets arrive (live,
 * file, benchmark) and of process set-up (poi_main.c).
 *
 *   frame -> pkt_decode -> UDP 2123: GTPv2-C -> session tracker -> bearer events -> X2 (IRI)
 *                       -> UDP 2152: GTP-U G-PDU -> TEID lookup -> subscriber -> X3 (CC)
 *         -> IP fragment -> pkt_frag (reassembly) -> pkt_decode_ip -> the same UDP path
 *
 * Tasks and destinations come only from X1 (x1_ne change hook, and the X1 store at start-up).
 * Matching: each session caches the tasks that target it, tagged with a generation number that
 * every task change bumps; a task change immediately re-evaluates every tracked session, which
 * is how a task activated while its target is attached intercepts at once
 * (startOfInterceptionWithActiveBearer, 3GPP TS 33.108).
 *
 * Memory: the tracker's pools (sess.h, docs/gtp.md) + per task ~3.5 KiB + per destination its
 * sender queue bound (x2x3_sender.h) + 8 bytes per intercepted session id + the reassembler,
 * fixed at start from cfg->frag (pkt_frag_memory_for; 13.5 MiB with the defaults, printed
 * in the summary).
 * Thread safety: none; one core per event-loop thread.
 */
#ifndef OVERT_POI_CORE_H
#define OVERT_POI_CORE_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

#include "common/ev.h"
#include "gtp/gtp.h"
#include "pkt/pkt.h"
#include "pkt/pkt_frag.h"
#include "poi/poi_config.h"
#include "sess/sess.h"
#include "tls/tls.h"
#include "x1/x1_ne.h"
#include "x2x3/x2x3.h"

struct poi_core;

struct poi_stats {
	uint64_t frames, bytes;
	struct pkt_err_counts pkt;	/* link/IP/UDP refusals by reason */
	uint64_t fragments;		/* outer IP fragments seen (non-UDP ones: pkt NOT_UDP) */
	struct pkt_frag_stats frag;	/* reassembly of the UDP ones: datagrams reassembled
					 * (n[PKT_FRAG_COMPLETE]) go down the UDP path; drops
					 * by reason */
	uint64_t not_gtp_port;		/* UDP on neither GTP port (filter let it through) */
	uint64_t gtpc, gtpu;		/* messages parsed */
	uint64_t gtpc_err[GTP_E__COUNT];
	uint64_t gtpu_err[GTP_E__COUNT];
	uint64_t gtpu_other;		/* echo, error indication, end marker */
	uint64_t gpdu_unknown_teid;	/* G-PDU for no tracked bearer */
	uint64_t gpdu_matched;		/* G-PDU of a tracked bearer */
	uint64_t gpdu_other_leg;	/* target's G-PDU seen on S5/S8-U, delivered from S1-U */
	uint64_t target_sessions;	/* distinct sessions intercepted */
	uint64_t x2_events;		/* IRI events produced (one per task) */
	uint64_t x3_packets;		/* CC packets produced (one per task) */
	uint64_t x2x3_submitted;	/* PDUs handed to destination queues */
	uint64_t x2x3_refused;		/* refused by a queue (overflow, invalid): see senders */
	uint64_t no_destination;	/* PDUs for a task whose destination is not usable */
	uint64_t encode_err;		/* IRI encoding failures */
	uint64_t task_changes;
};

/* Creates the core: session tracker sized from cfg, destinations and tasks loaded from store
 * (which must outlive the core).  tls is the client context for X2/X3 (borrowed; may be NULL
 * only if every destination is insecure_plaintext).  Returns NULL with a message on error. */
struct poi_core *poi_core_new(const struct poi_config *cfg, struct ev_loop *loop,
    struct tls_ctx *tls, struct x1_store *store, char *err, size_t errlen);
void poi_core_free(struct poi_core *);

/* X1 hooks to install in the NE (changed, ne_status, dest_status, task_status). */
void poi_core_x1_hooks(struct poi_core *, struct x1_hooks *out);

/* Processes one captured frame.  linktype is pcap_datalink()'s value. */
void poi_core_frame(struct poi_core *, int linktype, const struct pcap_pkthdr *h,
    const uint8_t *data);

/* Periodic housekeeping (expiry of stale sessions and unanswered requests), with the capture
 * clock.  Call about once a second. */
void poi_core_tick(struct poi_core *, uint64_t now_ns);

/* PDUs still queued towards destinations (0 = everything handed to the kernel). */
uint64_t poi_core_queued(const struct poi_core *);

const struct poi_stats *poi_core_stats(const struct poi_core *);
const struct sess_stats *poi_core_sess_stats(const struct poi_core *);
void poi_core_sess_memory(const struct poi_core *, struct sess_mem *out);
size_t poi_core_ntasks(const struct poi_core *);

/* Prints the end-of-run summary and per-destination delivery figures to f. */
void poi_core_summary(const struct poi_core *, FILE *f);

#endif
