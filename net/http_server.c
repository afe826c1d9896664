/*
 * http_server: picolet's HTTP/1.1 endpoint on the caller's libev loop.
 * It owns the listeners (a Unix socket, optionally TCP) and every
 * connection: reading and bounding requests, keep-alive, write buffering,
 * chunked streams with back-pressure, idle timeouts.
 *
 * A connection is one state machine.  While a request is with the handler
 * (RESPOND) nothing more is read, so pipelined requests wait in the
 * kernel's socket buffer and in our bounded input buffer, and the handler
 * may answer much later.  A closed connection is only marked dead inside
 * callbacks and freed from the server's ev_prepare watcher, before the
 * loop next sleeps.  At EMFILE/ENFILE, or at NET_HTTP_MAXCONN, accepting
 * is paused (not retried in a loop: the listener stays readable and level
 * triggered epoll would spin) until a connection closes, or a timer
 * second passes.  Writes use send(MSG_NOSIGNAL): a peer that went away
 * must not SIGPIPE the agent.
 *
 * An error the server answers itself (400, 413, 431) may leave the rest
 * of the request unread, and closing a TCP socket with unread data sends
 * an RST, which can destroy the answer before the client reads it.  So
 * after such an answer the connection lingers (RFC 9112 9.6): the write
 * side is shut, and what the peer still sends is read and dropped, up to
 * LINGER_MAX bytes or LINGER_TIME seconds, then it is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ev.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "net/net.h"

#define IDLE_TIMEOUT	30.0
#define ACCEPT_RETRY	1.0
#define INMAX		(NET_HTTP_MAXREQ + NET_HTTP_MAXBODY)
/* one response body is produced whole by the handler; cap it anyway */
#define OUTMAX		(32u << 20)
#define LINGER_TIME	2.0
#define LINGER_MAX	(1u << 20)

enum conn_state {
	C_READ,		/* waiting for (the rest of) a request */
	C_RESPOND,	/* the handler has the request */
	C_WRITE,	/* the response is queued; flush, then next request */
	C_STREAM,	/* chunked response in progress */
	C_LINGER,	/* error sent, write side shut: drop input, then close */
	C_DEAD,		/* closed, waiting to be freed */
};

/* Owned by the server; the handler borrows it until it responds. */
struct net_http_conn {
	struct net_http_server *s;
	struct net_http_conn *next, *prev;
	int fd;
	enum conn_state state;
	ev_io rio, wio;
	ev_timer idle;
	ev_tstamp active;
	char *in;
	size_t inlen, incap;
	size_t reqlen;		/* bytes of the current request in `in` */
	struct buf out;
	bool keepalive, close_after, head, chunked, want_drain, linger;
	bool local;		/* came in on the Unix socket */
	size_t drained;		/* bytes dropped while lingering */
	struct net_http_req req;
	const struct net_http_stream_ops *ops;
	void *ops_arg;
};

struct listener {
	ev_io io;
	int fd;
};

struct net_http_server {
	struct ev_loop *loop;
	net_http_handler h;
	void *arg;
	struct listener ux, tcp;
	char *unix_path;
	bool paused, stopping;
	ev_timer retry;
	ev_prepare reap;
	struct net_http_conn *conns, *dead;
	size_t nconn;
};

static void conn_input(struct net_http_conn *c);

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

/* At MAXCONN a closing connection resumes accepting; at EMFILE the fds
 * may belong to someone else, so a timer retries as well. */
static void
accept_pause(struct net_http_server *s, bool retry)
{
	if (!s->paused) {
		s->paused = true;
		ev_io_stop(s->loop, &s->ux.io);
		ev_io_stop(s->loop, &s->tcp.io);
	}
	if (retry && !ev_is_active(&s->retry)) {
		ev_timer_set(&s->retry, ACCEPT_RETRY, 0.);
		ev_timer_start(s->loop, &s->retry);
	}
}

static void
accept_resume(struct net_http_server *s)
{
	if (!s->paused || s->stopping || s->nconn >= NET_HTTP_MAXCONN)
		return;
	s->paused = false;
	ev_timer_stop(s->loop, &s->retry);
	if (s->ux.fd >= 0)
		ev_io_start(s->loop, &s->ux.io);
	if (s->tcp.fd >= 0)
		ev_io_start(s->loop, &s->tcp.io);
}

static void
retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct net_http_server *s = container_of(w, struct net_http_server,
	    retry);

	/* listening again: a new EMFILE pauses and re-arms */
	accept_resume(s);
}

/*
 * Close now, free later: the caller may be one of c's own callbacks.
 * A stream's owner is told (not after net_http_stream_end).
 */
