/*
 * One event loop per process (Redis ae.c size): file descriptors with read/write interest,
 * one-shot timers, and an idle hook.  poll(2) based: Overt processes watch tens of fds, not
 * thousands, so poll's O(n) scan costs nothing and keeps the code obvious.
 *
 * Callbacks run on the loop's thread; they may add/remove fds and timers, including their own.
 * Signal handlers must only set flags; the loop calls the `before_wait` hook once per iteration,
 * where the process checks them.
 * Thread safety: none; one loop per process (or per thread that owns it).
 */
#ifndef OVERT_COMMON_EV_H
#define OVERT_COMMON_EV_H

#include <stdint.h>

#define EV_READ  0x1
#define EV_WRITE 0x2

struct ev_loop;

typedef void (*ev_fd_cb)(struct ev_loop *, int fd, int events, void *arg);
typedef void (*ev_timer_cb)(struct ev_loop *, void *arg);
typedef void (*ev_hook_cb)(struct ev_loop *, void *arg);

/* Returns NULL on allocation failure. */
struct ev_loop *ev_new(void);
void ev_free(struct ev_loop *);

/* Watches fd for `events` (EV_READ|EV_WRITE); replaces any previous registration of fd.
 * events == 0 keeps the registration but stops polling it.  Returns 0, or -1 (ENOMEM/EINVAL). */
int ev_fd_set(struct ev_loop *, int fd, int events, ev_fd_cb cb, void *arg);
void ev_fd_del(struct ev_loop *, int fd);

/* One-shot timer after ms milliseconds.  Returns an id > 0 for ev_timer_del, or 0 on ENOMEM. */
uint64_t ev_timer_add(struct ev_loop *, uint64_t ms, ev_timer_cb cb, void *arg);
void ev_timer_del(struct ev_loop *, uint64_t id);

/* Called before every wait (check signal flags, flush queues).  One hook per loop. */
void ev_set_before_wait(struct ev_loop *, ev_hook_cb cb, void *arg);
/* Maximum wait when nothing is due; 0 makes the loop spin (used while a pcap file is read). */
void ev_set_max_wait(struct ev_loop *, int ms);

/* Runs one iteration (wait at most the computed timeout).  Returns -1 on a poll error other
 * than EINTR. */
int ev_run_once(struct ev_loop *);
/* Runs until ev_stop(). */
int ev_run(struct ev_loop *);
void ev_stop(struct ev_loop *);

/* Monotonic milliseconds. */
uint64_t ev_now_ms(void);

#endif
