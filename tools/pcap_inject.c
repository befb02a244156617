/*
 * pcap_inject: replays a capture file onto a live interface (libpcap's pcap_inject), for the
 * POI's live-capture test on the loopback interface.  Paced so that the capturing side's kernel
 * buffer is not the thing under test.
 *
 *   pcap_inject FILE IFACE [--pps N]     (default 20000 packets/s)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pcap/pcap.h>

int
main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	long pps = 20000;
	if (argc != 3 && !(argc == 5 && strcmp(argv[3], "--pps") == 0)) {
		fprintf(stderr, "usage: pcap_inject FILE IFACE [--pps N]\n");
		return 2;
	}
	if (argc == 5 && (pps = strtol(argv[4], NULL, 10)) <= 0)
		pps = 20000;
	pcap_t *in = pcap_open_offline(argv[1], err);
	if (in == NULL) {
		fprintf(stderr, "pcap_inject: %s\n", err);
		return 1;
	}
	pcap_t *out = pcap_open_live(argv[2], 65535, 0, 100, err);
	if (out == NULL) {
		fprintf(stderr, "pcap_inject: %s\n", err);
		return 1;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	long n = 0, failed = 0;
	struct timespec gap = {0, 1000000000L / pps};
	while (pcap_next_ex(in, &h, &d) == 1) {
		if (pcap_inject(out, d, h->caplen) < 0)
			failed++;
		n++;
		nanosleep(&gap, NULL);
	}
	printf("pcap_inject: %ld frames, %ld failed\n", n, failed);
	pcap_close(in);
	pcap_close(out);
	return failed ? 1 : 0;
}
