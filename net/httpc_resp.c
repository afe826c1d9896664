/*
 * httpc_resp: the response side of httpc, byte by byte as they are read:
 * the head (1xx heads skipped; a head that arrives whole is kept alone,
 * a partial one gathered up to NET_HTTPC_MAXHEAD), then the body's framing
 * as RFC 9112 6.3 says (Content-Length, chunked when it is the last
 * coding, else EOF), and the body itself: to the caller's on_data, or
 * kept up to max_body (truncated, or failed, as asked).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "net/httpc_int.h"

static int
malformed(struct net_httpc *c, const char *why)
{
	err_setx(&c->res.err, EPROTO, "malformed response: %s", why);
	return httpc_finish(c, -EPROTO);
}

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
			httpc_free(c);
			return 1;
		}
		if (r < 0) {
			err_set(&c->res.err, -r, "body consumer");
			return httpc_finish(c, r);
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
		return httpc_finish(c, -EMSGSIZE);
	}
	keep(c, p, room);
	c->res.truncated = true;
	return httpc_finish(c, 0);
}

int
httpc_body_feed(struct net_httpc *c, const char *p, size_t n)
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
			return c->left == 0 ? httpc_finish(c, 0) : 0;
		case F_EOF:
			return deliver(c, p, n);
		case F_CHUNKED:
			if ((r = net_httpc_chunked_step(&c->ch, p, n,
			    &take)) < 0)
				return malformed(c, "bad chunked encoding");
			if (deliver(c, p, take))
				return 1;
			if (net_httpc_chunked_done(&c->ch))
				return httpc_finish(c, 0);
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
		return httpc_finish(c, 0);
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
		return httpc_finish(c, -EMSGSIZE);
	}
	return c->left == 0 ? httpc_finish(c, 0) : 0;
}

/* The final head was parsed at in[hstart..hstart + r). */
static int
head_done(struct net_httpc *c, int r)
{
	if (c->tunnel && c->res.head.status >= 200)
		return httpc_tunnel_up(c);
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
int
httpc_head_feed(struct net_httpc *c, const char *p, size_t n)
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
			return httpc_finish(c, -EMSGSIZE);
		}
		used = c->hstart + (size_t)r - old;
		c->in.len = c->hstart + (size_t)r;
		p += used;
		n -= used;
		if (head_done(c, r))
			return 1;
	}
	if (c->state != S_BODY)		/* through a tunnel, now TLS */
		return n > 0 ? malformed(c, "bytes after the proxy's answer "
		    "to CONNECT") : 0;
	return n > 0 ? httpc_body_feed(c, p, n) : 0;
}

int
httpc_on_eof(struct net_httpc *c)
{
	if (c->state == S_HEAD)
		return malformed(c, c->in.len == 0 ?
		    "connection closed without a response" :
		    "connection closed inside the head");
	if (c->framing == F_EOF)
		return httpc_finish(c, 0);
	if (c->framing == F_CHUNKED)
		return malformed(c, "truncated chunked body");
	err_setx(&c->res.err, EPROTO, "malformed response: truncated body "
	    "(%llu of %lld bytes missing)", c->left, c->res.content_length);
	return httpc_finish(c, -EPROTO);
}
