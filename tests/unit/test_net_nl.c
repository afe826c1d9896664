/*
 * rtnetlink (net/nl*.c).  Unprivileged: the reply parser on messages
 * built here (ACKs with and without an extended-ACK message, link
 * messages, malformed ones).  As root (else skipped): the whole process
 * moves to a network namespace of its own (unshare) for the group, so
 * nothing here ever touches the host's; two pod namespaces (held by
 * child processes: no mounts) are wired to a bridge and must reach each
 * other and the gateway over TCP; then everything is taken apart, the
 * namespace must hold only lo, and the host's links (its /sys/class/net,
 * which stays the host's) must be as before.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/util.h"
#include "net/nl_int.h"

#define BR "ptbr0"
#define GW "10.199.0.1"

static struct {
	bool root;
	int hostns;
	char *host_links;
	char a[64], b[64];	/* the pods' netns files */
	pid_t pa, pb;		/* their holders */
} G;

/* ---- the parser, on messages built here ---- */

static size_t
put_ack(char *buf, unsigned seq, unsigned pid, int error, const char *msg)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = pid;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr) + 40;
	if (msg != NULL) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	}
	return nlh->nlmsg_len;
}

static size_t
put_link(char *buf, unsigned seq, const char *name, const char *kind,
	int hairpin)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	struct nlattr *n;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 7;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_index = 42;
	ifm->ifi_flags = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1400);
	mnl_attr_put_u32(nlh, IFLA_MASTER, 3);
	n = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(nlh, n);
	if (hairpin >= 0) {
		n = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
		mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, (uint8_t)hairpin);
		mnl_attr_nest_end(nlh, n);
	}
	return nlh->nlmsg_len;
}

