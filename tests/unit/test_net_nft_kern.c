/*
 * net/nft against the kernel, as root, in a network namespace of the
 * test's own (never the host's ruleset): services answer over both
 * endpoints, NodePort, hostPort and affinity work, endpoint changes take
 * effect, no ready endpoint is refused at once, a full replace leaves no
 * window, destroy leaves other tables alone, conntrack flush, hairpin.
 * Endpoints are TCP/UDP listeners on addresses added to lo, the VIPs
 * routed to a veth pair; connections from this namespace go through
 * nat-output.  An unrelated table made with the nft binary must survive
 * everything.  The batch round trips without a kernel: test_net_nft.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "lib/util.h"
#include "net/net.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

/* ---- as root, in a network namespace of our own ---- */

static pid_t listener = -1;
static bool in_netns;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int
tcp_listen(uint32_t ip, uint16_t port, int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
	    .sin_addr.s_addr = htonl(ip) };
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 128), 0);
	return fd;
}

/* TCP on 10.1.0.{2,3,4}:8080 answers its last octet; UDP on
 * 10.1.0.2:5353 echoes. */
static void
start_listeners(void)
{
	struct pollfd p[4];
	int i, c;

	for (i = 0; i < 3; i++)
		p[i] = (struct pollfd){ tcp_listen(IP(10, 1, 0, 2 + i), 8080,
		    SOCK_STREAM), POLLIN, 0 };
	p[3] = (struct pollfd){ tcp_listen(IP(10, 1, 0, 2), 5353, SOCK_DGRAM),
	    POLLIN, 0 };
	if ((listener = fork()) != 0) {
		for (i = 0; i < 4; i++)
			close(p[i].fd);
		return;
	}
	for (;;) {
		if (poll(p, 4, -1) < 0)
			continue;
		for (i = 0; i < 3; i++) {
			char ch = (char)('2' + i);

			if (!(p[i].revents & POLLIN))
				continue;
			if ((c = accept(p[i].fd, NULL, NULL)) >= 0) {
				(void)!write(c, &ch, 1);
				close(c);
			}
		}
		if (p[3].revents & POLLIN) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			char buf[64];
			ssize_t r = recvfrom(p[3].fd, buf, sizeof(buf), 0,
			    (struct sockaddr *)&from, &fl);

			if (r > 0)
				sendto(p[3].fd, buf, (size_t)r, 0,
				    (struct sockaddr *)&from, fl);
		}
	}
}

/* Connect to ip:port: the answering endpoint's digit, or -errno. */
static int
hit(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
	    .sin_addr.s_addr = htonl(ip) };
	struct pollfd p;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int rc, e = 0;
	socklen_t el = sizeof(e);
	char ch;

	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 &&
	    errno != EINPROGRESS) {
		rc = -errno;
		goto out;
	}
	p = (struct pollfd){ fd, POLLIN, 0 };
	if (poll(&p, 1, 2000) != 1) {
		rc = -ETIMEDOUT;
		goto out;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
	if (e != 0) {
		rc = -e;
		goto out;
	}
	rc = read(fd, &ch, 1) == 1 ? ch - '0' : -EIO;
out:
	close(fd);
	return rc;
}

static int
root_setup(void **state)
{
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
		return 0;
	if (sh("ip link set lo up && ip link add d0 type veth peer name d1 && "
	    "ip link set d0 up && ip link set d1 up && ip addr add 192.168.77.1/24 dev d0 && "
	    "ip route add 10.96.0.0/16 dev d0 && "
	    "ip addr add 10.1.0.2/32 dev lo && ip addr add 10.1.0.3/32 dev lo && "
	    "ip addr add 10.1.0.4/32 dev lo && "
	    "nft add table inet keepme && "
	    "nft add chain inet keepme c '{ type filter hook input priority 0; }' && "
	    "nft add rule inet keepme c counter") != 0)
		return 0;
	in_netns = true;
	start_listeners();
	return 0;
}

static int
root_teardown(void **state)
{
	if (listener > 0) {
		kill(listener, SIGKILL);
		waitpid(listener, NULL, 0);
	}
	return 0;
}

static struct net_nft_svc rsvc[3];
static struct net_nft_hostport hps[1];
static struct net_nft_ep rweb[3], rudp[1];

