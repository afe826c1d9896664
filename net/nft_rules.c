/*
 * nft_rules: the fixed part of picolet's table, in kube-proxy's nftables
 * shape; the per-service part is nft_svc.c's, hostPorts nft_hp.c's.
 *
 *   nat-prerouting, nat-output (dstnat): jump services; jump hostports
 *   services: ip daddr . l4proto . th dport vmap @service-ips
 *             fib daddr type local, daddr !127/8: l4proto . dport
 *             vmap @service-nodeports
 *   filter-{input,forward,output}: ct state new -> endpoints-check, which
 *             rejects VIPs/NodePorts in the no-endpoint sets (TCP reset,
 *             else ICMP port unreachable; reject is only valid in these
 *             hooks, hence filter chains)
 *   nat-postrouting: jump masquerading: hairpin (saddr . daddr in
 *             @hairpin), marked packets (from outside the pod network to
 *             a service, NodePorts), pods leaving not by the bridge
 *   hostports: the same two vmaps, keyed by host ip or any local address
 *
 * fib with only DADDR is valid in every hook.  The no-endpoint and
 * hairpin sets are plain sets, so that changing them never makes the
 * kernel revalidate the table (see nft_svc.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter_ipv4.h>
#include <linux/rtnetlink.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>

#include "net/nft_int.h"

#define R0 NFT_REG32_00
#define R1 NFT_REG32_01
#define CH_MARK "mark-for-masquerade"

/* ---- expression sequences ---- */

/* Into reg, reg+1: l4proto, th dport (each padded to 4 bytes). */
static void
load_proto_port(struct nftnl_rule *r, uint32_t reg)
{
	r_meta(r, NFT_META_L4PROTO, reg);
	r_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, reg + 1);
}

/* fib daddr type local ip daddr != 127.0.0.0/8 */
static void
match_local(struct nftnl_rule *r)
{
	uint32_t local = RTN_LOCAL;

	r_fib_daddr_type(r, R0);
	r_cmp(r, R0, NFT_CMP_EQ, &local, 4);
	r_match_ip(r, 16, 0x7f000000u, 0xff000000u, NFT_CMP_NEQ);
}

/* The two vmap rules of services, endpoints-check and hostports. */
static void
vmap_rules(struct nb *nb, const char *chain, enum nft_map by_ip,
	enum nft_map by_port)
{
	struct nftnl_rule *r;

	r = r_new(nb, chain);
	r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, R0);
	load_proto_port(r, R1);
	r_lookup(r, R0, NFT_REG_VERDICT, nb_map_name(by_ip), 0);
	nb_rule(nb, r);
	r = r_new(nb, chain);
	match_local(r);
	load_proto_port(r, R0);
	r_lookup(r, R0, NFT_REG_VERDICT, nb_map_name(by_port), 0);
	nb_rule(nb, r);
}

static void
jump_rule(struct nb *nb, const char *chain, int verdict, const char *to)
{
	struct nftnl_rule *r = r_new(nb, chain);

	r_verdict(r, verdict, to);
	nb_rule(nb, r);
}

/* ---- the fixed part ---- */

/* A vmap (or plain set: !vmap) keyed by [ip .] proto . port. */
static void
map_add(struct nb *nb, enum nft_map m, bool by_ip, bool vmap)
{
	struct nftnl_set *s = nftnl_set_alloc();
	uint32_t t = NFT_TYPE_INET_PROTO << NFT_TYPE_BITS | NFT_TYPE_INET_SERVICE;

	if (s == NULL)
		abort();
	if (by_ip)
		t |= NFT_TYPE_IPADDR << 2 * NFT_TYPE_BITS;
	nftnl_set_set_str(s, NFTNL_SET_NAME, nb_map_name(m));
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, vmap ? NFT_SET_MAP : 0);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, t);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, by_ip ? 12 : 8);
	if (vmap)
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
	nftnl_set_set_u32(s, NFTNL_SET_ID, nb->setid++);
	nb_set(nb, NFT_MSG_NEWSET, s);
	nftnl_set_free(s);
}

static void
hairpin_add(struct nb *nb)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (s == NULL)
		abort();
	nftnl_set_set_str(s, NFTNL_SET_NAME, nb_map_name(MAP_HAIRPIN));
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, 0);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE,
	    NFT_TYPE_IPADDR << NFT_TYPE_BITS | NFT_TYPE_IPADDR);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 8);
	nftnl_set_set_u32(s, NFTNL_SET_ID, nb->setid++);
	nb_set(nb, NFT_MSG_NEWSET, s);
	nftnl_set_free(s);
}

/* VIPs and NodePorts in the no-endpoint sets: TCP reset, else ICMP port
 * unreachable (reject is only valid in input, forward and output). */
static void
reject_rules(struct nb *nb)
{
	struct nftnl_rule *r;
	uint8_t tcp = IPPROTO_TCP;
	int local, rst;

	for (local = 0; local < 2; local++)
		for (rst = 1; rst >= 0; rst--) {
			r = r_new(nb, "endpoints-check");
			if (local)
				match_local(r);
			if (rst) {
				r_meta(r, NFT_META_L4PROTO, R0);
				r_cmp(r, R0, NFT_CMP_EQ, &tcp, 1);
			}
			if (!local)
				r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, R0);
			load_proto_port(r, local ? R0 : R1);
			r_lookup(r, R0, -1, nb_map_name(local ?
			    MAP_NODEPORT_NOEP : MAP_SVC_NOEP), 0);
			if (rst)
				r_reject(r, NFT_REJECT_TCP_RST, 0);
			else
				r_reject(r, NFT_REJECT_ICMP_UNREACH, 3);
			nb_rule(nb, r);
		}
}

