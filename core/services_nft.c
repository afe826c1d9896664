/*
 * services_nft: the service table and the pods' hostPorts as nftables
 * state, applied in one batch (net/ sends only what changed).  Only what
 * a Service can serve goes in: headless Services and Services with an
 * allocation error have no rules.  A hostPort that another pod already
 * has is refused for the later pod, with an event.  Endpoints of UDP
 * Services that went away get their conntrack entries flushed, so
 * clients stop talking to a pod that is gone.  With nothing to serve and
 * no pod network, the table goes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"
#include "net/net.h"

static uint32_t
ip4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1 ? ntohl(a.s_addr) : 0;
}

struct build {
	struct net_nft_svc *svcs;
	size_t nsvcs;
	struct net_nft_ep *eps;		/* all endpoints, svcs point in */
	size_t neps;
	struct net_nft_hostport *hps;
	size_t nhps;
	char (*keys)[200];
};

static void
add_services(struct agent *a, struct build *b)
{
	size_t i, k, e, total = 0, n = 0;

	for (i = 0; i < a->nsvcs; i++)
		for (k = 0; k < a->svcs[i].nports; k++) {
			total += a->svcs[i].ports[k].neps;
			n++;
		}
	b->svcs = xcalloc(n + 1, sizeof(*b->svcs));
	b->keys = xcalloc(n + 1, sizeof(*b->keys));
	b->eps = xcalloc(total + 1, sizeof(*b->eps));
	for (i = 0; i < a->nsvcs; i++) {
		const struct svc *s = &a->svcs[i];

		if (s->headless || s->error[0] != '\0' ||
		    s->cluster_ip[0] == '\0')
			continue;
		for (k = 0; k < s->nports; k++) {
			const struct svc_port *sp = &s->ports[k];
			struct net_nft_svc *ns = &b->svcs[b->nsvcs];

			snprintf(b->keys[b->nsvcs], sizeof(b->keys[0]),
			    "%s/%s", s->key, sp->cfg->name && sp->cfg->name[0] ?
			    sp->cfg->name : "-");
			ns->key = b->keys[b->nsvcs];
			ns->vip = ip4(s->cluster_ip);
			ns->port = (uint16_t)sp->cfg->port;
			ns->proto = sp->udp ? IPPROTO_UDP : IPPROTO_TCP;
			ns->nodeport = (uint16_t)sp->node_port;
			ns->affinity_timeout = s->cfg->affinity_client_ip ?
			    (uint32_t)s->cfg->affinity_timeout : 0;
			ns->eps = &b->eps[b->neps];
			for (e = 0; e < sp->neps; e++) {
				struct net_nft_ep *ep = &b->eps[b->neps++];

				ep->ip = ip4(sp->eps[e].ip);
				ep->port = (uint16_t)sp->eps[e].port;
				ep->ready = sp->eps[e].ready;
				ns->neps++;
			}
			b->nsvcs++;
		}
	}
}

static bool
hostport_taken(const struct build *b, uint8_t proto, uint32_t hip,
    uint16_t port)
{
	size_t i;

	for (i = 0; i < b->nhps; i++)
		if (b->hps[i].proto == proto && b->hps[i].host_port == port &&
		    (b->hps[i].host_ip == 0 || hip == 0 ||
		    b->hps[i].host_ip == hip))
			return true;
	return false;
}

