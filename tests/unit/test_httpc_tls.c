/*
 * Unit tests for net/httpc.c over TLS (net/tls.c): `openssl s_server
 * -WWW` serves files from a temp dir with a self-signed certificate made
 * at test time (CN and SAN localhost, SAN IP 127.0.0.1).  Checks
 * verification on and off, an extra CA file, name and address mismatch,
 * a plain-HTTP peer, a stalled handshake, a 1 MiB body streamed in many
 * records, and the heap a request holds while it streams.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "lib/util.h"
#include "net/net.h"

#define BIGLEN (1u << 20)

static struct ev_loop *loop;
static char dir[] = "/tmp/test_httpc_tls.XXXXXX";
static char cert[128];
static pid_t server;
static unsigned short port;

struct result {
	bool called;
	int error, status;
	char msg[512];
	char body[8192];
	size_t body_len, streamed;
	bool truncated;
	size_t heap0, heap_max;
};

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
	return n - 1;
}

static size_t
heap(void)
{
	return mallinfo2().uordblks;
}

static unsigned short
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sl), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

static bool
reachable(unsigned short p)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(p);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r == 0;
}

static int
setup(void **state)
{
	char cmd[1024], acc[32], *big;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	FILE *f;
	int i, fd;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(cmd, sizeof(cmd), "cd %s && openssl req -x509 -newkey ec "
	    "-pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost "
	    "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -days 2 "
	    "-keyout key.pem -out cert.pem >/dev/null 2>&1 && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	    "-nodes -subj /CN=other -days 2 -keyout other.key "
	    "-out other.pem >/dev/null 2>&1 && echo hello > hello.txt", dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/big", dir);
	big = xmalloc(BIGLEN);
	for (i = 0; i < (int)BIGLEN; i++)
		big[i] = (char)(i * 7);
	if ((f = fopen(cmd, "w")) == NULL ||
	    fwrite(big, 1, BIGLEN, f) != BIGLEN || fclose(f) != 0)
		return -1;
	free(big);
	port = free_port();
	snprintf(acc, sizeof(acc), "127.0.0.1:%u", port);
	if ((server = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (chdir(dir) < 0)
			_exit(1);
		execlp("openssl", "openssl", "s_server", "-accept", acc,
		    "-cert", "cert.pem", "-key", "key.pem", "-WWW", "-quiet",
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && !reachable(port); i++)
		nanosleep(&ts, NULL);
	loop = ev_loop_new(EVBACKEND_EPOLL);
	return reachable(port) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[256];

	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return -1;
	ev_loop_destroy(loop);
	return 0;
}

static void
on_done(const struct net_httpc_res *res, void *arg)
{
	struct result *r = arg;

	r->called = true;
	r->error = res->error;
	r->status = res->head.status;
	snprintf(r->msg, sizeof(r->msg), "%s", res->error ? res->err.msg : "");
	assert_true(res->body_len < sizeof(r->body));
	memcpy(r->body, res->body, res->body_len + 1);
	r->body_len = res->body_len;
	r->truncated = res->truncated;
}

static int
on_data(const struct net_httpc_res *res, const void *data, size_t len,
    void *arg)
{
	struct result *r = arg;
	const char *p = data;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (char)((r->streamed + i) * 7))
			return -EBADMSG;
	r->streamed += len;
	r->heap_max = MAX(r->heap_max, heap());
	return 0;
}

static struct net_httpc_req
req(const char *path, bool verify, const char *ca)
{
	struct net_httpc_req q = {
		.host = "localhost",
		.addr = "127.0.0.1",
		.port = port,
		.path = path,
		.tls = true,
		.tls_verify = verify,
		.ca_file = ca,
		.timeout_ms = 5000,
		.max_body = 4096,
	};

	return q;
}

static void
run(const struct net_httpc_req *q, struct result *r)
{
	struct net_httpc *c;
	struct err err;
	int before = count_fds();

	memset(r, 0, sizeof(*r));
	r->heap0 = heap();
	assert_int_equal(net_httpc_start(loop, q, on_done, r, &c, &err), 0);
	ev_run(loop, 0);
	assert_true(r->called);
	assert_int_equal(count_fds(), before);
}

static void
test_no_verify(void **state)
{
	struct net_httpc_req q = req("/hello.txt", false, NULL);
	struct result r;

	run(&q, &r);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "hello\n");
	/* kubelet's HTTPS probes: an address, no name, no verification */
	q.host = "127.0.0.1";
	run(&q, &r);
	assert_int_equal(r.error, 0);
}

static void
test_verify(void **state)
{
	char other[160];
	struct net_httpc_req q = req("/hello.txt", true, cert);
	struct result r;

	run(&q, &r);
	assert_int_equal(r.error, 0);
	assert_string_equal(r.body, "hello\n");
	/* by address: the iPAddress SAN */
	q.host = "127.0.0.1";
	run(&q, &r);
	assert_int_equal(r.error, 0);
	q.host = "127.0.0.2";
	run(&q, &r);
	assert_int_equal(r.error, -EKEYREJECTED);
	q.host = "wrong.example";
	run(&q, &r);
	assert_int_equal(r.error, -EKEYREJECTED);
	assert_non_null(strstr(r.msg, "CN"));
	/* system CAs only, or an unrelated extra CA */
	q = req("/hello.txt", true, NULL);
	run(&q, &r);
	assert_int_equal(r.error, -EKEYREJECTED);
	assert_non_null(strstr(r.msg, "tls handshake: certificate "
	    "verification failed: "));
	snprintf(other, sizeof(other), "%s/other.pem", dir);
	q.ca_file = other;
	run(&q, &r);
	assert_int_equal(r.error, -EKEYREJECTED);
}

