/*
 * Internal to src/mdf: the state of one delivery stream, shared by mdf_stream.c (spool, batch,
 * counters, recent-set, recovery, checkpoint, acknowledgement gating) and mdf_link.c (the
 * connection to the LEMF).  Not an API: include mdf/mdf_stream.h.
 */
#ifndef OVERT_MDF_MDF_STREAM_INT_H
#define OVERT_MDF_MDF_STREAM_INT_H

#include <stdio.h>

#include "mdf/mdf_dedup.h"
#include "mdf/mdf_record.h"
#include "mdf/mdf_seq.h"
#include "mdf/mdf_stream.h"

enum link_state { L_IDLE, L_CONNECTING, L_HANDSHAKE, L_UP };

struct inflight {		/* a record written on this connection, not yet delivered */
	uint64_t recno;
	uint64_t plain_end;	/* plain_written when its last octet was accepted */
	uint64_t bytes;
};

struct ka_wait {		/* a keep-alive awaiting its response */
	uint32_t seq;
	uint64_t covers;	/* every record up to this one was written before it */
	uint64_t sent_ms;
};

struct retain {			/* a record kept for the recent-set after a restart */
	uint64_t recno;
	uint32_t nfp;
};

struct void_range {
	uint64_t first, last;
};

/* Records appended while the link is up stay in memory for it (their batch buffer changes
 * hands instead of being reused), so the link sends them without reading them back from the
 * spool (docs/mdf.md "Delivery to the LEMF").  At most MDF_MEMQ, each of the batch's capacity,
 * allocated on first use; beyond that the link reads from the spool as before. */
#define MDF_MEMQ	8

struct memrec {
	uint8_t *buf;		/* the sealed record (batch capacity octets) */
	uint64_t recno, epoch;
	size_t len;		/* record length, as appended */
	struct ovt_cursor pdus;	/* its PS-PDUs */
};

struct mdf_stream {
	struct ev_loop *loop;
	struct mdf_stream_env *env;
	char id[MDF_STREAM_ID_MAX];
	enum mdf_kind kind;
	char *spool_dir;
	struct spool_cfg spool_cfg;
	struct spool *sp;
	uint64_t reopen_at;		/* broken spool: next reopen attempt (loop ms) */
	size_t max_pdu;

	/* PSHeader constants of the keep-alives (pointers into the caller's config). */
	struct hi2_pshdr hdr;

	struct mdf_batch batch;
	struct mdf_dedup dedup;

	struct void_range *voids;	/* uncommitted records found at open: never sent */
	size_t nvoids;

	/* Record numbers (docs/mdf.md "Acknowledgement"). */
	uint64_t appended;		/* last record written */
	uint64_t delivered;		/* last record the LEMF holds */
	uint64_t acked;			/* last record acknowledged to the spool */
	uint64_t ckpt;			/* counters of records <= ckpt are in the database */
	uint64_t ckpt_pending;		/* appended when the running checkpoint was written */
	uint64_t retain_from;		/* records > retain_from hold the last window fps */

	struct retain *ret;		/* ring of records in the retention window */
	size_t ret_cap, ret_head, ret_n;
	uint64_t ret_fps;		/* fingerprints in the ring */
	size_t window;

	/* ---- link (mdf_link.c) ---- */
	char addr[64];
	uint16_t port;
	int plaintext;
	struct tls_ctx *tls;
	char tls_name[MDF_ID_MAX];
	enum mdf_ack_mode ack;
	uint32_t ka_ms, ka_timeout_ms, ack_interval_ms, connect_timeout_ms;
	uint32_t backoff_min_ms, backoff_max_ms, backoff_ms;
	enum link_state ls;
	int fd;
	struct tls_conn *conn;
	int want_write;
	uint64_t since;			/* start of the connect attempt / connection */
	uint64_t next_attempt;
	uint64_t timer;
	int confirmed;			/* the LEMF answered a keep-alive on this connection */

	struct memrec memq[MDF_MEMQ];	/* ring of appended records, oldest at mq_head */
	size_t mq_head, mq_n;
	uint8_t *mq_free[MDF_MEMQ];	/* spare buffers, the most recently used on top */
	size_t mq_nfree, mq_bufs;	/* spare; allocated in all (queued + spare) */

	uint8_t *rbuf;			/* SPOOL_RECORD_MAX: the record being sent */
	int have_rec;
	int rec_mem;			/* it is memq[mq_head], not rbuf */
	uint64_t rec_no;
	uint64_t rec_epoch;
	struct ovt_cursor rec;		/* PS-PDU octets still to write */
	struct ovt_cursor rec_all;	/* the record's PS-PDUs (the tap) */
	uint64_t rec_start;		/* plain_written when it was loaded */
	uint64_t max_sent;		/* highest record ever sent (resend statistics) */

	uint8_t ctl[2 * 256];		/* keep-alive / keep-aliveResponse octets to write */
	size_t ctl_len, ctl_off;

	uint64_t plain_written;		/* octets accepted by tls_conn_write on this connection */
	struct inflight *infl;		/* ring of MDF_LINK_WINDOW_RECORDS */
	size_t infl_head, infl_n;
	uint64_t infl_bytes;
	uint64_t last_sent;		/* last record completely written on this connection */

	struct ka_wait kaw[MDF_LINK_MAX_KA];
	size_t ka_head, ka_n;
	uint64_t ka_covered;		/* highest record a sent keep-alive covers */
	uint64_t last_ka_ms;
	struct hi2_stream ka_hs;	/* keep-alive header; hdr.seq is the next number */

	uint8_t ibuf[4096];		/* octets from the LEMF (TRI PDUs only) */
	size_t ilen;

	FILE *tap;			/* test mode (mdf_stream_config.tap_dir) */

	struct mdf_stream_stats st;
	void (*on_event)(void *, struct mdf_stream *, enum mdf_stream_event, const char *);
	void *arg;
};

/* mdf_stream.c */
void mdf_stream_event(struct mdf_stream *, enum mdf_stream_event, const char *detail);
/* The LEMF now holds every record up to recno. */
void mdf_stream_delivered(struct mdf_stream *, uint64_t recno);
/* 1 if recno is in a void range. */
int mdf_stream_is_void(const struct mdf_stream *, uint64_t recno);

/* Drops the oldest record held in memory / all of them (their buffers become spare). */
void mdf_memq_pop(struct mdf_stream *);
void mdf_memq_clear(struct mdf_stream *);

/* mdf_link.c */
int mdf_link_init(struct mdf_stream *, const struct mdf_stream_config *, char *err,
		  size_t errlen);
void mdf_link_cleanup(struct mdf_stream *);
/* Drops the connection (if any) and reconnects at once (new peer). */
void mdf_link_restart(struct mdf_stream *);
/* New records may be readable: send them if connected. */
void mdf_link_kick(struct mdf_stream *);

#endif