static void
add_hostports(struct agent *a, struct build *b)
{
	struct pod *p;
	size_t i, k;

	TAILQ_FOREACH(p, &a->pods, entry) {
		if (p->dead || p->spec == NULL || p->pod_ip[0] == '\0')
			continue;
		for (i = 0; i < p->nctrs; i++) {
			const struct cfg_container *c = p->ctrs[i].spec;

			for (k = 0; c != NULL && k < c->nports; k++) {
				const struct cfg_port *cp = &c->ports[k];
				struct net_nft_hostport hp;

				if (cp->host_port <= 0)
					continue;
				memset(&hp, 0, sizeof(hp));
				hp.proto = cp->protocol != NULL &&
				    !strcmp(cp->protocol, "UDP") ? IPPROTO_UDP :
				    IPPROTO_TCP;
				hp.host_ip = cp->host_ip ? ip4(cp->host_ip) : 0;
				hp.host_port = (uint16_t)cp->host_port;
				hp.pod_ip = ip4(p->pod_ip);
				hp.pod_port = (uint16_t)cp->container_port;
				if (hostport_taken(b, hp.proto, hp.host_ip,
				    hp.host_port)) {
					agent_event(a, p, c->name, true,
					    "HostPortConflict", "hostPort %d/%s "
					    "is already used by another pod",
					    cp->host_port, cp->protocol ?
					    cp->protocol : "TCP");
					continue;
				}
				b->hps = xrealloc(b->hps, (b->nhps + 1) *
				    sizeof(*b->hps));
				b->hps[b->nhps++] = hp;
			}
		}
	}
}

/* UDP endpoints that were served and are no more: flush their flows. */
static void
flush_gone_udp(struct agent *a, const struct build *b)
{
	uint64_t *now = NULL;
	size_t i, k, n = 0;
	struct err err;

	for (i = 0; i < b->nsvcs; i++) {
		if (b->svcs[i].proto != IPPROTO_UDP)
			continue;
		for (k = 0; k < b->svcs[i].neps; k++) {
			if (!b->svcs[i].eps[k].ready)
				continue;
			now = xrealloc(now, (n + 1) * sizeof(*now));
			now[n++] = (uint64_t)b->svcs[i].eps[k].ip << 16 |
			    b->svcs[i].eps[k].port;
		}
	}
	for (i = 0; i < a->nudp; i++) {
		for (k = 0; k < n && now[k] != a->udp[i]; k++)
			;
		if (k < n)
			continue;
		if (net_conntrack_flush_udp((uint32_t)(a->udp[i] >> 16),
		    (uint16_t)(a->udp[i] & 0xffff), &err) < 0)
			log_warn("conntrack: %s", err.msg);
	}
	free(a->udp);
	a->udp = now;
	a->nudp = n;
}

void
services_apply(struct agent *a)
{
	struct net_nft_state st;
	struct build b;
	struct err err;
	uint32_t net = 0;
	int plen = 0;

	memset(&b, 0, sizeof(b));
	add_services(a, &b);
	add_hostports(a, &b);
	if (a->nft == NULL && net_nft_open(&a->nft, "picolet", &err) < 0) {
		log_error("nftables: %s", err.msg);
		goto out;
	}
	if (b.nsvcs == 0 && b.nhps == 0 && !a->bridge_up) {
		/* Nothing to serve: no table (a leftover one goes too). */
		if (a->nft_live || !a->nft_checked) {
			if (net_nft_destroy(a->nft, &err) < 0)
				log_warn("nftables: %s", err.msg);
			a->nft_live = false;
			a->nft_checked = true;
		}
		flush_gone_udp(a, &b);
		goto out;
	}
	memset(&st, 0, sizeof(st));
	if (net_cidr_parse(a->conf.pod_cidr, &net, &plen) == 0) {
		st.pod_net = net;
		st.pod_mask = plen == 0 ? 0 : ~0U << (32 - plen);
	}
	st.bridge = a->conf.bridge;
	st.svcs = b.svcs;
	st.nsvcs = b.nsvcs;
	st.hps = b.hps;
	st.nhps = b.nhps;
	if (net_nft_apply(a->nft, &st, &err) < 0) {
		log_error("nftables: %s", err.msg);
		events_add(&a->events, true, "Node", "", a->node_name, "", "",
		    "FailedToProgramServices", "%s", err.msg);
		goto out;
	}
	a->nft_live = a->nft_checked = true;
	flush_gone_udp(a, &b);
out:
	free(b.svcs);
	free(b.keys);
	free(b.eps);
	free(b.hps);
}
