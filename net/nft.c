/*
 * nft: the diff.  net_nft_batch_build() turns two states into the one
 * batch that changes the table from the first to the second: services
 * and hostPorts are walked in key order, phase by phase (nft_int.h), and
 * each change emits what nft_svc.c and nft_hp.c say it costs; without a
 * previous state it draws the whole table (nft_rules.c) after deleting
 * the old one, in the same batch.  nft_kern.c sends it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "lib/util.h"
#include "net/nft_int.h"

/* ---- states ---- */

static int
sv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nft_sv *)a)->s->key,
	    ((const struct nft_sv *)b)->s->key);
}

static int
hp_cmp(const void *a, const void *b)
{
	const struct net_nft_hostport *x = *(const struct net_nft_hostport *const *)a;
	const struct net_nft_hostport *y = *(const struct net_nft_hostport *const *)b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->host_ip != y->host_ip)
		return x->host_ip < y->host_ip ? -1 : 1;
	return (int)x->host_port - (int)y->host_port;
}

static int
ep_cmp(const void *a, const void *b)
{
	const struct nft_ep *x = a, *y = b;

	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return (int)x->port - (int)y->port;
}

/*
 * Services sorted by key, each with its ready endpoints sorted, in two
 * allocations (v[0].eps holds every service's).  Input already in key
 * order (as a caller that keeps its services sorted passes it) is not
 * sorted again: a diff of 1000 services is then a walk.
 */
static struct nft_sv *
views(const struct net_nft_state *st, size_t *n)
{
	struct nft_sv *v = xcalloc(st->nsvcs + 1, sizeof(*v));
	struct nft_ep *all;
	size_t i, j, tot = 0;
	bool sorted = true;

	for (i = 0; i < st->nsvcs; i++)
		tot += st->svcs[i].neps;
	all = xcalloc(tot + 1, sizeof(*all));
	for (i = 0; i < st->nsvcs; i++) {
		const struct net_nft_svc *s = &st->svcs[i];

		v[i].s = s;
		v[i].eps = all;
		for (j = 0; j < s->neps; j++) {
			if (!s->eps[j].ready)
				continue;
			v[i].eps[v[i].neps].ip = s->eps[j].ip;
			v[i].eps[v[i].neps++].port = s->eps[j].port;
		}
		all += v[i].neps;
		if (v[i].neps > 1)
			qsort(v[i].eps, v[i].neps, sizeof(*v[i].eps), ep_cmp);
		if (i > 0 && sorted && strcmp(st->svcs[i - 1].key, s->key) > 0)
			sorted = false;
	}
	if (st->nsvcs == 0)
		v[0].eps = all;
	v[st->nsvcs].eps = v[0].eps;	/* for views_free after the sort */
	if (!sorted)
		qsort(v, st->nsvcs, sizeof(*v), sv_cmp);
	*n = st->nsvcs;
	return v;
}

static void
views_free(struct nft_sv *v, size_t n)
{
	if (v != NULL)
		free(v[n].eps);
	free(v);
}

static const struct net_nft_hostport **
hp_sorted(const struct net_nft_state *st)
{
	const struct net_nft_hostport **h = xcalloc(st->nhps + 1, sizeof(*h));
	size_t i;

	for (i = 0; i < st->nhps; i++)
		h[i] = &st->hps[i];
	qsort(h, st->nhps, sizeof(*h), hp_cmp);
	return h;
}

static int
check(const struct net_nft_state *st, const struct nft_sv *v,
	const struct net_nft_hostport **h, struct err *err)
{
	size_t i;

	for (i = 0; i < st->nsvcs; i++) {
		const struct net_nft_svc *s = v[i].s;

		if (s->proto != IPPROTO_TCP && s->proto != IPPROTO_UDP)
			return err_setx(err, EINVAL, "nft: service %s: "
			    "protocol %u", s->key, s->proto);
		if (i > 0 && strcmp(v[i - 1].s->key, s->key) == 0)
			return err_setx(err, EINVAL, "nft: service %s twice",
			    s->key);
	}
	for (i = 0; i < st->nhps; i++) {
		if (h[i]->proto != IPPROTO_TCP && h[i]->proto != IPPROTO_UDP)
			return err_setx(err, EINVAL, "nft: hostPort %u: "
			    "protocol %u", h[i]->host_port, h[i]->proto);
		if (i > 0 && hp_cmp(&h[i - 1], &h[i]) == 0)
			return err_setx(err, EINVAL, "nft: hostPort %u twice",
			    h[i]->host_port);
	}
	return 0;
}

static bool
sv_unchanged(const struct nft_sv *o, const struct nft_sv *n)
{
	const struct net_nft_svc *a = o->s, *b = n->s;

	return a->vip == b->vip && a->port == b->port && a->proto == b->proto &&
	    a->nodeport == b->nodeport &&
	    a->affinity_timeout == b->affinity_timeout && nft_sv_same(o, n);
}

static void
walk_svcs(struct nb *nb, enum nft_phase ph, const struct nft_sv *o,
	size_t no, const struct nft_sv *n, size_t nn,
	const struct net_nft_state *st)
{
	size_t i = 0, j = 0;
	int c;

	while (i < no || j < nn) {
		c = i == no ? 1 : j == nn ? -1 : strcmp(o[i].s->key, n[j].s->key);
		if (c < 0)
			nft_svc_phase(nb, ph, &o[i++], NULL, st);
		else if (c > 0)
			nft_svc_phase(nb, ph, NULL, &n[j++], st);
		else {
			if (!sv_unchanged(&o[i], &n[j]))
				nft_svc_phase(nb, ph, &o[i], &n[j], st);
			i++, j++;
		}
	}
}