static void
conn_close(struct net_http_conn *c)
{
	struct net_http_server *s = c->s;
	bool was_stream = c->state == C_STREAM;

	if (c->state == C_DEAD)
		return;
	c->state = C_DEAD;
	ev_io_stop(s->loop, &c->rio);
	ev_io_stop(s->loop, &c->wio);
	ev_timer_stop(s->loop, &c->idle);
	close(c->fd);
	c->fd = -1;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = NULL;
	c->next = s->dead;
	s->dead = c;
	s->nconn--;
	ev_prepare_start(s->loop, &s->reap);
	if (was_stream && c->ops && c->ops->on_close)
		c->ops->on_close(c, c->ops_arg);
	accept_resume(s);
}

static void
conn_free(struct net_http_conn *c)
{
	free(c->in);
	buf_free(&c->out);
	free(c);
}

static void
reap_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct net_http_server *s = container_of(w, struct net_http_server,
	    reap);
	struct net_http_conn *c;

	while ((c = s->dead) != NULL) {
		s->dead = c->next;
		conn_free(c);
	}
	ev_prepare_stop(loop, w);
}

/* The answer is out: no more writes; read what the peer still sends. */
static void
linger(struct net_http_conn *c)
{
	struct ev_loop *loop = c->s->loop;

	if (shutdown(c->fd, SHUT_WR) < 0) {
		conn_close(c);
		return;
	}
	c->state = C_LINGER;
	c->drained = 0;
	c->active = ev_now(loop);
	c->idle.repeat = LINGER_TIME;
	ev_timer_again(loop, &c->idle);
	ev_io_start(loop, &c->rio);
}

static void
flush(struct net_http_conn *c)
{
	struct ev_loop *loop = c->s->loop;
	ssize_t n;

	while (c->out.len > 0) {
		n = send(c->fd, c->out.p, c->out.len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ev_io_start(loop, &c->wio);
			return;
		}
		if (n <= 0) {
			conn_close(c);
			return;
		}
		buf_consume(&c->out, (size_t)n);
		c->active = ev_now(loop);
	}
	ev_io_stop(loop, &c->wio);
	if (c->state == C_STREAM) {
		if (c->want_drain && c->ops && c->ops->on_drain) {
			c->want_drain = false;
			c->ops->on_drain(c, c->ops_arg);
		}
		return;
	}
	if (c->state != C_WRITE)
		return;
	if (c->linger) {
		linger(c);
		return;
	}
	if (c->close_after || !c->keepalive) {
		conn_close(c);
		return;
	}
	/* the response is out: drop the request, look at what follows */
	memmove(c->in, c->in + c->reqlen, c->inlen - c->reqlen);
	c->inlen -= c->reqlen;
	c->reqlen = 0;
	c->state = C_READ;
	ev_io_start(loop, &c->rio);
	conn_input(c);
}

static void
write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	flush(container_of(w, struct net_http_conn, wio));
}

/* Queue the head; the caller queues the body.  -1 when out is full. */
static int
queue_head(struct net_http_conn *c, int status, const char *ctype,
    size_t len, bool chunked)
{
	int r;

	r = buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n",
	    status, reason(status), ctype ? ctype : "text/plain");
	if (r == 0 && chunked)
		r = buf_puts(&c->out, "Transfer-Encoding: chunked\r\n");
	else if (r == 0 && len != (size_t)-1)
		r = buf_printf(&c->out, "Content-Length: %zu\r\n", len);
	/* an HTTP/1.0 client keeps the connection only when told so */
	if (r == 0 && (!c->keepalive || c->close_after))
		r = buf_puts(&c->out, "Connection: close\r\n");
	else if (r == 0 && c->req.minor == 0)
		r = buf_puts(&c->out, "Connection: keep-alive\r\n");
	if (r == 0)
		r = buf_puts(&c->out, "\r\n");
	return r;
}

void
net_http_respond(struct net_http_conn *c, int status, const char *ctype,
    const char *body, size_t len)
{
	if (c->state != C_RESPOND)
		return;
	c->state = C_WRITE;
	if (queue_head(c, status, ctype, len, false) < 0 || (!c->head &&
	    buf_append(&c->out, body, len) < 0)) {
		conn_close(c);
		return;
	}
	c->active = ev_now(c->s->loop);
	ev_io_start(c->s->loop, &c->wio);
}

/* An error the server answers itself; the connection is not reused. */
static void
fail(struct net_http_conn *c, int status)
{
	char body[64];
	int n;

	n = snprintf(body, sizeof(body), "%d %s\n", status, reason(status));
	c->close_after = true;
	c->linger = true;
	c->head = false;
	c->state = C_RESPOND;
	ev_io_stop(c->s->loop, &c->rio);
	net_http_respond(c, status, "text/plain", body, (size_t)n);
}

