/*
 * http_parse: the HTTP/1.x request-head parser of picolet's endpoint, in
 * the manner of picohttpparser: one pass over the bytes received so far,
 * no allocation, pointers into the caller's buffer, -2 when the head is
 * not complete yet so the caller reads more and parses again.
 *
 * It is strict where leniency has been a source of request smuggling:
 * obsolete line folding, control characters and spaces inside header
 * names are refused; a bare LF is accepted as a line end (RFC 9112 2.2
 * allows it and some hand-written clients send it).  The path is
 * percent-decoded here, and a decoded NUL refused, so no handler ever
 * sees a path that C string functions would truncate.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "net/http_lex.h"
#include "net/net.h"

static int
parse_reqline(struct cur *c, struct net_http_req *req)
{
	const char *s;
	int r;

	/* RFC 9112 2.2: ignore at least one empty line before a request */
	while ((r = eol(c)) == 1)
		;
	if (r != 0)
		return r;
	for (s = c->p; c->p < c->end && is_tchar(*c->p); c->p++)
		;
	if (c->p == c->end)
		return -2;
	if (c->p == s || *c->p != ' ')
		return -1;
	req->method = s;
	req->mlen = c->p - s;
	for (s = ++c->p; c->p < c->end && (unsigned char)*c->p > 0x20 &&
	    *c->p != 0x7f; c->p++)
		;
	if (c->p == c->end)
		return -2;
	if (c->p == s || *c->p != ' ')
		return -1;
	req->target = s;
	req->tlen = c->p - s;
	c->p++;
	if ((size_t)(c->end - c->p) < 8)
		return strncmp(c->p, "HTTP/1.", c->end - c->p) == 0 ? -2 : -1;
	if (memcmp(c->p, "HTTP/1.", 7) != 0 || (c->p[7] != '0' &&
	    c->p[7] != '1'))
		return -1;
	req->minor = c->p[7] - '0';
	c->p += 8;
	r = eol(c);
	return r == 0 ? -1 : r;
}

/* One header line; 1 parsed, 0 at the empty line ending the head. */
static int
parse_header(struct cur *c, struct net_http_req *req)
{
	struct net_http_header *h;
	const char *s, *e;
	int r;

	if ((r = eol(c)) != 0)
		return r == 1 ? 0 : r;
	/* obs-fold: a continuation line starts with SP or HTAB */
	if (*c->p == ' ' || *c->p == '\t')
		return -1;
	for (s = c->p; c->p < c->end && is_tchar(*c->p); c->p++)
		;
	if (c->p == c->end)
		return -2;
	if (c->p == s || *c->p != ':')
		return -1;
	if (req->nh == NET_HTTP_MAXHDR)
		return -1;
	h = &req->h[req->nh];
	h->name = s;
	h->nlen = c->p - s;
	for (c->p++; c->p < c->end && (*c->p == ' ' || *c->p == '\t'); c->p++)
		;
	for (s = c->p; c->p < c->end && is_vchar(*c->p); c->p++)
		;
	if (c->p == c->end)
		return -2;
	for (e = c->p; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	if ((r = eol(c)) != 1)
		return r == 0 ? -1 : r;
	h->value = s;
	h->vlen = e - s;
	req->nh++;
	return 1;
}

static int
hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Percent-decode s[0..n) into out; '+' means space when plus is set
 * (form encoding, as Go's url.Values writes queries).  Refuses bad
 * escapes and %00.  Returns the decoded length or -1.
 */
static int
pct_decode(const char *s, size_t n, char *out, size_t outlen, int plus)
{
	size_t i, o = 0;
	int hi, lo;
	char ch;

	for (i = 0; i < n; i++) {
		ch = s[i];
		if (ch == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return -1;
			ch = (char)(hi << 4 | lo);
			if (ch == '\0')
				return -1;
			i += 2;
		} else if (ch == '+' && plus)
			ch = ' ';
		if (o + 1 >= outlen)
			return -1;
		out[o++] = ch;
	}
	out[o] = '\0';
	return (int)o;
}

static int
split_target(struct net_http_req *req)
{
	const char *q;
	size_t plen, qlen;

	q = memchr(req->target, '?', req->tlen);
	plen = q ? (size_t)(q - req->target) : req->tlen;
	if (plen == 0 || req->target[0] != '/')
		return -1;
	if (memchr(req->target, '#', req->tlen) != NULL)
		return -1;
	if (pct_decode(req->target, plen, req->path, sizeof(req->path), 0) < 0)
		return -1;
	qlen = q ? req->tlen - plen - 1 : 0;
	if (qlen >= sizeof(req->query))
		return -1;
	if (q != NULL)
		memcpy(req->query, q + 1, qlen);
	req->query[qlen] = '\0';
	return 0;
}

int
net_http_parse(const char *buf, size_t len, struct net_http_req *req)
{
	struct cur c = { buf, buf + len };
	int r;

	memset(req, 0, offsetof(struct net_http_req, path));
	req->path[0] = req->query[0] = '\0';
	if ((r = parse_reqline(&c, req)) < 0)
		return r;
	while ((r = parse_header(&c, req)) == 1)
		;
	if (r < 0)
		return r;
	if (split_target(req) < 0)
		return -1;
	return (int)(c.p - buf);
}

int
net_http_header(const struct net_http_req *req, const char *name, char *out,
    size_t outlen)
{
	size_t i, n = strlen(name);

	for (i = 0; i < req->nh; i++) {
		if (req->h[i].nlen != n ||
		    strncasecmp(req->h[i].name, name, n) != 0)
			continue;
		if (req->h[i].vlen >= outlen)
			return -ENOSPC;
		memcpy(out, req->h[i].value, req->h[i].vlen);
		out[req->h[i].vlen] = '\0';
		return 0;
	}
	return -ENOENT;
}

int
net_http_query(const struct net_http_req *req, const char *name, char *out,
    size_t outlen)
{
	char key[256];
	const char *p = req->query, *amp, *eq;
	size_t n;

	while (*p != '\0') {
		amp = strchr(p, '&');
		n = amp ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', n);
		if (pct_decode(p, eq ? (size_t)(eq - p) : n, key, sizeof(key),
		    1) >= 0 && strcmp(key, name) == 0) {
			if (eq == NULL) {
				if (outlen == 0)
					return -ENOSPC;
				out[0] = '\0';
				return 0;
			}
			if (pct_decode(eq + 1, n - (eq + 1 - p), out, outlen,
			    1) < 0)
				return -EINVAL;
			return 0;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	return -ENOENT;
}
