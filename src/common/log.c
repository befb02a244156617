/*
 * Logging to stderr.  Kept deliberately plain: one line per event, process name first, so that
 * the output of several daemons started by a test can be interleaved and still read.
 */
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *log_proc = "overt";
static int log_verb;

void
log_init(const char *procname, int verbose)
{
	log_proc = procname;
	log_verb = verbose;
}

void
log_setproc(const char *procname)
{
	log_proc = procname;
}

int
log_verbose(void)
{
	return log_verb;
}

static void vlog(const char *level, const char *fmt, va_list ap, const char *errstr)
    __attribute__((format(printf, 2, 0)));

static void
vlog(const char *level, const char *fmt, va_list ap, const char *errstr)
{
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %s %s: ", when, ts.tv_nsec / 1000000, log_proc, level);
	vfprintf(stderr, fmt, ap);
	if (errstr != NULL)
		fprintf(stderr, ": %s", errstr);
	fputc('\n', stderr);
	fflush(stderr);
}

#define LOGFN(name, level, witherr)                                   \
	void name(const char *fmt, ...)                               \
	{                                                             \
		int saved = errno;                                    \
		va_list ap;                                           \
		va_start(ap, fmt);                                    \
		vlog(level, fmt, ap, witherr ? strerror(saved) : NULL); \
		va_end(ap);                                           \
		errno = saved;                                        \
	}

LOGFN(log_warn, "warning", 1)
LOGFN(log_warnx, "warning", 0)
LOGFN(log_info, "info", 0)

void
log_debug(const char *fmt, ...)
{
	va_list ap;
	if (!log_verb)
		return;
	va_start(ap, fmt);
	vlog("debug", fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog("fatal", fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("fatal", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
