/*
 * Internal to src/mdf: the core's state, shared by mdf_core.c (X1, routes, ingest, counters,
 * life cycle), mdf_commit.c (commit rounds, the journal, durable points, POI acknowledgements,
 * checkpoints) and mdf_report.c (status and summary).  Not an API: include mdf/mdf_core.h.
 */
#ifndef OVERT_MDF_MDF_CORE_INT_H
#define OVERT_MDF_MDF_CORE_INT_H

#include <arpa/inet.h>

#include "common/uuid.h"
#include "mdf/mdf_core.h"
#include "mdf/mdf_seq.h"
#include "mdf/mdf_stream.h"
#include "spool/spool.h"

#define MAX_ROUTES	(X1_MAX_MEDIATION * X1_MAX_MED_DIDS * 2)
#define PRUNE_EVERY_MS	(3600 * 1000)
#define SYNC_TICK_MS	20	/* journal durability, grouped POI acknowledgements */
#define JOURNAL_REC	13	/* "OVMJ" | u8 version 1 | u64 epoch */
#define JOURNAL_SEG	(1u << 20)
#define JOURNAL_MAX	(64u << 20)
#define DURABLE_RING	1024	/* journal records awaiting stable storage */

struct mdf_dest {
	uint8_t did[16];
	char did_str[UUID_STRLEN + 1];
	char host[INET6_ADDRSTRLEN];
	uint16_t port;
	unsigned delivery;		/* x1_delivery_bits: 1 HI2, 2 HI3 */
	struct mdf_stream *stream[2];	/* [0] HI2, [1] HI3 */
	int was_up[2];
};

struct mdf_route {
	enum mdf_kind kind;
	uint8_t liid_len;
	uint8_t liid[HI2_LIID_MAX];
	int64_t start, end;		/* mediation period, seconds; 0 = open */
	/* Mixed into the PDU's fingerprint for this route: two LIIDs of one task may share a
	 * destination stream, and the copy for the second LIID is not a duplicate of the first. */
	uint64_t liid_tag;
	struct mdf_dest *dest;
};

struct mdf_task {
	uint8_t xid[16];
	char xid_str[UUID_STRLEN + 1];
	size_t nroutes;
	struct mdf_route routes[MAX_ROUTES];
	uint64_t x2, x3;
};

struct conninfo {
	uint64_t id;
	uint64_t poi;			/* SipHash of the certificate CN */
	int allowed;
	int ka_pending;			/* a keepalive waits for the next durable point */
	uint32_t ka_seq;		/* its sequence number (acks are cumulative) */
	struct mdf_fp_cache fpc;	/* fingerprint hash state of its current XID */
};

struct cin_cache {			/* Correlation ID -> CIN, direct-mapped */
	uint64_t corr;
	uint32_t cin;
	uint32_t valid;
};
#define CIN_CACHE	256

struct ctr_cache {			/* (LIID, CIN) -> counter, direct-mapped (mdf_core.c) */
	struct mdf_cin *e;
	uint64_t removals;		/* mdf_seqtab_removals() when stored: e still live */
};
#define CTR_CACHE	256

struct jpending {			/* a journal record not yet known durable */
	uint64_t recno, epoch;
};

struct mdf_core {
	const struct mdf_config *cfg;
	struct ev_loop *loop;
	struct tls_ctx *hi_tls;
	struct x1_store *store;
	struct mdf_state *state;
	struct mdf_core_log log;
	uint8_t key[MDF_HASH_KEY_LEN];
	struct hi2_pshdr hdr;		/* PSHeader constants for every stream */
	struct x2x3_receiver *rx;

	struct mdf_stream_env env;	/* shared with the streams */
	struct mdf_seqtab *seq;		/* one counter per LIID + CIN */
	struct spool *journal;
	uint64_t journal_last;		/* record number of the last commit */
	struct jpending jp[DURABLE_RING];
	size_t jp_head, jp_n;
	int journal_alarm;
	int acks_pending;
	uint64_t sync_timer;
	uint64_t last_evict;
	uint64_t now_ms;		/* loop clock at the last commit (counters' last use) */
	struct cin_cache cins[CIN_CACHE];
	struct ctr_cache ctrs[CTR_CACHE];

	struct mdf_dest **dests;
	size_t ndests, capdests;
	struct mdf_task **tasks;
	size_t ntasks, captasks;
	struct mdf_task **index;	/* open addressing by XID */
	size_t index_mask;

	struct conninfo *conns;
	size_t nconns, capconns;
	struct conninfo *last_conn;

	uint64_t ckpt_timer;
	uint64_t last_prune;
	int alarm_active;
	struct mdf_core_stats st;
};

/* Logs through the process's callbacks (alarm: counted in stats.alarms).  Never a target
 * identity or content in msg. */
void mdf_core_note(struct mdf_core *, int alarm, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* mdf_commit.c */
void mdf_core_each_stream(struct mdf_core *, void (*fn)(struct mdf_stream *));
int mdf_journal_open(struct mdf_core *, char *err, size_t errlen);
int mdf_journal_start(struct mdf_core *);
int mdf_core_durable_point(struct mdf_core *, int *journal_ok);
void mdf_core_poi_acks(struct mdf_core *);
void mdf_core_ckpt_cb(struct ev_loop *, void *arg);
void mdf_core_sync_cb(struct ev_loop *, void *arg);

#endif
