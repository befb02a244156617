/*
 * LEMF output store: records written and read back (pcap walked, JSON lines counted), duplicates
 * dropped across restarts (in-order and out-of-order sets), a crash (SIGKILL) after a commit
 * with uncommitted records already in the files (recovery cuts them; the resend writes each
 * record exactly once), torn tails cut, damage below the commit point refused (missing bytes,
 * wrong header, a last record that does not end at the committed size, a file deleted), files no
 * state claims renamed aside, the directory lock, every limit (LIIDs, streams, ranges, open
 * files), LIID directory names, refused PDUs kept, and the report's view of gaps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/bytes.h"
#include "hi2/hi2.h"
#include "lemf/lemf_rec.h"
#include "lemf/lemf_store.h"

/* ================================================================ helpers */

struct tdir {
	char path[256];
};

static void
tdir_make(struct tdir *t)
{
	const char *base = getenv("TMPDIR");
	snprintf(t->path, sizeof(t->path), "%s/lemf-stest.XXXXXX", base ? base : "/tmp");
	assert_non_null(mkdtemp(t->path));
}

static void
rm_rf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char p[1024];

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		rm_rf(p);
	}
	closedir(d);
	rmdir(path);
}

static struct lemf_store_config
scfg(const struct tdir *t)
{
	struct lemf_store_config c = {
		.dir = t->path, .fsync = 0, .max_liids = 100, .max_open = 16,
		.max_streams = 1000, .max_ranges = 10000, .max_rejected = 10,
	};
	return c;
}

static struct lemf_store *
open_ok(const struct lemf_store_config *c)
{
	enum lemf_err e;
	char msg[LEMF_MSG_MAX];
	struct lemf_store *s = lemf_store_open(c, &e, msg, sizeof(msg));
	if (s == NULL)
		fail_msg("open: %s: %s", lemf_strerror(e), msg);
	return s;
}

static enum lemf_err
open_fails(const struct lemf_store_config *c, char *msg, size_t msglen)
{
	enum lemf_err e;
	struct lemf_store *s = lemf_store_open(c, &e, msg, msglen);
	assert_null(s);
	assert_true(msg[0] != '\0');
	return e;
}

static uint8_t pdubuf[4096];
static uint8_t pkt[48];

/* The direction put_cc gives the packet of seq (its low byte, as the pcap keeps it). */
static enum lemf_dir
dir_of(uint8_t low)
{
	static const enum lemf_dir d[3] = {LEMF_DIR_FROM_TARGET, LEMF_DIR_TO_TARGET,
					   LEMF_DIR_UNKNOWN};
	return d[low % 3];
}

/* A decoded CC PDU (LIID, CIN, seq); its packet's last octet is the low byte of seq, its
 * direction dir_of() that byte (fromTarget, toTarget, indeterminate in turn). */
static enum lemf_put
put_cc(struct lemf_store *s, const char *liid, uint32_t cin, uint32_t seq)
{
	static const uint8_t corr[8] = {9, 9, 9, 9, 9, 9, 9, 9};
	struct hi2_pshdr h;
	struct hi2_cc cc;
	struct ovt_builder b;
	struct hi2_diag d;
	struct hi2_pdu p;

	memset(&h, 0, sizeof(h));
	h.liid.p = (const uint8_t *)liid;
	h.liid.len = strlen(liid);
	h.operator_id.p = (const uint8_t *)"ovt";
	h.operator_id.len = 3;
	h.cin = cin;
	h.seq = seq;
	h.ts_sec = 1736936430 + seq;
	h.ts_usec = seq % 1000000;
	memset(&cc, 0, sizeof(cc));
	pkt[0] = 0x45;
	pkt[sizeof(pkt) - 1] = (uint8_t)seq;
	cc.corr.p = corr;
	cc.corr.len = sizeof(corr);
	cc.dir = (uint8_t)((seq & 0xff) % 3);		/* 0 from, 1 to, 2 indeterminate */
	cc.tpdu_dir = (uint8_t)(cc.dir + 1);	/* 1 from, 2 to, 3 unknown */
	cc.pkt.p = pkt;
	cc.pkt.len = sizeof(pkt);
	bld_init_fixed(&b, pdubuf, sizeof(pdubuf));
	assert_int_equal(hi2_encode_cc(&b, &h, &cc, &d), HI2_OK);
	assert_int_equal(hi2_decode(pdubuf, bld_len(&b), &p, &d), HI2_OK);
	return lemf_store_put(s, &p, 1736936500, 0);
}

static enum lemf_put
put_iri(struct lemf_store *s, const char *liid, uint32_t cin, uint32_t seq)
{
	struct hi2_pshdr h;
	struct hi2_eps_iri iri;
	struct ovt_builder b;
	struct hi2_diag d;
	struct hi2_pdu p;

	memset(&h, 0, sizeof(h));
	h.liid.p = (const uint8_t *)liid;
	h.liid.len = strlen(liid);
	h.operator_id.p = (const uint8_t *)"ovt";
	h.operator_id.len = 3;
	h.cin = cin;
	h.seq = seq;
	h.ts_sec = 1736936430;
	hi2_iri_init(&iri);
	iri.event = HI2_EV_BEARER_MODIFICATION;
	iri.ts_sec = 1736936430;
	snprintf(iri.imsi, sizeof(iri.imsi), "00101000000%04u", seq % 10000);
	bld_init_fixed(&b, pdubuf, sizeof(pdubuf));
	assert_int_equal(hi2_encode_iri(&b, &h, &iri, &d), HI2_OK);
	assert_int_equal(hi2_decode(pdubuf, bld_len(&b), &p, &d), HI2_OK);
	return lemf_store_put(s, &p, 1736936500, 0);
}

