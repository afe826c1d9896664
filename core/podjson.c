/*
 * podjson: pods and events as the Kubernetes API shows them (v1 Pod,
 * v1 Event), so picoctl -o json prints what kubectl would and any tool
 * that reads Kubernetes JSON reads ours.
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/pull.h"
#include "lib/jsonw.h"
#include "lib/util.h"

static void
kvs(struct jsonw *w, const char *key, const struct cfg_kvs *m)
{
	size_t i;

	if (m->n == 0)
		return;
	jw_key(w, key);
	jw_obj(w);
	for (i = 0; i < m->n; i++)
		jw_kstr(w, m->v[i].key, m->v[i].value);
	jw_obj_end(w);
}

static void
strv(struct jsonw *w, const char *key, char *const *v)
{
	if (v == NULL)
		return;
	jw_key(w, key);
	jw_arr(w);
	for (; *v != NULL; v++)
		jw_str(w, *v);
	jw_arr_end(w);
}

static void
quantity(struct jsonw *w, const char *key, int64_t v, bool cpu)
{
	char tmp[32];

	if (v < 0)
		return;
	if (cpu && v % 1000 == 0)
		snprintf(tmp, sizeof(tmp), "%lld", (long long)(v / 1000));
	else if (cpu)
		snprintf(tmp, sizeof(tmp), "%lldm", (long long)v);
	else if (v % (1024 * 1024) == 0 && v != 0)
		snprintf(tmp, sizeof(tmp), "%lldMi", (long long)(v >> 20));
	else if (v % 1024 == 0 && v != 0)
		snprintf(tmp, sizeof(tmp), "%lldKi", (long long)(v >> 10));
	else
		snprintf(tmp, sizeof(tmp), "%lld", (long long)v);
	jw_kstr(w, key, tmp);
}

static void
resources(struct jsonw *w, const struct cfg_resources *r)
{
	jw_key(w, "resources");
	jw_obj(w);
	if (r->cpu_limit >= 0 || r->mem_limit >= 0) {
		jw_key(w, "limits");
		jw_obj(w);
		quantity(w, "cpu", r->cpu_limit, true);
		quantity(w, "memory", r->mem_limit, false);
		jw_obj_end(w);
	}
	if (r->cpu_request >= 0 || r->mem_request >= 0) {
		jw_key(w, "requests");
		jw_obj(w);
		quantity(w, "cpu", r->cpu_request, true);
		quantity(w, "memory", r->mem_request, false);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

static const char *const pull_names[] = { "Always", "IfNotPresent", "Never" };
static const char *const restart_names[] = { "Always", "OnFailure", "Never" };

static void
container_spec(struct jsonw *w, const struct cfg_container *c)
{
	size_t i;

	jw_obj(w);
	jw_kstr(w, "name", c->name);
	jw_kstr(w, "image", c->image);
	strv(w, "command", c->command);
	strv(w, "args", c->args);
	if (c->working_dir != NULL)
		jw_kstr(w, "workingDir", c->working_dir);
	if (c->nports > 0) {
		jw_key(w, "ports");
		jw_arr(w);
		for (i = 0; i < c->nports; i++) {
			const struct cfg_port *p = &c->ports[i];

			jw_obj(w);
			if (p->name != NULL)
				jw_kstr(w, "name", p->name);
			jw_kint(w, "containerPort", p->container_port);
			if (p->host_port > 0)
				jw_kint(w, "hostPort", p->host_port);
			if (p->host_ip != NULL)
				jw_kstr(w, "hostIP", p->host_ip);
			jw_kstr(w, "protocol", p->protocol ? p->protocol :
			    "TCP");
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}
	if (c->nenv > 0) {
		jw_key(w, "env");
		jw_arr(w);
		for (i = 0; i < c->nenv; i++) {
			jw_obj(w);
			jw_kstr(w, "name", c->env[i].name);
			if (c->env[i].src == CFG_ENV_VALUE)
				jw_kstr(w, "value", c->env[i].value);
			jw_obj_end(w);
		}
		jw_arr_end(w);
	}
	resources(w, &c->res);
	if (c->restart_policy != NULL)	/* sidecar init containers */
		jw_kstr(w, "restartPolicy", c->restart_policy);
	jw_kstr(w, "imagePullPolicy", pull_names[c->pull_policy]);
	jw_kstr(w, "terminationMessagePath", c->termination_message_path ?
	    c->termination_message_path : "/dev/termination-log");
	jw_kstr(w, "terminationMessagePolicy", c->termination_message_policy ?
	    c->termination_message_policy : "File");
	jw_obj_end(w);
}

