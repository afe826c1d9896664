/*
 * logs: GET .../pods/{name}/log.  The container's CRI log file is read in
 * bounded chunks as the client drains them (never the whole file into
 * memory), turned back into the lines the workload wrote (P records are
 * joined), optionally with timestamps and from the last N lines.  With
 * follow, inotify on the log directory says when the shim wrote more; a
 * rotated file is finished and the new one opened; the stream ends when
 * the container is no longer running and its file is read to the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"
#include "net/net.h"

#define CHUNK 65536

struct logstream {
	struct agent *a;
	struct net_http_conn *conn;
	char uid[40], ctr[64];
	char path[4200];
	int fd, ifd;
	ev_io io;
	bool follow, timestamps, at_line_start;
	char rest[RT_LOG_LINE_MAX + 128];	/* a record cut by a chunk */
	size_t restlen;
	bool closed;
	TAILQ_ENTRY(logstream) entry;
};

static void ls_pump(struct logstream *ls);

static const struct ctr *
find_ctr(struct agent *a, const char *uid, const char *name)
{
	struct pod *p;
	size_t i;

	TAILQ_FOREACH(p, &a->pods, entry) {
		if (p->dead || strcmp(p->uid, uid) != 0)
			continue;
		for (i = 0; i < p->nctrs; i++)
			if (strcmp(p->ctrs[i].name, name) == 0)
				return &p->ctrs[i];
	}
	return NULL;
}

static void
ls_free(struct logstream *ls)
{
	TAILQ_REMOVE(&ls->a->logstreams, ls, entry);
	if (ls->ifd >= 0) {
		ev_io_stop(ls->a->loop, &ls->io);
		close(ls->ifd);
	}
	if (ls->fd >= 0)
		close(ls->fd);
	free(ls);
}

/* Turn complete records of buf into output; keep an unfinished tail. */
static int
emit(struct logstream *ls, const char *buf, size_t len, size_t *used)
{
	struct buf out;
	struct rt_logrec rec;
	const char *p = buf, *nl;
	int r = 0;

	buf_init(&out, 4 * CHUNK);
	while ((nl = memchr(p, '\n', (size_t)(buf + len - p))) != NULL) {
		if (rt_log_parse(p, (size_t)(nl - p), &rec) == 0) {
			if (ls->timestamps && ls->at_line_start) {
				buf_append(&out, rec.ts, rec.tslen);
				buf_append(&out, " ", 1);
			}
			buf_append(&out, rec.msg, rec.msglen);
			ls->at_line_start = !rec.partial;
			if (!rec.partial)
				buf_append(&out, "\n", 1);
		}
		p = nl + 1;
	}
	*used = (size_t)(p - buf);
	if (out.len > 0)
		r = net_http_stream_write(ls->conn, out.p, out.len);
	buf_free(&out);
	return r;
}

/* Read and send what the file has now; 1 at EOF, 0 when the client is
 * full (on_drain resumes), < 0 on error. */
static int
ls_read(struct logstream *ls)
{
	char *buf = xmalloc(CHUNK + sizeof(ls->rest));
	size_t used, have;
	ssize_t n;
	int r = 1;

	for (;;) {
		memcpy(buf, ls->rest, ls->restlen);
		n = read(ls->fd, buf + ls->restlen, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 1;
			break;
		}
		have = ls->restlen + (size_t)n;
		r = emit(ls, buf, have, &used);
		ls->restlen = have - used;
		if (ls->restlen > sizeof(ls->rest))
			ls->restlen = 0;	/* not CRI: drop it */
		memcpy(ls->rest, buf + used, ls->restlen);
		if (r == -ENOBUFS) {
			r = 0;
			break;
		}
		if (r < 0)
			break;
	}
	free(buf);
	return r;
}

