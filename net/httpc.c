/*
 * httpc: the HTTP/1.1 client (probes, hooks, registry pulls), one request
 * per connection, on the caller's libev loop.  A request is one state
 * machine: CONNECT -> HANDSHAKE (TLS) -> SEND -> HEAD -> BODY, then done
 * is called once and the request freed.  One ev_timer holds both the
 * overall deadline and the idle limit (libev's "timer that is moved
 * lazily" pattern: only the timer callback looks at the last read time).
 *
 * Everything is bounded: the head (NET_HTTPC_MAXHEAD, 1xx heads
 * included), the body kept (max_body), bytes read per io callback (then
 * epoll comes back to us; for TLS, decrypted bytes mbedtls holds are
 * drained first since epoll cannot see them).  Connection errors found
 * by connect() itself (loopback refuses at once) are reported from a
 * zero timer, so done never runs inside net_httpc_start().  The socket
 * of a request into a pod's network namespace is made there (setns,
 * socket, setns back); the kernel keeps a socket in the namespace it was
 * made in, so the rest is ordinary.
 *
 * Cheap for probes (hundreds a second): a peer on this host (a pod over a
 * veth, loopback) has mostly finished the TCP handshake by the time
 * connect() returns, so a plain request is sent at once, without a
 * wake-up and getsockopt for the connect; EAGAIN means it had not.  The
 * response is not looked for right after the request is sent: it cannot
 * be there yet, and epoll says when it is.
 *
 * Callbacks may cancel any request, their own included: a request on
 * the stack (busy) is only marked and freed when control comes back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "net/net.h"

#define READSZ		16384
#define READS_PER_CB	16
#define REQMAX		(64 * 1024)	/* request head */

/* S_FAILED: connect() failed at once; the timer reports it */
enum state { S_FAILED, S_CONNECT, S_HANDSHAKE, S_SEND, S_HEAD, S_BODY };
enum framing { F_LENGTH, F_CHUNKED, F_EOF };

/* Owned by the caller's handle until done returns or cancel. */
struct net_httpc {
	struct ev_loop *loop;
	net_httpc_done done;
	net_httpc_data on_data;
	void *arg;
	enum state state;
	int fd;
	ev_io io;
	ev_timer timer;
	ev_tstamp deadline, idle, last;
	struct net_tls *tls;
	char peer[64];		/* "addr:port" for messages */
	bool head_only, stream, cancelled, rst_close;
	int busy;
	size_t max_body;
	enum net_httpc_overflow overflow;
	struct buf out;		/* the request */
	size_t off;		/* of it sent */
	struct buf in;		/* the response head(s) */
	size_t hstart;		/* where the final head starts in `in` */
	enum framing framing;
	unsigned long long left;
	struct net_httpc_chunked ch;
	struct buf body;
	struct net_httpc_res res;
};

static void
free_req(struct net_httpc *c)
{
	ev_io_stop(c->loop, &c->io);
	ev_timer_stop(c->loop, &c->timer);
	net_tls_free(c->tls);
	if (c->fd >= 0)
		close(c->fd);
	buf_free(&c->out);
	buf_free(&c->in);
	buf_free(&c->body);
	free(c);
}

/* Call done with error (0 or -errno, message in c->res.err) and free. */
static int
finish(struct net_httpc *c, int error)
{
	static const struct linger rst = { .l_onoff = 1, .l_linger = 0 };

	ev_io_stop(c->loop, &c->io);
	ev_timer_stop(c->loop, &c->timer);
	net_tls_free(c->tls);
	c->tls = NULL;
	if (c->rst_close)
		(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &rst,
		    sizeof(rst));
	close(c->fd);
	c->fd = -1;
	c->res.error = error;
	if (c->state < S_BODY)
		memset(&c->res.head, 0, sizeof(c->res.head));
	c->res.body = c->body.p != NULL ? c->body.p : "";
	c->res.body_len = c->body.len;
	c->busy++;
	c->done(&c->res, c->arg);
	free_req(c);
	return 1;
}

static int
malformed(struct net_httpc *c, const char *why)
{
	err_setx(&c->res.err, EPROTO, "malformed response: %s", why);
	return finish(c, -EPROTO);
}