static struct net_nft_state
rstate(void)
{
	struct net_nft_state st = { .pod_net = IP(10, 1, 0, 0),
	    .pod_mask = 0xffff0000, .bridge = "pico0", .svcs = rsvc, .nsvcs = 2,
	    .hps = hps, .nhps = 1 };

	rweb[0] = (struct net_nft_ep){ IP(10, 1, 0, 2), 8080, true };
	rweb[1] = (struct net_nft_ep){ IP(10, 1, 0, 3), 8080, true };
	rweb[2] = (struct net_nft_ep){ IP(10, 1, 0, 4), 8080, false };
	rudp[0] = (struct net_nft_ep){ IP(10, 1, 0, 2), 5353, true };
	rsvc[0] = (struct net_nft_svc){ "default/web/http", IP(10, 96, 0, 10),
	    80, IPPROTO_TCP, 30080, 0, rweb, 3 };
	rsvc[1] = (struct net_nft_svc){ "default/dns/udp", IP(10, 96, 0, 53),
	    53, IPPROTO_UDP, 0, 0, rudp, 1 };
	hps[0] = (struct net_nft_hostport){ IPPROTO_TCP, 0, 8081,
	    IP(10, 1, 0, 3), 8080 };
	return st;
}

static void
spread(uint32_t ip, uint16_t port, int n, int seen[5])
{
	int i, r;

	memset(seen, 0, 5 * sizeof(int));
	for (i = 0; i < n; i++) {
		r = hit(ip, port);
		if (r < 2 || r > 4)
			fail_msg("connection %d to %08x:%u: %d (%s)", i, ip, port,
			    r, r < 0 ? strerror(-r) : "?");
		seen[r]++;
	}
}

static void
test_root_services(void **state)
{
	struct net_nft_state st;
	struct net_nft *n;
	struct err err = { { 0 } };
	int seen[5];
	struct timespec t0, t1;

	if (!in_netns)
		skip();
	st = rstate();
	assert_int_equal(net_nft_open(&n, "picolet", &err), 0);
	if (net_nft_apply(n, &st, &err) < 0)
		fail_msg("apply: %s", err.msg);
	spread(IP(10, 96, 0, 10), 80, 100, seen);
	assert_true(seen[2] > 10 && seen[3] > 10);
	assert_int_equal(seen[4], 0);
	spread(IP(192, 168, 77, 1), 30080, 20, seen);	/* NodePort */
	assert_int_equal(seen[2] + seen[3], 20);
	spread(IP(192, 168, 77, 1), 8081, 5, seen);	/* hostPort */
	assert_int_equal(seen[3], 5);

	/* endpoints change: only the new one answers */
	rweb[0].ready = rweb[1].ready = false;
	rweb[2].ready = true;
	if (net_nft_apply(n, &st, &err) < 0)
		fail_msg("apply: %s", err.msg);
	spread(IP(10, 96, 0, 10), 80, 20, seen);
	assert_int_equal(seen[4], 20);

	/* no ready endpoint: refused at once (TCP reset), not a timeout */
	rweb[2].ready = false;
	if (net_nft_apply(n, &st, &err) < 0)
		fail_msg("apply: %s", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(hit(IP(10, 96, 0, 10), 80), -ECONNREFUSED);
	assert_int_equal(hit(IP(192, 168, 77, 1), 30080), -ECONNREFUSED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 1);

	/* ClientIP affinity: one client stays on one endpoint */
	rweb[0].ready = rweb[1].ready = true;
	rsvc[0].affinity_timeout = 30;
	if (net_nft_apply(n, &st, &err) < 0)
		fail_msg("apply: %s", err.msg);
	spread(IP(10, 96, 0, 10), 80, 30, seen);
	assert_true(seen[2] == 30 || seen[3] == 30);
	net_nft_close(n);

	/* a new process (restart): the first apply replaces the table */
	assert_int_equal(net_nft_open(&n, "picolet", &err), 0);
	rsvc[0].affinity_timeout = 0;
	if (net_nft_apply(n, &st, &err) < 0)
		fail_msg("apply after restart: %s", err.msg);
	spread(IP(10, 96, 0, 10), 80, 40, seen);
	assert_true(seen[2] > 0 && seen[3] > 0);

	assert_int_equal(net_nft_destroy(n, &err), 0);
	assert_int_not_equal(sh("nft list table ip picolet >/dev/null 2>&1"), 0);
	assert_int_equal(sh("nft list table inet keepme | grep -q counter"), 0);
	assert_int_equal(net_nft_destroy(n, &err), 0);	/* absent: fine */
	net_nft_close(n);
}

/* A client loop sees no failure while a fresh net_nft (a restarted
 * picolet) replaces the table again and again. */
static void
test_root_no_window(void **state)
{
	struct net_nft_state st;
	struct net_nft *n;
	struct err err = { { 0 } };
	int status, replaces = 0;
	pid_t pid;

	if (!in_netns)
		skip();
	st = rstate();
	assert_int_equal(net_nft_open(&n, "picolet", &err), 0);
	if (net_nft_apply(n, &st, &err) < 0)
		fail_msg("apply: %s", err.msg);
	if ((pid = fork()) == 0) {
		int i, bad = 0, r;

		for (i = 0; i < 400; i++)
			if ((r = hit(IP(10, 96, 0, 10), 80)) != 2 && r != 3 &&
			    bad++ == 0)
				fprintf(stderr, "hit %d of 400: %d (%s)\n", i, r,
				    r < 0 ? strerror(-r) : "wrong backend");
		_exit(bad > 0);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		net_nft_close(n);
		assert_int_equal(net_nft_open(&n, "picolet", &err), 0);
		if (net_nft_apply(n, &st, &err) < 0)
			fail_msg("apply: %s", err.msg);
		replaces++;
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(replaces > 0);
	assert_int_equal(net_nft_destroy(n, &err), 0);
	net_nft_close(n);
}

static void
test_root_conntrack(void **state)
{
	struct net_nft_state st;
	struct net_nft *n;
	struct err err = { { 0 } };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53),
	    .sin_addr.s_addr = htonl(IP(10, 96, 0, 53)) };
	struct pollfd p;
	char buf[8];
	int fd;

	if (!in_netns)
		skip();
	st = rstate();
	assert_int_equal(net_nft_open(&n, "picolet", &err), 0);
	if (net_nft_apply(n, &st, &err) < 0)
		fail_msg("apply: %s", err.msg);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(sendto(fd, "ping", 4, 0, (struct sockaddr *)&a,
	    sizeof(a)), 4);
	p = (struct pollfd){ fd, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 4);
	close(fd);
	if (net_conntrack_flush_udp(IP(10, 1, 0, 2), 5353, &err) < 1)
		fail_msg("flush: %s", err.msg);
	assert_int_equal(net_conntrack_flush_udp(IP(10, 1, 0, 2), 5353, &err), 0);
	assert_int_equal(net_nft_destroy(n, &err), 0);
	net_nft_close(n);
}

