/*
 * service: kinds Service and Endpoints (v1), decoded and validated as the
 * API server would: names DNS-1035 labels (a Service name becomes env var
 * and DNS names), ports 1-65535 and unique by name and by port/protocol,
 * names required when there are several ports, targetPort a number or a
 * container port name, clusterIP an IPv4 address or "None" (headless),
 * sessionAffinity None or ClientIP (timeout 1-86400, default 10800).
 * NodePort ranges and address allocation depend on the agent's config and
 * are core's to check.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg/decode.h"
#include "lib/util.h"

/* DNS-1035 label: starts with a letter. */
static const char *
check_dns1035(const char *s)
{
	const char *why = cfg_check_dns1123_label(s);

	if (why != NULL)
		return why;
	if (s[0] < 'a' || s[0] > 'z')
		return "must start with a lowercase letter (DNS-1035 label)";
	return NULL;
}

static void
dec_protocol(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    char **out)
{
	if (dec_str(d, n, path, out) != 0)
		return;
	if (strcmp(*out, "TCP") && strcmp(*out, "UDP") && strcmp(*out, "SCTP"))
		dec_error(d, n, path, "must be TCP, UDP or SCTP, got \"%.20s\"",
		    *out);
}

static void
dec_svc_port(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    struct cfg_svc_port *sp)
{
	const struct cfg_node *c;
	char p[DEC_PATH];

	sp->line = m->line;
	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "name")) {
			if (dec_str(d, c, p, &sp->name) == 0 &&
			    sp->name[0] != '\0')
				dec_name(d, c, p, sp->name,
				    cfg_check_dns1123_label, "port name");
		} else if (!strcmp(c->key, "protocol")) {
			dec_protocol(d, c, p, &sp->protocol);
		} else if (!strcmp(c->key, "port")) {
			dec_int32(d, c, p, 1, 65535, &sp->port);
		} else if (!strcmp(c->key, "nodePort")) {
			dec_int32(d, c, p, 1, 65535, &sp->node_port);
		} else if (!strcmp(c->key, "targetPort")) {
			if (c->type == CFG_SCALAR && !c->quoted &&
			    c->value[0] >= '0' && c->value[0] <= '9')
				dec_int32(d, c, p, 1, 65535, &sp->target_port);
			else if (dec_str(d, c, p, &sp->target_name) == 0)
				dec_name(d, c, p, sp->target_name,
				    cfg_check_port_name, "targetPort");
		} else if (!strcmp(c->key, "appProtocol")) {
			continue;
		} else {
			dec_unknown(d, c, p);
		}
	}
	if (sp->port == 0 && dec_is_null(cfg_node_get(m, "port")))
		dec_missing(d, m, path, "port");
	if (sp->protocol == NULL)
		sp->protocol = xstrdup("TCP");
	if (sp->target_port == 0 && sp->target_name == NULL)
		sp->target_port = sp->port;
}

static void
dec_svc_ports(struct cfg_diags *d, const struct cfg_node *n,
    const char *path, struct cfg_service *s)
{
	const struct cfg_node *c;
	char p[DEC_PATH];
	size_t i, j;

	if (!dec_seq(d, n, path))
		return;
	s->ports = xcalloc(n->n, sizeof(*s->ports));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		dec_path_idx(p, path, i);
		if (!dec_item(d, c, p))
			continue;
		dec_svc_port(d, c, p, &s->ports[s->nports++]);
	}
	for (i = 0; i < s->nports; i++) {
		const struct cfg_svc_port *a = &s->ports[i];

		if (s->nports > 1 && (a->name == NULL || a->name[0] == '\0'))
			cfg_diag_add(d, CFG_ERROR, a->line, 0, path, "ports[%zu]"
			    ".name is required when there are several ports",
			    i);
		for (j = 0; j < i; j++) {
			const struct cfg_svc_port *b = &s->ports[j];

			if (a->name && b->name && a->name[0] &&
			    !strcmp(a->name, b->name))
				cfg_diag_add(d, CFG_ERROR, a->line, 0, path,
				    "ports[%zu]: duplicate port name %s", i,
				    a->name);
			if (a->port == b->port &&
			    !strcmp(a->protocol, b->protocol))
				cfg_diag_add(d, CFG_ERROR, a->line, 0, path,
				    "ports[%zu]: duplicate port %d/%s", i,
				    a->port, a->protocol);
		}
	}
}