static void
watch(struct net_httpc *c, int events)
{
	if (ev_is_active(&c->io) && c->io.events == events)
		return;
	ev_io_stop(c->loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(c->loop, &c->io);
}

/* ---- body ---- */

/* Like buf_append, but growing to max_body + 1 at most, not to the next
 * power of two past it. */
static void
keep(struct net_httpc *c, const char *p, size_t n)
{
	struct buf *b = &c->body;
	size_t cap;

	if (b->len + n + 1 > b->cap) {
		cap = MAX(MAX(b->cap * 2, b->len + n + 1), 256);
		b->cap = MIN(cap, c->max_body + 1);
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Body bytes: to on_data, or kept; 1 when c is gone. */
static int
deliver(struct net_httpc *c, const char *p, size_t n)
{
	size_t room;
	int r;

	if (n == 0)
		return 0;
	if (c->stream) {
		c->busy++;
		r = c->on_data(&c->res, p, n, c->arg);
		c->busy--;
		if (c->cancelled) {
			free_req(c);
			return 1;
		}
		if (r < 0) {
			err_set(&c->res.err, -r, "body consumer");
			return finish(c, r);
		}
		return 0;
	}
	room = c->max_body - c->body.len;
	if (n <= room) {
		keep(c, p, n);
		return 0;
	}
	if (c->overflow == NET_HTTPC_BODY_FAIL && c->on_data == NULL) {
		err_setx(&c->res.err, EMSGSIZE, "body larger than %zu bytes",
		    c->max_body);
		return finish(c, -EMSGSIZE);
	}
	keep(c, p, room);
	c->res.truncated = true;
	return finish(c, 0);
}

static int
body_feed(struct net_httpc *c, const char *p, size_t n)
{
	size_t take;
	long r;

	while (n > 0) {
		switch (c->framing) {
		case F_LENGTH:
			take = c->left < n ? (size_t)c->left : n;
			c->left -= take;
			if (deliver(c, p, take))
				return 1;
			return c->left == 0 ? finish(c, 0) : 0;
		case F_EOF:
			return deliver(c, p, n);
		case F_CHUNKED:
			if ((r = net_httpc_chunked_step(&c->ch, p, n,
			    &take)) < 0)
				return malformed(c, "bad chunked encoding");
			if (deliver(c, p, take))
				return 1;
			if (net_httpc_chunked_done(&c->ch))
				return finish(c, 0);
			p += r;
			n -= (size_t)r;
			break;
		}
	}
	return 0;
}

/* Content-Length: digits, or a list of the same value; -1 if bad. */
static long long
parse_length(const char *v)
{
	long long n = -1, m;
	const char *p = v;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (m = 0; *p >= '0' && *p <= '9'; p++) {
			if (m > (1LL << 53))
				return -1;
			m = m * 10 + (*p - '0');
		}
		if (n >= 0 && m != n)
			return -1;
		n = m;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return n;
		if (*p++ != ',')
			return -1;
	}
}

/* A body is chunked only if chunked is the last coding; else it ends at
 * EOF (RFC 9112 6.3). */
static bool
chunked_last(const struct net_http_header *f)
{
	const char *s = f->value, *e = s + f->vlen, *t;

	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == ','))
		e--;
	for (t = e; t > s && t[-1] != ',' && t[-1] != ' ' && t[-1] != '\t';
	    t--)
		;
	return e - t == 7 && strncasecmp(t, "chunked", 7) == 0;
}

/* RFC 9112 6.3: how the body ends.  1 when c is gone. */
static int
body_start(struct net_httpc *c)
{
	const struct net_httpc_head *h = &c->res.head;
	const struct net_http_header *te = NULL;
	char val[64];
	size_t i;

	c->res.content_length = -1;
	c->state = S_BODY;
	if (c->head_only || h->status == 204 || h->status == 304)
		return finish(c, 0);
	c->stream = c->on_data != NULL && h->status / 100 == 2;
	for (i = 0; i < h->nh; i++) {
		if (h->h[i].nlen == 17 && strncasecmp(h->h[i].name,
		    "transfer-encoding", 17) == 0)
			te = &h->h[i];
	}
	if (te != NULL) {
		c->framing = chunked_last(te) ? F_CHUNKED : F_EOF;
		return 0;
	}
	switch (net_httpc_header(h, "Content-Length", val, sizeof(val))) {
	case -ENOENT:
		c->framing = F_EOF;
		return 0;
	case 0:
		if ((c->res.content_length = parse_length(val)) >= 0)
			break;
		/* FALLTHROUGH */
	default:
		return malformed(c, "bad Content-Length");
	}
	c->framing = F_LENGTH;
	c->left = (unsigned long long)c->res.content_length;
	if (c->on_data == NULL && c->overflow == NET_HTTPC_BODY_FAIL &&
	    c->left > c->max_body) {
		err_setx(&c->res.err, EMSGSIZE, "body of %lld bytes is larger "
		    "than %zu", c->res.content_length, c->max_body);
		return finish(c, -EMSGSIZE);
	}
	return c->left == 0 ? finish(c, 0) : 0;
}

