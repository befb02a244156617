/*
 * The planner of the EPC traffic generator: scenario knobs, the network (MMEs, S-GWs, P-GWs,
 * eNodeBs, a few unrelated hosts), the subscribers' identities and target marks, and one script
 * of steps per subscriber.  It then splits the --packets budget exactly between control
 * frames (fixed by the scripts), noise frames (a per-scenario share) and user-plane frames
 * (spread over the scripts' traffic steps), so that the simulation writes exactly --packets.
 * All choices come from the seeded generator: same seed, same plan.
 */
#include "epcgen/epcgen_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *const eg_apns[] = {"internet", "ims"};

/* Caps that keep scripts finite and EBIs within 5..15 (2 PDNs x 3 bearers <= 11). */
#define EG_MAX_HANDOVERS	8
#define EG_MAX_IDLES		8
#define EG_MAX_STEPS_PER_SUB	64
#define EG_HOSTS		6	/* 0 DNS resolver, 1-4 DNS clients, 5 junk sender */

void
eg_scen_init(struct eg_scen *sc, enum epcgen_scenario scen, uint32_t nsubs)
{
	memset(sc, 0, sizeof(*sc));
	switch (scen) {
	case EPCGEN_SC_DEMO:
		/* Every subscriber attaches, moves, idles, adds and drops a dedicated bearer,
		 * and detaches: whichever subscribers a test picks as targets, it sees every
		 * procedure. */
		sc->n_mme = 1, sc->n_sgw = 2, sc->n_pgw = 1, sc->n_enb = 8;
		sc->pm_v4v6 = 200, sc->pm_v6 = 100;
		sc->pm_pdn2 = 300, sc->pm_pdn2_del = 500;
		sc->pm_ded1 = 1000, sc->pm_ded2 = 0, sc->pm_ded_del = 1000, sc->pm_piggy = 200;
		sc->ho_min = 1, sc->ho_max = 2, sc->pm_ho = 300;
		sc->idle_min = 1, sc->idle_max = 1, sc->pm_idle = 0;
		sc->pm_em = 500, sc->pm_moved = 300, sc->pm_detach = 1000;
		sc->pm_imeisv = 200;
		sc->pm_gtpu_seq = 200, sc->pm_gtpu_ext = 150, sc->pm_gtpu_ext2 = 50;
		sc->noise_pm = 30;
		sc->pay_max = 1200, sc->pm_large = 100;
		sc->window_us = 10000000;
		sc->gap_min_us = 500000, sc->gap_max_us = 5000000;
		sc->iat_min_us = 5000, sc->iat_max_us = 50000;
		break;
	case EPCGEN_SC_MIXED:
		sc->n_mme = 2, sc->n_sgw = 2, sc->n_pgw = 2;
		sc->n_enb = nsubs / 20 > 16 ? nsubs / 20 : 16;
		sc->pm_v4v6 = 250, sc->pm_v6 = 150;
		sc->pm_pdn2 = 250, sc->pm_pdn2_del = 500;
		sc->pm_ded1 = 400, sc->pm_ded2 = 150, sc->pm_ded_del = 600, sc->pm_piggy = 150;
		sc->ho_min = 0, sc->ho_max = 3, sc->pm_ho = 500;
		sc->idle_min = 0, sc->idle_max = 3, sc->pm_idle = 450;
		sc->pm_em = 500, sc->pm_moved = 300, sc->pm_detach = 850;
		sc->pm_imeisv = 200;
		sc->pm_gtpu_seq = 200, sc->pm_gtpu_ext = 150, sc->pm_gtpu_ext2 = 50;
		sc->noise_pm = 20;
		sc->pay_max = 1400, sc->pm_large = 100;
		sc->window_us = (uint64_t)nsubs * 20000;
		if (sc->window_us < 10000000)
			sc->window_us = 10000000;
		sc->gap_min_us = 200000, sc->gap_max_us = 10000000;
		sc->iat_min_us = 1000, sc->iat_max_us = 100000;
		break;
	case EPCGEN_SC_BENCH:
	default:
		/* Lean scripts: ~6 control frames per subscriber leave ~4 G-PDUs each at
		 * 1M frames / 100k subscribers. */
		sc->n_mme = 4, sc->n_sgw = 4, sc->n_pgw = 4;
		sc->n_enb = nsubs / 100 > 64 ? nsubs / 100 : 64;
		if (sc->n_enb > 4096)
			sc->n_enb = 4096;
		sc->pm_v4v6 = 100, sc->pm_v6 = 50;
		sc->pm_pdn2 = 20, sc->pm_pdn2_del = 500;
		sc->pm_ded1 = 50, sc->pm_ded2 = 0, sc->pm_ded_del = 500, sc->pm_piggy = 100;
		sc->ho_min = 0, sc->ho_max = 1, sc->pm_ho = 150;
		sc->idle_min = 0, sc->idle_max = 1, sc->pm_idle = 100;
		sc->pm_em = 300, sc->pm_moved = 300, sc->pm_detach = 500;
		sc->pm_imeisv = 200;
		sc->pm_gtpu_seq = 50, sc->pm_gtpu_ext = 50, sc->pm_gtpu_ext2 = 10;
		sc->noise_pm = 10;
		sc->pay_max = 200, sc->pm_large = 10;
		sc->window_us = (uint64_t)nsubs * 1000;
		if (sc->window_us < 10000000)
			sc->window_us = 10000000;
		sc->gap_min_us = 100000, sc->gap_max_us = 5000000;
		sc->iat_min_us = 1000, sc->iat_max_us = 50000;
		break;
	}
}

