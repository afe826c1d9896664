/*
 * Tests for net/nft*.c without a kernel (test_net_nft_kern.c has those
 * against one).
 *
 * Round trips.  Build the batch for a state, parse every
 * message back with libnftnl (nftnl_*_nlmsg_parse) and check the objects;
 * then diffs: a second state with one endpoint changed must produce a
 * batch that touches only that service (counted message by message), at
 * 3 services as at 1000.
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

/* ---- parse a batch back ---- */

struct obj {
	uint16_t type;			/* NFT_MSG_* */
	char name[256];			/* table/chain/set name; rule: chain */
	char exprs[256];		/* rule: "payload,cmp,..." */
	struct nftnl_chain *c;
	struct nftnl_rule *r;
	struct nftnl_set *s;
};

struct parsed {
	struct obj *o;
	size_t n;
};

static void
rule_exprs(struct obj *o)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(o->r);
	struct nftnl_expr *e;

	while ((e = nftnl_expr_iter_next(it)) != NULL) {
		if (o->exprs[0])
			strcat(o->exprs, ",");
		strcat(o->exprs, nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
	}
	nftnl_expr_iter_destroy(it);
}

static void
parse_one(const struct nlmsghdr *nlh, struct obj *o)
{
	struct nftnl_table *t;

	o->type = NFNL_MSG_TYPE(nlh->nlmsg_type);
	assert_int_equal(NFNL_SUBSYS_ID(nlh->nlmsg_type), NFNL_SUBSYS_NFTABLES);
	switch (o->type) {
	case NFT_MSG_NEWTABLE: case NFT_MSG_DELTABLE:
		t = nftnl_table_alloc();
		assert_int_equal(nftnl_table_nlmsg_parse(nlh, t), 0);
		snprintf(o->name, sizeof(o->name), "%s",
		    nftnl_table_get_str(t, NFTNL_TABLE_NAME));
		nftnl_table_free(t);
		break;
	case NFT_MSG_NEWCHAIN: case NFT_MSG_DELCHAIN:
		o->c = nftnl_chain_alloc();
		assert_int_equal(nftnl_chain_nlmsg_parse(nlh, o->c), 0);
		snprintf(o->name, sizeof(o->name), "%s",
		    nftnl_chain_get_str(o->c, NFTNL_CHAIN_NAME));
		break;
	case NFT_MSG_NEWRULE: case NFT_MSG_DELRULE:
		o->r = nftnl_rule_alloc();
		assert_int_equal(nftnl_rule_nlmsg_parse(nlh, o->r), 0);
		snprintf(o->name, sizeof(o->name), "%s",
		    nftnl_rule_get_str(o->r, NFTNL_RULE_CHAIN));
		rule_exprs(o);
		break;
	case NFT_MSG_NEWSET: case NFT_MSG_DELSET:
		o->s = nftnl_set_alloc();
		assert_int_equal(nftnl_set_nlmsg_parse(nlh, o->s), 0);
		snprintf(o->name, sizeof(o->name), "%s",
		    nftnl_set_get_str(o->s, NFTNL_SET_NAME));
		break;
	case NFT_MSG_NEWSETELEM: case NFT_MSG_DELSETELEM:
		o->s = nftnl_set_alloc();
		assert_int_equal(nftnl_set_elems_nlmsg_parse(nlh, o->s), 0);
		snprintf(o->name, sizeof(o->name), "%s",
		    nftnl_set_get_str(o->s, NFTNL_SET_NAME));
		break;
	default:
		fail_msg("unexpected message type %u", o->type);
	}
}