/* ---- head ---- */

/* The final head was parsed at in[hstart..hstart + r). */
static int
head_done(struct net_httpc *c, int r)
{
	if (c->res.head.status == 101)
		return malformed(c, "unexpected 101 Switching Protocols");
	if (c->res.head.status >= 200)
		return body_start(c);
	c->hstart += (size_t)r;	/* 100 Continue, 103 Early Hints */
	return 0;
}

/*
 * Bytes while a head is expected.  A head that arrives whole is copied
 * alone (the first read is often head and body together, and only the
 * head is kept); a partial one is gathered in `in`, and the bytes past
 * its end given back to p.
 */
static int
head_feed(struct net_httpc *c, const char *p, size_t n)
{
	size_t fit, used, old;
	int r;

	while (c->state == S_HEAD && n > 0) {
		old = c->in.len;
		fit = MIN(n, NET_HTTPC_MAXHEAD - 1 - old);
		if (old == c->hstart) {
			r = net_httpc_parse(p, fit, &c->res.head);
			(void)buf_append(&c->in, p, r > 0 ? (size_t)r : fit);
		} else
			(void)buf_append(&c->in, p, fit);
		r = net_httpc_parse(c->in.p + c->hstart, c->in.len - c->hstart,
		    &c->res.head);
		if (r == -1)
			return malformed(c, c->res.head.bad);
		if (r == -2) {
			if (c->in.len < NET_HTTPC_MAXHEAD - 1)
				return 0;
			err_setx(&c->res.err, EMSGSIZE, "response header too "
			    "large (limit %d bytes)", NET_HTTPC_MAXHEAD);
			return finish(c, -EMSGSIZE);
		}
		used = c->hstart + (size_t)r - old;
		c->in.len = c->hstart + (size_t)r;
		p += used;
		n -= used;
		if (head_done(c, r))
			return 1;
	}
	return n > 0 ? body_feed(c, p, n) : 0;
}

static int
on_eof(struct net_httpc *c)
{
	if (c->state == S_HEAD)
		return malformed(c, c->in.len == 0 ?
		    "connection closed without a response" :
		    "connection closed inside the head");
	if (c->framing == F_EOF)
		return finish(c, 0);
	if (c->framing == F_CHUNKED)
		return malformed(c, "truncated chunked body");
	err_setx(&c->res.err, EPROTO, "malformed response: truncated body "
	    "(%llu of %lld bytes missing)", c->left, c->res.content_length);
	return finish(c, -EPROTO);
}

/* ---- io ---- */

static int
do_read(struct net_httpc *c)
{
	char buf[READSZ];
	long n;
	int i;

	for (i = 0; ; i++) {
		if (i >= READS_PER_CB && (c->tls == NULL ||
		    !net_tls_pending(c->tls)))
			return 0;
		if (c->tls != NULL) {
			n = net_tls_read(c->tls, buf, sizeof(buf),
			    &c->res.err);
			if (n == -EAGAIN) {
				watch(c, net_tls_want(c->tls));
				return 0;
			}
			if (n < 0)
				err_prefix(&c->res.err, "%s", c->peer);
		} else if ((n = recv(c->fd, buf, sizeof(buf), 0)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			n = err_set(&c->res.err, errno, "recv from %s",
			    c->peer);
		}
		if (n < 0)
			return finish(c, (int)n);
		if (n == 0)
			return on_eof(c);
		c->last = ev_now(c->loop);
		if ((c->state == S_HEAD ? head_feed(c, buf, (size_t)n) :
		    body_feed(c, buf, (size_t)n)))
			return 1;
	}
}

static int
do_send(struct net_httpc *c)
{
	long n;

	while (c->off < c->out.len) {
		if (c->tls != NULL) {
			n = net_tls_write(c->tls, c->out.p + c->off,
			    c->out.len - c->off, &c->res.err);
			if (n == -EAGAIN) {
				watch(c, net_tls_want(c->tls));
				return 0;
			}
			if (n < 0)
				err_prefix(&c->res.err, "%s", c->peer);
		} else if ((n = send(c->fd, c->out.p + c->off,
		    c->out.len - c->off, MSG_NOSIGNAL)) < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				watch(c, EV_WRITE);
				return 0;
			}
			n = err_set(&c->res.err, errno, "send to %s", c->peer);
		}
		if (n < 0)
			return finish(c, (int)n);
		c->off += (size_t)n;
	}
	buf_free(&c->out);
	c->state = S_HEAD;
	watch(c, EV_READ);
	return 0;
}

