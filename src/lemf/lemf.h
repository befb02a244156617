/*
 * The LEMF (law enforcement monitoring facility) side of HI2/HI3: `overt lemf` receives
 * ETSI TS 102 232-1 PS-PDUs (EPS IRI and CC of 3GPP TS 33.108) from one or more MDFs over
 * mutual TLS, decodes them strictly, drops duplicates by (LIID, CIN, sequence number), reports
 * gaps, and writes per LIID a pcap of the intercepted packets and JSON lines of the IRI events.
 * docs/lemf.md is the design (crash guarantees, the keep-alive acknowledgement contract) and
 * man/overt-lemf.8 the reference.
 *
 * The module in pieces, one concern per file:
 *   lemf_seq.[ch]     received sequence numbers of one (LIID, CIN) stream: duplicates, gaps
 *   lemf_rec.[ch]     record encoders: pcap file header and records, IRI JSON lines
 *   lemf_rx.[ch]      per-connection stream handler: PDU boundaries, decoding, counters
 *   lemf_store.[ch]   output directory: files per LIID, SQLite state, commit, crash recovery
 *   lemf_state.c      reading a directory's committed state: the report and --verify
 *   lemf_config.[ch]  the YAML configuration
 *   lemf_server.[ch]  TLS listeners and connections on the event loop, keep-alive responses
 *   lemf_main.c       `overt lemf` (run) and `overt lemf report`
 * This header holds what they share: the error enum.
 * Thread safety: none of the module's objects is shared between threads.
 */
#ifndef OVERT_LEMF_LEMF_H
#define OVERT_LEMF_LEMF_H

enum lemf_err {
	LEMF_OK = 0,
	LEMF_E_NOMEM,		/* allocation failed */
	LEMF_E_IO,		/* a file system call failed (errno kept where it helps) */
	LEMF_E_DB,		/* SQLite failed */
	LEMF_E_LOCKED,		/* another LEMF process uses the output directory */
	LEMF_E_STATE,		/* the state and the output files disagree: refuse to guess */
	LEMF_E_FORMAT,		/* an output file does not have the format we write */
	LEMF_E_LIMIT,		/* a configured limit (LIIDs, streams, ranges) was reached */
	LEMF_E_TOO_BIG,		/* a record larger than the encoder allows */
	LEMF_E_CONFIG,		/* invalid configuration */
	LEMF_E_COUNT
};

/* Static description of e.  Never NULL. */
const char *lemf_strerror(enum lemf_err e);

/* `overt lemf ...` (src/lemf/lemf_main.c); argv[0] is "lemf".  Returns the exit status. */
int lemf_main(int argc, char **argv);

#endif
