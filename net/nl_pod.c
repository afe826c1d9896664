/*
 * nl_pod: the pod network's links.  The bridge gets a MAC of its own at
 * creation: a bridge without one takes the lowest MAC of its ports, so
 * the gateway's MAC would change under the pods' ARP caches each time a
 * pod comes or goes.  A pod's veth peer is created directly in the pod's
 * namespace (IFLA_NET_NS_FD in the peer's attributes) under its final
 * name eth0, so no link named eth0 ever appears in ours; its address and
 * route go through a netlink socket made in the pod's namespace.  eth0's
 * MAC is 0a:58 and the four bytes of its address (as the CNI bridge
 * plugin does), so a pod wired again keeps its MAC and the neighbours'
 * ARP caches stay right.  The
 * host end joins the bridge at creation (IFLA_MASTER) and gets hairpin
 * (IFLA_BRPORT_MODE, AF_BRIDGE): without it the bridge never sends a
 * frame back out of the port it came in, and a pod's packet to its own
 * Service, DNATed back to itself, would be lost.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "lib/util.h"
#include "net/nl_int.h"

static int
bridge_create(struct net_nl *nl, const char *name, struct err *err)
{
	char buf[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *info;
	unsigned char mac[6];

	if (getrandom(mac, sizeof(mac), 0) != sizeof(mac))
		return err_set(err, errno, "getrandom");
	mac[0] = (mac[0] & 0xfe) | 0x02;	/* unicast, locally administered */
	nlh = nl_req(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	return nl_talk(nl, nlh, NULL, NULL, err, "create bridge");
}

int
net_bridge_ensure(struct net_nl *nl, const char *name, const char *gw_cidr,
	struct err *err)
{
	struct nl_link l;
	uint32_t gw;
	int plen, r;

	if (net_cidr_parse(gw_cidr, &gw, &plen) < 0)
		return err_setx(err, EINVAL, "bridge address %s: not an "
		    "IPv4 CIDR", gw_cidr);
	r = nl_link_get(nl, name, &l, err);
	if (r == -ENODEV) {
		if ((r = bridge_create(nl, name, err)) < 0 && r != -EEXIST)
			goto fail;
		r = nl_link_get(nl, name, &l, err);
	}
	if (r < 0)
		goto fail;
	if (strcmp(l.kind, "bridge") != 0)
		return err_setx(err, EEXIST, "%s exists and is not a bridge",
		    name);
	if ((r = nl_addr_add(nl, l.index, gw, plen, err)) < 0)
		goto fail;
	/* A changed pod CIDR leaves the old address and its route. */
	if ((r = nl_addr_prune(nl, l.index, gw, plen, err)) < 0)
		goto fail;
	if ((r = nl_link_up(nl, l.index, err)) < 0)
		goto fail;
	return 0;
fail:
	err_prefix(err, "bridge %s", name);
	return r;
}

int
net_route_via(struct net_nl *nl, const char *cidr, const char *dev,
	struct err *err)
{
	struct nl_link l;
	uint32_t dst;
	int plen, r;

	if (net_cidr_parse(cidr, &dst, &plen) < 0)
		return err_setx(err, EINVAL, "route %s: not an IPv4 CIDR",
		    cidr);
	if ((r = nl_link_get(nl, dev, &l, err)) < 0)
		return r;
	if (plen < 32)
		dst &= ~0U << (32 - plen);
	if ((r = nl_route_dev(nl, l.index, dst, plen, err)) < 0)
		err_prefix(err, "route %s dev %s", cidr, dev);
	return r;
}

int
net_bridge_remove(struct net_nl *nl, const char *name, struct err *err)
{
	return nl_link_del(nl, name, err);
}

int
net_pod_ifname(const char *uid, char out[16])
{
	size_t n = 0;

	memcpy(out, NET_POD_IFPREFIX, sizeof(NET_POD_IFPREFIX));
	for (; *uid != '\0' && n < 8; uid++) {
		if (*uid == '-')
			continue;
		if (!isxdigit((unsigned char)*uid))
			return -EINVAL;
		out[sizeof(NET_POD_IFPREFIX) - 1 + n++] =
		    (char)tolower((unsigned char)*uid);
	}
	if (n < 8)
		return -EINVAL;
	out[sizeof(NET_POD_IFPREFIX) - 1 + n] = '\0';
	return 0;
}

/* The veth pair: host end in our namespace, eth0 in the pod's (nsfd). */
static int
veth_create(struct net_nl *nl, const struct net_pod_if *p, int master,
	unsigned mtu, uint32_t ip, int nsfd, struct err *err)
{
	unsigned char mac[6] = { 0x0a, 0x58, ip >> 24, ip >> 16, ip >> 8, ip };
	char buf[NL_REQSIZE];
	struct nlattr *info, *data, *peer;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	nlh = nl_req(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, p->host_ifname);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's attributes follow an ifinfomsg of its own. */
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_talk(nl, nlh, NULL, NULL, err, "create veth");
}

