/*
 * The MDF core's status document (one JSON line, the status file) and its end-of-run summary.
 */
#include "mdf/mdf_core_int.h"

#include <inttypes.h>
#include <stdio.h>

static void
json_drops(FILE *f, const char *name, const uint64_t *d)
{
	int first = 1;
	fprintf(f, "\"%s\":{", name);
	for (int i = 1; i < MDF_DROP_COUNT; i++) {
		if (d[i] == 0)
			continue;
		fprintf(f, "%s\"%s\":%" PRIu64, first ? "" : ",", mdf_drop_name((enum mdf_drop)i),
		    d[i]);
		first = 0;
	}
	fprintf(f, "}");
}

void
mdf_core_status_json(const struct mdf_core *c, FILE *f)
{
	const struct mdf_core_stats *s = &c->st;
	int first = 1;

	fprintf(f, "{\"x2\":%" PRIu64 ",\"x3\":%" PRIu64 ",\"poi_keepalives\":%" PRIu64
	    ",\"poi_acks\":%" PRIu64 ",\"rounds\":%" PRIu64 ",\"committed\":%" PRIu64
	    ",\"journal_errors\":%" PRIu64 ",\"cins\":%zu"
	    ",\"mediated\":%" PRIu64 ",\"copies\":%" PRIu64 ",\"duplicates\":%" PRIu64
	    ",\"iri_unknown\":%" PRIu64 ",\"flush_errors\":%" PRIu64 ",\"checkpoints\":%" PRIu64
	    ",\"checkpoint_errors\":%" PRIu64 ",\"alarms\":%" PRIu64 ",\"tasks\":%zu"
	    ",\"poi_conns_refused\":%" PRIu64 ",\"pending\":%" PRIu64 ",",
	    s->pdus[1], s->pdus[2], s->poi_keepalives, s->poi_acks, s->rounds, c->env.committed,
	    s->journal_errors, mdf_seqtab_count(c->seq), s->mediated, s->copies, s->duplicates,
	    s->iri_unknown, s->flush_errors, s->checkpoints, s->checkpoint_errors, s->alarms,
	    c->ntasks, s->poi_conns_refused, mdf_core_pending(c));
	json_drops(f, "drops", s->drops);
	fprintf(f, ",");
	json_drops(f, "route_drops", s->route_drops);
	if (c->rx != NULL) {
		struct x2x3_receiver_stats rs;
		int one = 1;
		x2x3_receiver_stats(c->rx, &rs);
		fprintf(f, ",\"x2x3\":{\"accepted\":%" PRIu64 ",\"active\":%" PRIu64
		    ",\"acks_sent\":%" PRIu64 ",\"closed_eof\":%" PRIu64 ",\"dropped\":{",
		    rs.accepted, rs.active, rs.acks_sent, rs.closed_eof);
		for (int i = 0; i < X2X3_E_COUNT; i++) {
			if (rs.dropped[i] == 0)
				continue;
			fprintf(f, "%s\"%s\":%" PRIu64, one ? "" : ",",
			    x2x3_errname((enum x2x3_err)i), rs.dropped[i]);
			one = 0;
		}
		fprintf(f, "}}");
	}
	fprintf(f, ",\"streams\":[");
	for (size_t i = 0; i < c->ndests; i++) {
		for (int k = 0; k < 2; k++) {
			struct mdf_stream *st = c->dests[i]->stream[k];
			struct mdf_stream_stats ss;
			if (st == NULL)
				continue;
			mdf_stream_stats(st, &ss);
			fprintf(f, "%s{\"id\":\"%s\",\"up\":%d,\"pdus\":%" PRIu64 ",\"duplicates\":%"
			    PRIu64 ",\"appended\":%" PRIu64 ",\"delivered\":%" PRIu64 ",\"acked\":%"
			    PRIu64 ",\"ckpt\":%" PRIu64 ",\"pending\":%" PRIu64 ",\"sent_records\":%"
			    PRIu64 ",\"resent_records\":%" PRIu64 ",\"sent_bytes\":%" PRIu64
			    ",\"connects\":%" PRIu64 ",\"connect_failures\":%" PRIu64
			    ",\"disconnects\":%" PRIu64 ",\"ka_sent\":%" PRIu64 ",\"ka_acked\":%"
			    PRIu64 ",\"ka_timeouts\":%" PRIu64 ",\"ka_unmatched\":%" PRIu64
			    ",\"full_events\":%" PRIu64 ",\"retention_released\":%" PRIu64
			    ",\"full_alarm\":%d,\"broken\":%d"
			    ",\"lost_records\":%" PRIu64 ",\"bad_records\":%" PRIu64
			    ",\"recovered_records\":%" PRIu64 ",\"void_records\":%" PRIu64 ",\"dedup\":%"
			    PRIu64 ",\"spool_bytes\":%" PRIu64 ",\"rx_bad\":%" PRIu64 ",",
			    first ? "" : ",", mdf_stream_id(st), ss.up, ss.pdus, ss.duplicates,
			    ss.appended, ss.delivered, ss.acked, ss.ckpt, mdf_stream_pending(st),
			    ss.sent_records, ss.resent_records, ss.sent_bytes, ss.connects,
			    ss.connect_failures, ss.disconnects, ss.ka_sent, ss.ka_acked,
			    ss.ka_timeouts, ss.ka_unmatched, ss.full_events, ss.retention_released,
			    ss.full_alarm,
			    ss.broken, ss.lost_records, ss.bad_records, ss.recovered_records,
			    ss.void_records, ss.dedup_size, ss.spool_bytes, ss.rx_bad);
			json_drops(f, "drops", ss.drops);
			fprintf(f, "}");
			first = 0;
		}
	}
	fprintf(f, "]}\n");
}

