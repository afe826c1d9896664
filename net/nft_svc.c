/*
 * nft_svc: the chains, sets and map elements of one service or hostPort,
 * and what a change of it costs, phase by phase (nft_int.h's enum
 * nft_phase): elements that go first, then flushes of chains whose rules
 * change, deletions of chains no longer referenced, sets, new chains and
 * refills, new elements last.  The kernel checks references message by
 * message inside the transaction, so this order is what lets one batch
 * replace a service's endpoints while every other service is untouched.
 *
 * A service whose protocol or affinity changes is deleted and re-added
 * under the same names in the one batch (the kernel looks names up in
 * the next generation, so a deleted chain's name is free at once).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "net/nft_int.h"

#define R0 NFT_REG32_00
#define R1 NFT_REG32_01
#define CH_MARK "mark-for-masquerade"
#define CH_REJECT "reject-chain"
#define NAMELEN NFT_NAME_MAXLEN

struct elem {
	enum nft_map m;
	uint8_t k[12];
	uint32_t klen;
};

static int
ep_cmp(const void *a, const void *b)
{
	const struct nft_ep *x = a, *y = b;

	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return (int)x->port - (int)y->port;
}

static bool
ep_in(const struct nft_sv *v, const struct nft_ep *e)
{
	return v != NULL && bsearch(e, v->eps, v->neps, sizeof(*e),
	    ep_cmp) != NULL;
}

bool
nft_sv_same(const struct nft_sv *a, const struct nft_sv *b)
{
	size_t i;

	if (a->neps != b->neps)
		return false;
	for (i = 0; i < a->neps; i++)
		if (ep_cmp(&a->eps[i], &b->eps[i]) != 0)
			return false;
	return true;
}

static void
key_ipp(struct elem *e, uint32_t ip, uint8_t proto, uint16_t port)
{
	uint32_t a = htonl(ip);
	uint16_t p = htons(port);

	memset(e->k, 0, sizeof(e->k));
	memcpy(e->k, &a, 4);
	e->k[4] = proto;
	memcpy(e->k + 8, &p, 2);
	e->klen = 12;
}

static void
key_pp(struct elem *e, uint8_t proto, uint16_t port)
{
	uint16_t p = htons(port);

	memset(e->k, 0, sizeof(e->k));
	e->k[0] = proto;
	memcpy(e->k + 4, &p, 2);
	e->klen = 8;
}

/* which 0: the ClusterIP element, 1: the NodePort one.  false: none. */
static bool
svc_elem(const struct nft_sv *v, int which, struct elem *e)
{
	const struct net_nft_svc *s = v->s;

	if (which == 0) {
		if (s->vip == 0)
			return false;
		e->m = v->neps ? MAP_SVC : MAP_SVC_NOEP;
		key_ipp(e, s->vip, s->proto, s->port);
	} else {
		if (s->nodeport == 0)
			return false;
		e->m = v->neps ? MAP_NODEPORT : MAP_NODEPORT_NOEP;
		key_pp(e, s->proto, s->nodeport);
	}
	return true;
}

static bool
elem_eq(const struct elem *a, const struct elem *b)
{
	return a->m == b->m && a->klen == b->klen &&
	    memcmp(a->k, b->k, a->klen) == 0;
}

/* ---- names ---- */

static uint32_t
fnv(const char *a, const char *b)
{
	uint32_t h = 2166136261u;

	for (; *a; a++)
		h = (h ^ (uint8_t)*a) * 16777619u;
	for (; *b; b++)
		h = (h ^ (uint8_t)*b) * 16777619u;
	return h;
}

/* "<prefix>-<HASH>-<key><suffix>", truncated to the kernel's limit. */
static void
mkname(char *out, const char *prefix, const char *key, const char *suffix)
{
	int n;

	n = snprintf(out, NAMELEN, "%s-%08X-%s%s", prefix, fnv(key, suffix),
	    key, suffix);
	if (n < 0 || n >= NAMELEN)
		out[NAMELEN - 1] = '\0';
}

