/*
 * The POI's configuration file (YAML, see docs/poi.md and man/overt-poi.8).
 *
 * There is deliberately no key for targets or tasks: the only way to provision interception is
 * X1 (ETSI TS 103 221-1), so that every task is authorised by the ADMF and recorded.  The file
 * holds identities, listening addresses, certificate paths and local delivery policy only.
 * Thread safety: plain data.
 */
#ifndef OVERT_POI_CONFIG_H
#define OVERT_POI_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "pkt/pkt_frag.h"

#define POI_PATH_MAX	512
#define POI_ID_MAX	64
#define POI_MAX_ADMF	8
#define POI_MAX_DESTPOL	64

/* Local policy for one X2/X3 destination, matched on the address X1 provisioned. */
struct poi_destpol {
	char host[64];
	uint16_t port;
	int insecure_plaintext;	/* explicit opt-out of TLS, for lab captures only */
	int x3_ip;		/* 1: X3 payload = inner IP packet (format 5/6); 0: GTP-U (12) */
	char tls_name[POI_ID_MAX];	/* name the receiver's certificate carries ("" = host) */
};

struct poi_config {
	char ne_id[POI_ID_MAX];		/* X1 neIdentifier */
	char nfid[POI_ID_MAX];		/* X2/X3 NFID attribute (default: ne_id) */
	char ipid[POI_ID_MAX];		/* X2/X3 IPID attribute (default: "s11-s1u") */
	char operator_id[6];		/* 33.108 network-Identifier operator (1..5 chars) */

	char interface[64];		/* live capture ("" when only --pcap is used) */
	char filter[1024];		/* "" = POI_DEFAULT_FILTER */
	int snaplen;
	int bufsize;
	char user[64];			/* drop root to this user ("" = do not switch) */

	uint64_t sess_max;
	uint32_t sess_idle_s;

	/* Reassembly of fragmented outer IP datagrams (pkt_frag.h): reassembly.max_datagrams,
	 * max_fragments, memory (fragment storage, octets), timeout (seconds).  The largest
	 * datagram is always 65535 octets.  poi_core_new gives a zero field its default. */
	struct pkt_frag_config frag;

	char x1_host[64];
	uint16_t x1_port;
	char x1_cert[POI_PATH_MAX], x1_key[POI_PATH_MAX], x1_ca[POI_PATH_MAX];
	char x1_db[POI_PATH_MAX];
	size_t nadmf;
	char admf_ids[POI_MAX_ADMF][POI_ID_MAX];

	char tls_cert[POI_PATH_MAX], tls_key[POI_PATH_MAX], tls_ca[POI_PATH_MAX];
	uint16_t x2x3_version;
	uint64_t queue_records;
	uint64_t queue_bytes;
	uint32_t keepalive_s;
	size_t ndestpol;
	struct poi_destpol destpol[POI_MAX_DESTPOL];
};

/* Reads and validates a config file.  Returns 0, or -1 with a message (file and line). */
int poi_config_load(const char *path, struct poi_config *out, char *err, size_t errlen);
/* Same from memory (tests, fuzzing). */
int poi_config_parse(const char *buf, size_t len, struct poi_config *out, char *err,
    size_t errlen);
/* The policy for host:port, or NULL (then TLS and X3 as GTP-U). */
const struct poi_destpol *poi_config_destpol(const struct poi_config *, const char *host,
    uint16_t port);

#endif
