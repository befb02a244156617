/*
 * Process logging, after OpenBSD bgpd's log.c.  Only processes (poi, mdf, lemf, admf, tools)
 * log; library modules return error codes and never print.  Lines go to stderr with the process
 * name and a UTC timestamp.  Never pass target identities, keys or intercepted payload here.
 *
 * log_warn appends strerror(errno); log_warnx does not.  fatal/fatalx log and exit(1): for setup
 * failures and broken invariants only, never for hostile input.
 * Thread safety: one process, one thread; not meant to be called from signal handlers.
 */
#ifndef OVERT_COMMON_LOG_H
#define OVERT_COMMON_LOG_H

#include <stdarg.h>

#define OVT_PRINTF(f, a) __attribute__((format(printf, f, a)))

void log_init(const char *procname, int verbose);
void log_setproc(const char *procname);
int  log_verbose(void);
void log_warn(const char *fmt, ...) OVT_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) OVT_PRINTF(1, 2);
void log_info(const char *fmt, ...) OVT_PRINTF(1, 2);
void log_debug(const char *fmt, ...) OVT_PRINTF(1, 2);
_Noreturn void fatal(const char *fmt, ...) OVT_PRINTF(1, 2);
_Noreturn void fatalx(const char *fmt, ...) OVT_PRINTF(1, 2);

#endif
