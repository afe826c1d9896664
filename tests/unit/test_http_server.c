/* Unit tests for net/http_server.c: a server on a temporary Unix socket
 * and a client socket driven from the same libev loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "lib/err.h"
#include "lib/util.h"
#include "net/net.h"

static struct ev_loop *loop;
static struct net_http_server *srv;
static char sockpath[108], dir[64];
static int ncalls;
static char lastpath[1024], lastquery[1024], lastbody[128];

/* the client side */
static int cfd = -1;
static ev_io cio;
static char cbuf[65536];
static size_t clen;
static bool ceof;

static struct net_http_conn *later, *streamc;
static bool stream_closed;
static ev_timer later_t;

static void
on_stream_close(struct net_http_conn *c, void *arg)
{
	stream_closed = true;
	streamc = NULL;
}

static bool drained;

static void
on_stream_drain(struct net_http_conn *c, void *arg)
{
	drained = true;
}

static const struct net_http_stream_ops sops = { on_stream_drain,
    on_stream_close };

static void
handler(struct net_http_conn *c, const struct net_http_req *req, void *arg)
{
	char body[2200];
	int n;

	ncalls++;
	snprintf(lastpath, sizeof(lastpath), "%s", req->path);
	snprintf(lastquery, sizeof(lastquery), "%s", req->query);
	snprintf(lastbody, sizeof(lastbody), "%.*s", (int)req->blen,
	    req->body ? req->body : "");
	if (strcmp(req->path, "/later") == 0) {
		later = c;
		ev_timer_start(loop, &later_t);
		return;
	}
	if (strcmp(req->path, "/stream") == 0) {
		assert_int_equal(net_http_stream_begin(c, 200, "text/plain",
		    &sops, NULL), 0);
		assert_int_equal(net_http_stream_write(c, "hello", 5), 0);
		streamc = c;
		return;
	}
	n = snprintf(body, sizeof(body), "%s?%s END\n", req->path, req->query);
	net_http_respond(c, 200, "text/plain", body, (size_t)n);
}

static void
later_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	net_http_respond(later, 202, "text/plain", "late END\n", 9);
	later = NULL;
}

static void
client_cb(struct ev_loop *l, ev_io *w, int revents)
{
	ssize_t n;

	if (clen > sizeof(cbuf) / 2)
		clen = 0;	/* bulk data: only the flow matters */
	n = recv(cfd, cbuf + clen, sizeof(cbuf) - 1 - clen, 0);

	if (n > 0) {
		clen += (size_t)n;
		cbuf[clen] = '\0';
	} else if (n == 0 || errno != EAGAIN) {
		ceof = true;
		ev_io_stop(l, w);
	}
}

static void
client_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(cfd >= 0);
	strcpy(sa.sun_path, sockpath);
	assert_int_equal(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	clen = 0;
	cbuf[0] = '\0';
	ceof = false;
	ev_io_init(&cio, client_cb, cfd, EV_READ);
	ev_io_start(loop, &cio);
}

static void
client_close(void)
{
	ev_io_stop(loop, &cio);
	close(cfd);
	cfd = -1;
}

static void
client_send(const char *s, size_t n)
{
	assert_int_equal(write(cfd, s, n), (ssize_t)n);
}

static size_t
count(const char *needle)
{
	const char *p = cbuf;
	size_t n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void
timeout_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	*(bool *)w->data = true;
}

/* Run the loop until want END markers (or EOF when want == 0). */
static void
run_until(size_t want)
{
	ev_timer t;
	bool expired = false;

	ev_timer_init(&t, timeout_cb, 5., 0.);
	t.data = &expired;
	ev_timer_start(loop, &t);
	while (!expired && (want ? count("END\n") < want : !ceof))
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &t);
	assert_false(expired);
}

/* A few loop turns, for what must not happen. */
static void
spin(double secs)
{
	ev_timer t;
	bool expired = false;

	ev_timer_init(&t, timeout_cb, secs, 0.);
	t.data = &expired;
	ev_timer_start(loop, &t);
	while (!expired)
		ev_run(loop, EVRUN_ONCE);
}