static int
step(struct net_httpc *c)
{
	socklen_t len = sizeof(int);
	int e = 0, r;

	switch (c->state) {
	case S_CONNECT:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
			e = errno;
		if (e != 0) {
			err_set(&c->res.err, e, "connect %s", c->peer);
			return finish(c, -e);
		}
		c->state = c->tls != NULL ? S_HANDSHAKE : S_SEND;
		return step(c);
	case S_HANDSHAKE:
		r = net_tls_handshake(c->tls, &c->res.err);
		if (r == -EAGAIN) {
			watch(c, net_tls_want(c->tls));
			return 0;
		}
		if (r < 0) {
			err_prefix(&c->res.err, "%s", c->peer);
			return finish(c, r);
		}
		c->state = S_SEND;
		return step(c);
	case S_SEND:
		return do_send(c);
	default:
		return do_read(c);
	}
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)step(container_of(w, struct net_httpc, io));
}

static const char *
doing(enum state s)
{
	switch (s) {
	case S_CONNECT: return "connecting";
	case S_HANDSHAKE: return "in the TLS handshake";
	case S_SEND: return "sending the request";
	case S_HEAD: return "waiting for the response head";
	default: return "reading the body";
	}
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct net_httpc *c = container_of(w, struct net_httpc, timer);
	ev_tstamp now = ev_now(loop), at = c->deadline;

	if (c->state == S_FAILED) {
		(void)finish(c, c->res.error);
		return;
	}
	if (now >= c->deadline) {
		err_setx(&c->res.err, ETIMEDOUT, "%s: timed out %s",
		    c->peer, doing(c->state));
		(void)finish(c, -ETIMEDOUT);
		return;
	}
	if (c->idle > 0 && now >= c->last + c->idle) {
		err_setx(&c->res.err, ETIMEDOUT, "%s: nothing received for "
		    "%.0f ms %s", c->peer, c->idle * 1e3, doing(c->state));
		(void)finish(c, -ETIMEDOUT);
		return;
	}
	if (c->idle > 0 && c->last + c->idle < at)
		at = c->last + c->idle;
	ev_timer_set(w, at - now, 0.);
	ev_timer_start(loop, w);
}

void
net_httpc_cancel(struct net_httpc *c)
{
	if (c == NULL)
		return;
	if (c->busy) {
		c->cancelled = true;
		return;
	}
	free_req(c);
}

/* ---- start ---- */

static bool
token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') ||
		    strchr("!#$%&'*+-.^_`|~", *s) != NULL))
			return false;
	}
	return true;
}

/* No control characters (CR, LF: header injection); SP and HTAB only
 * inside header values (sp). */
static bool
printable(const char *s, bool sp)
{
	for (; *s != '\0'; s++) {
		if (sp && (*s == ' ' || *s == '\t'))
			continue;
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	}
	return true;
}

static int
check_req(const struct net_httpc_req *q, const char *method, const char *path,
    struct err *err)
{
	size_t i;

	if (q->addr == NULL || q->port == 0)
		return err_setx(err, EINVAL, "http request: no address or "
		    "port");
	if (!token(method) || path[0] != '/' || !printable(path, false) ||
	    q->host[0] == '\0' || !printable(q->host, false))
		return err_setx(err, EINVAL, "http request: bad method, path "
		    "or host");
	for (i = 0; i < q->nheaders; i++) {
		if (!token(q->headers[i].name) ||
		    !printable(q->headers[i].value, true))
			return err_setx(err, EINVAL, "http request: bad header "
			    "%s", token(q->headers[i].name) ?
			    q->headers[i].name : "name");
	}
	return 0;
}

static void
build(struct net_httpc *c, const struct net_httpc_req *q, const char *method,
    const char *path)
{
	bool host = false, v6 = strchr(q->host, ':') != NULL;
	struct buf *b = &c->out;
	size_t i;

	buf_init(b, REQMAX + q->body_len);
	(void)buf_printf(b, "%s %s HTTP/1.1\r\n", method, path);
	for (i = 0; i < q->nheaders; i++) {
		host |= strcasecmp(q->headers[i].name, "Host") == 0;
		(void)buf_printf(b, "%s: %s\r\n", q->headers[i].name,
		    q->headers[i].value);
	}
	if (!host && q->port == (q->tls ? 443 : 80))
		(void)buf_printf(b, "Host: %s%s%s\r\n", v6 ? "[" : "", q->host,
		    v6 ? "]" : "");
	else if (!host)
		(void)buf_printf(b, "Host: %s%s%s:%u\r\n", v6 ? "[" : "",
		    q->host, v6 ? "]" : "", q->port);
	if (q->body != NULL)
		(void)buf_printf(b, "Content-Length: %zu\r\n", q->body_len);
	(void)buf_puts(b, "Connection: close\r\n\r\n");
	if (q->body != NULL)
		(void)buf_append(b, q->body, q->body_len);
}

