/*
 * The MDF's configuration file (YAML; etc/mdf.yaml, docs/mdf.md, man/overt-mdf.8).
 *
 * Like the POI's, it holds identities, addresses, certificate paths and local policy only:
 * tasks, LIIDs and agency addresses come from the ADMF over X1, never from this file.  The
 * per-address `hi.destinations` entries are local policy for addresses X1 provisions (TLS name,
 * the explicit plaintext opt-out for lab LEMFs, the acknowledgement mode).  Every key is
 * checked against the list of known keys, so a misspelt key is an error.
 * Thread safety: plain data.
 */
#ifndef OVERT_MDF_MDF_CONFIG_H
#define OVERT_MDF_MDF_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "spool/spool.h"

#define MDF_PATH_MAX	512
#define MDF_ID_MAX	64
#define MDF_MAX_ADMF	8
#define MDF_MAX_POIS	64
#define MDF_MAX_DESTPOL	64

enum mdf_ack_mode {
	MDF_ACK_KEEPALIVE = 0,	/* TRI keep-aliveResponse acknowledges what was sent before */
	MDF_ACK_TCP,		/* the peer's TCP acknowledgement (SIOCOUTQ), for LEMFs that
				 * never answer keep-alives: weaker, see docs/mdf.md */
};

/* Local policy for one HI2/HI3 address, matched on the address X1 provisioned. */
struct mdf_destpol {
	char host[64];
	uint16_t port;
	int insecure_plaintext;		/* explicit opt-out of TLS, lab LEMFs only */
	char tls_name[MDF_ID_MAX];	/* name the LEMF certificate carries ("" = host) */
	enum mdf_ack_mode ack;
};

struct mdf_config {
	char ne_id[MDF_ID_MAX];		/* X1 neIdentifier */
	char user[64];			/* drop root to this user ("" = do not switch) */
	char state_dir[MDF_PATH_MAX];	/* mdf-state.db */

	/* PSHeader (TS 102 232-1) */
	char operator_id[17];		/* networkIdentifier.operatorIdentifier, 1..16 */
	char network_element_id[17];	/* networkElementIdentifier, 0..16 ("" = absent) */
	char auth_cc[3];		/* authorizationCountryCode ("" = absent) */
	char delivery_cc[3];		/* deliveryCountryCode ("" = absent) */
	uint8_t ice_type;		/* ULIC ice-type (MDF_ICE_*) */

	/* X1 */
	char x1_host[64];
	uint16_t x1_port;
	char x1_cert[MDF_PATH_MAX], x1_key[MDF_PATH_MAX], x1_ca[MDF_PATH_MAX];
	char x1_db[MDF_PATH_MAX];
	size_t nadmf;
	char admf_ids[MDF_MAX_ADMF][MDF_ID_MAX];

	/* X2/X3 ingest */
	char x2x3_host[64];
	uint16_t x2x3_port;
	char x2x3_cert[MDF_PATH_MAX], x2x3_key[MDF_PATH_MAX], x2x3_ca[MDF_PATH_MAX];
	int x2x3_plaintext;
	size_t npois;
	char pois[MDF_MAX_POIS][MDF_ID_MAX];	/* accepted POI certificate CNs */
	uint64_t max_pdu;
	uint64_t max_conns;
	uint32_t idle_timeout_s;
	uint64_t dedup_window;

	/* HI2/HI3 delivery */
	char hi_cert[MDF_PATH_MAX], hi_key[MDF_PATH_MAX], hi_ca[MDF_PATH_MAX];
	uint32_t keepalive_ms;		/* TRI keep-alive on an idle connection */
	uint32_t keepalive_timeout_ms;	/* no keep-aliveResponse in time: reconnect */
	uint32_t ack_interval_ms;	/* keep-alive after data at most this often */
	uint32_t connect_timeout_ms;
	uint32_t backoff_min_ms, backoff_max_ms;
	char keepalive_liid[26];	/* LIID of TRI keep-alives (no task's) */
	size_t ndestpol;
	struct mdf_destpol destpol[MDF_MAX_DESTPOL];

	/* Spool (per stream) */
	char spool_dir[MDF_PATH_MAX];
	struct spool_cfg spool;

	/* Sequence state */
	uint32_t checkpoint_ms;
	uint64_t max_cins;		/* counters in memory per stream */
	uint32_t cin_idle_s;		/* idle counters leave memory after this */
	uint32_t retention_days;	/* counters unused this long are deleted */

	/* Not from the file: `overt mdf --tap-dir` (test mode, see mdf_stream_config.tap_dir). */
	const char *tap_dir;
};

/* Reads and validates a config file.  Returns 0, or -1 with a message (file and line). */
int mdf_config_load(const char *path, struct mdf_config *out, char *err, size_t errlen);
/* Same from memory (tests). */
int mdf_config_parse(const char *buf, size_t len, struct mdf_config *out, char *err,
		     size_t errlen);
/* The policy for host:port, or NULL (then mutual TLS, keep-alive acknowledgements). */
const struct mdf_destpol *mdf_config_destpol(const struct mdf_config *, const char *host,
					     uint16_t port);

#endif
