/*
 * Packet capture for the POI: libpcap on a live interface (with a default BPF filter for the
 * GTP ports) or on a pcap/pcapng file, and the privilege drop that follows opening it.
 *
 * Live capture needs root (or CAP_NET_RAW); the POI opens the capture first and then drops to an
 * unprivileged user with poi_drop_privileges, so the code that parses hostile packets never runs
 * as root (STYLE.md §9).
 * Thread safety: none; one capture per POI thread.
 */
#ifndef OVERT_POI_CAPTURE_H
#define OVERT_POI_CAPTURE_H

#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>

/* GTPv2-C (TS 29.274 clause 4.2: port 2123) and GTP-U (TS 29.281 clause 4.4.2: port 2152), plus
 * the IP fragments the POI reassembles (pkt_frag.h), whose later pieces carry no UDP header
 * and would otherwise be filtered out: IPv4 with a non-zero offset (the first piece matches
 * the port), IPv6 whose fixed header is followed by a fragment header (every piece); the
 * same again behind an 802.1Q tag. */
#define POI_FILTER_GTP \
	"udp port 2123 or udp port 2152 or (ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)"
#define POI_DEFAULT_FILTER POI_FILTER_GTP " or (vlan and (" POI_FILTER_GTP "))"

struct poi_capture {
	pcap_t *pcap;
	int linktype;
	int live;
	int fd;			/* selectable fd for live captures, -1 for files */
	uint64_t packets;	/* delivered to the callback */
	uint64_t bytes;
};

/* Opens a capture file (pcap or pcapng).  Returns 0, or -1 with a message in err. */
int poi_capture_open_file(struct poi_capture *, const char *path, char *err, size_t errlen);
/* Opens a live interface in non-blocking, immediate mode with the given filter (NULL = the
 * default above), snaplen and kernel buffer size in bytes (0 = libpcap's default). */
int poi_capture_open_live(struct poi_capture *, const char *ifname, const char *filter,
    int snaplen, int bufsize, char *err, size_t errlen);
void poi_capture_close(struct poi_capture *);

typedef void (*poi_packet_cb)(void *arg, const struct pcap_pkthdr *h, const uint8_t *data);

/* Delivers up to max packets.  Returns the number delivered, 0 when a live capture has nothing
 * now, -2 at the end of a file, -1 on error (message in err). */
int poi_capture_dispatch(struct poi_capture *, int max, poi_packet_cb cb, void *arg,
    char *err, size_t errlen);

/* Kernel drop counters for live captures (0s for files). */
void poi_capture_kstats(struct poi_capture *, uint64_t *recv, uint64_t *drop);

/* Drops root for good: supplementary groups, gid, uid (saved ids too) and sets NO_NEW_PRIVS.
 * A no-op returning 0 when not running as root and user is NULL.  Returns -1 with a message in
 * err if the user is unknown or any step fails (the caller must then exit). */
int poi_drop_privileges(const char *user, char *err, size_t errlen);

#endif
