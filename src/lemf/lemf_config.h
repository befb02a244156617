/*
 * `overt lemf` configuration file (YAML, man/overt-lemf.8, etc/lemf.yaml-style example in
 * docs/lemf.md).  Every key is checked against the known list, so a typo is an error.
 * There are no default credentials: TLS certificate, key, CA and the accepted MDF identities
 * are mandatory unless the file explicitly says insecure_plaintext: true (lab only).
 * Thread safety: plain data.
 */
#ifndef OVERT_LEMF_LEMF_CONFIG_H
#define OVERT_LEMF_LEMF_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define LEMF_PATH_MAX		512
#define LEMF_NAME_MAX		32
#define LEMF_MAX_LISTEN		8
#define LEMF_MAX_PEERS		16
#define LEMF_PEER_MAX		128	/* certificate CN length */

struct lemf_listen {
	char name[LEMF_NAME_MAX];	/* counters and logs are per listener ("hi2", "hi3") */
	char host[64];			/* IPv4/IPv6 literal */
	uint16_t port;			/* 0: the kernel picks (tests; see --ready-file) */
};

struct lemf_config {
	char dir[LEMF_PATH_MAX];	/* output_dir */
	size_t nlisten;
	struct lemf_listen listen[LEMF_MAX_LISTEN];
	int insecure_plaintext;
	char cert[LEMF_PATH_MAX], key[LEMF_PATH_MAX], ca[LEMF_PATH_MAX];
	size_t npeers;
	char peers[LEMF_MAX_PEERS][LEMF_PEER_MAX];	/* accepted client certificate CNs */
	int fsync;
	uint32_t commit_ms;		/* commit at least this often while data is pending */
	uint32_t commit_pdus;		/* ... or after this many PDUs */
	uint32_t max_rejected;
	uint64_t rotate_bytes;		/* storage.rotate_size: 0 = never */
	uint32_t rotate_secs;		/* storage.rotate_interval_s: 0 = never */
	uint32_t max_pdu;
	uint32_t max_conns;
	uint32_t max_liids, max_open, max_streams, max_ranges;
	uint32_t handshake_timeout_ms;
	uint32_t idle_timeout_ms;	/* 0 = none */
};

/* Reads and validates a file.  Returns 0, or -1 with a message (line numbers included). */
int lemf_config_load(const char *path, struct lemf_config *out, char *err, size_t errlen);
/* Same from memory (tests). */
int lemf_config_parse(const char *buf, size_t len, struct lemf_config *out, char *err,
		      size_t errlen);

#endif
