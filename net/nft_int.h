/*
 * nft_int: what nft.c, nft_build.c and nft_rules.c share.  Not part of
 * net/'s interface.
 *
 * nft_build.c writes netlink messages into a net_nft_batch (through
 * libnftnl's message builders) and offers one helper per expression;
 * nft_rules.c knows the table's layout (chains, maps, rules, names);
 * nft.c diffs states and talks to the kernel.
 */
#ifndef PICOLET_NFT_INT_H
#define PICOLET_NFT_INT_H

#include <stdint.h>

#include <linux/netfilter/nf_tables.h>

#include "net/net.h"

struct nftnl_rule;
struct nftnl_set;

/* The named maps of the table. */
enum nft_map {
	MAP_SVC,		/* service-ips: ip . proto . port : verdict */
	MAP_SVC_NOEP,		/* no-endpoint-services: a plain set */
	MAP_NODEPORT,		/* service-nodeports: proto . port : verdict */
	MAP_NODEPORT_NOEP,	/* no-endpoint-nodeports: a plain set */
	MAP_HP_IP,		/* hostport-ips: ip . proto . port */
	MAP_HP_ANY,		/* hostport-any: proto . port */
	MAP_HAIRPIN,		/* hairpin: ip . ip, one per endpoint address */
	NMAPS
};

/* Element changes are gathered per map and sent in few messages. */
#define NB_ELEMS_PER_MSG 128

/* One batch being built. */
struct nb {
	struct net_nft_batch *b;
	const char *table;
	uint32_t setid;			/* NFTA_SET_ID of the next new set */
	struct nftnl_set *pend[NMAPS];	/* elements waiting for a message */
	unsigned npend[NMAPS];
	uint16_t pend_type;		/* NFT_MSG_NEWSETELEM or DELSETELEM */
};

/* nft_build.c: messages */
void nb_start(struct nb *nb, struct net_nft_batch *b, const char *table);
void nb_finish(struct nb *nb);
void nb_table(struct nb *nb, uint16_t type);
/* type NFT_MSG_NEWCHAIN/DELCHAIN; hook < 0: a regular chain. */
void nb_chain(struct nb *nb, uint16_t type, const char *name,
	const char *ctype, int hook, int prio);
void nb_chain_flush(struct nb *nb, const char *chain);
/* Appends r to its chain and frees it. */
void nb_rule(struct nb *nb, struct nftnl_rule *r);
void nb_set(struct nb *nb, uint16_t type, struct nftnl_set *s);
/* The elements attached to s, in messages of NB_ELEMS_PER_MSG. */
void nb_elems(struct nb *nb, uint16_t type, struct nftnl_set *s);
/* Delete every element of the set. */
void nb_set_flush(struct nb *nb, const char *set);
/* An element to add (verdict goto chain; chain NULL: a plain set
 * element) or delete, in one of the fixed maps. */
void nb_elem(struct nb *nb, uint16_t type, enum nft_map m, const void *key,
	uint32_t klen, const char *chain);
void nb_elems_flush(struct nb *nb);
const char *nb_map_name(enum nft_map m);

/* nft_build.c: expressions, appended to r */
struct nftnl_rule *r_new(struct nb *nb, const char *chain);
void r_payload(struct nftnl_rule *r, uint32_t base, uint32_t off,
	uint32_t len, uint32_t dreg);
void r_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg);
void r_meta_set(struct nftnl_rule *r, uint32_t key, uint32_t sreg);
void r_cmp(struct nftnl_rule *r, uint32_t sreg, uint32_t op,
	const void *data, uint32_t len);
void r_bitwise(struct nftnl_rule *r, uint32_t reg, uint32_t len,
	const void *mask, const void *xor);
void r_imm(struct nftnl_rule *r, uint32_t dreg, const void *data,
	uint32_t len);
void r_verdict(struct nftnl_rule *r, int verdict, const char *chain);
void r_lookup(struct nftnl_rule *r, uint32_t sreg, int dreg,
	const char *set, uint32_t set_id);
void r_dnat(struct nftnl_rule *r, uint32_t addr_reg, uint32_t proto_reg);
void r_masq(struct nftnl_rule *r, uint32_t flags);
void r_reject(struct nftnl_rule *r, uint32_t type, uint8_t code);
void r_fib_daddr_type(struct nftnl_rule *r, uint32_t dreg);
void r_ct_state(struct nftnl_rule *r, uint32_t dreg);
void r_numgen(struct nftnl_rule *r, uint32_t dreg, uint32_t mod);
/* sdata < 0: a set; else the data register of a map's element. */
void r_dynset_update(struct nftnl_rule *r, uint32_t sreg, int sdata,
	const char *set);
void r_match_ip(struct nftnl_rule *r, uint32_t off, uint32_t ip,
	uint32_t mask, uint32_t op);
void r_dnat_to(struct nftnl_rule *r, uint8_t proto, uint32_t ip,
	uint16_t port);
void k_ipp(uint8_t *k, uint32_t ip, uint8_t proto, uint16_t port);
void k_pp(uint8_t *k, uint8_t proto, uint16_t port);

/* nft's datatype numbers, so `nft list` shows our maps readably. */
#define NFT_TYPE_VERDICT	1
#define NFT_TYPE_INTEGER	4
#define NFT_TYPE_MARK		19	/* a 32-bit integer in host order */
#define NFT_TYPE_IPADDR		7
#define NFT_TYPE_INET_PROTO	12
#define NFT_TYPE_INET_SERVICE	13
#define NFT_TYPE_BITS		6

#define MASQ_MARK 0x4000u	/* as kube-proxy's */

/* nft_rules.c: the table's layout */
struct nft_ep {
	uint32_t ip;
	uint16_t port;
};

/* A service reduced to what is programmed: ready endpoints, sorted. */
struct nft_sv {
	const struct net_nft_svc *s;
	struct nft_ep *eps;
	size_t neps;
};

/* Phases of a batch, in the order the kernel must see them. */
enum nft_phase {
	PH_DELELEM,	/* map elements that go or change */
	PH_FLUSH,	/* chains whose rules are replaced */
	PH_DELCHAIN,	/* chains that go (after what referenced them) */
	PH_DELSET,	/* affinity sets that go */
	PH_ADDSET,
	PH_ADDCHAIN,	/* new chains and their rules, refills */
	PH_ADDELEM,
	NPHASES
};

void nft_base_add(struct nb *nb, const struct net_nft_state *st);
/* Emit what phase ph needs to turn o into n (either may be NULL). */
void nft_svc_phase(struct nb *nb, enum nft_phase ph, const struct nft_sv *o,
	const struct nft_sv *n, const struct net_nft_state *st);
void nft_hp_phase(struct nb *nb, enum nft_phase ph,
	const struct net_nft_hostport *o, const struct net_nft_hostport *n);
/* Same ready endpoints. */
bool nft_sv_same(const struct nft_sv *a, const struct nft_sv *b);
/* The hairpin set: o and n are sorted endpoint addresses. */
void nft_hairpin_phase(struct nb *nb, enum nft_phase ph, const uint32_t *o,
	size_t no, const uint32_t *n, size_t nn);

#endif
