/*
 * httpc_parse: the HTTP/1.x response-head parser and the chunked-body
 * decoder of the client, both pure functions over the bytes received so
 * far, so they can be tested and fuzzed without sockets.
 *
 * The head parser follows picohttpparser's contract (head length, -2
 * incomplete, -1 malformed) and is as strict as the server's request
 * parser: obsolete line folding, control characters in values and
 * anything but a token before a colon are refused, since a response we
 * misread could smuggle a second one into a later read.  A bare LF ends a
 * line (RFC 9112 2.2).  The status line needs three digits; the reason
 * phrase may be absent, as some servers send "HTTP/1.1 200\r\n".
 *
 * The chunked decoder is a small state machine fed any split of the
 * input; chunk sizes are bounded to 2^60 and chunk extensions and
 * trailers are skipped but bounded, so a hostile server cannot make us
 * buffer anything: it can only keep us reading until the deadline.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "lib/util.h"
#include "net/http_lex.h"
#include "net/net.h"

#define CH_LINEMAX	4096	/* a chunk-size line, extensions included */

enum {
	CH_SIZE,	/* hex digits of the size */
	CH_EXT,		/* extensions or whitespace, up to the line end */
	CH_SIZE_LF,	/* CR seen after the size line */
	CH_DATA,
	CH_DATA_CR,	/* line end after the data */
	CH_DATA_LF,
	CH_TRAILER,	/* at the start of a trailer line */
	CH_TRAILER_LINE,
	CH_END_LF,	/* CR of the final empty line seen */
	CH_DONE,
};

static int
bad(struct net_httpc_head *h, const char *why)
{
	h->bad = why;
	return -1;
}

static int
parse_status(struct cur *c, struct net_httpc_head *h)
{
	static const char proto[] = "HTTP/1.";
	size_t n = (size_t)(c->end - c->p);
	const char *s;
	int i, r;

	/* "HTTP/1.1 200" and the byte after it */
	if (n < 13) {
		if (strncmp(c->p, proto, MIN(n, 7)) != 0)
			return bad(h, "not an HTTP/1 status line");
		return -2;
	}
	if (memcmp(c->p, proto, 7) != 0 || (c->p[7] != '0' && c->p[7] != '1'))
		return bad(h, "not an HTTP/1 status line");
	h->minor = c->p[7] - '0';
	if (c->p[8] != ' ')
		return bad(h, "bad status line");
	c->p += 9;
	for (i = 0; i < 3; i++, c->p++) {
		if (*c->p < '0' || *c->p > '9')
			return bad(h, "bad status code");
		h->status = h->status * 10 + (*c->p - '0');
	}
	if (h->status < 100)
		return bad(h, "bad status code");
	if (*c->p == ' ')
		c->p++;
	else if (*c->p != '\r' && *c->p != '\n')
		return bad(h, "bad status code");
	for (s = c->p; c->p < c->end && is_vchar(*c->p); c->p++)
		;
	h->reason = s;
	h->rlen = (size_t)(c->p - s);
	r = eol(c);
	return r == 0 || r == -1 ? bad(h, "bad reason phrase") : r;
}

/* One header line; 1 parsed, 0 at the empty line ending the head. */
static int
parse_header(struct cur *c, struct net_httpc_head *h)
{
	struct net_http_header *f;
	const char *s, *e;
	int r;

	if ((r = eol(c)) != 0)
		return r == 1 ? 0 : r == -1 ? bad(h, "bare CR") : r;
	if (*c->p == ' ' || *c->p == '\t')
		return bad(h, "folded header line");
	for (s = c->p; c->p < c->end && is_tchar(*c->p); c->p++)
		;
	if (c->p == c->end)
		return -2;
	if (c->p == s || *c->p != ':')
		return bad(h, "bad header name");
	if (h->nh == NET_HTTPC_MAXHDR)
		return bad(h, "too many header fields");
	f = &h->h[h->nh];
	f->name = s;
	f->nlen = (size_t)(c->p - s);
	for (c->p++; c->p < c->end && (*c->p == ' ' || *c->p == '\t'); c->p++)
		;
	for (s = c->p; c->p < c->end && is_vchar(*c->p); c->p++)
		;
	if (c->p == c->end)
		return -2;
	for (e = c->p; e > s && (e[-1] == ' ' || e[-1] == '\t'); e--)
		;
	if ((r = eol(c)) != 1)
		return r == -2 ? -2 : bad(h, "bad header value");
	f->value = s;
	f->vlen = (size_t)(e - s);
	h->nh++;
	return 1;
}