static struct parsed
parse(const struct net_nft_batch *b)
{
	const struct nlmsghdr *nlh = (const void *)b->buf;
	struct parsed p = { xcalloc(b->nmsg + 1, sizeof(*p.o)), 0 };
	int len = (int)b->len;

	assert_true(mnl_nlmsg_ok(nlh, len));
	assert_int_equal(nlh->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	nlh = mnl_nlmsg_next(nlh, &len);
	while (mnl_nlmsg_ok(nlh, len) && nlh->nlmsg_type != NFNL_MSG_BATCH_END) {
		assert_true(p.n < b->nmsg);
		parse_one(nlh, &p.o[p.n++]);
		nlh = mnl_nlmsg_next(nlh, &len);
	}
	assert_true(mnl_nlmsg_ok(nlh, len));
	assert_int_equal(nlh->nlmsg_type, NFNL_MSG_BATCH_END);
	assert_int_equal(p.n, b->nmsg);
	nlh = mnl_nlmsg_next(nlh, &len);
	assert_int_equal(len, 0);
	return p;
}

static void
parsed_free(struct parsed *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->o[i].c)
			nftnl_chain_free(p->o[i].c);
		if (p->o[i].r)
			nftnl_rule_free(p->o[i].r);
		if (p->o[i].s)
			nftnl_set_free(p->o[i].s);
	}
	free(p->o);
}

/* Messages of type whose name contains sub (NULL: any). */
static int
count(const struct parsed *p, uint16_t type, const char *sub)
{
	size_t i;
	int n = 0;

	for (i = 0; i < p->n; i++)
		if (p->o[i].type == type &&
		    (sub == NULL || strstr(p->o[i].name, sub) != NULL))
			n++;
	return n;
}

static const struct obj *
find(const struct parsed *p, uint16_t type, const char *sub, const char *exprs)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->o[i].type == type && strstr(p->o[i].name, sub) &&
		    (exprs == NULL || strstr(p->o[i].exprs, exprs)))
			return &p->o[i];
	return NULL;
}

/* The chain an element of map (in a NEWSETELEM) with key maps to. */
static const char *
elem_chain(const struct parsed *p, const char *map, const void *key,
	uint32_t klen)
{
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	const char *found = NULL;
	const void *k;
	uint32_t len;
	size_t i;

	for (i = 0; i < p->n && found == NULL; i++) {
		if (p->o[i].type != NFT_MSG_NEWSETELEM ||
		    strcmp(p->o[i].name, map) != 0)
			continue;
		it = nftnl_set_elems_iter_create(p->o[i].s);
		while ((e = nftnl_set_elems_iter_next(it)) != NULL) {
			k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
			if (len == klen && memcmp(k, key, klen) == 0) {
				assert_int_equal((int32_t)nftnl_set_elem_get_u32(e,
				    NFTNL_SET_ELEM_VERDICT), NFT_GOTO);
				found = nftnl_set_elem_get_str(e,
				    NFTNL_SET_ELEM_CHAIN);
				break;
			}
		}
		nftnl_set_elems_iter_destroy(it);
	}
	return found;
}

/* Elements in messages of type on sets whose name contains sub; with
 * data, how many map to ip (host order, 0: any). */
static int
elems(const struct parsed *p, uint16_t type, const char *sub, uint32_t ip)
{
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	const uint8_t *d;
	uint32_t len, a;
	size_t i;
	int n = 0;

	for (i = 0; i < p->n; i++) {
		if (p->o[i].type != type || !strstr(p->o[i].name, sub))
			continue;
		it = nftnl_set_elems_iter_create(p->o[i].s);
		while ((e = nftnl_set_elems_iter_next(it)) != NULL) {
			if (ip != 0) {
				d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len);
				assert_int_equal(len, 8);
				memcpy(&a, d, 4);
				if (ntohl(a) != ip)
					continue;
			}
			n++;
		}
		nftnl_set_elems_iter_destroy(it);
	}
	return n;
}

static void
key_ipp(uint8_t *k, uint32_t ip, uint8_t proto, uint16_t port)
{
	uint32_t a = htonl(ip);
	uint16_t p = htons(port);

	memset(k, 0, 12);
	memcpy(k, &a, 4);
	k[4] = proto;
	memcpy(k + 8, &p, 2);
}

/* ---- states ---- */

static struct net_nft_ep web_eps[3], aff_eps[2];
static struct net_nft_svc svcs[3];
static struct net_nft_hostport hps[1];

