/*
 * pull_child: a pull's unpacking child, seen from the loop.  Unpacking
 * is slow and happens off the loop: a child forked as soon as the config
 * is verified runs store_pull_commit() and writes "<ret> <message>"
 * into a pipe; the loop watches the child's pidfd (the pipe's EOF on
 * kernels without one).  It unpacks each layer while the next ones
 * download, so the two cores share the work: the loop sends it a byte on
 * a socket for each layer whose blob is verified (in blobs/ or .ok), and
 * closes the socket after the last.  A child that fails ends
 * the pull at once, downloads included; a pull that fails kills its
 * child, which has committed nothing.  The child keeps no fd of the
 * loop's but its two.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "store/pull_int.h"

static void
child_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct store_pull *p = container_of(w, struct store_pull, cio);
	char msg[700], *sp;
	ssize_t n;
	size_t len = 0;
	int r;

	/* the child writes its one message just before it exits */
	ev_io_stop(loop, w);
	while (len + 1 < sizeof(msg) && (n = read(p->pipefd, msg + len,
	    sizeof(msg) - 1 - len)) > 0)
		len += (size_t)n;
	msg[len] = '\0';
	while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
		;
	p->pid = -1;
	r = (int)strtol(msg, &sp, 10);
	if (len == 0 || sp == msg || r > 0)
		pull_finish(p, -EIO, "unpacking process died");
	else
		pull_finish(p, r, "%s", *sp == ' ' ? sp + 1 : sp);
}

/* In the child: close every fd but a and b (a < b), so it holds none of
 * the loop's sockets, nor another pull's ready socket. */
static void
keep_only(unsigned a, unsigned b)
{
	if (a > 3)
		(void)syscall(SYS_close_range, 3U, a - 1, 0U);
	if (b > a + 1)
		(void)syscall(SYS_close_range, a + 1, b - 1, 0U);
	(void)syscall(SYS_close_range, b + 1, ~0U, 0U);
}

/* Forked once the config is verified, while the layers download. */
int
pull_child_start(struct store_pull *p)
{
	struct err err;
	int pp[2], rp[2], r;

	if (pipe2(pp, O_CLOEXEC | O_NONBLOCK) < 0) {
		pull_finish(p, -errno, "pipe2: %s", strerror(errno));
		return -1;
	}
	/* ready: a socket, so a child gone is EPIPE, never SIGPIPE */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rp) < 0) {
		r = -errno;
		close(pp[0]);
		close(pp[1]);
		pull_finish(p, r, "socketpair: %s", strerror(-r));
		return -1;
	}
	if ((p->pid = fork()) < 0) {
		r = -errno;
		close(pp[0]);
		close(pp[1]);
		close(rp[0]);
		close(rp[1]);
		pull_finish(p, r, "fork: %s", strerror(-r));
		return -1;
	}
	if (p->pid == 0) {
		keep_only((unsigned)MIN(pp[1], rp[0]),
		    (unsigned)MAX(pp[1], rp[0]));
		err.msg[0] = '\0';
		r = store_pull_commit(p->s, p->partdir, p->ref, p->man_digest,
		    p->man_media, p->man_size, rp[0], &err);
		dprintf(pp[1], "%d %s", r, r < 0 ? err.msg : "");
		_exit(r < 0 ? 1 : 0);
	}
	close(pp[1]);
	close(rp[0]);
	p->pipefd = pp[0];
	p->readyfd = rp[1];
	p->announced = 0;
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	ev_io_init(&p->cio, child_cb, p->pidfd >= 0 ? p->pidfd : p->pipefd,
	    EV_READ);
	ev_io_start(p->loop, &p->cio);
	return 0;
}

/* Tell the child about the layers before p->bi (their blobs verified,
 * or their diffids unpacked); after the last, EOF. */
int
pull_child_announce(struct store_pull *p)
{
	size_t upto = MIN(p->bi - 1, p->man.nlayers);

	/* never blocks: a byte per layer, 1000 at most in all, far less
	 * than a socket's buffer */
	for (; p->announced < upto; p->announced++)
		if (send(p->readyfd, "L", 1, MSG_DONTWAIT |
		    MSG_NOSIGNAL) != 1) {
			pull_finish(p, -EIO, "unpacking process: %s",
			    strerror(errno));
			return -1;
		}
	if (p->announced == p->man.nlayers && p->readyfd >= 0) {
		close(p->readyfd);
		p->readyfd = -1;
		p->phase = PH_UNPACK;
	}
	return 0;
}

/* Kill the child (it has committed nothing) and close its fds. */
void
pull_child_stop(struct store_pull *p)
{
	if (p->pid > 0) {
		ev_io_stop(p->loop, &p->cio);
		(void)kill(p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		p->pid = -1;
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->pipefd >= 0)
		close(p->pipefd);
	if (p->readyfd >= 0)
		close(p->readyfd);
	p->pidfd = p->pipefd = p->readyfd = -1;
}