/* A bijection on 32 bits (odd multiplications and xor-shifts are invertible), so distinct
 * counters give distinct TEIDs that still look random in a capture. */
uint32_t
eg_teid_mix(uint32_t c)
{
	uint32_t x = c * 0x9e3779b1u;
	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	return x;
}

/* ------------------------------------------------------------- identities ---- */

/* prefix + v as exactly width zero-padded digits (identities are formatted for every truth
 * line, a million times at bench scale: no snprintf here). */
static void
digits(char *out, const char *prefix, uint64_t v, int width)
{
	size_t n = strlen(prefix);

	memcpy(out, prefix, n);
	for (int i = width - 1; i >= 0; i--) {
		out[n + (size_t)i] = (char)('0' + v % 10);
		v /= 10;
	}
	out[n + (size_t)width] = '\0';
}

void
eg_sub_imsi(const struct eg_sub *u, char out[16])
{
	/* MCC 001, MNC 01 (test network) + 10-digit MSIN */
	digits(out, "00101", u->imsi, 10);
}

void
eg_sub_msisdn(const struct eg_sub *u, char out[16])
{
	digits(out, "4477", u->msisdn, 8);
}

void
eg_sub_imei(const struct eg_sub *u, char out[16])
{
	/* TAC 35693803 + 6-digit serial number (TS 23.003 6.2.1) */
	digits(out, "35693803", u->imei, 6);
}

