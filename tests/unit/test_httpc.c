/*
 * Unit tests for net/httpc.c against real servers: a forked blocking
 * server per test that answers a canned response or misbehaves on
 * purpose (silence, garbage, trickles, huge heads), one inside a network
 * namespace of its own (reached through /proc/<pid>/ns/net), and
 * picolet's own server on the same loop.  TLS is in test_httpc_tls.c.
 * Every test checks that no fd is left behind.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "lib/util.h"
#include "net/net.h"

enum mode { M_REPLY, M_ECHO, M_SILENT, M_BIG, M_TRICKLE, M_PIECES };

#define BIGLEN (4u << 20)

struct srv {
	pid_t pid;
	unsigned short port;
};

struct result {
	bool called;
	int error, status;
	char msg[512];
	char body[8192];
	size_t body_len;
	bool truncated;
	char location[256];
	size_t streamed, heap0, heap_max;
	unsigned sum;
	int stop_at;		/* on_data: fail after this many bytes */
	bool cancel_in_data;
	struct net_httpc *self;
};

static struct ev_loop *loop;

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the DIR's own */
}

static void
serve(int fd, enum mode m, const char *resp, size_t len)
{
	char req[65536], hdr[128];
	size_t n = 0, i;
	ssize_t r;

	while (n < sizeof(req) - 1 && (r = read(fd, req + n,
	    sizeof(req) - 1 - n)) > 0) {
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	switch (m) {
	case M_SILENT:
		pause();
		break;
	case M_PIECES:		/* 7 bytes at a time: every read splits */
		for (i = 0; i < len; i += 7) {
			(void)!write(fd, resp + i, MIN(7, len - i));
			nanosleep(&(struct timespec){ 0, 2 * 1000 * 1000 },
			    NULL);
		}
		break;
	case M_TRICKLE:
		(void)!write(fd, resp, len);
		for (;;) {
			nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 },
			    NULL);
			if (write(fd, "x", 1) < 0)
				break;
		}
		break;
	case M_ECHO:
		r = snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\n"
		    "Content-Length: %zu\r\n\r\n", n);
		(void)!write(fd, hdr, (size_t)r);
		(void)!write(fd, req, n);
		break;
	case M_BIG:
		r = snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\n"
		    "Content-Length: %u\r\n\r\n", BIGLEN);
		(void)!write(fd, hdr, (size_t)r);
		for (i = 0; i < sizeof(req); i++)
			req[i] = (char)i;
		for (i = 0; i < BIGLEN; i += sizeof(req))
			if (write(fd, req, sizeof(req)) < 0)
				break;
		break;
	default:
		(void)!write(fd, resp, len);
	}
}

/* Loopback up in a fresh network namespace. */
static int
lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(fd, SIOCSIFFLAGS, &ifr);
}

/* A forked server on 127.0.0.1 (in a network namespace of its own if
 * ownns: /proc/<pid>/ns/net), answering each connection the same way. */
static void
srv_start(struct srv *s, enum mode m, const char *resp, size_t len,
    bool ownns)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int p[2], lfd, fd;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		/* a failed assertion skips srv_stop: do not outlive the test */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (ownns && (unshare(CLONE_NEWNET) < 0 || lo_up() < 0))
			_exit(1);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sl) < 0 ||
		    listen(lfd, 16) < 0 ||
		    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0)
			_exit(1);
		(void)!write(p[1], &sa.sin_port, sizeof(sa.sin_port));
		signal(SIGPIPE, SIG_IGN);
		for (;;) {
			if ((fd = accept(lfd, NULL, NULL)) < 0)
				_exit(1);
			serve(fd, m, resp, len);
			close(fd);
		}
	}
	close(p[1]);
	assert_int_equal(read(p[0], &s->port, sizeof(s->port)),
	    sizeof(s->port));
	s->port = ntohs(s->port);
	close(p[0]);
}

static void
srv_stop(struct srv *s)
{
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
}

static void
on_done(const struct net_httpc_res *res, void *arg)
{
	struct result *r = arg;

	assert_false(r->called);
	r->called = true;
	r->error = res->error;
	r->status = res->head.status;
	snprintf(r->msg, sizeof(r->msg), "%s", res->error ? res->err.msg : "");
	assert_true(res->body_len < sizeof(r->body));
	memcpy(r->body, res->body, res->body_len + 1);
	r->body_len = res->body_len;
	r->truncated = res->truncated;
	if (net_httpc_header(&res->head, "Location", r->location,
	    sizeof(r->location)) < 0)
		r->location[0] = '\0';
	ev_break(loop, EVBREAK_ONE);	/* a server on the loop keeps it busy */
}

