/*
 * libpcap wrapper.  Files are read with pcap_dispatch in batches so the event loop can serve
 * X1 and the X2/X3 connections between batches; live captures are non-blocking and polled.
 */
#include "poi/poi_capture.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int
poi_capture_open_file(struct poi_capture *c, const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->pcap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (c->pcap == NULL) {
		snprintf(err, errlen, "%s", ebuf);
		return -1;
	}
	c->linktype = pcap_datalink(c->pcap);
	return 0;
}

int
poi_capture_open_live(struct poi_capture *c, const char *ifname, const char *filter,
    int snaplen, int bufsize, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct bpf_program prog;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->live = 1;
	if ((c->pcap = pcap_create(ifname, ebuf)) == NULL) {
		snprintf(err, errlen, "%s", ebuf);
		return -1;
	}
	pcap_set_snaplen(c->pcap, snaplen > 0 ? snaplen : 65535);
	pcap_set_promisc(c->pcap, 1);
	pcap_set_immediate_mode(c->pcap, 1);
	pcap_set_tstamp_precision(c->pcap, PCAP_TSTAMP_PRECISION_NANO);
	if (bufsize > 0)
		pcap_set_buffer_size(c->pcap, bufsize);
	int r = pcap_activate(c->pcap);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", ifname, pcap_geterr(c->pcap));
		goto fail;
	}
	if (pcap_compile(c->pcap, &prog, filter ? filter : POI_DEFAULT_FILTER, 1,
	    PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "filter: %s", pcap_geterr(c->pcap));
		goto fail;
	}
	r = pcap_setfilter(c->pcap, &prog);
	pcap_freecode(&prog);
	if (r < 0) {
		snprintf(err, errlen, "filter: %s", pcap_geterr(c->pcap));
		goto fail;
	}
	if (pcap_setnonblock(c->pcap, 1, ebuf) < 0) {
		snprintf(err, errlen, "%s", ebuf);
		goto fail;
	}
	c->fd = pcap_get_selectable_fd(c->pcap);
	c->linktype = pcap_datalink(c->pcap);
	return 0;
fail:
	pcap_close(c->pcap);
	c->pcap = NULL;
	return -1;
}

void
poi_capture_close(struct poi_capture *c)
{
	if (c->pcap != NULL)
		pcap_close(c->pcap);
	c->pcap = NULL;
}

struct dispatch_ctx {
	struct poi_capture *c;
	poi_packet_cb cb;
	void *arg;
};

static void
trampoline(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct dispatch_ctx *d = (struct dispatch_ctx *)user;
	d->c->packets++;
	d->c->bytes += h->caplen;
	d->cb(d->arg, h, data);
}

int
poi_capture_dispatch(struct poi_capture *c, int max, poi_packet_cb cb, void *arg, char *err,
    size_t errlen)
{
	struct dispatch_ctx d = {c, cb, arg};
	int n = pcap_dispatch(c->pcap, max, trampoline, (u_char *)&d);
	if (n == PCAP_ERROR) {
		snprintf(err, errlen, "%s", pcap_geterr(c->pcap));
		return -1;
	}
	if (n == 0 && !c->live)
		return -2;
	return n < 0 ? 0 : n;
}

void
poi_capture_kstats(struct poi_capture *c, uint64_t *recv, uint64_t *drop)
{
	struct pcap_stat st;
	*recv = *drop = 0;
	if (c->live && c->pcap != NULL && pcap_stats(c->pcap, &st) == 0) {
		*recv = st.ps_recv;
		*drop = st.ps_drop + st.ps_ifdrop;
	}
}

int
poi_drop_privileges(const char *user, char *err, size_t errlen)
{
	if (geteuid() != 0 && user == NULL)
		return 0;
	if (user == NULL) {
		snprintf(err, errlen, "running as root: set capture.user to an unprivileged user");
		return -1;
	}
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen, "unknown user '%s'", user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "capture.user '%s' is root", user);
		return -1;
	}
	if (geteuid() == 0) {
		if (setgroups(1, &pw->pw_gid) < 0 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
			snprintf(err, errlen, "dropping to '%s': %s", user, strerror(errno));
			return -1;
		}
		/* Prove it: regaining root must now fail. */
		if (setuid(0) == 0 || seteuid(0) == 0) {
			snprintf(err, errlen, "privileges could be regained after the drop");
			return -1;
		}
	} else if (geteuid() != pw->pw_uid) {
		snprintf(err, errlen, "not root: cannot switch to '%s'", user);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return 0;
}