/* spec.volumes: each one's name and source, with the fields that say
 * what it refers to (what `describe pvc` needs for Used By). */
static void
volume(struct jsonw *w, const struct cfg_volume *v)
{
	jw_obj(w);
	jw_kstr(w, "name", v->name);
	jw_key(w, v->type);
	jw_obj(w);
	switch (v->kind) {
	case CFG_VOL_PVC:
		jw_kstr(w, "claimName", v->claim);
		if (v->read_only)
			jw_kbool(w, "readOnly", true);
		break;
	case CFG_VOL_HOSTPATH:
		jw_kstr(w, "path", v->host_path);
		break;
	case CFG_VOL_EMPTYDIR:
		if (v->memory)
			jw_kstr(w, "medium", "Memory");
		break;
	case CFG_VOL_CONFIGMAP:
	case CFG_VOL_SECRET:
		if (v->nsrcs == 1 && v->srcs[0].name != NULL)
			jw_kstr(w, v->kind == CFG_VOL_SECRET ? "secretName" :
			    "name", v->srcs[0].name);
		break;
	default:
		break;
	}
	jw_obj_end(w);
	jw_obj_end(w);
}

static void
spec(struct jsonw *w, const struct pod *p)
{
	const struct cfg_pod *s = p->spec;
	size_t i;

	jw_key(w, "spec");
	jw_obj(w);
	if (s != NULL) {
		jw_key(w, "containers");
		jw_arr(w);
		for (i = 0; i < s->ncontainers; i++)
			container_spec(w, &s->containers[i]);
		jw_arr_end(w);
		if (s->ninit_containers > 0) {
			jw_key(w, "initContainers");
			jw_arr(w);
			for (i = 0; i < s->ninit_containers; i++)
				container_spec(w, &s->init_containers[i]);
			jw_arr_end(w);
		}
		if (s->nvolumes > 0) {
			jw_key(w, "volumes");
			jw_arr(w);
			for (i = 0; i < s->nvolumes; i++)
				volume(w, &s->volumes[i]);
			jw_arr_end(w);
		}
		jw_kstr(w, "restartPolicy",
		    restart_names[s->restart_policy]);
		jw_kint(w, "terminationGracePeriodSeconds", s->grace_period);
		if (s->hostname != NULL)
			jw_kstr(w, "hostname", s->hostname);
		if (s->host_network)
			jw_kbool(w, "hostNetwork", true);
	}
	jw_kstr(w, "nodeName", p->a->node_name);
	jw_obj_end(w);
}

static void
term(struct jsonw *w, const struct ctr_term *t)
{
	char id[80];

	jw_key(w, "terminated");
	jw_obj(w);
	jw_kint(w, "exitCode", t->exit_code);
	if (t->signal != 0)
		jw_kint(w, "signal", t->signal);
	jw_kstr(w, "reason", t->reason);
	if (t->message[0] != '\0')
		jw_kstr(w, "message", t->message);
	jw_ktime(w, "startedAt", t->started_ns);
	jw_ktime(w, "finishedAt", t->finished_ns);
	if (t->id[0] != '\0') {
		snprintf(id, sizeof(id), "picolet://%s", t->id);
		jw_kstr(w, "containerID", id);
	}
	jw_obj_end(w);
}