void
mdf_core_summary(const struct mdf_core *c, FILE *f)
{
	const struct mdf_core_stats *s = &c->st;

	fprintf(f, "X2 PDUs received       %" PRIu64 "\n", s->pdus[1]);
	fprintf(f, "X3 PDUs received       %" PRIu64 "\n", s->pdus[2]);
	fprintf(f, "POI keepalives         %" PRIu64 " (%" PRIu64 " acknowledged after a durable "
	    "flush)\n", s->poi_keepalives, s->poi_acks);
	fprintf(f, "commit rounds          %" PRIu64 " (journal errors %" PRIu64 ")\n", s->rounds,
	    s->journal_errors);
	fprintf(f, "mediated               %" PRIu64 " (PS-PDUs %" PRIu64 ", duplicates %" PRIu64
	    ")\n", s->mediated, s->copies, s->duplicates);
	for (int i = 1; i < MDF_DROP_COUNT; i++) {
		if (s->drops[i])
			fprintf(f, "not mediated           %s: %" PRIu64 "\n",
			    mdf_drop_strerror((enum mdf_drop)i), s->drops[i]);
		if (s->route_drops[i])
			fprintf(f, "copy not made          %s: %" PRIu64 "\n",
			    mdf_drop_strerror((enum mdf_drop)i), s->route_drops[i]);
	}
	fprintf(f, "tasks                  %zu\n", c->ntasks);
	fprintf(f, "alarms                 %" PRIu64 "\n", s->alarms);
	for (size_t i = 0; i < c->ndests; i++) {
		for (int k = 0; k < 2; k++) {
			struct mdf_stream *st = c->dests[i]->stream[k];
			struct mdf_stream_stats ss;
			if (st == NULL)
				continue;
			mdf_stream_stats(st, &ss);
			fprintf(f, "stream %s %s:%u  PDUs %" PRIu64 "  records %" PRIu64
			    "  delivered %" PRIu64 "  pending %" PRIu64 "  resent %" PRIu64
			    "  reconnects %" PRIu64 "  spool-full %" PRIu64 "\n", mdf_stream_id(st),
			    c->dests[i]->host, c->dests[i]->port, ss.pdus, ss.appended, ss.delivered,
			    mdf_stream_pending(st), ss.resent_records,
			    ss.connects > 0 ? ss.connects - 1 : 0, ss.full_events);
		}
	}
}