static int
on_data(const struct net_httpc_res *res, const void *data, size_t len,
    void *arg)
{
	struct result *r = arg;
	const unsigned char *p = data;
	size_t i;

	assert_int_equal(res->head.status, 200);
	for (i = 0; i < len; i++)
		r->sum = r->sum * 31 + p[i];
	r->streamed += len;
	r->heap_max = MAX(r->heap_max, mallinfo2().uordblks);
	if (r->cancel_in_data && r->streamed > 100000) {
		net_httpc_cancel(r->self);
		return 0;
	}
	if (r->stop_at && r->streamed >= (size_t)r->stop_at)
		return -ENOSPC;
	return 0;
}

static struct net_httpc_req
req_for(unsigned short port)
{
	struct net_httpc_req q = {
		.host = "localhost",
		.addr = "127.0.0.1",
		.port = port,
		.path = "/x",
		.timeout_ms = 5000,
		.max_body = 4096,
	};

	return q;
}

/* Run q to its end; the fd count must come back. */
static void
run(const struct net_httpc_req *q, struct result *r)
{
	struct net_httpc *c;
	struct err err;
	int before = count_fds();

	r->heap0 = mallinfo2().uordblks;
	assert_int_equal(net_httpc_start(loop, q, on_done, r, &c, &err), 0);
	r->self = c;
	assert_false(r->called);	/* never from inside start */
	ev_run(loop, 0);
	assert_int_equal(count_fds(), before);
}

static void
fetch(enum mode m, const char *resp, struct result *r)
{
	struct net_httpc_req q;
	struct srv s;

	memset(r, 0, sizeof(*r));
	srv_start(&s, m, resp, resp ? strlen(resp) : 0, false);
	q = req_for(s.port);
	run(&q, r);
	srv_stop(&s);
	assert_true(r->called);
}

static void
test_200(void **state)
{
	struct result r;

	fetch(M_REPLY, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloXX",
	    &r);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "hello");
}

static void
test_404_and_redirect(void **state)
{
	struct result r;

	fetch(M_REPLY, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n"
	    "not found", &r);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body, "not found");
	fetch(M_REPLY, "HTTP/1.1 301 Moved\r\nLocation: http://e.x/y\r\n"
	    "Content-Length: 0\r\n\r\n", &r);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.status, 301);
	assert_string_equal(r.location, "http://e.x/y");
}

static void
test_request_text(void **state)
{
	struct net_httpc_hdr h[] = { { "User-Agent", "kube-probe/1.30" },
	    { "X-A", "b c" } };
	struct net_httpc_req q;
	struct result r = { 0 };
	struct srv s;
	char want[256];

	srv_start(&s, M_ECHO, NULL, 0, false);
	q = req_for(s.port);
	q.path = "/healthz?x=1";
	q.headers = h;
	q.nheaders = 2;
	q.method = "POST";
	q.body = "";
	run(&q, &r);
	srv_stop(&s);
	assert_int_equal(r.error, 0);
	snprintf(want, sizeof(want), "POST /healthz?x=1 HTTP/1.1\r\n"
	    "User-Agent: kube-probe/1.30\r\nX-A: b c\r\n"
	    "Host: localhost:%u\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n", s.port);
	assert_string_equal(r.body, want);

	/* Plain HTTP through a proxy: the absolute form, to the proxy (here
	 * the echo server), for a host it resolves itself. */
	srv_start(&s, M_ECHO, NULL, 0, false);
	q = req_for(5000);
	q.host = "registry.example";
	q.addr = NULL;
	q.proxy_addr = "127.0.0.1";
	q.proxy_port = s.port;
	q.proxy_auth = "Basic dTpw";
	q.path = "/v2/";
	memset(&r, 0, sizeof(r));
	run(&q, &r);
	srv_stop(&s);
	assert_int_equal(r.error, 0);
	assert_string_equal(r.body, "GET http://registry.example:5000/v2/ "
	    "HTTP/1.1\r\nProxy-Authorization: Basic dTpw\r\n"
	    "Host: registry.example:5000\r\nConnection: close\r\n\r\n");
}

