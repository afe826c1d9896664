/*
 * nl_int: what nl.c (the socket, reply parsing), nl_req.c (requests) and
 * nl_pod.c (bridge and veth wiring) share, with the fuzz harness.  Not a
 * public interface: core/ uses net.h.
 */
#ifndef PICOLET_NL_INT_H
#define PICOLET_NL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <libmnl/libmnl.h>

#include "net/net.h"

#define NL_BUFSIZE 32768	/* a dump's datagrams are at most this */
#define NL_REQSIZE 4096	/* our requests are small */

struct net_nl {
	struct mnl_socket *sk;
	unsigned seq, portid;
	char rx[NL_BUFSIZE];
};

/* What we read back of a link (RTM_NEWLINK, either family). */
struct nl_link {
	int index, master;
	unsigned flags, mtu;
	char name[IFNAMSIZ];
	char kind[16];		/* IFLA_INFO_KIND, "" if none */
	int hairpin;		/* AF_BRIDGE IFLA_BRPORT_MODE; -1 none */
};

/* A NETLINK_ROUTE socket in the namespace file netns (NULL: ours). */
int nl_open(const char *netns, struct net_nl **out, struct err *err);

/* A request header in buf (NL_REQSIZE bytes), with our next
 * sequence number, NLM_F_REQUEST|NLM_F_ACK|flags. */
struct nlmsghdr *nl_req(struct net_nl *nl, void *buf, uint16_t type,
	uint16_t flags);
/*
 * Send req and read until its ACK (or the end of a dump); cb sees each
 * data message.  Returns 0 or the kernel's -errno, with err "what:
 * strerror (extended ACK message)".
 */
int nl_talk(struct net_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *arg,
	struct err *err, const char *what);

/*
 * One received datagram: data messages of our seq and portid go to cb;
 * returns 1 when the exchange is over (*error = 0, or the kernel's
 * -errno with its message in msg), 0 when more is to come, -EPROTO for a
 * malformed datagram.  Messages of other requests are skipped.
 */
int nl_parse(const void *buf, size_t len, unsigned seq, unsigned portid,
	mnl_cb_t cb, void *arg, int *error, char *msg, size_t msglen);
/* Fill l from an RTM_NEWLINK message; -EPROTO when malformed. */
int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link *l);

/* By name; -ENODEV when missing. */
int nl_link_get(struct net_nl *nl, const char *name, struct nl_link *l,
	struct err *err);
int nl_link_up(struct net_nl *nl, int index, struct err *err);
/* By name; missing is fine. */
int nl_link_del(struct net_nl *nl, const char *name, struct err *err);
/* addr/prefix on index, replacing the same address. */
int nl_addr_add(struct net_nl *nl, int index, uint32_t addr, int plen,
	struct err *err);
/* Delete the IPv4 addresses of index other than keep/plen. */
int nl_addr_prune(struct net_nl *nl, int index, uint32_t keep, int plen,
	struct err *err);
int nl_route_dev(struct net_nl *nl, int index, uint32_t dst, int plen,
	struct err *err);
int nl_route_default(struct net_nl *nl, int index, uint32_t gw,
	struct err *err);

#endif
