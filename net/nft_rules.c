/*
 * nft_rules: the fixed part of picolet's table (maps, base chains, the
 * masquerade and reject chains), in kube-proxy's nftables shape; the
 * per-service part is nft_svc.c's.
 *
 *   nat-prerouting, nat-output (dstnat): jump services; jump hostports
 *   services: ip daddr . l4proto . th dport vmap @service-ips
 *             fib daddr type local, daddr !127/8: l4proto . dport
 *             vmap @service-nodeports
 *   service-<hash>-<key>: saddr not in pods -> mark; [affinity lookups];
 *             numgen random mod N vmap { i : goto endpoint-... }
 *   external-<hash>-<key> (NodePort): mark; goto service-...
 *   endpoint-<hash>-<key>__<ip>/<port>: saddr == ip -> mark (hairpin);
 *             [update @affinity-...]; dnat to ip:port
 *   filter-{input,forward,output}: ct state new -> endpoints-check, which
 *             sends VIPs/NodePorts without ready endpoints to reject-chain
 *   nat-postrouting: jump masquerading (marked; pods leaving not by the
 *             bridge)
 *   hostports: the same two vmaps, keyed by host ip or any local address
 *
 * reject is only valid
 * in input/forward/output, hence the filter chains; fib with only DADDR
 * is valid in every hook.
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
#define CH_REJECT "reject-chain"

/* ---- expression sequences ---- */

static void
match_ip(struct nftnl_rule *r, uint32_t off, uint32_t ip, uint32_t mask,
	uint32_t op)
{
	uint32_t m = htonl(mask), v = htonl(ip & mask), zero = 0;

	r_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, 4, R0);
	if (mask != 0xffffffffu)
		r_bitwise(r, R0, 4, &m, &zero);
	r_cmp(r, R0, op, &v, 4);
}

static void
match_l4proto(struct nftnl_rule *r, uint8_t proto)
{
	r_meta(r, NFT_META_L4PROTO, R0);
	r_cmp(r, R0, NFT_CMP_EQ, &proto, 1);
}

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
	match_ip(r, 16, 0x7f000000u, 0xff000000u, NFT_CMP_NEQ);
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

static void
map_add(struct nb *nb, enum nft_map m, bool by_ip)
{
	struct nftnl_set *s = nftnl_set_alloc();
	uint32_t t = NFT_TYPE_INET_PROTO << NFT_TYPE_BITS | NFT_TYPE_INET_SERVICE;

	if (s == NULL)
		abort();
	if (by_ip)
		t |= NFT_TYPE_IPADDR << 2 * NFT_TYPE_BITS;
	nftnl_set_set_str(s, NFTNL_SET_NAME, nb_map_name(m));
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, t);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, by_ip ? 12 : 8);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
	nftnl_set_set_u32(s, NFTNL_SET_ID, nb->setid++);
	nb_set(nb, NFT_MSG_NEWSET, s);
	nftnl_set_free(s);
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
	r_meta(r, NFT_META_MARK, R0);
	r_bitwise(r, R0, 4, &bit, &zero);
	r_cmp(r, R0, NFT_CMP_NEQ, &zero, 4);
	r_masq(r, NF_NAT_RANGE_PROTO_RANDOM_FULLY);
	nb_rule(nb, r);
	if (st->pod_mask == 0 || st->bridge == NULL || *st->bridge == '\0')
		return;
	r = r_new(nb, "masquerading");
	match_ip(r, 12, st->pod_net, st->pod_mask, NFT_CMP_EQ);
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
	struct nftnl_rule *r;

	map_add(nb, MAP_SVC, true);
	map_add(nb, MAP_SVC_NOEP, true);
	map_add(nb, MAP_NODEPORT, false);
	map_add(nb, MAP_NODEPORT_NOEP, false);
	map_add(nb, MAP_HP_IP, true);
	map_add(nb, MAP_HP_ANY, false);
	masq_chains(nb, st);

	nb_chain(nb, NFT_MSG_NEWCHAIN, CH_REJECT, NULL, -1, 0);
	r = r_new(nb, CH_REJECT);
	match_l4proto(r, IPPROTO_TCP);
	r_reject(r, NFT_REJECT_TCP_RST, 0);
	nb_rule(nb, r);
	r = r_new(nb, CH_REJECT);
	r_reject(r, NFT_REJECT_ICMP_UNREACH, 3);	/* port unreachable */
	nb_rule(nb, r);

	nb_chain(nb, NFT_MSG_NEWCHAIN, "services", NULL, -1, 0);
	vmap_rules(nb, "services", MAP_SVC, MAP_NODEPORT);
	nb_chain(nb, NFT_MSG_NEWCHAIN, "endpoints-check", NULL, -1, 0);
	vmap_rules(nb, "endpoints-check", MAP_SVC_NOEP, MAP_NODEPORT_NOEP);
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