static void
test_bad_ca_file(void **state)
{
	struct net_httpc_req q = req("/", true, "/nonexistent.pem");
	struct net_httpc *c;
	struct err err;
	int before = count_fds();

	assert_int_equal(net_httpc_start(loop, &q, on_done, NULL, &c, &err),
	    -EINVAL);
	assert_non_null(strstr(err.msg, "/nonexistent.pem"));
	assert_int_equal(count_fds(), before);
}

static void
test_stream(void **state)
{
	struct net_httpc_req q = req("/big", true, cert);
	struct result r;

	q.on_data = on_data;
	run(&q, &r);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.streamed, BIGLEN);
	print_message("heap held by a streaming TLS request: %zu bytes\n",
	    r.heap_max - r.heap0);
	assert_true(r.heap_max - r.heap0 < 48 * 1024);
	q.on_data = NULL;
	q.overflow = NET_HTTPC_BODY_TRUNCATE;
	run(&q, &r);
	assert_int_equal(r.error, 0);
	assert_true(r.truncated);
	assert_int_equal(r.body_len, 4096);
}

/* A peer that is not TLS, and one that never answers the hello. */
static void
test_not_tls(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct net_httpc_req q = req("/", false, NULL);
	struct result r;
	int lfd, fd;
	pid_t pid;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sl), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	q.port = ntohs(sa.sin_port);
	q.timeout_ms = 300;
	/* nobody accepts: the kernel's backlog completes the connect */
	run(&q, &r);
	assert_int_equal(r.error, -ETIMEDOUT);
	assert_non_null(strstr(r.msg, "in the TLS handshake"));
	if ((pid = fork()) == 0) {
		fd = accept(lfd, NULL, NULL);
		fd = accept(lfd, NULL, NULL);
		(void)!write(fd, "HTTP/1.1 400 Bad Request\r\n\r\n", 28);
		_exit(0);
	}
	q.timeout_ms = 5000;
	run(&q, &r);
	assert_int_equal(r.error, -EPROTO);
	assert_non_null(strstr(r.msg,
	    "tls handshake: server gave HTTP response to HTTPS client"));
	waitpid(pid, NULL, 0);
	close(lfd);
}

/*
 * A CONNECT proxy in a child: one connection; answers `answer`, and when
 * that is a 200 relays bytes both ways to the TLS server.  The request
 * head it got is written to fd `report`.
 */
static pid_t
proxy(int lfd, const char *answer, int report)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct pollfd pf[2];
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	pid_t pid;
	int c, s, i;

	if ((pid = fork()) != 0)
		return pid;
	c = accept(lfd, NULL, NULL);
	while (len < sizeof(buf) - 1 && (n = read(c, buf + len,
	    sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	(void)!write(report, buf, len);
	close(report);
	(void)!write(c, answer, strlen(answer));
	if (strncmp(answer, "HTTP/1.1 200", 12) != 0)
		_exit(0);
	s = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		_exit(1);
	pf[0] = (struct pollfd){ .fd = c, .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = s, .events = POLLIN };
	while (poll(pf, 2, 5000) > 0) {
		for (i = 0; i < 2; i++) {
			if (pf[i].revents == 0)
				continue;
			if ((n = read(pf[i].fd, buf, sizeof(buf))) <= 0)
				_exit(0);
			(void)!write(pf[1 - i].fd, buf, (size_t)n);
		}
	}
	_exit(0);
}

/* HTTPS through a proxy's CONNECT tunnel: the certificate is still the
 * registry's (verified for "localhost"), the proxy only sees CONNECT
 * with its credentials; a refusal (407) says so. */
static void
test_proxy_connect(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct net_httpc_req q = req("/hello.txt", true, cert);
	struct result r;
	char head[4096], want[64];
	ssize_t n;
	pid_t pid;
	int lfd, rep[2];

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sl), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	q.addr = NULL;
	q.proxy_addr = "127.0.0.1";
	q.proxy_port = ntohs(sa.sin_port);
	q.proxy_auth = "Basic dTpw";

	assert_int_equal(pipe(rep), 0);
	pid = proxy(lfd, "HTTP/1.1 200 Connection established\r\n\r\n",
	    rep[1]);
	close(rep[1]);
	run(&q, &r);
	assert_int_equal(r.error, 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "hello\n");
	n = read(rep[0], head, sizeof(head) - 1);
	assert_true(n > 0);
	head[n] = '\0';
	close(rep[0]);
	snprintf(want, sizeof(want), "CONNECT localhost:%u HTTP/1.1\r\n", port);
	assert_int_equal(strncmp(head, want, strlen(want)), 0);
	assert_non_null(strstr(head, "\r\nProxy-Authorization: Basic dTpw\r\n"));
	assert_null(strstr(head, "hello.txt"));	/* the path went through TLS */
	waitpid(pid, NULL, 0);

	assert_int_equal(pipe(rep), 0);
	pid = proxy(lfd, "HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Content-Length: 0\r\n\r\n", rep[1]);
	close(rep[1]);
	run(&q, &r);
	assert_int_equal(r.error, -ECONNREFUSED);
	assert_non_null(strstr(r.msg, "refused CONNECT localhost: HTTP 407 "
	    "Proxy Authentication Required"));
	close(rep[0]);
	waitpid(pid, NULL, 0);
	close(lfd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_verify),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_bad_ca_file),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_proxy_connect),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
