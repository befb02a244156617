/*
 * Entry points of the EPC traffic generator (see epcgen.h): configuration defaults and checks,
 * file names, and epcgen_run(), which plans, simulates and writes the targets file.
 */
#include "epcgen/epcgen_int.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const scen_names[] = {"demo", "mixed", "bench"};

void
epcgen_config_init(struct epcgen_config *cfg, enum epcgen_scenario sc)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->scenario = sc;
	cfg->seed = 1;
	switch (sc) {
	case EPCGEN_SC_DEMO:
		cfg->subscribers = 50, cfg->packets = 3000, cfg->targets = 5;
		break;
	case EPCGEN_SC_MIXED:
		cfg->subscribers = 200, cfg->packets = 20000, cfg->targets = 20;
		break;
	case EPCGEN_SC_BENCH:
	default:
		cfg->subscribers = 100000, cfg->packets = 1000000, cfg->targets = 1000;
		break;
	}
}

int
epcgen_scenario_parse(const char *s, enum epcgen_scenario *out)
{
	for (size_t i = 0; i < sizeof(scen_names) / sizeof(scen_names[0]); i++) {
		if (strcmp(s, scen_names[i]) == 0) {
			*out = (enum epcgen_scenario)i;
			return 0;
		}
	}
	return -1;
}

const char *
epcgen_scenario_name(enum epcgen_scenario sc)
{
	if ((unsigned)sc < sizeof(scen_names) / sizeof(scen_names[0]))
		return scen_names[sc];
	return "?";
}

static int
derived_path(const char *pcap, const char *suffix, char *out, unsigned long n)
{
	size_t len = strlen(pcap);
	int r;

	if (len >= 5 && strcmp(pcap + len - 5, ".pcap") == 0)
		len -= 5;
	if (len > INT_MAX)
		return -1;
	r = snprintf(out, n, "%.*s%s", (int)len, pcap, suffix);
	return r < 0 || (unsigned long)r >= n ? -1 : 0;
}

int
epcgen_truth_path(const char *pcap_path, char *out, unsigned long n)
{
	return derived_path(pcap_path, ".truth.jsonl", out, n);
}

int
epcgen_targets_path(const char *pcap_path, char *out, unsigned long n)
{
	return derived_path(pcap_path, ".targets", out, n);
}

const char *
epcgen_strerror(enum epcgen_err e)
{
	switch (e) {
	case EPCGEN_OK:
		return "ok";
	case EPCGEN_E_CONFIG:
		return "invalid configuration";
	case EPCGEN_E_BUDGET:
		return "packet budget too small for the subscribers' signalling";
	case EPCGEN_E_NOMEM:
		return "out of memory";
	case EPCGEN_E_IO:
		return "cannot write an output file";
	case EPCGEN_E_ENCODE:
		return "a frame did not encode (internal error)";
	case EPCGEN_E_INTERNAL:
		return "frames written differ from the plan (internal error)";
	}
	return "unknown error";
}

static enum epcgen_err
check_config(const struct epcgen_config *c)
{
	if (c->out_path == NULL || c->out_path[0] == '\0')
		return EPCGEN_E_CONFIG;
	if ((unsigned)c->scenario > EPCGEN_SC_BENCH)
		return EPCGEN_E_CONFIG;
	if (c->subscribers == 0 || c->subscribers > EPCGEN_MAX_SUBSCRIBERS)
		return EPCGEN_E_CONFIG;
	if (c->packets == 0 || c->packets > EPCGEN_MAX_PACKETS)
		return EPCGEN_E_CONFIG;
	if (c->targets > c->subscribers || c->vlan > 4094)
		return EPCGEN_E_CONFIG;
	if (c->mtu != 0 && (c->mtu < EPCGEN_MTU_MIN || c->mtu > EPCGEN_MTU_MAX))
		return EPCGEN_E_CONFIG;
	return EPCGEN_OK;
}

/* FILE.targets: one target per line, "IMSI MSISDN IMEI" (IMEI as X1 writes it: 14 digits),
 * in subscriber order. */
static enum epcgen_err
write_targets(const struct eg_sim *s, const char *path)
{
	FILE *f = fopen(path, "w");
	char imsi[16], msisdn[16], imei[16];
	int bad = 0;

	if (f == NULL)
		return EPCGEN_E_IO;
	for (uint32_t i = 0; i < s->nsubs; i++) {
		const struct eg_sub *u = &s->subs[i];
		if (!u->target)
			continue;
		eg_sub_imsi(u, imsi);
		eg_sub_msisdn(u, msisdn);
		eg_sub_imei(u, imei);
		if (fprintf(f, "%s %s %s\n", imsi, msisdn, imei) < 0)
			bad = 1;
	}
	if (fclose(f) != 0)
		bad = 1;
	return bad ? EPCGEN_E_IO : EPCGEN_OK;
}

static void
sim_free(struct eg_sim *s)
{
	free(s->nodes);
	free(s->subs);
	free(s->steps);
	free(s->bearers);
	free(s->heap);
	free(s);
}

enum epcgen_err
epcgen_run(const struct epcgen_config *cfg, struct epcgen_totals *out)
{
	char truth[PATH_MAX], targets[PATH_MAX];
	struct epcgen_totals local;
	struct eg_sim *s;
	enum epcgen_err e;
	int opened = 0, saved;

	if (out == NULL)
		out = &local;
	memset(out, 0, sizeof(*out));
	if ((e = check_config(cfg)) != EPCGEN_OK)
		return e;
	if (epcgen_truth_path(cfg->out_path, truth, sizeof(truth)) != 0 ||
	    epcgen_targets_path(cfg->out_path, targets, sizeof(targets)) != 0)
		return EPCGEN_E_CONFIG;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return EPCGEN_E_NOMEM;
	s->cfg = cfg;
	s->tot = out;
	s->nsubs = cfg->subscribers;
	epcgen_rng_seed(&s->rng, cfg->seed);
	/* A stream of its own, so that --mtu leaves every other choice (and the truth) alone. */
	epcgen_rng_seed(&s->frag_rng, cfg->seed ^ 0x6d74752d66726167ULL);

	if ((e = eg_plan(s)) != EPCGEN_OK)
		goto done;
	if ((e = eg_out_open(&s->out, cfg->out_path, truth)) != EPCGEN_OK)
		goto done;
	opened = 1;
	e = eg_simulate(s);
	if (e == EPCGEN_OK) {
		opened = 0;
		e = eg_out_close(&s->out);
	}
	if (e == EPCGEN_OK) {
		if (cfg->targets > 0)
			e = write_targets(s, targets);
		else if (unlink(targets) != 0 && errno != ENOENT)
			e = EPCGEN_E_IO;
	}
done:
	saved = errno;
	if (opened)
		eg_out_discard(&s->out);
	if (e != EPCGEN_OK && e != EPCGEN_E_BUDGET && e != EPCGEN_E_CONFIG) {
		unlink(cfg->out_path);
		unlink(truth);
		unlink(targets);
	}
	sim_free(s);
	errno = saved;
	return e;
}