static void
ep_name(char *out, const char *prefix, const struct nft_sv *v,
	const struct nft_ep *e)
{
	char sfx[40];

	snprintf(sfx, sizeof(sfx), "__%u.%u.%u.%u/%u", e->ip >> 24,
	    (e->ip >> 16) & 255, (e->ip >> 8) & 255, e->ip & 255,
	    (unsigned)e->port);
	mkname(out, prefix, v->s->key, sfx);
}

/* ---- rules ---- */

static void
match_saddr(struct nftnl_rule *r, uint32_t ip, uint32_t mask, uint32_t op)
{
	uint32_t m = htonl(mask), v = htonl(ip & mask), zero = 0;

	r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R0);
	if (mask != 0xffffffffu)
		r_bitwise(r, R0, 4, &m, &zero);
	r_cmp(r, R0, op, &v, 4);
}

static void
dnat_rule(struct nb *nb, const char *chain, uint8_t proto, uint32_t ip,
	uint16_t port)
{
	struct nftnl_rule *r = r_new(nb, chain);
	uint32_t a = htonl(ip);
	uint16_t p = htons(port);

	r_meta(r, NFT_META_L4PROTO, R0);
	r_cmp(r, R0, NFT_CMP_EQ, &proto, 1);
	r_imm(r, R0, &a, 4);
	r_imm(r, R1, &p, 2);
	r_dnat(r, R0, R1);
	nb_rule(nb, r);
}

static void
hairpin_rule(struct nb *nb, const char *chain, uint32_t ip)
{
	struct nftnl_rule *r = r_new(nb, chain);

	match_saddr(r, ip, 0xffffffffu, NFT_CMP_EQ);
	r_verdict(r, NFT_JUMP, CH_MARK);
	nb_rule(nb, r);
}

static void
ep_add(struct nb *nb, const struct nft_sv *v, const struct nft_ep *e)
{
	char ch[NAMELEN], set[NAMELEN];
	struct nftnl_rule *r;

	ep_name(ch, "endpoint", v, e);
	nb_chain(nb, NFT_MSG_NEWCHAIN, ch, NULL, -1, 0);
	hairpin_rule(nb, ch, e->ip);
	if (v->s->affinity_timeout) {
		ep_name(set, "affinity", v, e);
		r = r_new(nb, ch);
		r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R0);
		r_dynset_update(r, R0, set);
		nb_rule(nb, r);
	}
	dnat_rule(nb, ch, v->s->proto, e->ip, e->port);
}

static void
aff_set(struct nb *nb, uint16_t type, const struct nft_sv *v,
	const struct nft_ep *e)
{
	struct nftnl_set *s = nftnl_set_alloc();
	char name[NAMELEN];

	if (s == NULL)
		abort();
	ep_name(name, "affinity", v, e);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	if (type == NFT_MSG_NEWSET) {
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS,
		    NFT_SET_TIMEOUT | NFT_SET_EVAL);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, NFT_TYPE_IPADDR);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 4);
		nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT,
		    (uint64_t)v->s->affinity_timeout * 1000);
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, 65536);
		nftnl_set_set_u32(s, NFTNL_SET_ID, nb->setid++);
	}
	nb_set(nb, type, s);
	nftnl_set_free(s);
}

/* numgen random mod N vmap { 0 : goto ep0, ... } (an anonymous map) */
static void
pick_rule(struct nb *nb, const char *chain, const struct nft_sv *v)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e;
	struct nftnl_rule *r;
	char name[NAMELEN];
	uint32_t i, id = nb->setid++;

	if (s == NULL)
		abort();
	nftnl_set_set_str(s, NFTNL_SET_NAME, "__map%d");
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS,
	    NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_MAP);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, NFT_TYPE_INTEGER);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 4);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	/* a known size picks the plain hash, cheap for the kernel to walk
	 * when it validates the table at each commit */
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, (uint32_t)v->neps);
	nb_set(nb, NFT_MSG_NEWSET, s);
	for (i = 0; i < v->neps; i++) {
		if ((e = nftnl_set_elem_alloc()) == NULL)
			abort();
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &i, 4);
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, NFT_GOTO);
		ep_name(name, "endpoint", v, &v->eps[i]);
		nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, name);
		nftnl_set_elem_add(s, e);
	}
	nb_set_elems(nb, s);
	nftnl_set_free(s);
	r = r_new(nb, chain);
	r_numgen(r, R0, (uint32_t)v->neps);
	r_lookup(r, R0, NFT_REG_VERDICT, "__map%d", id);
	nb_rule(nb, r);
}

