/*
 * nft_hp: hostPorts and the hairpin set.
 *
 * A hostPort is a chain hostport-<proto>-<host ip>-<port> (DNAT to the
 * pod, and a mark for masquerading when the pod reaches itself through
 * its own hostPort) behind an element of hostport-ips (host ip given) or
 * hostport-any (any local address).  Pods come and go rarely, so a
 * hostPort may cost rules (and the kernel's revalidation of the table).
 *
 * The hairpin set holds "ip . ip" for every address that is a ready
 * endpoint of some service: a packet whose source and (DNAT'ed)
 * destination are that same address is a pod reaching itself through a
 * service, and is masqueraded so that the reply comes back through the
 * host.  Plain set elements never make the kernel revalidate the table.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <linux/netfilter/nf_tables.h>
#include <libnftnl/rule.h>

#include "net/nft_int.h"

#define NAMELEN NFT_NAME_MAXLEN

static void
hp_fill(struct nb *nb, const char *chain, const struct net_nft_hostport *h)
{
	struct nftnl_rule *r = r_new(nb, chain);

	r_match_ip(r, 12, h->pod_ip, 0xffffffffu, NFT_CMP_EQ);
	r_verdict(r, NFT_JUMP, "mark-for-masquerade");
	nb_rule(nb, r);
	r = r_new(nb, chain);
	r_dnat_to(r, h->proto, h->pod_ip, h->pod_port);
	nb_rule(nb, r);
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
	uint8_t k[12];

	hp_name(name, h);
	if (h->host_ip != 0) {
		k_ipp(k, h->host_ip, h->proto, h->host_port);
		nb_elem(nb, type, MAP_HP_IP, k, 12, name);
	} else {
		k_pp(k, h->proto, h->host_port);
		nb_elem(nb, type, MAP_HP_ANY, k, 8, name);
	}
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
		if ((o == NULL && n != NULL) || changed)
			hp_fill(nb, name, n);
		break;
	case PH_ADDELEM:
		if (o == NULL && n != NULL)
			hp_elem(nb, NFT_MSG_NEWSETELEM, n);
		break;
	default:
		break;
	}
}

static void
hairpin_elem(struct nb *nb, uint16_t type, uint32_t ip)
{
	uint32_t k[2] = { htonl(ip), htonl(ip) };

	nb_elem(nb, type, MAP_HAIRPIN, k, 8, NULL);
}

void
nft_hairpin_phase(struct nb *nb, enum nft_phase ph, const uint32_t *o,
	size_t no, const uint32_t *n, size_t nn)
{
	size_t i = 0, j = 0;

	if (ph != PH_DELELEM && ph != PH_ADDELEM)
		return;
	while (i < no || j < nn) {
		if (j == nn || (i < no && o[i] < n[j])) {
			if (ph == PH_DELELEM)
				hairpin_elem(nb, NFT_MSG_DELSETELEM, o[i]);
			i++;
		} else if (i == no || n[j] < o[i]) {
			if (ph == PH_ADDELEM)
				hairpin_elem(nb, NFT_MSG_NEWSETELEM, n[j]);
			j++;
		} else
			i++, j++;
	}
}
