/*
 * nft_build: nftables netlink messages written into one batch buffer with
 * libnftnl's builders, and one small helper per expression picolet uses.
 *
 * Quirks handled here: every message of a batch must be built in place
 * (libnftnl writes into the buffer we hand it), so room for the largest
 * message is reserved before each one; map elements are gathered per map
 * and sent NB_ELEMS_PER_MSG to a message, because the element list is a
 * netlink attribute whose length is 16 bits; registers of concatenations
 * are 32-bit ones (NFT_REG32_xx), each field padded to 4 bytes.
 * libnftnl numbers the element nests 1, 2, 3... where the protocol says
 * NFTA_LIST_ELEM; the kernel ignores the type but libnftnl's own parser
 * refuses all but the first, so list_elem() sets them right.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "lib/util.h"
#include "net/nft_int.h"

/* Largest single message: NB_ELEMS_PER_MSG elements with chain names. */
#define NB_MSGMAX (80 * 1024)

static const char *const map_names[NMAPS] = {
	[MAP_SVC] = "service-ips",
	[MAP_SVC_NOEP] = "no-endpoint-services",
	[MAP_NODEPORT] = "service-nodeports",
	[MAP_NODEPORT_NOEP] = "no-endpoint-nodeports",
	[MAP_HP_IP] = "hostport-ips",
	[MAP_HP_ANY] = "hostport-any",
	[MAP_HAIRPIN] = "hairpin",
};

const char *
nb_map_name(enum nft_map m)
{
	return map_names[m];
}

/* New room is zeroed: builders skip padding bytes we then send. */
static void
reserve(struct net_nft_batch *b, size_t n)
{
	size_t old = b->cap;

	if (b->cap - b->len >= n)
		return;
	while (b->cap - b->len < n)
		b->cap = b->cap ? b->cap * 2 : 256 * 1024;
	b->buf = xrealloc(b->buf, b->cap);
	memset(b->buf + old, 0, b->cap - old);
}

static struct nlmsghdr *
msg(struct nb *nb, uint16_t type, uint16_t flags)
{
	struct net_nft_batch *b = nb->b;

	reserve(b, NB_MSGMAX);
	return nftnl_nlmsg_build_hdr(b->buf + b->len, type, NFPROTO_IPV4,
	    flags, b->seq++);
}

static void
msg_done(struct nb *nb, struct nlmsghdr *nlh)
{
	nb->b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	nb->b->nmsg++;
}

void
nb_start(struct nb *nb, struct net_nft_batch *b, const char *table)
{
	struct nlmsghdr *nlh;

	memset(nb, 0, sizeof(*nb));
	nb->b = b;
	nb->table = table;
	nb->setid = 1;
	b->len = 0;
	b->nmsg = 0;
	if (b->seq == 0)
		b->seq = 1;
	reserve(b, NB_MSGMAX);
	nlh = nftnl_batch_begin(b->buf, b->seq++);
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

void
nb_finish(struct nb *nb)
{
	struct nlmsghdr *nlh;

	nb_elems_flush(nb);
	reserve(nb->b, NB_MSGMAX);
	nlh = nftnl_batch_end(nb->b->buf + nb->b->len, nb->b->seq++);
	nb->b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

void
nb_table(struct nb *nb, uint16_t type)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (t == NULL)
		abort();
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, nb->table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_IPV4);
	nlh = msg(nb, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	msg_done(nb, nlh);
	nftnl_table_free(t);
}

void
nb_chain(struct nb *nb, uint16_t type, const char *name, const char *ctype,
	int hook, int prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (c == NULL)
		abort();
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, nb->table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (hook >= 0 && type == NFT_MSG_NEWCHAIN) {
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, ctype);
	}
	nlh = msg(nb, type, type == NFT_MSG_NEWCHAIN ? NLM_F_CREATE : 0);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	msg_done(nb, nlh);
	nftnl_chain_free(c);
}

/* DELRULE naming only the chain deletes all of its rules. */
void
nb_chain_flush(struct nb *nb, const char *chain)
{
	struct nftnl_rule *r = r_new(nb, chain);
	struct nlmsghdr *nlh;

	nlh = msg(nb, NFT_MSG_DELRULE, 0);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	msg_done(nb, nlh);
	nftnl_rule_free(r);
}