static struct net_nft_state
state1(void)
{
	struct net_nft_state st = {
		.pod_net = IP(10, 1, 0, 0), .pod_mask = 0xffff0000,
		.bridge = "pico0", .svcs = svcs, .nsvcs = 3, .hps = hps,
		.nhps = 1,
	};

	web_eps[0] = (struct net_nft_ep){ IP(10, 1, 0, 2), 8080, true };
	web_eps[1] = (struct net_nft_ep){ IP(10, 1, 0, 3), 8080, true };
	web_eps[2] = (struct net_nft_ep){ IP(10, 1, 0, 4), 8080, false };
	aff_eps[0] = (struct net_nft_ep){ IP(10, 1, 0, 2), 5353, true };
	aff_eps[1] = (struct net_nft_ep){ IP(10, 1, 0, 3), 5353, true };
	svcs[0] = (struct net_nft_svc){ "default/web/http", IP(10, 96, 0, 10),
	    80, IPPROTO_TCP, 30080, 0, web_eps, 3 };
	svcs[1] = (struct net_nft_svc){ "default/empty/x", IP(10, 96, 0, 11),
	    80, IPPROTO_TCP, 0, 0, NULL, 0 };
	svcs[2] = (struct net_nft_svc){ "kube/aff/dns", IP(10, 96, 0, 12),
	    53, IPPROTO_UDP, 0, 60, aff_eps, 2 };
	hps[0] = (struct net_nft_hostport){ IPPROTO_TCP, 0, 8081,
	    IP(10, 1, 0, 2), 8080 };
	return st;
}

/* A deep copy, so that the test can change the original. */
struct copy {
	struct net_nft_state st;
	struct net_nft_svc *s;
	struct net_nft_ep *e;
	struct net_nft_hostport *h;
};

static struct copy
copy(const struct net_nft_state *st)
{
	struct copy c = { *st, xcalloc(st->nsvcs + 1, sizeof(*c.s)), NULL,
	    xcalloc(st->nhps + 1, sizeof(*c.h)) };
	size_t i, n = 0;

	for (i = 0; i < st->nsvcs; i++)
		n += st->svcs[i].neps;
	c.e = xcalloc(n + 1, sizeof(*c.e));
	for (i = 0, n = 0; i < st->nsvcs; i++) {
		c.s[i] = st->svcs[i];
		memcpy(c.e + n, st->svcs[i].eps, st->svcs[i].neps * sizeof(*c.e));
		c.s[i].eps = c.e + n;
		n += st->svcs[i].neps;
	}
	c.st.svcs = c.s;
	memcpy(c.h, st->hps, st->nhps * sizeof(*c.h));
	c.st.hps = c.h;
	return c;
}

static void
copy_free(struct copy *c)
{
	free(c->s);
	free(c->e);
	free(c->h);
}

static struct parsed
build(struct net_nft_batch *b, const struct net_nft_state *have,
	const struct net_nft_state *want)
{
	struct err err = { { 0 } };

	assert_int_equal(net_nft_batch_build(b, "picolet", have, want, &err), 0);
	return parse(b);
}

/* ---- round trips ---- */

