/*
 * picoctl_http: a blocking HTTP/1.1 client for picolet's Unix socket.
 * One request per connection ("Connection: close").  Bodies come with a
 * Content-Length, chunked (log streams), or until EOF.  Every wait is a
 * poll() with a 10 s limit, except a follow stream, which may be quiet
 * for as long as the container is.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/util.h"
#include "tools/picoctl.h"

struct conn {
	int fd;
	int timeout;		/* ms, -1 forever */
	char raw[16384];
	size_t len;
	bool eof;
};

static int
wait_fd(struct conn *c, short ev)
{
	struct pollfd p = { .fd = c->fd, .events = ev };
	int r;

	while ((r = poll(&p, 1, c->timeout)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

/* Read more into raw; 0 at EOF, > 0 bytes, < 0 error. */
static int
fill(struct conn *c)
{
	ssize_t n;
	int r;

	if (c->len == sizeof(c->raw))
		return -ENOBUFS;
	for (;;) {
		n = recv(c->fd, c->raw + c->len, sizeof(c->raw) - c->len, 0);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if ((r = wait_fd(c, POLLIN)) < 0)
			return r;
	}
	if (n == 0)
		c->eof = true;
	c->len += (size_t)n;
	return (int)n;
}

static void
consume(struct conn *c, size_t n)
{
	memmove(c->raw, c->raw + n, c->len - n);
	c->len -= n;
}

static int
dial(const char *path, struct conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t sl = sizeof(int);
	int r, soerr = 0;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
	if (errno != EAGAIN && errno != EINPROGRESS)
		return -errno;
	c->timeout = CTL_TIMEOUT_MS;
	if ((r = wait_fd(c, POLLOUT)) < 0)
		return r;
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
	return -soerr;
}

static int
send_all(struct conn *c, const char *p, size_t n)
{
	ssize_t w;
	int r;

	while (n > 0) {
		w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			if ((r = wait_fd(c, POLLOUT)) < 0)
				return r;
			continue;
		}
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

struct framing {
	int status;
	long long clen;		/* -1: none */
	bool chunked;
};

/* Read and parse the status line and headers. */
static int
read_head(struct conn *c, struct framing *f)
{
	char *end, *line, *nl, *v;
	int r;

	while ((end = memmem(c->raw, c->len, "\r\n\r\n", 4)) == NULL) {
		if ((r = fill(c)) < 0)
			return r;
		if (r == 0)
			return -EPROTO;
	}
	*end = '\0';
	if (sscanf(c->raw, "HTTP/1.%*d %d", &f->status) != 1)
		return -EPROTO;
	f->clen = -1;
	f->chunked = false;
	for (line = strstr(c->raw, "\r\n"); line && line < end; line = nl) {
		line += 2;
		nl = strstr(line, "\r\n");
		if (nl)
			*nl = '\0';
		if ((v = strchr(line, ':')) == NULL)
			continue;
		*v++ = '\0';
		v += strspn(v, " \t");
		if (strcasecmp(line, "Content-Length") == 0)
			f->clen = strtoll(v, NULL, 10);
		else if (strcasecmp(line, "Transfer-Encoding") == 0 &&
		    strcasestr(v, "chunked") != NULL)
			f->chunked = true;
		if (nl == NULL || nl >= end)
			break;
	}
	consume(c, (size_t)(end + 4 - c->raw));
	return 0;
}

struct out {
	ctl_sink sink;
	void *arg;
	struct buf *body;
};

static int
emit(struct out *o, const char *p, size_t n)
{
	if (o->sink)
		return o->sink(p, n, o->arg);
	return buf_append(o->body, p, n) < 0 ? -EFBIG : 0;
}

/* Pass up to want bytes (or all until EOF when want < 0) on. */
static int
pass(struct conn *c, struct out *o, long long want)
{
	size_t n;
	int r;

	while (want != 0) {
		if (c->len == 0) {
			if ((r = fill(c)) < 0)
				return r;
			if (r == 0)
				return want < 0 ? 0 : -EPROTO;
		}
		n = want < 0 || (long long)c->len < want ? c->len :
		    (size_t)want;
		if ((r = emit(o, c->raw, n)) < 0)
			return r;
		consume(c, n);
		if (want > 0)
			want -= (long long)n;
	}
	return 0;
}

static int
read_line(struct conn *c, char *line, size_t len)
{
	char *nl;
	int r;

	while ((nl = memmem(c->raw, c->len, "\r\n", 2)) == NULL) {
		if ((r = fill(c)) < 0)
			return r;
		if (r == 0)
			return -EPROTO;
	}
	if ((size_t)(nl - c->raw) >= len)
		return -EPROTO;
	memcpy(line, c->raw, (size_t)(nl - c->raw));
	line[nl - c->raw] = '\0';
	consume(c, (size_t)(nl + 2 - c->raw));
	return 0;
}

static int
pass_chunked(struct conn *c, struct out *o)
{
	char line[256], *end;
	long long n;
	int r;

	for (;;) {
		if ((r = read_line(c, line, sizeof(line))) < 0)
			return r;
		n = strtoll(line, &end, 16);
		if (end == line || n < 0)
			return -EPROTO;
		if (n == 0)
			return 0;	/* trailers are not read: we close */
		if ((r = pass(c, o, n)) < 0 ||
		    (r = read_line(c, line, sizeof(line))) < 0)
			return r;
	}
}

int
ctl_http_get(const char *sock, const char *path, bool follow, ctl_sink sink,
    void *arg, int *status, struct buf *body, struct err *err)
{
	return ctl_http_req(sock, "GET", path, follow, sink, arg, status,
	    body, err);
}

int
ctl_http_req(const char *sock, const char *method, const char *path,
    bool follow, ctl_sink sink, void *arg, int *status, struct buf *body,
    struct err *err)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	struct framing f;
	struct out o = { NULL, NULL, body };
	char *req;
	int r;

	c->timeout = CTL_TIMEOUT_MS;
	if ((r = dial(sock, c)) < 0) {
		err_set(err, -r, "cannot connect to picolet at %s", sock);
		goto out;
	}
	c->timeout = CTL_TIMEOUT_MS;
	req = xasprintf("%s %s HTTP/1.1\r\nHost: picolet\r\n"
	    "User-Agent: picoctl/" PICOLET_VERSION "\r\n%s"
	    "Connection: close\r\n\r\n", method, path,
	    strcmp(method, "GET") ? "Content-Length: 0\r\n" : "");
	r = send_all(c, req, strlen(req));
	free(req);
	if (r == 0)
		r = read_head(c, &f);
	if (r < 0) {
		err_set(err, -r, "%s %s", method, path);
		goto out;
	}
	*status = f.status;
	if (sink && f.status / 100 == 2) {
		o.sink = sink;
		o.arg = arg;
		if (follow)
			c->timeout = -1;
	}
	if (f.chunked)
		r = pass_chunked(c, &o);
	else
		r = pass(c, &o, f.clen);
	if (r < 0)
		err_set(err, -r, "%s %s: reading the reply", method, path);
out:
	if (c->fd > 0)
		close(c->fd);
	free(c);
	return r;
}