void
nb_rule(struct nb *nb, struct nftnl_rule *r)
{
	struct nlmsghdr *nlh;

	nlh = msg(nb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	msg_done(nb, nlh);
	nftnl_rule_free(r);
}

void
nb_set(struct nb *nb, uint16_t type, struct nftnl_set *s)
{
	struct nlmsghdr *nlh;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, nb->table);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_IPV4);
	nlh = msg(nb, type, type == NFT_MSG_NEWSET ? NLM_F_CREATE : 0);
	nftnl_set_nlmsg_build_payload(nlh, s);
	msg_done(nb, nlh);
}

static void
list_elem(struct nlmsghdr *nlh)
{
	struct nlattr *a, *e;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(e, a)
			e->nla_type = (e->nla_type & ~NLA_TYPE_MASK) |
			    NFTA_LIST_ELEM;
	}
}

void
nb_elems(struct nb *nb, uint16_t type, struct nftnl_set *s)
{
	struct nftnl_set_elems_iter *it = nftnl_set_elems_iter_create(s);
	struct nlmsghdr *nlh;
	int more;

	if (it == NULL)
		abort();
	if (nftnl_set_elems_iter_cur(it) == NULL) {
		nftnl_set_elems_iter_destroy(it);
		return;
	}
	do {	/* splits where the 16-bit element list would overflow */
		nlh = msg(nb, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
		more = nftnl_set_elems_nlmsg_build_payload_iter(nlh, it);
		list_elem(nlh);
		msg_done(nb, nlh);
	} while (more > 0);
	nftnl_set_elems_iter_destroy(it);
}

void
nb_set_flush(struct nb *nb, const char *set)
{
	struct nlmsghdr *nlh = msg(nb, NFT_MSG_DELSETELEM, 0);

	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, nb->table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	msg_done(nb, nlh);
}

static void
pend_flush(struct nb *nb, enum nft_map m)
{
	struct nlmsghdr *nlh;

	if (nb->pend[m] == NULL)
		return;
	if (nb->npend[m] > 0) {
		nlh = msg(nb, nb->pend_type,
		    nb->pend_type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
		nftnl_set_elems_nlmsg_build_payload(nlh, nb->pend[m]);
		list_elem(nlh);
		msg_done(nb, nlh);
	}
	nftnl_set_free(nb->pend[m]);
	nb->pend[m] = NULL;
	nb->npend[m] = 0;
}

void
nb_elems_flush(struct nb *nb)
{
	int m;

	for (m = 0; m < NMAPS; m++)
		pend_flush(nb, (enum nft_map)m);
}

void
nb_elem(struct nb *nb, uint16_t type, enum nft_map m, const void *key,
	uint32_t klen, const char *chain)
{
	struct nftnl_set_elem *e;
	struct nftnl_set *s;

	if (nb->pend_type != type)
		nb_elems_flush(nb);
	nb->pend_type = type;
	if (nb->npend[m] >= NB_ELEMS_PER_MSG)
		pend_flush(nb, m);
	if ((s = nb->pend[m]) == NULL) {
		if ((s = nftnl_set_alloc()) == NULL)
			abort();
		nftnl_set_set_str(s, NFTNL_SET_TABLE, nb->table);
		nftnl_set_set_str(s, NFTNL_SET_NAME, map_names[m]);
		nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_IPV4);
		nb->pend[m] = s;
	}
	if ((e = nftnl_set_elem_alloc()) == NULL)
		abort();
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, klen);
	if (type == NFT_MSG_NEWSETELEM && chain != NULL) {
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, NFT_GOTO);
		nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, chain);
	}
	nftnl_set_elem_add(s, e);
	nb->npend[m]++;
}

/* ---- expressions ---- */

struct nftnl_rule *
r_new(struct nb *nb, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r == NULL)
		abort();
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, nb->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	return r;
}

static struct nftnl_expr *
expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (e == NULL)
		abort();
	nftnl_rule_add_expr(r, e);
	return e;
}

void
r_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
	uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

void
r_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

void
r_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = expr(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
}