/* Luhn check digit over the 14 IMEI digits (TS 23.003 annex B). */
static int
luhn(const char *d14)
{
	int sum = 0;

	for (int i = 0; i < 14; i++) {
		int v = d14[i] - '0';
		if (i % 2 == 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return (10 - sum % 10) % 10;
}

void
eg_sub_mei(const struct eg_sub *u, char out[17])
{
	char d14[16];

	eg_sub_imei(u, d14);
	if (u->imeisv)
		snprintf(out, 17, "%.14s%02u", d14, (unsigned)(u->svn % 100));
	else
		snprintf(out, 17, "%.14s%d", d14, luhn(d14) % 10);
}

/* ---------------------------------------------------------------- network ---- */

static void
node_addr(struct eg_node *n, int v6, int role, uint32_t i)
{
	if (!v6) {
		/* 10.<role>.x.y: MME 10.1, SGW 10.2, PGW 10.3, eNB 10.4, hosts 10.9 */
		static const uint8_t net[EG_NROLES] = {1, 2, 3, 4, 9};
		uint32_t host = role == EG_HOST ? (i == 0 ? 53 : i == 5 ? 66 : 9 + i) :
		    (i / 254) << 8 | (i % 254 + 1);
		epcgen_addr_v4(&n->addr, 10u << 24 | (uint32_t)net[role] << 16 | host);
	} else {
		/* fd00:0:0:<role+1>::<i+1> (unique local addresses) */
		uint8_t a[16] = {0xfd, 0x00};
		uint32_t host = role == EG_HOST && i == 0 ? 0x53 : i + 1;
		a[7] = (uint8_t)(role + 1);
		a[12] = (uint8_t)(host >> 24);
		a[13] = (uint8_t)(host >> 16);
		a[14] = (uint8_t)(host >> 8);
		a[15] = (uint8_t)host;
		epcgen_addr_v6(&n->addr, a);
	}
}

static enum epcgen_err
plan_network(struct eg_sim *s)
{
	uint32_t counts[EG_NROLES] = {s->sc.n_mme, s->sc.n_sgw, s->sc.n_pgw, s->sc.n_enb,
	    EG_HOSTS};
	uint32_t k = 0;

	s->nnodes = 0;
	for (int r = 0; r < EG_NROLES; r++)
		s->nnodes += counts[r];
	s->nodes = calloc(s->nnodes, sizeof(*s->nodes));
	if (s->nodes == NULL)
		return EPCGEN_E_NOMEM;
	for (int r = 0; r < EG_NROLES; r++) {
		s->first[r] = k;
		s->count[r] = counts[r];
		for (uint32_t i = 0; i < counts[r]; i++, k++) {
			struct eg_node *n = &s->nodes[k];
			n->role = (uint8_t)r;
			n->id = (uint16_t)i;
			node_addr(n, s->cfg->ipv6_transport, r, i);
			/* locally administered unicast MACs: 02:00:<role>:00:<id> */
			n->mac[0] = 0x02;
			n->mac[2] = (uint8_t)(r + 1);
			n->mac[4] = (uint8_t)(i >> 8);
			n->mac[5] = (uint8_t)i;
			n->seq = epcgen_rng_range(&s->rng, 1, 0xffff);
			n->ipid = (uint16_t)epcgen_rng_next(&s->rng);
			n->recovery = (uint8_t)epcgen_rng_range(&s->rng, 1, 200);
			if (r == EG_ENB) {
				n->tac = (uint16_t)(1 + i / 4);	/* four eNBs per TA */
				/* 28-bit ECI = 20-bit eNB ID | 8-bit cell ID (TS 36.413) */
				n->eci = (0x01000u + i) << 8 | 1;
			}
		}
	}
	return EPCGEN_OK;
}

/* ---------------------------------------------------------------- scripts ---- */

int
eg_step_legs(const struct eg_step *st, int s5, uint8_t legs[EG_MAX_LEGS])
{
	int n = 0;

	switch (st->kind) {
	case EG_ST_ATTACH:
	case EG_ST_PDN_ADD: {
		int p = st->kind == EG_ST_ATTACH ? 0 : 1;
		legs[n++] = EG_LEG(EG_L_CSREQ, p);
		if (s5) {
			legs[n++] = EG_LEG(EG_L_CSREQ5, p);
			legs[n++] = EG_LEG(EG_L_CSRESP5, p);
		}
		legs[n++] = EG_LEG(EG_L_CSRESP, p);
		legs[n++] = EG_LEG(EG_L_MBREQ, p);
		/* piggybacked Create Bearer Response reaches the PGW on its own */
		if (s5 && st->flag)
			legs[n++] = EG_LEG(EG_L_CBRESP5, p);
		legs[n++] = EG_LEG(EG_L_MBRESP, p);
		break;
	}
	case EG_ST_HANDOVER:
		legs[n++] = EG_L_MBREQ;
		legs[n++] = EG_L_MBRESP;
		if (st->flag)
			legs[n++] = EG_L_END_MARKER;
		break;
	case EG_ST_IDLE:
		legs[n++] = EG_L_RABREQ;
		legs[n++] = EG_L_RABRESP;
		break;
	case EG_ST_SERVICE_REQ:
		legs[n++] = EG_L_MBREQ;
		legs[n++] = EG_L_MBRESP;
		break;
	case EG_ST_DED_ADD:
		if (s5)
			legs[n++] = EG_LEG(EG_L_CBREQ5, st->pdn);
		legs[n++] = EG_LEG(EG_L_CBREQ, st->pdn);
		legs[n++] = EG_LEG(EG_L_CBRESP, st->pdn);
		if (s5)
			legs[n++] = EG_LEG(EG_L_CBRESP5, st->pdn);
		break;
	case EG_ST_DED_DEL:
		if (s5)
			legs[n++] = EG_LEG(EG_L_DBREQ5, st->pdn);
		legs[n++] = EG_LEG(EG_L_DBREQ, st->pdn);
		legs[n++] = EG_LEG(EG_L_DBRESP, st->pdn);
		if (s5)
			legs[n++] = EG_LEG(EG_L_DBRESP5, st->pdn);
		break;
	case EG_ST_PDN_DEL:
	case EG_ST_DETACH: {
		uint8_t mask = st->kind == EG_ST_PDN_DEL ? 2 : st->mask;
		/* additional PDN first, the default PDN (and the UE context) last */
		for (int p = EG_MAX_PDN - 1; p >= 0; p--) {
			if (!(mask & (1 << p)))
				continue;
			legs[n++] = EG_LEG(EG_L_DSREQ, p);
			if (s5) {
				legs[n++] = EG_LEG(EG_L_DSREQ5, p);
				legs[n++] = EG_LEG(EG_L_DSRESP5, p);
			}
			legs[n++] = EG_LEG(EG_L_DSRESP, p);
		}
		break;
	}
	case EG_ST_TRAFFIC:
	default:
		break;
	}
	return n;
}

uint64_t
eg_step_frames(const struct eg_step *st, int s5)
{
	uint8_t legs[EG_MAX_LEGS];

	if (st->kind == EG_ST_TRAFFIC)
		return (uint64_t)st->n * (s5 ? 2 : 1);
	return (uint64_t)eg_step_legs(st, s5, legs);
}

struct eg_steps {
	struct eg_step *v;
	uint64_t n, cap;
};

static int
push_step(struct eg_steps *a, uint8_t kind, uint8_t flag, uint8_t pdn, uint8_t mask)
{
	if (a->n == a->cap) {
		uint64_t ncap = a->cap ? a->cap * 2 : 1024;
		struct eg_step *nv = realloc(a->v, ncap * sizeof(*nv));
		if (nv == NULL)
			return -1;
		a->v = nv;
		a->cap = ncap;
	}
	a->v[a->n++] = (struct eg_step){kind, flag, pdn, mask, 0};
	return 0;
}

/* Draws how many of something: min, plus one more with probability pm each time, to max. */
static uint32_t
draw_count(struct epcgen_rng *r, uint32_t min, uint32_t max, uint32_t pm)
{
	uint32_t n = min;

	while (n < max && epcgen_rng_pm(r, pm))
		n++;
	return n;
}

/* One subscriber's script.  The planner walks the same state machine as the simulator
 * (connected/idle, PDNs open, dedicated bearers per PDN), so every step it writes is valid
 * when it runs. */
static int
plan_script(struct eg_sim *s, struct eg_steps *a)
{
	const struct eg_scen *sc = &s->sc;
	struct epcgen_rng *r = &s->rng;
	uint32_t ho = draw_count(r, sc->ho_min, sc->ho_max, sc->pm_ho);
	uint32_t idle = draw_count(r, sc->idle_min, sc->idle_max, sc->pm_idle);
	uint32_t ded = epcgen_rng_pm(r, sc->pm_ded2) ? 2 : epcgen_rng_pm(r, sc->pm_ded1) ? 1 : 0;
	uint32_t ded_del = 0;
	int pdn2 = epcgen_rng_pm(r, sc->pm_pdn2);
	int pdn2_del = pdn2 && epcgen_rng_pm(r, sc->pm_pdn2_del);
	int pdn1_open = 0, detach = epcgen_rng_pm(r, sc->pm_detach);
	int nded[EG_MAX_PDN] = {0, 0};
	int piggy = ded > 0 && epcgen_rng_pm(r, sc->pm_piggy);
	uint64_t start = a->n;

	if (ho > EG_MAX_HANDOVERS)
		ho = EG_MAX_HANDOVERS;
	if (idle > EG_MAX_IDLES)
		idle = EG_MAX_IDLES;
	for (uint32_t i = 0; i < ded; i++)
		ded_del += epcgen_rng_pm(r, sc->pm_ded_del);
	if (push_step(a, EG_ST_ATTACH, (uint8_t)piggy, 0, 0) ||
	    push_step(a, EG_ST_TRAFFIC, 0, 0, 0))
		return -1;
	if (piggy) {
		nded[0] = 1;
		ded--;
	}
	for (;;) {
		uint8_t cand[6];
		int nc = 0;

		if (ho)
			cand[nc++] = EG_ST_HANDOVER;
		if (idle)
			cand[nc++] = EG_ST_IDLE;
		if (ded && (nded[0] < EG_MAX_BEARERS_PER_PDN - 1 ||
		    (pdn1_open && nded[1] < EG_MAX_BEARERS_PER_PDN - 1)))
			cand[nc++] = EG_ST_DED_ADD;
		if (ded_del && (nded[0] || nded[1]))
			cand[nc++] = EG_ST_DED_DEL;
		if (pdn2 && !pdn1_open)
			cand[nc++] = EG_ST_PDN_ADD;
		if (pdn2_del && pdn1_open)
			cand[nc++] = EG_ST_PDN_DEL;
		if (nc == 0 || a->n - start > EG_MAX_STEPS_PER_SUB - 6)
			break;
		uint8_t k = cand[epcgen_rng_below(r, (uint32_t)nc)];
		uint8_t p = 0;
		int rc = 0;
		switch (k) {
		case EG_ST_HANDOVER:
			ho--;
			rc = push_step(a, k, (uint8_t)epcgen_rng_pm(r, sc->pm_em), 0, 0);
			break;
		case EG_ST_IDLE:
			idle--;
			rc = push_step(a, k, 0, 0, 0) || push_step(a, EG_ST_SERVICE_REQ,
			    (uint8_t)epcgen_rng_pm(r, sc->pm_moved), 0, 0);
			break;
		case EG_ST_DED_ADD:
			ded--;
			/* on the second PDN if it has room and a coin says so, or pdn 0 is full */
			p = pdn1_open && nded[1] < EG_MAX_BEARERS_PER_PDN - 1 &&
			    (nded[0] >= EG_MAX_BEARERS_PER_PDN - 1 ||
			    epcgen_rng_pm(r, 500)) ? 1 : 0;
			nded[p]++;
			rc = push_step(a, k, 0, p, 0);
			break;
		case EG_ST_DED_DEL:
			ded_del--;
			p = nded[1] && (!nded[0] || epcgen_rng_pm(r, 500)) ? 1 : 0;
			nded[p]--;
			rc = push_step(a, k, 0, p, 0);
			break;
		case EG_ST_PDN_ADD:
			pdn2 = 0;
			pdn1_open = 1;
			rc = push_step(a, k, 0, 1, 0);
			break;
		case EG_ST_PDN_DEL:
		default:
			pdn2_del = 0;
			pdn1_open = 0;
			nded[1] = 0;	/* its dedicated bearers go with it */
			rc = push_step(a, EG_ST_PDN_DEL, 0, 1, 0);
			break;
		}
		if (rc || push_step(a, EG_ST_TRAFFIC, 0, 0, 0))
			return -1;
	}
	if (detach)
		return push_step(a, EG_ST_DETACH, 0, 0, (uint8_t)(1 | (pdn1_open ? 2 : 0)));
	/* Still attached at the end of the capture; sometimes idle. */
	if (epcgen_rng_pm(r, 300))
		return push_step(a, EG_ST_IDLE, 0, 0, 0);
	return 0;
}

/* --------------------------------------------------------------- the plan ---- */

static enum epcgen_err
plan_subscribers(struct eg_sim *s)
{
	const struct epcgen_config *cfg = s->cfg;
	struct epcgen_rng *r = &s->rng;
	uint64_t imsi0 = epcgen_rng_next(r) % 10000000000ULL;
	uint64_t msisdn0 = epcgen_rng_below(r, 100000000);
	uint64_t imei0 = epcgen_rng_below(r, 1000000);
	uint32_t *idx;

	s->subs = calloc(s->nsubs, sizeof(*s->subs));
	if (s->subs == NULL)
		return EPCGEN_E_NOMEM;
	for (uint32_t i = 0; i < s->nsubs; i++) {
		struct eg_sub *u = &s->subs[i];
		/* Strides coprime with 10^k walk each digit space without repeating, so the
		 * identities are unique while looking scattered. */
		u->imsi = (imsi0 + (uint64_t)i * 7919) % 10000000000ULL;
		u->msisdn = (msisdn0 + (uint64_t)i * 7907) % 100000000ULL;
		u->imei = (imei0 + (uint64_t)i * 7901) % 1000000ULL;
		u->imeisv = (uint8_t)epcgen_rng_pm(r, s->sc.pm_imeisv);
		u->svn = (uint8_t)epcgen_rng_below(r, 100);
		u->mme = (uint8_t)epcgen_rng_below(r, s->sc.n_mme);
		u->sgw = (uint8_t)epcgen_rng_below(r, s->sc.n_sgw);
		u->enb = (uint16_t)epcgen_rng_below(r, s->sc.n_enb);
		u->state = EG_DETACHED;
	}
	/* Targets: a uniform sample of K subscribers (partial Fisher-Yates). */
	if (cfg->targets > 0) {
		idx = malloc((size_t)s->nsubs * sizeof(*idx));
		if (idx == NULL)
			return EPCGEN_E_NOMEM;
		for (uint32_t i = 0; i < s->nsubs; i++)
			idx[i] = i;
		for (uint32_t i = 0; i < cfg->targets; i++) {
			uint32_t j = i + epcgen_rng_below(r, s->nsubs - i);
			uint32_t t = idx[i];
			idx[i] = idx[j];
			idx[j] = t;
			s->subs[idx[i]].target = 1;
		}
		free(idx);
	}
	return EPCGEN_OK;
}

static enum epcgen_err
plan_scripts(struct eg_sim *s, uint64_t *control, uint64_t *ntraffic)
{
	struct eg_steps a = {NULL, 0, 0};

	*control = 0;
	*ntraffic = 0;
	for (uint32_t i = 0; i < s->nsubs; i++) {
		uint64_t first = a.n;
		if (plan_script(s, &a) != 0) {
			free(a.v);
			return EPCGEN_E_NOMEM;
		}
		s->subs[i].step_first = (uint32_t)first;
		s->subs[i].step_count = (uint16_t)(a.n - first);
	}
	for (uint64_t k = 0; k < a.n; k++) {
		if (a.v[k].kind == EG_ST_TRAFFIC)
			(*ntraffic)++;
		else
			*control += eg_step_frames(&a.v[k], s->cfg->s5);
		/* bearers the step creates, to size the pool exactly */
		if (a.v[k].kind == EG_ST_ATTACH)
			s->cap_bearers += 1 + a.v[k].flag;
		else if (a.v[k].kind == EG_ST_PDN_ADD || a.v[k].kind == EG_ST_DED_ADD)
			s->cap_bearers++;
	}
	s->steps = a.v;
	s->nsteps = a.n;
	return EPCGEN_OK;
}

/* Splits the frame budget; spreads user packets over the traffic steps with random weights
 * and hands out the rounding remainder one packet at a time, so the sum is exact. */
static enum epcgen_err
plan_budget(struct eg_sim *s, uint64_t control, uint64_t ntraffic)
{
	const struct epcgen_config *cfg = s->cfg;
	uint64_t m = cfg->packets, noise, user, pkts, wsum = 0, given = 0;
	int s5 = cfg->s5;

	noise = m * s->sc.noise_pm / 1000;
	if (m < control + noise) {
		/* m - control - floor(m * pm / 1000) never decreases as m grows: the first m
		 * where it is >= 0 is the minimum (with S5 an odd remainder goes to noise). */
		uint64_t need = control;
		while (need - control < need * s->sc.noise_pm / 1000)
			need++;
		if (s->tot != NULL)
			s->tot->min_packets = need;
		return EPCGEN_E_BUDGET;
	}
	user = m - control - noise;
	if (s5 && user % 2) {	/* a user packet is two frames with S5 */
		user--;
		noise++;
	}
	pkts = s5 ? user / 2 : user;
	s->noise.left = noise;
	s->planned = control + noise + (s5 ? pkts * 2 : pkts);

	if (ntraffic == 0)
		return pkts == 0 ? EPCGEN_OK : EPCGEN_E_INTERNAL;
	for (uint64_t k = 0; k < s->nsteps; k++) {
		if (s->steps[k].kind == EG_ST_TRAFFIC) {
			/* a weight for now, the packet count below */
			s->steps[k].n = 1 + epcgen_rng_below(&s->rng, 16);
			wsum += s->steps[k].n;
		}
	}
	for (uint64_t k = 0; k < s->nsteps; k++) {
		if (s->steps[k].kind == EG_ST_TRAFFIC) {
			uint64_t w = s->steps[k].n;
			/* pkts <= 1e8 and w <= 16: no overflow */
			s->steps[k].n = (uint32_t)(pkts * w / wsum);
			given += s->steps[k].n;
		}
	}
	while (given < pkts) {
		uint64_t k = epcgen_rng_next(&s->rng) % s->nsteps;
		if (s->steps[k].kind != EG_ST_TRAFFIC)
			continue;
		s->steps[k].n++;
		given++;
	}
	return EPCGEN_OK;
}

enum epcgen_err
eg_plan(struct eg_sim *s)
{
	enum epcgen_err e;
	uint64_t control, ntraffic;

	eg_scen_init(&s->sc, s->cfg->scenario, s->nsubs);
	if ((e = plan_network(s)) != EPCGEN_OK || (e = plan_subscribers(s)) != EPCGEN_OK ||
	    (e = plan_scripts(s, &control, &ntraffic)) != EPCGEN_OK ||
	    (e = plan_budget(s, control, ntraffic)) != EPCGEN_OK)
		return e;
	s->bearers = calloc(s->cap_bearers ? s->cap_bearers : 1, sizeof(*s->bearers));
	if (s->bearers == NULL)
		return EPCGEN_E_NOMEM;
	return EPCGEN_OK;
}