static int
setup(void **state)
{
	struct err err;

	loop = ev_default_loop(0);
	snprintf(dir, sizeof(dir), "/tmp/test_http.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sockpath, sizeof(sockpath), "%s/s.sock", dir);
	assert_int_equal(net_http_start(&srv, loop, sockpath, 0600, NULL,
	    handler, NULL, &err), 0);
	ev_timer_init(&later_t, later_cb, 0.05, 0.);
	ncalls = 0;
	return 0;
}

static int
teardown(void **state)
{
	if (cfd >= 0)
		client_close();
	net_http_stop(srv);
	srv = NULL;
	rmdir(dir);
	return 0;
}

static void
test_get(void **state)
{
	struct stat st;

	assert_int_equal(stat(sockpath, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	client_open();
	client_send("GET /api/v1/pods?labelSelector=a%3Db HTTP/1.1\r\n\r\n",
	    49);
	run_until(1);
	assert_string_equal(lastpath, "/api/v1/pods");
	assert_string_equal(lastquery, "labelSelector=a%3Db");
	assert_non_null(strstr(cbuf, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(cbuf, "Content-Length: 37\r\n"));
	assert_false(ceof);
}

static void
test_keepalive_and_body(void **state)
{
	const char *r2 = "POST /two HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz";

	client_open();
	client_send("GET /one HTTP/1.1\r\n\r\n", 21);
	run_until(1);
	client_send(r2, strlen(r2));
	run_until(2);
	assert_int_equal(ncalls, 2);
	assert_string_equal(lastpath, "/two");
	assert_string_equal(lastbody, "xyz");
	assert_false(ceof);
	client_send("GET /h10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 45);
	run_until(3);
	assert_non_null(strstr(cbuf, "Connection: keep-alive\r\n"));
	client_send("GET /three HTTP/1.1\r\nConnection: close\r\n\r\n", 42);
	run_until(0);
	assert_int_equal(count("END\n"), 4);
	assert_non_null(strstr(cbuf, "Connection: close"));
}

static void
test_pipelined(void **state)
{
	const char *p = "GET /a HTTP/1.1\r\n\r\nGET /later HTTP/1.1\r\n\r\n"
	    "GET /c?x HTTP/1.1\r\n\r\n";
	char *a, *b, *c;

	client_open();
	client_send(p, strlen(p));
	run_until(3);
	a = strstr(cbuf, "/a? END");
	b = strstr(cbuf, "late END");
	c = strstr(cbuf, "/c?x END");
	assert_true(a && b && c && a < b && b < c);
	assert_non_null(strstr(cbuf, "HTTP/1.1 202 Accepted\r\n"));
}

static void
test_errors(void **state)
{
	static char big[NET_HTTP_MAXREQ + 64];

	client_open();
	client_send("\x16\x03\x01 garbage\r\n\r\n", 14);
	run_until(0);
	assert_true(strncmp(cbuf, "HTTP/1.1 400 ", 13) == 0);
	client_close();

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	client_open();
	client_send(big, sizeof(big));
	run_until(0);
	assert_true(strncmp(cbuf, "HTTP/1.1 431 ", 13) == 0);
	client_close();

	client_open();
	client_send("PUT / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", 44);
	run_until(0);
	assert_true(strncmp(cbuf, "HTTP/1.1 413 ", 13) == 0);
	client_close();
	assert_int_equal(ncalls, 0);
}

static void
test_client_goes_away(void **state)
{
	client_open();
	client_send("GET /x HTTP/1.1\r\nHost:", 22);
	spin(0.05);
	client_close();
	spin(0.05);
	assert_int_equal(ncalls, 0);
	/* the server is still fine */
	client_open();
	client_send("GET /y HTTP/1.1\r\n\r\n", 19);
	run_until(1);
}

static void
test_stream(void **state)
{
	client_open();
	client_send("GET /stream HTTP/1.1\r\n\r\n", 24);
	spin(0.05);
	assert_non_null(streamc);
	assert_non_null(strstr(cbuf, "Transfer-Encoding: chunked\r\n"));
	assert_non_null(strstr(cbuf, "\r\n\r\n5\r\nhello\r\n"));
	assert_int_equal(net_http_stream_write(streamc, "more", 4), 0);
	spin(0.05);
	assert_non_null(strstr(cbuf, "4\r\nmore\r\n"));
	assert_false(stream_closed);
	client_close();
	spin(0.05);
	assert_true(stream_closed);
	assert_null(streamc);
}

static void
test_stream_backpressure(void **state)
{
	static char chunk[16384];
	int i, r = 0;

	stream_closed = false;
	client_open();
	ev_io_stop(loop, &cio);		/* a client that never reads */
	client_send("GET /stream HTTP/1.1\r\n\r\n", 24);
	spin(0.05);
	assert_non_null(streamc);
	for (i = 0; i < 10000 && r == 0; i++) {
		if (i % 16 == 0)
			ev_run(loop, EVRUN_NOWAIT);
		r = net_http_stream_write(streamc, chunk, sizeof(chunk));
	}
	assert_int_equal(r, -ENOBUFS);
	/* over the limit: refused, so memory stays bounded */
	assert_int_equal(net_http_stream_write(streamc, chunk, 1), -ENOBUFS);
	/* the client reads at last: the server says when to go on */
	drained = false;
	ev_io_start(loop, &cio);
	spin(0.3);
	assert_true(drained);
	assert_int_equal(net_http_stream_write(streamc, "x", 1), 0);
	net_http_stream_end(streamc);
	streamc = NULL;
	client_close();
	spin(0.05);
	assert_false(stream_closed);	/* ended before the peer left */
}

static void
test_maxconn(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fds[NET_HTTP_MAXCONN], i;

	strcpy(sa.sun_path, sockpath);
	for (i = 0; i < NET_HTTP_MAXCONN; i++) {
		fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(connect(fds[i], (struct sockaddr *)&sa,
		    sizeof(sa)), 0);
	}
	spin(0.05);
	/* one too many: it waits in the backlog, not served */
	client_open();
	client_send("GET /x HTTP/1.1\r\n\r\n", 19);
	spin(0.1);
	assert_int_equal(ncalls, 0);
	close(fds[0]);
	run_until(1);
	for (i = 1; i < NET_HTTP_MAXCONN; i++)
		close(fds[i]);
}

/* Out of fds: accepting pauses (no busy loop) and resumes later. */
static void
test_emfile(void **state)
{
	struct rlimit old, lim;
	unsigned int iters;
	int lowest;

	const char *pre = getenv("LD_PRELOAD");

	/* valgrind emulates the fd limit: accept4 takes the connection,
	 * then valgrind closes it and reports EMFILE */
	if (pre != NULL && strstr(pre, "vgpreload") != NULL) {
		skip();
		return;
	}
	client_open();
	client_send("GET /e HTTP/1.1\r\n\r\n", 19);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	lowest = dup(0);
	close(lowest);
	lim = old;
	lim.rlim_cur = (rlim_t)lowest;	/* every fd below it is taken */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
	iters = ev_iteration(loop);
	spin(0.3);
	iters = ev_iteration(loop) - iters;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_true(iters < 20);
	assert_int_equal(ncalls, 0);
	run_until(1);		/* the retry timer picks it up */
}

/* A 70 KB request head over TCP: the 431 reaches the client, and the
 * connection ends with EOF, not a reset (closing with the rest of the
 * request unread would send an RST, which may destroy the answer). */
struct bigclient {
	ev_io rio, wio;
	int fd;
	const char *data;
	size_t len, sent, total;
	bool forever;		/* send data again and again */
	char in[1024];
	size_t inlen;
	int rerr, werr;
	bool eof;
};

static void
bigclient_write(struct ev_loop *l, ev_io *w, int revents)
{
	struct bigclient *b = container_of(w, struct bigclient, wio);
	ssize_t n;

	n = send(b->fd, b->data + b->sent, b->len - b->sent, MSG_NOSIGNAL);
	if (n > 0) {
		b->sent += (size_t)n;
		b->total += (size_t)n;
	} else if (n < 0 && errno != EAGAIN)
		b->werr = errno;
	if (b->forever && b->sent == b->len)
		b->sent = 0;
	if (b->sent == b->len || b->werr != 0)
		ev_io_stop(l, w);
}

static void
bigclient_read(struct ev_loop *l, ev_io *w, int revents)
{
	struct bigclient *b = container_of(w, struct bigclient, rio);
	ssize_t n;

	n = recv(b->fd, b->in + b->inlen, sizeof(b->in) - 1 - b->inlen, 0);
	if (n > 0) {
		b->inlen += (size_t)n;
		b->in[b->inlen] = '\0';
		return;
	}
	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0)
		b->rerr = errno;
	b->eof = n == 0;
	ev_io_stop(l, w);
	ev_io_stop(l, &b->wio);
}

static void
test_huge_head_tcp(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct net_http_server *s2;
	struct bigclient b = { .fd = -1 };
	static char big[70 * 1024];
	const char *status = "HTTP/1.1 431 Request Header Fields Too Large\r\n";
	char spec[32];
	struct err err;
	ev_timer t;
	bool expired = false;
	int fd;

	/* a free port: bound, named, released */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sl), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", ntohs(sa.sin_port));
	assert_int_equal(net_http_start(&s2, loop, NULL, 0, spec, handler,
	    NULL, &err), 0);

	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	memcpy(big + sizeof(big) - 4, "\r\n\r\n", 4);
	b.data = big;
	b.len = sizeof(big);
	b.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(b.fd >= 0);
	assert_true(connect(b.fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
	    errno == EINPROGRESS);
	ev_io_init(&b.wio, bigclient_write, b.fd, EV_WRITE);
	ev_io_init(&b.rio, bigclient_read, b.fd, EV_READ);
	ev_io_start(loop, &b.wio);
	ev_io_start(loop, &b.rio);
	ev_timer_init(&t, timeout_cb, 5., 0.);
	t.data = &expired;
	ev_timer_start(loop, &t);
	while (!expired && !b.eof && b.rerr == 0)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &t);
	ev_io_stop(loop, &b.rio);
	print_message("sent %zu of %zu bytes; read error %d; got: %.40s\n",
	    b.sent, b.len, b.rerr, b.in);
	assert_false(expired);
	assert_int_equal(b.rerr, 0);
	assert_true(b.eof);
	assert_true(strncmp(b.in, status, strlen(status)) == 0);
	assert_non_null(strstr(b.in, "Connection: close\r\n"));
	assert_int_equal(ncalls, 0);

	/* The draining is bounded: a client that never stops sending is
	 * cut off after about LINGER_MAX bytes (plus socket buffers). */
	b.forever = true;
	b.sent = b.total = 0;
	ev_io_start(loop, &b.wio);
	expired = false;
	ev_timer_start(loop, &t);
	while (!expired && b.werr == 0)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &t);
	ev_io_stop(loop, &b.wio);
	close(b.fd);
	net_http_stop(s2);
	print_message("then sent %zu bytes before error %d\n", b.total,
	    b.werr);
	assert_false(expired);
	assert_true(b.werr == ECONNRESET || b.werr == EPIPE);
	assert_true(b.total < (16u << 20));
}

static void
test_tcp_listen(void **state)
{
	struct net_http_server *s2;
	struct err err;

	assert_int_equal(net_http_start(&s2, loop, NULL, 0, "127.0.0.1:0",
	    handler, NULL, &err), 0);
	net_http_stop(s2);
	if (net_http_start(&s2, loop, NULL, 0, "[::1]:0", handler, NULL,
	    &err) == 0)
		net_http_stop(s2);	/* where the host has IPv6 */
	assert_true(net_http_start(&s2, loop, NULL, 0, "nohost", handler,
	    NULL, &err) < 0);
	assert_true(net_http_start(&s2, loop, NULL, 0, "example.com:80",
	    handler, NULL, &err) < 0);	/* no DNS from the loop */
}

static void
test_stale_socket(void **state)
{
	struct net_http_server *s2;
	struct err err;

	/* a live server keeps its socket */
	assert_true(net_http_start(&s2, loop, sockpath, 0600, NULL, handler,
	    NULL, &err) < 0);
	assert_non_null(strstr(err.msg, "another server"));

	/* a socket file nobody listens on is replaced */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/stale.sock", dir);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(net_http_start(&s2, loop, sa.sun_path, 0660, NULL,
	    handler, NULL, &err), 0);
	net_http_stop(s2);
	assert_int_equal(access(sa.sun_path, F_OK), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keepalive_and_body, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_pipelined, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_goes_away, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_backpressure,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_maxconn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emfile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_listen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_huge_head_tcp, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_socket, setup,
		    teardown),
	};

	signal(SIGPIPE, SIG_IGN);	/* a failed write is a test failure */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