static void
test_bad_request(void **state)
{
	struct net_httpc_hdr h[] = { { "X", "a\r\nEvil: 1" } };
	struct net_httpc_req q = req_for(80);
	struct net_httpc *c;
	struct err err;

	q.headers = h;
	q.nheaders = 1;
	assert_int_equal(net_httpc_start(loop, &q, on_done, NULL, &c, &err),
	    -EINVAL);
	q.nheaders = 0;
	q.path = "/a b";
	assert_int_equal(net_httpc_start(loop, &q, on_done, NULL, &c, &err),
	    -EINVAL);
	q.path = "/";
	q.addr = "example.com";
	assert_int_equal(net_httpc_start(loop, &q, on_done, NULL, &c, &err),
	    -EINVAL);
}

static void
test_chunked_and_eof(void **state)
{
	struct result r;

	fetch(M_REPLY, "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
	    "5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nT: v\r\n\r\n", &r);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "hello world");
	fetch(M_PIECES, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Long-Header: "
	    "0123456789abcdef\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n"
	    "0\r\n\r\n", &r);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "hello world");
	fetch(M_PIECES, "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n"
	    "until the endNOT THIS", &r);
	assert_int_equal(r.error, 0);
	assert_string_equal(r.body, "until the end");
	fetch(M_REPLY, "HTTP/1.0 200 OK\r\n\r\nuntil the end", &r);
	assert_int_equal(r.error, 0);
	assert_string_equal(r.body, "until the end");
	fetch(M_REPLY, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhel", &r);
	assert_int_equal(r.error, -EPROTO);
	assert_string_equal(r.msg, "malformed response: truncated chunked "
	    "body");
	fetch(M_REPLY, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", &r);
	assert_int_equal(r.error, -EPROTO);
	fetch(M_REPLY, "HTTP/1.1 204 No Content\r\n\r\n", &r);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.status, 204);
}

static void
test_garbage_and_huge(void **state)
{
	static char huge[NET_HTTPC_MAXHEAD + 4096];
	struct result r;
	size_t n;

	fetch(M_REPLY, "SSH-2.0-OpenSSH_9.2p1\r\n", &r);
	assert_int_equal(r.error, -EPROTO);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.msg, "malformed response: not an HTTP/1 "
	    "status line");
	fetch(M_REPLY, "", &r);
	assert_int_equal(r.error, -EPROTO);
	fetch(M_REPLY, "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", &r);
	assert_int_equal(r.error, -EPROTO);
	fetch(M_REPLY, "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", &r);
	assert_int_equal(r.error, -EPROTO);
	n = (size_t)snprintf(huge, sizeof(huge), "HTTP/1.1 200 OK\r\nX: ");
	memset(huge + n, 'a', sizeof(huge) - n - 1);
	fetch(M_REPLY, huge, &r);
	assert_int_equal(r.error, -EMSGSIZE);
	assert_string_equal(r.msg, "response header too large (limit 16384 "
	    "bytes)");
}

static void
test_body_limits(void **state)
{
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
	    "0123456789";
	struct net_httpc_req q;
	struct result r = { 0 };
	struct srv s;

	srv_start(&s, M_REPLY, resp, strlen(resp), false);
	q = req_for(s.port);
	q.max_body = 4;
	run(&q, &r);
	assert_int_equal(r.error, -EMSGSIZE);
	assert_int_equal(r.status, 200);
	memset(&r, 0, sizeof(r));
	q.overflow = NET_HTTPC_BODY_TRUNCATE;
	run(&q, &r);
	assert_int_equal(r.error, 0);
	assert_true(r.truncated);
	assert_string_equal(r.body, "0123");
	memset(&r, 0, sizeof(r));
	q.max_body = 10;
	run(&q, &r);
	assert_false(r.truncated);
	assert_string_equal(r.body, "0123456789");
	memset(&r, 0, sizeof(r));
	q.method = "HEAD";
	run(&q, &r);
	assert_int_equal(r.error, 0);
	assert_string_equal(r.body, "");
	srv_stop(&s);
}

static unsigned
big_sum(void)
{
	unsigned sum = 0;
	size_t i;

	for (i = 0; i < BIGLEN; i++)
		sum = sum * 31 + (unsigned char)(i % 65536);
	return sum;
}

static void
test_stream(void **state)
{
	struct net_httpc_req q;
	struct result r = { 0 };
	struct srv s;

	srv_start(&s, M_BIG, NULL, 0, false);
	q = req_for(s.port);
	q.on_data = on_data;
	run(&q, &r);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.streamed, BIGLEN);
	assert_int_equal(r.sum, big_sum());
	assert_int_equal(r.body_len, 0);
	print_message("heap held by a streaming request: %zu bytes\n",
	    r.heap_max - r.heap0);
	assert_true(r.heap_max - r.heap0 < 8192);
	/* the consumer says stop */
	memset(&r, 0, sizeof(r));
	r.stop_at = 100000;
	run(&q, &r);
	assert_int_equal(r.error, -ENOSPC);
	assert_true(r.streamed < BIGLEN);
	/* the consumer cancels from inside its callback: no done */
	memset(&r, 0, sizeof(r));
	r.cancel_in_data = true;
	run(&q, &r);
	assert_false(r.called);
	srv_stop(&s);
}

