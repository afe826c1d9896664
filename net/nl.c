/*
 * nl: the rtnetlink socket (libmnl), one request's exchange, and the
 * parsing of what the kernel sends back (nl_req.c has the requests).
 * Every request asks for an ACK
 * and is read to its end before the next one goes out, so a reply can
 * only belong to the request in flight; a stray one (left by a request
 * cut short by an error) is skipped by its sequence number.  The socket
 * asks for extended ACKs (the kernel's reason in words, e.g. "Unknown
 * device type") and capped ones (no echo of our request).  A receive
 * timeout bounds the wait for a kernel that never answers, which should
 * not happen: these are local operations under the RTNL lock.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/util.h"
#include "net/nl_int.h"

#define NL_TIMEOUT_S 5

int
nl_open(const char *netns, struct net_nl **out, struct err *err)
{
	struct timeval tv = { .tv_sec = NL_TIMEOUT_S };
	struct net_nl *nl;
	int fd, one = 1;

	/* Protocol 0 is NETLINK_ROUTE; the socket stays in netns. */
	fd = net_socket_netns(netns, AF_NETLINK, SOCK_RAW, err);
	if (fd < 0)
		return fd;
	nl = xcalloc(1, sizeof(*nl));
	/* Both are optional niceties: an old kernel just says less. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if ((nl->sk = mnl_socket_fdopen(fd)) == NULL) {
		close(fd);
		free(nl);
		return err_set(err, errno, "netlink socket");
	}
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		net_nl_close(nl);
		return err_set(err, errno, "bind netlink socket");
	}
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (unsigned)time_now_ns();
	*out = nl;
	return 0;
}

int
net_nl_open(struct net_nl **out, struct err *err)
{
	return nl_open(NULL, out, err);
}

void
net_nl_close(struct net_nl *nl)
{
	if (nl == NULL)
		return;
	mnl_socket_close(nl->sk);
	free(nl);
}

struct nlmsghdr *
nl_req(struct net_nl *nl, void *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	/* libmnl leaves attribute padding as it finds it: no stack bytes
	 * go to the kernel. */
	memset(buf, 0, NL_REQSIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

static int
ack_attr(const struct nlattr *a, void *arg)
{
	const char **msg = arg;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		*msg = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

/* An NLMSG_ERROR: its error, and the extended ACK's message if any. */
static int
parse_error(const struct nlmsghdr *nlh, char *msg, size_t msglen)
{
	const struct nlmsgerr *e;
	const char *m = NULL;
	size_t off, plen;

	plen = mnl_nlmsg_get_payload_len(nlh);
	if (plen < sizeof(*e))
		return -EPROTO;
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error > 0 || e->error < -4095)
		return -EPROTO;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*e);
		/* Uncapped, our request's payload sits before the TLVs. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
		    e->msg.nlmsg_len >= sizeof(struct nlmsghdr))
			off += MNL_ALIGN(e->msg.nlmsg_len -
			    sizeof(struct nlmsghdr));
		if (off < plen && mnl_attr_parse(nlh, off, ack_attr, &m) < 0)
			m = NULL;
	}
	if (m != NULL && msglen > 0)
		snprintf(msg, msglen, "%s", m);
	return e->error;
}

/*
 * libmnl's mnl_nlmsg_ok compares the length as a signed int, so a
 * message claiming nearly 4 GiB passes and the walk leaves the buffer;
 * and its attribute walk runs to the aligned end of a message: the
 * kernel pads every message, so an unpadded one is refused here.
 */
static bool
msg_ok(const struct nlmsghdr *nlh, int left)
{
	return left >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	    nlh->nlmsg_len <= (unsigned)left &&
	    NLMSG_ALIGN(nlh->nlmsg_len) <= (unsigned)left;
}

static const struct nlmsghdr *
msg_next(const struct nlmsghdr *nlh, int *left)
{
	unsigned step = NLMSG_ALIGN(nlh->nlmsg_len);

	if (step >= (unsigned)*left) {
		*left = 0;
		return nlh;
	}
	*left -= (int)step;
	return (const struct nlmsghdr *)((const char *)nlh + step);
}

int
nl_parse(const void *buf, size_t len, unsigned seq, unsigned portid,
	mnl_cb_t cb, void *arg, int *error, char *msg, size_t msglen)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)MIN(len, (size_t)NL_BUFSIZE), r;

	if (msglen > 0)
		msg[0] = '\0';
	*error = 0;
	if (!msg_ok(nlh, left))
		return -EPROTO;
	for (; msg_ok(nlh, left); nlh = msg_next(nlh, &left)) {
		if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid)
			continue;
		switch (nlh->nlmsg_type) {
		case NLMSG_ERROR:
			r = parse_error(nlh, msg, msglen);
			if (r == -EPROTO)
				return r;
			*error = r;
			return 1;
		case NLMSG_DONE:
			return 1;
		case NLMSG_NOOP:
		case NLMSG_OVERRUN:
			continue;
		}
		if (cb != NULL && cb(nlh, arg) < 0)
			return -EPROTO;
	}
	return 0;
}