static void
ctr_status(struct jsonw *w, const struct ctr *c)
{
	char id[80], msg[600];

	jw_obj(w);
	jw_kstr(w, "name", c->name);
	jw_key(w, "state");
	jw_obj(w);
	switch (c->state) {
	case CTR_WAITING:
		jw_key(w, "waiting");
		jw_obj(w);
		jw_kstr(w, "reason", c->reason);
		if (pull_message(c, msg, sizeof(msg)))
			jw_kstr(w, "message", msg);
		else if (c->message[0] != '\0')
			jw_kstr(w, "message", c->message);
		jw_obj_end(w);
		break;
	case CTR_RUNNING:
		jw_key(w, "running");
		jw_obj(w);
		jw_ktime(w, "startedAt", c->started_ns);
		jw_obj_end(w);
		break;
	case CTR_TERMINATED:
		term(w, &c->term);
		break;
	}
	jw_obj_end(w);
	jw_key(w, "lastState");
	jw_obj(w);
	if (c->last.set && !(c->state == CTR_TERMINATED &&
	    memcmp(&c->last, &c->term, sizeof(c->last)) == 0))
		term(w, &c->last);
	jw_obj_end(w);
	jw_kbool(w, "ready", c->ready);
	jw_kint(w, "restartCount", c->restarts);
	jw_kstr(w, "image", c->spec ? c->spec->image : "");
	jw_kstr(w, "imageID", c->image_id);
	if (c->id[0] != '\0' && c->state != CTR_WAITING) {
		snprintf(id, sizeof(id), "picolet://%s", c->id);
		jw_kstr(w, "containerID", id);
	}
	jw_kbool(w, "started", c->state == CTR_RUNNING && c->started);
	jw_obj_end(w);
}

static void
condition(struct jsonw *w, const char *type, bool status, int64_t since,
    const char *reason)
{
	jw_obj(w);
	jw_kstr(w, "type", type);
	jw_kstr(w, "status", status ? "True" : "False");
	jw_key(w, "lastProbeTime");
	jw_null(w);
	jw_ktime(w, "lastTransitionTime", since);
	if (reason != NULL)
		jw_kstr(w, "reason", reason);
	jw_obj_end(w);
}

static void
status(struct jsonw *w, const struct pod *p)
{
	const char *why = NULL, *ip;
	size_t i;

	jw_key(w, "status");
	jw_obj(w);
	jw_kstr(w, "phase", pod_phase_names[p->phase]);
	if (p->fail_reason[0] != '\0') {
		jw_kstr(w, "reason", p->fail_reason);
		jw_kstr(w, "message", p->fail_message);
	}
	if (!p->ready)
		why = p->phase == PHASE_SUCCEEDED ? "PodCompleted" :
		    "ContainersNotReady";
	jw_key(w, "conditions");
	jw_arr(w);
	condition(w, "Initialized", p->initialized, p->init_since,
	    !p->initialized ? "ContainersNotInitialized" :
	    p->phase == PHASE_SUCCEEDED ? "PodCompleted" : NULL);
	condition(w, "Ready", p->ready, p->ready_since, why);
	condition(w, "ContainersReady", p->ready, p->ready_since, why);
	condition(w, "PodScheduled", true, p->created_ns, NULL);
	jw_arr_end(w);
	if (p->a->host_ip[0] != '\0') {
		jw_kstr(w, "hostIP", p->a->host_ip);
		jw_key(w, "hostIPs");
		jw_arr(w);
		jw_obj(w);
		jw_kstr(w, "ip", p->a->host_ip);
		jw_obj_end(w);
		jw_arr_end(w);
	}
	ip = p->spec != NULL && p->spec->host_network ? p->a->host_ip :
	    p->pod_ip;
	if (ip[0] != '\0') {
		jw_kstr(w, "podIP", ip);
		jw_key(w, "podIPs");
		jw_arr(w);
		jw_obj(w);
		jw_kstr(w, "ip", ip);
		jw_obj_end(w);
		jw_arr_end(w);
	}
	if (p->start_ns != 0)
		jw_ktime(w, "startTime", p->start_ns);
	jw_kstr(w, "qosClass", "BestEffort");
	if (p->ninits > 0) {
		jw_key(w, "initContainerStatuses");
		jw_arr(w);
		for (i = 0; i < p->ninits; i++)
			ctr_status(w, &p->ctrs[i]);
		jw_arr_end(w);
	}
	jw_key(w, "containerStatuses");
	jw_arr(w);
	for (i = p->ninits; i < p->nctrs; i++)
		ctr_status(w, &p->ctrs[i]);
	jw_arr_end(w);
	jw_obj_end(w);
}

