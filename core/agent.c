/*
 * agent: desired state against running pods.  agent_sync walks the
 * manifests in the order they were first seen (so the earlier file wins
 * a duplicate), and for every pod object: starts it, keeps it (labels and
 * annotations alone changed), or replaces it (spec changed: stop, then
 * start the new one); pods no manifest wants are stopped.  Dead pods are
 * freed from the loop's prepare step, never inside their own callbacks.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/json.h"
#include "lib/util.h"

void
agent_event(struct agent *a, struct pod *p, const char *field, bool warning,
    const char *reason, const char *fmt, ...)
{
	char msg[512], fp[96] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (field != NULL)
		snprintf(fp, sizeof(fp), "spec.containers{%s}", field);
	events_add(&a->events, warning, "Pod", p->ns, p->name, p->uid, fp,
	    reason, "%s", msg);
	if (warning)
		log_warn("pod %s/%s: %s: %s", p->ns, p->name, reason, msg);
	else
		log_info("pod %s/%s: %s: %s", p->ns, p->name, reason, msg);
}

struct want {
	struct podspec *ps;
	struct mfile *f;
	int line;
};

/* The winning object for ns/name among the manifests, or NULL. */
static struct want *
want_find(struct want *w, size_t n, const char *ns, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(w[i].ps->cfg->meta.namespace, ns) == 0 &&
		    strcmp(w[i].ps->cfg->meta.name, name) == 0)
			return &w[i];
	return NULL;
}

/* Every pod object of every good file, first definition wins. */
static struct want *
collect(struct agent *a, size_t *np)
{
	struct want *w = NULL, *dup;
	struct mfile *f;
	size_t i, n = 0;

	TAILQ_FOREACH(f, &a->mdir.files, entry) {
		f->dup[0] = '\0';
		for (i = 0; i < f->nobjs; i++) {
			struct podspec *ps = f->specs[i];

			if (ps == NULL)
				continue;
			dup = want_find(w, n, ps->cfg->meta.namespace,
			    ps->cfg->meta.name);
			if (dup != NULL) {
				snprintf(f->dup, sizeof(f->dup), "pod %s/%s "
				    "is already defined in %s",
				    ps->cfg->meta.namespace,
				    ps->cfg->meta.name, dup->f->name);
				f->dup_line = f->objs[i].line;
				log_error("manifest %s:%d: %s", f->name,
				    f->dup_line, f->dup);
				continue;
			}
			w = xrealloc(w, (n + 1) * sizeof(*w));
			w[n].ps = ps;
			w[n].f = f;
			w[n].line = f->objs[i].line;
			n++;
		}
	}
	*np = n;
	return w;
}

struct podspec *
agent_desired(struct agent *a, const char *ns, const char *name)
{
	struct podspec *ps = NULL;
	struct want *w, *hit;
	size_t n;

	w = collect(a, &n);
	if ((hit = want_find(w, n, ns, name)) != NULL)
		ps = hit->ps;
	free(w);
	return ps;
}

void
agent_sync(struct agent *a)
{
	struct pod *p, *tmp;
	struct want *w;
	size_t i, n;

	if (!a->ready)
		return;
	/* The manifests' objects just changed: the service table points
	 * into them, and containers starting below read it for their env. */
	services_compute(a);
	claims_bind(a);
	w = collect(a, &n);
	if (a->stopping)
		n = 0;
	TAILQ_FOREACH_SAFE(p, &a->pods, entry, tmp) {
		struct want *hit;

		if (p->dead)
			continue;
		hit = want_find(w, n, p->ns, p->name);
		if (hit == NULL) {
			podspec_unref(p->next);
			p->next = NULL;
			pod_terminate(p, "its manifest is gone");
		} else if (p->deletion_ns != 0 || p->spec == NULL ||
		    strcmp(p->spec_hash, hit->ps->cfg->spec_hash) != 0) {
			/* Replace: the new one starts when this one is gone. */
			if (p->next != hit->ps) {
				podspec_unref(p->next);
				p->next = podspec_ref(hit->ps);
			}
			pod_terminate(p, "its spec changed");
		} else if (p->ps != hit->ps) {
			pod_update_meta(p, hit->ps);
		}
	}
	for (i = 0; i < n; i++) {
		const struct cfg_pod *s = w[i].ps->cfg;

		if (pod_find(a, s->meta.namespace, s->meta.name) != NULL)
			continue;
		pod_start(pod_new(a, w[i].ps, NULL));
	}
	free(w);
	configs_changed(a);
	a->svc_dirty = true;
}

