/*
 * cfgjson: ConfigMaps, Secrets and PersistentVolumeClaims as the
 * Kubernetes API shows them (v1), from the manifests' objects.
 *
 * A Secret is served without its values: "data" is left out and an
 * extension field "dataSizes" gives each key's length in bytes, which is
 * all `picoctl get` and `describe` need.  Its values leave picolet only
 * into containers.  The kubectl.kubernetes.io/last-applied-configuration
 * annotation (a copy of the whole object, data included, when the
 * manifest came from `kubectl apply`) is left out for the same reason.
 *
 * A claim is bound to its directory under the state dir: spec.volumeName
 * is that path (there are no PersistentVolume objects on this node), the
 * capacity is the request, and the phase is Pending until the directory
 * exists.  creationTimestamp is when picolet first saw the object's file.
 */
#include <mbedtls/base64.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "lib/jsonw.h"
#include "lib/util.h"

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

static void
kvs(struct jsonw *w, const char *key, const struct cfg_kvs *m, bool secret)
{
	size_t i;

	if (m->n == 0)
		return;
	jw_key(w, key);
	jw_obj(w);
	for (i = 0; i < m->n; i++)
		if (!secret || strcmp(m->v[i].key, LAST_APPLIED) != 0)
			jw_kstr(w, m->v[i].key, m->v[i].value);
	jw_obj_end(w);
}

static void
meta(struct jsonw *w, const struct cfg_object *o, const struct cfg_meta *m,
    const struct mfile *f, bool secret)
{
	jw_key(w, "metadata");
	jw_obj(w);
	jw_kstr(w, "name", o->name);
	jw_kstr(w, "namespace", o->namespace);
	if (f != NULL && f->first_ns != 0)
		jw_ktime(w, "creationTimestamp", f->first_ns);
	kvs(w, "labels", &m->labels, false);
	kvs(w, "annotations", &m->annotations, secret);
	jw_obj_end(w);
}

/* binaryData values in standard base64, as encoding/json writes []byte */
static void
b64(struct jsonw *w, const struct cfg_blob *v)
{
	size_t n = (v->len + 2) / 3 * 4 + 1, olen = 0;
	unsigned char *out = xmalloc(n);

	if (mbedtls_base64_encode(out, n, &olen, v->data, v->len) != 0)
		olen = 0;
	jw_strn(w, (const char *)out, olen);
	free(out);
}

static void
values(struct jsonw *w, const struct cfg_config *c, bool binary)
{
	size_t i, n = 0;

	for (i = 0; i < c->ndata; i++)
		if (c->data[i].binary == binary)
			n++;
	if (n == 0)
		return;
	jw_key(w, binary ? "binaryData" : "data");
	jw_obj(w);
	for (i = 0; i < c->ndata; i++) {
		if (c->data[i].binary != binary)
			continue;
		jw_key(w, c->data[i].key);
		if (binary)
			b64(w, &c->data[i]);
		else
			jw_strn(w, (const char *)c->data[i].data,
			    c->data[i].len);
	}
	jw_obj_end(w);
}

static void
config(struct jsonw *w, const struct cfg_object *o, const struct mfile *f)
{
	const struct cfg_config *c = o->u.cfg;
	size_t i;

	jw_obj(w);
	jw_kstr(w, "kind", c->secret ? "Secret" : "ConfigMap");
	jw_kstr(w, "apiVersion", "v1");
	meta(w, o, &c->meta, f, c->secret);
	if (c->immutable)
		jw_kbool(w, "immutable", true);
	if (c->secret) {
		jw_kstr(w, "type", c->type);
		jw_key(w, "dataSizes");
		jw_obj(w);
		for (i = 0; i < c->ndata; i++)
			jw_kint(w, c->data[i].key, (int64_t)c->data[i].len);
		jw_obj_end(w);
	} else {
		values(w, c, false);
		values(w, c, true);
	}
	jw_obj_end(w);
}

static void
modes(struct jsonw *w, const struct cfg_pvc *c)
{
	size_t i;

	jw_key(w, "accessModes");
	jw_arr(w);
	for (i = 0; c->access_modes != NULL && c->access_modes[i]; i++)
		jw_str(w, c->access_modes[i]);
	jw_arr_end(w);
}

static void
storage(struct jsonw *w, const char *key, const struct cfg_pvc *c)
{
	jw_key(w, key);
	jw_obj(w);
	jw_kstr(w, "storage", c->request_text != NULL ? c->request_text : "");
	jw_obj_end(w);
}

/*
 * Whether the request is a limit: a condition of picolet's own, as
 * kubectl shows any condition, True with the project quota holding it,
 * False saying why not.
 */
static void
quota_condition(struct jsonw *w, const struct agent *a,
    const struct cfg_object *o)
{
	struct claim_quota q;
	char msg[4600];
	bool on;

	on = claims_quota(a, o->namespace, o->name, &q);
	if (on)
		snprintf(msg, sizeof(msg), "writes past %s fail (project "
		    "quota %u, %lld bytes used)", o->u.pvc->request_text,
		    q.id, (long long)q.used);
	jw_key(w, "conditions");
	jw_arr(w);
	jw_obj(w);
	jw_kstr(w, "type", "QuotaEnforced");
	jw_kstr(w, "status", on ? "True" : "False");
	jw_kstr(w, "reason", on ? "ProjectQuota" : q.reason);
	jw_kstr(w, "message", on ? msg : q.message);
	jw_obj_end(w);
	jw_arr_end(w);
}

static void
pvc(struct jsonw *w, const struct agent *a, const struct cfg_object *o,
    const struct mfile *f)
{
	const struct cfg_pvc *c = o->u.pvc;
	char dir[4200];
	bool bound;

	pvc_dir(a, o->namespace, o->name, dir, sizeof(dir));
	bound = access(dir, F_OK) == 0;
	jw_obj(w);
	jw_kstr(w, "kind", "PersistentVolumeClaim");
	jw_kstr(w, "apiVersion", "v1");
	meta(w, o, &c->meta, f, false);
	jw_key(w, "spec");
	jw_obj(w);
	modes(w, c);
	jw_key(w, "resources");
	jw_obj(w);
	storage(w, "requests", c);
	jw_obj_end(w);
	if (c->storage_class != NULL)
		jw_kstr(w, "storageClassName", c->storage_class);
	jw_kstr(w, "volumeMode", c->volume_mode);
	if (bound)
		jw_kstr(w, "volumeName", dir);
	jw_obj_end(w);
	jw_key(w, "status");
	jw_obj(w);
	jw_kstr(w, "phase", bound ? "Bound" : "Pending");
	if (bound) {
		modes(w, c);
		storage(w, "capacity", c);
		quota_condition(w, a, o);
	}
	jw_obj_end(w);
	jw_obj_end(w);
}

void
cfgjson_write(struct jsonw *w, const struct agent *a,
    const struct cfg_object *o, const struct mfile *f)
{
	if (o->kind == CFG_KIND_CONFIG)
		config(w, o, f);
	else if (o->kind == CFG_KIND_PVC)
		pvc(w, a, o, f);
}