static void
dec_affinity_config(struct cfg_diags *d, const struct cfg_node *m,
    const char *path, struct cfg_service *s)
{
	const struct cfg_node *ci, *t;
	char p[DEC_PATH];

	if (!dec_map(d, m, path))
		return;
	ci = cfg_node_get(m, "clientIP");
	if (ci == NULL || !dec_map(d, ci, path))
		return;
	if ((t = cfg_node_get(ci, "timeoutSeconds")) != NULL) {
		dec_path(p, path, "clientIP.timeoutSeconds");
		dec_int32(d, t, p, 1, 86400, &s->affinity_timeout);
	}
}

static void
dec_cluster_ip(struct cfg_diags *d, const struct cfg_node *c,
    const char *path, struct cfg_service *s)
{
	struct in_addr a;

	if (dec_str(d, c, path, &s->cluster_ip) != 0)
		return;
	if (s->cluster_ip[0] == '\0') {
		free(s->cluster_ip);
		s->cluster_ip = NULL;
	} else if (strcmp(s->cluster_ip, "None") != 0 &&
	    inet_pton(AF_INET, s->cluster_ip, &a) != 1) {
		dec_error(d, c, path, "must be an IPv4 address or \"None\", "
		    "got \"%.40s\"", s->cluster_ip);
	}
}

static void
dec_svc_spec(struct cfg_diags *d, const struct cfg_node *m, const char *path,
    struct cfg_service *s)
{
	const struct cfg_node *c;
	char p[DEC_PATH], *v = NULL;

	for (c = m->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "type")) {
			if (dec_str(d, c, p, &v) != 0)
				continue;
			if (!strcmp(v, "ClusterIP"))
				s->type = CFG_SVC_CLUSTER_IP;
			else if (!strcmp(v, "NodePort"))
				s->type = CFG_SVC_NODE_PORT;
			else if (!strcmp(v, "LoadBalancer")) {
				s->type = CFG_SVC_LOAD_BALANCER;
				dec_warn(d, c, p, "LoadBalancer is served as "
				    "NodePort on this node");
			} else
				dec_error(d, c, p, "must be ClusterIP, NodePort "
				    "or LoadBalancer, got \"%.30s\"", v);
			free(v);
			v = NULL;
		} else if (!strcmp(c->key, "selector")) {
			s->has_selector = !dec_is_null(c);
			dec_kvs(d, c, p, DEC_KV_LABELS, &s->selector);
		} else if (!strcmp(c->key, "ports")) {
			dec_svc_ports(d, c, p, s);
		} else if (!strcmp(c->key, "clusterIP")) {
			dec_cluster_ip(d, c, p, s);
		} else if (!strcmp(c->key, "sessionAffinity")) {
			if (dec_str(d, c, p, &v) != 0)
				continue;
			if (!strcmp(v, "ClientIP"))
				s->affinity_client_ip = true;
			else if (strcmp(v, "None") != 0)
				dec_error(d, c, p, "must be None or ClientIP, "
				    "got \"%.30s\"", v);
			free(v);
			v = NULL;
		} else if (!strcmp(c->key, "sessionAffinityConfig")) {
			dec_affinity_config(d, c, p, s);
		} else if (!strcmp(c->key, "clusterIPs") ||
		    !strcmp(c->key, "ipFamilies") ||
		    !strcmp(c->key, "ipFamilyPolicy") ||
		    !strcmp(c->key, "internalTrafficPolicy") ||
		    !strcmp(c->key, "externalTrafficPolicy") ||
		    !strcmp(c->key, "publishNotReadyAddresses")) {
			continue;	/* accepted; one node, one family */
		} else {
			dec_unknown(d, c, p);
		}
	}
	if (s->nports == 0 && !(s->cluster_ip != NULL &&
	    strcmp(s->cluster_ip, "None") == 0))
		dec_missing(d, m, path, "ports");
}

