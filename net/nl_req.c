/*
 * nl_req: the plain rtnetlink requests on top of nl.c: a link by name,
 * up, delete; addresses (add, and prune the ones no longer wanted); the
 * default route; dumps of links, addresses, routes and bridge ports.  A
 * dump is read to its end even past what we keep, so the socket is left
 * clean for the next request, and nothing is sent while one is running:
 * deletions decided from a dump go out after it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/util.h"
#include "net/nl_int.h"

static int
one_link(const struct nlmsghdr *nlh, void *arg)
{
	return nl_link_parse(nlh, arg) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int
nl_link_get(struct net_nl *nl, const char *name, struct nl_link *l,
	struct err *err)
{
	char buf[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	if (strlen(name) >= IFNAMSIZ)
		return err_setx(err, EINVAL, "link name %s: too long", name);
	nlh = nl_req(nl, buf, RTM_GETLINK, 0);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	memset(l, 0, sizeof(*l));
	return nl_talk(nl, nlh, one_link, l, err, name);
}

int
nl_link_up(struct net_nl *nl, int index, struct err *err)
{
	char buf[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	nlh = nl_req(nl, buf, RTM_NEWLINK, 0);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	return nl_talk(nl, nlh, NULL, NULL, err, "set link up");
}

int
nl_link_del(struct net_nl *nl, const char *name, struct err *err)
{
	char buf[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	int r;

	if (strlen(name) >= IFNAMSIZ)
		return err_setx(err, EINVAL, "link name %s: too long", name);
	nlh = nl_req(nl, buf, RTM_DELLINK, 0);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	r = nl_talk(nl, nlh, NULL, NULL, err, name);
	if (r == -ENODEV)
		r = 0;
	if (r < 0)
		err_prefix(err, "delete link");
	return r;
}

int
nl_addr_add(struct net_nl *nl, int index, uint32_t addr, int plen,
	struct err *err)
{
	char buf[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	uint32_t a = htonl(addr), mask, brd;

	mask = plen == 0 ? 0 : ~(uint32_t)0 << (32 - plen);
	brd = htonl(addr | ~mask);
	nlh = nl_req(nl, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)index;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(a), &a);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(a), &a);
	if (plen < 31)
		mnl_attr_put(nlh, IFA_BROADCAST, sizeof(brd), &brd);
	return nl_talk(nl, nlh, NULL, NULL, err, "add address");
}

struct addr_ctx {
	int index;
	uint32_t a[16];
	uint8_t plen[16];
	size_t n;
};

static int
addr_attr(const struct nlattr *a, void *arg)
{
	uint32_t *v = arg;

	if (mnl_attr_get_type(a) == IFA_LOCAL &&
	    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		*v = ntohl(mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

static int
addr_one(const struct nlmsghdr *nlh, void *arg)
{
	struct addr_ctx *c = arg;
	const struct ifaddrmsg *ifa;
	uint32_t v = 0;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_ERROR;
	ifa = mnl_nlmsg_get_payload(nlh);
	if ((int)ifa->ifa_index != c->index || ifa->ifa_family != AF_INET ||
	    c->n == ARRAY_SIZE(c->a))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, &v) < 0 || v == 0)
		return MNL_CB_OK;
	c->a[c->n] = v;
	c->plen[c->n++] = ifa->ifa_prefixlen;
	return MNL_CB_OK;
}

static int
addr_del(struct net_nl *nl, int index, uint32_t addr, int plen,
	struct err *err)
{
	char buf[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	uint32_t a = htonl(addr);

	nlh = nl_req(nl, buf, RTM_DELADDR, 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_index = (unsigned)index;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(a), &a);
	return nl_talk(nl, nlh, NULL, NULL, err, "delete address");
}

int
nl_addr_prune(struct net_nl *nl, int index, uint32_t keep, int plen,
	struct err *err)
{
	struct addr_ctx c = { .index = index };
	char buf[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	size_t i;
	int r;

	nlh = nl_req(nl, buf, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	if ((r = nl_talk(nl, nlh, addr_one, &c, err, "list addresses")) < 0)
		return r;
	/* Deleted after the dump: one request at a time on the socket. */
	for (i = 0; i < c.n; i++) {
		if (c.a[i] == keep && c.plen[i] == plen)
			continue;
		r = addr_del(nl, index, c.a[i], c.plen[i], err);
		if (r < 0 && r != -EADDRNOTAVAIL)
			return r;
	}
	return 0;
}