int
net_httpc_parse(const char *buf, size_t len, struct net_httpc_head *head)
{
	struct cur c = { buf, buf + len };
	int r;

	memset(head, 0, sizeof(*head));
	if ((r = parse_status(&c, head)) < 0)
		return r;
	while ((r = parse_header(&c, head)) == 1)
		;
	if (r < 0)
		return r;
	return (int)(c.p - buf);
}

int
net_httpc_header(const struct net_httpc_head *head, const char *name,
    char *out, size_t outlen)
{
	size_t i, n = strlen(name);

	for (i = 0; i < head->nh; i++) {
		if (head->h[i].nlen != n ||
		    strncasecmp(head->h[i].name, name, n) != 0)
			continue;
		if (head->h[i].vlen >= outlen)
			return -ENOSPC;
		memcpy(out, head->h[i].value, head->h[i].vlen);
		out[head->h[i].vlen] = '\0';
		return 0;
	}
	return -ENOENT;
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

/* One framing byte; 0 ok, -1 malformed. */
static int
chunk_byte(struct net_httpc_chunked *st, char ch)
{
	int v;

	switch (st->state) {
	case CH_SIZE:
		if ((v = hexval(ch)) >= 0) {
			if (st->left >> 60 || ++st->n > CH_LINEMAX)
				return -1;
			st->left = st->left << 4 | (unsigned)v;
			return 0;
		}
		if (st->n == 0 || ch == '\0' || strchr("\r\n; \t", ch) == NULL)
			return -1;
		st->state = CH_EXT;
		/* FALLTHROUGH */
	case CH_EXT:
		if (++st->n > CH_LINEMAX)
			return -1;
		if (ch == '\r')
			st->state = CH_SIZE_LF;
		else if (ch == '\n')
			st->state = st->left ? CH_DATA : CH_TRAILER;
		else if (!is_vchar((unsigned char)ch))
			return -1;
		return 0;
	case CH_SIZE_LF:
		if (ch != '\n')
			return -1;
		st->state = st->left ? CH_DATA : CH_TRAILER;
		return 0;
	case CH_DATA_CR:
		if (ch == '\n') {
			st->state = CH_SIZE;
			st->n = 0;
			return 0;
		}
		if (ch != '\r')
			return -1;
		st->state = CH_DATA_LF;
		return 0;
	case CH_DATA_LF:
		if (ch != '\n')
			return -1;
		st->state = CH_SIZE;
		st->n = 0;
		return 0;
	case CH_TRAILER:
	case CH_TRAILER_LINE:
		if (++st->trailer > NET_HTTPC_MAXHEAD)
			return -1;
		if (st->state == CH_TRAILER && ch == '\r')
			st->state = CH_END_LF;
		else if (ch == '\n')
			st->state = st->state == CH_TRAILER ? CH_DONE :
			    CH_TRAILER;
		else
			st->state = CH_TRAILER_LINE;
		return 0;
	case CH_END_LF:
		if (ch != '\n')
			return -1;
		st->state = CH_DONE;
		return 0;
	default:
		return -1;
	}
}

long
net_httpc_chunked_step(struct net_httpc_chunked *st, const char *in,
    size_t len, size_t *dlen)
{
	size_t i;

	*dlen = 0;
	if (st->state == CH_DATA) {
		*dlen = st->left < len ? (size_t)st->left : len;
		st->left -= *dlen;
		if (st->left == 0)
			st->state = CH_DATA_CR;
		return (long)*dlen;
	}
	for (i = 0; i < len && st->state != CH_DATA && st->state != CH_DONE;
	    i++) {
		if (chunk_byte(st, in[i]) < 0)
			return -1;
	}
	return (long)i;
}

bool
net_httpc_chunked_done(const struct net_httpc_chunked *st)
{
	return st->state == CH_DONE;
}
