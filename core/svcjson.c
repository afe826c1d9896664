/*
 * svcjson: Services and Endpoints as the Kubernetes API shows them (v1),
 * from the service table, so picoctl -o json and any Kubernetes tool read
 * spec.clusterIP, spec.ports[].nodePort and subsets[] as they expect.
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "lib/jsonw.h"
#include "lib/util.h"

static const char *const type_names[] = { "ClusterIP", "NodePort",
	"LoadBalancer" };

static void
meta(struct jsonw *w, const struct svc *s, int64_t created)
{
	const struct cfg_meta *m = &s->cfg->meta;
	size_t i;

	jw_key(w, "metadata");
	jw_obj(w);
	jw_kstr(w, "name", s->name);
	jw_kstr(w, "namespace", s->ns);
	if (created != 0)
		jw_ktime(w, "creationTimestamp", created);
	if (m->labels.n > 0) {
		jw_key(w, "labels");
		jw_obj(w);
		for (i = 0; i < m->labels.n; i++)
			jw_kstr(w, m->labels.v[i].key, m->labels.v[i].value);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

void
svcjson_service(struct jsonw *w, const struct agent *a, const struct svc *s)
{
	const struct cfg_service *c = s->cfg;
	size_t i;

	jw_obj(w);
	jw_kstr(w, "kind", "Service");
	jw_kstr(w, "apiVersion", "v1");
	meta(w, s, a->started_ns);
	jw_key(w, "spec");
	jw_obj(w);
	jw_kstr(w, "type", type_names[c->type]);
	if (c->has_selector) {
		jw_key(w, "selector");
		jw_obj(w);
		for (i = 0; i < c->selector.n; i++)
			jw_kstr(w, c->selector.v[i].key, c->selector.v[i].value);
		jw_obj_end(w);
	}
	jw_kstr(w, "clusterIP", s->headless ? "None" : s->cluster_ip);
	jw_key(w, "clusterIPs");
	jw_arr(w);
	jw_str(w, s->headless ? "None" : s->cluster_ip);
	jw_arr_end(w);
	jw_key(w, "ports");
	jw_arr(w);
	for (i = 0; i < s->nports; i++) {
		const struct svc_port *sp = &s->ports[i];

		jw_obj(w);
		if (sp->cfg->name != NULL && sp->cfg->name[0] != '\0')
			jw_kstr(w, "name", sp->cfg->name);
		jw_kstr(w, "protocol", sp->cfg->protocol);
		jw_kint(w, "port", sp->cfg->port);
		jw_key(w, "targetPort");
		if (sp->cfg->target_name != NULL)
			jw_str(w, sp->cfg->target_name);
		else
			jw_int(w, sp->cfg->target_port);
		if (sp->node_port != 0)
			jw_kint(w, "nodePort", sp->node_port);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_kstr(w, "sessionAffinity", c->affinity_client_ip ? "ClientIP" :
	    "None");
	if (c->affinity_client_ip) {
		jw_key(w, "sessionAffinityConfig");
		jw_obj(w);
		jw_key(w, "clientIP");
		jw_obj(w);
		jw_kint(w, "timeoutSeconds", c->affinity_timeout);
		jw_obj_end(w);
		jw_obj_end(w);
	}
	jw_obj_end(w);
	jw_key(w, "status");
	jw_obj(w);
	jw_key(w, "loadBalancer");
	jw_obj(w);
	jw_obj_end(w);
	if (s->error[0] != '\0') {
		jw_key(w, "conditions");
		jw_arr(w);
		jw_obj(w);
		jw_kstr(w, "type", "Allocated");
		jw_kstr(w, "status", "False");
		jw_kstr(w, "reason", "FailedToAllocate");
		jw_kstr(w, "message", s->error);
		jw_obj_end(w);
		jw_arr_end(w);
	}
	jw_obj_end(w);
	jw_obj_end(w);
}

static void
addresses(struct jsonw *w, const struct svc *s, const char *key, bool ready)
{
	const struct svc_port *sp0 = s->nports > 0 ? &s->ports[0] : NULL;
	size_t i, n = 0;

	if (sp0 == NULL)
		return;
	for (i = 0; i < sp0->neps; i++)
		if (sp0->eps[i].ready == ready)
			n++;
	if (n == 0)
		return;
	jw_key(w, key);
	jw_arr(w);
	for (i = 0; i < sp0->neps; i++) {
		const struct svc_ep *e = &sp0->eps[i];

		if (e->ready != ready)
			continue;
		jw_obj(w);
		jw_kstr(w, "ip", e->ip);
		if (e->pod[0] != '\0') {
			jw_kstr(w, "nodeName", "");
			jw_key(w, "targetRef");
			jw_obj(w);
			jw_kstr(w, "kind", "Pod");
			jw_kstr(w, "namespace", s->ns);
			jw_kstr(w, "name", e->pod);
			jw_kstr(w, "uid", e->uid);
			jw_obj_end(w);
		}
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/*
 * One subset: the addresses of the first port and every port.  (A pod
 * that lacks a named targetPort another port has is the rare case where
 * Kubernetes splits subsets; this shows the first port's view.)
 */
void
svcjson_endpoints(struct jsonw *w, const struct agent *a,
    const struct svc *s)
{
	size_t i;

	jw_obj(w);
	jw_kstr(w, "kind", "Endpoints");
	jw_kstr(w, "apiVersion", "v1");
	meta(w, s, a->started_ns);
	jw_key(w, "subsets");
	jw_arr(w);
	if (s->nports > 0 && s->ports[0].neps > 0) {
		jw_obj(w);
		addresses(w, s, "addresses", true);
		addresses(w, s, "notReadyAddresses", false);
		jw_key(w, "ports");
		jw_arr(w);
		for (i = 0; i < s->nports; i++) {
			const struct svc_port *sp = &s->ports[i];

			jw_obj(w);
			if (sp->cfg->name != NULL && sp->cfg->name[0] != '\0')
				jw_kstr(w, "name", sp->cfg->name);
			jw_kint(w, "port", sp->neps > 0 ? sp->eps[0].port :
			    sp->cfg->target_port);
			jw_kstr(w, "protocol", sp->cfg->protocol);
			jw_obj_end(w);
		}
		jw_arr_end(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}