static void
test_full_build(void **state)
{
	struct net_nft_batch b = { 0 };
	struct net_nft_state st = state1();
	const struct obj *o;
	const char *ch;
	uint8_t k[12];
	size_t i;
	struct parsed p = build(&b, NULL, &st);

	/* the whole table is replaced in the one batch */
	assert_int_equal(p.o[0].type, NFT_MSG_NEWTABLE);
	assert_int_equal(p.o[1].type, NFT_MSG_DELTABLE);
	assert_int_equal(p.o[2].type, NFT_MSG_NEWTABLE);
	assert_string_equal(p.o[2].name, "picolet");
	assert_int_equal(count(&p, NFT_MSG_NEWTABLE, NULL), 2);
	assert_int_equal(count(&p, NFT_MSG_DELCHAIN, NULL), 0);

	o = find(&p, NFT_MSG_NEWCHAIN, "nat-prerouting", NULL);
	assert_non_null(o);
	assert_int_equal(nftnl_chain_get_u32(o->c, NFTNL_CHAIN_HOOKNUM),
	    NF_INET_PRE_ROUTING);
	assert_int_equal((int)nftnl_chain_get_s32(o->c, NFTNL_CHAIN_PRIO), -100);
	assert_string_equal(nftnl_chain_get_str(o->c, NFTNL_CHAIN_TYPE), "nat");
	o = find(&p, NFT_MSG_NEWCHAIN, "filter-output", NULL);
	assert_non_null(o);
	assert_string_equal(nftnl_chain_get_str(o->c, NFTNL_CHAIN_TYPE), "filter");
	assert_non_null(find(&p, NFT_MSG_NEWRULE, "filter-forward", "ct,bitwise,cmp,immediate"));
	assert_non_null(find(&p, NFT_MSG_NEWRULE, "endpoints-check", "meta,cmp,payload,meta,payload,lookup,reject"));
	assert_non_null(find(&p, NFT_MSG_NEWRULE, "endpoints-check", "fib,cmp,payload,bitwise,cmp,meta,payload,lookup,reject"));
	assert_non_null(find(&p, NFT_MSG_NEWRULE, "services", "payload,meta,payload,lookup"));
	assert_non_null(find(&p, NFT_MSG_NEWRULE, "services", "fib,cmp,payload,bitwise,cmp,meta,payload,lookup"));
	assert_non_null(find(&p, NFT_MSG_NEWRULE, "masquerading", "payload,bitwise,cmp,meta,cmp,masq"));
	assert_non_null(find(&p, NFT_MSG_NEWRULE, "masquerading", "payload,payload,lookup,masq"));

	/* one slot map per service; web's 61 slots hold only ready
	 * endpoints, evenly */
	assert_int_equal(count(&p, NFT_MSG_NEWSET, "endpoints-"), 3);
	assert_int_equal(count(&p, NFT_MSG_NEWCHAIN, "endpoint-"), 0);
	assert_int_equal(elems(&p, NFT_MSG_NEWSETELEM, "default/web/http", 0), 61);
	i = (size_t)elems(&p, NFT_MSG_NEWSETELEM, "default/web/http", IP(10, 1, 0, 2));
	assert_true(i == 30 || i == 31);
	assert_int_equal(elems(&p, NFT_MSG_NEWSETELEM, "default/web/http", IP(10, 1, 0, 4)), 0);
	assert_int_equal(elems(&p, NFT_MSG_NEWSETELEM, "default/empty/x", 0), 0);
	assert_int_equal(elems(&p, NFT_MSG_NEWSETELEM, "hairpin", 0), 2);

	/* dnat to numgen random mod 61 map @endpoints-... */
	o = find(&p, NFT_MSG_NEWRULE, "default/web/http", "numgen,lookup,nat");
	assert_non_null(o);
	assert_true(strncmp(o->name, "service-", 8) == 0);
	{
		struct nftnl_expr_iter *it = nftnl_expr_iter_create(o->r);
		struct nftnl_expr *e;

		nftnl_expr_iter_next(it);	/* meta l4proto tcp */
		nftnl_expr_iter_next(it);
		e = nftnl_expr_iter_next(it);
		assert_int_equal(nftnl_expr_get_u32(e, NFTNL_EXPR_NG_MODULUS), 61);
		e = nftnl_expr_iter_next(it);
		assert_non_null(strstr(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET),
		    "endpoints-"));
		nftnl_expr_iter_destroy(it);
	}

	/* map elements: VIPs -> service chain; none ready -> the reject set */
	key_ipp(k, IP(10, 96, 0, 10), IPPROTO_TCP, 80);
	ch = elem_chain(&p, "service-ips", k, 12);
	assert_non_null(ch);
	assert_true(strncmp(ch, "service-", 8) == 0 && strstr(ch, "default/web/http"));
	assert_int_equal(elems(&p, NFT_MSG_NEWSETELEM, "no-endpoint-services", 0), 1);
	key_ipp(k, IP(10, 96, 0, 11), IPPROTO_TCP, 80);
	assert_non_null(elem_chain(&p, "service-ips", k, 12));
	memset(k, 0, 8);
	k[0] = IPPROTO_TCP;
	k[4] = 30080 >> 8, k[5] = 30080 & 255;
	ch = elem_chain(&p, "service-nodeports", k, 8);
	assert_non_null(ch);
	assert_true(strncmp(ch, "external-", 9) == 0);
	k[4] = 8081 >> 8, k[5] = 8081 & 255;
	assert_string_equal(elem_chain(&p, "hostport-any", k, 8), "hostport-tcp-0.0.0.0-8081");

	/* ClientIP affinity: a timeout map client -> endpoint, used first */
	o = find(&p, NFT_MSG_NEWSET, "affinity-", NULL);
	assert_non_null(o);
	assert_int_equal(count(&p, NFT_MSG_NEWSET, "affinity-"), 1);
	assert_int_equal(nftnl_set_get_u64(o->s, NFTNL_SET_TIMEOUT), 60000);
	assert_int_equal(nftnl_set_get_u32(o->s, NFTNL_SET_FLAGS),
	    NFT_SET_MAP | NFT_SET_TIMEOUT | NFT_SET_EVAL);
	assert_non_null(find(&p, NFT_MSG_NEWRULE, "kube/aff/dns", "payload,lookup,dynset,nat"));
	assert_non_null(find(&p, NFT_MSG_NEWRULE, "kube/aff/dns", "numgen,lookup,payload,dynset,nat"));
	parsed_free(&p);
	net_nft_batch_free(&b);
}

