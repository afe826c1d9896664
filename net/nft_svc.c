/*
 * nft_svc: the chains, maps and elements of one service, and what a
 * change of it costs, phase by phase (nft_int.h's enum nft_phase):
 * elements that go first, then flushes of chains whose rules change,
 * deletions of what is no longer referenced, new sets, chains and
 * refills, new elements last.  The kernel checks references message by
 * message inside the transaction; this order is what lets one batch
 * change a service while every other one is untouched.
 *
 * A service is kube-proxy's service chain behind the service-ips vmap,
 * but the endpoint is picked with `dnat to numgen random mod M map
 * @endpoints-<svc>`: a data map of M slots, each holding an endpoint's
 * ip . port, instead of a verdict map of per-endpoint chains.  The
 * reason is the kernel: any new rule with a verdict, nat or lookup, and
 * any verdict element, makes it revalidate the whole table at commit,
 * which costs tens of milliseconds at 1000 services; a change of
 * endpoints here only rewrites data elements (and plain set elements
 * for reject and hairpin), so it costs what changed.
 *
 * Slots are filled by Maglev's table population (a permutation of the
 * slots per endpoint from its hash, endpoints taking turns): balanced
 * within one slot, and a change of one endpoint moves few slots.  M is a
 * prime at least 8 times the endpoints, from a few tiers, so the rule
 * only changes when a service crosses a tier.  ClientIP affinity is a
 * dynamic map client ip -> ip . port with the timeout, looked up first,
 * refreshed on use, and flushed when an endpoint goes (its entries might
 * point to it).  A service whose protocol or affinity changes is deleted
 * and re-added under the same names in the one batch (the kernel looks
 * names up in the next generation, so a deleted name is free at once).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "lib/util.h"
#include "net/nft_int.h"

#define R0 NFT_REG32_00
#define R1 NFT_REG32_01
#define R2 NFT_REG32_02
#define CH_MARK "mark-for-masquerade"
#define NAMELEN NFT_NAME_MAXLEN

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

/* ---- slots ---- */

static uint32_t
slots(size_t neps)
{
	static const uint32_t tiers[] = { 61, 251, 1021, 4093, 16381 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tiers) - 1; i++)
		if (tiers[i] >= 8 * neps)
			break;
	return tiers[i];
}

static uint64_t
ep_hash(const struct nft_ep *e)
{
	uint64_t h = ((uint64_t)e->ip << 16 | e->port) ^ 0x9e3779b97f4a7c15ull;

	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

/* Maglev: t[slot] = index into v->eps; NULL when there is no endpoint. */
static uint32_t *
populate(const struct nft_sv *v, uint32_t m)
{
	uint32_t *t, *next, *off, *skip, filled = 0, c;
	size_t i;

	if (v == NULL || v->neps == 0)
		return NULL;
	t = xmalloc(m * sizeof(*t));
	memset(t, 0xff, m * sizeof(*t));
	next = xcalloc(v->neps, sizeof(*next));
	off = xcalloc(v->neps, sizeof(*off));
	skip = xcalloc(v->neps, sizeof(*skip));
	for (i = 0; i < v->neps; i++) {
		uint64_t h = ep_hash(&v->eps[i]);

		off[i] = (uint32_t)(h % m);
		skip[i] = (uint32_t)((h >> 32) % (m - 1)) + 1;
	}
	for (;;) {
		for (i = 0; i < v->neps; i++) {
			do
				c = (uint32_t)((off[i] + (uint64_t)next[i]++ *
				    skip[i]) % m);
			while (t[c] != UINT32_MAX);
			t[c] = (uint32_t)i;
			if (++filled == m)
				goto done;
		}
	}
done:
	free(next);
	free(off);
	free(skip);
	return t;
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

/* "<prefix>-<HASH>-<key>", truncated to the kernel's limit; the hash
 * (kube-proxy's scheme) keeps truncated names apart. */
static void
mkname(char *out, const char *prefix, const char *key)
{
	int n;

	n = snprintf(out, NAMELEN, "%s-%08X-%s", prefix, fnv(prefix, key), key);
	if (n < 0 || n >= NAMELEN)
		out[NAMELEN - 1] = '\0';
}

/* ---- sets and elements ---- */

static void
svc_sets(struct nb *nb, uint16_t type, const struct nft_sv *v)
{
	struct nftnl_set *s;
	char name[NAMELEN];
	int aff;

	for (aff = 0; aff < 2; aff++) {
		if (aff && !v->s->affinity_timeout)
			break;
		if ((s = nftnl_set_alloc()) == NULL)
			abort();
		mkname(name, aff ? "affinity" : "endpoints", v->s->key);
		nftnl_set_set_str(s, NFTNL_SET_NAME, name);
		if (type == NFT_MSG_NEWSET) {
			nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP |
			    (aff ? NFT_SET_TIMEOUT | NFT_SET_EVAL : 0));
			nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE,
			    aff ? NFT_TYPE_IPADDR : NFT_TYPE_MARK);
			nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 4);
			nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_TYPE_IPADDR
			    << NFT_TYPE_BITS | NFT_TYPE_INET_SERVICE);
			nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 8);
			/* no size on the slots: it would bound a later tier */
			if (aff) {
				nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, 65536);
				nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT,
				    (uint64_t)v->s->affinity_timeout * 1000);
			}
			nftnl_set_set_u32(s, NFTNL_SET_ID, nb->setid++);
		}
		nb_set(nb, type, s);
		nftnl_set_free(s);
	}
}

