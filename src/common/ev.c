/*
 * poll(2) event loop.  Timers live in a small unsorted array: processes keep a handful (backoff,
 * keepalive, expiry sweep), so a linear scan is cheaper than a heap and trivially correct when a
 * callback deletes other timers.
 */
#include "common/ev.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ev_fd {
	int fd;
	int events;
	ev_fd_cb cb;
	void *arg;
};

struct ev_timer {
	uint64_t id;
	uint64_t due;
	ev_timer_cb cb;
	void *arg;
};

struct ev_loop {
	struct ev_fd *fds;
	size_t nfds, capfds;
	struct ev_timer *timers;
	size_t ntimers, captimers;
	uint64_t next_id;
	ev_hook_cb before;
	void *before_arg;
	int max_wait;
	int stop;
	struct pollfd *pfd;
	size_t cappfd;
};

uint64_t
ev_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ev_loop *
ev_new(void)
{
	struct ev_loop *l = calloc(1, sizeof(*l));
	if (l != NULL)
		l->max_wait = 1000;
	return l;
}

void
ev_free(struct ev_loop *l)
{
	if (l == NULL)
		return;
	free(l->fds);
	free(l->timers);
	free(l->pfd);
	free(l);
}

int
ev_fd_set(struct ev_loop *l, int fd, int events, ev_fd_cb cb, void *arg)
{
	if (fd < 0 || cb == NULL) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < l->nfds; i++) {
		if (l->fds[i].fd == fd) {
			l->fds[i].events = events;
			l->fds[i].cb = cb;
			l->fds[i].arg = arg;
			return 0;
		}
	}
	if (l->nfds == l->capfds) {
		size_t ncap = l->capfds ? l->capfds * 2 : 8;
		struct ev_fd *n = realloc(l->fds, ncap * sizeof(*n));
		if (n == NULL)
			return -1;
		l->fds = n;
		l->capfds = ncap;
	}
	l->fds[l->nfds++] = (struct ev_fd){fd, events, cb, arg};
	return 0;
}

void
ev_fd_del(struct ev_loop *l, int fd)
{
	for (size_t i = 0; i < l->nfds; i++) {
		if (l->fds[i].fd == fd) {
			l->fds[i] = l->fds[--l->nfds];
			return;
		}
	}
}

uint64_t
ev_timer_add(struct ev_loop *l, uint64_t ms, ev_timer_cb cb, void *arg)
{
	if (l->ntimers == l->captimers) {
		size_t ncap = l->captimers ? l->captimers * 2 : 8;
		struct ev_timer *n = realloc(l->timers, ncap * sizeof(*n));
		if (n == NULL)
			return 0;
		l->timers = n;
		l->captimers = ncap;
	}
	uint64_t id = ++l->next_id;
	l->timers[l->ntimers++] = (struct ev_timer){id, ev_now_ms() + ms, cb, arg};
	return id;
}

void
ev_timer_del(struct ev_loop *l, uint64_t id)
{
	for (size_t i = 0; i < l->ntimers; i++) {
		if (l->timers[i].id == id) {
			l->timers[i] = l->timers[--l->ntimers];
			return;
		}
	}
}

void
ev_set_before_wait(struct ev_loop *l, ev_hook_cb cb, void *arg)
{
	l->before = cb;
	l->before_arg = arg;
}

void
ev_set_max_wait(struct ev_loop *l, int ms)
{
	l->max_wait = ms < 0 ? 0 : ms;
}

static void
run_timers(struct ev_loop *l)
{
	uint64_t now = ev_now_ms();
	/* Restart the scan after each callback: it may have added or removed timers. */
	for (;;) {
		size_t i;
		for (i = 0; i < l->ntimers; i++)
			if (l->timers[i].due <= now)
				break;
		if (i == l->ntimers)
			return;
		struct ev_timer t = l->timers[i];
		l->timers[i] = l->timers[--l->ntimers];
		t.cb(l, t.arg);
	}
}

int
ev_run_once(struct ev_loop *l)
{
	if (l->before != NULL)
		l->before(l, l->before_arg);
	if (l->stop)
		return 0;

	uint64_t now = ev_now_ms();
	int timeout = l->max_wait;
	for (size_t i = 0; i < l->ntimers; i++) {
		uint64_t d = l->timers[i].due <= now ? 0 : l->timers[i].due - now;
		if (d < (uint64_t)timeout)
			timeout = (int)d;
	}

	if (l->cappfd < l->nfds) {
		struct pollfd *n = realloc(l->pfd, l->nfds * sizeof(*n));
		if (n == NULL)
			return -1;
		l->pfd = n;
		l->cappfd = l->nfds;
	}
	size_t n = l->nfds;
	for (size_t i = 0; i < n; i++) {
		l->pfd[i].fd = l->fds[i].events ? l->fds[i].fd : -1;
		l->pfd[i].events = (short)(((l->fds[i].events & EV_READ) ? POLLIN : 0) |
					   ((l->fds[i].events & EV_WRITE) ? POLLOUT : 0));
		l->pfd[i].revents = 0;
	}
	int r = poll(l->pfd, n, timeout);
	if (r < 0 && errno != EINTR)
		return -1;
	for (size_t i = 0; r > 0 && i < n; i++) {
		if (l->pfd[i].revents == 0 || l->pfd[i].fd < 0)
			continue;
		int fd = l->pfd[i].fd, ev = 0;
		if (l->pfd[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
			ev |= EV_READ;
		if (l->pfd[i].revents & (POLLOUT | POLLERR))
			ev |= EV_WRITE;
		/* Look the fd up again: an earlier callback may have removed or replaced it. */
		for (size_t j = 0; j < l->nfds; j++) {
			if (l->fds[j].fd == fd) {
				int want = ev & l->fds[j].events;
				if (want)
					l->fds[j].cb(l, fd, want, l->fds[j].arg);
				break;
			}
		}
	}
	run_timers(l);
	return 0;
}

int
ev_run(struct ev_loop *l)
{
	l->stop = 0;
	while (!l->stop)
		if (ev_run_once(l) < 0)
			return -1;
	return 0;
}

void
ev_stop(struct ev_loop *l)
{
	l->stop = 1;
}