static int
keep_link(const struct nlmsghdr *nlh, void *arg)
{
	return nl_link_parse(nlh, arg) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static void
test_parse(void **state)
{
	char buf[4096], msg[64];
	struct nl_link l;
	size_t n;
	int e;

	n = put_ack(buf, 5, 7, -EEXIST, "File exists here");
	assert_int_equal(nl_parse(buf, n, 5, 7, NULL, NULL, &e, msg,
	    sizeof(msg)), 1);
	assert_int_equal(e, -EEXIST);
	assert_string_equal(msg, "File exists here");
	n = put_ack(buf, 5, 7, 0, NULL);
	assert_int_equal(nl_parse(buf, n, 5, 7, NULL, NULL, &e, msg,
	    sizeof(msg)), 1);
	assert_int_equal(e, 0);
	assert_string_equal(msg, "");
	/* another request's ACK is not ours */
	assert_int_equal(nl_parse(buf, n, 6, 7, NULL, NULL, &e, msg,
	    sizeof(msg)), 0);
	/* a bad error code, a truncated datagram */
	n = put_ack(buf, 5, 7, 1, NULL);
	assert_int_equal(nl_parse(buf, n, 5, 7, NULL, NULL, &e, msg,
	    sizeof(msg)), -EPROTO);
	assert_int_equal(nl_parse(buf, 8, 5, 7, NULL, NULL, &e, msg,
	    sizeof(msg)), -EPROTO);

	/* a link, then the ACK in the same datagram */
	n = put_link(buf, 9, "veth0123abcd", "veth", 1);
	n += put_ack(buf + n, 9, 7, 0, NULL);
	assert_int_equal(nl_parse(buf, n, 9, 7, keep_link, &l, &e, msg,
	    sizeof(msg)), 1);
	assert_int_equal(e, 0);
	assert_string_equal(l.name, "veth0123abcd");
	assert_string_equal(l.kind, "veth");
	assert_int_equal(l.index, 42);
	assert_int_equal(l.master, 3);
	assert_int_equal(l.mtu, 1400);
	assert_int_equal(l.hairpin, 1);
	n = put_link(buf, 9, "br0", "a-kind-longer-than-the-field", -1);
	assert_int_equal(nl_parse(buf, n, 9, 7, keep_link, &l, &e, msg,
	    sizeof(msg)), 0);
	assert_string_equal(l.kind, "a-kind-longer-t");
	assert_int_equal(l.hairpin, -1);
	/* an attribute running past its message */
	((struct nlattr *)(buf + NLMSG_HDRLEN +
	    NLMSG_ALIGN(sizeof(struct ifinfomsg))))->nla_len = 200;
	assert_int_equal(nl_parse(buf, n, 9, 7, keep_link, &l, &e, msg,
	    sizeof(msg)), -EPROTO);
}

static void
test_ifname(void **state)
{
	char s[16];

	assert_int_equal(net_pod_ifname("1A2B3C4D-0000-1111", s), 0);
	assert_string_equal(s, "pico-1a2b3c4d");
	assert_int_equal(net_pod_ifname("1a2b-3c4d", s), 0);
	assert_string_equal(s, "pico-1a2b3c4d");
	assert_int_equal(net_pod_ifname("1a2b3c", s), -EINVAL);
	assert_int_equal(net_pod_ifname("1a2b3c4z", s), -EINVAL);
}

/* ---- root: in a namespace of our own ---- */

static char *
sys_links(void)
{
	struct dirent *de;
	struct buf b;
	DIR *d;

	buf_init(&b, 1 << 16);
	if ((d = opendir("/sys/class/net")) == NULL)
		return xstrdup("");
	while ((de = readdir(d)) != NULL)
		buf_printf(&b, "%s\n", de->d_name);
	closedir(d);
	return b.p != NULL ? b.p : xstrdup("");
}

/* A pod's namespace: a child that made one and waits for us to go (its
 * stdin pipe's EOF); /proc/<pid>/ns/net names it.  No mounts. */
static pid_t
netns_child(char *path, size_t len)
{
	int rep[2], hold[2];
	pid_t pid;
	char c;

	if (pipe2(rep, O_CLOEXEC) < 0 || pipe2(hold, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		close(hold[1]);
		c = unshare(CLONE_NEWNET) == 0 ? 'k' : 'e';
		(void)!write(rep[1], &c, 1);
		(void)!read(hold[0], &c, 1);
		_exit(0);
	}
	close(rep[1]);
	close(hold[0]);
	if (pid < 0 || read(rep[0], &c, 1) != 1 || c != 'k')
		return -1;
	close(rep[0]);
	snprintf(path, len, "/proc/%d/ns/net", (int)pid);
	return pid;
}

static int
group_setup(void **state)
{
	G.hostns = -1;
	if (geteuid() != 0)
		return 0;
	G.hostns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	G.host_links = sys_links();
	if (G.hostns < 0 || unshare(CLONE_NEWNET) < 0)
		return -1;
	G.pa = netns_child(G.a, sizeof(G.a));
	G.pb = netns_child(G.b, sizeof(G.b));
	if (G.pa < 0 || G.pb < 0)
		return -1;
	G.root = true;
	return 0;
}

static int
group_teardown(void **state)
{
	char *now;
	int r = 0;

	if (G.hostns < 0)
		return 0;
	kill(G.pa, SIGKILL);
	kill(G.pb, SIGKILL);
	waitpid(G.pa, NULL, 0);
	waitpid(G.pb, NULL, 0);
	if (setns(G.hostns, CLONE_NEWNET) < 0)
		r = -1;
	close(G.hostns);
	now = sys_links();
	if (strcmp(now, G.host_links) != 0) {
		print_message("host links changed:\n%s---\n%s", G.host_links,
		    now);
		r = -1;
	}
	free(now);
	free(G.host_links);
	return r;
}

static struct net_nl *
nl_or_skip(void)
{
	struct net_nl *nl;
	struct err err;

	if (!G.root)
		skip();
	assert_int_equal(net_nl_open(&nl, &err), 0);
	return nl;
}

#define OK(call) do { \
	struct err err_; \
	int r_ = (call); \
	if (r_ < 0) \
		print_message("%s: %s\n", #call, err_.msg); \
	assert_int_equal(r_, 0); \
} while (0)
#define E (&err_)

/* A listener on ip:port in netns (NULL: ours). */
static int
listener(const char *netns, const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_port = htons(port) };
	struct err err;
	int fd, one = 1;

	fd = net_socket_netns(netns, AF_INET, SOCK_STREAM, &err);
	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

/* Connect from netns to ip:port (3 s at most), accept on l, one byte. */
static void
reach(const char *netns, const char *ip, int port, int l)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_port = htons(port) };
	socklen_t len = sizeof(int);
	struct pollfd p;
	struct err err;
	int fd, c, r;
	char x = 'x';

	fd = net_socket_netns(netns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK,
	    &err);
	assert_true(fd >= 0);
	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	assert_true(r == 0 || errno == EINPROGRESS);
	p.fd = fd;
	p.events = POLLOUT;
	assert_int_equal(poll(&p, 1, 3000), 1);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_ERROR, &r, &len), 0);
	if (r != 0)
		print_message("connect to %s:%d: %s\n", ip, port, strerror(r));
	assert_int_equal(r, 0);
	assert_int_equal(write(fd, &x, 1), 1);
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	assert_true(c >= 0);
	x = 0;
	assert_int_equal(read(c, &x, 1), 1);
	assert_int_equal(x, 'x');
	close(c);
	close(fd);
}