void
agent_images_changed(struct agent *a)
{
	struct pod *p;

	TAILQ_FOREACH(p, &a->pods, entry)
		if (!p->dead && p->deletion_ns == 0)
			pod_images_changed(p);
}

/* Free dead pods before the loop sleeps. */
static void
reap(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct agent *a = container_of(w, struct agent, reap);
	struct pod *p, *tmp;

	/* Services follow pods and manifests once per loop iteration, not
	 * once per change. */
	podnet_wake(a);
	if (a->svc_dirty) {
		a->svc_dirty = false;
		services_compute(a);
		services_apply(a);
	}

	/* Every iteration runs this: walk the pods only when one died. */
	if (!a->pods_dead)
		return;
	a->pods_dead = false;
	TAILQ_FOREACH_SAFE(p, &a->pods, entry, tmp) {
		if (!p->dead)
			continue;
		TAILQ_REMOVE(&a->pods, p, entry);
		pod_free(p);
	}
}

void
agent_reap_start(struct agent *a)
{
	ev_prepare_init(&a->reap, reap);
	ev_prepare_start(a->loop, &a->reap);
}

static bool
uid_known(struct agent *a, const char *uid)
{
	struct pod *p;

	TAILQ_FOREACH(p, &a->pods, entry)
		if (strcmp(p->uid, uid) == 0)
			return true;
	return false;
}

/* Writable layers of pods that are no more (a reboot cleared the run dir,
 * or picolet died before removing them) go, in a child. */
static void
gc_layers(struct agent *a)
{
	char dir[4096], path[8400];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/pods", a->conf.state);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || uid_known(a, de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		log_info("removing the writable layers of gone pod %s",
		    de->d_name);
		ctr_remove_later(a, path);
	}
	closedir(d);
}

/*
 * A pod killed with picolet before its record was written: what its
 * sandbox made (namespace binds, a pause, volume mounts, its cgroup)
 * must go before its run dir can.
 */
static void
remove_unrecorded(struct agent *a, const char *path, const char *uid)
{
	char sub[8400], rel[64];
	struct dirent *de;
	struct err err;
	DIR *d;

	snprintf(sub, sizeof(sub), "%s/ns", path);
	if (rt_sandbox_destroy(sub, &err) < 0)
		log_warn("%s: %s", path, err.msg);
	snprintf(sub, sizeof(sub), "%s/volumes", path);
	if ((d = opendir(sub)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof(sub), "%s/volumes/%s", path,
			    de->d_name);
			rt_volume_umount(sub);
		}
		closedir(d);
	}
	snprintf(rel, sizeof(rel), "pod%s", uid);
	(void)rt_cgroup_remove(a->cg, rel, NULL);
	if (rm_rf(path, &err) < 0)
		log_warn("%s", err.msg);
}

/*
 * At start, before the first sync: pods in the run dir whose manifest
 * still says the same are adopted as they run; the others are adopted as
 * orphans and stopped (a changed one is then replaced by agent_sync).
 */
int
adopt_all(struct agent *a)
{
	char dir[4096], path[8400];
	struct dirent *de;
	struct pod *p;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/pods", a->conf.run);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		struct podspec *ps;
		struct json *st = NULL;
		const char *ns, *name, *hash;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (pod_state_read(path, &st, NULL) < 0) {
			log_warn("%s: no pod state; removing", path);
			remove_unrecorded(a, path, de->d_name);
			continue;
		}
		ns = json_get_str(st, "namespace");
		name = json_get_str(st, "name");
		hash = json_get_str(st, "specHash");
		ps = (ns && name) ? agent_desired(a, ns, name) : NULL;
		if (ps != NULL && (hash == NULL ||
		    strcmp(hash, ps->cfg->spec_hash) != 0 ||
		    pod_find(a, ns, name) != NULL))
			ps = NULL;
		json_free(st);
		p = pod_adopt(a, path, ps);
		if (p == NULL)
			continue;
		n++;
		if (ps == NULL)
			pod_terminate(p, "its manifest is gone or changed");
	}
	closedir(d);
	gc_layers(a);
	podnet_gc(a);
	return n;
}
