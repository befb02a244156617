/*
 * Command line of the EPC traffic generator: `epcgen` (tools/epcgen) and `overt epcgen`.
 * Parses the options strictly (full strtoull checks, ranges), runs epcgen_run() and prints a
 * one-line summary.  Prints no subscriber identity: those are in the output files only.
 */
#include "epcgen/epcgen.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: epcgen --out FILE.pcap [--scenario demo|mixed|bench] [--subscribers N]\n"
	    "              [--packets M] [--targets K] [--seed S] [--ipv6-transport]\n"
	    "              [--vlan ID] [--s5] [--mtu N]\n"
	    "\n"
	    "Writes an Ethernet pcap of S11 GTPv2-C and S1-U GTP-U traffic (and S5/S8 with --s5),\n"
	    "exactly M frames, next to FILE.truth.jsonl (ground truth, docs/epcgen.md) and, when\n"
	    "K > 0, FILE.targets (\"IMSI MSISDN IMEI\" per line).  Same options, same bytes.\n"
	    "\n"
	    "  --scenario S       demo (default: 50 subscribers, 3000 frames, 5 targets),\n"
	    "                     mixed (200, 20000, 20), bench (100000, 1000000, 1000)\n"
	    "  --subscribers N    1..%u\n"
	    "  --packets M        frames to write, 1..%u\n"
	    "  --targets K        subscribers marked as targets, 0..N\n"
	    "  --seed S           seed of the pseudo-random choices (default 1)\n"
	    "  --ipv6-transport   network nodes use IPv6 (F-TEIDs carry IPv6 addresses)\n"
	    "  --vlan ID          802.1Q tag 1..4094 on every frame\n"
	    "  --s5               also write the S5/S8 legs between S-GW and P-GW\n"
	    "  --mtu N            %u..%u: fragment outer IP packets larger than N octets as a\n"
	    "                     router would (IPv4) or the sender (IPv6); frames (and M, and\n"
	    "                     the truth's frame numbers) then count IP datagrams\n",
	    EPCGEN_MAX_SUBSCRIBERS, EPCGEN_MAX_PACKETS, EPCGEN_MTU_MIN, EPCGEN_MTU_MAX);
}

/* Decimal (or 0x hex) unsigned number in [lo, hi]; -1 on anything else. */
static int
parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

enum {
	OPT_OUT = 256, OPT_SCEN, OPT_SUBS, OPT_PKTS, OPT_TGTS, OPT_SEED, OPT_V6, OPT_VLAN,
	OPT_S5, OPT_MTU, OPT_HELP
};