/* The pod side of the hairpin test, in a network namespace of its own:
 * listen on 10.1.0.5:8080, connect to the VIP (which leads back here),
 * answer, and read the answer back.  Exit 0 on success. */
static int
pod_hairpin(int go)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80),
	    .sin_addr.s_addr = htonl(IP(10, 96, 0, 20)) };
	struct pollfd p;
	int l, c, s;
	char ch = 0;

	if (read(go, &ch, 1) != 1 || system("ip link set lo up && "
	    "ip addr add 10.1.0.5/24 dev hp1 && ip link set hp1 up && "
	    "ip route add default via 10.1.0.254") != 0)
		return 2;
	l = tcp_listen(IP(10, 1, 0, 5), 8080, SOCK_STREAM);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 &&
	    errno != EINPROGRESS)
		return 3;
	p = (struct pollfd){ l, POLLIN, 0 };
	if (poll(&p, 1, 3000) != 1 || (s = accept(l, NULL, NULL)) < 0)
		return 4;
	if (write(s, "5", 1) != 1)
		return 5;
	p = (struct pollfd){ c, POLLIN, 0 };
	if (poll(&p, 1, 3000) != 1 || read(c, &ch, 1) != 1 || ch != '5')
		return 6;
	return 0;
}

static void
test_root_hairpin(void **state)
{
	struct net_nft_ep ep = { IP(10, 1, 0, 5), 8080, true };
	struct net_nft_svc svc = { "default/self/http", IP(10, 96, 0, 20), 80,
	    IPPROTO_TCP, 0, 0, &ep, 1 };
	struct net_nft_state st = { .pod_net = IP(10, 1, 0, 0),
	    .pod_mask = 0xffff0000, .bridge = "hp0", .svcs = &svc, .nsvcs = 1 };
	struct net_nft *n;
	struct err err = { { 0 } };
	int go[2], ready[2], status;
	char ch;
	pid_t pid;

	if (!in_netns)
		skip();
	assert_int_equal(sh("ip link add hp0 type veth peer name hp1 && "
	    "ip addr add 10.1.0.254/24 dev hp0 && ip link set hp0 up && "
	    "sysctl -qw net.ipv4.ip_forward=1"), 0);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(ready), 0);
	if ((pid = fork()) == 0) {
		close(go[1]);
		close(ready[0]);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		(void)write(ready[1], "u", 1);	/* in its own netns now */
		close(ready[1]);
		_exit(pod_hairpin(go[0]));
	}
	close(go[0]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &ch, 1), 1);
	close(ready[0]);
	assert_int_equal(sh("ip link set hp1 netns %d", (int)pid), 0);
	assert_int_equal(net_nft_open(&n, "picolet", &err), 0);
	if (net_nft_apply(n, &st, &err) < 0)
		fail_msg("apply: %s", err.msg);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(net_nft_destroy(n, &err), 0);
	net_nft_close(n);
}

int
main(void)
{
	const struct CMUnitTest root[] = {
		cmocka_unit_test(test_root_services),
		cmocka_unit_test(test_root_no_window),
		cmocka_unit_test(test_root_conntrack),
		cmocka_unit_test(test_root_hairpin),
	};

	return cmocka_run_group_tests_name("nft_root", root, root_setup,
	    root_teardown);
}