/* Every object named in the batch belongs to key (or is also). */
static void
only_touches(const struct parsed *p, const char *key, const char *also)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strstr(p->o[i].name, key) == NULL &&
		    strcmp(p->o[i].name, also) != 0)
			fail_msg("message %zu (type %u) touches %s", i,
			    p->o[i].type, p->o[i].name);
}

static void
test_diff_endpoint(void **state)
{
	struct net_nft_batch b = { 0 };
	struct net_nft_state st = state1();
	struct copy old = copy(&st);
	struct parsed p;
	int n, i;

	web_eps[1].ip = IP(10, 1, 0, 9);
	p = build(&b, &old.st, &st);
	/* the slots that move (deleted, re-added) and the new hairpin
	 * address: data elements only, no rule, no chain */
	assert_int_equal(p.n, 3);
	only_touches(&p, "default/web/http", "hairpin");
	n = elems(&p, NFT_MSG_DELSETELEM, "endpoints-", 0);
	assert_int_equal(n, elems(&p, NFT_MSG_NEWSETELEM, "endpoints-", 0));
	/* the new endpoint takes the old one's share; Maglev moves a few
	 * more slots than that, never all */
	i = elems(&p, NFT_MSG_NEWSETELEM, "endpoints-", IP(10, 1, 0, 9));
	assert_true(i == 30 || i == 31);
	assert_true(n >= i && n < 61);
	assert_int_equal(elems(&p, NFT_MSG_NEWSETELEM, "hairpin", 0), 1);
	assert_int_equal(count(&p, NFT_MSG_NEWRULE, NULL) + count(&p, NFT_MSG_NEWCHAIN, NULL), 0);
	parsed_free(&p);

	/* nothing changed (other order): nothing sent */
	{
		struct net_nft_svc rev[3] = { svcs[2], svcs[0], svcs[1] };
		struct net_nft_state st2 = st;
		struct err err;

		st2.svcs = rev;
		assert_int_equal(net_nft_batch_build(&b, "picolet", &st, &st2, &err), 0);
		assert_int_equal(b.nmsg, 0);
	}
	copy_free(&old);
	net_nft_batch_free(&b);
}