int
epcgen_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, OPT_OUT},
		{"scenario", required_argument, NULL, OPT_SCEN},
		{"subscribers", required_argument, NULL, OPT_SUBS},
		{"packets", required_argument, NULL, OPT_PKTS},
		{"targets", required_argument, NULL, OPT_TGTS},
		{"seed", required_argument, NULL, OPT_SEED},
		{"ipv6-transport", no_argument, NULL, OPT_V6},
		{"vlan", required_argument, NULL, OPT_VLAN},
		{"s5", no_argument, NULL, OPT_S5},
		{"mtu", required_argument, NULL, OPT_MTU},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	struct epcgen_config cfg;
	struct epcgen_totals tot;
	enum epcgen_scenario sc = EPCGEN_SC_DEMO;
	const char *out = NULL, *v_subs = NULL, *v_pkts = NULL, *v_tgts = NULL, *v_seed = NULL;
	const char *v_vlan = NULL, *v_mtu = NULL;
	int v6 = 0, s5 = 0, c;
	uint64_t v;
	enum epcgen_err e;

	log_init("epcgen", 0);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_OUT:
			out = optarg;
			break;
		case OPT_SCEN:
			if (epcgen_scenario_parse(optarg, &sc) != 0) {
				log_warnx("unknown scenario '%s'", optarg);
				return 2;
			}
			break;
		case OPT_SUBS:
			v_subs = optarg;
			break;
		case OPT_PKTS:
			v_pkts = optarg;
			break;
		case OPT_TGTS:
			v_tgts = optarg;
			break;
		case OPT_SEED:
			v_seed = optarg;
			break;
		case OPT_V6:
			v6 = 1;
			break;
		case OPT_VLAN:
			v_vlan = optarg;
			break;
		case OPT_S5:
			s5 = 1;
			break;
		case OPT_MTU:
			v_mtu = optarg;
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || out == NULL) {
		usage(stderr);
		return 2;
	}
	/* Scenario defaults first, then the explicit options over them. */
	epcgen_config_init(&cfg, sc);
	cfg.out_path = out;
	cfg.ipv6_transport = v6;
	cfg.s5 = s5;
	if (v_subs != NULL) {
		if (parse_u64(v_subs, 1, EPCGEN_MAX_SUBSCRIBERS, &v) != 0) {
			log_warnx("--subscribers: expected 1..%u", EPCGEN_MAX_SUBSCRIBERS);
			return 2;
		}
		cfg.subscribers = (uint32_t)v;
		if (cfg.targets > cfg.subscribers)
			cfg.targets = cfg.subscribers;
	}
	if (v_pkts != NULL) {
		if (parse_u64(v_pkts, 1, EPCGEN_MAX_PACKETS, &v) != 0) {
			log_warnx("--packets: expected 1..%u", EPCGEN_MAX_PACKETS);
			return 2;
		}
		cfg.packets = v;
	}
	if (v_tgts != NULL) {
		if (parse_u64(v_tgts, 0, cfg.subscribers, &v) != 0) {
			log_warnx("--targets: expected 0..%" PRIu32, cfg.subscribers);
			return 2;
		}
		cfg.targets = (uint32_t)v;
	}
	if (v_seed != NULL) {
		if (parse_u64(v_seed, 0, UINT64_MAX, &v) != 0) {
			log_warnx("--seed: expected an unsigned 64-bit number");
			return 2;
		}
		cfg.seed = v;
	}
	if (v_vlan != NULL) {
		if (parse_u64(v_vlan, 1, 4094, &v) != 0) {
			log_warnx("--vlan: expected 1..4094");
			return 2;
		}
		cfg.vlan = (uint16_t)v;
	}
	if (v_mtu != NULL) {
		if (parse_u64(v_mtu, EPCGEN_MTU_MIN, EPCGEN_MTU_MAX, &v) != 0) {
			log_warnx("--mtu: expected %u..%u", EPCGEN_MTU_MIN, EPCGEN_MTU_MAX);
			return 2;
		}
		cfg.mtu = (uint16_t)v;
	}

	e = epcgen_run(&cfg, &tot);
	if (e == EPCGEN_E_BUDGET) {
		log_warnx("%s: --packets %" PRIu64 " < %" PRIu64 " needed by %" PRIu32
		    " subscribers in scenario %s", epcgen_strerror(e), cfg.packets,
		    tot.min_packets, cfg.subscribers, epcgen_scenario_name(cfg.scenario));
		return 1;
	}
	if (e == EPCGEN_E_IO) {
		log_warn("%s: %s", epcgen_strerror(e), out);
		return 1;
	}
	if (e != EPCGEN_OK) {
		log_warnx("%s", epcgen_strerror(e));
		return 1;
	}
	printf("epcgen: %s: %" PRIu64 " frames (%" PRIu64 " GTPv2-C, %" PRIu64 " G-PDU, %"
	    PRIu64 " other), %" PRIu32 " subscribers, %" PRIu32 " targets, %" PRIu64
	    " procedures, %.1f s of traffic\n", out, tot.frames, tot.gtpv2_frames, tot.gpdu,
	    tot.frames - tot.gtpv2_frames - tot.gpdu, cfg.subscribers, cfg.targets,
	    tot.procedures, (double)tot.duration_us / 1e6);
	if (cfg.mtu)
		printf("epcgen: --mtu %u: %" PRIu64 " pcap records, %" PRIu64 " datagrams in %"
		    PRIu64 " fragments (%" PRIu64 " out of order)\n", (unsigned)cfg.mtu,
		    tot.pcap_records, tot.fragmented, tot.fragments, tot.reordered);
	return 0;
}