static void
svc_fill(struct nb *nb, const char *chain, const struct nft_sv *v,
	const struct net_nft_state *st)
{
	char name[NAMELEN], set[NAMELEN];
	struct nftnl_rule *r;
	size_t i;

	r = r_new(nb, chain);
	if (st->pod_mask != 0)
		match_saddr(r, st->pod_net, st->pod_mask, NFT_CMP_NEQ);
	r_verdict(r, NFT_JUMP, CH_MARK);
	nb_rule(nb, r);
	for (i = 0; v->s->affinity_timeout && i < v->neps; i++) {
		ep_name(set, "affinity", v, &v->eps[i]);
		ep_name(name, "endpoint", v, &v->eps[i]);
		r = r_new(nb, chain);
		r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R0);
		r_lookup(r, R0, -1, set, 0);
		r_verdict(r, NFT_GOTO, name);
		nb_rule(nb, r);
	}
	if (v->neps > 0)
		pick_rule(nb, chain, v);
}

/* ---- phases ---- */

static void
svc_elems(struct nb *nb, uint16_t type, const struct nft_sv *v,
	const struct nft_sv *other)
{
	char chain[NAMELEN];
	struct elem e, f;
	int w;

	for (w = 0; w < 2; w++) {
		if (!svc_elem(v, w, &e))
			continue;
		if (other != NULL && svc_elem(other, w, &f) && elem_eq(&e, &f))
			continue;
		if (e.m == MAP_SVC_NOEP || e.m == MAP_NODEPORT_NOEP)
			snprintf(chain, sizeof(chain), "%s", CH_REJECT);
		else
			mkname(chain, w ? "external" : "service", v->s->key, "");
		nb_elem(nb, type, e.m, e.k, e.klen, chain);
	}
}

static void
svc_delchains(struct nb *nb, const struct nft_sv *o, const struct nft_sv *n)
{
	char name[NAMELEN];
	size_t i;

	if (o->s->nodeport && (n == NULL || !n->s->nodeport)) {
		mkname(name, "external", o->s->key, "");
		nb_chain(nb, NFT_MSG_DELCHAIN, name, NULL, -1, 0);
	}
	if (n == NULL) {
		mkname(name, "service", o->s->key, "");
		nb_chain(nb, NFT_MSG_DELCHAIN, name, NULL, -1, 0);
	}
	for (i = 0; i < o->neps; i++) {
		if (ep_in(n, &o->eps[i]))
			continue;
		ep_name(name, "endpoint", o, &o->eps[i]);
		nb_chain(nb, NFT_MSG_DELCHAIN, name, NULL, -1, 0);
	}
}

static void
svc_addchains(struct nb *nb, const struct nft_sv *o, const struct nft_sv *n,
	const struct net_nft_state *st)
{
	char svc[NAMELEN], ext[NAMELEN];
	struct nftnl_rule *r;
	size_t i;

	for (i = 0; i < n->neps; i++)
		if (!ep_in(o, &n->eps[i]))
			ep_add(nb, n, &n->eps[i]);
	mkname(svc, "service", n->s->key, "");
	if (o == NULL)
		nb_chain(nb, NFT_MSG_NEWCHAIN, svc, NULL, -1, 0);
	if (o == NULL || !nft_sv_same(o, n))
		svc_fill(nb, svc, n, st);
	if (n->s->nodeport && (o == NULL || !o->s->nodeport)) {
		mkname(ext, "external", n->s->key, "");
		nb_chain(nb, NFT_MSG_NEWCHAIN, ext, NULL, -1, 0);
		r = r_new(nb, ext);
		r_verdict(r, NFT_JUMP, CH_MARK);
		nb_rule(nb, r);
		r = r_new(nb, ext);
		r_verdict(r, NFT_GOTO, svc);
		nb_rule(nb, r);
	}
}