static void
test_timeout_and_refused(void **state)
{
	struct net_httpc_req q;
	struct result r = { 0 };
	struct srv s;
	ev_tstamp t0;

	srv_start(&s, M_SILENT, NULL, 0, false);
	q = req_for(s.port);
	q.timeout_ms = 200;
	ev_now_update(loop);
	t0 = ev_now(loop);
	run(&q, &r);
	assert_int_equal(r.error, -ETIMEDOUT);
	assert_true(ev_now(loop) - t0 >= 0.19 && ev_now(loop) - t0 < 1.0);
	assert_non_null(strstr(r.msg, "timed out waiting for the response"));
	memset(&r, 0, sizeof(r));
	q.timeout_ms = 5000;
	q.idle_ms = 150;
	run(&q, &r);
	assert_int_equal(r.error, -ETIMEDOUT);
	assert_non_null(strstr(r.msg, "nothing received"));
	srv_stop(&s);
	/* nothing listens there any more */
	memset(&r, 0, sizeof(r));
	run(&q, &r);
	assert_int_equal(r.error, -ECONNREFUSED);
	assert_non_null(strstr(r.msg, "connect 127.0.0.1:"));
}

/* A server that sends a byte every 20 ms: only the deadline ends it. */
static void
test_trickle(void **state)
{
	struct net_httpc_req q;
	struct result r = { 0 };
	struct srv s;
	const char *heads[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX-Slow: ",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(heads); i++) {
		srv_start(&s, M_TRICKLE, heads[i], strlen(heads[i]), false);
		q = req_for(s.port);
		q.timeout_ms = 300;
		q.max_body = 100000;
		memset(&r, 0, sizeof(r));
		run(&q, &r);
		assert_int_equal(r.error, -ETIMEDOUT);
		assert_non_null(strstr(r.msg, i < 2 ? "timed out reading the "
		    "body" : "timed out waiting for the response head"));
		srv_stop(&s);
	}
	/* an endless body, truncated: done as soon as max_body is there */
	srv_start(&s, M_TRICKLE, heads[1], strlen(heads[1]), false);
	q = req_for(s.port);
	q.max_body = 3;
	q.overflow = NET_HTTPC_BODY_TRUNCATE;
	memset(&r, 0, sizeof(r));
	run(&q, &r);
	assert_int_equal(r.error, 0);
	assert_true(r.truncated);
	assert_string_equal(r.body, "xxx");
	srv_stop(&s);
}

#define NPAR 64

static void
test_parallel(void **state)
{
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	struct net_httpc_req q;
	static struct result r[NPAR];
	struct net_httpc *c;
	struct err err;
	struct srv s;
	size_t heap0, heap1;
	int i, before = count_fds();

	srv_start(&s, M_REPLY, resp, strlen(resp), false);
	q = req_for(s.port);
	memset(r, 0, sizeof(r));
	heap0 = mallinfo2().uordblks;
	for (i = 0; i < NPAR; i++)
		assert_int_equal(net_httpc_start(loop, &q, on_done, &r[i], &c,
		    &err), 0);
	heap1 = mallinfo2().uordblks;
	print_message("heap per plain request in flight: %zu bytes\n",
	    (heap1 - heap0) / NPAR);
	for (i = 0; i < NPAR; i++)
		while (!r[i].called)
			ev_run(loop, EVRUN_ONCE);
	for (i = 0; i < NPAR; i++) {
		assert_true(r[i].called);
		assert_int_equal(r[i].error, 0);
		assert_string_equal(r[i].body, "ok");
	}
	assert_int_equal(count_fds(), before);
	srv_stop(&s);
}

static void
handler(struct net_http_conn *hc, const struct net_http_req *hr, void *arg)
{
	net_http_respond(hc, 200, "text/plain", hr->path, strlen(hr->path));
}

static unsigned short
free_port(int family)
{
	struct sockaddr_in6 sa = { .sin6_family = (sa_family_t)family };
	socklen_t sl = sizeof(sa);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&sa, family == AF_INET ?
	    sizeof(struct sockaddr_in) : sl), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin6_port);	/* same place in sockaddr_in */
}