/* Whether eth0 exists in netns; its MAC into mac when it does. */
static bool
eth0_mac(const char *netns, unsigned char mac[6])
{
	struct ifreq ifr;
	struct err err;
	int fd, r;

	fd = net_socket_netns(netns, AF_INET, SOCK_DGRAM, &err);
	assert_true(fd >= 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
	r = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (r == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return r == 0;
}

static bool
has_eth0(const char *netns)
{
	unsigned char mac[6];

	return eth0_mac(netns, mac);
}

/* Whether ip is an address of ours. */
static bool
bindable(const char *ip)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, r;

	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r == 0;
}

static void
test_bridge(void **state)
{
	struct net_nl *nl = nl_or_skip();
	struct err err;
	char **v;

	OK(net_bridge_ensure(nl, BR, GW "/24", E));
	OK(net_bridge_ensure(nl, BR, GW "/24", E));	/* idempotent */
	assert_int_equal(net_links_list(nl, "ptbr", &v, &err), 1);
	assert_string_equal(v[0], BR);
	strv_free(v);
	assert_int_equal(net_bridge_ensure(nl, "lo", GW "/24", &err),
	    -EEXIST);
	assert_string_equal(err.msg, "lo exists and is not a bridge");
	assert_int_equal(net_bridge_ensure(nl, BR, "10.1/24", &err),
	    -EINVAL);
	/* a new CIDR replaces the old address */
	assert_true(bindable(GW));
	OK(net_bridge_ensure(nl, BR, "10.198.0.1/16", E));
	assert_true(bindable("10.198.0.1"));
	assert_false(bindable(GW));
	OK(net_bridge_remove(nl, BR, E));
	OK(net_bridge_remove(nl, BR, E));		/* missing is fine */
	assert_int_equal(net_links_list(nl, "ptbr", &v, &err), 0);
	assert_null(v[0]);
	strv_free(v);
	net_nl_close(nl);
}

/* A default route in our namespace via the bridge (to .254). */
static int
route_via(struct net_nl *nl, const char *br, struct err *err)
{
	struct nl_link l;
	int r;

	if ((r = nl_link_get(nl, br, &l, err)) < 0)
		return r;
	return nl_route_default(nl, l.index, 0x0ac700fe, err);
}

static void
test_pods(void **state)
{
	struct net_nl *nl = nl_or_skip();
	struct net_pod_if a = { BR, "pico-aaaaaaaa", G.a, "10.199.0.2/24", GW,
	    0 };
	struct net_pod_if b = { BR, "pico-bbbbbbbb", G.b, "10.199.0.3/24", GW,
	    1400 };
	struct err err;
	unsigned char mac[6];
	int lb, la, lg;
	unsigned mtu;
	char **v;

	OK(net_bridge_ensure(nl, BR, GW "/24", E));
	OK(net_pod_attach(nl, &a, E));
	OK(net_pod_attach(nl, &a, E));	/* replaced */
	OK(net_pod_attach(nl, &b, E));
	assert_true(eth0_mac(G.b, mac));	/* 0a:58 + 10.199.0.3 */
	assert_memory_equal(mac, "\x0a\x58\x0a\xc7\x00\x03", 6);
	assert_int_equal(net_port_hairpin(nl, a.host_ifname, &err), 1);
	assert_int_equal(net_port_hairpin(nl, b.host_ifname, &err), 1);
	assert_int_equal(net_port_hairpin(nl, BR, &err), -ENOENT);
	assert_int_equal(net_links_list(nl, NET_POD_IFPREFIX, &v, &err), 2);
	strv_free(v);

	lb = listener(G.b, "10.199.0.3", 8080);
	la = listener(G.a, "10.199.0.2", 8080);
	lg = listener(NULL, GW, 8081);
	reach(G.a, "10.199.0.3", 8080, lb);	/* pod to pod */
	reach(G.b, "10.199.0.2", 8080, la);
	reach(G.a, GW, 8081, lg);		/* pod to the gateway */
	reach(NULL, "10.199.0.3", 8080, lb);	/* host to pod */
	close(la);
	close(lb);
	close(lg);

	assert_int_equal(net_uplink_mtu(nl, &mtu, &err), -ENOENT);
	OK(route_via(nl, BR, E));
	OK(net_uplink_mtu(nl, &mtu, E));
	assert_int_equal(mtu, 1400);	/* the bridge: its smallest port, b */

	OK(net_pod_detach(nl, a.host_ifname, E));
	OK(net_pod_detach(nl, a.host_ifname, E));	/* missing is fine */
	OK(net_pod_detach(nl, b.host_ifname, E));
	assert_false(has_eth0(G.a));
	assert_false(has_eth0(G.b));
	OK(net_bridge_remove(nl, BR, E));
	assert_int_equal(net_links_list(nl, "", &v, &err), 1);
	assert_string_equal(v[0], "lo");
	strv_free(v);
	net_nl_close(nl);
}

static void
test_attach_fails(void **state)
{
	struct net_nl *nl = nl_or_skip();
	struct net_pod_if p = { "nobr0", "pico-cccccccc", G.a, "10.199.0.4/24",
	    GW, 0 };
	struct err err;
	char **v;

	assert_int_equal(net_pod_attach(nl, &p, &err), -ENODEV);
	assert_string_equal(err.msg, "pod network pico-cccccccc: nobr0: "
	    "No such device");
	OK(net_bridge_ensure(nl, BR, GW "/24", E));
	p.bridge = BR;
	p.netns_path = "/nonexistent/net";
	assert_int_equal(net_pod_attach(nl, &p, &err), -ENOENT);
	p.netns_path = G.a;
	p.gw = "10.199.0";
	assert_int_equal(net_pod_attach(nl, &p, &err), -EINVAL);
	/* a gateway off the pod's subnet: the route fails, all undone */
	p.gw = "10.200.0.1";
	assert_true(net_pod_attach(nl, &p, &err) < 0);
	print_message("off-subnet gateway: %s\n", err.msg);
	assert_int_equal(net_links_list(nl, NET_POD_IFPREFIX, &v, &err), 0);
	strv_free(v);
	assert_false(has_eth0(G.a));
	OK(net_bridge_remove(nl, BR, E));
	net_nl_close(nl);
}

static void
test_sysctl(void **state)
{
	struct err err;
	char *s;
	size_t len;

	if (!G.root)
		skip();
	OK(net_ip_forward(true, E));
	OK(net_ip_forward(true, E));
	assert_int_equal(read_file("/proc/sys/net/ipv4/ip_forward", 16, &s,
	    &len, &err), 0);
	assert_string_equal(s, "1\n");
	free(s);
	OK(net_ip_forward(false, E));
	assert_int_equal(read_file("/proc/sys/net/ipv4/ip_forward", 16, &s,
	    &len, &err), 0);
	assert_string_equal(s, "0\n");
	free(s);
	if (access("/proc/sys/net/bridge", F_OK) == 0)
		OK(net_bridge_nf_call(true, E));
	else
		assert_int_equal(net_bridge_nf_call(true, &err), -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_ifname),
		cmocka_unit_test(test_bridge),
		cmocka_unit_test(test_pods),
		cmocka_unit_test(test_attach_fails),
		cmocka_unit_test(test_sysctl),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
