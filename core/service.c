/*
 * service: Services and their endpoints.  At each sync the Service and
 * Endpoints objects of the manifests (first definition wins, as for pods)
 * become the agent's service table: a ClusterIP for each (spec.clusterIP,
 * or allocated from the service CIDR and kept across restarts), NodePorts
 * (given, in range and unique, or allocated and kept), and endpoints: the
 * pods of the Service's namespace that match its selector and have an
 * address, ready or not, per port (targetPort by number or by container
 * port name), or the addresses of a selector-less Service's Endpoints
 * object.  The table is what the API shows and what nftables gets.  A bad
 * Service (an address or port taken, out of range) is an error on that
 * Service; the others work.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"
#include "net/net.h"

static void
svc_free_eps(struct svc *s)
{
	size_t i;

	for (i = 0; i < s->nports; i++)
		free(s->ports[i].eps);
	free(s->ports);
	s->ports = NULL;
	s->nports = 0;
}

void
services_free(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->nsvcs; i++)
		svc_free_eps(&a->svcs[i]);
	free(a->svcs);
	a->svcs = NULL;
	a->nsvcs = 0;
}

/* ---- allocation of ClusterIPs and NodePorts, kept in the state dir ---- */

static int
svc_ipam(struct agent *a, struct err *err)
{
	char dir[4200];
	int r;

	if (a->svc_ipam != NULL)
		return 0;
	snprintf(dir, sizeof(dir), "%s/ipam-services", a->conf.state);
	if ((r = mkdir_p(dir, 0700, err)) < 0)
		return r;
	return net_ipam_open(&a->svc_ipam, dir, a->conf.service_cidr, err);
}

static bool
in_cidr(const char *ip, const char *cidr)
{
	struct in_addr a, n;
	char net[64], *slash;
	int bits;
	uint32_t mask;

	snprintf(net, sizeof(net), "%s", cidr);
	if ((slash = strchr(net, '/')) == NULL)
		return false;
	*slash = '\0';
	bits = atoi(slash + 1);
	if (inet_pton(AF_INET, ip, &a) != 1 || inet_pton(AF_INET, net, &n) != 1)
		return false;
	mask = bits == 0 ? 0 : htonl(~0U << (32 - bits));
	return (a.s_addr & mask) == (n.s_addr & mask);
}

/* <state>/nodeports/<port>: its owner, made with O_EXCL. */
static int
nodeport_claim(struct agent *a, int port, const char *owner)
{
	char path[4200], *cur = NULL;
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/nodeports", a->conf.state);
	if ((r = mkdir_p(path, 0700, NULL)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/nodeports/%d", a->conf.state, port);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		r = write_all(fd, owner, strlen(owner));
		close(fd);
		return r;
	}
	if (errno != EEXIST)
		return -errno;
	if (read_file(path, 512, &cur, NULL, NULL) < 0)
		return -EBUSY;
	r = strcmp(cur, owner) == 0 ? 0 : -EBUSY;
	free(cur);
	return r;
}

/* The port this owner already has, else the next free one. */
static int
nodeport_alloc(struct agent *a, const char *owner)
{
	int port;

	for (port = a->conf.nodeport_min; port <= a->conf.nodeport_max; port++) {
		char path[4200], *cur = NULL;
		bool mine;

		snprintf(path, sizeof(path), "%s/nodeports/%d", a->conf.state,
		    port);
		if (read_file(path, 512, &cur, NULL, NULL) < 0)
			continue;
		mine = strcmp(cur, owner) == 0;
		free(cur);
		if (mine)
			return port;
	}
	for (port = a->conf.nodeport_min; port <= a->conf.nodeport_max; port++)
		if (nodeport_claim(a, port, owner) == 0)
			return port;
	return -ENOSPC;
}

/* Release what no current Service owns. */
static void
gc_allocations(struct agent *a)
{
	char dir[4200], path[8400], *owner;
	struct dirent *de;
	char **owners = NULL;
	size_t i, k;
	DIR *d;

	if (a->svc_ipam != NULL && net_ipam_owners(a->svc_ipam, &owners) >= 0)
		for (i = 0; owners != NULL && owners[i] != NULL; i++) {
			for (k = 0; k < a->nsvcs; k++)
				if (strcmp(a->svcs[k].key, owners[i]) == 0)
					break;
			if (k == a->nsvcs)
				(void)net_ipam_release(a->svc_ipam, owners[i],
				    NULL);
		}
	strv_free(owners);
	snprintf(dir, sizeof(dir), "%s/nodeports", a->conf.state);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (read_file(path, 512, &owner, NULL, NULL) < 0)
			continue;
		for (k = 0; k < a->nsvcs; k++) {
			size_t n = strlen(a->svcs[k].key);

			if (strncmp(owner, a->svcs[k].key, n) == 0 &&
			    owner[n] == '/' && a->svcs[k].cfg->type !=
			    CFG_SVC_CLUSTER_IP)
				break;
		}
		if (k == a->nsvcs)
			(void)unlink(path);
		free(owner);
	}
	closedir(d);
}

