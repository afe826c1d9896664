/*
 * configs: ConfigMaps, Secrets and PersistentVolumeClaims as the manifest
 * files hold them (what a claim is bound to: claims.c).  Nothing is copied: lookups walk the files' last good
 * objects (the first file to define a name wins, as for pods), so a
 * Secret's bytes live once, in memory.  When the manifests change,
 * configs_changed brings their users along: containers waiting for a
 * missing object try again, and ConfigMap, Secret and downward API
 * volumes get their new contents.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "core/log.h"
#include "lib/util.h"

const struct cfg_object *
configs_object(const struct agent *a, enum cfg_kind kind, bool secret,
    const char *ns, const char *name, const struct mfile **file)
{
	const struct mfile *f;
	size_t i;

	TAILQ_FOREACH(f, &a->mdir.files, entry) {
		for (i = 0; i < f->nobjs; i++) {
			const struct cfg_object *o = &f->objs[i];

			if (o->kind != kind || o->name == NULL ||
			    strcmp(o->name, name) != 0 ||
			    strcmp(o->namespace, ns) != 0)
				continue;
			if (kind == CFG_KIND_CONFIG && o->u.cfg->secret != secret)
				continue;
			if (file != NULL)
				*file = f;
			return o;
		}
	}
	return NULL;
}

void
configs_foreach(const struct agent *a, enum cfg_kind kind, bool secret,
    const char *ns, configs_fn fn, void *arg)
{
	const struct mfile *f;
	size_t i;

	TAILQ_FOREACH(f, &a->mdir.files, entry) {
		for (i = 0; i < f->nobjs; i++) {
			const struct cfg_object *o = &f->objs[i];

			if (o->kind != kind || o->name == NULL ||
			    (ns != NULL && strcmp(o->namespace, ns) != 0) ||
			    (kind == CFG_KIND_CONFIG &&
			    o->u.cfg->secret != secret))
				continue;
			/* a name defined again in a later file: the first */
			if (configs_object(a, kind, secret, o->namespace,
			    o->name, NULL) != o)
				continue;
			fn(o, f, arg);
		}
	}
}

const struct cfg_config *
config_find(const struct agent *a, const char *ns, const char *name,
    bool secret)
{
	const struct cfg_object *o;

	o = configs_object(a, CFG_KIND_CONFIG, secret, ns, name, NULL);
	return o != NULL ? o->u.cfg : NULL;
}

const struct cfg_pvc *
pvc_find(const struct agent *a, const char *ns, const char *name)
{
	const struct cfg_object *o;

	o = configs_object(a, CFG_KIND_PVC, false, ns, name, NULL);
	return o != NULL ? o->u.pvc : NULL;
}

/*
 * An immutable ConfigMap or Secret keeps its data until it is deleted:
 * a new version of the file that changes it is refused, as the API
 * server refuses the update.
 */
int
configs_check_update(const struct agent *a, const struct cfg_object *objs,
    size_t n, struct cfg_diags *d)
{
	const struct cfg_config *old, *nw;
	size_t i;
	int r = 0;

	for (i = 0; i < n; i++) {
		if (objs[i].kind != CFG_KIND_CONFIG)
			continue;
		nw = objs[i].u.cfg;
		old = config_find(a, objs[i].namespace, objs[i].name,
		    nw->secret);
		if (old == NULL || !old->immutable)
			continue;
		if (nw->immutable && strcmp(old->data_hash, nw->data_hash) == 0)
			continue;
		cfg_diag_add(d, CFG_ERROR, objs[i].line, 1, nw->immutable ?
		    "data" : "immutable", "%s \"%s\" is invalid: field is "
		    "immutable when `immutable` is set (delete the object to "
		    "change it)", nw->secret ? "Secret" : "ConfigMap",
		    objs[i].name);
		r = -EINVAL;
	}
	return r;
}

static bool
waits_for_config(const struct ctr *c)
{
	return c->state == CTR_WAITING && c->shim_pid == 0 &&
	    (strcmp(c->reason, "CreateContainerConfigError") == 0 ||
	    ((strcmp(c->reason, "ContainerCreating") == 0 ||
	    strcmp(c->reason, "PodInitializing") == 0) && c->pod->vol_error));
}

void
configs_changed(struct agent *a)
{
	struct pod *p;
	size_t i;

	claims_reclaim(a);
	TAILQ_FOREACH(p, &a->pods, entry) {
		if (p->dead || p->deletion_ns != 0 || p->spec == NULL)
			continue;
		volumes_refresh(p);
		for (i = 0; i < p->nctrs; i++) {
			struct ctr *c = &p->ctrs[i];

			if (!waits_for_config(c))
				continue;
			ev_timer_stop(a->loop, &c->restart_t);
			c->backoff_pending = false;
			ctr_start(c);
		}
	}
}
