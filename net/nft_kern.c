/*
 * nft_kern: picolet's nftables table as one object (struct net_nft).  It
 * keeps a copy of the last state the kernel accepted, and each apply
 * sends one batch with the difference (nft.c); the first apply, and the
 * first after a failure, replaces the table's contents wholesale in one
 * batch (add table, delete table, add table and all), which the kernel
 * commits atomically, so services that were live stay live.
 *
 * Kernel quirks: nfnetlink processes a batch synchronously inside
 * sendmsg(), so every answer is queued by the time it returns and the
 * socket is read without blocking; only the last message asks for an ack
 * (errors are always reported, and are delivered after the commit or
 * abort), which keeps a 10000-message batch from flooding the socket; a
 * large batch needs SO_SNDBUF at least its size (SO_SNDBUFFORCE, we have
 * CAP_NET_ADMIN if we may change the ruleset at all); NETLINK_CAP_ACK
 * keeps error messages from echoing the whole request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>

#include "lib/util.h"
#include "net/nft_int.h"

struct net_nft {
	char *table;
	struct mnl_socket *nl;
	struct net_nft_batch b;
	bool have_ok;			/* have is what the kernel holds */
	struct net_nft_state have;	/* owned copies below */
	struct net_nft_svc *svcs;
	struct net_nft_hostport *hps;
};

static int
svc_key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct net_nft_svc *)a)->key,
	    ((const struct net_nft_svc *)b)->key);
}

/* ---- the owned copy of the last applied state ---- */

static void
have_clear(struct net_nft *n)
{
	size_t i;

	for (i = 0; i < n->have.nsvcs; i++) {
		free((char *)n->svcs[i].key);
		free((void *)n->svcs[i].eps);
	}
	free(n->svcs);
	free(n->hps);
	free((char *)n->have.bridge);
	memset(&n->have, 0, sizeof(n->have));
	n->svcs = NULL;
	n->hps = NULL;
	n->have_ok = false;
}

static void
have_set(struct net_nft *n, const struct net_nft_state *st)
{
	struct net_nft_ep *eps;
	size_t i;

	have_clear(n);
	n->have = *st;
	n->have.bridge = xstrdup(st->bridge);
	n->svcs = xcalloc(st->nsvcs + 1, sizeof(*n->svcs));
	for (i = 0; i < st->nsvcs; i++) {
		n->svcs[i] = st->svcs[i];
		n->svcs[i].key = xstrdup(st->svcs[i].key);
		eps = xcalloc(st->svcs[i].neps + 1, sizeof(*eps));
		if (st->svcs[i].neps > 0)
			memcpy(eps, st->svcs[i].eps,
			    st->svcs[i].neps * sizeof(*eps));
		n->svcs[i].eps = eps;
	}
	/* kept in key order, so the next diff need not sort it */
	qsort(n->svcs, st->nsvcs, sizeof(*n->svcs), svc_key_cmp);
	n->hps = xcalloc(st->nhps + 1, sizeof(*n->hps));
	if (st->nhps > 0)
		memcpy(n->hps, st->hps, st->nhps * sizeof(*n->hps));
	n->have.svcs = n->svcs;
	n->have.hps = n->hps;
	n->have_ok = true;
}

/* ---- the kernel ---- */

static int
sock_open(struct net_nft *n, struct err *err)
{
	int one = 1;

	if (n->nl != NULL)
		return 0;
	if ((n->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC)) == NULL)
		return err_set(err, errno, "socket NETLINK_NETFILTER");
	if (mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(n->nl);
		n->nl = NULL;
		return err_set(err, e, "bind NETLINK_NETFILTER");
	}
	mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	return 0;
}

/* Ask for an ack on the last message before BATCH_END; its seq. */
static uint32_t
ack_last(struct net_nft_batch *b)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)b->buf, *prev = NULL, *last = NULL;
	int left = (int)b->len;

	while (mnl_nlmsg_ok(nlh, left)) {
		prev = last;
		last = nlh;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	if (prev == NULL)
		return 0;
	prev->nlmsg_flags |= NLM_F_ACK;
	return prev->nlmsg_seq;
}

/* Read the answers: 0 once the ack of seq came, else the first error. */
static int
answers(struct net_nft *n, uint32_t seq0, uint32_t seq, struct err *err)
{
	char buf[16384];
	const struct nlmsghdr *nlh;
	const struct nlmsgerr *e;
	int fd = mnl_socket_get_fd(n->nl), rc = 0, len;
	ssize_t r;

	for (;;) {
		r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return rc ? rc : err_setx(err, EPROTO,
			    "nftables: no answer to the batch");
		if (r < 0)
			return err_set(err, errno, "recv NETLINK_NETFILTER");
		len = (int)r;
		for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, len);
		    nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error != 0 && rc == 0)
				rc = err_set(err, -e->error, "nftables table "
				    "%s: message %u of the batch", n->table,
				    nlh->nlmsg_seq - seq0);
			if (nlh->nlmsg_seq == seq && e->error == 0 && rc == 0)
				return 0;
		}
	}
}

static int
send_batch(struct net_nft *n, struct err *err)
{
	struct net_nft_batch *b = &n->b;
	int fd, size = (int)MIN(b->len + 65536, (size_t)INT32_MAX / 2);
	uint32_t seq0, seq;
	ssize_t r;
	int rc;

	if ((rc = sock_open(n, err)) < 0)
		return rc;
	fd = mnl_socket_get_fd(n->nl);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	seq0 = ((struct nlmsghdr *)b->buf)->nlmsg_seq;
	seq = ack_last(b);
	r = mnl_socket_sendto(n->nl, b->buf, b->len);
	if (r < 0)
		return err_set(err, errno, "sendmsg NETLINK_NETFILTER "
		    "(%zu bytes)", b->len);
	return answers(n, seq0, seq, err);
}

int
net_nft_open(struct net_nft **out, const char *table, struct err *err)
{
	struct net_nft *n;

	if (table == NULL || *table == '\0' || strlen(table) >= NFT_NAME_MAXLEN)
		return err_setx(err, EINVAL, "nft: bad table name");
	n = xcalloc(1, sizeof(*n));
	n->table = xstrdup(table);
	*out = n;
	return 0;
}

int
net_nft_apply(struct net_nft *n, const struct net_nft_state *want,
	struct err *err)
{
	int rc;

	rc = net_nft_batch_build(&n->b, n->table, n->have_ok ? &n->have : NULL,
	    want, err);
	if (rc < 0)
		return rc;
	if (n->b.nmsg == 0)
		return 0;	/* the same state: have stays as it is */
	if ((rc = send_batch(n, err)) < 0) {
		have_clear(n);
		return rc;
	}
	have_set(n, want);
	return 0;
}

int
net_nft_destroy(struct net_nft *n, struct err *err)
{
	struct nb nb;
	int rc;

	have_clear(n);
	nb_start(&nb, &n->b, n->table);
	nb_table(&nb, NFT_MSG_NEWTABLE);	/* so the delete cannot miss */
	nb_table(&nb, NFT_MSG_DELTABLE);
	nb_finish(&nb);
	rc = send_batch(n, err);
	if (n->b.cap > 1024 * 1024)
		net_nft_batch_free(&n->b);
	return rc;
}

void
net_nft_close(struct net_nft *n)
{
	if (n == NULL)
		return;
	have_clear(n);
	if (n->nl != NULL)
		mnl_socket_close(n->nl);
	net_nft_batch_free(&n->b);
	free(n->table);
	free(n);
}