static void
test_diff_scale(void **state)
{
	struct net_nft_batch b = { 0 };
	struct net_nft_svc *s = xcalloc(1000, sizeof(*s));
	struct net_nft_ep *e = xcalloc(3000, sizeof(*e));
	struct net_nft_state st = { .pod_net = IP(10, 88, 0, 0),
	    .pod_mask = 0xffff0000, .bridge = "pico0", .svcs = s, .nsvcs = 1000 };
	struct copy old;
	struct parsed p;
	char (*keys)[32] = xcalloc(1000, sizeof(*keys));
	size_t i;

	for (i = 0; i < 1000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "ns/svc%zu/http", i);
		s[i] = (struct net_nft_svc){ keys[i], IP(10, 96, i >> 8, i & 255),
		    80, IPPROTO_TCP, 0, 0, e + 3 * i, 3 };
		e[3 * i] = (struct net_nft_ep){ IP(10, 88, i >> 8, i & 255), 80, true };
		e[3 * i + 1] = (struct net_nft_ep){ IP(10, 89, i >> 8, i & 255), 80, true };
		e[3 * i + 2] = (struct net_nft_ep){ IP(10, 90, i >> 8, i & 255), 80, true };
	}
	p = build(&b, NULL, &st);
	assert_int_equal(count(&p, NFT_MSG_NEWSET, "endpoints-"), 1000);
	parsed_free(&p);
	old = copy(&st);
	e[3 * 500 + 1].ready = false;
	p = build(&b, &old.st, &st);
	/* its slots move to the others, its hairpin address goes: the
	 * same cost as with 3 services */
	assert_int_equal(p.n, 3);
	only_touches(&p, "ns/svc500/http", "hairpin");
	assert_int_equal(count(&p, NFT_MSG_NEWRULE, NULL), 0);
	parsed_free(&p);
	copy_free(&old);
	free(keys);
	free(s);
	free(e);
	net_nft_batch_free(&b);
}

static void
test_diff_remove_and_empty(void **state)
{
	struct net_nft_batch b = { 0 };
	struct net_nft_state st = state1();
	struct copy old = copy(&st);
	struct parsed p;
	uint8_t k[12];

	web_eps[0].ready = web_eps[1].ready = false;
	st.nsvcs = 2;			/* kube/aff/dns goes */
	p = build(&b, &old.st, &st);
	assert_int_equal(count(&p, NFT_MSG_DELSETELEM, "service-ips"), 1);
	assert_int_equal(count(&p, NFT_MSG_DELSETELEM, "service-nodeports"), 0);
	assert_int_equal(elems(&p, NFT_MSG_NEWSETELEM, "no-endpoint-services", 0), 1);
	assert_int_equal(elems(&p, NFT_MSG_NEWSETELEM, "no-endpoint-nodeports", 0), 1);
	assert_int_equal(count(&p, NFT_MSG_DELSETELEM, "endpoints-"), 1);	/* a flush */
	assert_int_equal(elems(&p, NFT_MSG_DELSETELEM, "endpoints-", 0), 0);
	assert_int_equal(elems(&p, NFT_MSG_DELSETELEM, "hairpin", 0), 2);
	assert_int_equal(count(&p, NFT_MSG_DELCHAIN, "service-"), 1);
	assert_int_equal(count(&p, NFT_MSG_DELSET, "kube/aff/dns"), 2);
	assert_int_equal(count(&p, NFT_MSG_NEWCHAIN, NULL), 0);
	assert_int_equal(count(&p, NFT_MSG_NEWRULE, NULL), 0);
	(void)k;
	parsed_free(&p);
	copy_free(&old);
	net_nft_batch_free(&b);
}