static int
connect_to(struct net_httpc *c, const struct net_httpc_req *q,
    struct err *err)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, q->addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(q->port);
		len = sizeof(*in4);
		snprintf(c->peer, sizeof(c->peer), "%s:%u", q->addr, q->port);
	} else if (inet_pton(AF_INET6, q->addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(q->port);
		len = sizeof(*in6);
		snprintf(c->peer, sizeof(c->peer), "[%s]:%u", q->addr,
		    q->port);
	} else
		return err_setx(err, EINVAL, "http request: %s is not a "
		    "numeric address", q->addr);
	c->fd = net_socket_netns(q->netns, ss.ss_family, SOCK_STREAM |
	    SOCK_NONBLOCK, err);
	if (c->fd < 0)
		return c->fd;
	if (connect(c->fd, (struct sockaddr *)&ss, len) == 0)
		c->state = S_SEND;
	else if (errno == EINPROGRESS)
		c->state = S_CONNECT;
	else {
		/* refused at once (loopback): reported from the loop */
		c->res.error = err_set(&c->res.err, errno, "connect %s",
		    c->peer);
		c->state = S_FAILED;
	}
	return 0;
}

/* connect() said EINPROGRESS: the handshake may be over all the same. */
static void
send_early(struct net_httpc *c)
{
	ssize_t n;

	n = send(c->fd, c->out.p, c->out.len, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;		/* not yet: EV_WRITE, then S_CONNECT */
	if (n < 0) {
		/* refused or unreachable: reported from the loop */
		c->res.error = err_set(&c->res.err, errno, "connect %s",
		    c->peer);
		c->state = S_FAILED;
		return;
	}
	c->off = (size_t)n;
	c->state = S_SEND;
	if (c->off == c->out.len) {
		buf_free(&c->out);
		c->state = S_HEAD;
	}
}

int
net_httpc_start(struct ev_loop *loop, const struct net_httpc_req *req,
    net_httpc_done done, void *arg, struct net_httpc **out, struct err *err)
{
	struct net_httpc_req qq = *req, *q = &qq;
	const char *method = q->method ? q->method : "GET";
	const char *path = q->path ? q->path : "/";
	struct net_httpc *c;
	unsigned ms = q->timeout_ms ? q->timeout_ms : NET_HTTPC_TIMEOUT_MS;
	int r;

	if (q->host == NULL)
		q->host = q->addr;
	if ((r = check_req(q, method, path, err)) < 0)
		return r;
	c = xcalloc(1, sizeof(*c));
	c->loop = loop;
	c->done = done;
	c->on_data = q->on_data;
	c->arg = arg;
	c->fd = -1;
	c->head_only = strcmp(method, "HEAD") == 0;
	c->max_body = q->max_body;
	c->overflow = q->overflow;
	c->rst_close = q->rst_close;
	c->res.content_length = -1;
	buf_init(&c->in, NET_HTTPC_MAXHEAD);
	buf_init(&c->body, q->max_body);
	ev_io_init(&c->io, io_cb, -1, EV_WRITE);
	ev_timer_init(&c->timer, timer_cb, 0., 0.);
	build(c, q, method, path);
	if ((r = connect_to(c, q, err)) < 0)
		goto fail;
	if (q->tls && (r = net_tls_new(&c->tls, c->fd, q->host, q->tls_verify,
	    q->ca_file, err)) < 0)
		goto fail;
	if (c->state == S_SEND && c->tls != NULL)
		c->state = S_HANDSHAKE;
	if (c->state == S_CONNECT && c->tls == NULL)
		send_early(c);
	/* the caller may have worked long since the loop last woke */
	ev_now_update(loop);
	c->last = ev_now(loop);
	c->deadline = c->last + ms / 1e3;
	c->idle = q->idle_ms / 1e3;
	ev_io_set(&c->io, c->fd, c->state == S_HEAD ? EV_READ : EV_WRITE);
	if (c->state == S_FAILED) {
		ev_timer_start(loop, &c->timer);
	} else {
		ev_io_start(loop, &c->io);
		timer_cb(loop, &c->timer, 0);
	}
	*out = c;
	return 0;
fail:
	free_req(c);
	return r;
}