static bool
ip_taken(const struct agent *a, size_t upto, const char *ip)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (strcmp(a->svcs[i].cluster_ip, ip) == 0)
			return true;
	return false;
}

static bool
nodeport_taken(const struct agent *a, size_t upto, int port, int proto_udp)
{
	size_t i, k;

	for (i = 0; i < upto; i++)
		for (k = 0; k < a->svcs[i].nports; k++)
			if (a->svcs[i].ports[k].node_port == port &&
			    a->svcs[i].ports[k].udp == proto_udp)
				return true;
	return false;
}

static void
svc_error(struct svc *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
svc_error(struct svc *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
}

static void
assign_ip(struct agent *a, size_t idx)
{
	struct svc *s = &a->svcs[idx];
	const char *want = s->cfg->cluster_ip;
	struct err err;
	char ip[16];

	if (want != NULL && strcmp(want, "None") == 0) {
		s->headless = true;
		return;
	}
	if (svc_ipam(a, &err) < 0)
		return svc_error(s, "no cluster IP: %s", err.msg);
	if (want != NULL) {
		if (!in_cidr(want, a->conf.service_cidr))
			return svc_error(s, "spec.clusterIP %s is not in the "
			    "service CIDR %s", want, a->conf.service_cidr);
		if (ip_taken(a, idx, want) ||
		    net_ipam_reserve(a->svc_ipam, s->key, want, &err) < 0)
			return svc_error(s, "spec.clusterIP %s is already "
			    "allocated or reserved", want);
		snprintf(s->cluster_ip, sizeof(s->cluster_ip), "%s", want);
		return;
	}
	if (net_ipam_get(a->svc_ipam, s->key, ip, &err) < 0)
		return svc_error(s, "no cluster IP: %s", err.msg);
	snprintf(s->cluster_ip, sizeof(s->cluster_ip), "%s", ip);
}

static void
assign_ports(struct agent *a, size_t idx)
{
	struct svc *s = &a->svcs[idx];
	const struct cfg_service *c = s->cfg;
	char owner[512];
	size_t i;

	s->ports = xcalloc(c->nports ? c->nports : 1, sizeof(*s->ports));
	s->nports = c->nports;
	for (i = 0; i < c->nports; i++) {
		struct svc_port *sp = &s->ports[i];
		const struct cfg_svc_port *cp = &c->ports[i];

		sp->cfg = cp;
		sp->udp = strcmp(cp->protocol, "UDP") == 0;
		if (c->type == CFG_SVC_CLUSTER_IP) {
			if (cp->node_port != 0)
				svc_error(s, "spec.ports[%zu].nodePort: only "
				    "for type NodePort", i);
			continue;
		}
		snprintf(owner, sizeof(owner), "%s/%s", s->key,
		    cp->name && cp->name[0] ? cp->name : "-");
		if (cp->node_port != 0) {
			if (cp->node_port < a->conf.nodeport_min ||
			    cp->node_port > a->conf.nodeport_max) {
				svc_error(s, "spec.ports[%zu].nodePort %d is "
				    "outside the range %d-%d", i, cp->node_port,
				    a->conf.nodeport_min, a->conf.nodeport_max);
				continue;
			}
			if (nodeport_taken(a, idx, cp->node_port, sp->udp) ||
			    nodeport_claim(a, cp->node_port, owner) < 0) {
				svc_error(s, "spec.ports[%zu].nodePort %d is "
				    "already allocated", i, cp->node_port);
				continue;
			}
			sp->node_port = cp->node_port;
			continue;
		}
		if ((sp->node_port = nodeport_alloc(a, owner)) < 0) {
			sp->node_port = 0;
			svc_error(s, "no free NodePort in %d-%d",
			    a->conf.nodeport_min, a->conf.nodeport_max);
		}
	}
}

/* ---- endpoints ---- */

static int
target_port(const struct pod *p, const struct cfg_svc_port *cp)
{
	size_t i, k;

	if (cp->target_name == NULL)
		return cp->target_port;
	for (i = 0; i < p->nctrs; i++) {
		const struct cfg_container *c = p->ctrs[i].spec;

		for (k = 0; c != NULL && k < c->nports; k++)
			if (c->ports[k].name != NULL &&
			    strcmp(c->ports[k].name, cp->target_name) == 0)
				return c->ports[k].container_port;
	}
	return -1;
}

static bool
selects(const struct cfg_service *c, const struct pod *p)
{
	size_t i;
	const char *v;

	if (p->spec == NULL || c->selector.n == 0)
		return false;
	for (i = 0; i < c->selector.n; i++) {
		v = cfg_kvs_get(&p->spec->meta.labels, c->selector.v[i].key);
		if (v == NULL || strcmp(v, c->selector.v[i].value) != 0)
			return false;
	}
	return true;
}

static void
ep_add(struct svc_port *sp, const char *ip, int port, bool ready,
    const struct pod *p)
{
	struct svc_ep *e;

	if (sp->neps == SVC_MAX_EPS)
		return;
	sp->eps = xrealloc(sp->eps, (sp->neps + 1) * sizeof(*sp->eps));
	e = &sp->eps[sp->neps++];
	memset(e, 0, sizeof(*e));
	snprintf(e->ip, sizeof(e->ip), "%s", ip);
	e->port = port;
	e->ready = ready;
	if (p != NULL) {
		snprintf(e->pod, sizeof(e->pod), "%s", p->name);
		snprintf(e->uid, sizeof(e->uid), "%s", p->uid);
	}
}

static void
endpoints_from_pods(struct agent *a, struct svc *s)
{
	struct pod *p;
	size_t i;

	TAILQ_FOREACH(p, &a->pods, entry) {
		const char *ip;

		if (p->dead || strcmp(p->ns, s->ns) != 0 ||
		    !selects(s->cfg, p))
			continue;
		ip = p->spec->host_network ? a->host_ip : p->pod_ip;
		if (ip[0] == '\0')
			continue;
		for (i = 0; i < s->nports; i++) {
			int port = target_port(p, s->ports[i].cfg);

			if (port > 0)
				ep_add(&s->ports[i], ip, port, p->ready &&
				    p->deletion_ns == 0, p);
		}
	}
}

static void
endpoints_from_object(struct svc *s, const struct cfg_endpoints *e)
{
	size_t i, j, k, m;

	for (i = 0; i < s->nports; i++) {
		const struct cfg_svc_port *cp = s->ports[i].cfg;

		for (j = 0; j < e->nsubsets; j++) {
			const struct cfg_ep_subset *ss = &e->subsets[j];

			for (k = 0; k < ss->nports; k++) {
				const struct cfg_ep_port *ep = &ss->ports[k];

				/* Matched by name, or the only port. */
				if (!((cp->name && ep->name &&
				    !strcmp(cp->name, ep->name)) ||
				    (s->nports == 1 && ss->nports == 1)))
					continue;
				for (m = 0; m < ss->naddrs; m++)
					ep_add(&s->ports[i], ss->addrs[m].ip,
					    ep->port, ss->addrs[m].ready, NULL);
			}
		}
	}
}

/* ---- the table ---- */

static struct cfg_endpoints *
find_endpoints(struct agent *a, const char *ns, const char *name)
{
	struct mfile *f;
	size_t i;

	TAILQ_FOREACH(f, &a->mdir.files, entry)
		for (i = 0; i < f->nobjs; i++)
			if (f->objs[i].kind == CFG_KIND_ENDPOINTS &&
			    !strcmp(f->objs[i].namespace, ns) &&
			    !strcmp(f->objs[i].name, name))
				return f->objs[i].u.ep;
	return NULL;
}

/* Rebuild the table from the manifests and the pods. */
/* Did the previous table have this error for this Service already? */
static bool
known_error(const struct svc *old, size_t nold, const struct svc *s)
{
	size_t i;

	for (i = 0; i < nold; i++)
		if (strcmp(old[i].key, s->key) == 0)
			return strcmp(old[i].error, s->error) == 0;
	return false;
}

void
services_compute(struct agent *a)
{
	struct svc *old = a->svcs;
	size_t nold = a->nsvcs;
	struct mfile *f;
	size_t i, k;

	a->svcs = NULL;
	a->nsvcs = 0;
	TAILQ_FOREACH(f, &a->mdir.files, entry) {
		if (a->stopping && a->draining)
			break;		/* draining: nothing is served */
		for (i = 0; i < f->nobjs; i++) {
			const struct cfg_service *c;
			struct svc *s;

			if (f->objs[i].kind != CFG_KIND_SERVICE)
				continue;
			c = f->objs[i].u.svc;
			for (k = 0; k < a->nsvcs; k++)
				if (!strcmp(a->svcs[k].ns, c->meta.namespace) &&
				    !strcmp(a->svcs[k].name, c->meta.name))
					break;
			if (k < a->nsvcs)
				continue;	/* the first definition wins */
			a->svcs = xrealloc(a->svcs, (a->nsvcs + 1) *
			    sizeof(*a->svcs));
			s = &a->svcs[a->nsvcs++];
			memset(s, 0, sizeof(*s));
			s->cfg = c;
			snprintf(s->ns, sizeof(s->ns), "%s", c->meta.namespace);
			snprintf(s->name, sizeof(s->name), "%s", c->meta.name);
			snprintf(s->key, sizeof(s->key), "%s/%s", s->ns,
			    s->name);
			snprintf(s->file, sizeof(s->file), "%s", f->name);
		}
	}
	for (i = 0; i < a->nsvcs; i++) {
		struct svc *s = &a->svcs[i];
		const struct cfg_endpoints *e;

		assign_ip(a, i);
		assign_ports(a, i);
		if (s->cfg->has_selector)
			endpoints_from_pods(a, s);
		else if ((e = find_endpoints(a, s->ns, s->name)) != NULL)
			endpoints_from_object(s, e);
		if (s->error[0] != '\0' && !known_error(old, nold, s)) {
			log_error("service %s: %s", s->key, s->error);
			events_add(&a->events, true, "Service", s->ns, s->name,
			    "", "", "FailedToAllocate", "%s", s->error);
		}
	}
	for (i = 0; i < nold; i++)
		svc_free_eps(&old[i]);
	free(old);
	if (!a->stopping)	/* a drained Service keeps its addresses */
		gc_allocations(a);
}

const struct svc *
service_find(const struct agent *a, const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < a->nsvcs; i++)
		if (!strcmp(a->svcs[i].ns, ns) && !strcmp(a->svcs[i].name, name))
			return &a->svcs[i];
	return NULL;
}