static void
test_diff_hostport_and_base(void **state)
{
	struct net_nft_batch b = { 0 };
	struct net_nft_state st = state1();
	struct copy old = copy(&st);
	struct parsed p;

	hps[0].pod_ip = IP(10, 1, 0, 7);
	p = build(&b, &old.st, &st);
	assert_int_equal(p.n, 3);		/* flush, hairpin rule, dnat */
	only_touches(&p, "hostport-tcp-0.0.0.0-8081", "");
	parsed_free(&p);
	st.pod_mask = 0xff000000;	/* another pod CIDR: a new table */
	p = build(&b, &old.st, &st);
	assert_int_equal(p.o[1].type, NFT_MSG_DELTABLE);
	parsed_free(&p);
	copy_free(&old);
	net_nft_batch_free(&b);
}

/* A new VIP moves the element; a NodePort that goes takes its chain. */
static void
test_diff_vip_nodeport(void **state)
{
	struct net_nft_batch b = { 0 };
	struct net_nft_state st = state1();
	struct copy old = copy(&st);
	struct parsed p;
	uint8_t k[12];

	svcs[0].vip = IP(10, 96, 1, 1);
	svcs[0].nodeport = 0;
	p = build(&b, &old.st, &st);
	assert_int_equal(elems(&p, NFT_MSG_DELSETELEM, "service-ips", 0), 1);
	assert_int_equal(elems(&p, NFT_MSG_DELSETELEM, "service-nodeports", 0), 1);
	key_ipp(k, IP(10, 96, 1, 1), IPPROTO_TCP, 80);
	assert_non_null(elem_chain(&p, "service-ips", k, 12));
	assert_int_equal(count(&p, NFT_MSG_DELCHAIN, "external-"), 1);
	assert_int_equal(count(&p, NFT_MSG_NEWRULE, NULL), 0);
	assert_int_equal(p.n, 4);
	parsed_free(&p);
	copy_free(&old);
	net_nft_batch_free(&b);
}

/* 3 -> 9 endpoints crosses a slot tier (61 -> 251): the one service's
 * rule is replaced and its slots refilled; nothing else. */
static void
test_diff_tier(void **state)
{
	struct net_nft_batch b = { 0 };
	struct net_nft_state st = state1();
	struct copy old = copy(&st);
	struct net_nft_ep many[9];
	struct parsed p;
	const struct obj *o;
	int i;

	for (i = 0; i < 9; i++)
		many[i] = (struct net_nft_ep){ IP(10, 1, 1, i + 1), 8080, true };
	svcs[0].eps = many;
	svcs[0].neps = 9;
	p = build(&b, &old.st, &st);
	only_touches(&p, "default/web/http", "hairpin");
	assert_int_equal(count(&p, NFT_MSG_DELRULE, "service-"), 1);
	assert_int_equal(count(&p, NFT_MSG_NEWRULE, "service-"), 2);
	o = find(&p, NFT_MSG_NEWRULE, "service-", "numgen");
	assert_non_null(o);
	assert_int_equal(elems(&p, NFT_MSG_NEWSETELEM, "endpoints-", 0), 251);
	for (i = 0; i < 9; i++) {
		int n = elems(&p, NFT_MSG_NEWSETELEM, "endpoints-", many[i].ip);

		assert_true(n == 27 || n == 28);	/* 251 / 9 */
	}
	parsed_free(&p);
	copy_free(&old);
	net_nft_batch_free(&b);
}

static void
test_bad_input(void **state)
{
	struct net_nft_batch b = { 0 };
	struct net_nft_state st = state1();
	struct err err = { { 0 } };

	svcs[1].key = "default/web/http";
	assert_int_equal(net_nft_batch_build(&b, "picolet", NULL, &st, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "twice"));
	st = state1();
	svcs[2].proto = IPPROTO_ICMP;
	assert_int_equal(net_nft_batch_build(&b, "picolet", NULL, &st, &err), -EINVAL);
	net_nft_batch_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_build),
		cmocka_unit_test(test_diff_endpoint),
		cmocka_unit_test(test_diff_scale),
		cmocka_unit_test(test_diff_remove_and_empty),
		cmocka_unit_test(test_diff_hostport_and_base),
		cmocka_unit_test(test_diff_tier),
		cmocka_unit_test(test_diff_vip_nodeport),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests_name("nft", tests, NULL, NULL);
}