static void
slot_elem(struct nftnl_set *s, uint32_t slot, const struct nft_ep *e,
	bool data)
{
	struct nftnl_set_elem *el = nftnl_set_elem_alloc();
	uint8_t d[8] = { 0 };
	uint32_t a = htonl(e->ip);
	uint16_t p = htons(e->port);

	if (el == NULL)
		abort();
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, &slot, 4);
	if (data) {
		memcpy(d, &a, 4);
		memcpy(d + 4, &p, 2);
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA, d, 8);
	}
	nftnl_set_elem_add(s, el);
}

/* The slots of n that differ from o's (del: o's side of them). */
static void
slot_elems(struct nb *nb, uint16_t type, const struct nft_sv *o,
	const struct nft_sv *n)
{
	const struct nft_sv *side = type == NFT_MSG_DELSETELEM ? o : n;
	uint32_t m = slots(n->neps), *to = populate(o, m), *tn = populate(n, m);
	struct nftnl_set *s = nftnl_set_alloc();
	char name[NAMELEN];
	uint32_t i, *ts = side == o ? to : tn;

	if (s == NULL)
		abort();
	mkname(name, "endpoints", n->s->key);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, nb->table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	for (i = 0; ts != NULL && i < m; i++)
		if (to == NULL || tn == NULL ||
		    ep_cmp(&o->eps[to[i]], &n->eps[tn[i]]) != 0)
			slot_elem(s, i, &side->eps[ts[i]],
			    type == NFT_MSG_NEWSETELEM);
	nb_elems(nb, type, s);
	nftnl_set_free(s);
	free(to);
	free(tn);
}

/* which 0: ClusterIP, 1: NodePort; noep: the reject set's element. */
static bool
svc_elem(const struct nft_sv *v, int which, bool noep, uint8_t *k,
	uint32_t *klen, enum nft_map *m)
{
	if (which == 0 && v->s->vip != 0) {
		k_ipp(k, v->s->vip, v->s->proto, v->s->port);
		*klen = 12;
		*m = noep ? MAP_SVC_NOEP : MAP_SVC;
	} else if (which == 1 && v->s->nodeport != 0) {
		k_pp(k, v->s->proto, v->s->nodeport);
		*klen = 8;
		*m = noep ? MAP_NODEPORT_NOEP : MAP_NODEPORT;
	} else
		return false;
	return !noep || v->neps == 0;
}

/* The map elements of v that other lacks (or has otherwise). */
static void
svc_elems(struct nb *nb, uint16_t type, const struct nft_sv *v,
	const struct nft_sv *other)
{
	uint8_t k[12], ko[12];
	uint32_t klen, kolen;
	enum nft_map m, mo;
	char chain[NAMELEN];
	int w, noep;

	for (noep = 0; noep < 2; noep++)
		for (w = 0; w < 2; w++) {
			if (!svc_elem(v, w, noep, k, &klen, &m))
				continue;
			if (other != NULL && svc_elem(other, w, noep, ko, &kolen,
			    &mo) && kolen == klen && memcmp(k, ko, klen) == 0)
				continue;
			mkname(chain, w ? "external" : "service", v->s->key);
			nb_elem(nb, type, m, k, klen, noep ? NULL : chain);
		}
}

/* ---- rules ---- */

/* The map holds ports: nft (though not the kernel) wants the protocol
 * matched before, and so `nft list` output loads back with `nft -f`. */
static void
match_proto(struct nftnl_rule *r, uint8_t proto)
{
	r_meta(r, NFT_META_L4PROTO, R0);
	r_cmp(r, R0, NFT_CMP_EQ, &proto, 1);
}