int
nl_route_default(struct net_nl *nl, int index, uint32_t gw, struct err *err)
{
	char buf[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	uint32_t g = htonl(gw);

	nlh = nl_req(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, sizeof(g), &g);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)index);
	return nl_talk(nl, nlh, NULL, NULL, err, "add default route");
}

int
nl_route_dev(struct net_nl *nl, int index, uint32_t dst, int plen,
    struct err *err)
{
	char buf[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	uint32_t d = htonl(dst);

	nlh = nl_req(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = (unsigned char)plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, sizeof(d), &d);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)index);
	return nl_talk(nl, nlh, NULL, NULL, err, "add route");
}

struct route_ctx {
	int oif;
};

static int
route_attr(const struct nlattr *a, void *arg)
{
	struct route_ctx *c = arg;

	if (mnl_attr_get_type(a) == RTA_OIF && c->oif == 0 &&
	    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		c->oif = (int)mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

static int
route_one(const struct nlmsghdr *nlh, void *arg)
{
	const struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_ERROR;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len != 0 ||
	    rtm->rtm_table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	(void)mnl_attr_parse(nlh, sizeof(*rtm), route_attr, arg);
	return MNL_CB_OK;
}

int
net_uplink_mtu(struct net_nl *nl, unsigned *mtu, struct err *err)
{
	struct route_ctx c = { 0 };
	char buf[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct rtmsg *rtm;
	struct nl_link l;
	int r;

	nlh = nl_req(nl, buf, RTM_GETROUTE, NLM_F_DUMP);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	if ((r = nl_talk(nl, nlh, route_one, &c, err, "list routes")) < 0)
		return r;
	if (c.oif == 0)
		return err_setx(err, ENOENT, "no IPv4 default route");
	nlh = nl_req(nl, buf, RTM_GETLINK, 0);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = c.oif;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	memset(&l, 0, sizeof(l));
	if ((r = nl_talk(nl, nlh, one_link, &l, err,
	    "default route's link")) < 0)
		return r;
	*mtu = l.mtu;
	return 0;
}

struct list_ctx {
	const char *prefix;
	char **v;
	int n;
};

static int
list_link(const struct nlmsghdr *nlh, void *arg)
{
	struct list_ctx *c = arg;
	struct nl_link l;

	if (nl_link_parse(nlh, &l) < 0)
		return MNL_CB_ERROR;
	/* Past the bound the dump is still read to its end. */
	if (c->n < NET_NL_MAXLINKS &&
	    strncmp(l.name, c->prefix, strlen(c->prefix)) == 0) {
		strv_push(&c->v, l.name);
		c->n++;
	}
	return MNL_CB_OK;
}

int
net_links_list(struct net_nl *nl, const char *prefix, char ***out,
	struct err *err)
{
	char buf[NL_REQSIZE];
	struct list_ctx c = { prefix, NULL, 0 };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	int r;

	nlh = nl_req(nl, buf, RTM_GETLINK, NLM_F_DUMP);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = nl_talk(nl, nlh, list_link, &c, err, "list links");
	if (r < 0) {
		strv_free(c.v);
		return r;
	}
	if (c.v == NULL)
		c.v = xcalloc(1, sizeof(char *));
	*out = c.v;
	return c.n;
}

struct port_ctx {
	int index, hairpin;
};

static int
port_link(const struct nlmsghdr *nlh, void *arg)
{
	struct port_ctx *c = arg;
	struct nl_link l;

	if (nl_link_parse(nlh, &l) < 0)
		return MNL_CB_ERROR;
	if (l.index == c->index)
		c->hairpin = l.hairpin;
	return MNL_CB_OK;
}

/* The bridge's view of its ports only comes as an AF_BRIDGE dump. */
int
net_port_hairpin(struct net_nl *nl, const char *ifname, struct err *err)
{
	char buf[NL_REQSIZE];
	struct port_ctx c = { 0, -1 };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nl_link l;
	int r;

	if ((r = nl_link_get(nl, ifname, &l, err)) < 0)
		return r;
	c.index = l.index;
	nlh = nl_req(nl, buf, RTM_GETLINK, NLM_F_DUMP);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_BRIDGE;
	r = nl_talk(nl, nlh, port_link, &c, err, "list bridge ports");
	if (r < 0)
		return r;
	if (c.hairpin < 0)
		return err_setx(err, ENOENT, "%s: not a bridge port", ifname);
	return c.hairpin;
}