static int
hairpin_on(struct net_nl *nl, int index, struct err *err)
{
	char buf[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *pi;

	nlh = nl_req(nl, buf, RTM_SETLINK, 0);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_BRIDGE;
	ifm->ifi_index = index;
	pi = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, 1);
	mnl_attr_nest_end(nlh, pi);
	return nl_talk(nl, nlh, NULL, NULL, err, "set hairpin");
}

/* Inside the pod: address, eth0 and lo up, default route. */
static int
pod_side(struct net_nl *pn, uint32_t ip, int plen, uint32_t gw,
	struct err *err)
{
	struct nl_link l;
	int r;

	if ((r = nl_link_get(pn, "eth0", &l, err)) < 0)
		return r;
	if ((r = nl_addr_add(pn, l.index, ip, plen, err)) < 0)
		return r;
	if ((r = nl_link_up(pn, l.index, err)) < 0)
		return r;
	if ((r = nl_link_up(pn, 1, err)) < 0)	/* lo is always index 1 */
		return r;
	return nl_route_default(pn, l.index, gw, err);
}

static int
attach(struct net_nl *nl, struct net_nl *pn, const struct net_pod_if *p,
	int nsfd, struct err *err)
{
	struct nl_link br, host;
	uint32_t ip, gw;
	int plen, r;

	if (net_cidr_parse(p->ip_cidr, &ip, &plen) < 0 || plen == 32)
		return err_setx(err, EINVAL, "pod address %s: not an IPv4 "
		    "CIDR", p->ip_cidr);
	if (inet_pton(AF_INET, p->gw, &gw) != 1)
		return err_setx(err, EINVAL, "gateway %s: not an IPv4 "
		    "address", p->gw);
	gw = ntohl(gw);
	if ((r = nl_link_get(nl, p->bridge, &br, err)) < 0)
		return r;
	/* Replace, never reuse: a leftover may be half made. */
	if ((r = nl_link_del(nl, p->host_ifname, err)) < 0)
		return r;
	if ((r = nl_link_del(pn, "eth0", err)) < 0)
		return r;
	r = veth_create(nl, p, br.index, p->mtu != 0 ? p->mtu : br.mtu, ip,
	    nsfd, err);
	if (r < 0)
		return r;
	if ((r = nl_link_get(nl, p->host_ifname, &host, err)) < 0)
		return r;
	if ((r = hairpin_on(nl, host.index, err)) < 0)
		return r;
	if ((r = nl_link_up(nl, host.index, err)) < 0)
		return r;
	return pod_side(pn, ip, plen, gw, err);
}

int
net_pod_attach(struct net_nl *nl, const struct net_pod_if *p,
	struct err *err)
{
	struct net_nl *pn = NULL;
	struct err e2;
	int nsfd, r;

	if (strlen(p->host_ifname) >= IFNAMSIZ)
		return err_setx(err, EINVAL, "link name %s: too long",
		    p->host_ifname);
	if ((nsfd = open(p->netns_path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(err, errno, "open %s", p->netns_path);
	r = nl_open(p->netns_path, &pn, err);
	if (r == 0)
		r = attach(nl, pn, p, nsfd, err);
	close(nsfd);
	net_nl_close(pn);
	if (r < 0) {
		err_prefix(err, "pod network %s", p->host_ifname);
		(void)nl_link_del(nl, p->host_ifname, &e2);
	}
	return r;
}

int
net_pod_detach(struct net_nl *nl, const char *host_ifname, struct err *err)
{
	return nl_link_del(nl, host_ifname, err);
}

/* A sysctl file holding "0" or "1", written only when it differs. */
static int
sysctl_bool(const char *path, bool on, struct err *err)
{
	char c = 0;
	ssize_t n;
	int fd, r = 0;

	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return err_set(err, errno, "open %s", path);
	if ((n = read(fd, &c, 1)) < 0)
		r = err_set(err, errno, "read %s", path);
	else if ((c == '1') != on) {
		if (pwrite(fd, on ? "1\n" : "0\n", 2, 0) != 2)
			r = err_set(err, errno, "write %s", path);
	}
	close(fd);
	return r;
}

int
net_ip_forward(bool on, struct err *err)
{
	return sysctl_bool("/proc/sys/net/ipv4/ip_forward", on, err);
}

int
net_bridge_nf_call(bool on, struct err *err)
{
	return sysctl_bool("/proc/sys/net/bridge/bridge-nf-call-iptables",
	    on, err);
}