/* After EOF: a rotated file is done, the new one takes over. */
static bool
ls_rotated(struct logstream *ls)
{
	struct stat a, b;
	int fd;

	if (fstat(ls->fd, &a) < 0 || stat(ls->path, &b) < 0)
		return false;
	if (a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		return false;
	if ((fd = open(ls->path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	close(ls->fd);
	ls->fd = fd;
	ls->restlen = 0;
	return true;
}

static void
ls_pump(struct logstream *ls)
{
	const struct ctr *c;
	int r;

	for (;;) {
		r = ls_read(ls);
		if (r == 0)
			return;		/* wait for on_drain */
		if (r < 0 || !ls->follow)
			break;
		if (ls_rotated(ls))
			continue;
		c = find_ctr(ls->a, ls->uid, ls->ctr);
		if (c != NULL && c->shim_pid > 0)
			return;		/* wait for inotify */
		break;
	}
	ls->closed = true;
	net_http_stream_end(ls->conn);
}

static void
on_drain(struct net_http_conn *c, void *arg)
{
	struct logstream *ls = arg;

	if (!ls->closed)
		ls_pump(ls);
}

static void
on_close(struct net_http_conn *c, void *arg)
{
	ls_free(arg);
}

static void
on_inotify(struct ev_loop *loop, ev_io *w, int revents)
{
	struct logstream *ls = container_of(w, struct logstream, io);
	char buf[4096];

	while (read(ls->ifd, buf, sizeof(buf)) > 0)
		;
	if (!ls->closed)
		ls_pump(ls);
}

/* Start at the last n records of the file. */
static void
seek_tail(int fd, long n)
{
	char buf[8192];
	off_t end, pos;
	long seen = 0;
	ssize_t r, i;

	end = lseek(fd, 0, SEEK_END);
	pos = end;
	while (pos > 0) {
		off_t step = pos > (off_t)sizeof(buf) ? (off_t)sizeof(buf) : pos;

		pos -= step;
		r = pread(fd, buf, (size_t)step, pos);
		if (r <= 0)
			break;
		for (i = r - 1; i >= 0; i--) {
			if (buf[i] != '\n' || pos + i == end - 1)
				continue;
			if (++seen == n) {
				lseek(fd, pos + i + 1, SEEK_SET);
				return;
			}
		}
	}
	lseek(fd, 0, SEEK_SET);
}

static void
fail(struct net_http_conn *conn, int code, const char *reason,
    const char *msg)
{
	api_error(conn, code, reason, msg);
}

void
logs_serve(struct agent *a, struct net_http_conn *conn,
    const struct net_http_req *req, struct pod *p)
{
	static const struct net_http_stream_ops ops = { on_drain, on_close };
	char cname[64] = "", v[32], msg[1024], dir[4096];
	const struct ctr *c = NULL;
	struct logstream *ls;
	long tail = -1;
	bool prev = false;
	size_t i;
	int restart;

	if (net_http_query(req, "container", cname, sizeof(cname)) < 0) {
		if (p->nctrs != 1) {
			size_t off = (size_t)snprintf(msg, sizeof(msg),
			    "a container name must be specified for pod %s, "
			    "choose one of: [", p->name);
			for (i = 0; i < p->nctrs && off < sizeof(msg); i++)
				off += (size_t)snprintf(msg + off,
				    sizeof(msg) - off, "%s%s", i ? " " : "",
				    p->ctrs[i].name);
			if (off < sizeof(msg))
				snprintf(msg + off, sizeof(msg) - off, "]");
			fail(conn, 400, "BadRequest", msg);
			return;
		}
		snprintf(cname, sizeof(cname), "%s", p->ctrs[0].name);
	}
	for (i = 0; i < p->nctrs; i++)
		if (strcmp(p->ctrs[i].name, cname) == 0)
			c = &p->ctrs[i];
	if (c == NULL) {
		snprintf(msg, sizeof(msg), "container %s is not valid for "
		    "pod %s", cname, p->name);
		fail(conn, 400, "BadRequest", msg);
		return;
	}
	if (net_http_query(req, "previous", v, sizeof(v)) == 0)
		prev = strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
	if (net_http_query(req, "tailLines", v, sizeof(v)) == 0)
		tail = strtol(v, NULL, 10);
	restart = c->restarts;
	if (prev) {
		if (!c->last.set) {
			snprintf(msg, sizeof(msg), "previous terminated "
			    "container \"%s\" in pod \"%s\" not found",
			    c->name, p->name);
			fail(conn, 400, "BadRequest", msg);
			return;
		}
		/* Instance N writes N.log and restartCount is N from its
		 * start on, also while it waits in back-off after dying. */
		restart--;
	}
	ctr_log_dir(c, dir, sizeof(dir));
	ls = xcalloc(1, sizeof(*ls));
	ls->a = a;
	ls->conn = conn;
	ls->ifd = -1;
	ls->at_line_start = true;
	snprintf(ls->uid, sizeof(ls->uid), "%s", p->uid);
	snprintf(ls->ctr, sizeof(ls->ctr), "%s", c->name);
	snprintf(ls->path, sizeof(ls->path), "%s/%d.log", dir,
	    restart < 0 ? 0 : restart);
	ls->fd = open(ls->path, O_RDONLY | O_CLOEXEC);
	if (ls->fd < 0) {
		snprintf(msg, sizeof(msg), "container \"%s\" in pod \"%s\" "
		    "is waiting to start: %s", c->name, p->name,
		    c->reason[0] ? c->reason : "no log yet");
		free(ls);
		fail(conn, 400, "BadRequest", msg);
		return;
	}
	if (tail >= 0)
		seek_tail(ls->fd, tail);
	if (tail == 0)
		lseek(ls->fd, 0, SEEK_END);
	if (net_http_query(req, "timestamps", v, sizeof(v)) == 0)
		ls->timestamps = strcmp(v, "true") == 0;
	if (net_http_query(req, "follow", v, sizeof(v)) == 0)
		ls->follow = strcmp(v, "true") == 0 && !prev;
	if (ls->follow) {
		ls->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ls->ifd >= 0 && inotify_add_watch(ls->ifd, dir,
		    IN_MODIFY | IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
			close(ls->ifd);
			ls->ifd = -1;
		}
		if (ls->ifd >= 0) {
			ev_io_init(&ls->io, on_inotify, ls->ifd, EV_READ);
			ev_io_start(a->loop, &ls->io);
		}
	}
	TAILQ_INSERT_TAIL(&a->logstreams, ls, entry);
	if (net_http_stream_begin(conn, 200, "text/plain; charset=utf-8",
	    &ops, ls) < 0) {
		ls_free(ls);
		fail(conn, 500, "InternalError", "cannot start the stream");
		return;
	}
	ls_pump(ls);
}

/* A container's shim is gone: its followers read to the end and finish. */
void
logs_container_ended(struct agent *a, const char *uid, const char *name)
{
	struct logstream *ls, *tmp;

	TAILQ_FOREACH_SAFE(ls, &a->logstreams, entry, tmp)
		if (!ls->closed && strcmp(ls->uid, uid) == 0 &&
		    strcmp(ls->ctr, name) == 0)
			ls_pump(ls);
}