/* Framing of the body; 0 ok (reqlen set), else the status to fail with. */
static int
body_frame(struct net_http_conn *c, size_t headlen)
{
	char v[32], *end;
	unsigned long long cl = 0;
	bool have_te;

	have_te = net_http_header(&c->req, "Transfer-Encoding", v,
	    sizeof(v)) != -ENOENT;
	if (net_http_header(&c->req, "Content-Length", v, sizeof(v)) >= 0) {
		if (have_te || v[0] < '0' || v[0] > '9')
			return 400;
		errno = 0;
		cl = strtoull(v, &end, 10);
		if (*end != '\0' || errno != 0)
			return 400;
		if (cl > NET_HTTP_MAXBODY)
			return 413;
	} else if (net_http_header(&c->req, "Content-Length", v, sizeof(v)) ==
	    -ENOSPC)
		return 400;
	else if (have_te)
		return 411;
	c->reqlen = headlen + cl;
	return 0;
}

static void
dispatch(struct net_http_conn *c)
{
	char v[64];

	c->keepalive = c->req.minor >= 1;
	if (net_http_header(&c->req, "Connection", v, sizeof(v)) >= 0) {
		if (strcasestr(v, "close") != NULL)
			c->keepalive = false;
		else if (strcasestr(v, "keep-alive") != NULL)
			c->keepalive = true;
	}
	c->head = c->req.mlen == 4 && memcmp(c->req.method, "HEAD", 4) == 0;
	c->close_after = false;
	c->state = C_RESPOND;
	ev_io_stop(c->s->loop, &c->rio);
	c->s->h(c, &c->req, c->s->arg);
}

/* Try to take one complete request from the input buffer. */
static void
conn_input(struct net_http_conn *c)
{
	int n, st;

	if (c->state != C_READ || c->inlen == 0)
		return;
	n = net_http_parse(c->in, MIN(c->inlen, (size_t)NET_HTTP_MAXREQ),
	    &c->req);
	if (n == -2 && c->inlen < NET_HTTP_MAXREQ)
		return;
	st = n == -2 ? 431 : n < 0 ? 400 : body_frame(c, (size_t)n);
	if (st != 0) {
		fail(c, st);
		return;
	}
	if (c->inlen < c->reqlen)
		return;
	c->req.blen = c->reqlen - (size_t)n;
	c->req.body = c->req.blen ? c->in + n : NULL;
	dispatch(c);
}

static void
read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct net_http_conn *c = container_of(w, struct net_http_conn, rio);
	char sink[4096];
	ssize_t n;

	if (c->state == C_LINGER) {
		n = recv(c->fd, sink, sizeof(sink), 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n > 0)
			c->drained += (size_t)n;
		if (n <= 0 || c->drained >= LINGER_MAX)
			conn_close(c);
		return;
	}
	if (c->state == C_STREAM) {
		/* only to notice the peer leaving; requests after a stream
		 * are not served, the connection ends with it */
		n = recv(c->fd, sink, sizeof(sink), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(c);
		else if (n > 0)
			c->close_after = true;
		return;
	}
	if (c->inlen == c->incap) {
		c->incap = c->incap ? MIN(c->incap * 2, (size_t)INMAX) : 4096;
		c->in = xrealloc(c->in, c->incap);
	}
	n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	c->active = ev_now(loop);
	conn_input(c);
}

/* libev's "timeout strategy 4": one timer, re-armed from the last
 * activity, instead of restarting it on every read. */
static void
idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct net_http_conn *c = container_of(w, struct net_http_conn, idle);
	ev_tstamp due = c->active + (c->state == C_LINGER ? LINGER_TIME :
	    IDLE_TIMEOUT);
	bool waiting = c->state == C_RESPOND ||
	    (c->state == C_STREAM && c->out.len == 0);

	if (waiting)
		c->active = ev_now(loop);
	if (!waiting && due <= ev_now(loop)) {
		conn_close(c);
		return;
	}
	w->repeat = waiting ? IDLE_TIMEOUT : due - ev_now(loop);
	ev_timer_again(loop, w);
}

static void
conn_new(struct net_http_server *s, int fd, bool local)
{
	struct net_http_conn *c = xcalloc(1, sizeof(*c));

	c->s = s;
	c->fd = fd;
	c->local = local;
	c->state = C_READ;
	buf_init(&c->out, OUTMAX);
	ev_io_init(&c->rio, read_cb, fd, EV_READ);
	ev_io_init(&c->wio, write_cb, fd, EV_WRITE);
	ev_init(&c->idle, idle_cb);
	c->active = ev_now(s->loop);
	c->idle.repeat = IDLE_TIMEOUT;
	ev_timer_again(s->loop, &c->idle);
	ev_io_start(s->loop, &c->rio);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconn++;
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct net_http_server *s = w->data;
	struct listener *l = container_of(w, struct listener, io);
	int fd, i;

	/* bounded, so one busy listener cannot starve the loop */
	for (i = 0; i < 16; i++) {
		if (s->nconn >= NET_HTTP_MAXCONN) {
			accept_pause(s, false);
			return;
		}
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				accept_pause(s, true);
			/* EAGAIN, or an aborted connection: nothing to do */
			return;
		}
		conn_new(s, fd, l == &s->ux);
	}
}