void
podjson_write(struct jsonw *w, const struct pod *p)
{
	jw_obj(w);
	jw_kstr(w, "kind", "Pod");
	jw_kstr(w, "apiVersion", "v1");
	jw_key(w, "metadata");
	jw_obj(w);
	jw_kstr(w, "name", p->name);
	jw_kstr(w, "namespace", p->ns);
	jw_kstr(w, "uid", p->uid);
	jw_ktime(w, "creationTimestamp", p->created_ns);
	if (p->deletion_ns != 0) {
		jw_ktime(w, "deletionTimestamp", p->deletion_ns);
		jw_kint(w, "deletionGracePeriodSeconds",
		    p->grace_ns / 1000000000);
	}
	if (p->spec != NULL) {
		kvs(w, "labels", &p->spec->meta.labels);
		jw_key(w, "annotations");
		jw_obj(w);
		for (size_t i = 0; i < p->spec->meta.annotations.n; i++)
			jw_kstr(w, p->spec->meta.annotations.v[i].key,
			    p->spec->meta.annotations.v[i].value);
		jw_kstr(w, "kubernetes.io/config.hash", p->spec_hash);
		jw_kstr(w, "kubernetes.io/config.source", "file");
		jw_obj_end(w);
	}
	jw_obj_end(w);
	spec(w, p);
	status(w, p);
	jw_obj_end(w);
}

void
eventjson_write(struct jsonw *w, const struct agent *a, const struct event *e)
{
	char name[320];

	snprintf(name, sizeof(name), "%s.%llx", e->name,
	    (unsigned long long)e->seq);
	jw_obj(w);
	jw_kstr(w, "kind", "Event");
	jw_kstr(w, "apiVersion", "v1");
	jw_key(w, "metadata");
	jw_obj(w);
	jw_kstr(w, "name", name);
	jw_kstr(w, "namespace", e->ns[0] ? e->ns : "default");
	jw_ktime(w, "creationTimestamp", e->first_ns);
	jw_obj_end(w);
	jw_key(w, "involvedObject");
	jw_obj(w);
	jw_kstr(w, "kind", e->kind);
	jw_kstr(w, "namespace", e->ns);
	jw_kstr(w, "name", e->name);
	if (e->uid[0] != '\0')
		jw_kstr(w, "uid", e->uid);
	if (e->field[0] != '\0')
		jw_kstr(w, "fieldPath", e->field);
	jw_obj_end(w);
	jw_kstr(w, "reason", e->reason);
	jw_kstr(w, "message", e->message);
	jw_key(w, "source");
	jw_obj(w);
	jw_kstr(w, "component", "picolet");
	jw_kstr(w, "host", a->node_name);
	jw_obj_end(w);
	jw_ktime(w, "firstTimestamp", e->first_ns);
	jw_ktime(w, "lastTimestamp", e->last_ns);
	jw_kint(w, "count", e->count);
	jw_kstr(w, "type", e->warning ? "Warning" : "Normal");
	jw_obj_end(w);
}