/* Kubernetes' service env vars for a pod of namespace ns. */
void
services_env(const struct agent *a, const char *ns, char ***env)
{
	char name[128], kv[512];
	size_t i, k, j;

	for (i = 0; i < a->nsvcs; i++) {
		const struct svc *s = &a->svcs[i];

		if (strcmp(s->ns, ns) != 0 || s->headless ||
		    s->cluster_ip[0] == '\0' || s->nports == 0)
			continue;
		for (j = 0; s->name[j] != '\0' && j < sizeof(name) - 1; j++)
			name[j] = s->name[j] == '-' ? '_' :
			    (char)toupper((unsigned char)s->name[j]);
		name[j] = '\0';
		snprintf(kv, sizeof(kv), "%s_SERVICE_HOST=%s", name,
		    s->cluster_ip);
		strv_push(env, kv);
		snprintf(kv, sizeof(kv), "%s_SERVICE_PORT=%d", name,
		    s->ports[0].cfg->port);
		strv_push(env, kv);
		for (k = 0; k < s->nports; k++) {
			const struct cfg_svc_port *cp = s->ports[k].cfg;
			const char *proto = s->ports[k].udp ? "udp" : "tcp";
			char up[96], pn[80];

			if (cp->name != NULL && cp->name[0] != '\0') {
				for (j = 0; cp->name[j] && j < sizeof(pn) - 1;
				    j++)
					pn[j] = cp->name[j] == '-' ? '_' :
					    (char)toupper((unsigned char)
					    cp->name[j]);
				pn[j] = '\0';
				snprintf(kv, sizeof(kv), "%s_SERVICE_PORT_%s=%d",
				    name, pn, cp->port);
				strv_push(env, kv);
			}
			if (k == 0) {
				snprintf(kv, sizeof(kv), "%s_PORT=%s://%s:%d",
				    name, proto, s->cluster_ip, cp->port);
				strv_push(env, kv);
			}
			snprintf(up, sizeof(up), "%s_PORT_%d_%s", name,
			    cp->port, s->ports[k].udp ? "UDP" : "TCP");
			snprintf(kv, sizeof(kv), "%s=%s://%s:%d", up, proto,
			    s->cluster_ip, cp->port);
			strv_push(env, kv);
			snprintf(kv, sizeof(kv), "%s_PROTO=%s", up, proto);
			strv_push(env, kv);
			snprintf(kv, sizeof(kv), "%s_PORT=%d", up, cp->port);
			strv_push(env, kv);
			snprintf(kv, sizeof(kv), "%s_ADDR=%s", up,
			    s->cluster_ip);
			strv_push(env, kv);
		}
	}
}
