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
 *
 * This file is the request's life and its socket; the request is checked
 * and written by httpc_req.c, the response read by httpc_resp.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "net/httpc_int.h"

/* A blob arrives in 64 KiB reads over plain HTTP (a TLS record is 16
 * KiB at most anyway): a quarter of the syscalls and copies' overhead
 * of 16 KiB ones.  At most 256 KiB per callback, then the loop's turn. */
#define READSZ		65536
#define READS_PER_CB	4

/* Free c, no callback: a cancelled request, or after done. */
void
httpc_free(struct net_httpc *c)
{
	ev_io_stop(c->loop, &c->io);
	ev_timer_stop(c->loop, &c->timer);
	net_tls_free(c->tls);
	if (c->fd >= 0)
		close(c->fd);
	buf_free(&c->out);
	buf_free(&c->in);
	buf_free(&c->body);
	buf_free(&c->after);
	free(c->t_host);
	free(c->t_ca);
	free(c);
}

/* Call done with error (0 or -errno, message in c->res.err) and free. */
int
httpc_finish(struct net_httpc *c, int error)
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
	httpc_free(c);
	return 1;
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

static int
do_read(struct net_httpc *c)
{
	char buf[READSZ];
	long n;
	int i;

	for (i = 0; ; i++) {
		if (c->state != S_HEAD && c->state != S_BODY)
			return 0;	/* a tunnel is up: TLS next */
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
			return httpc_finish(c, (int)n);
		if (n == 0)
			return httpc_on_eof(c);
		c->last = ev_now(c->loop);
		if ((c->state == S_HEAD ? httpc_head_feed(c, buf, (size_t)n) :
		    httpc_body_feed(c, buf, (size_t)n)))
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
			return httpc_finish(c, (int)n);
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
			return httpc_finish(c, -e);
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
			return httpc_finish(c, r);
		}
		c->state = S_SEND;
		return step(c);
	case S_SEND:
		return do_send(c);
	default:
		return do_read(c);
	}
}

int
httpc_tunnel_up(struct net_httpc *c)
{
	int status = c->res.head.status, r;

	if (status / 100 != 2) {
		err_setx(&c->res.err, ECONNREFUSED, "proxy %s refused "
		    "CONNECT %s: HTTP %d %.*s", c->peer, c->t_host, status,
		    (int)c->res.head.rlen, c->res.head.reason ? c->res.head.reason : "");
		return httpc_finish(c, -ECONNREFUSED);
	}
	c->tunnel = false;
	buf_free(&c->out);
	c->out = c->after;
	memset(&c->after, 0, sizeof(c->after));
	c->off = 0;
	buf_reset(&c->in);
	c->hstart = 0;
	memset(&c->res.head, 0, sizeof(c->res.head));
	r = net_tls_new(&c->tls, c->fd, c->t_host, c->t_verify, c->t_ca,
	    &c->res.err);
	if (r < 0)
		return httpc_finish(c, r);
	c->state = S_HANDSHAKE;
	watch(c, EV_WRITE);
	return 0;
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)step(container_of(w, struct net_httpc, io));
}

static const char *
doing(enum httpc_state s)
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
		(void)httpc_finish(c, c->res.error);
		return;
	}
	if (now >= c->deadline) {
		err_setx(&c->res.err, ETIMEDOUT, "%s: timed out %s",
		    c->peer, doing(c->state));
		(void)httpc_finish(c, -ETIMEDOUT);
		return;
	}
	if (c->idle > 0 && now >= c->last + c->idle) {
		err_setx(&c->res.err, ETIMEDOUT, "%s: nothing received for "
		    "%.0f ms %s", c->peer, c->idle * 1e3, doing(c->state));
		(void)httpc_finish(c, -ETIMEDOUT);
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
	httpc_free(c);
}
static int
connect_to(struct net_httpc *c, const struct net_httpc_req *q,
    struct err *err)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;

	const char *addr = q->proxy_addr != NULL ? q->proxy_addr : q->addr;
	unsigned short port = q->proxy_addr != NULL ? q->proxy_port : q->port;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		len = sizeof(*in4);
		snprintf(c->peer, sizeof(c->peer), "%s:%u", addr, port);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		len = sizeof(*in6);
		snprintf(c->peer, sizeof(c->peer), "[%s]:%u", addr, port);
	} else
		return err_setx(err, EINVAL, "http request: %s is not a "
		    "numeric address", addr);
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
	if ((r = httpc_check_req(q, method, path, err)) < 0)
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
	c->tunnel = q->proxy_addr != NULL && q->tls;
	if (c->tunnel) {
		httpc_build_connect(&c->out, q);
		httpc_build(&c->after, q, method, path);
		c->t_host = xstrdup(q->host);
		c->t_ca = xstrdup(q->ca_file);
		c->t_verify = q->tls_verify;
	} else
		httpc_build(&c->out, q, method, path);
	if ((r = connect_to(c, q, err)) < 0)
		goto fail;
	if (q->tls && !c->tunnel && (r = net_tls_new(&c->tls, c->fd, q->host,
	    q->tls_verify, q->ca_file, err)) < 0)
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
	httpc_free(c);
	return r;
}