void
r_cmp(struct nftnl_rule *r, uint32_t sreg, uint32_t op, const void *data,
	uint32_t len)
{
	struct nftnl_expr *e = expr(r, "cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

/* reg = (reg & mask) ^ xor */
void
r_bitwise(struct nftnl_rule *r, uint32_t reg, uint32_t len, const void *mask,
	const void *xor)
{
	struct nftnl_expr *e = expr(r, "bitwise");

	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len);
}

void
r_imm(struct nftnl_rule *r, uint32_t dreg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
	nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

void
r_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = expr(r, "immediate");

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain != NULL)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
}

/* dreg < 0: a plain set lookup; NFT_REG_VERDICT: a vmap. */
void
r_lookup(struct nftnl_rule *r, uint32_t sreg, int dreg, const char *set,
	uint32_t set_id)
{
	struct nftnl_expr *e = expr(r, "lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	if (dreg >= 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, (uint32_t)dreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	if (set_id != 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
}

void
r_dnat(struct nftnl_rule *r, uint32_t addr_reg, uint32_t proto_reg)
{
	struct nftnl_expr *e = expr(r, "nat");

	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, addr_reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, proto_reg);
}

void
r_masq(struct nftnl_rule *r, uint32_t flags)
{
	struct nftnl_expr *e = expr(r, "masq");

	if (flags != 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_MASQ_FLAGS, flags);
}

void
r_reject(struct nftnl_rule *r, uint32_t type, uint8_t code)
{
	struct nftnl_expr *e = expr(r, "reject");

	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
}

/* The route type of the destination (RTN_LOCAL, ...) into dreg. */
void
r_fib_daddr_type(struct nftnl_rule *r, uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "fib");

	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, dreg);
}

void
r_ct_state(struct nftnl_rule *r, uint32_t dreg)
{
	struct nftnl_expr *e = expr(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
}

void
r_numgen(struct nftnl_rule *r, uint32_t dreg, uint32_t mod)
{
	struct nftnl_expr *e = expr(r, "numgen");

	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, mod);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NG_OFFSET, 0);
}

/* `update @set { key [: data] }`: the set's own timeout applies. */
void
r_dynset_update(struct nftnl_rule *r, uint32_t sreg, int sdata,
	const char *set)
{
	struct nftnl_expr *e = expr(r, "dynset");

	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, sreg);
	if (sdata >= 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_DATA,
		    (uint32_t)sdata);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
	nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set);
}

/* ip saddr (off 12) or daddr (16) & mask <op> ip */
void
r_match_ip(struct nftnl_rule *r, uint32_t off, uint32_t ip, uint32_t mask,
	uint32_t op)
{
	uint32_t m = htonl(mask), v = htonl(ip & mask), zero = 0;

	r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, 4, NFT_REG32_00);
	if (mask != 0xffffffffu)
		r_bitwise(r, NFT_REG32_00, 4, &m, &zero);
	r_cmp(r, NFT_REG32_00, op, &v, 4);
}

/* meta l4proto <proto> dnat to ip:port */
void
r_dnat_to(struct nftnl_rule *r, uint8_t proto, uint32_t ip, uint16_t port)
{
	uint32_t a = htonl(ip);
	uint16_t p = htons(port);

	r_meta(r, NFT_META_L4PROTO, NFT_REG32_00);
	r_cmp(r, NFT_REG32_00, NFT_CMP_EQ, &proto, 1);
	r_imm(r, NFT_REG32_00, &a, 4);
	r_imm(r, NFT_REG32_01, &p, 2);
	r_dnat(r, NFT_REG32_00, NFT_REG32_01);
}

/* Keys of concatenations: each field padded to 4 bytes. */
void
k_ipp(uint8_t *k, uint32_t ip, uint8_t proto, uint16_t port)
{
	uint32_t a = htonl(ip);
	uint16_t p = htons(port);

	memset(k, 0, 12);
	memcpy(k, &a, 4);
	k[4] = proto;
	memcpy(k + 8, &p, 2);
}

void
k_pp(uint8_t *k, uint8_t proto, uint16_t port)
{
	uint16_t p = htons(port);

	memset(k, 0, 8);
	k[0] = proto;
	memcpy(k + 4, &p, 2);
}