void
nft_svc_phase(struct nb *nb, enum nft_phase ph, const struct nft_sv *o,
	const struct nft_sv *n, const struct net_nft_state *st)
{
	char name[NAMELEN];
	size_t i;

	if (o != NULL && n != NULL && (o->s->proto != n->s->proto ||
	    o->s->affinity_timeout != n->s->affinity_timeout)) {
		nft_svc_phase(nb, ph, o, NULL, st);
		nft_svc_phase(nb, ph, NULL, n, st);
		return;
	}
	switch (ph) {
	case PH_DELELEM:
		if (o != NULL)
			svc_elems(nb, NFT_MSG_DELSETELEM, o, n);
		break;
	case PH_FLUSH:
		if (o != NULL && n != NULL && !nft_sv_same(o, n)) {
			mkname(name, "service", o->s->key, "");
			nb_chain_flush(nb, name);
		}
		break;
	case PH_DELCHAIN:
		if (o != NULL)
			svc_delchains(nb, o, n);
		break;
	case PH_DELSET:
		for (i = 0; o && o->s->affinity_timeout && i < o->neps; i++)
			if (!ep_in(n, &o->eps[i]))
				aff_set(nb, NFT_MSG_DELSET, o, &o->eps[i]);
		break;
	case PH_ADDSET:
		for (i = 0; n && n->s->affinity_timeout && i < n->neps; i++)
			if (!ep_in(o, &n->eps[i]))
				aff_set(nb, NFT_MSG_NEWSET, n, &n->eps[i]);
		break;
	case PH_ADDCHAIN:
		if (n != NULL)
			svc_addchains(nb, o, n, st);
		break;
	case PH_ADDELEM:
		if (n != NULL)
			svc_elems(nb, NFT_MSG_NEWSETELEM, n, o);
		break;
	default:
		break;
	}
}

/* ---- hostPorts: hostport-<proto>-<host ip>-<port> ---- */

static void
hp_name(char *out, const struct net_nft_hostport *h)
{
	snprintf(out, NAMELEN, "hostport-%s-%u.%u.%u.%u-%u",
	    h->proto == IPPROTO_TCP ? "tcp" : h->proto == IPPROTO_UDP ?
	    "udp" : "proto", h->host_ip >> 24, (h->host_ip >> 16) & 255,
	    (h->host_ip >> 8) & 255, h->host_ip & 255, (unsigned)h->host_port);
}

static void
hp_elem(struct nb *nb, uint16_t type, const struct net_nft_hostport *h)
{
	char name[NAMELEN];
	struct elem e;

	hp_name(name, h);
	if (h->host_ip != 0) {
		e.m = MAP_HP_IP;
		key_ipp(&e, h->host_ip, h->proto, h->host_port);
	} else {
		e.m = MAP_HP_ANY;
		key_pp(&e, h->proto, h->host_port);
	}
	nb_elem(nb, type, e.m, e.k, e.klen, name);
}

void
nft_hp_phase(struct nb *nb, enum nft_phase ph,
	const struct net_nft_hostport *o, const struct net_nft_hostport *n)
{
	bool changed = o && n && (o->pod_ip != n->pod_ip ||
	    o->pod_port != n->pod_port);
	char name[NAMELEN];

	hp_name(name, o ? o : n);
	switch (ph) {
	case PH_DELELEM:
		if (o != NULL && n == NULL)
			hp_elem(nb, NFT_MSG_DELSETELEM, o);
		break;
	case PH_FLUSH:
		if (changed)
			nb_chain_flush(nb, name);
		break;
	case PH_DELCHAIN:
		if (o != NULL && n == NULL)
			nb_chain(nb, NFT_MSG_DELCHAIN, name, NULL, -1, 0);
		break;
	case PH_ADDCHAIN:
		if (o == NULL && n != NULL)
			nb_chain(nb, NFT_MSG_NEWCHAIN, name, NULL, -1, 0);
		if ((o == NULL && n != NULL) || changed) {
			hairpin_rule(nb, name, n->pod_ip);
			dnat_rule(nb, name, n->proto, n->pod_ip, n->pod_port);
		}
		break;
	case PH_ADDELEM:
		if (o == NULL && n != NULL)
			hp_elem(nb, NFT_MSG_NEWSETELEM, n);
		break;
	default:
		break;
	}
}