/* picolet's own server on the same loop, over IPv4 and IPv6. */
static void
test_own_server(void **state)
{
	static const struct { int family; const char *addr; } v[] = {
		{ AF_INET, "127.0.0.1" },
		{ AF_INET6, "::1" },
	};
	struct net_http_server *srv;
	struct net_httpc_req q;
	struct net_httpc *c;
	struct result r;
	struct err err;
	char listen[64];
	size_t i;
	int before = count_fds();

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		q = req_for(free_port(v[i].family));
		snprintf(listen, sizeof(listen), v[i].family == AF_INET ?
		    "%s:%u" : "[%s]:%u", v[i].addr, q.port);
		if (net_http_start(&srv, loop, NULL, 0, listen, handler, NULL,
		    &err) < 0) {
			print_message("skipped %s: %s\n", listen, err.msg);
			continue;
		}
		q.addr = v[i].addr;
		q.host = NULL;
		q.path = "/a%20b";
		memset(&r, 0, sizeof(r));
		assert_int_equal(net_httpc_start(loop, &q, on_done, &r, &c,
		    &err), 0);
		ev_run(loop, 0);
		net_http_stop(srv);
		assert_int_equal(count_fds(), before);
		assert_true(r.called);
		assert_int_equal(r.error, 0);
		assert_int_equal(r.status, 200);
		assert_string_equal(r.body, "/a b");
	}
}

static void
cancel_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	net_httpc_cancel(w->data);
}

static void
test_cancel(void **state)
{
	struct net_httpc_req q;
	struct result r = { 0 };
	struct net_httpc *c;
	struct err err;
	ev_timer t;
	struct srv s;
	int before = count_fds();

	srv_start(&s, M_SILENT, NULL, 0, false);
	q = req_for(s.port);
	assert_int_equal(net_httpc_start(loop, &q, on_done, &r, &c, &err), 0);
	ev_timer_init(&t, cancel_cb, 0.1, 0.);
	t.data = c;
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	assert_false(r.called);
	assert_int_equal(count_fds(), before);
	/* cancelled before the loop ever ran it */
	assert_int_equal(net_httpc_start(loop, &q, on_done, &r, &c, &err), 0);
	net_httpc_cancel(c);
	ev_run(loop, 0);
	assert_false(r.called);
	assert_int_equal(count_fds(), before);
	srv_stop(&s);
}

static void
test_ipv6(void **state)
{
	struct net_httpc_req q = req_for(1);
	struct result r = { 0 };

	q.addr = "::1";
	run(&q, &r);
	assert_true(r.error == -ECONNREFUSED || r.error == -EADDRNOTAVAIL);
	assert_non_null(strstr(r.msg, "[::1]:1"));
}

static void
test_netns(void **state)
{
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nns";
	struct net_httpc_req q;
	struct result r = { 0 };
	struct err err;
	struct srv s;
	char ns[64];

	if (geteuid() != 0)
		skip();
	srv_start(&s, M_REPLY, resp, strlen(resp), true);
	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)s.pid);
	q = req_for(s.port);
	q.netns = ns;
	run(&q, &r);
	assert_int_equal(r.error, 0);
	assert_string_equal(r.body, "ns");
	/* not reachable from our own namespace */
	memset(&r, 0, sizeof(r));
	q.netns = NULL;
	run(&q, &r);
	assert_int_equal(r.error, -ECONNREFUSED);
	memset(&r, 0, sizeof(r));
	q.netns = "/nonexistent/net";
	assert_int_equal(net_httpc_start(loop, &q, on_done, &r, &r.self,
	    &err), -ENOENT);
	assert_string_equal(err.msg, "open /nonexistent/net: No such file or "
	    "directory");
	q.netns = "/proc/self/ns/ipc";
	assert_int_equal(net_httpc_start(loop, &q, on_done, &r, &r.self,
	    &err), -EINVAL);
	srv_stop(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_200),
		cmocka_unit_test(test_404_and_redirect),
		cmocka_unit_test(test_request_text),
		cmocka_unit_test(test_bad_request),
		cmocka_unit_test(test_chunked_and_eof),
		cmocka_unit_test(test_garbage_and_huge),
		cmocka_unit_test(test_body_limits),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_timeout_and_refused),
		cmocka_unit_test(test_trickle),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_own_server),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_netns),
	};
	int r;

	signal(SIGPIPE, SIG_IGN);
	loop = ev_loop_new(EVBACKEND_EPOLL);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	ev_loop_destroy(loop);
	return r;
}