static void
dec_object(struct cfg_diags *d, const struct cfg_node *tree,
    const char *path, struct cfg_meta *meta, const struct cfg_node **spec,
    const char *spec_key)
{
	const struct cfg_node *c;
	char p[DEC_PATH];

	for (c = tree->child; c != NULL; c = c->next) {
		dec_path(p, path, c->key);
		if (!strcmp(c->key, "metadata")) {
			if (dec_map(d, c, p))
				dec_meta(d, c, p, meta);
		} else if (spec_key != NULL && !strcmp(c->key, spec_key)) {
			*spec = c;
		} else if (strcmp(c->key, "apiVersion") &&
		    strcmp(c->key, "kind") && strcmp(c->key, "status")) {
			dec_unknown(d, c, p);
		}
	}
	if (dec_is_null(cfg_node_get(tree, "metadata")))
		dec_missing(d, tree, path, "metadata");
	if (meta->name != NULL) {
		dec_path(p, path, "metadata.name");
		dec_name(d, cfg_node_get(cfg_node_get(tree, "metadata"),
		    "name"), p, meta->name, check_dns1035, "name");
	}
}

int
cfg_service_decode(struct cfg_node *tree, const char *path,
    struct cfg_service **out, struct cfg_diags *d)
{
	struct cfg_service *s = xcalloc(1, sizeof(*s));
	const struct cfg_node *spec = NULL;
	size_t nerr = d->nerrors;
	char p[DEC_PATH];

	*out = NULL;
	s->tree = tree;
	s->affinity_timeout = 10800;
	dec_object(d, tree, path, &s->meta, &spec, "spec");
	if (spec == NULL || dec_is_null(spec)) {
		dec_missing(d, tree, path, "spec");
	} else {
		dec_path(p, path, "spec");
		if (dec_map(d, spec, p))
			dec_svc_spec(d, spec, p, s);
		cfg_node_hash(spec, s->spec_hash);
	}
	if (d->nerrors > nerr) {
		cfg_service_free(s);
		return -EINVAL;
	}
	*out = s;
	return 0;
}

void
cfg_service_free(struct cfg_service *s)
{
	size_t i;

	if (s == NULL)
		return;
	dec_meta_free(&s->meta);
	dec_kvs_free(&s->selector);
	free(s->cluster_ip);
	for (i = 0; i < s->nports; i++) {
		free(s->ports[i].name);
		free(s->ports[i].protocol);
		free(s->ports[i].target_name);
	}
	free(s->ports);
	cfg_node_free(s->tree);
	free(s);
}

static void
dec_addrs(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    bool ready, struct cfg_ep_subset *ss)
{
	const struct cfg_node *c, *ip;
	char p[DEC_PATH];
	struct in_addr a;
	size_t i;

	if (!dec_seq(d, n, path))
		return;
	ss->addrs = xrealloc(ss->addrs, (ss->naddrs + n->n) *
	    sizeof(*ss->addrs));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		struct cfg_ep_addr *ea;

		dec_path_idx(p, path, i);
		if (!dec_item(d, c, p))
			continue;
		ip = cfg_node_get(c, "ip");
		dec_path(p, p, "ip");
		if (dec_is_null(ip)) {
			dec_missing(d, c, p, "ip");
			continue;
		}
		ea = &ss->addrs[ss->naddrs];
		memset(ea, 0, sizeof(*ea));
		if (dec_str(d, ip, p, &ea->ip) != 0)
			continue;
		ss->naddrs++;
		ea->ready = ready;
		if (inet_pton(AF_INET, ea->ip, &a) != 1)
			dec_error(d, ip, p, "must be an IPv4 address");
	}
}

