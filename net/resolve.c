/*
 * resolve: a name lookup that does not block the loop.  getaddrinfo()
 * blocks (resolv.conf, nsswitch, several servers with timeouts), and
 * threads are not an option, so a child process calls it and writes the
 * first address as numeric text into a pipe the loop watches.  IPv4 is
 * preferred: a device with a v6 address but no v6 route is common.  A
 * timer bounds the lookup: on expiry the child is killed.  The child is
 * reaped by pid once its pipe closes (it closes by exiting); if someone
 * else reaped it first (a SIGCHLD watcher on pid 0), ECHILD is fine.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ev.h>

#include "lib/util.h"
#include "net/net.h"

struct net_resolve {
	struct ev_loop *loop;
	net_resolve_done done;
	void *arg;
	char host[256];
	pid_t pid;
	int fd;
	ev_io io;
	ev_timer timer;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len;
};

static void
reap(struct net_resolve *r, bool kill_it)
{
	if (r->pid <= 0)
		return;
	if (kill_it)
		(void)kill(r->pid, SIGKILL);
	while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
		;
	r->pid = -1;
}

static void
release(struct net_resolve *r)
{
	ev_io_stop(r->loop, &r->io);
	ev_timer_stop(r->loop, &r->timer);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

static void
finish(struct net_resolve *r, int error, const char *msg)
{
	net_resolve_done done = r->done;
	void *arg = r->arg;
	struct err e;
	char addr[sizeof(r->buf)];

	reap(r, error != 0);
	snprintf(addr, sizeof(addr), "%s", error == 0 ? r->buf : "");
	if (error != 0)
		err_setx(&e, -error, "resolve %s: %s", r->host, msg);
	else
		e.msg[0] = '\0';
	release(r);
	done(error, addr, &e, arg);
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct net_resolve *r = container_of(w, struct net_resolve, io);
	unsigned char probe[sizeof(struct in6_addr)];
	ssize_t n;

	(void)loop;
	(void)revents;
	n = read(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		r->len += (size_t)n;
		if (r->len < sizeof(r->buf) - 1)
			return;
	}
	r->buf[r->len] = '\0';
	if (r->len > 0 && r->buf[r->len - 1] == '\n')
		r->buf[--r->len] = '\0';
	if (r->len > 0 && r->buf[0] == '!')
		finish(r, -ENOENT, r->buf + 1);
	else if (inet_pton(AF_INET, r->buf, probe) == 1 ||
	    inet_pton(AF_INET6, r->buf, probe) == 1)
		finish(r, 0, NULL);
	else
		finish(r, -EIO, "lookup process failed");
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	finish(container_of(w, struct net_resolve, timer), -ETIMEDOUT,
	    "timed out");
}

/* In the child: look up, write "addr\n" or "!why\n", exit. */
static void __attribute__((noreturn))
child(int fd, const char *host)
{
	struct addrinfo hints, *res = NULL, *a, *pick = NULL;
	char out[INET6_ADDRSTRLEN + 2];
	const void *p;
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(out, sizeof(out), "!%.40s\n", gai_strerror(e));
		(void)write_all(fd, out, strlen(out));
		_exit(1);
	}
	for (a = res; a != NULL; a = a->ai_next)
		if (pick == NULL || (a->ai_family == AF_INET &&
		    pick->ai_family != AF_INET))
			pick = a;
	if (pick->ai_family == AF_INET)
		p = &((struct sockaddr_in *)pick->ai_addr)->sin_addr;
	else
		p = &((struct sockaddr_in6 *)pick->ai_addr)->sin6_addr;
	if (inet_ntop(pick->ai_family, p, out, sizeof(out) - 1) != NULL) {
		strcat(out, "\n");
		(void)write_all(fd, out, strlen(out));
	}
	_exit(0);
}

int
net_resolve_start(struct ev_loop *loop, const char *host, unsigned timeout_ms,
    net_resolve_done done, void *arg, struct net_resolve **out,
    struct err *err)
{
	struct net_resolve *r;
	int p[2];

	if (host[0] == '\0' || strlen(host) >= sizeof(r->host))
		return err_setx(err, EINVAL, "resolve: bad host name");
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return err_set(err, errno, "pipe2");
	r = xcalloc(1, sizeof(*r));
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->pid = fork();
	if (r->pid < 0) {
		err_set(err, errno, "fork");
		close(p[0]);
		close(p[1]);
		free(r);
		return -errno;
	}
	if (r->pid == 0) {
		close(p[0]);
		(void)fcntl(p[1], F_SETFL, 0);
		child(p[1], host);
	}
	close(p[1]);
	r->loop = loop;
	r->done = done;
	r->arg = arg;
	r->fd = p[0];
	ev_io_init(&r->io, io_cb, r->fd, EV_READ);
	ev_io_start(loop, &r->io);
	ev_timer_init(&r->timer, timer_cb,
	    (timeout_ms ? timeout_ms : NET_RESOLVE_TIMEOUT_MS) / 1e3, 0.);
	ev_timer_start(loop, &r->timer);
	*out = r;
	return 0;
}

void
net_resolve_cancel(struct net_resolve *r)
{
	if (r == NULL)
		return;
	reap(r, true);
	release(r);
}