static void
masq_chains(struct nb *nb, const struct net_nft_state *st)
{
	uint32_t mask = ~MASQ_MARK, bit = MASQ_MARK, zero = 0;
	struct nftnl_rule *r;
	char ifname[16] = "";

	nb_chain(nb, NFT_MSG_NEWCHAIN, CH_MARK, NULL, -1, 0);
	r = r_new(nb, CH_MARK);
	r_meta(r, NFT_META_MARK, R0);
	r_bitwise(r, R0, 4, &mask, &bit);
	r_meta_set(r, NFT_META_MARK, R0);
	nb_rule(nb, r);

	nb_chain(nb, NFT_MSG_NEWCHAIN, "masquerading", NULL, -1, 0);
	r = r_new(nb, "masquerading");
	r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R0);
	r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, R1);
	r_lookup(r, R0, -1, nb_map_name(MAP_HAIRPIN), 0);
	r_masq(r, NF_NAT_RANGE_PROTO_RANDOM_FULLY);
	nb_rule(nb, r);
	r = r_new(nb, "masquerading");
	r_meta(r, NFT_META_MARK, R0);
	r_bitwise(r, R0, 4, &bit, &zero);
	r_cmp(r, R0, NFT_CMP_NEQ, &zero, 4);
	r_masq(r, NF_NAT_RANGE_PROTO_RANDOM_FULLY);
	nb_rule(nb, r);
	if (st->pod_mask == 0 || st->bridge == NULL || *st->bridge == '\0')
		return;
	r = r_new(nb, "masquerading");
	r_match_ip(r, 12, st->pod_net, st->pod_mask, NFT_CMP_EQ);
	strncpy(ifname, st->bridge, sizeof(ifname) - 1);
	r_meta(r, NFT_META_OIFNAME, NFT_REG_1);
	r_cmp(r, NFT_REG_1, NFT_CMP_NEQ, ifname, sizeof(ifname));
	r_masq(r, NF_NAT_RANGE_PROTO_RANDOM_FULLY);
	nb_rule(nb, r);
}

static void
base_chain(struct nb *nb, const char *name, const char *type, int hook,
	int prio, const char *to, const char *to2)
{
	struct nftnl_rule *r;
	uint32_t bit = NF_CT_STATE_BIT(IP_CT_NEW), zero = 0;

	nb_chain(nb, NFT_MSG_NEWCHAIN, name, type, hook, prio);
	if (strcmp(type, "filter") == 0) {
		r = r_new(nb, name);
		r_ct_state(r, R0);
		r_bitwise(r, R0, 4, &bit, &zero);
		r_cmp(r, R0, NFT_CMP_NEQ, &zero, 4);
		r_verdict(r, NFT_JUMP, to);
		nb_rule(nb, r);
		return;
	}
	jump_rule(nb, name, NFT_JUMP, to);
	if (to2 != NULL)
		jump_rule(nb, name, NFT_JUMP, to2);
}

void
nft_base_add(struct nb *nb, const struct net_nft_state *st)
{
	map_add(nb, MAP_SVC, true, true);
	map_add(nb, MAP_SVC_NOEP, true, false);
	map_add(nb, MAP_NODEPORT, false, true);
	map_add(nb, MAP_NODEPORT_NOEP, false, false);
	map_add(nb, MAP_HP_IP, true, true);
	map_add(nb, MAP_HP_ANY, false, true);
	hairpin_add(nb);
	masq_chains(nb, st);

	nb_chain(nb, NFT_MSG_NEWCHAIN, "services", NULL, -1, 0);
	vmap_rules(nb, "services", MAP_SVC, MAP_NODEPORT);
	nb_chain(nb, NFT_MSG_NEWCHAIN, "endpoints-check", NULL, -1, 0);
	reject_rules(nb);
	nb_chain(nb, NFT_MSG_NEWCHAIN, "hostports", NULL, -1, 0);
	vmap_rules(nb, "hostports", MAP_HP_IP, MAP_HP_ANY);

	base_chain(nb, "nat-prerouting", "nat", NF_INET_PRE_ROUTING,
	    NF_IP_PRI_NAT_DST, "services", "hostports");
	base_chain(nb, "nat-output", "nat", NF_INET_LOCAL_OUT,
	    NF_IP_PRI_NAT_DST, "services", "hostports");
	base_chain(nb, "nat-postrouting", "nat", NF_INET_POST_ROUTING,
	    NF_IP_PRI_NAT_SRC, "masquerading", NULL);
	base_chain(nb, "filter-input", "filter", NF_INET_LOCAL_IN, -10,
	    "endpoints-check", NULL);
	base_chain(nb, "filter-forward", "filter", NF_INET_FORWARD, -10,
	    "endpoints-check", NULL);
	base_chain(nb, "filter-output", "filter", NF_INET_LOCAL_OUT, -10,
	    "endpoints-check", NULL);
}