static void
dec_ep_ports(struct cfg_diags *d, const struct cfg_node *n, const char *path,
    struct cfg_ep_subset *ss)
{
	const struct cfg_node *c, *f;
	char p[DEC_PATH], q[DEC_PATH];
	size_t i;

	if (!dec_seq(d, n, path))
		return;
	ss->ports = xcalloc(n->n, sizeof(*ss->ports));
	for (c = n->child, i = 0; c != NULL; c = c->next, i++) {
		struct cfg_ep_port *ep = &ss->ports[ss->nports];

		dec_path_idx(p, path, i);
		if (!dec_item(d, c, p))
			continue;
		ss->nports++;
		for (f = c->child; f != NULL; f = f->next) {
			dec_path(q, p, f->key);
			if (!strcmp(f->key, "name"))
				dec_str(d, f, q, &ep->name);
			else if (!strcmp(f->key, "port"))
				dec_int32(d, f, q, 1, 65535, &ep->port);
			else if (!strcmp(f->key, "protocol"))
				dec_protocol(d, f, q, &ep->protocol);
			else if (strcmp(f->key, "appProtocol"))
				dec_unknown(d, f, q);
		}
		if (ep->port == 0)
			dec_missing(d, c, p, "port");
		if (ep->protocol == NULL)
			ep->protocol = xstrdup("TCP");
	}
}

int
cfg_endpoints_decode(struct cfg_node *tree, const char *path,
    struct cfg_endpoints **out, struct cfg_diags *d)
{
	struct cfg_endpoints *e = xcalloc(1, sizeof(*e));
	const struct cfg_node *subsets = NULL, *c, *f;
	size_t nerr = d->nerrors, i;
	char p[DEC_PATH], q[DEC_PATH];

	*out = NULL;
	e->tree = tree;
	dec_object(d, tree, path, &e->meta, &subsets, "subsets");
	dec_path(p, path, "subsets");
	if (subsets != NULL && !dec_is_null(subsets) &&
	    dec_seq(d, subsets, p)) {
		e->subsets = xcalloc(subsets->n, sizeof(*e->subsets));
		for (c = subsets->child, i = 0; c != NULL; c = c->next, i++) {
			struct cfg_ep_subset *ss = &e->subsets[e->nsubsets];
			char sp[DEC_PATH];

			dec_path_idx(sp, p, i);
			if (!dec_item(d, c, sp))
				continue;
			e->nsubsets++;
			for (f = c->child; f != NULL; f = f->next) {
				dec_path(q, sp, f->key);
				if (!strcmp(f->key, "addresses"))
					dec_addrs(d, f, q, true, ss);
				else if (!strcmp(f->key, "notReadyAddresses"))
					dec_addrs(d, f, q, false, ss);
				else if (!strcmp(f->key, "ports"))
					dec_ep_ports(d, f, q, ss);
				else
					dec_unknown(d, f, q);
			}
		}
	}
	if (d->nerrors > nerr) {
		cfg_endpoints_free(e);
		return -EINVAL;
	}
	*out = e;
	return 0;
}

void
cfg_endpoints_free(struct cfg_endpoints *e)
{
	size_t i, j;

	if (e == NULL)
		return;
	dec_meta_free(&e->meta);
	for (i = 0; i < e->nsubsets; i++) {
		struct cfg_ep_subset *ss = &e->subsets[i];

		for (j = 0; j < ss->naddrs; j++)
			free(ss->addrs[j].ip);
		free(ss->addrs);
		for (j = 0; j < ss->nports; j++) {
			free(ss->ports[j].name);
			free(ss->ports[j].protocol);
		}
		free(ss->ports);
	}
	free(e->subsets);
	cfg_node_free(e->tree);
	free(e);
}
