/*
 * conntrack: delete the UDP flows that were DNAT'ed to a removed
 * endpoint, over ctnetlink (libmnl).  UDP has no connection to break, so
 * without this a client that keeps sending from the same port keeps
 * hitting the conntrack entry (and the gone pod) until it times out;
 * kube-proxy clears them the same way.
 *
 * ctnetlink deletes one entry per message, named by its exact original
 * tuple (and zone), so we dump the IPv4 table, keep the entries whose
 * reply tuple comes from the endpoint (after DNAT, the reply's source is
 * the endpoint), and delete those.  ENOENT on delete is fine: the entry
 * expired meanwhile.  Two sockets: the dump's stays busy until its end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libmnl/libmnl.h>

#include "lib/util.h"
#include "net/net.h"

/* Bound on the entries deleted per call: a UDP endpoint's flows. */
#define CT_MAX 65536
/* Room for one dump skb (the kernel fills up to 32 KiB) or a request. */
#define CT_BUF 32768

struct tuple {
	uint32_t src, dst;	/* network order, as on the wire */
	uint16_t sport, dport;
	uint8_t proto;
};

struct ct {
	struct tuple orig;
	uint16_t zone;		/* network order; 0: none */
	bool has_zone;
};

struct dump {
	uint32_t ip;		/* network order */
	uint16_t port;
	struct ct *v;
	size_t n, cap;
};

static int
parse_nested(const struct nlattr *nest, const struct nlattr **tb, int max)
{
	const struct nlattr *a;

	memset(tb, 0, sizeof(*tb) * (size_t)(max + 1));
	mnl_attr_for_each_nested(a, nest) {
		int t = mnl_attr_get_type(a);

		if (t <= max)
			tb[t] = a;
	}
	return 0;
}

static bool
tuple_get(const struct nlattr *nest, struct tuple *t)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1];
	const struct nlattr *pr[CTA_PROTO_MAX + 1];

	parse_nested(nest, tb, CTA_TUPLE_MAX);
	if (tb[CTA_TUPLE_IP] == NULL || tb[CTA_TUPLE_PROTO] == NULL)
		return false;
	parse_nested(tb[CTA_TUPLE_IP], ip, CTA_IP_MAX);
	parse_nested(tb[CTA_TUPLE_PROTO], pr, CTA_PROTO_MAX);
	if (ip[CTA_IP_V4_SRC] == NULL || ip[CTA_IP_V4_DST] == NULL ||
	    pr[CTA_PROTO_NUM] == NULL)
		return false;
	memset(t, 0, sizeof(*t));
	t->src = mnl_attr_get_u32(ip[CTA_IP_V4_SRC]);
	t->dst = mnl_attr_get_u32(ip[CTA_IP_V4_DST]);
	t->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	if (pr[CTA_PROTO_SRC_PORT] != NULL)
		t->sport = mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]);
	if (pr[CTA_PROTO_DST_PORT] != NULL)
		t->dport = mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]);
	return true;
}

static int
dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *a, *orig = NULL, *reply = NULL, *zone = NULL;
	struct dump *d = arg;
	struct tuple o, r;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		switch (mnl_attr_get_type(a)) {
		case CTA_TUPLE_ORIG: orig = a; break;
		case CTA_TUPLE_REPLY: reply = a; break;
		case CTA_ZONE: zone = a; break;
		}
	}
	if (orig == NULL || reply == NULL || !tuple_get(orig, &o) ||
	    !tuple_get(reply, &r))
		return MNL_CB_OK;
	if (r.proto != IPPROTO_UDP || r.src != d->ip || r.sport != d->port)
		return MNL_CB_OK;
	if (d->n >= CT_MAX)
		return MNL_CB_OK;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 16;
		d->v = xrealloc(d->v, d->cap * sizeof(*d->v));
	}
	d->v[d->n].orig = o;
	d->v[d->n].has_zone = zone != NULL;
	d->v[d->n].zone = zone ? mnl_attr_get_u16(zone) : 0;
	d->n++;
	return MNL_CB_OK;
}

static struct nlmsghdr *
ct_msg(char *buf, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	memset(buf, 0, 256);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static int
ct_open(struct mnl_socket **out, struct err *err)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int rc;

	if (nl == NULL)
		return err_set(err, errno, "socket NETLINK_NETFILTER");
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = err_set(err, errno, "bind NETLINK_NETFILTER");
		mnl_socket_close(nl);
		return rc;
	}
	*out = nl;
	return 0;
}

/* Send one request and run its answers through cb until done. */
static int
talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	char buf[CT_BUF];
	uint32_t portid = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
	ssize_t r;
	int rc;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		r = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (r < 0)
			return -errno;
		rc = mnl_cb_run(buf, (size_t)r, seq, portid, cb, arg);
		if (rc < 0)
			return -errno;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

static int
ct_delete(struct mnl_socket *nl, const struct ct *c, uint32_t seq)
{
	char buf[CT_BUF];
	struct nlmsghdr *nlh = ct_msg(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, seq);
	struct nlattr *t, *n;

	t = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, c->orig.src);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, c->orig.dst);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, c->orig.proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, c->orig.sport);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, c->orig.dport);
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
	if (c->has_zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, c->zone);
	return talk(nl, nlh, NULL, NULL);
}

int
net_conntrack_flush_udp(uint32_t ip, uint16_t port, struct err *err)
{
	char buf[CT_BUF];
	struct dump d = { .ip = htonl(ip), .port = htons(port) };
	struct mnl_socket *nl = NULL;
	uint32_t seq = (uint32_t)time(NULL);
	size_t i;
	int rc, n = 0;

	if ((rc = ct_open(&nl, err)) < 0)
		return rc;
	rc = talk(nl, ct_msg(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq++),
	    dump_cb, &d);
	if (rc < 0) {
		err_set(err, -rc, "conntrack dump");
		goto out;
	}
	for (i = 0; i < d.n; i++) {
		rc = ct_delete(nl, &d.v[i], seq++);
		if (rc == -ENOENT)
			continue;
		if (rc < 0) {
			err_set(err, -rc, "conntrack delete (udp to %u.%u.%u.%u:%u)",
			    ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255,
			    (unsigned)port);
			goto out;
		}
		n++;
	}
	rc = n;
out:
	free(d.v);
	mnl_socket_close(nl);
	return rc;
}