bool
net_http_conn_local(const struct net_http_conn *c)
{
	return c->local;
}

int
net_http_stream_begin(struct net_http_conn *c, int status, const char *ctype,
    const struct net_http_stream_ops *ops, void *arg)
{
	if (c->state != C_RESPOND)
		return -EINVAL;
	/* HTTP/1.0 has no chunked coding: the end of the stream is EOF */
	c->chunked = c->req.minor >= 1 && !c->head;
	if (!c->chunked)
		c->close_after = true;
	if (queue_head(c, status, ctype, (size_t)-1, c->chunked) < 0)
		return -ENOBUFS;
	c->ops = ops;
	c->ops_arg = arg;
	c->state = C_STREAM;
	c->want_drain = false;
	c->active = ev_now(c->s->loop);
	ev_io_start(c->s->loop, &c->rio);
	ev_io_start(c->s->loop, &c->wio);
	return 0;
}

int
net_http_stream_write(struct net_http_conn *c, const void *data, size_t len)
{
	int r;

	if (c->state != C_STREAM)
		return -EPIPE;
	if (len == 0 || c->head)
		return 0;
	/* a writer that ignored the last -ENOBUFS gets nothing queued */
	if (c->out.len >= NET_HTTP_MAXSTREAMBUF) {
		c->want_drain = true;
		return -ENOBUFS;
	}
	r = c->chunked ? buf_printf(&c->out, "%zx\r\n", len) : 0;
	if (r == 0)
		r = buf_append(&c->out, data, len);
	if (r == 0 && c->chunked)
		r = buf_puts(&c->out, "\r\n");
	if (r < 0) {
		conn_close(c);
		return -EPIPE;
	}
	ev_io_start(c->s->loop, &c->wio);
	if (c->out.len < NET_HTTP_MAXSTREAMBUF)
		return 0;
	c->want_drain = true;
	return -ENOBUFS;	/* queued, but stop until on_drain */
}

void
net_http_stream_end(struct net_http_conn *c)
{
	if (c->state != C_STREAM)
		return;
	c->state = C_WRITE;
	ev_io_stop(c->s->loop, &c->rio);
	if (c->chunked && !c->head && buf_puts(&c->out, "0\r\n\r\n") < 0)
		c->close_after = true;
	ev_io_start(c->s->loop, &c->wio);
}

static void
listener_init(struct net_http_server *s, struct listener *l, int fd)
{
	l->fd = fd;
	ev_io_init(&l->io, accept_cb, fd, EV_READ);
	l->io.data = s;
	if (fd >= 0)
		ev_io_start(s->loop, &l->io);
}

int
net_http_start(struct net_http_server **out, struct ev_loop *loop,
    const char *unix_path, mode_t mode, const char *listen, net_http_handler h,
    void *arg, struct err *err)
{
	struct net_http_server *s;
	int ufd = -1, tfd = -1;

	if (unix_path != NULL && unix_path[0] != '\0' &&
	    (ufd = net_listen_unix(unix_path, mode, err)) < 0)
		return ufd;
	if (listen != NULL && listen[0] != '\0' &&
	    (tfd = net_listen_tcp(listen, err)) < 0) {
		if (ufd >= 0) {
			close(ufd);
			unlink(unix_path);
		}
		return tfd;
	}
	s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->h = h;
	s->arg = arg;
	s->unix_path = ufd >= 0 ? xstrdup(unix_path) : NULL;
	listener_init(s, &s->ux, ufd);
	listener_init(s, &s->tcp, tfd);
	ev_init(&s->retry, retry_cb);
	ev_prepare_init(&s->reap, reap_cb);
	*out = s;
	return 0;
}

void
net_http_stop(struct net_http_server *s)
{
	struct listener *ls[] = { &s->ux, &s->tcp };
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < ARRAY_SIZE(ls); i++) {
		ev_io_stop(s->loop, &ls[i]->io);
		if (ls[i]->fd >= 0)
			close(ls[i]->fd);
	}
	if (s->unix_path)
		unlink(s->unix_path);
	ev_timer_stop(s->loop, &s->retry);
	s->stopping = true;	/* conn_close must not restart the listeners */
	while (s->conns != NULL)
		conn_close(s->conns);
	reap_cb(s->loop, &s->reap, 0);
	free(s->unix_path);
	free(s);
}