/* [ip saddr . lookup] dnat to numgen random mod M map @endpoints */
static void
svc_fill(struct nb *nb, const char *chain, const struct nft_sv *v,
	const struct net_nft_state *st)
{
	char eps[NAMELEN], aff[NAMELEN];
	struct nftnl_rule *r;

	mkname(eps, "endpoints", v->s->key);
	mkname(aff, "affinity", v->s->key);
	r = r_new(nb, chain);
	if (st->pod_mask != 0)
		r_match_ip(r, 12, st->pod_net, st->pod_mask, NFT_CMP_NEQ);
	r_verdict(r, NFT_JUMP, CH_MARK);
	nb_rule(nb, r);
	if (v->s->affinity_timeout) {
		r = r_new(nb, chain);
		match_proto(r, v->s->proto);
		r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R2);
		r_lookup(r, R2, NFT_REG_1, aff, 0);
		r_dynset_update(r, R2, NFT_REG_1, aff);
		r_dnat(r, NFT_REG_1, R1);
		nb_rule(nb, r);
	}
	r = r_new(nb, chain);
	match_proto(r, v->s->proto);
	r_numgen(r, R0, slots(v->neps));
	r_lookup(r, R0, NFT_REG_1, eps, 0);
	if (v->s->affinity_timeout) {
		r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R2);
		r_dynset_update(r, R2, NFT_REG_1, aff);
	}
	r_dnat(r, NFT_REG_1, R1);
	nb_rule(nb, r);
}

static void
svc_addchains(struct nb *nb, const struct nft_sv *o, const struct nft_sv *n,
	const struct net_nft_state *st)
{
	char svc[NAMELEN], ext[NAMELEN];
	struct nftnl_rule *r;

	mkname(svc, "service", n->s->key);
	if (o == NULL)
		nb_chain(nb, NFT_MSG_NEWCHAIN, svc, NULL, -1, 0);
	if (o == NULL || slots(o->neps) != slots(n->neps))
		svc_fill(nb, svc, n, st);
	if (n->s->nodeport && (o == NULL || !o->s->nodeport)) {
		mkname(ext, "external", n->s->key);
		nb_chain(nb, NFT_MSG_NEWCHAIN, ext, NULL, -1, 0);
		r = r_new(nb, ext);
		r_verdict(r, NFT_JUMP, CH_MARK);
		nb_rule(nb, r);
		r = r_new(nb, ext);
		r_verdict(r, NFT_GOTO, svc);
		nb_rule(nb, r);
	}
}

static bool
lost_one(const struct nft_sv *o, const struct nft_sv *n)
{
	size_t i;

	for (i = 0; i < o->neps; i++)
		if (!ep_in(n, &o->eps[i]))
			return true;
	return false;
}

/* Endpoint slots and affinity entries that go. */
static void
svc_delslots(struct nb *nb, const struct nft_sv *o, const struct nft_sv *n)
{
	char name[NAMELEN];

	if (slots(o->neps) != slots(n->neps) || n->neps == 0) {
		mkname(name, "endpoints", o->s->key);
		if (o->neps > 0)
			nb_set_flush(nb, name);
	} else if (o->neps > 0)
		slot_elems(nb, NFT_MSG_DELSETELEM, o, n);
	if (o->s->affinity_timeout && lost_one(o, n)) {
		mkname(name, "affinity", o->s->key);
		nb_set_flush(nb, name);
	}
}

static void
svc_addslots(struct nb *nb, const struct nft_sv *o, const struct nft_sv *n)
{
	if (n->neps == 0)
		return;
	if (o == NULL || o->neps == 0 || slots(o->neps) != slots(n->neps))
		slot_elems(nb, NFT_MSG_NEWSETELEM, NULL, n);
	else
		slot_elems(nb, NFT_MSG_NEWSETELEM, o, n);
}

void
nft_svc_phase(struct nb *nb, enum nft_phase ph, const struct nft_sv *o,
	const struct nft_sv *n, const struct net_nft_state *st)
{
	char name[NAMELEN];

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
		if (o != NULL && n != NULL)
			svc_delslots(nb, o, n);
		break;
	case PH_FLUSH:
		if (o != NULL && n != NULL && slots(o->neps) != slots(n->neps)) {
			mkname(name, "service", o->s->key);
			nb_chain_flush(nb, name);
		}
		break;
	case PH_DELCHAIN:
		if (o != NULL && o->s->nodeport && (n == NULL || !n->s->nodeport)) {
			mkname(name, "external", o->s->key);
			nb_chain(nb, NFT_MSG_DELCHAIN, name, NULL, -1, 0);
		}
		if (o != NULL && n == NULL) {
			mkname(name, "service", o->s->key);
			nb_chain(nb, NFT_MSG_DELCHAIN, name, NULL, -1, 0);
		}
		break;
	case PH_DELSET:
		if (o != NULL && n == NULL)
			svc_sets(nb, NFT_MSG_DELSET, o);
		break;
	case PH_ADDSET:
		if (o == NULL && n != NULL)
			svc_sets(nb, NFT_MSG_NEWSET, n);
		break;
	case PH_ADDCHAIN:
		if (n != NULL)
			svc_addchains(nb, o, n, st);
		break;
	case PH_ADDELEM:
		if (n != NULL) {
			svc_elems(nb, NFT_MSG_NEWSETELEM, n, o);
			svc_addslots(nb, o, n);
		}
		break;
	default:
		break;
	}
}