static uint8_t *
slurp(const char *dir, const char *sub, const char *name, size_t *len)
{
	char p[1024];
	struct stat sb;
	uint8_t *buf;
	int fd;

	snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, name);
	assert_int_equal(stat(p, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	assert_non_null(buf);
	assert_true((fd = open(p, O_RDONLY)) >= 0);
	assert_int_equal(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

/* The sequence numbers (low bytes) of the packets in DIR/sub/name, in file order. */
static size_t
pcap_seqs_in(const char *dir, const char *sub, const char *name, uint8_t *out, size_t max)
{
	size_t len, n = 0;
	uint8_t *buf = slurp(dir, sub, name, &len);
	struct ovt_cursor c;
	struct lemf_pcap_rec r;
	enum lemf_pcap_fmt fmt;

	cur_init(&c, buf, len);
	fmt = lemf_pcap_filehdr_ok(c);
	assert_true(fmt != LEMF_PCAP_BAD);
	assert_true(cur_skip(&c, lemf_pcap_filehdr_len(fmt)));
	while (lemf_pcap_next(&c, fmt, &r)) {
		uint8_t low;
		assert_int_equal(cur_len(&r.pkt), sizeof(pkt));
		low = cur_data(&r.pkt)[sizeof(pkt) - 1];
		if (n < max)
			out[n] = low;
		/* the original time of the PDU (base + seq), not the receive time */
		assert_true(r.sec >= 1736936430 && r.sec < 1736936430 + 100000);
		assert_int_equal((uint8_t)(r.sec - 1736936430), low);
		/* the direction the PDU gave, unless the file predates pcapng */
		assert_int_equal(r.dir, fmt == LEMF_PCAP_NG ? dir_of(low) : LEMF_DIR_UNKNOWN);
		n++;
	}
	assert_int_equal(cur_len(&c), 0);
	free(buf);
	return n;
}

static size_t
pcap_seqs(const char *dir, const char *sub, uint8_t *out, size_t max)
{
	return pcap_seqs_in(dir, sub, "cc.pcap", out, max);
}

static size_t
count_lines_in(const char *dir, const char *sub, const char *name)
{
	size_t len, n = 0;
	uint8_t *buf = slurp(dir, sub, name, &len);
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	if (len > 0)
		assert_int_equal(buf[len - 1], '\n');
	free(buf);
	return n;
}

static size_t
count_lines(const char *dir, const char *sub)
{
	return count_lines_in(dir, sub, "iri.jsonl");
}

static void
append_file(const char *dir, const char *sub, const char *name, const void *p, size_t n)
{
	char path[1024];
	int fd;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	assert_true((fd = open(path, O_WRONLY | O_APPEND)) >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

static void
patch_file(const char *dir, const char *sub, const char *name, off_t off, uint8_t v)
{
	char path[1024];
	int fd;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	assert_true((fd = open(path, O_WRONLY)) >= 0);
	assert_int_equal(pwrite(fd, &v, 1, off), 1);
	close(fd);
}

struct seen {
	unsigned liids, streams, joint;
	uint64_t pdus, dups, gaps, missing;
	uint32_t gap_lo[8], gap_hi[8];
	struct lemf_state_liid last;	/* last.part is not valid after the callback: */
	struct lemf_state_part parts[64];	/* its first parts, copied */
	const char *dir;
	int verify_failed;
};

static int
seen_liid(void *arg, const struct lemf_state_liid *l)
{
	struct seen *s = arg;
	char msg[LEMF_MSG_MAX];
	s->liids++;
	s->last = *l;
	s->last.part = NULL;
	for (uint32_t i = 0; i < l->nparts && i < 64; i++)
		s->parts[i] = l->part[i];
	if (lemf_state_verify(s->dir, l, msg, sizeof(msg)) != LEMF_OK)
		s->verify_failed++;
	return 0;
}

static int
seen_stream(void *arg, const struct lemf_state_liid *l, const struct lemf_state_stream *st)
{
	struct seen *s = arg;
	uint32_t lo, hi;
	s->streams++;
	s->joint += st->kind == LEMF_KIND_JOINT;
	s->pdus += st->pdus;
	s->dups += st->dups;
	for (size_t i = 0; lemf_seq_gap(st->seq, i, &lo, &hi); i++) {
		if (s->gaps < 8) {
			s->gap_lo[s->gaps] = lo;
			s->gap_hi[s->gaps] = hi;
		}
		s->gaps++;
	}
	s->missing += lemf_seq_missing(st->seq);
	return 0;
}

static void
read_state(const struct tdir *t, struct seen *s)
{
	static const struct lemf_state_ops ops = {seen_liid, seen_stream};
	char msg[LEMF_MSG_MAX];
	memset(s, 0, sizeof(*s));
	s->dir = t->path;
	if (lemf_state_read(t->path, &ops, s, msg, sizeof(msg)) != LEMF_OK)
		fail_msg("state read: %s", msg);
}

/* ================================================================ tests */

static void
test_store_basic(void **state)
{
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct lemf_store_stats st;
	struct seen sn;
	uint8_t seqs[64];

	tdir_make(&t);
	c = scfg(&t);
	s = open_ok(&c);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(put_cc(s, "LI-A", 1, i), LEMF_PUT_NEW);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(put_iri(s, "LI-A", 2, i), LEMF_PUT_NEW);
	assert_int_equal(put_cc(s, "LI-A", 1, 4), LEMF_PUT_DUP);
	/* IRI and CC of one LIID and CIN are numbered separately: IRI 0 on CIN 1 is new. */
	assert_int_equal(put_iri(s, "LI-A", 1, 0), LEMF_PUT_NEW);
	assert_int_equal(put_iri(s, "LI-A", 1, 0), LEMF_PUT_DUP);
	assert_int_equal(lemf_store_pending(s), 16);
	assert_int_equal(lemf_store_commit(s), LEMF_OK);
	assert_int_equal(lemf_store_pending(s), 0);
	lemf_store_stats(s, &st);
	assert_int_equal(st.liids, 1);
	assert_int_equal(st.streams, 3);
	assert_int_equal(st.ranges, 3);
	assert_int_equal(st.pdus_new, 14);
	assert_int_equal(st.pdus_dup, 2);
	assert_int_equal(st.cc_records, 10);
	assert_int_equal(st.iri_records, 4);
	assert_int_equal(st.commits, 1);
	assert_int_equal(lemf_store_close(s), LEMF_OK);

	assert_int_equal(pcap_seqs(t.path, "LI-A", seqs, sizeof(seqs)), 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(seqs[i], i);
	assert_int_equal(count_lines(t.path, "LI-A"), 4);
	read_state(&t, &sn);
	assert_int_equal(sn.liids, 1);
	assert_int_equal(sn.streams, 3);
	assert_int_equal(sn.pdus, 14);
	assert_int_equal(sn.dups, 2);
	assert_int_equal(sn.gaps, 0);
	assert_int_equal(sn.verify_failed, 0);
	assert_int_equal(sn.last.cc_records, 10);
	assert_int_equal(sn.last.iri_records, 4);
	/* ... and stay separate after a restart */
	s = open_ok(&c);
	assert_int_equal(put_iri(s, "LI-A", 1, 0), LEMF_PUT_DUP);
	assert_int_equal(put_iri(s, "LI-A", 1, 1), LEMF_PUT_NEW);
	assert_int_equal(put_cc(s, "LI-A", 1, 1), LEMF_PUT_DUP);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	rm_rf(t.path);
}

static void
test_store_restart_dedup(void **state)
{
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct seen sn;
	unsigned dup = 0, fresh = 0;

	tdir_make(&t);
	c = scfg(&t);
	s = open_ok(&c);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(put_cc(s, "R", 5, i), LEMF_PUT_NEW);
	/* out of order on another CIN: 0, 2, 4 */
	for (uint32_t i = 0; i < 5; i += 2)
		assert_int_equal(put_iri(s, "R", 6, i), LEMF_PUT_NEW);
	assert_int_equal(lemf_store_close(s), LEMF_OK);	/* close commits */

	s = open_ok(&c);
	for (uint32_t i = 50; i < 150; i++) {
		enum lemf_put r = put_cc(s, "R", 5, i);
		dup += r == LEMF_PUT_DUP;
		fresh += r == LEMF_PUT_NEW;
	}
	assert_int_equal(dup, 50);
	assert_int_equal(fresh, 50);
	assert_int_equal(put_iri(s, "R", 6, 2), LEMF_PUT_DUP);
	assert_int_equal(put_iri(s, "R", 6, 1), LEMF_PUT_NEW);
	assert_int_equal(put_iri(s, "R", 6, 3), LEMF_PUT_NEW);
	assert_int_equal(lemf_store_close(s), LEMF_OK);

	read_state(&t, &sn);
	assert_int_equal(sn.pdus, 155);
	assert_int_equal(sn.dups, 51);
	assert_int_equal(sn.gaps, 0);
	assert_int_equal(sn.verify_failed, 0);
	assert_int_equal(count_lines(t.path, "R"), 5);
	rm_rf(t.path);
}

static void
test_store_crash_recovery(void **state)
{
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct lemf_store_stats st;
	struct seen sn;
	static uint8_t seqs[2000];
	pid_t pid;
	int status;
	unsigned dup = 0, fresh = 0;
	size_t n;

	tdir_make(&t);
	c = scfg(&t);
	c.fsync = 1;	/* the production path */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Commit 0..9, then write 10..999 (more than the 32 KiB buffers, so most of it
		 * reaches the files) and die the way kill -9 kills. */
		s = open_ok(&c);
		for (uint32_t i = 0; i < 10; i++)
			if (put_cc(s, "K", 1, i) != LEMF_PUT_NEW || put_iri(s, "K", 2, i) != LEMF_PUT_NEW)
				_exit(2);
		if (lemf_store_commit(s) != LEMF_OK)
			_exit(3);
		for (uint32_t i = 10; i < 1000; i++)
			if (put_cc(s, "K", 1, i) != LEMF_PUT_NEW || put_iri(s, "K", 2, i) != LEMF_PUT_NEW)
				_exit(4);
		raise(SIGKILL);
		_exit(5);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* Restart: the uncommitted tails are cut; state says 0..9 only. */
	s = open_ok(&c);
	lemf_store_stats(s, &st);
	assert_true(st.recovered_bytes > 32 * 1024);
	assert_int_equal(st.recovered_files, 2);
	/* The MDF had no acknowledgement beyond 9: it resends everything. */
	for (uint32_t i = 0; i < 1000; i++) {
		enum lemf_put r = put_cc(s, "K", 1, i);
		dup += r == LEMF_PUT_DUP;
		fresh += r == LEMF_PUT_NEW;
		assert_int_not_equal(put_iri(s, "K", 2, i), LEMF_PUT_FAILED);
	}
	assert_int_equal(dup, 10);
	assert_int_equal(fresh, 990);
	assert_int_equal(lemf_store_close(s), LEMF_OK);

	/* Each record exactly once, in order. */
	n = pcap_seqs(t.path, "K", seqs, sizeof(seqs));
	assert_int_equal(n, 1000);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(seqs[i], (uint8_t)i);
	assert_int_equal(count_lines(t.path, "K"), 1000);
	read_state(&t, &sn);
	assert_int_equal(sn.pdus, 2000);
	assert_int_equal(sn.gaps, 0);
	assert_int_equal(sn.verify_failed, 0);
	rm_rf(t.path);
}

static void
test_store_torn_tail(void **state)
{
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct lemf_store_stats st;
	struct seen sn;
	uint8_t seqs[16];

	tdir_make(&t);
	c = scfg(&t);
	s = open_ok(&c);
	for (uint32_t i = 0; i < 5; i++) {
		assert_int_equal(put_cc(s, "T", 1, i), LEMF_PUT_NEW);
		assert_int_equal(put_iri(s, "T", 2, i), LEMF_PUT_NEW);
	}
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	/* A record header cut short and half a JSON line, as a crash mid-write leaves them. */
	append_file(t.path, "T", "cc.pcap", "\x67\x87\x8b\xee\x00\x00", 6);
	append_file(t.path, "T", "iri.jsonl", "{\"liid\":\"T\",\"ci", 15);
	s = open_ok(&c);
	lemf_store_stats(s, &st);
	assert_int_equal(st.recovered_bytes, 21);
	assert_int_equal(st.recovered_files, 2);
	assert_int_equal(put_cc(s, "T", 1, 5), LEMF_PUT_NEW);
	assert_int_equal(put_iri(s, "T", 2, 4), LEMF_PUT_DUP);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	assert_int_equal(pcap_seqs(t.path, "T", seqs, sizeof(seqs)), 6);
	assert_int_equal(count_lines(t.path, "T"), 5);
	read_state(&t, &sn);
	assert_int_equal(sn.verify_failed, 0);
	rm_rf(t.path);
}

/* Damage below the commit point is refused, each kind with its error. */
static void
test_store_refuses_damage(void **state)
{
	for (int k = 0; k < 6; k++) {
		struct tdir t;
		struct lemf_store_config c;
		struct lemf_store *s;
		char path[1024], msg[LEMF_MSG_MAX];
		enum lemf_err want = LEMF_E_STATE;
		struct stat sb;

		tdir_make(&t);
		c = scfg(&t);
		s = open_ok(&c);
		for (uint32_t i = 0; i < 3; i++) {
			assert_int_equal(put_cc(s, "D", 1, i), LEMF_PUT_NEW);
			assert_int_equal(put_iri(s, "D", 2, i), LEMF_PUT_NEW);
		}
		assert_int_equal(lemf_store_close(s), LEMF_OK);
		snprintf(path, sizeof(path), "%s/D/cc.pcap", t.path);
		assert_int_equal(stat(path, &sb), 0);
		switch (k) {
		case 0:		/* committed bytes missing */
			assert_int_equal(truncate(path, sb.st_size - 1), 0);
			break;
		case 1:		/* not our pcap */
			patch_file(t.path, "D", "cc.pcap", 0, 0xd4);
			want = LEMF_E_FORMAT;
			break;
		case 2:		/* the last record's length no longer ends at the commit */
			/* (the low octet of the captured length of the last pcapng block: 28
			 * octets of header, the packet, 16 after it) */
			patch_file(t.path, "D", "cc.pcap",
				   sb.st_size - (off_t)(LEMF_PCAP_RECHDR + sizeof(pkt) + 16) + 23, 0x7f);
			break;
		case 3:		/* the last JSON line no longer ends with a newline */
			snprintf(path, sizeof(path), "%s/D/iri.jsonl", t.path);
			assert_int_equal(stat(path, &sb), 0);
			patch_file(t.path, "D", "iri.jsonl", sb.st_size - 1, '}');
			break;
		case 4:		/* the file is gone */
			assert_int_equal(unlink(path), 0);
			break;
		case 5:		/* another LEMF holds the lock */
			s = open_ok(&c);
			want = LEMF_E_LOCKED;
			break;
		}
		msg[0] = '\0';
		assert_int_equal(open_fails(&c, msg, sizeof(msg)), want);
		if (k == 5)
			assert_int_equal(lemf_store_close(s), LEMF_OK);
		rm_rf(t.path);
	}
}

static void
test_store_orphans(void **state)
{
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct lemf_store_stats st;
	char path[1024];
	DIR *d;
	struct dirent *de;
	int orphans = 0;
	uint8_t seqs[4];

	tdir_make(&t);
	snprintf(path, sizeof(path), "%s/O", t.path);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/O/cc.pcap", t.path);
	{
		int fd = open(path, O_WRONLY | O_CREAT, 0600);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "not claimed by any state", 24), 24);
		close(fd);
	}
	c = scfg(&t);
	s = open_ok(&c);
	assert_int_equal(put_cc(s, "O", 1, 0), LEMF_PUT_NEW);
	lemf_store_stats(s, &st);
	assert_int_equal(st.orphans, 1);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	assert_int_equal(pcap_seqs(t.path, "O", seqs, sizeof(seqs)), 1);
	snprintf(path, sizeof(path), "%s/O", t.path);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL)
		orphans += strncmp(de->d_name, "cc.pcap.orphan-", 15) == 0;
	closedir(d);
	assert_int_equal(orphans, 1);	/* kept, never deleted */
	rm_rf(t.path);
}

static void
test_store_limits(void **state)
{
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct lemf_store_stats st;

	tdir_make(&t);
	c = scfg(&t);
	c.max_liids = 2;
	c.max_streams = 3;
	c.max_ranges = 4;
	s = open_ok(&c);
	assert_int_equal(put_cc(s, "L1", 1, 0), LEMF_PUT_NEW);
	assert_int_equal(put_cc(s, "L2", 1, 0), LEMF_PUT_NEW);
	assert_int_equal(put_cc(s, "L3", 1, 0), LEMF_PUT_LIMIT);	/* third LIID */
	assert_int_equal(put_cc(s, "L1", 2, 0), LEMF_PUT_NEW);
	assert_int_equal(put_cc(s, "L1", 3, 0), LEMF_PUT_LIMIT);	/* fourth stream */
	/* 3 ranges so far; one more hole allowed, then only growth */
	assert_int_equal(put_cc(s, "L1", 1, 10), LEMF_PUT_NEW);
	assert_int_equal(put_cc(s, "L1", 1, 20), LEMF_PUT_LIMIT);
	assert_int_equal(put_cc(s, "L1", 1, 11), LEMF_PUT_NEW);
	assert_int_equal(put_cc(s, "L1", 1, 1), LEMF_PUT_NEW);
	/* filling the hole 2..9 merges: a range is free again */
	for (uint32_t i = 2; i < 10; i++)
		assert_int_equal(put_cc(s, "L1", 1, i), LEMF_PUT_NEW);
	assert_int_equal(put_cc(s, "L1", 1, 20), LEMF_PUT_NEW);
	lemf_store_stats(s, &st);
	assert_int_equal(st.refused_limit, 3);
	assert_int_equal(st.ranges, 4);
	assert_int_equal(lemf_store_close(s), LEMF_OK);

	/* A restart with tighter limits than the state needs refuses to start. */
	{
		char msg[LEMF_MSG_MAX];
		c.max_ranges = 3;
		assert_int_equal(open_fails(&c, msg, sizeof(msg)), LEMF_E_LIMIT);
	}
	rm_rf(t.path);
}

static void
test_store_open_files_cap(void **state)
{
	static const char *const names[] = {"F0", "F1", "F2", "F3", "F4"};
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct lemf_store_stats st;
	struct seen sn;

	tdir_make(&t);
	c = scfg(&t);
	c.max_open = 2;
	s = open_ok(&c);
	for (uint32_t i = 0; i < 200; i++) {
		assert_int_equal(put_cc(s, names[i % 5], 1, i / 5), LEMF_PUT_NEW);
		lemf_store_stats(s, &st);
		assert_true(st.open_liids <= 2);
	}
	assert_true(st.commits > 10);	/* each switch past the cap commits first */
	assert_int_equal(lemf_store_commit(s), LEMF_OK);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	read_state(&t, &sn);
	assert_int_equal(sn.liids, 5);
	assert_int_equal(sn.pdus, 200);
	assert_int_equal(sn.gaps, 0);
	assert_int_equal(sn.verify_failed, 0);
	rm_rf(t.path);
}

static void
test_dirname(void **state)
{
	char out[LEMF_DIRNAME_MAX];
	static const struct {
		const char *in;
		const char *out;
	} v[] = {
		{"LIID-1_a.b", "LIID-1_a.b"},
		{"..", "%2E."},
		{".hidden", "%2Ehidden"},
		{"a/b", "a%2Fb"},
		{"100%", "100%25"},
		{"x y", "x%20y"},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		lemf_liid_dirname((const uint8_t *)v[i].in, strlen(v[i].in), out);
		assert_string_equal(out, v[i].out);
	}
	lemf_liid_dirname((const uint8_t *)"\0\xff", 2, out);
	assert_string_equal(out, "%00%FF");
	{	/* the longest: 25 octets, each escaped */
		uint8_t l[HI2_LIID_MAX];
		memset(l, '/', sizeof(l));
		lemf_liid_dirname(l, sizeof(l), out);
		assert_int_equal(strlen(out), 3 * HI2_LIID_MAX);
	}
}

static void
test_store_reject_and_refused(void **state)
{
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct lemf_store_stats st;
	char name[128];
	size_t len;
	uint8_t *b;

	tdir_make(&t);
	c = scfg(&t);
	c.max_rejected = 2;
	s = open_ok(&c);
	lemf_store_reject(s, (const uint8_t *)"\x30\x02\x05\x00", 4, name, sizeof(name));
	assert_true(strncmp(name, "rejected/r-", 11) == 0);
	b = slurp(t.path, ".", name, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(b, "\x30\x02\x05\x00", 4);
	free(b);
	lemf_store_reject(s, (const uint8_t *)"\x30\x00", 2, name, sizeof(name));
	assert_true(name[0] != '\0');
	lemf_store_reject(s, (const uint8_t *)"\x30\x00", 2, name, sizeof(name));
	assert_string_equal(name, "");	/* over the cap: counted only */
	{	/* a TRI PDU is not something the store writes */
		struct hi2_pshdr h;
		struct ovt_builder bl;
		struct hi2_diag d;
		struct hi2_pdu p;
		memset(&h, 0, sizeof(h));
		h.liid.p = (const uint8_t *)"X";
		h.liid.len = 1;
		h.operator_id.p = (const uint8_t *)"o";
		h.operator_id.len = 1;
		h.ts_sec = 1736936430;
		bld_init_fixed(&bl, pdubuf, sizeof(pdubuf));
		assert_int_equal(hi2_encode_tri(&bl, &h, HI2_TRI_KEEPALIVE, &d), HI2_OK);
		assert_int_equal(hi2_decode(pdubuf, bld_len(&bl), &p, &d), HI2_OK);
		assert_int_equal(lemf_store_put(s, &p, 0, 0), LEMF_PUT_REFUSED);
	}
	lemf_store_stats(s, &st);
	assert_int_equal(st.rejected_saved, 2);
	assert_int_equal(st.rejected_dropped, 1);
	assert_int_equal(st.refused_other, 1);
	assert_int_equal(st.liids, 0);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	/* The cap counts files already there after a restart. */
	s = open_ok(&c);
	lemf_store_reject(s, (const uint8_t *)"\x30\x00", 2, name, sizeof(name));
	assert_string_equal(name, "");
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	rm_rf(t.path);
}

static void
test_state_gaps(void **state)
{
	static const uint32_t sent[] = {0, 1, 2, 5, 9};
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct seen sn;

	tdir_make(&t);
	c = scfg(&t);
	s = open_ok(&c);
	for (size_t i = 0; i < sizeof(sent) / sizeof(sent[0]); i++)
		assert_int_equal(put_iri(s, "G", 77, sent[i]), LEMF_PUT_NEW);
	/* uncommitted data is not in the state a report reads */
	read_state(&t, &sn);
	assert_int_equal(sn.pdus, 0);
	assert_int_equal(lemf_store_commit(s), LEMF_OK);
	read_state(&t, &sn);	/* while the store is open: WAL readers see the commit */
	assert_int_equal(sn.pdus, 5);
	assert_int_equal(sn.gaps, 2);
	assert_int_equal(sn.gap_lo[0], 3);
	assert_int_equal(sn.gap_hi[0], 4);
	assert_int_equal(sn.gap_lo[1], 6);
	assert_int_equal(sn.gap_hi[1], 8);
	assert_int_equal(sn.missing, 5);
	assert_int_equal(sn.verify_failed, 0);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	rm_rf(t.path);
}

/* A write that fails (the file size limit standing in for a full disk): the store turns
 * broken, refuses everything after, commits nothing more; a restart recovers to the last
 * commit and the files verify. */
static void
test_store_io_failure(void **state)
{
	struct tdir t;
	struct lemf_store_config c;
	struct seen sn;
	pid_t pid;
	int status;

	tdir_make(&t);
	c = scfg(&t);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {256 * 1024, 256 * 1024};
		struct lemf_store *s;
		uint32_t i;
		enum lemf_put r = LEMF_PUT_NEW;

		signal(SIGXFSZ, SIG_IGN);	/* write(2) then fails with EFBIG */
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0 || (s = open_ok(&c)) == NULL)
			_exit(2);
		for (i = 0; i < 100; i++)
			if (put_cc(s, "F", 1, i) != LEMF_PUT_NEW)
				_exit(3);
		if (lemf_store_commit(s) != LEMF_OK)
			_exit(4);
		for (i = 100; i < 100000 && r == LEMF_PUT_NEW; i++) {
			r = put_cc(s, "F", 1, i);
			if (r == LEMF_PUT_NEW && i % 500 == 0 && lemf_store_commit(s) != LEMF_OK)
				r = LEMF_PUT_FAILED;
		}
		if (r != LEMF_PUT_FAILED || lemf_store_error(s)[0] == '\0')
			_exit(5);
		if (put_cc(s, "F", 1, 200000) != LEMF_PUT_FAILED || lemf_store_commit(s) == LEMF_OK)
			_exit(6);
		if (lemf_store_close(s) == LEMF_OK)
			_exit(7);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	read_state(&t, &sn);
	assert_true(sn.pdus >= 100);
	assert_int_equal(sn.gaps, 0);
	{	/* restart without the limit: cut back to the last commit, then go on */
		struct lemf_store *s = open_ok(&c);
		assert_int_equal(put_cc(s, "F", 1, (uint32_t)sn.pdus), LEMF_PUT_NEW);
		assert_int_equal(lemf_store_close(s), LEMF_OK);
	}
	read_state(&t, &sn);
	assert_int_equal(sn.verify_failed, 0);
	assert_int_equal(sn.gaps, 0);
	rm_rf(t.path);
}

/* IRI and CC numbered together by a sender: reported as one stream, no false gaps; numbered
 * separately: two streams, each with its own gaps. */
static void
test_state_joint_numbering(void **state)
{
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct seen sn;

	tdir_make(&t);
	c = scfg(&t);
	s = open_ok(&c);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(i % 3 ? put_cc(s, "J", 1, i) : put_iri(s, "J", 1, i), LEMF_PUT_NEW);
	assert_int_equal(put_iri(s, "J", 1, 3), LEMF_PUT_DUP);	/* duplicates stay per kind */
	/* separate numbering on CIN 2, with an IRI gap at 2 */
	for (uint32_t i = 0; i < 6; i++)
		assert_int_equal(put_cc(s, "J", 2, i), LEMF_PUT_NEW);
	assert_int_equal(put_iri(s, "J", 2, 0), LEMF_PUT_NEW);
	assert_int_equal(put_iri(s, "J", 2, 1), LEMF_PUT_NEW);
	assert_int_equal(put_iri(s, "J", 2, 3), LEMF_PUT_NEW);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	read_state(&t, &sn);
	assert_int_equal(sn.streams, 3);	/* CIN 1 joint; CIN 2 IRI and CC */
	assert_int_equal(sn.joint, 1);
	assert_int_equal(sn.pdus, 19);
	assert_int_equal(sn.dups, 1);
	assert_int_equal(sn.gaps, 1);
	assert_int_equal(sn.gap_lo[0], 2);
	assert_int_equal(sn.gap_hi[0], 2);
	rm_rf(t.path);
}


/* ================================================================ rotation */

static int
file_exists(const char *dir, const char *sub, const char *name, off_t *size)
{
	char p[1024];
	struct stat sb;

	/* Set on failure too: the callers' asserts abort, which gcc -O2 cannot see. */
	if (size != NULL)
		*size = -1;
	snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, name);
	if (stat(p, &sb) != 0)
		return 0;
	if (size != NULL)
		*size = sb.st_size;
	return 1;
}

/* Every CC packet of LIID sub, closed parts first, in order: their low bytes into out. */
static size_t
all_seqs(const char *dir, const char *sub, uint32_t parts, uint8_t *out, size_t max)
{
	char name[32];
	size_t n = 0;

	for (uint32_t k = 1; k <= parts; k++) {
		snprintf(name, sizeof(name), "cc-%06u.pcap", k);
		n += pcap_seqs_in(dir, sub, name, out + n, max - n);
	}
	return n + pcap_seqs(dir, sub, out + n, max - n);
}

static size_t
all_lines(const char *dir, const char *sub, uint32_t parts)
{
	char name[32];
	size_t n = 0;

	for (uint32_t k = 1; k <= parts; k++) {
		snprintf(name, sizeof(name), "iri-%06u.jsonl", k);
		n += count_lines_in(dir, sub, name);
	}
	return n + count_lines(dir, sub);
}

/* Size rotation: parts close at the threshold right after a commit, both files together,
 * nothing lost or doubled across them, the state and --verify see every part, and duplicates
 * are still recognised after parts closed and after a restart. */
static void
test_store_rotation_size(void **state)
{
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct lemf_store_stats st;
	struct seen sn;
	static uint8_t seqs[4000];
	char name[32];
	off_t sz;
	size_t n;

	(void)state;
	tdir_make(&t);
	c = scfg(&t);
	c.rotate_bytes = 64 * 1024;
	s = open_ok(&c);
	for (uint32_t i = 0; i < 3000; i++) {
		assert_int_equal(put_cc(s, "R", 1, i), LEMF_PUT_NEW);
		assert_int_equal(put_iri(s, "R", 1, i), LEMF_PUT_NEW);
		if (i % 100 == 99)
			assert_int_equal(lemf_store_commit(s), LEMF_OK);
	}
	assert_int_equal(lemf_store_commit(s), LEMF_OK);
	lemf_store_stats(s, &st);
	/* 3000 x 64-octet CC records and 3000 IRI lines of a few hundred octets. */
	assert_true(st.rotations >= 3 && st.rotations < 64);
	for (uint32_t k = 1; k <= st.rotations; k++) {
		off_t ccs, iris;
		snprintf(name, sizeof(name), "cc-%06u.pcap", k);
		assert_true(file_exists(t.path, "R", name, &ccs));
		snprintf(name, sizeof(name), "iri-%06u.jsonl", k);
		assert_true(file_exists(t.path, "R", name, &iris));
		/* closed at the first commit at or past the threshold (100 PDUs of each kind
		 * apart), whichever file reached it */
		assert_true(ccs >= 64 * 1024 || iris >= 64 * 1024);
		assert_true(ccs < 2 * 64 * 1024 && iris < 2 * 64 * 1024);
	}
	snprintf(name, sizeof(name), "cc-%06u.pcap", (unsigned)st.rotations + 1);
	assert_false(file_exists(t.path, "R", name, NULL));
	n = all_seqs(t.path, "R", (uint32_t)st.rotations, seqs, sizeof(seqs));
	assert_int_equal(n, 3000);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(seqs[i], (uint8_t)i);
	assert_int_equal(all_lines(t.path, "R", (uint32_t)st.rotations), 3000);

	/* The report's view: every part listed, verified, counted. */
	read_state(&t, &sn);
	assert_int_equal(sn.verify_failed, 0);
	assert_int_equal(sn.last.nparts, st.rotations);
	for (uint32_t k = 0; k < sn.last.nparts; k++) {
		assert_int_equal(sn.parts[k].n, k + 1);
		assert_int_equal(sn.parts[k].cc_records, sn.parts[k].iri_records);
		assert_true(sn.parts[k].cc_records % 100 == 0);	/* commits every 100 */
	}
	assert_int_equal(sn.last.cc_records_total, 3000);
	assert_int_equal(sn.last.iri_records_total, 3000);
	assert_int_equal(sn.pdus, 6000);

	/* Duplicates across parts and across a restart. */
	assert_int_equal(put_cc(s, "R", 1, 5), LEMF_PUT_DUP);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	s = open_ok(&c);
	lemf_store_stats(s, &st);
	assert_int_equal(st.rotations_finished, 0);
	assert_int_equal(st.recovered_files, 0);
	assert_int_equal(put_cc(s, "R", 1, 7), LEMF_PUT_DUP);
	assert_int_equal(put_cc(s, "R", 1, 3000), LEMF_PUT_NEW);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	read_state(&t, &sn);
	assert_int_equal(sn.verify_failed, 0);
	assert_int_equal(sn.last.cc_records_total, 3001);

	/* A part that lost a record is found by --verify, naming the part. */
	snprintf(name, sizeof(name), "cc-%06u.pcap", 1u);
	{
		char p[1024];
		snprintf(p, sizeof(p), "%s/R/%s", t.path, name);
		assert_true(file_exists(t.path, "R", name, &sz));
		assert_int_equal(truncate(p, sz - 64), 0);
	}
	read_state(&t, &sn);
	assert_int_equal(sn.verify_failed, 1);
	rm_rf(t.path);
}

/* Time rotation: the current part closes once it is rotate_secs old, even with no traffic
 * since; an empty current part never becomes a part. */
static void
test_store_rotation_time(void **state)
{
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct lemf_store_stats st;
	struct seen sn;

	(void)state;
	tdir_make(&t);
	c = scfg(&t);
	c.rotate_secs = 1;
	s = open_ok(&c);
	assert_int_equal(put_cc(s, "T", 1, 0), LEMF_PUT_NEW);
	assert_int_equal(put_iri(s, "T", 1, 0), LEMF_PUT_NEW);
	assert_int_equal(lemf_store_commit(s), LEMF_OK);
	lemf_store_stats(s, &st);
	assert_int_equal(st.rotations, 0);
	usleep(1100 * 1000);	/* time(NULL) has moved on by at least one second */
	assert_int_equal(lemf_store_commit(s), LEMF_OK);
	lemf_store_stats(s, &st);
	assert_int_equal(st.rotations, 1);
	usleep(1100 * 1000);
	assert_int_equal(lemf_store_commit(s), LEMF_OK);	/* nothing new: no empty part */
	lemf_store_stats(s, &st);
	assert_int_equal(st.rotations, 1);
	assert_int_equal(put_cc(s, "T", 1, 1), LEMF_PUT_NEW);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	read_state(&t, &sn);
	assert_int_equal(sn.verify_failed, 0);
	assert_int_equal(sn.last.nparts, 1);
	assert_int_equal(sn.last.cc_records_total, 2);
	assert_true(sn.parts[0].closed >= sn.parts[0].started + 1);
	assert_int_equal(sn.parts[0].cc_records, 1);
	assert_int_equal(sn.parts[0].iri_records, 1);
	rm_rf(t.path);
}

static void
rename_in(const char *dir, const char *sub, const char *from, const char *to)
{
	char a[1024], b[1024];
	snprintf(a, sizeof(a), "%s/%s/%s", dir, sub, from);
	snprintf(b, sizeof(b), "%s/%s/%s", dir, sub, to);
	assert_int_equal(rename(a, b), 0);
}

static void
create_in(const char *dir, const char *sub, const char *name, const void *p, size_t n)
{
	char path[1024];
	int fd;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

/* A crash at each step of a rotation, reproduced on disk: open finishes the rotation (part 1
 * holds what was committed, fresh current files, one transaction), loses nothing and keeps
 * the duplicate state; a current file holding more than it should is renamed aside. */
static void
test_store_rotation_crash(void **state)
{
	static const char *const step[] = {"cc renamed", "both renamed", "fresh files made",
					   "fresh file written to"};
	uint8_t hdr[LEMF_PCAP_FILEHDR];
	static uint8_t seqs[200];

	(void)state;
	(void)lemf_pcap_filehdr(hdr, LEMF_PCAP_NG);
	for (unsigned k = 0; k < sizeof(step) / sizeof(step[0]); k++) {
		struct tdir t;
		struct lemf_store_config c;
		struct lemf_store *s;
		struct lemf_store_stats st;
		struct seen sn;
		off_t sz;

		tdir_make(&t);
		c = scfg(&t);
		s = open_ok(&c);
		for (uint32_t i = 0; i < 100; i++) {
			assert_int_equal(put_cc(s, "C", 1, i), LEMF_PUT_NEW);
			assert_int_equal(put_iri(s, "C", 1, i), LEMF_PUT_NEW);
		}
		assert_int_equal(lemf_store_close(s), LEMF_OK);

		/* The disk as a crash during rotation to part 1 leaves it (before its commit). */
		rename_in(t.path, "C", "cc.pcap", "cc-000001.pcap");
		if (k >= 1)
			rename_in(t.path, "C", "iri.jsonl", "iri-000001.jsonl");
		if (k >= 2) {
			create_in(t.path, "C", "cc.pcap", hdr, sizeof(hdr));
			create_in(t.path, "C", "iri.jsonl", "", 0);
		}
		if (k == 3)
			append_file(t.path, "C", "iri.jsonl", "{}\n", 3);
		/* The report, reading mid-rotation, finds the current files under their part
		 * names. */
		read_state(&t, &sn);
		if (sn.verify_failed != 0)
			fail_msg("%s: verify mid-rotation failed", step[k]);
		assert_int_equal(sn.last.nparts, 0);

		c.rotate_bytes = 64 * 1024;	/* (not reached: the finish does not depend on it) */
		s = open_ok(&c);
		lemf_store_stats(s, &st);
		if (st.rotations_finished != 1)
			fail_msg("%s: rotation not finished", step[k]);
		assert_int_equal(st.orphans, k == 3 ? 1 : 0);
		assert_true(file_exists(t.path, "C", "cc.pcap", &sz));
		assert_int_equal(sz, LEMF_PCAP_FILEHDR);
		assert_true(file_exists(t.path, "C", "iri.jsonl", &sz));
		assert_int_equal(sz, 0);
		assert_int_equal(put_cc(s, "C", 1, 50), LEMF_PUT_DUP);
		assert_int_equal(put_cc(s, "C", 1, 100), LEMF_PUT_NEW);
		assert_int_equal(lemf_store_close(s), LEMF_OK);

		assert_int_equal(pcap_seqs_in(t.path, "C", "cc-000001.pcap", seqs, sizeof(seqs)),
				 100);
		assert_int_equal(count_lines_in(t.path, "C", "iri-000001.jsonl"), 100);
		assert_int_equal(all_seqs(t.path, "C", 1, seqs, sizeof(seqs)), 101);
		read_state(&t, &sn);
		assert_int_equal(sn.verify_failed, 0);
		assert_int_equal(sn.last.nparts, 1);
		assert_int_equal(sn.last.cc_records_total, 101);
		assert_int_equal(sn.last.iri_records_total, 100);
		rm_rf(t.path);
	}
}

/* A version 1 directory (before rotation) is refused by the read-only reader with a hint, and
 * upgraded in place by the LEMF: nothing lost, duplicates still known. */
static void
test_store_upgrade_v1(void **state)
{
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct seen sn;
	static const struct lemf_state_ops ops = {seen_liid, seen_stream};
	char path[1024], msg[LEMF_MSG_MAX];
	sqlite3 *db;

	(void)state;
	tdir_make(&t);
	c = scfg(&t);
	s = open_ok(&c);
	for (uint32_t i = 0; i < 20; i++)
		assert_int_equal(put_cc(s, "U", 1, i), LEMF_PUT_NEW);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	/* Back to the version 1 schema. */
	snprintf(path, sizeof(path), "%s/lemf.db", t.path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE part; ALTER TABLE liid DROP COLUMN parts;"
				      " ALTER TABLE liid DROP COLUMN started;"
				      " PRAGMA user_version=1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	memset(&sn, 0, sizeof(sn));
	sn.dir = t.path;
	assert_int_equal(lemf_state_read(t.path, &ops, &sn, msg, sizeof(msg)), LEMF_E_FORMAT);
	assert_non_null(strstr(msg, "upgrade"));
	s = open_ok(&c);
	assert_int_equal(put_cc(s, "U", 1, 3), LEMF_PUT_DUP);
	assert_int_equal(put_cc(s, "U", 1, 20), LEMF_PUT_NEW);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	read_state(&t, &sn);
	assert_int_equal(sn.verify_failed, 0);
	assert_int_equal(sn.last.cc_records_total, 21);
	assert_int_equal(sn.last.nparts, 0);
	rm_rf(t.path);
}

static enum lemf_pcap_fmt
fmt_of(const char *dir, const char *sub, const char *name)
{
	size_t len;
	uint8_t *buf = slurp(dir, sub, name, &len);
	struct ovt_cursor c;
	enum lemf_pcap_fmt f;

	cur_init(&c, buf, len);
	f = lemf_pcap_filehdr_ok(c);
	free(buf);
	return f;
}

/* A CC file begun by an earlier LEMF (classic pcap, no direction) is recovered, continued in
 * its own format, verified, and its next part is pcapng with directions. */
static void
test_store_classic_continued(void **state)
{
	struct tdir t;
	struct lemf_store_config c;
	struct lemf_store *s;
	struct lemf_store_stats st;
	struct seen sn;
	uint8_t hdr[LEMF_PCAP_FILEHDR];
	static uint8_t seqs[2000];
	char path[1024];
	sqlite3 *db;
	size_t hl;
	off_t sz;
	uint32_t n1;

	(void)state;
	tdir_make(&t);
	c = scfg(&t);
	s = open_ok(&c);
	assert_int_equal(put_iri(s, "K", 1, 0), LEMF_PUT_NEW);	/* files made, no packet */
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	/* The directory as an earlier LEMF left it: a classic header, and the state says so. */
	hl = lemf_pcap_filehdr(hdr, LEMF_PCAP_CLASSIC);
	rename_in(t.path, "K", "cc.pcap", "cc.old");
	create_in(t.path, "K", "cc.pcap", hdr, hl);
	snprintf(path, sizeof(path), "%s/lemf.db", t.path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE liid SET cc_size=24", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	s = open_ok(&c);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(put_cc(s, "K", 1, i), LEMF_PUT_NEW);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	assert_true(file_exists(t.path, "K", "cc.pcap", &sz));
	assert_int_equal(sz, 24 + 100 * (16 + sizeof(pkt)));	/* classic records */
	assert_int_equal(pcap_seqs(t.path, "K", seqs, sizeof(seqs)), 100);
	read_state(&t, &sn);
	assert_int_equal(sn.verify_failed, 0);

	/* Restart, more packets, a rotation: the closed part stays classic, the next is
	 * pcapng. */
	c.rotate_bytes = 64 * 1024;
	s = open_ok(&c);
	assert_int_equal(put_cc(s, "K", 1, 99), LEMF_PUT_DUP);
	for (uint32_t i = 100; i < 1300; i++) {
		assert_int_equal(put_cc(s, "K", 1, i), LEMF_PUT_NEW);
		if (i % 100 == 99)
			assert_int_equal(lemf_store_commit(s), LEMF_OK);
	}
	assert_int_equal(lemf_store_commit(s), LEMF_OK);
	lemf_store_stats(s, &st);
	assert_true(st.rotations >= 1);
	assert_int_equal(lemf_store_close(s), LEMF_OK);
	n1 = (uint32_t)pcap_seqs_in(t.path, "K", "cc-000001.pcap", seqs, sizeof(seqs));
	assert_true(n1 >= 1000 && n1 < 1300);
	assert_int_equal(fmt_of(t.path, "K", "cc-000001.pcap"), LEMF_PCAP_CLASSIC);
	assert_int_equal(fmt_of(t.path, "K", "cc.pcap"), LEMF_PCAP_NG);
	assert_int_equal(all_seqs(t.path, "K", st.rotations, seqs, sizeof(seqs)), 1300);
	for (uint32_t i = 0; i < 1300; i++)
		assert_int_equal(seqs[i], (uint8_t)i);
	read_state(&t, &sn);
	assert_int_equal(sn.verify_failed, 0);
	assert_int_equal(sn.last.cc_records_total, 1300);
	rm_rf(t.path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_basic),
		cmocka_unit_test(test_store_restart_dedup),
		cmocka_unit_test(test_store_crash_recovery),
		cmocka_unit_test(test_store_torn_tail),
		cmocka_unit_test(test_store_refuses_damage),
		cmocka_unit_test(test_store_orphans),
		cmocka_unit_test(test_store_limits),
		cmocka_unit_test(test_store_open_files_cap),
		cmocka_unit_test(test_dirname),
		cmocka_unit_test(test_store_reject_and_refused),
		cmocka_unit_test(test_state_gaps),
		cmocka_unit_test(test_state_joint_numbering),
		cmocka_unit_test(test_store_io_failure),
		cmocka_unit_test(test_store_rotation_size),
		cmocka_unit_test(test_store_rotation_time),
		cmocka_unit_test(test_store_rotation_crash),
		cmocka_unit_test(test_store_upgrade_v1),
		cmocka_unit_test(test_store_classic_continued),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