static void
walk_hps(struct nb *nb, enum nft_phase ph, const struct net_nft_hostport **o,
	size_t no, const struct net_nft_hostport **n, size_t nn)
{
	size_t i = 0, j = 0;
	int c;

	while (i < no || j < nn) {
		c = i == no ? 1 : j == nn ? -1 : hp_cmp(&o[i], &n[j]);
		if (c < 0)
			nft_hp_phase(nb, ph, o[i++], NULL);
		else if (c > 0)
			nft_hp_phase(nb, ph, NULL, n[j++]);
		else
			nft_hp_phase(nb, ph, o[i++], n[j++]);
	}
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
push(uint32_t **v, size_t *n, size_t *cap, uint32_t ip)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xrealloc(*v, *cap * sizeof(**v));
	}
	(*v)[(*n)++] = ip;
}

static void
sort_unique(uint32_t *v, size_t *n)
{
	size_t i, j = 0;

	if (*n == 0)
		return;		/* v may be NULL: qsort's is nonnull */
	qsort(v, *n, sizeof(*v), u32_cmp);
	for (i = 0; i < *n; i++)
		if (j == 0 || v[j - 1] != v[i])
			v[j++] = v[i];
	*n = j;
}

/* Addresses of a's endpoints that b (NULL: none) lacks, onto v. */
static void
ep_minus(const struct nft_sv *a, const struct nft_sv *b, uint32_t **v,
	size_t *n, size_t *cap)
{
	size_t i, j = 0;

	for (i = 0; i < a->neps; i++) {
		while (b != NULL && j < b->neps &&
		    ep_cmp(&b->eps[j], &a->eps[i]) < 0)
			j++;
		if (b == NULL || j == b->neps ||
		    ep_cmp(&b->eps[j], &a->eps[i]) != 0)
			push(v, n, cap, a->eps[i].ip);
	}
}

static bool
ip_used(const struct nft_sv *v, size_t nv, uint32_t ip)
{
	size_t i, j;

	for (i = 0; i < nv; i++)
		for (j = 0; j < v[i].neps; j++)
			if (v[i].eps[j].ip == ip)
				return true;
	return false;
}

/*
 * The hairpin set's changes: addresses no service uses any more (*del)
 * and addresses newly used (*add), sorted.  Only the services that
 * changed are looked at, and each candidate checked against the other
 * state, so an unchanged table costs a walk and no sorting.
 */
static void
hairpin_diff(const struct nft_sv *o, size_t no, const struct nft_sv *n,
	size_t nn, uint32_t **del, size_t *ndel, uint32_t **add, size_t *nadd)
{
	uint32_t *cd = NULL, *ca = NULL;
	size_t i = 0, j = 0, k, ncd = 0, nca = 0, capd = 0, capa = 0;
	int c;

	while (i < no || j < nn) {
		c = i == no ? 1 : j == nn ? -1 : strcmp(o[i].s->key, n[j].s->key);
		if (c < 0)
			ep_minus(&o[i++], NULL, &cd, &ncd, &capd);
		else if (c > 0)
			ep_minus(&n[j++], NULL, &ca, &nca, &capa);
		else {
			ep_minus(&o[i], &n[j], &cd, &ncd, &capd);
			ep_minus(&n[j++], &o[i++], &ca, &nca, &capa);
		}
	}
	sort_unique(cd, &ncd);
	sort_unique(ca, &nca);
	for (k = 0, *ndel = 0; k < ncd; k++)
		if (!ip_used(n, nn, cd[k]))
			cd[(*ndel)++] = cd[k];
	for (k = 0, *nadd = 0; k < nca; k++)
		if (!ip_used(o, no, ca[k]))
			ca[(*nadd)++] = ca[k];
	*del = cd;
	*add = ca;
}

static bool
same_base(const struct net_nft_state *a, const struct net_nft_state *b)
{
	const char *x = a->bridge ? a->bridge : "", *y = b->bridge ? b->bridge : "";

	return a->pod_net == b->pod_net && a->pod_mask == b->pod_mask &&
	    strcmp(x, y) == 0;
}

int
net_nft_batch_build(struct net_nft_batch *b, const char *table,
	const struct net_nft_state *have, const struct net_nft_state *want,
	struct err *err)
{
	static const struct net_nft_state empty;
	const struct net_nft_hostport **ho, **hn;
	struct nft_sv *vo, *vn;
	uint32_t *io, *in;
	size_t no, nn, nio, nin;
	struct nb nb;
	int ph, rc;

	if (have != NULL && !same_base(have, want))
		have = NULL;
	vo = views(have ? have : &empty, &no);
	vn = views(want, &nn);
	ho = hp_sorted(have ? have : &empty);
	hn = hp_sorted(want);
	hairpin_diff(vo, no, vn, nn, &io, &nio, &in, &nin);
	if ((rc = check(want, vn, hn, err)) < 0)
		goto out;
	nb_start(&nb, b, table);
	if (have == NULL) {
		nb_table(&nb, NFT_MSG_NEWTABLE);
		nb_table(&nb, NFT_MSG_DELTABLE);
		nb_table(&nb, NFT_MSG_NEWTABLE);
		nft_base_add(&nb, want);
	}
	for (ph = 0; ph < NPHASES; ph++) {
		walk_svcs(&nb, (enum nft_phase)ph, vo, no, vn, nn, want);
		walk_hps(&nb, (enum nft_phase)ph, ho,
		    have ? have->nhps : 0, hn, want->nhps);
		nft_hairpin_phase(&nb, (enum nft_phase)ph, io, nio, in, nin);
		nb_elems_flush(&nb);
	}
	nb_finish(&nb);
out:
	views_free(vo, no);
	views_free(vn, nn);
	free(ho);
	free(hn);
	free(io);
	free(in);
	return rc;
}

void
net_nft_batch_free(struct net_nft_batch *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}