int
nl_talk(struct net_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *arg,
	struct err *err, const char *what)
{
	char msg[256];
	ssize_t n;
	int r, e;

	if (mnl_socket_sendto(nl->sk, req, req->nlmsg_len) < 0)
		return err_set(err, errno, "%s: netlink send", what);
	for (;;) {
		n = mnl_socket_recvfrom(nl->sk, nl->rx, sizeof(nl->rx));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return err_setx(err, ETIMEDOUT,
			    "%s: no answer from the kernel in %d s", what,
			    NL_TIMEOUT_S);
		if (n < 0)
			return err_set(err, errno, "%s: netlink receive", what);
		r = nl_parse(nl->rx, (size_t)n, req->nlmsg_seq, nl->portid,
		    cb, arg, &e, msg, sizeof(msg));
		if (r < 0)
			return err_setx(err, -r, "%s: malformed netlink reply",
			    what);
		if (r == 0)
			continue;
		if (e == 0)
			return 0;
		if (msg[0] != '\0')
			return err_setx(err, -e, "%s: %s (%s)", what,
			    strerror(-e), msg);
		return err_set(err, -e, "%s", what);
	}
}

static int
linkinfo_attr(const struct nlattr *a, void *arg)
{
	struct nl_link *l = arg;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
	    mnl_attr_validate(a, MNL_TYPE_STRING) == 0)
		snprintf(l->kind, sizeof(l->kind), "%.*s",
		    (int)strnlen(mnl_attr_get_payload(a),
		    mnl_attr_get_payload_len(a)),
		    (const char *)mnl_attr_get_payload(a));
	return MNL_CB_OK;
}

static int
protinfo_attr(const struct nlattr *a, void *arg)
{
	struct nl_link *l = arg;

	if (mnl_attr_get_type(a) == IFLA_BRPORT_MODE &&
	    mnl_attr_validate(a, MNL_TYPE_U8) == 0)
		l->hairpin = mnl_attr_get_u8(a) != 0;
	return MNL_CB_OK;
}

static int
link_attr(const struct nlattr *a, void *arg)
{
	struct nl_link *l = arg;
	const char *p = mnl_attr_get_payload(a);
	size_t plen = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(l->name, sizeof(l->name), "%.*s",
		    (int)strnlen(p, plen), p);
		break;
	case IFLA_MTU:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			l->mtu = mnl_attr_get_u32(a);
		break;
	case IFLA_MASTER:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			l->master = (int)mnl_attr_get_u32(a);
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_parse_nested(a, linkinfo_attr, l) < 0)
			return MNL_CB_ERROR;
		break;
	case IFLA_PROTINFO:
		/* The old form is one byte of port state, not nested. */
		if ((a->nla_type & NLA_F_NESTED) &&
		    mnl_attr_parse_nested(a, protinfo_attr, l) < 0)
			return MNL_CB_ERROR;
		break;
	}
	return MNL_CB_OK;
}

int
nl_link_parse(const struct nlmsghdr *nlh, struct nl_link *l)
{
	const struct ifinfomsg *ifm;

	memset(l, 0, sizeof(*l));
	l->hairpin = -1;
	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm))
		return -EPROTO;
	ifm = mnl_nlmsg_get_payload(nlh);
	l->index = ifm->ifi_index;
	l->flags = ifm->ifi_flags;
	/* libmnl stops quietly at a broken attribute; the kernel always
	 * sends the name, so its absence marks a bad message. */
	if (mnl_attr_parse(nlh, sizeof(*ifm), link_attr, l) < 0 ||
	    l->name[0] == '\0')
		return -EPROTO;
	return 0;
}
